"""SpaceONE 1.x wire requests -> our domain values: the proto `Query`/`StatisticsQuery` into the
typed query models (the `k`/`key`, `v`/`value`, `o`/`operator` aliases resolved here, once), list
and stat requests, and the writer's requests (new task, progress, outcome)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from google.protobuf import struct_pb2

from jobtask.domain import (
    COUNTERS,
    IDENTITY_FIELDS,
    QUERY_FILTERS,
    JobTaskStatus,
    Limits,
    TaskError,
    on_line,
)
from jobtask.errors import InvalidParameter
from jobtask.query.limits import DEFAULT_LIMITS, check_counts, check_list_lengths
from jobtask.query.model import Condition, Page, Query, SortKey
from jobtask.query.stat_model import (
    AggregateCount,
    AggregateGroup,
    AggregateGroupField,
    AggregateGroupKey,
    AggregateGroupSubField,
    AggregateLimit,
    AggregateProject,
    AggregateProjectField,
    AggregateSkip,
    AggregateSort,
    AggregateUnwind,
    Stage,
    StatisticsQuery,
)
from jobtask.services.collector import NewTask, Progress
from jobtask.services.reads import ListRequest, StatRequest
from jobtask_internal.v1 import job_task_writer_pb2
from spaceone.api.core.v1 import query_pb2
from spaceone.api.inventory.v1 import collector_pb2, job_task_pb2

_QUERY_STATUS_ENUM = job_task_pb2.JobTaskQuery.JobTaskStatus


def _alias(message: Any, group: str) -> Any:
    """The member of a oneof alias group the client set (key or k, ...), or None."""
    member = message.WhichOneof(group)
    return None if member is None else getattr(message, member)


def to_value(value: struct_pb2.Value | None) -> Any:
    """A google.protobuf.Value as plain Python (numbers arrive as floats); unset is None.

    NaN and ±Infinity are kept as they are (json_format would raise on them), for the one value
    check (`jobtask.query.limits`) to refuse them as the client's mistake. Protobuf's decoder
    bounds the nesting, so the recursion is bounded too.
    """
    if value is None:
        return None
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return to_object(value.struct_value)
    if kind == "list_value":
        return [to_value(v) for v in value.list_value.values]
    if kind is None or kind == "null_value":
        return None
    return getattr(value, kind)


def to_object(struct: struct_pb2.Struct) -> dict[str, Any]:
    """A google.protobuf.Struct as a plain dict (see to_value)."""
    return {key: to_value(inner) for key, inner in struct.fields.items()}


def to_condition(message: query_pb2.Filter | query_pb2.AggregateSubCondition) -> Condition:
    return Condition(
        key=_alias(message, "key_alias") or "",
        value=to_value(_alias(message, "value_alias")),
        operator=_alias(message, "operator_alias") or "",
    )


def to_sort(message: query_pb2.Sort) -> tuple[SortKey, ...]:
    # SpaceONE: a sort.key wins over sort.keys.
    if message.key:
        return (SortKey(message.key, message.desc),)
    return tuple(SortKey(k.key, k.desc) for k in message.keys)


def _list_lengths(
    message: query_pb2.Query | query_pb2.StatisticsQuery,
) -> Iterator[tuple[str, int]]:
    """The length of each condition value that is a list (filter, filter_or, a stat group's
    field conditions), read off the message before any value is converted."""
    conditions: list[tuple[str, query_pb2.Filter | query_pb2.AggregateSubCondition]] = [
        (f"query.{name}[{index}]", condition)
        for name in ("filter", "filter_or")
        for index, condition in enumerate(getattr(message, name))
    ]
    for index, stage in enumerate(getattr(message, "aggregate", ())):
        if stage.WhichOneof("aggregate_alias") == "group":
            at = f"query.aggregate[{index}].group.fields"
            for number, field in enumerate(stage.group.fields):
                conditions.extend(
                    (f"{at}[{number}].conditions[{k}]", c) for k, c in enumerate(field.conditions)
                )
    for where, condition in conditions:
        value = _alias(condition, "value_alias")
        if value is not None and value.WhichOneof("kind") == "list_value":
            yield f"{where}.value", len(value.list_value.values)


def to_query(message: query_pb2.Query, limits: Limits = DEFAULT_LIMITS) -> Query:
    check_counts(len(message.filter), len(message.filter_or), 0, limits)
    check_list_lengths(_list_lengths(message), limits)
    return Query(
        filter=tuple(to_condition(f) for f in message.filter),
        filter_or=tuple(to_condition(f) for f in message.filter_or),
        sort=to_sort(message.sort),
        page=Page(start=message.page.start, limit=message.page.limit),
        minimal=message.minimal,
        count_only=message.count_only,
        only=tuple(message.only),
        keyword=message.keyword,
    )


def to_status(number: int) -> JobTaskStatus | None:
    if number == _QUERY_STATUS_ENUM.JOB_TASK_STATE_NONE:
        return None
    try:
        return JobTaskStatus(_QUERY_STATUS_ENUM.Name(number))
    except ValueError:
        raise InvalidParameter("status", f"unknown status number {number}") from None


def to_list_request(
    message: job_task_pb2.JobTaskQuery, limits: Limits = DEFAULT_LIMITS
) -> ListRequest:
    return ListRequest(
        query=to_query(message.query, limits),
        status=to_status(message.status),
        # 1.x's JobTaskQuery has no workspace_id: never given on this line.
        **{name: getattr(message, name) for name in on_line(QUERY_FILTERS, 1) if name != "status"},
    )


def _key_and_name(message: Any) -> tuple[str, str]:
    """A stage part's `key` (or `k`) and `name` (or `n`)."""
    return _alias(message, "key_alias") or "", _alias(message, "name_alias") or ""


