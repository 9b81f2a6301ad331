"""A list that is an aggregation pipeline: core.v2's `unwind` (one row per element of an array,
kept when it meets the unwind's filter) and `add_fields` (fields of the job task computed per
row), as SpaceONE 2.x's MongoModel runs them, with its results; pure, no pymongo.

The pipeline after the caller's `$match` is: $unwind (with the element's index, the last
tie-breaker of the order), the unwind filter's $match, then $sort, $skip, $limit and the
projection, with $addFields before the sort when the order reads a field it sets and after the
page otherwise (then it runs on the page's rows only, and the sort can walk an index).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from jobtask.domain import FIELD_KINDS, PATH_SEGMENT, FieldKind, field_kind
from jobtask.errors import InvalidParameter, shown
from jobtask.query.filters import build_filter
from jobtask.query.model import Query, Unwind
from jobtask.query.options import Projection, Sort, Window
from jobtask.query.values import Document

# Each unwound row's place in its task's array: unique with the id, so pages never repeat or
# skip a row. Projected away (unwind needs `only`, so every unwound list projects).
UNWIND_INDEX: Final = "_unwind_index"
TOTAL: Final = "n"

# The expression operators add_fields may use: comparisons, logic, conditionals, arithmetic and
# a few of arrays and strings, each one both databases run. Not: $function and $accumulator
# (server-side code), $regexMatch & co. (patterns the database runs unchecked), $range and
# the like (values of unbounded size), variables ($$ROOT, ...).
EXPRESSION_OPERATORS: Final[frozenset[str]] = frozenset(
    {
        *("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$cmp"),
        *("$and", "$or", "$not", "$cond", "$ifNull"),
        *("$add", "$subtract", "$multiply", "$abs"),
        *("$size", "$in", "$concat", "$toLower", "$toUpper", "$literal"),
    }
)
_CONDITIONAL: Final = frozenset({"if", "then", "else"})


@dataclass(frozen=True, slots=True)
class ListPipeline:
    """`rows`: the stages after the caller's $match giving the page; `count`: those counting
    every row (None: the matching tasks are the rows, counted as a find's); `unwound`: the path
    each row holds one element of (rendered as a list of it, as SpaceONE does), or ""."""

    rows: list[Document]
    count: list[Document] | None
    unwound: str


def _unwind_stages(unwind: Unwind, now: datetime) -> list[Document]:
    if field_kind(unwind.path) is not FieldKind.ERRORS:
        raise InvalidParameter(
            "query.unwind.path",
            f"{shown(unwind.path)} is not an array of a job task (errors is the one there is)",
        )
    stages: list[Document] = [
        {"$unwind": {"path": f"${unwind.path}", "includeArrayIndex": UNWIND_INDEX}}
    ]
    for condition in unwind.filter:
        if condition.key == unwind.path and condition.operator == "match":
            raise InvalidParameter(
                "query.unwind.filter",
                "after the unwind each row holds one error: filter its paths "
                "(errors.error_code, ...), not the array with match",
            )
    if match := build_filter(unwind.filter, now=now, prefix="query.unwind"):
        stages.append({"$match": match})
    return stages


def _field_reference(value: str, where: str) -> None:
    if value.startswith("$$"):
        raise InvalidParameter(where, f"{shown(value)}: variables are not served, only fields")
    if field_kind(value[1:]) is None:
        raise InvalidParameter(where, f"{shown(value)} is not a field of a job task")


def _check_expression(value: Any, where: str) -> None:
    """A MongoDB expression of allowed operators over the job task's own fields (an iterative
    walk: the value's depth was checked, but its width is the client's). Inside `$literal`
    nothing is evaluated; its objects' keys are still keys BSON and a path can carry."""
    pending: list[tuple[Any, bool]] = [(value, False)]  # (value, inside $literal)
    while pending:
        current, literal = pending.pop()
        if isinstance(current, str) and current.startswith("$") and not literal:
            _field_reference(current, where)
        elif isinstance(current, list):
            pending.extend((inner, literal) for inner in current)
        elif isinstance(current, Mapping):
            operators = [] if literal else [k for k in current if str(k).startswith("$")]
            if operators:
                operator = _operator(current, operators[0], where)
                # $literal's operand is a value, never evaluated.
                pending.append((current[operator], operator == "$literal"))
                continue
            for key, inner in current.items():
                if not PATH_SEGMENT.match(str(key)):
                    raise InvalidParameter(where, f"{shown(key)} cannot be an object's key")
                pending.append((inner, literal))


