"""SpaceONE filter conditions -> one MongoDB query document.

Each operator is one row of `OPERATORS`. Keys must be paths of the JobTask resource, and no value
can carry a MongoDB operator of its own (`values`): the only operators in the output are the ones
written here."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from jobtask.domain import ERROR_FIELD_KINDS, FieldKind, field_kind
from jobtask.errors import (
    InvalidParameter,
    OperatorBooleanType,
    OperatorDictValueType,
    OperatorListValueType,
    OperatorValueType,
    RequiredParameter,
    UnsupportedOperator,
    shown,
)
from jobtask.query.dates import parse_iso, parse_timediff
from jobtask.query.model import Condition
from jobtask.query.values import (
    Document,
    Target,
    as_pattern,
    as_scalar,
    as_text,
    is_text_field,
    regex_document,
    reject_operators,
)

# SpaceONE's authorization hook filters by `user_projects`; it is the project_id field.
_KEY_ALIASES: Final[Mapping[str, str]] = {"user_projects": "project_id"}
_COMPARISONS: Final[Mapping[str, str]] = {"lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}


@dataclass(frozen=True, slots=True)
class Operator:
    build: Callable[[Target, Any], Document]
    takes_list: bool = False
    # contain_in & co. have no meaning for an empty list (SpaceONE answered ERROR_UNKNOWN).
    non_empty: bool = False


def _any_of(documents: list[Document]) -> Document:
    return documents[0] if len(documents) == 1 else {"$or": documents}


def _none_of(document: Document) -> Document:
    """The documents this one does not match. On a path through the errors array that is what
    MongoDB's `$not` and `$exists: false` mean (no element matches), but mongo-java-server reads
    those two element by element (some element does not match); `$nor` is right on both."""
    return {"$nor": [document]}


def _eq(t: Target, v: Any) -> Document:
    return {t.path: as_scalar(v, t)}


def _not(t: Target, v: Any) -> Document:
    return {t.path: {"$ne": as_scalar(v, t)}}


def _comparison(mongo_operator: str) -> Callable[[Target, Any], Document]:
    def build(t: Target, v: Any) -> Document:
        if t.kind is FieldKind.ERRORS:
            raise t.invalid("errors cannot be ordered: compare a path such as errors.error_code")
        return {t.path: {mongo_operator: as_scalar(v, t)}}

    return build


def _exists(t: Target, v: Any) -> Document:
    if not isinstance(v, bool):
        raise OperatorBooleanType("exists", {"key": t.path, "value": v, "operator": "exists"})
    return {t.path: {"$exists": True}} if v else _none_of({t.path: {"$exists": True}})


def _contain(t: Target, v: Any) -> Document:
    if is_text_field(t) and isinstance(v, str):
        return {t.path: as_pattern(v, t)}
    if t.kind is FieldKind.STRING:
        as_text(v, t)
    # On numbers and dates SpaceONE's contain is equality (and its not_contain crashed).
    return _eq(t, v)


def _not_contain(t: Target, v: Any) -> Document:
    if is_text_field(t) and isinstance(v, str):
        return _none_of({t.path: as_pattern(v, t)})
    if t.kind is FieldKind.STRING:
        as_text(v, t)
    return _not(t, v)


def _in(t: Target, v: list[Any]) -> Document:
    return {t.path: {"$in": [as_scalar(e, t) for e in v]}}


def _not_in(t: Target, v: list[Any]) -> Document:
    return {t.path: {"$nin": [as_scalar(e, t) for e in v]}}


def _contain_in(t: Target, v: list[Any]) -> Document:
    if not is_text_field(t):
        return _in(t, v)
    return _any_of([_contain(t, e) for e in v])


def _not_contain_in(t: Target, v: list[Any]) -> Document:
    # Contains none of the values. (SpaceONE ORed the negations: it excluded a task only when it
    # contained every value, which no reading of the name gives.)
    if not is_text_field(t):
        return _not_in(t, v)
    return {"$nor": [_contain(t, e) for e in v]}


def _match(t: Target, v: Any) -> Document:
    if not isinstance(v, Mapping):
        raise OperatorDictValueType("match", {"key": t.path, "value": v, "operator": "match"})
    if t.kind is not FieldKind.ERRORS:
        raise t.invalid("match applies to the errors array (or use a path such as errors.message)")
    return {t.path: {"$elemMatch": build_error_match(v, t)}}


def _regex_one(t: Target, v: Any) -> Document:
    return {t.path: regex_document(v, t)}


def _regex_in(t: Target, v: list[Any]) -> Document:
    return _any_of([{t.path: regex_document(e, t)} for e in v])


def _datetime(mongo_operator: str) -> Callable[[Target, Any], Document]:
    def build(t: Target, v: Any) -> Document:
        parsed = parse_iso(v) if isinstance(v, str) else None
        if parsed is None:
            raise t.invalid(f"the value must be an ISO 8601 date string, not {shown(v)}")
        return {t.path: {mongo_operator: parsed}}

    return build


def _timediff(mongo_operator: str) -> Callable[[Target, Any], Document]:
    def build(t: Target, v: Any) -> Document:
        computed = parse_timediff(v, t.now) if isinstance(v, str) else None
        if computed is None:
            raise t.invalid(
                f"{shown(v)} is not a time expression such as 'now/d - 7d' "
                "(base now, now/d, now/w or now/m; units s, m, h, d, w)"
            )
        return {t.path: {mongo_operator: computed}}

    return build


OPERATORS: Final[Mapping[str, Operator]] = {
    "eq": Operator(_eq),
    "not": Operator(_not),
    **{name: Operator(_comparison(mongo)) for name, mongo in _COMPARISONS.items()},
    "exists": Operator(_exists),
    "contain": Operator(_contain),
    "not_contain": Operator(_not_contain),
    "in": Operator(_in, takes_list=True),
    "not_in": Operator(_not_in, takes_list=True),
    "contain_in": Operator(_contain_in, takes_list=True, non_empty=True),
    "not_contain_in": Operator(_not_contain_in, takes_list=True, non_empty=True),
    "match": Operator(_match),
    "regex": Operator(_regex_one),
    "regex_in": Operator(_regex_in, takes_list=True, non_empty=True),
    **{f"datetime_{name}": Operator(_datetime(mongo)) for name, mongo in _COMPARISONS.items()},
    **{f"timediff_{name}": Operator(_timediff(mongo)) for name, mongo in _COMPARISONS.items()},
}


# SpaceONE (mongoengine) also accepted `error_code__in`-style suffixes inside match.
_MATCH_SUFFIXES: Final[Mapping[str, str]] = {
    "ne": "$ne",
    "lt": "$lt",
    "lte": "$lte",
    "gt": "$gt",
    "gte": "$gte",
    "in": "$in",
    "nin": "$nin",
    "exists": "$exists",
}


def build_error_match(value: Mapping[str, Any], target: Target) -> Document:
    """The `$elemMatch` body for `match` on errors, with keys and operators checked."""
    body: Document = {}
    for raw_key, inner in value.items():
        parts = str(raw_key).split("__")
        operator = _MATCH_SUFFIXES.get(parts[-1]) if len(parts) > 1 else None
        path = ".".join(parts[:-1] if operator else parts)
        if path.split(".")[0] not in ERROR_FIELD_KINDS or field_kind(f"errors.{path}") is None:
            raise target.invalid(
                f"{shown(raw_key)} is not a field of an error (error_code, message, additional)"
            )
        condition = {operator: inner} if operator else inner
        if isinstance(condition, Mapping) and any(str(k).startswith("$") for k in condition):
            _check_match_operators(condition, target)
        else:
            reject_operators(condition, target)
        body[path] = condition
    return body


def _list_operand(operand: Any, target: Target) -> None:
    if not isinstance(operand, list):
        raise target.invalid(f"$in and $nin in match take a list, not {shown(operand)}")
    reject_operators(operand, target)


def _boolean_operand(operand: Any, target: Target) -> None:
    if not isinstance(operand, bool):
        raise target.invalid(f"$exists in match takes true or false, not {shown(operand)}")


def _regex_operand(operand: Any, target: Target) -> None:
    regex_document(operand, target)


# MongoDB's own regex options (PCRE flags): case-insensitive, multi-line, extended, dot-all.
_REGEX_OPTIONS: Final[frozenset[str]] = frozenset("imxs")


def _options_operand(operand: Any, target: Target) -> None:
    if not isinstance(operand, str) or not set(operand) <= _REGEX_OPTIONS:
        raise target.invalid(
            f"$options in match is a string of the flags i, m, x and s, not {shown(operand)}"
        )


# Each operator allowed inside `match`, with the check of its operand.
_MATCH_OPERATORS: Final[Mapping[str, Callable[[Any, Target], None]]] = {
    **dict.fromkeys(("$eq", "$ne", "$gt", "$gte", "$lt", "$lte"), reject_operators),
    "$in": _list_operand,
    "$nin": _list_operand,
    "$exists": _boolean_operand,
    "$regex": _regex_operand,
    "$options": _options_operand,
}


def _check_match_operators(condition: Mapping[str, Any], target: Target) -> None:
    for op, operand in condition.items():
        check = _MATCH_OPERATORS.get(op)
        if check is None:
            raise target.invalid(f"operator {shown(op)} is not allowed in match")
        check(operand, target)
    if "$options" in condition and "$regex" not in condition:
        raise target.invalid("$options in match needs a $regex beside it")


def build_condition(condition: Condition, *, where: str, now: datetime) -> Document:
    """One condition as a MongoDB query document, validated in SpaceONE's order."""
    operator = OPERATORS.get(condition.operator)
    if operator is None:
        raise UnsupportedOperator(condition.operator, sorted(OPERATORS))
    value = condition.value
    sent = {"key": condition.key, "value": value, "operator": condition.operator}
    if operator.takes_list:
        if not isinstance(value, list) or (operator.non_empty and not value):
            raise OperatorListValueType(condition.operator, sent)
    elif isinstance(value, list):
        raise OperatorValueType(condition.operator, sent)
    if not condition.key:
        raise RequiredParameter(f"{where}.key")
    path = _KEY_ALIASES.get(condition.key, condition.key)
    kind = field_kind(path)
    if kind is None:
        raise InvalidParameter(
            f"{where}.key", f"{shown(condition.key)} is not a field of a job task"
        )
    return operator.build(Target(path, kind, where, now), value)


def build_filter(
    conditions: Sequence[Condition],
    conditions_or: Sequence[Condition] = (),
    *,
    now: datetime,
    prefix: str = "query",
) -> Document:
    """AND of `filter`, AND the OR of `filter_or`; {} when both are empty."""
    all_of = [
        build_condition(c, where=f"{prefix}.filter[{i}]", now=now) for i, c in enumerate(conditions)
    ]
    any_of = [
        build_condition(c, where=f"{prefix}.filter_or[{i}]", now=now)
        for i, c in enumerate(conditions_or)
    ]
    if any_of:
        all_of.append(_any_of(any_of))
    return all_of_documents(all_of)


def all_of_documents(documents: Sequence[Document]) -> Document:
    """AND of query documents: one flat document when their keys differ (SpaceONE's shape, and
    cheaper to plan), `$and` only when two of them constrain the same key."""
    documents = [d for d in documents if d]
    merged: Document = {}
    for document in documents:
        if merged.keys() & document.keys():
            return {"$and": documents}
        merged.update(document)
    return merged
