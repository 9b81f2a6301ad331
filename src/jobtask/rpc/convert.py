"""Every conversion between protobuf messages and our types, in one place.

Requests are parsed once here (SpaceONE's k/key, v/value, o/operator aliases resolved); responses
render only what was loaded, so a field a client did not ask for is never sent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any, Final

from google.protobuf import struct_pb2

from jobtask.domain import (
    COUNTERS,
    IDENTITY_FIELDS,
    QUERY_FILTERS,
    RETURNED_FIELD_KINDS,
    FieldKind,
    JobTask,
    JobTaskStatus,
    Limits,
    TaskError,
)
from jobtask.errors import InvalidParameter
from jobtask.query.aggregate import StatResult
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
from jobtask.service import ListRequest, StatRequest
from jobtask.writer import NewTask, Progress
from jobtask_internal.v1 import job_task_writer_pb2
from spaceone.api.core.v1 import query_pb2
from spaceone.api.inventory.v1 import collector_pb2, job_task_pb2

_STATUS_ENUM = job_task_pb2.JobTaskInfo.JobTaskStatus
_QUERY_STATUS_ENUM = job_task_pb2.JobTaskQuery.JobTaskStatus


# ---------------------------------------------------------------------------------------------
# Requests


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
        **{name: getattr(message, name) for name in QUERY_FILTERS if name != "status"},
    )


def _group_field(message: query_pb2.AggregateGroupField) -> AggregateGroupField:
    return AggregateGroupField(
        key=_alias(message, "key_alias") or "",
        name=_alias(message, "name_alias") or "",
        operator=_alias(message, "operator_alias") or "",
        fields=tuple(
            AggregateGroupSubField(_alias(f, "key_alias") or "", _alias(f, "name_alias") or "")
            for f in message.fields
        ),
        # AggregateSubCondition has Filter's shape and aliases.
        conditions=tuple(to_condition(c) for c in message.conditions),
    )


def _group(message: query_pb2.AggregateGroup) -> AggregateGroup:
    return AggregateGroup(
        keys=tuple(
            AggregateGroupKey(
                _alias(k, "key_alias") or "", _alias(k, "name_alias") or "", k.date_format
            )
            for k in message.keys
        ),
        fields=tuple(_group_field(f) for f in message.fields),
    )


def _project(message: query_pb2.AggregateProject) -> AggregateProject:
    return AggregateProject(
        fields=tuple(
            AggregateProjectField(
                _alias(f, "key_alias") or "",
                _alias(f, "name_alias") or "",
                _alias(f, "operator_alias") or "",
            )
            for f in message.fields
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


# ---------------------------------------------------------------------------------------------
# Responses


def format_timestamp(value: datetime) -> str:
    """SpaceONE's list/get format: UTC, milliseconds, a literal Z (2023-01-05T09:00:00.120Z)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    # isoformat: a third of strftime's cost, three times per task of every page.
    return value.isoformat(timespec="milliseconds") + "Z"


# Reads never fail on a stored document, whatever it holds (an existing SpaceONE collection can
# hold anything): what the API cannot carry is rendered as below, here and nowhere else.
INT32_MIN: Final = -(2**31)
INT32_MAX: Final = 2**31 - 1
# Objects and lists nested deeper than this inside one rendered value (an error's `additional`,
# a stat row) are rendered as null: protobuf's decoders stop at 100 nested messages, and each
# level of a Struct costs three (Struct, its map entry, Value), so a deeper answer would reach a
# standard client as "Exception deserializing response".
RENDER_MAX_DEPTH: Final = 24


