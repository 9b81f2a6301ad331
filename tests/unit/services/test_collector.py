"""JobTaskWriter's own rules, before anything reaches storage (a recording fake stands in)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest

from jobtask.domain import JobTask, JobTaskStatus, ProgressUpdate, StoredTask, TaskError
from jobtask.errors import AlreadyExists, InvalidParameter, RequiredParameter
from jobtask.services.collector import (
    ID_PREFIXES,
    JobTaskWriter,
    NewTask,
    Progress,
    WriterLimits,
    new_job_task_id,
)

NOW = datetime(2024, 3, 1, 12)


class RecordingStore:
    """Accepts every write and remembers it; the database's own behaviour is tested elsewhere."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def insert(self, stored: StoredTask, *, timeout: float | None) -> bool:
        self.calls.append(("insert", stored))
        return True

    def add_progress(
        self, job_task_id: str, domain_id: str, update: ProgressUpdate, **kwargs: Any
    ) -> JobTask:
        self.calls.append(("add_progress", update))
        return JobTask(job_task_id=job_task_id)

    def delete_finished(self, **kwargs: Any) -> int:
        self.calls.append(("delete_finished", kwargs))
        return 3

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the writer asked the store for {name}, which these tests never need")


def _writer(store: RecordingStore, **limits: Any) -> JobTaskWriter:
    return JobTaskWriter(store, limits=WriterLimits(**limits), clock=lambda: NOW)


def test_generated_ids_look_like_spaceones() -> None:
    assert re.fullmatch(r"job_task-[0-9a-f]{12}", new_job_task_id())
    assert re.fullmatch(r"job-task-[0-9a-f]{12}", new_job_task_id(ID_PREFIXES[2]))
    assert new_job_task_id() != new_job_task_id()


def test_create_stores_spaceones_shape_with_nulls() -> None:
    store = RecordingStore()

    task = _writer(store).create(NewTask(domain_id="d", job_id="job-1"))

    ((_, stored),) = store.calls
    assert stored.task.status is JobTaskStatus.PENDING and stored.task.created_at == NOW
    assert stored.task.provider is None and stored.task.started_at is None
    assert stored.collector_id is None and stored.total_count == 0
    assert task == stored.task


@pytest.mark.parametrize(
    ("task", "field"),
    [
        (NewTask(domain_id="", job_id="j"), "domain_id"),
        (NewTask(domain_id="d", job_id=""), "job_id"),
    ],
)
def test_create_requires_domain_and_job(task: NewTask, field: str) -> None:
    with pytest.raises(RequiredParameter) as raised:
        _writer(RecordingStore()).create(task)
    assert raised.value.key == field


@pytest.mark.parametrize(
    ("task", "field"),
    [
        (NewTask(domain_id="d", job_id="j", job_task_id="has space"), "job_task_id"),
        (NewTask(domain_id="d", job_id="j", job_task_id="x" * 41), "job_task_id"),
        (NewTask(domain_id="d", job_id="$where"), "job_id"),
        (NewTask(domain_id="d\x00", job_id="j"), "domain_id"),
    ],
)
def test_create_rejects_ids_that_are_not_ids(task: NewTask, field: str) -> None:
    store = RecordingStore()
    with pytest.raises(InvalidParameter) as raised:
        _writer(store).create(task)
    assert raised.value.key == field
    assert store.calls == []


@pytest.mark.parametrize(
    ("progress", "key"),
    [
        (Progress({"created_count": -1}), "created_count"),
        (Progress({"created_count": 2**31}), "created_count"),
        (Progress({"total_count": 1}), "total_count"),
        (Progress(errors=(TaskError("E" * 129),)), "errors[0].error_code"),
        (Progress(errors=(TaskError("E", "m" * 4097),)), "errors[0].message"),
        (Progress(errors=(TaskError("E", "m", {"k": "v" * 20_000}),)), "errors[0].additional"),
        (Progress(errors=tuple(TaskError("E") for _ in range(101))), "errors"),
    ],
)
def test_report_rejects_bad_progress_before_storage(progress: Progress, key: str) -> None:
    store = RecordingStore()
    with pytest.raises(InvalidParameter) as raised:
        _writer(store).report("job_task-1", "d", progress)
    assert raised.value.key == key
    assert store.calls == []


def test_report_sends_only_nonzero_increments_and_normalised_errors() -> None:
    store = RecordingStore()

    _writer(store, max_errors=7).report(
        "job_task-1", "d", Progress({"created_count": 2, "updated_count": 0}, (TaskError("E"),))
    )

    ((_, call),) = store.calls
    assert call.counts == {"created_count": 2}
    assert call.errors == [TaskError("E", None, {})]
    assert call.max_errors == 7 and call.status is JobTaskStatus.IN_PROGRESS


@pytest.mark.parametrize("status", [None, JobTaskStatus.PENDING, JobTaskStatus.CANCELED])
def test_finish_needs_success_or_failure(status: JobTaskStatus | None) -> None:
    with pytest.raises(InvalidParameter):
        _writer(RecordingStore()).finish("job_task-1", "d", status)


def test_purge_deletes_finished_tasks_before_the_retention_cut() -> None:
    store = RecordingStore()

    assert _writer(store, retention_days=10).purge("d") == 3

    ((_, call),) = store.calls
    assert call["before"] == datetime(2024, 2, 20, 12)
    assert call["domain_id"] == "d"
    assert set(call["statuses"]) == {
        JobTaskStatus.SUCCESS,
        JobTaskStatus.FAILURE,
        JobTaskStatus.CANCELED,
    }


class TakenIdStore(RecordingStore):
    """Every id is taken; the stored task (of whichever domain) is only handed out when asked
    for within its own domain."""

    def __init__(self, stored: StoredTask) -> None:
        super().__init__()
        self.stored = stored

    def insert(self, stored: StoredTask, *, timeout: float | None) -> bool:
        return False

    def find_stored(
        self, job_task_id: str, domain_id: str, *, timeout: float | None
    ) -> StoredTask | None:
        self.calls.append(("find_stored", {"job_task_id": job_task_id, "domain_id": domain_id}))
        task = self.stored.task
        same = task.job_task_id == job_task_id and task.domain_id == domain_id
        return self.stored if same else None


def test_create_of_an_id_taken_in_another_domain_never_reads_that_domain() -> None:
    theirs = JobTask(job_task_id="job_task-1", domain_id="other", job_id="job-1")
    store = TakenIdStore(StoredTask(theirs))

    with pytest.raises(AlreadyExists) as raised:
        _writer(store).create(NewTask(domain_id="mine", job_id="job-1", job_task_id="job_task-1"))

    assert store.calls == [("find_stored", {"job_task_id": "job_task-1", "domain_id": "mine"})]
    assert "other" not in str(raised.value)
