"""A filter condition's value, checked and converted for the field it targets (`Target`): numbers,
dates, scalars, text and patterns; no value may carry a MongoDB operator of its own."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from jobtask.domain import STATUSES, FieldKind
from jobtask.errors import (
    InvalidParameter,
    shown,
)
from jobtask.query.dates import parse_lenient

Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Target:
    """What a condition applies to: the field path, its kind, and where it sits in the request."""

    path: str
    kind: FieldKind
    where: str
    now: datetime

    def invalid(self, reason: str) -> InvalidParameter:
        return InvalidParameter(self.where, reason)


def reject_operators(value: Any, target: Target) -> None:
    """No `$` key anywhere inside a value: `eq {"$ne": null}` must not become an operator."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if not isinstance(key, str) or key.startswith("$") or "\x00" in key:
                raise target.invalid(
                    f"operators are not allowed inside values (found {shown(key)})"
                )
            reject_operators(inner, target)
    elif isinstance(value, list):
        for inner in value:
            reject_operators(inner, target)


def _number(value: Any, target: Target) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise target.invalid(f"{target.path} is a number; {shown(value)} is not") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise target.invalid(f"{target.path} is a number; {shown(value)} is not")
    # Protobuf Values carry every number as a double: 5.0 -> 5, while 2.9 stays 2.9.
    return int(value) if float(value).is_integer() and abs(value) < 2**63 else value


def _date(value: Any, target: Target) -> datetime | None:
    if value is None:
        return None
    parsed = parse_lenient(value) if isinstance(value, str) else None
    if parsed is None:
        raise target.invalid(f"{target.path} is a date; {shown(value)} is not a date")
    return parsed


def as_scalar(value: Any, target: Target) -> Any:
    """A value to compare with the field, coerced to the field's type."""
    kind = target.kind
    if kind is FieldKind.INTEGER:
        return _number(value, target)
    if kind is FieldKind.DATE:
        return _date(value, target)
    reject_operators(value, target)
    if kind is FieldKind.STRING:
        if isinstance(value, Mapping):
            raise target.invalid(f"{target.path} is a string; an object never matches it")
        if target.path == "status" and isinstance(value, str) and value not in STATUSES:
            statuses = ", ".join(sorted(STATUSES))
            raise target.invalid(f"unknown status {shown(value)} (one of {statuses})")
    elif kind is FieldKind.ERRORS and not (value is None or isinstance(value, Mapping)):
        raise target.invalid(
            "errors holds objects: compare a whole error object, use 'match', "
            "or a path such as errors.error_code"
        )
    return value


def as_text(value: Any, target: Target) -> str:
    if not isinstance(value, str):
        raise target.invalid(f"the value must be a string, not {shown(value)}")
    return value


def _pattern_text(value: Any, target: Target) -> str:
    # BSON cannot carry a regular expression with a NUL byte in it (nor can MongoDB run one).
    text = as_text(value, target)
    if "\x00" in text:
        raise target.invalid("a pattern cannot contain the NUL character")
    return text


def as_pattern(value: Any, target: Target) -> re.Pattern[str]:
    """Case-insensitive literal substring; the driver sends it as a BSON regex."""
    return re.compile(re.escape(_pattern_text(value, target)), re.IGNORECASE)


def is_text_field(target: Target) -> bool:
    if target.kind is FieldKind.ERRORS:
        raise target.invalid("contain needs a text field: use a path such as errors.message")
    return target.kind in (FieldKind.STRING, FieldKind.FREEFORM)


# Python's `re` errors that PCRE (MongoDB's regex engine) raises too. Others, such as `\p{L}` or
# `(?<name>...)`, are Python's gaps, so those patterns go to the database, whose own rejection
# is mapped to INVALID_ARGUMENT as well.
_BROKEN_IN_PCRE_TOO: Final[tuple[str, ...]] = (
    "missing ),", "unbalanced parenthesis", "unterminated character set", "nothing to repeat",
    "multiple repeat", "bad character range", "unterminated subpattern",
    "min repeat greater than max repeat", "bad escape (end of pattern)",
)  # fmt: skip


def regex_document(value: Any, target: Target) -> Document:
    pattern = _pattern_text(value, target)
    try:
        re.compile(pattern)
    except re.error as error:
        if error.msg.startswith(_BROKEN_IN_PCRE_TOO):
            raise target.invalid(
                f"{shown(pattern)} is not a valid regular expression ({error})"
            ) from None
    # SpaceONE's regex is always case-insensitive; clients rely on it.
    return {"$regex": pattern, "$options": "i"}
