"""JobTaskWriter over a small fake of its storage port (writer.JobTaskStore), no database, no
mongomock: the writer's rules for create, start, report, finish, cancel and purge, told by the
tasks the fake holds afterwards and by what the writer answers.

The fake keeps StoredTasks and does what the port promises of each write (the database's own
conditional updates are tested over both databases in tests/integration/test_writer.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from jobtask.domain import JobTask, JobTaskStatus, ProgressUpdate, StoredTask, TaskError
from jobtask.errors import AlreadyExists, FailedPrecondition, NotFound
from jobtask.services.collector import (
    MAX_COUNT,
    JobTaskStore,
    JobTaskWriter,
    NewTask,
    Progress,
    WriterLimits,
)

DOMAIN = "domain-000000000001"
OTHER = "domain-000000000002"
NOW = datetime(2024, 5, 1, 12)
S = JobTaskStatus


@dataclass
class FakeStore:
    """Stored tasks by job_task_id (unique across domains, as SpaceONE's index makes it)."""

    tasks: dict[str, StoredTask] = field(default_factory=dict)

    def _mine(self, job_task_id: str, domain_id: str) -> StoredTask | None:
        stored = self.tasks.get(job_task_id)
        return stored if stored is not None and stored.task.domain_id == domain_id else None

    def insert(self, stored: StoredTask, *, timeout: float | None) -> bool:
        key = stored.task.job_task_id
        assert key is not None
        if key in self.tasks:
            return False
        self.tasks[key] = stored
        return True

    def find_stored(
        self, job_task_id: str, domain_id: str, *, timeout: float | None
    ) -> StoredTask | None:
        return self._mine(job_task_id, domain_id)

    def find_status(
        self, job_task_id: str, domain_id: str, *, timeout: float | None
    ) -> JobTaskStatus | None:
        stored = self._mine(job_task_id, domain_id)
        return None if stored is None else stored.task.status

    def _put(self, stored: StoredTask, **changes: Any) -> JobTask:
        task = dataclasses.replace(stored.task, **changes)
        self.tasks[str(task.job_task_id)] = dataclasses.replace(stored, task=task)
        return task

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
    ) -> JobTask | None:
        stored = self._mine(job_task_id, domain_id)
        if stored is None or stored.task.status not in sources:
            return None
        return self._put(stored, status=target, **{stamp: now})

    def add_progress(
        self, job_task_id: str, domain_id: str, update: ProgressUpdate, *, timeout: float | None
    ) -> JobTask | None:
        stored = self._mine(job_task_id, domain_id)
        if stored is None or stored.task.status is not update.status:
            return None
        totals = {name: (stored.value(name) or 0) + by for name, by in update.counts.items()}
        reported = (stored.reported_error_count or 0) + len(update.errors)
        if any(total > update.max_count for total in [*totals.values(), reported]):
            return None
        kept = (*(stored.task.errors or ()), *update.errors)[: update.max_errors]
        stored = dataclasses.replace(stored, reported_error_count=reported)
        return self._put(stored, errors=kept, **totals)

    def delete_finished(
        self,
        *,
        before: datetime,
        statuses: Collection[JobTaskStatus],
        domain_id: str | None,
        timeout: float | None,
    ) -> int:
        gone = [
            key
            for key, stored in self.tasks.items()
            if stored.task.status in statuses
            and stored.task.finished_at is not None
            and stored.task.finished_at < before
            and domain_id in (None, stored.task.domain_id)
        ]
        for key in gone:
            del self.tasks[key]
        return len(gone)


def _writer(store: JobTaskStore, now: datetime = NOW, **limits: int) -> JobTaskWriter:
    return JobTaskWriter(store, limits=WriterLimits(**limits), clock=lambda: now)


def _created(store: FakeStore, job_task_id: str = "jt-1", domain_id: str = DOMAIN) -> JobTask:
    return _writer(store).create(
        NewTask(domain_id=domain_id, job_id="job-1", job_task_id=job_task_id)
    )


