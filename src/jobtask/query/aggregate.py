"""The parts stat's stages are made of: how a key resolves against the rows' shape so far, the
operators and accumulators as tables, conditions and group keys; pure, no pymongo."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from jobtask.domain import PATH_SEGMENT, FieldKind, field_kind
from jobtask.errors import InvalidParameter, RequiredParameter, UnsupportedOperator, shown
from jobtask.query.model import Condition
from jobtask.query.stat_model import (
    AggregateGroupField,
    AggregateGroupKey,
    AggregateGroupSubField,
)

Document = dict[str, Any]


TOTAL: Final = "n"


@dataclass(frozen=True, slots=True)
class Shape:
    """What the documents entering a stage hold, so that references can be checked.

    `stored`: the job task's own fields (until a group, project or count replaces them).
    `group_keys`: the names under `_id` made by the LAST group (earlier groups' keys are gone).
    `names`: the other top-level names made by earlier stages.
    """

    stored: bool = True
    group_keys: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Reference:
    """A checked path; `kind` is the stored field's, or None for a name a stage made."""

    path: str
    kind: FieldKind | None

    @property
    def expression(self) -> str:
        return f"${self.path}"


@dataclass(frozen=True, slots=True)
class Context:
    shape: Shape
    where: str
    timezone: str
    now: datetime  # what timediff conditions count from (an unwind's filter)


@dataclass(frozen=True, slots=True)
class Step:
    """A stage, the shape of its output, and the stage after it if it takes two (core.v2's
    unwind: $unwind, then its filter's $match)."""

    stage: Document
    shape: Shape
    then: Document | None = None


def resolve(key: str, shape: Shape, where: str) -> Reference:
    """A key as the path it reads: a stage-made name, `_id.<group key>`, or a stored field."""
    if not key:
        raise RequiredParameter(where)
    segments = key.split(".")
    if not all(PATH_SEGMENT.match(s) for s in segments):
        raise InvalidParameter(where, f"{shown(key)} is not a field path (empty part, '$' or NUL)")
    head = segments[0]
    if head in shape.names:
        return Reference(key, None)
    if head in shape.group_keys:
        return Reference(f"_id.{key}", None)
    kind = field_kind(key) if shape.stored else None
    if kind is None:
        raise InvalidParameter(where, _unknown(key, shape))
    if any(s.isdigit() for s in segments):
        raise InvalidParameter(
            where,
            f"{shown(key)}: array indexes do not work in statistics; unwind the array instead",
        )
    return Reference(key, kind)


def _unknown(key: str, shape: Shape) -> str:
    if shape.stored:
        return f"{shown(key)} is not a field of a job task"
    made = ", ".join(sorted(shape.group_keys | shape.names))
    return f"{shown(key)} is not a name the previous stages made (they made: {made})"


class Names:
    """The output names of one stage (or one push): each checked, none twice."""

    def __init__(self) -> None:
        self.taken: list[str] = []

    def add(self, name: str, where: str) -> str:
        if not name:
            raise RequiredParameter(where)
        if name.startswith("$") or "." in name or "\x00" in name or name == "_id":
            raise InvalidParameter(
                where,
                f"{shown(name)} cannot name an output (no '.', no leading '$', no NUL, not _id)",
            )
        if name in self.taken:
            raise InvalidParameter(where, f"{shown(name)} is already an output of this stage")
        self.taken.append(name)
        return name


def _has_nul_key(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any("\x00" in str(k) or _has_nul_key(v) for k, v in value.items())
    return isinstance(value, list) and any(_has_nul_key(v) for v in value)


def _literal(value: Any) -> Any:
    """A request value as itself: '$'-strings, objects and arrays would be read as expressions."""
    if isinstance(value, Mapping | list) or (isinstance(value, str) and value.startswith("$")):
        return {"$literal": value}
    return value


DATE_PARTS: Final[Mapping[str, str]] = {"year": "$year", "month": "$month", "day": "$dayOfMonth"}


CONDITION_OPERATORS: Final[Mapping[str, str]] = {
    "eq": "$eq",
    "not": "$ne",  # SpaceONE compiled $not with two arguments, which MongoDB rejects.
    "gt": "$gt",
    "gte": "$gte",
    "lt": "$lt",
    "lte": "$lte",
}


@dataclass(frozen=True, slots=True)
class Accumulator:
    """A group field operator: `build(value, condition)`; value is "$key" or push's object."""

    build: Callable[[Any, Document | None], Document]
    needs_key: bool = True
    takes_conditions: bool = False
    takes_fields: bool = False


def _when(condition: Document | None, then: Any, otherwise: Any) -> Any:
    return then if condition is None else {"$cond": [condition, then, otherwise]}


def _plain(mongo_operator: str) -> Accumulator:
    return Accumulator(lambda value, _: {mongo_operator: value})


GROUP_OPERATORS: Final[Mapping[str, Accumulator]] = {
    # count counts documents: a key, if given, is checked and otherwise ignored (as SpaceONE).
    "count": Accumulator(
        lambda _, c: {"$sum": _when(c, 1, 0)}, needs_key=False, takes_conditions=True
    ),
    "sum": Accumulator(lambda v, c: {"$sum": _when(c, v, 0)}, takes_conditions=True),
    # $avg skips nulls, so documents failing the conditions are left out, not averaged in as 0.
    "average": Accumulator(lambda v, c: {"$avg": _when(c, v, None)}, takes_conditions=True),
    "max": _plain("$max"),
    "min": _plain("$min"),
    "first": _plain("$first"),
    "last": _plain("$last"),
    "add_to_set": _plain("$addToSet"),
    "merge_objects": _plain("$mergeObjects"),
    # A key pushes its values (core 1.12); fields push an object of them (core 1.11).
    "push": Accumulator(lambda v, _: {"$push": v}, takes_fields=True),
}


# $dateToString's documented specifiers (MongoDB 6.0/7.0); any other `%x` is refused before the
# database sees it (MongoDB would fail the whole pipeline with error 18536).
DATE_FORMAT_SPECIFIERS: Final = frozenset("dGHjLmMSuUVwYzZ%")
MAX_DATE_FORMAT_CHARS: Final = 100
_SPECIFIER: Final = re.compile(r"%(.?)", re.DOTALL)


def _check_date_format(date_format: str, where: str) -> None:
    if len(date_format) > MAX_DATE_FORMAT_CHARS:
        raise InvalidParameter(
            where, f"{len(date_format)} characters; at most {MAX_DATE_FORMAT_CHARS} are allowed"
        )
    if date_format.startswith("$"):
        raise InvalidParameter(where, "a date format cannot start with '$'")
    if "\x00" in date_format:
        raise InvalidParameter(where, "a date format cannot contain the NUL character")
    for specifier in _SPECIFIER.findall(date_format):
        if specifier not in DATE_FORMAT_SPECIFIERS:
            raise InvalidParameter(
                where,
                f"{shown('%' + specifier)} is not a $dateToString specifier (year, month, day, or "
                f"a format of {' '.join('%' + c for c in sorted(DATE_FORMAT_SPECIFIERS))})",
            )


def group_key(key: AggregateGroupKey, context: Context, where: str) -> Any:
    reference = resolve(key.key, context.shape, f"{where}.key")
    if not key.date_format:
        return reference.expression
    if reference.kind not in (None, FieldKind.DATE, FieldKind.FREEFORM):
        raise InvalidParameter(f"{where}.date_format", f"{shown(key.key)} is not a date")
    _check_date_format(key.date_format, f"{where}.date_format")
    date = {"date": reference.expression, "timezone": context.timezone}
    part = DATE_PARTS.get(key.date_format)
    if not part:
        return {"$dateToString": {"format": key.date_format, **date}}
    # MongoDB's $year & co. give null for null or missing, which mongo-java-server rejects
    # (16006): only values above null (in BSON order) are given to it, so both group those
    # under null, and a non-date value is still the database's type error.
    return {"$cond": [{"$gt": [reference.expression, None]}, {part: date}, None]}


def _comparison(condition: Condition, shape: Shape, where: str) -> Document:
    expression = resolve(condition.key, shape, f"{where}.key").expression
    if condition.value is None:
        raise RequiredParameter(f"{where}.value")
    if _has_nul_key(condition.value):  # BSON cannot carry them, even as a literal
        raise InvalidParameter(f"{where}.value", "object keys cannot contain the NUL character")
    operator = CONDITION_OPERATORS.get(condition.operator)
    if operator is None:
        raise UnsupportedOperator(
            condition.operator, list(CONDITION_OPERATORS), key=f"{where}.operator"
        )
    return {operator: [expression, _literal(condition.value)]}


def _conditions(conditions: Sequence[Condition], shape: Shape, where: str) -> Document | None:
    if not conditions:
        return None
    return {
        "$and": [
            _comparison(c, shape, f"{where}.conditions[{i}]") for i, c in enumerate(conditions)
        ]
    }


def _sub_fields(fields: Sequence[AggregateGroupSubField], shape: Shape, where: str) -> Document:
    names = Names()
    pushed: Document = {}
    for index, sub_field in enumerate(fields):
        at = f"{where}.fields[{index}]"
        expression = resolve(sub_field.key, shape, f"{at}.key").expression
        pushed[names.add(sub_field.name, f"{at}.name")] = expression
    return pushed


def _accumulated(
    rule: Accumulator, group_field: AggregateGroupField, shape: Shape, where: str
) -> Any:
    key = resolve(group_field.key, shape, f"{where}.key").expression if group_field.key else None
    if group_field.fields:
        return _sub_fields(group_field.fields, shape, where)
    if key is not None or not rule.needs_key:
        return key
    if rule.takes_fields:
        raise InvalidParameter(
            f"{where}.key", "push needs a key (to push its values) or fields (to push objects)"
        )
    raise RequiredParameter(f"{where}.key")


def accumulator(
    rule: Accumulator, group_field: AggregateGroupField, shape: Shape, where: str
) -> Document:
    operator = group_field.operator
    if group_field.fields and not rule.takes_fields:
        raise InvalidParameter(f"{where}.fields", f"{operator} takes no fields (push does)")
    if group_field.conditions and not rule.takes_conditions:
        raise InvalidParameter(
            f"{where}.conditions", f"{operator} takes no conditions (count, sum and average do)"
        )
    value = _accumulated(rule, group_field, shape, where)
    return rule.build(value, _conditions(group_field.conditions, shape, where))
