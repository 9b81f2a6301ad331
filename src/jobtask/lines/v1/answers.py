"""Our domain values -> SpaceONE 1.x wire answers: JobTaskInfo, JobTasksInfo and stat's Struct,
each value the message cannot carry rendered by one rule."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, Final

from google.protobuf import struct_pb2

from jobtask.domain import (
    INT32_MAX,
    INT32_MIN,
    RETURNED_FIELD_KINDS,
    RETURNED_FIELDS,
    FieldKind,
    JobTask,
    TaskError,
    on_line,
)
from jobtask.query.stat_plan import StatResult
from spaceone.api.inventory.v1 import collector_pb2, job_task_pb2

_STATUS_ENUM = job_task_pb2.JobTaskInfo.JobTaskStatus


def format_timestamp(value: datetime) -> str:
    """SpaceONE's list/get format: UTC, milliseconds, a literal Z (2023-01-05T09:00:00.120Z)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    # isoformat: a third of strftime's cost, three times per task of every page.
    return value.isoformat(timespec="milliseconds") + "Z"


# Reads never fail on a stored document, whatever it holds (an existing SpaceONE collection can
# hold anything): what the API cannot carry is rendered as below, here and nowhere else.


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


# (field, its kind, the type its values usually have) for every field of 1.x's JobTaskInfo
# rendered as a plain value (not workspace_id: 2.x's).
_USUAL_TYPES: Final[Mapping[FieldKind, type[Any]]] = {
    FieldKind.STRING: str,
    FieldKind.INTEGER: int,
    FieldKind.DATE: datetime,
}


Scalars = tuple[tuple[str, FieldKind, type[Any]], ...]


def scalars_of(line: int) -> Scalars:
    """The task's fields SpaceONE `line`'s JobTaskInfo renders as plain values (status and
    errors are rendered on their own; 1.x's has no workspace_id)."""
    return tuple(
        (name, kind, _USUAL_TYPES[kind])
        for name in on_line(RETURNED_FIELDS, line)
        if (kind := RETURNED_FIELD_KINDS[name]) in _RENDER_SCALAR and name != "status"
    )


_SCALARS: Final = scalars_of(1)


def _task_fields(task: JobTask, scalars: Scalars) -> dict[str, Any]:
    """A task's rendered scalar fields and status, as JobTaskInfo's keyword arguments (those of
    the line whose `scalars_of` is given)."""
    fields: dict[str, Any] = {}
    for name, kind, usual in scalars:
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
    """The task's errors, each built in place in `info` (a JobTaskInfo of either line)."""
    add = info.errors.add
    for error in errors:
        _fill_error(add(), error)


def to_task_info(
    task: JobTask,
    info_class: type[job_task_pb2.JobTaskInfo] = job_task_pb2.JobTaskInfo,
    scalars: Scalars = _SCALARS,
) -> job_task_pb2.JobTaskInfo:
    """1.x's JobTaskInfo; or, given another line's class and `scalars_of`, that line's."""
    info = info_class(**_task_fields(task, scalars))
    if task.errors:
        _add_errors(info, task.errors)
    return info


def to_tasks_info(
    results: list[JobTask],
    total_count: int,
    answer_class: type[job_task_pb2.JobTasksInfo] = job_task_pb2.JobTasksInfo,
    scalars: Scalars = _SCALARS,
) -> job_task_pb2.JobTasksInfo:
    """The page as to_task_info renders each task, each built in place in the answer (passed
    to JobTasksInfo, every task and its errors would be copied once more); another line's, as
    to_task_info."""
    answer = answer_class(total_count=total_count)
    add = answer.results.add
    for task in results:
        info = add(**_task_fields(task, scalars))
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


def to_stat_struct(
    result: StatResult, struct_class: type[struct_pb2.Struct] = struct_pb2.Struct
) -> struct_pb2.Struct:
    """{results, total_count?} as a Struct (`struct_class`: of the line's pool): numbers become
    doubles, dates `.mmmZ` at any depth."""
    rows = result.results
    struct = struct_class()
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
