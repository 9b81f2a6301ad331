"""The collector side over real gRPC: create, the status machine, atomic progress, retention."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import grpc
import pytest
from google.protobuf import json_format

from jobtask.demo import domain_ids, drive
from jobtask.services.collector import WriterLimits
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository
from jobtask_internal.v1 import job_task_writer_pb2 as w
from jobtask_internal.v1 import job_task_writer_pb2_grpc
from spaceone.api.inventory.v1 import collector_pb2
from tests.support.independent_client import IndependentJobTaskClient

DOMAIN = "domain-writer000001"
OTHER = "domain-writer000002"
MAX_ERRORS = 10
RETENTION_DAYS = 7


@pytest.fixture
def writer_channel(
    settings: Settings,
    repository: MongoJobTaskRepository,
    serve_with_writer: Callable[..., grpc.Channel],
) -> grpc.Channel:
    repository.ensure_indexes(retention_days=RETENTION_DAYS, sharded=settings.mongodb_sharded)
    return serve_with_writer(
        WriterLimits(
            max_errors=MAX_ERRORS, max_error_message_chars=200, retention_days=RETENTION_DAYS
        )
    )


@pytest.fixture
def stub(writer_channel: grpc.Channel) -> job_task_writer_pb2_grpc.JobTaskWriterStub:
    return job_task_writer_pb2_grpc.JobTaskWriterStub(writer_channel)


@pytest.fixture
def reader(writer_channel: grpc.Channel) -> IndependentJobTaskClient:
    return IndependentJobTaskClient(writer_channel)


def _dict(message: Any) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def _create(stub: Any, **fields: str) -> dict[str, Any]:
    request = w.CreateJobTaskRequest(
        domain_id=DOMAIN,
        job_id="job-000000000001",
        secret_id="secret-1",
        provider="aws",
        service_account_id="sa-1",
        project_id="project-1",
    )
    request.MergeFrom(w.CreateJobTaskRequest(**fields))
    return _dict(stub.create(request, timeout=10))


def _ref(task_id: str, domain_id: str = DOMAIN) -> w.JobTaskRef:
    return w.JobTaskRef(job_task_id=task_id, domain_id=domain_id)


def _rejected(call: Any, *args: Any) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call(*args, timeout=10)
    return raised.value


def _in_status(stub: Any, status: str) -> str:
    task_id = _create(stub)["job_task_id"]
    moves = {
        "PENDING": [],
        "IN_PROGRESS": [lambda: stub.start(_ref(task_id))],
        "SUCCESS": [
            lambda: stub.start(_ref(task_id)),
            lambda: stub.finish(
                w.FinishJobTaskRequest(
                    job_task_id=task_id, domain_id=DOMAIN, status=w.FinishJobTaskRequest.SUCCESS
                )
            ),
        ],
        "FAILURE": [
            lambda: stub.start(_ref(task_id)),
            lambda: stub.finish(
                w.FinishJobTaskRequest(
                    job_task_id=task_id, domain_id=DOMAIN, status=w.FinishJobTaskRequest.FAILURE
                )
            ),
        ],
        "CANCELED": [lambda: stub.cancel(_ref(task_id))],
    }
    for move in moves[status]:
        move()
    return task_id


def test_create_stores_a_pending_task_shaped_as_spaceone_stores_it(
    stub: Any, raw_collection: Any
) -> None:
    task = _create(stub, collector_id="collector-1")

    assert re.fullmatch(r"job_task-[0-9a-f]{12}", task["job_task_id"])
    assert task["status"] == "PENDING"
    assert "started_at" not in task and "finished_at" not in task
    stored = raw_collection.find_one({"job_task_id": task["job_task_id"]}, {"_id": 0})
    assert stored["status"] == "PENDING"
    assert stored["errors"] == [] and stored["total_count"] == 0
    assert stored["started_at"] is None and stored["finished_at"] is None
    assert stored["collector_id"] == "collector-1"
    assert isinstance(stored["created_at"], datetime)


def test_create_without_optional_fields_stores_nulls(stub: Any, raw_collection: Any) -> None:
    request = w.CreateJobTaskRequest(domain_id=DOMAIN, job_id="job-2")
    task_id = stub.create(request, timeout=10).job_task_id

    stored = raw_collection.find_one({"job_task_id": task_id})
    assert stored["provider"] is None and stored["project_id"] is None


def test_create_stores_the_workspace_and_answers_1x_job_task_info(
    stub: Any, raw_collection: Any, reader: IndependentJobTaskClient
) -> None:
    """SpaceONE 2.x's workspace_id is stored (and scopes a 2.x process's reads); the answers,
    the writer's and a 1.x get's, are 1.x's JobTaskInfo, which has none."""
    task = _create(stub, workspace_id="workspace-1")

    assert "workspace_id" not in task
    stored = raw_collection.find_one({"job_task_id": task["job_task_id"]})
    assert stored["workspace_id"] == "workspace-1"
    got = reader.get({"job_task_id": task["job_task_id"], "domain_id": DOMAIN})
    assert got["job_task_id"] == task["job_task_id"] and "workspace_id" not in got
    assert (
        raw_collection.find_one({"job_task_id": _create(stub)["job_task_id"]})["workspace_id"]
        is None
    )