def _operator(expression: Mapping[str, Any], operator: str, where: str) -> str:
    """The one operator of an expression object, if add_fields takes it."""
    if len(expression) > 1 or operator not in EXPRESSION_OPERATORS:
        allowed = ", ".join(sorted(EXPRESSION_OPERATORS))
        raise InvalidParameter(
            where,
            f"{shown(operator)} is not an expression add_fields takes (an object with an "
            f"operator has that one key, one of: {allowed})",
        )
    return operator


def _expression(value: Any, where: str) -> Any:
    """SpaceONE 2.x's add_fields value: an object is its conditional `{if, then, else}` (the
    `if` object's keys written with `__` for `$`: `{"__gt": [...]}`; `then` and `else` are
    values of this same form), anything else the expression itself (`"$provider"`, a literal)."""
    if not isinstance(value, Mapping):
        _check_expression(value, where)
        return value
    if set(value) != _CONDITIONAL:
        raise InvalidParameter(
            where, "an object in add_fields is a conditional: {if, then, else}, each given"
        )
    condition = value["if"]
    if isinstance(condition, Mapping):
        condition = {str(k).replace("__", "$"): v for k, v in condition.items()}
    _check_expression(condition, f"{where}.if")
    return {
        "$cond": {
            "if": condition,
            "then": _expression(value["then"], f"{where}.then"),
            "else": _expression(value["else"], f"{where}.else"),
        }
    }


def build_add_fields(add_fields: Mapping[str, Any]) -> Document:
    """The $addFields body: each name a top-level field of the job task (SpaceONE's model
    refuses any other), each value checked."""
    body: Document = {}
    for name, value in add_fields.items():
        where = f"query.add_fields.{name}"
        if name not in FIELD_KINDS:
            raise InvalidParameter(
                "query.add_fields", f"{shown(name)} is not a field of a job task"
            )
        body[name] = _expression(value, where)
    return body


def _reads(sort: Sort, names: Mapping[str, Any]) -> bool:
    return any(key.split(".", 1)[0] in names for key, _ in sort)


def build_list_pipeline(
    query: Query, *, sort: Sort, window: Window, projection: Projection, now: datetime
) -> ListPipeline | None:
    """The stages after the $match of a list with `unwind` or `add_fields`; None for neither
    (a find). `sort`, `window` and `projection` are the list's own, already checked."""
    if query.unwind is None and not query.add_fields:
        return None
    if query.unwind is not None and not query.only:
        raise InvalidParameter(
            "query.only", "unwind needs only: name the fields each unwound row shows"
        )
    unwind = _unwind_stages(query.unwind, now) if query.unwind is not None else []
    added = build_add_fields(query.add_fields)
    order = [*sort, (UNWIND_INDEX, 1)] if unwind else sort
    before = [{"$addFields": added}] if added and _reads(sort, added) else []
    after = [{"$addFields": added}] if added and not before else []
    page: list[Document] = [
        *([{"$skip": window.skip}] if window.skip else []),
        *([{"$limit": window.limit}] if window.limit else []),
    ]
    rows = [
        *unwind,
        *before,
        {"$sort": dict(order)},
        *page,
        *after,
        *([{"$project": projection}] if projection else []),
    ]
    count = [*unwind, {"$group": {"_id": None, TOTAL: {"$sum": 1}}}] if unwind else None
    return ListPipeline(rows, count, query.unwind.path if query.unwind is not None else "")


def read_total(documents: Sequence[Document]) -> int:
    """The total a count pipeline returned (no row: nothing matched)."""
    return int(documents[0][TOTAL]) if documents else 0


def read_rows(pipeline: ListPipeline, documents: list[Document]) -> list[Document]:
    """The rows as stored documents: the unwound element back in a list of one (SpaceONE's
    rendering of an unwound row). The documents are the caller's to give up."""
    path = pipeline.unwound
    if path:
        for document in documents:
            if path in document:
                document[path] = [document[path]]
    return documents
