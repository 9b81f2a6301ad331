"""The JobTask resource: its statuses and the field catalogue, declared once.

Everything else that needs to know about fields (filter validation, projections, the minimal view,
the document mapping, the proto rendering) derives it from `JobTask`'s declaration here.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final
from zoneinfo import ZoneInfo


class JobTaskStatus(StrEnum):
    """Stored status strings, equal to the proto enum names (JOB_TASK_STATE_NONE: never stored)."""

    PENDING = "PENDING"
    CANCELED = "CANCELED"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"


STATUSES: Final[frozenset[str]] = frozenset(JobTaskStatus)

# The life of a task: PENDING -> IN_PROGRESS -> SUCCESS | FAILURE, and PENDING or IN_PROGRESS ->
# CANCELED. A finished task is final.
TRANSITIONS: Final[Mapping[JobTaskStatus, frozenset[JobTaskStatus]]] = {
    JobTaskStatus.PENDING: frozenset({JobTaskStatus.IN_PROGRESS, JobTaskStatus.CANCELED}),
    JobTaskStatus.IN_PROGRESS: frozenset(
        {JobTaskStatus.SUCCESS, JobTaskStatus.FAILURE, JobTaskStatus.CANCELED}
    ),
    JobTaskStatus.SUCCESS: frozenset(),
    JobTaskStatus.FAILURE: frozenset(),
    JobTaskStatus.CANCELED: frozenset(),
}
FINISHED: Final[frozenset[JobTaskStatus]] = frozenset(
    s for s, nexts in TRANSITIONS.items() if not nexts
)


def sources_of(target: JobTaskStatus) -> frozenset[JobTaskStatus]:
    """The statuses a task may be in to move to `target`."""
    return frozenset(s for s, nexts in TRANSITIONS.items() if target in nexts)


class FieldKind(StrEnum):
    """How a stored field is typed, which decides value coercion in filters."""

    STRING = "string"
    INTEGER = "integer"
    DATE = "date"
    ERRORS = "errors"  # the array of error sub-documents itself
    FREEFORM = "freeform"  # errors.additional and anything below it


class Role(StrEnum):
    """What a field is for, beside being stored and returned (tests/unit/test_domain.py checks
    each role against the protos). What a role gives is read off these declarations, never
    restated: a list request's filters, a create's identity (jobtask.services), the indexes."""

    FILTER = "filter"  # an equality filter of a list request beside its query (JobTaskQuery's)
    IDENTITY = "identity"  # named by a collector's create; a retried create names the same
    INDEXED = "indexed"  # (domain_id, field, *then) has an index: the queries people run


def _about(
    kind: FieldKind,
    *roles: Role,
    minimal: bool = False,
    counter: int | None = None,
    since: int = 1,
    then: tuple[str, ...] = (),
) -> dict[str, Any]:
    """What the catalogue knows of a field: its kind, its roles, whether the minimal view shows
    it, for a counter its place in a progress report (ReportProgressRequest's order), the
    SpaceONE line whose JobTaskInfo first carries it (`since`), and for an indexed field the
    fields its index has after it (`then`)."""
    return {
        "kind": kind,
        "roles": frozenset(roles),
        "minimal": minimal,
        "counter": counter,
        "since": since,
        "then": then,
    }


STRING, FILTER, IDENTITY, INDEXED = FieldKind.STRING, Role.FILTER, Role.IDENTITY, Role.INDEXED
# The fields that say whose collection a task was (filtered, named at create, indexed).
_OWNER: Final = (FILTER, IDENTITY, INDEXED)


def _counter(place: int) -> dict[str, Any]:
    return _about(FieldKind.INTEGER, minimal=True, counter=place)


@dataclass(frozen=True, slots=True)
class TaskError:
    """One element of `errors`: what a collector reported going wrong."""

    error_code: str | None = None
    message: str | None = None
    additional: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ProgressUpdate:
    """A checked progress report as storage applies it, in one conditional update: `counts` added
    to the counters and `errors` appended (the first `max_errors` of a task's kept), only while
    the task is in `status` and no total passes `max_count`."""

    status: JobTaskStatus
    counts: Mapping[str, int]
    errors: Sequence[TaskError]
    max_errors: int
    max_count: int


@dataclass(frozen=True, slots=True)
class FindSpec:
    """One page of tasks as storage finds them (beside the filter): the fields to return, the
    order (field, 1 or -1; the tie-breaker last), the rows to skip and at most `limit` (0: all)."""

    projection: Mapping[str, int]
    sort: Sequence[tuple[str, int]]
    skip: int
    limit: int


@dataclass(frozen=True, slots=True)
class JobTask:
    """A job task as returned to clients. None means null, absent, or not loaded by a projection."""

    job_task_id: str | None = field(default=None, metadata=_about(STRING, FILTER, minimal=True))
    status: JobTaskStatus | None = field(
        default=None, metadata=_about(STRING, FILTER, INDEXED, minimal=True)
    )
    created_count: int | None = field(default=None, metadata=_counter(1))
    updated_count: int | None = field(default=None, metadata=_counter(2))
    failure_count: int | None = field(default=None, metadata=_counter(5))
    deleted_count: int | None = field(default=None, metadata=_counter(3))
    disconnected_count: int | None = field(default=None, metadata=_counter(4))
    errors: tuple[TaskError, ...] | None = field(default=None, metadata=_about(FieldKind.ERRORS))
    job_id: str | None = field(
        default=None, metadata=_about(STRING, FILTER, IDENTITY, INDEXED, minimal=True)
    )
    secret_id: str | None = field(default=None, metadata=_about(STRING, *_OWNER))
    provider: str | None = field(default=None, metadata=_about(STRING, *_OWNER))
    service_account_id: str | None = field(default=None, metadata=_about(STRING, *_OWNER))
    project_id: str | None = field(default=None, metadata=_about(STRING, *_OWNER))
    domain_id: str | None = field(default=None, metadata=_about(STRING, IDENTITY))
    # SpaceONE 2.x's: the workspace a task belongs to (absent in 1.x documents: "", no workspace).
    # Indexed as 2.x's model declares it, (domain_id, workspace_id, project_id).
    workspace_id: str | None = field(
        default=None,
        metadata=_about(STRING, FILTER, IDENTITY, INDEXED, since=2, then=("project_id",)),
    )
    created_at: datetime | None = field(default=None, metadata=_about(FieldKind.DATE, minimal=True))
    started_at: datetime | None = field(default=None, metadata=_about(FieldKind.DATE, minimal=True))
    finished_at: datetime | None = field(
        default=None, metadata=_about(FieldKind.DATE, minimal=True)
    )


# What the services return; each line's JobTaskInfo renders on_line(RETURNED_FIELDS, line).
RETURNED_FIELDS: Final[tuple[str, ...]] = tuple(f.name for f in dataclasses.fields(JobTask))
MINIMAL_FIELDS: Final[tuple[str, ...]] = tuple(
    f.name for f in dataclasses.fields(JobTask) if f.metadata["minimal"]
)


@dataclass(frozen=True, slots=True)
class StoredTask:
    """A job task as stored in full: what a create stores, and what a retried create is compared
    with. The task clients see, and beside it the fields stored, filterable and never returned
    (JobTaskInfo has none for them): SpaceONE's collector_id and total_count, and ours,
    reported_error_count (errors reported in all; those beyond the kept maximum were dropped).
    None means null or absent, as in JobTask."""

    task: JobTask
    collector_id: str | None = field(default=None, metadata=_about(STRING, IDENTITY))
    total_count: int | None = field(default=None, metadata=_about(FieldKind.INTEGER))
    reported_error_count: int | None = field(default=None, metadata=_about(FieldKind.INTEGER))

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> StoredTask:
        """A stored task from its fields by name, each a JobTask field or a stored-only one."""
        task = {name: value for name, value in values.items() if name in RETURNED_FIELDS}
        return cls(JobTask(**task), **{n: v for n, v in values.items() if n not in task})

    def value(self, name: str) -> Any:
        """The value of a stored field by name (a JobTask field or a stored-only one)."""
        return getattr(self.task if name in RETURNED_FIELDS else self, name)


STORED_ONLY_FIELDS: Final[Mapping[str, FieldKind]] = {
    f.name: f.metadata["kind"] for f in dataclasses.fields(StoredTask) if "kind" in f.metadata
}
FIELD_KINDS: Final[Mapping[str, FieldKind]] = {
    **{f.name: f.metadata["kind"] for f in dataclasses.fields(JobTask)},
    **STORED_ONLY_FIELDS,
}
RETURNED_FIELD_KINDS: Final[Mapping[str, FieldKind]] = {n: FIELD_KINDS[n] for n in RETURNED_FIELDS}
ERROR_FIELD_KINDS: Final[Mapping[str, FieldKind]] = {
    "error_code": FieldKind.STRING,
    "message": FieldKind.STRING,
    "additional": FieldKind.FREEFORM,
}

# -- The fields of each role, derived from the declarations above

_FIELDS: Final = (*dataclasses.fields(JobTask), *dataclasses.fields(StoredTask)[1:])


def _having(role: Role) -> tuple[str, ...]:
    return tuple(f.name for f in _FIELDS if role in f.metadata["roles"])


_SINCE: Final[Mapping[str, int]] = {f.name: f.metadata["since"] for f in _FIELDS}


def on_line(names: tuple[str, ...], line: int) -> tuple[str, ...]:
    """Those of `names` that SpaceONE line `line`'s messages carry, in their order (1.x's
    JobTaskInfo and JobTaskQuery have no workspace_id)."""
    return tuple(name for name in names if _SINCE[name] <= line)


# The equality filters of a list request beside its query (the service's ListRequest), in
# SpaceONE's order.
QUERY_FILTERS: Final[tuple[str, ...]] = _having(Role.FILTER)
# What a collector names when it creates a task (CreateJobTaskRequest beside job_task_id): two
# creates of one job_task_id with the same identity are the same create (a safe retry).
IDENTITY_FIELDS: Final[tuple[str, ...]] = _having(Role.IDENTITY)
# What a progress report adds to (ReportProgressRequest's increments), in the proto's order.
COUNTERS: Final[tuple[str, ...]] = tuple(
    f.name
    for f in sorted(
        (f for f in _FIELDS if f.metadata["counter"] is not None),
        key=lambda f: int(f.metadata["counter"]),
    )
)
DATE_FIELDS: Final[tuple[str, ...]] = tuple(
    name for name, kind in FIELD_KINDS.items() if kind is FieldKind.DATE
)
# The queries people run are always within one domain: each of these has an index on
# (domain_id, field), beside the one of the default order (created_at, job_task_id).
INDEXED_FIELDS: Final[tuple[str, ...]] = _having(Role.INDEXED)
# The keys of each of those indexes after domain_id: (field, *then).
INDEX_KEYS: Final[tuple[tuple[str, ...], ...]] = tuple(
    (f.name, *f.metadata["then"]) for f in _FIELDS if Role.INDEXED in f.metadata["roles"]
)


def _limit(default: int, most: int) -> Any:
    """A limit's default, and the range its setting accepts (1 to `most`): the field's metadata,
    which pydantic reads as the field's constraints when the settings validate a Limits."""
    return field(default=default, metadata={"ge": 1, "le": most})


@dataclass(frozen=True, slots=True)
class Limits:
    """How big one query may be (checked by jobtask.query.limits); the defaults and ranges are
    the settings' (`Settings.limits`: MAX_FILTERS, MAX_VALUE_DEPTH, ..., each limit's variable
    has its name)."""

    max_filters: int = _limit(50, 10_000)  # conditions in filter + filter_or, in a group field
    max_value_depth: int = _limit(8, 32)  # lists and objects nested in one condition value
    max_regex_length: int = _limit(512, 100_000)  # a pattern: regex, contain values, keyword
    max_list_values: int = _limit(1000, 1_000_000)  # elements of any list in a condition value
    max_aggregate_stages: int = _limit(20, 1000)
    max_only_fields: int = _limit(50, 10_000)
    max_stage_fields: int = _limit(100, 10_000)  # group keys + fields, project fields, sort keys


# The wire's int32 (the counters' type): what a count may reach, and what a stored number must
# be within to be rendered as one.
INT32_MIN: Final = -(2**31)
INT32_MAX: Final = 2**31 - 1


def is_time_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone name (which MongoDB's date operators accept)."""
    try:
        ZoneInfo(name)
    except (ValueError, OSError, KeyError):
        return False
    return True


# What a task keeps of the errors collectors report (jobtask.services.collector.WriterLimits, and
# the settings JOB_TASK_MAX_ERRORS and JOB_TASK_MAX_ERROR_MESSAGE_CHARS).
MAX_ERRORS_KEPT: Final = 100
MAX_ERROR_MESSAGE_CHARS: Final = 4096

# A path segment: no '$' (operators, variables), no NUL, not empty. Dots separate segments.
PATH_SEGMENT: Final = re.compile(r"^[^$\x00.]+$")
_INDEX = re.compile(r"^\d+$")


def field_kind(path: str) -> FieldKind | None:
    """The kind of a dotted path of a stored field, or None when it is not a path of the resource.

    Every stored field has one, returned or not (`only`, `sort`, filters and stat keys accept
    them all, as SpaceONE does). Paths inside `errors` may carry an array index
    (`errors.0.error_code`); anything below `errors.additional` is free-form.
    """
    segments = path.split(".")
    if not all(PATH_SEGMENT.match(s) for s in segments):
        return None
    head, rest = segments[0], segments[1:]
    kind = FIELD_KINDS.get(head)
    if kind is None or not rest:
        return kind
    if kind is not FieldKind.ERRORS:
        return None
    if _INDEX.match(rest[0]):
        rest = rest[1:]
        if not rest:
            return FieldKind.FREEFORM
    sub_kind = ERROR_FIELD_KINDS.get(rest[0])
    if sub_kind is FieldKind.FREEFORM or (sub_kind is not None and len(rest) == 1):
        return sub_kind
    return None


def to_task(document: Mapping[str, Any]) -> JobTask:
    """Map a stored document (or a projection of one) to a JobTask; unknown keys are ignored.

    Values are kept as stored, whatever their type (the API's rendering decides what a value it
    cannot carry becomes); only a status that is not one of ours, and errors that are not a list
    of objects, are dropped here."""
    values = {name: document[name] for name in RETURNED_FIELDS if name in document}
    status = values.get("status")
    if status is not None:
        values["status"] = (
            JobTaskStatus(status) if isinstance(status, str) and status in STATUSES else None
        )
    errors = values.get("errors")
    if errors is not None:
        values["errors"] = (
            tuple(_to_task_error(e) for e in errors if isinstance(e, Mapping))
            if isinstance(errors, list)
            else None
        )
    return JobTask(**values)


def _to_task_error(element: Mapping[str, Any]) -> TaskError:
    additional = element.get("additional")
    return TaskError(
        error_code=element.get("error_code"),
        message=element.get("message"),
        additional=additional if isinstance(additional, Mapping) else None,
    )