def _operator(message: Any) -> str:
    return _alias(message, "operator_alias") or ""


def _group_field(message: query_pb2.AggregateGroupField) -> AggregateGroupField:
    key, name = _key_and_name(message)
    return AggregateGroupField(
        key=key,
        name=name,
        operator=_operator(message),
        fields=tuple(AggregateGroupSubField(*_key_and_name(f)) for f in message.fields),
        # AggregateSubCondition has Filter's shape and aliases.
        conditions=tuple(to_condition(c) for c in message.conditions),
    )


def _group(message: query_pb2.AggregateGroup) -> AggregateGroup:
    return AggregateGroup(
        keys=tuple(AggregateGroupKey(*_key_and_name(k), k.date_format) for k in message.keys),
        fields=tuple(_group_field(f) for f in message.fields),
    )


def _project(message: query_pb2.AggregateProject) -> AggregateProject:
    return AggregateProject(
        fields=tuple(
            AggregateProjectField(*_key_and_name(f), _operator(f)) for f in message.fields
        ),
        exclude_keys=message.exclude_keys,
    )


_STAGES: Mapping[str, Callable[[Any], Stage]] = {
    "unwind": lambda m: AggregateUnwind(m.path),
    "group": _group,
    "count": lambda m: AggregateCount(m.name),
    "sort": lambda m: AggregateSort(m.key, m.desc, tuple(SortKey(k.key, k.desc) for k in m.keys)),
    "project": _project,
    "limit": AggregateLimit,
    "skip": AggregateSkip,
}


def to_stage(message: query_pb2.StatisticsAggregate) -> Stage:
    """The one stage the client set in the oneof (even if empty, or limit 0); None if none."""
    which = message.WhichOneof("aggregate_alias")
    return None if which is None else _STAGES[which](getattr(message, which))


def to_statistics_query(
    message: query_pb2.StatisticsQuery, limits: Limits = DEFAULT_LIMITS
) -> StatisticsQuery:
    check_counts(len(message.filter), len(message.filter_or), len(message.aggregate), limits)
    check_list_lengths(_list_lengths(message), limits)
    return StatisticsQuery(
        filter=tuple(to_condition(f) for f in message.filter),
        filter_or=tuple(to_condition(f) for f in message.filter_or),
        aggregate=tuple(to_stage(a) for a in message.aggregate),
        page=Page(start=message.page.start, limit=message.page.limit),
        distinct=message.distinct,
        keyword=message.keyword,
    )


def to_stat_request(
    message: job_task_pb2.JobTaskStatQuery, *, timezone: str = "", limits: Limits = DEFAULT_LIMITS
) -> StatRequest:
    """`limits`: the counts are checked before any value is converted (see check_counts)."""
    # A query that was set, even empty, is present (SpaceONE then asks for aggregate).
    query = to_statistics_query(message.query, limits) if message.HasField("query") else None
    return StatRequest(query=query, timezone=timezone)


def to_new_task(message: job_task_writer_pb2.CreateJobTaskRequest, domain_id: str) -> NewTask:
    """`domain_id`: the call's scope (the request's own, authorized)."""
    return NewTask(
        job_task_id=message.job_task_id,
        domain_id=domain_id,
        **{name: getattr(message, name) for name in IDENTITY_FIELDS if name != "domain_id"},
    )


def to_task_error(message: collector_pb2.ErrorInfo) -> TaskError:
    return TaskError(
        error_code=message.error_code,
        message=message.message,
        additional=to_object(message.additional),
    )


def to_progress(message: job_task_writer_pb2.ReportProgressRequest) -> Progress:
    return Progress(
        counts={name: getattr(message, name) for name in COUNTERS},
        errors=tuple(to_task_error(e) for e in message.errors),
    )


def to_outcome(number: int) -> JobTaskStatus | None:
    """SUCCESS or FAILURE; None for OUTCOME_NONE or a number outside the enum."""
    outcomes = job_task_writer_pb2.FinishJobTaskRequest.Outcome
    if number == outcomes.OUTCOME_NONE or number not in outcomes.values():
        return None
    return JobTaskStatus(outcomes.Name(number))