def _in(
    store: FakeStore,
    status: JobTaskStatus,
    job_task_id: str = "jt-1",
    domain_id: str = DOMAIN,
    now: datetime = NOW,
) -> None:
    """A task created and moved to `status` along the legal path, at `now`."""
    writer = _writer(store, now)
    writer.create(NewTask(domain_id=domain_id, job_id="job-1", job_task_id=job_task_id))
    if status in (S.IN_PROGRESS, S.SUCCESS, S.FAILURE):
        writer.start(job_task_id, domain_id)
    if status in (S.SUCCESS, S.FAILURE):
        writer.finish(job_task_id, domain_id, status)
    if status is S.CANCELED:
        writer.cancel(job_task_id, domain_id)


# -- create -------------------------------------------------------------------------------------


def test_create_stores_a_pending_task_with_its_stored_only_fields_and_returns_it() -> None:
    store = FakeStore()

    task = _writer(store, max_errors=5).create(
        NewTask(DOMAIN, "job-1", {"collector_id": "collector-1", "provider": ""})
    )

    (stored,) = store.tasks.values()
    assert task == stored.task
    assert (task.status, task.created_at, task.errors, task.created_count) == (
        S.PENDING,
        NOW,
        (),
        0,
    )
    assert task.provider is None  # an empty optional id is null, as SpaceONE stores it
    assert (stored.collector_id, stored.total_count, stored.reported_error_count) == (
        "collector-1",
        0,
        0,
    )


def test_a_retried_create_returns_the_stored_task_unchanged() -> None:
    store = FakeStore()
    first = _created(store)
    _writer(store).start("jt-1", DOMAIN)

    again = _created(store)

    assert again == store.tasks["jt-1"].task != first  # the task as it is now, not a new one
    assert again.status is S.IN_PROGRESS and len(store.tasks) == 1


@pytest.mark.parametrize(
    ("job_id", "others"),
    [("job-2", {}), ("job-1", {"collector_id": "collector-2"}), ("job-1", {"project_id": "p-1"})],
)
def test_a_create_of_a_taken_id_with_another_identity_is_already_exists(
    job_id: str, others: dict[str, str]
) -> None:
    store = FakeStore()
    _created(store)

    with pytest.raises(AlreadyExists):
        _writer(store).create(NewTask(DOMAIN, job_id, others, job_task_id="jt-1"))
    assert store.tasks["jt-1"].task.job_id == "job-1"


def test_a_create_of_an_id_taken_in_another_domain_is_already_exists_and_leaves_it() -> None:
    store = FakeStore()
    theirs = _created(store, domain_id=OTHER)

    with pytest.raises(AlreadyExists) as raised:
        _created(store)

    assert store.tasks["jt-1"].task == theirs
    assert OTHER not in str(raised.value)


# -- status moves -------------------------------------------------------------------------------

LEGAL = [
    (S.PENDING, "start", S.IN_PROGRESS, "started_at"),
    (S.IN_PROGRESS, "success", S.SUCCESS, "finished_at"),
    (S.IN_PROGRESS, "failure", S.FAILURE, "finished_at"),
    (S.PENDING, "cancel", S.CANCELED, "finished_at"),
    (S.IN_PROGRESS, "cancel", S.CANCELED, "finished_at"),
]


def _act(writer: JobTaskWriter, action: str, domain_id: str = DOMAIN) -> JobTask:
    if action == "start":
        return writer.start("jt-1", domain_id)
    if action == "cancel":
        return writer.cancel("jt-1", domain_id)
    outcome = S.SUCCESS if action == "success" else S.FAILURE
    return writer.finish("jt-1", domain_id, outcome)


@pytest.mark.parametrize(("before", "action", "after", "stamp"), LEGAL)
def test_legal_moves_change_the_status_and_stamp_the_time(
    before: JobTaskStatus, action: str, after: JobTaskStatus, stamp: str
) -> None:
    store = FakeStore()
    _in(store, before)

    task = _act(_writer(store), action)

    assert task.status is after and getattr(task, stamp) == NOW
    assert store.tasks["jt-1"].task == task


@pytest.mark.parametrize(
    ("before", "action"),
    [
        (before, action)
        for before in S
        for action in ("start", "success", "failure", "cancel")
        if not any(b is before and a == action for b, a, _, _ in LEGAL)
    ],
)
def test_every_other_move_is_failed_precondition_naming_the_status(
    before: JobTaskStatus, action: str
) -> None:
    store = FakeStore()
    _in(store, before)
    stored = store.tasks["jt-1"]

    with pytest.raises(FailedPrecondition, match=f"the task is {before}"):
        _act(_writer(store), action)
    assert store.tasks["jt-1"] == stored


