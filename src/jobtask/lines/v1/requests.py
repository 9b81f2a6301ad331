"""SpaceONE 1.x wire requests -> our domain values: the proto `Query`/`StatisticsQuery` into the
typed query models (the `k`/`key`, `v`/`value`, `o`/`operator` aliases resolved here, once), list
and stat requests, and the writer's requests (new task, progress, outcome)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jobtask.domain import COUNTERS, JobTaskStatus, Limits, TaskError
from jobtask.errors import InvalidParameter
from jobtask.lines.query_messages import (
    SHARED_STAGES,
    check_list_values,
    to_conditions,
    to_filters,
    to_object,
    to_page,
)
from jobtask.query.limits import DEFAULT_LIMITS, check_counts
from jobtask.query.model import Query, SortKey
from jobtask.query.stat_model import AggregateSort, AggregateUnwind, Stage, StatisticsQuery
from jobtask.services.collector import OPTIONAL_IDENTITY_FIELDS, NewTask, Progress
from jobtask.services.reads import ListRequest, StatRequest
from jobtask_internal.v1 import job_task_writer_pb2
from spaceone.api.core.v1 import query_pb2
from spaceone.api.inventory.v1 import collector_pb2, job_task_pb2

_QUERY_STATUS_ENUM = job_task_pb2.JobTaskQuery.JobTaskStatus


def to_sort(message: query_pb2.Sort) -> tuple[SortKey, ...]:
    # SpaceONE: a sort.key wins over sort.keys.
    if message.key:
        return (SortKey(message.key, message.desc),)
    return tuple(SortKey(k.key, k.desc) for k in message.keys)


def to_query(message: query_pb2.Query, limits: Limits = DEFAULT_LIMITS) -> Query:
    check_counts(len(message.filter), len(message.filter_or), 0, limits)
    check_list_values(message, limits)
    return Query(
        filter=to_conditions(message.filter),
        filter_or=to_conditions(message.filter_or),
        sort=to_sort(message.sort),
        page=to_page(message),
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
    query = to_query(message.query, limits)
    # 1.x's JobTaskQuery has no workspace_id: never given on this line.
    return ListRequest(query, filters=to_filters(message, 1, to_status))


_STAGES: Mapping[str, Callable[[Any], Stage]] = {
    **SHARED_STAGES,
    "unwind": lambda m: AggregateUnwind(m.path),
    "sort": lambda m: AggregateSort(m.key, m.desc, tuple(SortKey(k.key, k.desc) for k in m.keys)),
}


def to_stage(message: query_pb2.StatisticsAggregate) -> Stage:
    """The one stage the client set in the oneof (even if empty, or limit 0); None if none."""
    which = message.WhichOneof("aggregate_alias")
    return None if which is None else _STAGES[which](getattr(message, which))


def to_statistics_query(
    message: query_pb2.StatisticsQuery, limits: Limits = DEFAULT_LIMITS
) -> StatisticsQuery:
    check_counts(len(message.filter), len(message.filter_or), len(message.aggregate), limits)
    check_list_values(message, limits)
    return StatisticsQuery(
        filter=to_conditions(message.filter),
        filter_or=to_conditions(message.filter_or),
        aggregate=tuple(to_stage(a) for a in message.aggregate),
        page=to_page(message),
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
        domain_id=domain_id,
        job_id=message.job_id,
        others={name: getattr(message, name) for name in OPTIONAL_IDENTITY_FIELDS},
        job_task_id=message.job_task_id,
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
