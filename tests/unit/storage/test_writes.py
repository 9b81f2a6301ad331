"""The writer's port over mongomock: the documents the domain values it is handed are stored as
(exactly what a create stored before the port took domain values, and what SpaceONE stores), and
the domain values it hands back from stored documents, SpaceONE's own included."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from types import MappingProxyType
from typing import Any

import mongomock
import pytest

from jobtask.domain import JobTask, JobTaskStatus, StoredTask, TaskError
from jobtask.errors import AlreadyExists
from jobtask.services.collector import JobTaskWriter, NewTask, Progress, WriterLimits
from jobtask.storage import MongoJobTaskRepository
from jobtask.storage.writes import stored_document
from tests.support.dataset import SPACEONE_EXAMPLE

NOW = datetime(2024, 3, 1, 12, 0, 0, 123_000)
DOMAIN = "domain-000000000001"


@pytest.fixture
def collection() -> Iterator[Any]:
    yield mongomock.MongoClient()["inventory"]["job_task"]


@pytest.fixture
def writer(collection: Any) -> JobTaskWriter:
    return JobTaskWriter(
        MongoJobTaskRepository(collection), limits=WriterLimits(max_errors=2), clock=lambda: NOW
    )


def _started(writer: JobTaskWriter, collection: Any, job_task_id: str) -> None:
    """A created task, then IN_PROGRESS (set directly: mongomock's find_one_and_update answers
    None when its update changes what its filter matched, as a status move does)."""
    writer.create(NewTask(domain_id=DOMAIN, job_id="job-1", job_task_id=job_task_id))
    collection.update_one({"job_task_id": job_task_id}, {"$set": {"status": "IN_PROGRESS"}})


def _stored(collection: Any, job_task_id: str) -> dict[str, Any]:
    document: dict[str, Any] = collection.find_one({"job_task_id": job_task_id}, {"_id": 0})
    return document


def test_a_create_stores_every_field_with_nulls_as_spaceone_does(
    writer: JobTaskWriter, collection: Any
) -> None:
    writer.create(NewTask(DOMAIN, "job-1", {"collector_id": "collector-1"}, job_task_id="jt-1"))

    stored = _stored(collection, "jt-1")
    # Written out by hand: the document a create has always stored.
    expected = {
        "job_task_id": "jt-1",
        "status": "PENDING",
        "created_count": 0,
        "updated_count": 0,
        "deleted_count": 0,
        "disconnected_count": 0,
        "failure_count": 0,
        "total_count": 0,
        "errors": [],
        "reported_error_count": 0,
        "job_id": "job-1",
        "secret_id": None,
        "provider": None,
        "service_account_id": None,
        "project_id": None,
        "collector_id": "collector-1",
        "domain_id": DOMAIN,
        "workspace_id": None,  # SpaceONE 2.x's: none named
        "created_at": NOW,
        "started_at": None,
        "finished_at": None,
    }
    assert stored == expected
    assert {k: type(v) for k, v in stored.items()} == {k: type(v) for k, v in expected.items()}


def test_a_stored_spaceone_document_maps_to_a_stored_task_and_back(collection: Any) -> None:
    collection.insert_one(dict(SPACEONE_EXAMPLE))
    repository = MongoJobTaskRepository(collection)

    found = repository.find_stored(
        SPACEONE_EXAMPLE["job_task_id"], SPACEONE_EXAMPLE["domain_id"], timeout=None
    )

    assert found is not None
    assert found.task.status is JobTaskStatus.FAILURE
    assert found.task.errors == (
        TaskError(
            "ERROR_PLUGIN",
            "timeout while listing buckets",
            {"resource_type": "inventory.CloudService", "provider": "aws"},
        ),
    )
    assert (found.collector_id, found.total_count) == ("collector-0a1b2c3d4e5f", 0)
    assert found.reported_error_count is None  # SpaceONE does not store it
    assert found.task.workspace_id is None  # a 1.x document has none
    # Mapped back, it is the document SpaceONE stored, and a null for the fields it lacks.
    assert stored_document(found) == {
        **SPACEONE_EXAMPLE,
        "reported_error_count": None,
        "workspace_id": None,
    }


def test_a_create_stores_its_workspace_and_a_retry_must_name_it(
    writer: JobTaskWriter, collection: Any
) -> None:
    collection.create_index("job_task_id", unique=True)  # what a taken id is told by
    created = writer.create(
        NewTask(DOMAIN, "job-1", {"workspace_id": "workspace-1"}, job_task_id="jt-1")
    )

    assert created.workspace_id == "workspace-1"
    assert _stored(collection, "jt-1")["workspace_id"] == "workspace-1"
    again = NewTask(DOMAIN, "job-1", {"workspace_id": "workspace-1"}, job_task_id="jt-1")
    assert writer.create(again) == created
    for other in ("workspace-2", ""):
        with pytest.raises(AlreadyExists):
            writer.create(NewTask(DOMAIN, "job-1", {"workspace_id": other}, job_task_id="jt-1"))


def test_find_stored_is_within_the_domain(writer: JobTaskWriter, collection: Any) -> None:
    writer.create(NewTask(domain_id=DOMAIN, job_id="job-1", job_task_id="jt-1"))
    repository = MongoJobTaskRepository(collection)

    assert repository.find_stored("jt-1", "domain-000000000002", timeout=None) is None
    found = repository.find_stored("jt-1", DOMAIN, timeout=None)
    assert found == StoredTask(
        JobTask(
            job_task_id="jt-1",
            status=JobTaskStatus.PENDING,
            created_count=0,
            updated_count=0,
            failure_count=0,
            deleted_count=0,
            disconnected_count=0,
            errors=(),
            job_id="job-1",
            domain_id=DOMAIN,
            created_at=NOW,
        ),
        total_count=0,
        reported_error_count=0,
    )


def test_reported_errors_are_stored_as_sub_documents(
    writer: JobTaskWriter, collection: Any
) -> None:
    _started(writer, collection, "jt-1")
    errors = (
        TaskError("E1", "first", MappingProxyType({"k": [1, {"n": None}]})),
        TaskError("E2"),
        TaskError(message="third, beyond the kept two"),
    )

    task = writer.report("jt-1", DOMAIN, Progress({"created_count": 4}, errors))

    stored = _stored(collection, "jt-1")
    assert stored["errors"] == [
        {"error_code": "E1", "message": "first", "additional": {"k": [1, {"n": None}]}},
        {"error_code": "E2", "message": None, "additional": {}},
    ]
    assert [list(e) for e in stored["errors"]] == [["error_code", "message", "additional"]] * 2
    assert (stored["created_count"], stored["reported_error_count"]) == (4, 3)
    assert task.errors == (
        TaskError("E1", "first", {"k": [1, {"n": None}]}),
        TaskError("E2", None, {}),
    )
