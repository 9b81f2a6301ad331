"""stat's plan, beside list's (`list_plan`): a StatisticsQuery's stages -> one aggregation
pipeline (scope first, then the stages, then the answer's window), and the rows read back as a
`StatResult`. Pure: plain dicts and lists that pymongo accepts."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from jobtask.domain import FieldKind, field_kind
from jobtask.errors import InvalidParameter, RequiredParameter, UnsupportedOperator
from jobtask.query.aggregate import (
    GROUP_OPERATORS,
    TOTAL,
    Context,
    Document,
    Names,
    Shape,
    Step,
    accumulator,
    group_key,
    resolve,
)
from jobtask.query.filters import build_filter
from jobtask.query.model import Page
from jobtask.query.stat_model import (
    AggregateCount,
    AggregateGroup,
    AggregateLimit,
    AggregateProject,
    AggregateSkip,
    AggregateSort,
    AggregateUnwind,
    Stage,
    StatisticsQuery,
)


def _group(stage: AggregateGroup, context: Context) -> Step:
    where = context.where
    if not stage.keys and not stage.fields:
        raise InvalidParameter(where, "a group needs keys, fields or both")
    names = Names()
    keys: Document = {}
    for index, key in enumerate(stage.keys):
        at = f"{where}.keys[{index}]"
        expression = group_key(key, context, at)
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
        accumulators[name] = accumulator(rule, group_field, context.shape, at)
    # Only this group's keys are group keys from here on (SpaceONE kept every earlier group's).
    shape = Shape(stored=False, group_keys=frozenset(keys), names=frozenset(accumulators))
    return Step({"$group": {"_id": keys, **accumulators}}, shape)


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
    names = Names()
    body: Document = {}
    for index, project_field in enumerate(stage.fields):
        at = f"{where}.fields[{index}]"
        operator = _project_operator(project_field.operator, f"{at}.operator")
        name = names.add(project_field.name, f"{at}.name")
        expression = resolve(project_field.key, shape, f"{at}.key").expression
        body[name] = expression if operator is None else {operator: expression}
    # Without exclude_keys `_id` stays, and with it the group keys.
    group_keys = shape.group_keys
    if stage.exclude_keys:
        body["_id"] = 0
        group_keys = frozenset()
    return Step({"$project": body}, Shape(False, group_keys, frozenset(names.taken)))


def _unwind(stage: AggregateUnwind, context: Context) -> Step:
    """$unwind, then (core.v2) the rows that meet the unwind's filter. The filter is a list
    filter (its operators, checks and meanings) over the job task's fields, so it may follow
    only stages that keep them (unwinds, sorts, limits, skips)."""
    where, shape = context.where, context.shape
    path = resolve(stage.path, shape, f"{where}.path")
    unwind = {"$unwind": path.expression}
    if not stage.filter:
        return Step(unwind, shape)
    if not shape.stored:
        raise InvalidParameter(
            f"{where}.filter",
            "an unwind's filter reads the job task's fields: unwind before any group, project "
            "or count",
        )
    match = build_filter(stage.filter, now=context.now, prefix=where)
    return Step(unwind, shape, then={"$match": match})


def _count(stage: AggregateCount, context: Context) -> Step:
    name = Names().add(stage.name, f"{context.where}.name")
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
    order = {resolve(key, context.shape, at).path: -1 if desc else 1 for key, desc, at in keys}
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


def build_stages(
    aggregate: Sequence[Stage], *, timezone: str, now: datetime | None = None
) -> list[Document]:
    """The MongoDB stages for `query.aggregate`, in order, each checked against what precedes it.
    `now`: what timediff conditions count from (the current time if not given)."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    shape = Shape()
    stages: list[Document] = []
    for index, stage in enumerate(aggregate):
        rule = STAGES.get(type(stage))
        if rule is None:
            names = ", ".join(r.name for r in STAGES.values())
            raise InvalidParameter(f"query.aggregate[{index}]", f"set one stage of: {names}")
        where = f"query.aggregate[{index}].{rule.name}"
        step = rule.build(stage, Context(shape, where, timezone, now))
        stages.append(step.stage)
        if step.then is not None:
            stages.append(step.then)
        shape = step.shape
    return stages


def build_distinct(path: str) -> list[Document]:
    """Distinct values of a field, sorted by the database; array elements count one by one."""
    reference = resolve(path, Shape(), "query.distinct")
    head = reference.path.split(".", 1)[0]
    unwind: list[Document] = []
    if field_kind(head) is FieldKind.ERRORS:
        # A path through the array reads every element only once the array is unwound.
        unwind = [{"$unwind": {"path": f"${head}", "preserveNullAndEmptyArrays": False}}]
    return [*unwind, {"$group": {"_id": reference.expression}}, {"$sort": {"_id": 1}}]


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
        return [{"$facet": {"results": results, "total": [{"$count": TOTAL}]}}], True
    # One row more than allowed tells "too many" apart from "exactly the maximum".
    return [*skip, {"$limit": max_rows + 1}], False


def build_pipeline(
    query: StatisticsQuery,
    *,
    match: Document,
    timezone: str,
    max_rows: int,
    now: datetime | None = None,
) -> StatPlan:
    """[$match, the aggregate stages (or distinct's), then the page or the row cap]."""
    distinct = not query.aggregate
    stages = (
        build_distinct(query.distinct)
        if distinct
        else build_stages(query.aggregate, timezone=timezone, now=now)
    )
    window, paged = _window(query.page, max_rows)
    return StatPlan([{"$match": match}, *stages, *window], paged, distinct, max_rows)


def _row(document: Document) -> Document:
    """Group keys lifted out of `_id`, then the document's other names in their order; a stored
    document's own `_id` is never shown. The row is built once, in place: the `_id` document
    itself, the other names added to it (a new dict per row and a filtered copy of the rest
    cost four times as much; see docs/performance.md)."""
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
        total = facet.get("total") or [{TOTAL: 0}]
        total_count = int(total[0][TOTAL])
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
