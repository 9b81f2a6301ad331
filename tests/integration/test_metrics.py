"""Metrics of a real gRPC server on port 0 (over mongomock): only the JobTask services' calls are
measured, not health's or reflection's (the rest, without a server:
tests/unit/observability/test_metrics.py)."""

from __future__ import annotations

from typing import Any

import grpc
import mongomock
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import CollectorRegistry

from jobtask.auth.security import Security
from jobtask.observability.metrics import Metrics
from jobtask.services.reads import JobTaskService
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository
from spaceone.api.inventory.v1 import job_task_pb2, job_task_pb2_grpc
from tests.support.edges import build_server

SERVICE = "spaceone.api.inventory.v1.JobTask"


def test_calls_of_other_services_are_not_measured() -> None:
    registry = CollectorRegistry()
    metrics = Metrics(registry)
    collection: Any = mongomock.MongoClient()["inventory"]["job_task"]
    service = JobTaskService(MongoJobTaskRepository(collection), max_page_size=10)
    settings = Settings(grpc_host="127.0.0.1", grpc_port=0)
    running = build_server(settings, service, security=Security(), metrics=metrics)
    running.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            health.Check(health_pb2.HealthCheckRequest(), timeout=5)
            job_tasks = job_task_pb2_grpc.JobTaskStub(channel)
            with pytest.raises(grpc.RpcError):
                job_tasks.get(job_task_pb2.GetJobTaskRequest(), timeout=5)
    finally:
        running.stop(None)

    services = {
        sample.labels.get("service")
        for family in registry.collect()
        for sample in family.samples
        if sample.name == "jobtask_grpc_requests_total"
    }
    assert services == {SERVICE}