def to_count(value: Any) -> int | None:
    """A stored counter as an int32: out-of-range numbers clamped to int32's bounds, fractions cut
    toward zero, NaN and non-numbers (strings, booleans, objects...) not set."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isfinite(value):
            value = int(value)
    return int(min(max(value, INT32_MIN), INT32_MAX))


def to_plain(value: Any, depth: int = 0) -> Any:
    """A stored value as something a Struct can hold and every client decode: dates as ISO
    strings, ids and other BSON types as strings, NaN and ±Infinity as null, and anything
    nested deeper than RENDER_MAX_DEPTH as null."""
    if isinstance(value, Mapping | list | tuple):
        if depth >= RENDER_MAX_DEPTH:
            return None
        if isinstance(value, Mapping):
            return {str(k): to_plain(v, depth + 1) for k, v in value.items()}
        return [to_plain(v, depth + 1) for v in value]
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


_JSON_SCALARS = (str, bool, int, type(None))


def _plain_scalar(value: Any) -> bool:
    """A value a Struct holds as it is (a finite number, a string, a boolean or null)."""
    if type(value) is float:
        return math.isfinite(value)
    return isinstance(value, _JSON_SCALARS)


def to_error_info(error: TaskError) -> collector_pb2.ErrorInfo:
    info = collector_pb2.ErrorInfo()
    _fill_error(info, error)
    return info


def _fill_error(info: collector_pb2.ErrorInfo, error: TaskError) -> None:
    """`info`: an empty ErrorInfo, already where it stays in its answer (a message passed to a
    constructor is copied there)."""
    info.error_code = _text(error.error_code) or ""
    info.message = _text(error.message) or ""
    additional = error.additional
    if not additional:  # None, or empty: not set
        return
    # Collectors store flat maps of strings and numbers: those are set key by key, in their
    # order, as Struct.update sets them (a copied Struct would list its keys in another order).
    fields = info.additional.fields
    for key, value in additional.items():
        kind = type(value)
        if kind is str:
            fields[key].string_value = value
        elif kind is int or (kind is float and math.isfinite(value)):
            fields[key].number_value = value
        else:
            info.ClearField("additional")
            plain = all(_plain_scalar(v) for v in additional.values())
            info.additional.update(additional if plain else to_plain(additional))
            return


def _text(value: Any) -> str | None:
    """A stored string field; any other type renders as not set."""
    return value if isinstance(value, str) else None


def _timestamp(value: Any) -> str | None:
    """A stored date field; anything else (a string, a number, a date out of range) not set."""
    return format_timestamp(value) if isinstance(value, datetime) else None


_RENDER_SCALAR: Final[Mapping[FieldKind, Callable[[Any], Any]]] = {
    FieldKind.STRING: _text,
    FieldKind.INTEGER: to_count,
    FieldKind.DATE: _timestamp,
}
# (field, its kind, the type its values usually have) for every field rendered as a plain value.
_USUAL_TYPES: Final[Mapping[FieldKind, type[Any]]] = {
    FieldKind.STRING: str,
    FieldKind.INTEGER: int,
    FieldKind.DATE: datetime,
}
_SCALARS: Final = tuple(
    (name, kind, _USUAL_TYPES[kind])
    for name, kind in RETURNED_FIELD_KINDS.items()
    if kind in _RENDER_SCALAR and name != "status"
)


def _task_fields(task: JobTask) -> dict[str, Any]:
    """A task's rendered scalar fields and status, as JobTaskInfo's keyword arguments."""
    fields: dict[str, Any] = {}
    for name, kind, usual in _SCALARS:
        value: Any = getattr(task, name)
        if value is None:
            continue
        # Values of their field's usual type need (almost) no converting, and there are fourteen
        # per task of every page: the general renderer is only called for the others.
        if type(value) is usual:
            if usual is datetime:
                fields[name] = format_timestamp(value)
                continue
            if usual is str or INT32_MIN <= value <= INT32_MAX:
                fields[name] = value
                continue
        rendered = _RENDER_SCALAR[kind](value)
        if rendered is not None:
            fields[name] = rendered
    if task.status is not None:
        fields["status"] = _STATUS_ENUM.Value(task.status.value)
    return fields


def _add_errors(info: job_task_pb2.JobTaskInfo, errors: tuple[TaskError, ...]) -> None:
    add = info.errors.add
    for error in errors:
        _fill_error(add(), error)


def to_task_info(task: JobTask) -> job_task_pb2.JobTaskInfo:
    info = job_task_pb2.JobTaskInfo(**_task_fields(task))
    if task.errors:
        _add_errors(info, task.errors)
    return info


def to_tasks_info(results: list[JobTask], total_count: int) -> job_task_pb2.JobTasksInfo:
    """The page as to_task_info renders each task, each built in place in the answer (passed
    to JobTasksInfo, every task and its errors would be copied once more)."""
    answer = job_task_pb2.JobTasksInfo(total_count=total_count)
    add = answer.results.add
    for task in results:
        info = add(**_task_fields(task))
        if task.errors:
            _add_errors(info, task.errors)
    return answer


def _plain_rows(rows: list[Any]) -> bool:
    """Every row a JSON scalar, or a dict of them: a Struct holds them as they are."""
    for row in rows:
        if _plain_scalar(row):
            continue
        if type(row) is not dict:
            return False
        for value in row.values():
            if not _plain_scalar(value):
                return False
    return True


def to_stat_struct(result: StatResult) -> struct_pb2.Struct:
    """{results, total_count?} as a Struct: numbers become doubles, dates `.mmmZ` at any depth."""
    rows = result.results
    struct = struct_pb2.Struct()
    # Most answers are flat rows of strings and numbers: set value by value (half the cost of
    # Struct.update's dispatch on each); only the others are converted first.
    if not _set_flat_rows(struct.fields["results"].list_value, rows):
        struct.Clear()
        struct.update({"results": rows if _plain_rows(rows) else to_plain(rows)})
    if result.total_count is not None:
        struct["total_count"] = result.total_count
    return struct


def _set_flat_value(value: struct_pb2.Value, plain: Any) -> bool:
    """Set `plain` as Struct.update would; False (nothing set) for any but a string, a finite
    number, a boolean or None of their exact types (not a subclass: bson's Int64...)."""
    kind = type(plain)
    if kind is str:
        value.string_value = plain
    elif kind is int or (kind is float and math.isfinite(plain)):
        value.number_value = plain
    elif plain is None:
        value.null_value = struct_pb2.NULL_VALUE
    elif kind is bool:
        value.bool_value = plain
    else:
        return False
    return True


def _set_flat_rows(values: struct_pb2.ListValue, rows: list[Any]) -> bool:
    """Rows of scalars, or dicts of them, set in `values` in their order as Struct.update sets
    them; False, part set, at the first value _set_flat_value refuses, or a row of another type."""
    values.Clear()  # an empty list is set, as Struct.update sets it
    add = values.values.add
    for row in rows:
        value = add()
        if type(row) is dict:
            if not row:
                value.struct_value.Clear()  # an empty row is set too
            fields = value.struct_value.fields
            for key, inner in row.items():
                kind = type(inner)
                # The usual two inline: a call per value would cost a third of the whole.
                if kind is str:
                    fields[key].string_value = inner
                elif kind is int:
                    fields[key].number_value = inner
                elif not _set_flat_value(fields[key], inner):
                    return False
        elif not _set_flat_value(value, row):
            return False
    return True


# ---------------------------------------------------------------------------------------------
# The internal writer API (jobtask_internal.v1)


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
