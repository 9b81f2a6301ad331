"""The database goes away under a running server (`python -m jobtask`) and comes back.

While it is down calls fail fast with UNAVAILABLE and health answers NOT_SERVING; once it is back
both recover by themselves, without a restart; and what was acknowledged before it went down is
still there afterwards (the dev database on its H2 file, stopped with SIGTERM as `devdb.sh stop`
does).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import grpc
import pytest
from google.protobuf import json_format

from jobtask_internal.v1 import job_task_writer_pb2 as w
from jobtask_internal.v1 import job_task_writer_pb2_grpc
from tests.support.dataset import DOMAIN
from tests.support.independent_client import IndependentJobTaskClient
from tests.support.processes import (
    JOB_TASK_SERVICE,
    NOT_SERVING,
    SERVING,
    Database,
    free_port,
    health_status,
    server_environment,
    start_database,
    start_server,
    wait_health,
)

SELECTION_TIMEOUT: Final = 1.0  # MONGODB_SERVER_SELECTION_TIMEOUT_MS, in seconds
PROBE_INTERVAL: Final = 0.2  # DB_HEALTH_INTERVAL_SECONDS


class Stack:
    """A dev database and the server over it; the database can be stopped and started again."""

    def __init__(
        self,
        database_name: str,
        data_dir: Path | None,
        *,
        selection_timeout: float = SELECTION_TIMEOUT,
        workers: int = 16,
    ) -> None:
        self.data_dir = data_dir
        self.database: Database = start_database(data_dir=data_dir)
        self.port = free_port()
        environment = server_environment(
            self.database.uri,
            database_name,
            self.port,
            DB_HEALTH_INTERVAL_SECONDS=str(PROBE_INTERVAL),
            MONGODB_SERVER_SELECTION_TIMEOUT_MS=str(int(selection_timeout * 1000)),
            GRPC_WORKERS=str(workers),
            SHUTDOWN_GRACE_SECONDS="2",
        )
        self.server = start_server(environment)
        wait_health(self.port, SERVING, timeout=30)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")

    def restart_database(self) -> None:
        self.database = start_database(self.database.port, data_dir=self.data_dir)

    def close(self) -> int:
        self.channel.close()
        self.server.terminate()
        try:
            return self.server.wait(timeout=20)
        finally:
            self.database.stop()


@pytest.fixture
def stack(database_name: str) -> Iterator[Stack]:
    running = Stack(database_name, data_dir=None)
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def durable_stack(database_name: str, tmp_path: Path) -> Iterator[Stack]:
    running = Stack(database_name, data_dir=tmp_path / "devdb")
    try:
        yield running
    finally:
        running.close()


def unavailable_within(call: Any, seconds: float) -> None:
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as raised:
        call()
    elapsed = time.monotonic() - started
    assert raised.value.code() is grpc.StatusCode.UNAVAILABLE, raised.value.details()
    assert elapsed < seconds, f"UNAVAILABLE only after {elapsed:.1f}s"


def eventually(call: Any, *, within: float) -> Any:
    """The call's answer once it succeeds; until then it may only be UNAVAILABLE."""
    deadline = time.monotonic() + within
    while True:
        try:
            return call()
        except grpc.RpcError as error:
            assert error.code() is grpc.StatusCode.UNAVAILABLE, error.details()
            assert time.monotonic() < deadline, "did not recover"
            time.sleep(0.1)


def test_while_the_database_is_down_calls_fail_fast_and_health_is_not_serving_until_it_returns(
    stack: Stack,
) -> None:
    client = IndependentJobTaskClient(stack.channel)
    assert client.list({"domain_id": DOMAIN}, timeout=5) == {}

    stack.database.stop()

    # A call waits at most the server selection timeout for the database, never its deadline.
    for _ in range(3):
        unavailable_within(
            lambda: client.list({"domain_id": DOMAIN}, timeout=10), SELECTION_TIMEOUT + 1.5
        )
    wait_health(stack.port, NOT_SERVING, timeout=SELECTION_TIMEOUT + 2)
    assert health_status(stack.channel, JOB_TASK_SERVICE) == NOT_SERVING

    stack.restart_database()

    wait_health(stack.port, SERVING, timeout=15)
    assert health_status(stack.channel, JOB_TASK_SERVICE) == SERVING
    assert eventually(lambda: client.list({"domain_id": DOMAIN}, timeout=5), within=5) == {}

    # Down again, and then the server is told to stop: it does, cleanly.
    stack.database.stop()
    wait_health(stack.port, NOT_SERVING, timeout=SELECTION_TIMEOUT + 2)
    assert stack.close() == 0