def test_create_twice_with_the_same_content_is_a_safe_retry(stub: Any) -> None:
    first = _create(stub, job_task_id="job_task-0123456789ab")
    again = _create(stub, job_task_id="job_task-0123456789ab")

    assert again == first


def test_create_twice_with_other_content_is_already_exists(stub: Any) -> None:
    _create(stub, job_task_id="job_task-0123456789ab")

    error = _rejected(
        stub.create,
        w.CreateJobTaskRequest(
            job_task_id="job_task-0123456789ab", domain_id=DOMAIN, job_id="job-other"
        ),
    )

    assert error.code() is grpc.StatusCode.ALREADY_EXISTS
    assert error.details().startswith("ERROR_SAVE_UNIQUE_VALUES: ")


@pytest.mark.parametrize(
    ("start_status", "action", "end_status", "stamp"),
    [
        ("PENDING", "start", "IN_PROGRESS", "started_at"),
        ("IN_PROGRESS", "finish SUCCESS", "SUCCESS", "finished_at"),
        ("IN_PROGRESS", "finish FAILURE", "FAILURE", "finished_at"),
        ("PENDING", "cancel", "CANCELED", "finished_at"),
        ("IN_PROGRESS", "cancel", "CANCELED", "finished_at"),
    ],
)
def test_legal_moves_change_the_status_and_stamp_the_time(
    stub: Any,
    reader: IndependentJobTaskClient,
    start_status: str,
    action: str,
    end_status: str,
    stamp: str,
) -> None:
    task_id = _in_status(stub, start_status)

    moved = _dict(_act(stub, action, task_id))

    assert moved["status"] == end_status
    assert moved[stamp].endswith("Z")
    assert reader.get({"job_task_id": task_id, "domain_id": DOMAIN})["status"] == end_status


def _act(stub: Any, action: str, task_id: str, domain_id: str = DOMAIN) -> Any:
    verb, _, outcome = action.partition(" ")
    if verb == "finish":
        return stub.finish(
            w.FinishJobTaskRequest(job_task_id=task_id, domain_id=domain_id, status=outcome),
            timeout=10,
        )
    if verb == "report":
        return stub.report(
            w.ReportProgressRequest(job_task_id=task_id, domain_id=domain_id, created_count=1),
            timeout=10,
        )
    return getattr(stub, verb)(_ref(task_id, domain_id), timeout=10)


ILLEGAL = [
    ("IN_PROGRESS", "start"),
    ("SUCCESS", "start"),
    ("CANCELED", "start"),
    ("PENDING", "finish SUCCESS"),
    ("FAILURE", "finish SUCCESS"),
    ("SUCCESS", "finish FAILURE"),
    ("CANCELED", "finish FAILURE"),
    ("SUCCESS", "cancel"),
    ("FAILURE", "cancel"),
    ("CANCELED", "cancel"),
    ("PENDING", "report"),
    ("SUCCESS", "report"),
    ("CANCELED", "report"),
]


@pytest.mark.parametrize(("status", "action"), ILLEGAL)
def test_illegal_moves_are_failed_precondition_naming_the_status(
    stub: Any, raw_collection: Any, status: str, action: str
) -> None:
    task_id = _in_status(stub, status)
    before = raw_collection.find_one({"job_task_id": task_id})

    with pytest.raises(grpc.RpcError) as raised:
        _act(stub, action, task_id)

    assert raised.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert f"the task is {status}" in raised.value.details()
    assert raw_collection.find_one({"job_task_id": task_id}) == before


@pytest.mark.parametrize("action", ["start", "finish SUCCESS", "cancel", "report"])
def test_writes_are_scoped_to_the_domain(stub: Any, raw_collection: Any, action: str) -> None:
    task_id = _in_status(
        stub, "IN_PROGRESS" if action in ("finish SUCCESS", "report") else "PENDING"
    )
    before = raw_collection.find_one({"job_task_id": task_id})

    with pytest.raises(grpc.RpcError) as raised:
        _act(stub, action, task_id, domain_id=OTHER)

    assert raised.value.code() is grpc.StatusCode.NOT_FOUND
    assert raw_collection.find_one({"job_task_id": task_id}) == before


