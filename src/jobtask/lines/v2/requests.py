"""SpaceONE 2.x wire requests -> our domain values: get's and delete's id, list's `ListRequest`
and stat's `StatRequest` (their queries by `jobtask.lines.v2.query`). Each request is read through
its typed view (`jobtask.lines.v2.wire`); none names a domain: the caller does
(`jobtask.lines.v2.rpcs.claim`)."""

from __future__ import annotations

from typing import Final

from google.protobuf.message import Message

from jobtask.domain import JobTaskStatus, Limits
from jobtask.errors import InvalidParameter
from jobtask.lines.query_messages import to_filters
from jobtask.lines.v2 import wire
from jobtask.lines.v2.query import PAGE_LIMIT, to_query, to_statistics_query
from jobtask.query.limits import DEFAULT_LIMITS
from jobtask.services.reads import ListRequest, StatRequest

_STATUS: Final = wire.JobTaskQuery.DESCRIPTOR.enum_types_by_name["JobTaskStatus"]


def to_job_task_id(message: Message) -> str:
    """get's and delete's JobTaskRequest: the id (required: the service says so when empty)."""
    return wire.job_task_request(message).job_task_id


def to_status(number: int) -> JobTaskStatus | None:
    """JobTaskQuery's status: None for JOB_TASK_STATE_NONE (not given)."""
    if number == 0:
        return None
    value = _STATUS.values_by_number.get(number)
    if value is None:
        raise InvalidParameter("status", f"unknown status number {number}")
    return JobTaskStatus(value.name)


def to_list_request(
    message: Message, limits: Limits = DEFAULT_LIMITS, *, max_page_size: int = PAGE_LIMIT
) -> ListRequest:
    """JobTaskQuery: each request field set is an equality filter beside the query;
    `max_page_size`: the server's (the default page is at most it)."""
    view = wire.job_task_query(message)
    query = to_query(view.query, limits, max_page_size=max_page_size)
    return ListRequest(query, filters=to_filters(view, 2, to_status))


def to_stat_request(
    message: Message, *, timezone: str = "", limits: Limits = DEFAULT_LIMITS
) -> StatRequest:
    """JobTaskStatQuery; a query that was set, even empty, is present (the service then asks for
    aggregate)."""
    view = wire.job_task_stat_query(message)
    query = to_statistics_query(view.query, limits) if view.HasField("query") else None
    return StatRequest(query=query, timezone=timezone)