LONG_SELECTION: Final = 8.0  # seconds a call would hold its worker without failing fast


@pytest.fixture
def patient_stack(database_name: str) -> Iterator[Stack]:
    """Two workers and a long server selection timeout: held workers would show at once."""
    running = Stack(database_name, data_dir=None, selection_timeout=LONG_SELECTION, workers=2)
    try:
        yield running
    finally:
        running.close()


def test_once_the_database_is_known_gone_calls_fail_at_once_and_health_answers(
    patient_stack: Stack,
) -> None:
    stack = patient_stack
    client = IndependentJobTaskClient(stack.channel)
    assert client.list({"domain_id": DOMAIN}, timeout=5) == {}

    stack.database.stop()

    # The first call waits out the selection timeout; the health probe sees the outage too.
    unavailable_within(lambda: client.list({"domain_id": DOMAIN}, timeout=20), LONG_SELECTION + 3)
    wait_health(stack.port, NOT_SERVING, timeout=LONG_SELECTION)
    # From then on nothing waits for it: each call (and health, on the same 2 workers) answers
    # long before a selection timeout could pass.
    for _ in range(10):
        unavailable_within(
            lambda: client.list({"domain_id": DOMAIN}, timeout=20), LONG_SELECTION / 4
        )
        assert health_status(stack.channel, JOB_TASK_SERVICE) == NOT_SERVING

    stack.restart_database()

    assert eventually(lambda: client.list({"domain_id": DOMAIN}, timeout=5), within=10) == {}
    wait_health(stack.port, SERVING, timeout=10)


def _create(stub: Any, number: int) -> w.CreateJobTaskRequest:
    return stub.create(
        w.CreateJobTaskRequest(
            domain_id=DOMAIN, job_id=f"job-{number:012d}", provider="aws", secret_id="secret-1"
        ),
        timeout=10,
    )


def _acknowledged_tasks(stub: Any, count: int) -> dict[str, dict[str, Any]]:
    """Tasks created, started, reported and finished in turn; each as the server acknowledged it."""
    tasks = {}
    for number in range(count):
        task = _create(stub, number)
        ref = w.JobTaskRef(job_task_id=task.job_task_id, domain_id=DOMAIN)
        if number % 3:
            stub.start(ref, timeout=10)
            progress = w.ReportProgressRequest(
                job_task_id=task.job_task_id, domain_id=DOMAIN, created_count=number
            )
            task = stub.report(progress, timeout=10)
        if number % 3 == 2:
            outcome = (
                w.FinishJobTaskRequest.SUCCESS if number % 2 else w.FinishJobTaskRequest.FAILURE
            )
            finish = w.FinishJobTaskRequest(
                job_task_id=task.job_task_id, domain_id=DOMAIN, status=outcome
            )
            task = stub.finish(finish, timeout=10)
        tasks[task.job_task_id] = json_format.MessageToDict(task, preserving_proto_field_name=True)
    return tasks


def test_acknowledged_writes_survive_a_database_restart(durable_stack: Stack) -> None:
    stub = job_task_writer_pb2_grpc.JobTaskWriterStub(durable_stack.channel)
    reader = IndependentJobTaskClient(durable_stack.channel)
    acknowledged = _acknowledged_tasks(stub, 30)

    durable_stack.database.stop()
    unavailable_within(lambda: _create(stub, 999), SELECTION_TIMEOUT + 1.5)  # never acknowledged
    durable_stack.restart_database()
    wait_health(durable_stack.port, SERVING, timeout=15)

    for job_task_id, expected in acknowledged.items():
        request = {"job_task_id": job_task_id, "domain_id": DOMAIN}
        assert eventually(lambda r=request: reader.get(r, timeout=5), within=5) == expected
    listed = reader.list({"domain_id": DOMAIN, "query": {"count_only": True}}, timeout=5)
    assert listed["total_count"] == len(acknowledged)