@pytest.mark.gap(
    "documentdb",
    "crashed (SIGSEGV in find_and_modify, every connection reset) while these 16 threads "
    "updated one document (2026-12-01; docs/compatibility.md, database differences)",
)
def test_concurrent_reports_lose_nothing(stub: Any, raw_collection: Any) -> None:
    task_id = _in_status(stub, "IN_PROGRESS")
    threads, reports = 16, 200

    def collector(n: int) -> None:
        for i in range(reports):
            errors = (
                [collector_pb2.ErrorInfo(error_code="E", message=f"{n}-{i}")] if i % 50 == 0 else []
            )
            stub.report(
                w.ReportProgressRequest(
                    job_task_id=task_id,
                    domain_id=DOMAIN,
                    created_count=1,
                    updated_count=2,
                    errors=errors,
                ),
                timeout=30,
            )

    workers = [threading.Thread(target=collector, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)

    stored = raw_collection.find_one({"job_task_id": task_id})
    assert stored["created_count"] == threads * reports
    assert stored["updated_count"] == 2 * threads * reports
    assert stored["reported_error_count"] == threads * (reports // 50)
    assert len(stored["errors"]) == MAX_ERRORS


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (w.ReportProgressRequest(created_count=-1), "created_count"),
        (w.ReportProgressRequest(failure_count=-5), "failure_count"),
        (w.ReportProgressRequest(errors=[{"error_code": "E", "message": "x" * 201}]), "message"),
        (w.ReportProgressRequest(errors=[{"error_code": "E" * 129}]), "error_code"),
    ],
)
def test_bad_progress_is_invalid_argument_and_changes_nothing(
    stub: Any, raw_collection: Any, request_: w.ReportProgressRequest, field: str
) -> None:
    task_id = _in_status(stub, "IN_PROGRESS")
    before = raw_collection.find_one({"job_task_id": task_id})
    request_.job_task_id, request_.domain_id = task_id, DOMAIN

    error = _rejected(stub.report, request_)

    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field in error.details()
    assert raw_collection.find_one({"job_task_id": task_id}) == before


@pytest.mark.parametrize("outcome", [0, 3, 99])
def test_finish_with_an_unknown_status_is_invalid(stub: Any, outcome: int) -> None:
    task_id = _in_status(stub, "IN_PROGRESS")

    status = cast(w.FinishJobTaskRequest.Outcome, outcome)  # numbers outside the enum, on purpose
    error = _rejected(
        stub.finish, w.FinishJobTaskRequest(job_task_id=task_id, domain_id=DOMAIN, status=status)
    )

    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("rpc", ["create", "start", "cancel"])
def test_writer_calls_without_domain_are_invalid(stub: Any, rpc: str) -> None:
    request = w.CreateJobTaskRequest(job_id="j") if rpc == "create" else _ref("job_task-1", "")

    error = _rejected(getattr(stub, rpc), request)

    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "domain_id" in error.details()


def test_retention_is_a_ttl_index_on_finished_at(raw_collection: Any, stub: Any) -> None:
    ttl = raw_collection.index_information()["finished_at_ttl"]

    assert ttl["key"] == [("finished_at", -1)]
    assert ttl["expireAfterSeconds"] == RETENTION_DAYS * 86_400


def test_purge_deletes_finished_tasks_older_than_the_retention(
    stub: Any, raw_collection: Any
) -> None:
    # Purge alone: a real database's TTL monitor would delete the aged tasks by itself otherwise.
    raw_collection.drop_index("finished_at_ttl")
    now = datetime.now(UTC).replace(tzinfo=None)
    old, recent = now - timedelta(days=RETENTION_DAYS + 1), now - timedelta(days=1)
    kept = {_in_status(stub, s) for s in ("SUCCESS", "PENDING", "IN_PROGRESS")}
    expired = {_in_status(stub, s) for s in ("SUCCESS", "FAILURE", "CANCELED")}
    raw_collection.update_many(
        {"job_task_id": {"$in": sorted(expired)}}, {"$set": {"finished_at": old}}
    )
    raw_collection.update_many(
        {"job_task_id": {"$in": sorted(kept)}, "finished_at": {"$ne": None}},
        {"$set": {"finished_at": recent}},
    )
    other = {
        **raw_collection.find_one({"job_task_id": next(iter(expired))}, {"_id": 0}),
        "job_task_id": "job_task-other0000001",
        "domain_id": OTHER,
    }
    raw_collection.insert_one(other)

    scoped = stub.purge(w.PurgeRequest(domain_id=DOMAIN), timeout=10)
    everywhere = stub.purge(w.PurgeRequest(), timeout=10)

    assert scoped.deleted_count == len(expired)
    assert everywhere.deleted_count == 1
    remaining = {d["job_task_id"] for d in raw_collection.find({}, {"job_task_id": 1})}
    assert remaining == kept


def test_the_demo_drives_tasks_into_every_status(
    writer_channel: grpc.Channel, raw_collection: Any
) -> None:
    outcomes = drive(job_task_writer_pb2_grpc.JobTaskWriterStub(writer_channel), 60, 2, seed=5)

    stored = list(raw_collection.find({}, {"_id": 0}))
    assert len(stored) == 60 == sum(outcomes.values())
    assert {t["status"] for t in stored} == set(outcomes)
    assert {t["domain_id"] for t in stored} == set(domain_ids(2))
    failed = [t for t in stored if t["status"] == "FAILURE"]
    assert failed and all(t["errors"] and t["finished_at"] for t in failed)
    running = [t for t in stored if t["status"] == "IN_PROGRESS"]
    assert all(t["started_at"] and t["finished_at"] is None for t in running)
