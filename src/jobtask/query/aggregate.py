"""SpaceONE StatisticsQuery -> one MongoDB aggregation pipeline, and its documents -> result rows.

One row per stage (`STAGES`) and per operator (`GROUP_OPERATORS`, `CONDITION_OPERATORS`,
`PROJECT_OPERATORS`, `DATE_PARTS`). Every path a stage reads is a field of the job task or a name
an earlier stage made, every name it writes is checked, and request values stay literals, so
nothing a client sends can become a MongoDB operator.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from jobtask.domain import FieldKind, field_kind
from jobtask.errors import InvalidParameter, RequiredParameter, UnsupportedOperator, shown
from jobtask.query.model import Condition, Page
from jobtask.query.stat_model import (
    AggregateCount,
    AggregateGroup,
    AggregateGroupField,
    AggregateGroupKey,
    AggregateGroupSubField,
    AggregateLimit,
    AggregateProject,
    AggregateSkip,
    AggregateSort,
    AggregateUnwind,
    Stage,
    StatisticsQuery,
)

Document = dict[str, Any]

# A path segment: not empty, no '$' (operators, variables), no NUL. Dots separate segments.
_SEGMENT: Final = re.compile(r"^[^$\x00.]+$")
_TOTAL: Final = "n"


# ---------------------------------------------------------------------------------------------
# What flows between stages


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


@dataclass(frozen=True, slots=True)
class Step:
    stage: Document
    shape: Shape


def _resolve(key: str, shape: Shape, where: str) -> Reference:
    """A key as the path it reads: a stage-made name, `_id.<group key>`, or a stored field."""
    if not key:
        raise RequiredParameter(where)
    segments = key.split(".")
    if not all(_SEGMENT.match(s) for s in segments):
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


class _Names:
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


# ---------------------------------------------------------------------------------------------
# group: keys, accumulators and their conditions

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


def _group_key(key: AggregateGroupKey, context: Context, where: str) -> Any:
    reference = _resolve(key.key, context.shape, f"{where}.key")
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
    expression = _resolve(condition.key, shape, f"{where}.key").expression
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
    names = _Names()
    pushed: Document = {}
    for index, sub_field in enumerate(fields):
        at = f"{where}.fields[{index}]"
        expression = _resolve(sub_field.key, shape, f"{at}.key").expression
        pushed[names.add(sub_field.name, f"{at}.name")] = expression
    return pushed


def _accumulated(
    rule: Accumulator, group_field: AggregateGroupField, shape: Shape, where: str
) -> Any:
    key = _resolve(group_field.key, shape, f"{where}.key").expression if group_field.key else None
    if group_field.fields:
        return _sub_fields(group_field.fields, shape, where)
    if key is not None or not rule.needs_key:
        return key
    if rule.takes_fields:
        raise InvalidParameter(
            f"{where}.key", "push needs a key (to push its values) or fields (to push objects)"
        )
    raise RequiredParameter(f"{where}.key")


def _accumulator(
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


def _group(stage: AggregateGroup, context: Context) -> Step:
    where = context.where
    if not stage.keys and not stage.fields:
        raise InvalidParameter(where, "a group needs keys, fields or both")
    names = _Names()
    keys: Document = {}
    for index, key in enumerate(stage.keys):
        at = f"{where}.keys[{index}]"
        expression = _group_key(key, context, at)
        keys[names.add(key.name, f"{at}.name")] = expression
    accumulators: Document = {}
    for index, group_field in enumerate(stage.fields):
        at = f"{where}.fields[{index}]"
        rule = GROUP_OPERATORS.get(group_field.operator)
        if rule is None:
            raise UnsupportedOperator(
                group_field.operator, list(GROUP_OPERATORS), key=f"{at}.operator"
            )
        name = names.add(group_field.name, f"{at}.name")
        accumulators[name] = _accumulator(rule, group_field, context.shape, at)
    # Only this group's keys are group keys from here on (SpaceONE kept every earlier group's).
    shape = Shape(stored=False, group_keys=frozenset(keys), names=frozenset(accumulators))
    return Step({"$group": {"_id": keys, **accumulators}}, shape)


# ---------------------------------------------------------------------------------------------
# project

PROJECT_OPERATORS: Final[Mapping[str, str | None]] = {
    "": None,  # the value itself
    "size": "$size",
    "array_to_object": "$arrayToObject",
    "object_to_array": "$objectToArray",
    "sum": "$sum",  # core 1.12
}
# core.v1's AggregateProjectField has no operand field, so these can never get their operands.
OPERAND_OPERATORS: Final[frozenset[str]] = frozenset({"add", "subtract", "multiply", "divide"})


def _project_operator(operator: str, where: str) -> str | None:
    if operator in OPERAND_OPERATORS:
        raise InvalidParameter(
            where, f"{operator} needs operands, which core.v1's AggregateProjectField cannot carry"
        )
    if operator not in PROJECT_OPERATORS:
        raise UnsupportedOperator(operator, [o for o in PROJECT_OPERATORS if o], key=where)
    return PROJECT_OPERATORS[operator]


def _project(stage: AggregateProject, context: Context) -> Step:
    where, shape = context.where, context.shape
    if not stage.fields:
        raise RequiredParameter(f"{where}.fields")
    names = _Names()
    body: Document = {}
    for index, project_field in enumerate(stage.fields):
        at = f"{where}.fields[{index}]"
        operator = _project_operator(project_field.operator, f"{at}.operator")
        name = names.add(project_field.name, f"{at}.name")
        expression = _resolve(project_field.key, shape, f"{at}.key").expression
        body[name] = expression if operator is None else {operator: expression}
    # Without exclude_keys `_id` stays, and with it the group keys.
    group_keys = shape.group_keys
    if stage.exclude_keys:
        body["_id"] = 0
        group_keys = frozenset()
    return Step({"$project": body}, Shape(False, group_keys, frozenset(names.taken)))


# ---------------------------------------------------------------------------------------------
# The other stages


def _unwind(stage: AggregateUnwind, context: Context) -> Step:
    path = _resolve(stage.path, context.shape, f"{context.where}.path")
    return Step({"$unwind": path.expression}, context.shape)


def _count(stage: AggregateCount, context: Context) -> Step:
    name = _Names().add(stage.name, f"{context.where}.name")
    # MongoDB's $count: one {name: n} document, none for no input. A $group over one null key
    # answers the same, where the real engine's $count gives {name: 0} for no input.
    counted = {"$group": {"_id": None, name: {"$sum": 1}}}
    return Step(counted, Shape(stored=False, names=frozenset({name})))


def _sort(stage: AggregateSort, context: Context) -> Step:
    where = context.where
    if stage.key:
        keys = [(stage.key, stage.desc, f"{where}.key")]
    else:
        keys = [(k.key, k.desc, f"{where}.keys[{i}].key") for i, k in enumerate(stage.keys)]
    if not keys:
        raise RequiredParameter(f"{where}.key")
    order = {_resolve(key, context.shape, at).path: -1 if desc else 1 for key, desc, at in keys}
    return Step({"$sort": order}, context.shape)


def _limit(stage: AggregateLimit, context: Context) -> Step:
    if stage.value < 1:
        raise InvalidParameter(context.where, f"must be at least 1, not {stage.value}")
    return Step({"$limit": stage.value}, context.shape)


def _skip(stage: AggregateSkip, context: Context) -> Step:
    if stage.value < 0:
        raise InvalidParameter(context.where, f"must not be negative, not {stage.value}")
    return Step({"$skip": stage.value}, context.shape)


@dataclass(frozen=True, slots=True)
class StageRule:
    name: str
    build: Callable[[Any, Context], Step]


STAGES: Final[Mapping[type[Any], StageRule]] = {
    AggregateUnwind: StageRule("unwind", _unwind),
    AggregateGroup: StageRule("group", _group),
    AggregateCount: StageRule("count", _count),
    AggregateSort: StageRule("sort", _sort),
    AggregateProject: StageRule("project", _project),
    AggregateLimit: StageRule("limit", _limit),
    AggregateSkip: StageRule("skip", _skip),
}


def build_stages(aggregate: Sequence[Stage], *, timezone: str) -> list[Document]:
    """The MongoDB stages for `query.aggregate`, in order, each checked against what precedes it."""
    shape = Shape()
    stages: list[Document] = []
    for index, stage in enumerate(aggregate):
        rule = STAGES.get(type(stage))
        if rule is None:
            names = ", ".join(r.name for r in STAGES.values())
            raise InvalidParameter(f"query.aggregate[{index}]", f"set one stage of: {names}")
        step = rule.build(stage, Context(shape, f"query.aggregate[{index}].{rule.name}", timezone))
        stages.append(step.stage)
        shape = step.shape
    return stages


def build_distinct(path: str) -> list[Document]:
    """Distinct values of a field, sorted by the database; array elements count one by one."""
    reference = _resolve(path, Shape(), "query.distinct")
    head = reference.path.split(".", 1)[0]
    unwind: list[Document] = []
    if field_kind(head) is FieldKind.ERRORS:
        # A path through the array reads every element only once the array is unwound.
        unwind = [{"$unwind": {"path": f"${head}", "preserveNullAndEmptyArrays": False}}]
    return [*unwind, {"$group": {"_id": reference.expression}}, {"$sort": {"_id": 1}}]


# ---------------------------------------------------------------------------------------------
# The whole pipeline and its result


@dataclass(frozen=True, slots=True)
class StatPlan:
    pipeline: list[Document]
    paged: bool  # the rows come back inside one $facet document, next to their total
    distinct: bool  # each row's _id is one distinct value
    max_rows: int


@dataclass(frozen=True, slots=True)
class StatResult:
    results: list[Any] = field(default_factory=list)
    total_count: int | None = None  # only for a paged query


def _window(page: Page, max_rows: int) -> tuple[list[Document], bool]:
    if page.limit > max_rows:
        raise InvalidParameter(
            "query.page.limit", f"{page.limit} is more than the maximum of {max_rows} rows"
        )
    skip = [{"$skip": page.start - 1}] if page.start > 1 else []
    if page.limit:
        results = [*skip, {"$limit": page.limit}]
        return [{"$facet": {"results": results, "total": [{"$count": _TOTAL}]}}], True
    # One row more than allowed tells "too many" apart from "exactly the maximum".
    return [*skip, {"$limit": max_rows + 1}], False


def build_pipeline(
    query: StatisticsQuery, *, match: Document, timezone: str, max_rows: int
) -> StatPlan:
    """[$match, the aggregate stages (or distinct's), then the page or the row cap]."""
    distinct = not query.aggregate
    stages = (
        build_distinct(query.distinct)
        if distinct
        else build_stages(query.aggregate, timezone=timezone)
    )
    window, paged = _window(query.page, max_rows)
    return StatPlan([{"$match": match}, *stages, *window], paged, distinct, max_rows)


def _row(document: Document) -> Document:
    """Group keys lifted out of `_id`, then the document's other names in their order; a stored
    document's own `_id` is never shown. The row is built once, in place: the `_id` document
    itself, the other names added to it (a new dict per row and a filtered copy of the rest
    cost four times as much: 0.24 against 0.05 ms for 300 rows)."""
    keys = document.pop("_id", None)
    if type(keys) is dict:
        keys.update(document)
        return keys
    if isinstance(keys, Mapping):
        return {**keys, **document}
    return document


def read_result(plan: StatPlan, documents: Sequence[Document]) -> StatResult:
    """The rows (and total) of what the pipeline returned; past the row cap it is an error.
    The documents are the caller's to give up: their rows are made of them (see `_row`)."""
    total_count: int | None = None
    if plan.paged:
        facet = documents[0] if documents else {}
        rows = list(facet.get("results", []))
        total = facet.get("total") or [{_TOTAL: 0}]
        total_count = int(total[0][_TOTAL])
    else:
        rows = list(documents)
        if len(rows) > plan.max_rows:
            raise InvalidParameter(
                "query.page.limit",
                f"the statistics have more than {plan.max_rows} rows: page through them with "
                "query.page.limit, or narrow them with a filter or a limit stage",
            )
    if plan.distinct:
        return StatResult([row.get("_id") for row in rows], total_count)
    return StatResult([_row(row) for row in rows], total_count)