@pytest.mark.parametrize("action", ["start", "success", "cancel"])
def test_moves_of_a_task_of_another_domain_or_none_are_not_found(action: str) -> None:
    store = FakeStore()
    _created(store, domain_id=OTHER)
    stored = store.tasks["jt-1"]

    with pytest.raises(NotFound):
        _act(_writer(store), action)
    with pytest.raises(NotFound):
        _act(_writer(FakeStore()), action)
    assert store.tasks["jt-1"] == stored


# -- report -------------------------------------------------------------------------------------


def test_reports_add_to_the_counters_and_keep_the_first_errors_counting_all() -> None:
    store = FakeStore()
    _in(store, S.IN_PROGRESS)
    writer = _writer(store, max_errors=3)

    writer.report(
        "jt-1", DOMAIN, Progress({"created_count": 2}, (TaskError("E1"), TaskError("E2")))
    )
    task = writer.report(
        "jt-1",
        DOMAIN,
        Progress({"created_count": 1, "failure_count": 2}, (TaskError("E3"), TaskError("E4"))),
    )

    assert (task.created_count, task.failure_count, task.updated_count) == (3, 2, 0)
    assert [e.error_code for e in task.errors or ()] == ["E1", "E2", "E3"]
    assert task.errors and task.errors[0] == TaskError("E1", None, {})  # additional: an object
    assert store.tasks["jt-1"].reported_error_count == 4  # one dropped


@pytest.mark.parametrize("before", [S.PENDING, S.SUCCESS, S.FAILURE, S.CANCELED])
def test_a_report_outside_in_progress_is_failed_precondition(before: JobTaskStatus) -> None:
    store = FakeStore()
    _in(store, before)
    stored = store.tasks["jt-1"]

    with pytest.raises(FailedPrecondition, match=f"the task is {before}"):
        _writer(store).report("jt-1", DOMAIN, Progress({"created_count": 1}))
    assert store.tasks["jt-1"] == stored


def test_a_report_of_a_task_of_another_domain_is_not_found() -> None:
    store = FakeStore()
    _in(store, S.IN_PROGRESS)

    with pytest.raises(NotFound):
        _writer(store).report("jt-1", OTHER, Progress({"created_count": 1}))


def test_a_report_past_the_largest_count_stores_nothing_and_says_which() -> None:
    store = FakeStore()
    _in(store, S.IN_PROGRESS)
    writer = _writer(store)
    writer.report("jt-1", DOMAIN, Progress({"updated_count": MAX_COUNT}))
    stored = store.tasks["jt-1"]

    with pytest.raises(FailedPrecondition) as raised:
        writer.report("jt-1", DOMAIN, Progress({"updated_count": 1}, (TaskError("E"),)))

    assert "updated_count or reported_error_count past 2147483647" in str(raised.value)
    assert store.tasks["jt-1"] == stored


# -- purge --------------------------------------------------------------------------------------


def test_purge_deletes_finished_tasks_older_than_the_retention_in_the_domain_or_all() -> None:
    store = FakeStore()
    old = NOW - timedelta(days=31)
    _in(store, S.SUCCESS, "old-success", now=old)
    _in(store, S.CANCELED, "old-canceled", now=old)
    _in(store, S.IN_PROGRESS, "old-running", now=old)
    _in(store, S.FAILURE, "old-theirs", OTHER, now=old)
    _in(store, S.FAILURE, "new-failure", now=NOW - timedelta(days=29))
    writer = _writer(store, retention_days=30)

    assert writer.purge(DOMAIN) == 2
    assert set(store.tasks) == {"old-running", "old-theirs", "new-failure"}
    assert writer.purge() == 1
    assert set(store.tasks) == {"old-running", "new-failure"}


def test_purge_without_a_retention_is_a_failed_precondition_and_deletes_nothing() -> None:
    store = FakeStore()
    _in(store, S.SUCCESS, now=NOW - timedelta(days=1000))

    with pytest.raises(FailedPrecondition):
        _writer(store).purge()
    assert set(store.tasks) == {"jt-1"}
