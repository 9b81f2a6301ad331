"""The collector side: create a task, start, report progress, finish or cancel it, purge old ones.

Every write is scoped to the caller's `domain_id` and checked against the status machine in
`domain.TRANSITIONS` by the database itself (a conditional update), so two collectors racing on one
task cannot both move it, and counters are added with `$inc`, never read-modify-write.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final, Protocol

from jobtask.deadline import countdown
from jobtask.domain import (
    COUNTERS,
    FINISHED,
    IDENTITY_FIELDS,
    INT32_MAX,
    MAX_ERROR_MESSAGE_CHARS,
    MAX_ERRORS_KEPT,
    JobTask,
    JobTaskStatus,
    ProgressUpdate,
    StoredTask,
    TaskError,
    sources_of,
)
from jobtask.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidParameter,
    NotFound,
    require,
    shown,
)
from jobtask.query.dates import to_utc
from jobtask.query.limits import DEFAULT_LIMITS, check_stored_value

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,39}$")
# Counters are int32 in JobTaskInfo: no increment, and no total, may pass this.
MAX_COUNT: Final[int] = INT32_MAX


# The id prefix of each SpaceONE line: 1.x's inventory makes job_task-..., 2.x's job-task-....
ID_PREFIXES: Final[Mapping[int, str]] = {1: "job_task", 2: "job-task"}


def new_job_task_id(prefix: str = ID_PREFIXES[1]) -> str:
    """SpaceONE's shape: the line's prefix, "-" and 12 lowercase hex characters (6 random
    bytes)."""
    return f"{prefix}-{secrets.token_hex(6)}"


# The identity fields a create may leave out: domain.IDENTITY_FIELDS but the two NewTask requires.
OPTIONAL_IDENTITY_FIELDS: Final[tuple[str, ...]] = tuple(
    name for name in IDENTITY_FIELDS if name not in ("domain_id", "job_id")
)


@dataclass(frozen=True, slots=True)
class NewTask:
    """A create: the two identity fields it requires, the others by name (`others`, each of
    OPTIONAL_IDENTITY_FIELDS; "" or absent is not given, stored as null), and the id the caller
    may choose ("": a new one). Only the lines build one: another name is a programming error."""

    domain_id: str
    job_id: str
    others: Mapping[str, str] = field(default_factory=dict)
    job_task_id: str = ""

    def __post_init__(self) -> None:
        unknown = sorted(set(self.others) - set(OPTIONAL_IDENTITY_FIELDS))
        if unknown:
            raise ValueError(f"not optional identity fields of a task: {', '.join(unknown)}")

    def identity(self) -> dict[str, str]:
        """Each of domain.IDENTITY_FIELDS, in its order, and its value ("": not given)."""
        given = {**self.others, "domain_id": self.domain_id, "job_id": self.job_id}
        return {name: given.get(name, "") for name in IDENTITY_FIELDS}


@dataclass(frozen=True, slots=True)
class Progress:
    """Increments of the counters and errors to append, as a collector reports them."""

    counts: Mapping[str, int] = field(default_factory=dict)
    errors: tuple[TaskError, ...] = ()


class JobTaskStore(Protocol):
    """What the writer needs from storage (implemented by jobtask.storage's MongoWrites), in
    domain values: storage alone knows the documents they are stored as."""

    def insert(self, stored: StoredTask, *, timeout: float | None) -> bool:
        """Store a new task; False when its job_task_id is taken (the unique index decides)."""
        ...

    def find_stored(
        self, job_task_id: str, domain_id: str, *, timeout: float | None
    ) -> StoredTask | None: ...

    def find_status(
        self, job_task_id: str, domain_id: str, *, timeout: float | None
    ) -> JobTaskStatus | None: ...

    def transition(
        self,
        job_task_id: str,
        domain_id: str,
        *,
        sources: Collection[JobTaskStatus],
        target: JobTaskStatus,
        stamp: str,
        now: datetime,
        timeout: float | None,
    ) -> JobTask | None: ...

    def add_progress(
        self, job_task_id: str, domain_id: str, update: ProgressUpdate, *, timeout: float | None
    ) -> JobTask | None:
        """Apply a report; None when nothing matched (see ProgressUpdate)."""
        ...

    def delete_finished(
        self,
        *,
        before: datetime,
        statuses: Collection[JobTaskStatus],
        domain_id: str | None,
        timeout: float | None,
    ) -> int: ...


@dataclass(frozen=True, slots=True)
class WriterLimits:
    max_errors: int = MAX_ERRORS_KEPT  # kept per task; later ones are counted, not stored
    max_errors_per_report: int = 100
    max_error_message_chars: int = MAX_ERROR_MESSAGE_CHARS
    max_error_code_chars: int = 128
    max_additional_bytes: int = 16 * 1024
    # Objects and lists nested in one `additional` (MAX_VALUE_DEPTH, as in a query value).
    max_additional_depth: int = DEFAULT_LIMITS.max_value_depth
    retention_days: int | None = None


class JobTaskWriter:
    def __init__(
        self,
        store: JobTaskStore,
        *,
        limits: WriterLimits,
        clock: Callable[[], datetime],
        new_id: Callable[[], str] = new_job_task_id,
    ) -> None:
        self._store = store
        self._limits = limits
        self._clock = clock
        self._new_id = new_id

    def _now(self) -> datetime:
        return to_utc(self._clock())

    # -- create -----------------------------------------------------------------------------

    def create(self, task: NewTask, *, timeout: float | None = None) -> JobTask:
        require(domain_id=task.domain_id, job_id=task.job_id)
        job_task_id = task.job_task_id or self._new_id()
        for name, value in {"job_task_id": job_task_id, **task.identity()}.items():
            if value and not _ID.match(value):
                raise InvalidParameter(
                    name, f"{shown(value)} is not an id (1-40 of A-Z a-z 0-9 _ . : -)"
                )
        new = self._new(task, job_task_id)
        if self._store.insert(new, timeout=timeout):
            return new.task
        # The id is taken (job_task_id is unique across domains: SpaceONE's index). Only a task of
        # the caller's own domain is read; one of another domain is answered exactly as a task of
        # one's own with other content, and nothing of it (its domain, content or status) is told.
        existing = self._store.find_stored(job_task_id, task.domain_id, timeout=timeout)
        if existing is not None and all(
            existing.value(name) == new.value(name) for name in IDENTITY_FIELDS
        ):
            return existing.task
        raise AlreadyExists("job_task_id", job_task_id)

    def _new(self, task: NewTask, job_task_id: str) -> StoredTask:
        """A PENDING task, as SpaceONE stores one (storage stores every field; None as null)."""
        return StoredTask.of(
            {
                "job_task_id": job_task_id,
                "status": JobTaskStatus.PENDING,
                **dict.fromkeys((*COUNTERS, "total_count", "reported_error_count"), 0),
                "errors": (),
                # job_id and domain_id are required (never empty); the others nullable.
                **{name: value or None for name, value in task.identity().items()},
                "created_at": self._now(),
            }
        )

    # -- status moves -----------------------------------------------------------------------

    def start(self, job_task_id: str, domain_id: str, *, timeout: float | None = None) -> JobTask:
        return self._move(job_task_id, domain_id, JobTaskStatus.IN_PROGRESS, "started_at", timeout)

    def cancel(self, job_task_id: str, domain_id: str, *, timeout: float | None = None) -> JobTask:
        return self._move(job_task_id, domain_id, JobTaskStatus.CANCELED, "finished_at", timeout)

    def finish(
        self,
        job_task_id: str,
        domain_id: str,
        status: JobTaskStatus | None,
        *,
        timeout: float | None = None,
    ) -> JobTask:
        if status not in (JobTaskStatus.SUCCESS, JobTaskStatus.FAILURE):
            raise InvalidParameter(
                "status", f"a task finishes with SUCCESS or FAILURE, not {status}"
            )
        return self._move(job_task_id, domain_id, status, "finished_at", timeout)

    def _move(
        self,
        job_task_id: str,
        domain_id: str,
        target: JobTaskStatus,
        stamp: str,
        timeout: float | None,
    ) -> JobTask:
        require(job_task_id=job_task_id, domain_id=domain_id)
        remaining = countdown(timeout)
        task = self._store.transition(
            job_task_id,
            domain_id,
            sources=sources_of(target),
            target=target,
            stamp=stamp,
            now=self._now(),
            timeout=remaining(),
        )
        if task is None:
            raise self._refusal(job_task_id, domain_id, f"move to {target}", remaining())
        return task

    def _refusal(
        self,
        job_task_id: str,
        domain_id: str,
        action: str,
        timeout: float | None,
        *,
        guard: tuple[JobTaskStatus, FailedPrecondition] | None = None,
    ) -> NotFound | FailedPrecondition:
        """Why a conditional write matched nothing: no such task here, its status forbids it, or,
        with a `guard` (the status the write needs, and its refusal), the write's other guard
        when the task is in that status."""
        current = self._store.find_status(job_task_id, domain_id, timeout=timeout)
        if current is None:
            return NotFound({"job_task_id": job_task_id, "domain_id": domain_id})
        if guard is not None and current == guard[0]:
            return guard[1]
        return FailedPrecondition(f"the task is {current}: cannot {action}")

    # -- progress ---------------------------------------------------------------------------

    def report(
        self, job_task_id: str, domain_id: str, progress: Progress, *, timeout: float | None = None
    ) -> JobTask:
        require(job_task_id=job_task_id, domain_id=domain_id)
        remaining = countdown(timeout)
        update = ProgressUpdate(
            status=JobTaskStatus.IN_PROGRESS,  # the one status a report applies in
            counts=self._checked_counts(progress.counts),
            errors=self._checked_errors(progress.errors),
            max_errors=self._limits.max_errors,
            max_count=MAX_COUNT,
        )
        task = self._store.add_progress(job_task_id, domain_id, update, timeout=remaining())
        if task is None:
            guarded = [*update.counts, *(["reported_error_count"] if update.errors else [])]
            raise self._refusal(
                job_task_id,
                domain_id,
                "report progress",
                remaining(),
                # In that status, yet the update matched nothing: its guard saw a total that
                # would have passed MAX_COUNT (so nothing was stored).
                guard=(
                    update.status,
                    FailedPrecondition(
                        f"this report would take {' or '.join(guarded)} past {MAX_COUNT}, the "
                        "largest count a job task can carry: nothing was stored"
                    ),
                ),
            )
        return task

    @staticmethod
    def _checked_counts(counts: Mapping[str, int]) -> dict[str, int]:
        for name, value in counts.items():
            if name not in COUNTERS:
                raise InvalidParameter(name, "not a counter of a job task")
            if not 0 <= value <= MAX_COUNT:
                raise InvalidParameter(name, f"an increment is 0 or more, not {value}")
        return {name: value for name, value in counts.items() if value}

    def _checked_errors(self, errors: Sequence[TaskError]) -> list[TaskError]:
        limits = self._limits
        if len(errors) > limits.max_errors_per_report:
            raise InvalidParameter(
                "errors",
                f"{len(errors)} errors in one report; at most {limits.max_errors_per_report}",
            )
        checked = []
        for index, error in enumerate(errors):
            where = f"errors[{index}]"
            if len(error.error_code or "") > limits.max_error_code_chars:
                raise InvalidParameter(
                    f"{where}.error_code", f"longer than {limits.max_error_code_chars} characters"
                )
            if len(error.message or "") > limits.max_error_message_chars:
                raise InvalidParameter(
                    f"{where}.message", f"longer than {limits.max_error_message_chars} characters"
                )
            additional = dict(error.additional or {})
            check_stored_value(
                additional, max_depth=limits.max_additional_depth, where=f"{where}.additional"
            )
            if len(repr(additional).encode()) > limits.max_additional_bytes:
                raise InvalidParameter(
                    f"{where}.additional", f"larger than {limits.max_additional_bytes} bytes"
                )
            checked.append(
                TaskError(error_code=error.error_code, message=error.message, additional=additional)
            )
        return checked

    # -- retention --------------------------------------------------------------------------

    def purge(self, domain_id: str = "", *, timeout: float | None = None) -> int:
        """Delete finished tasks older than the retention (all domains when domain_id is empty)."""
        days = self._limits.retention_days
        if days is None:
            raise FailedPrecondition("no retention is configured (JOB_TASK_RETENTION_DAYS)")
        return self._store.delete_finished(
            before=self._now() - timedelta(days=days),
            statuses=FINISHED,
            domain_id=domain_id or None,
            timeout=timeout,
        )
