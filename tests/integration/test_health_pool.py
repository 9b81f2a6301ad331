"""gRPC health checks run on a pool of their own: they answer while every worker is busy."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import grpc
import mongomock
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from jobtask.auth.security import load_security
from jobtask.edges.grpc.server import RunningServer
from jobtask.services.reads import JobTaskService
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository
from spaceone.api.inventory.v1 import job_task_pb2, job_task_pb2_grpc
from tests.support.edges import build_server

WORKERS = 2


class Stuck(MongoJobTaskRepository):
    """Every get waits until released, as calls wait for a database that went away."""

    def __init__(self) -> None:
        super().__init__(mongomock.MongoClient()["db"]["job_task"])
        self.entered = threading.Semaphore(0)
        self.release = threading.Event()

    def find_one(self, *args: Any, **kwargs: Any) -> Any:
        self.entered.release()
        self.release.wait(timeout=30)
        return None


@pytest.fixture
def stuck() -> Stuck:
    return Stuck()


@pytest.fixture
def running(stuck: Stuck) -> Iterator[RunningServer]:
    settings = Settings(grpc_host="127.0.0.1", grpc_port=0, grpc_workers=WORKERS)
    server = build_server(
        settings, JobTaskService(stuck, max_page_size=10), security=load_security(settings)
    )
    server.start()
    yield server
    stuck.release.set()
    server.stop(grace=1)


def test_health_answers_while_every_worker_waits(running: RunningServer, stuck: Stuck) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        stub = job_task_pb2_grpc.JobTaskStub(channel)
        request = job_task_pb2.GetJobTaskRequest(job_task_id="job_task-1", domain_id="domain-1")
        waiting = [stub.get.future(request, timeout=30) for _ in range(WORKERS)]
        for _ in range(WORKERS):
            assert stuck.entered.acquire(timeout=10)  # every worker is now held

        health = health_pb2_grpc.HealthStub(channel)
        answer = health.Check(health_pb2.HealthCheckRequest(), timeout=5)
        blocked = stub.get.future(request, timeout=1)  # no worker: it waits, as health would

        assert answer.status == health_pb2.HealthCheckResponse.SERVING
        assert blocked.exception() is not None
        assert blocked.code() is grpc.StatusCode.DEADLINE_EXCEEDED
        stuck.release.set()
        assert all(call.exception() is not None for call in waiting)  # NOT_FOUND: nothing stored
