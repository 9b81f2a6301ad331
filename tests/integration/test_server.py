"""The server around the API: health, reflection, indexes, behaviour when the database is gone."""

from __future__ import annotations

import time
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from jobtask.api.server import build_server
from jobtask.repository import MongoJobTaskRepository
from jobtask.service import JobTaskService
from jobtask.settings import Settings
from tests.support.dataset import DOMAIN
from tests.support.independent_client import IndependentJobTaskClient


def test_health_reports_serving_for_the_server_and_the_service(channel: grpc.Channel) -> None:
    stub = health_pb2_grpc.HealthStub(channel)

    for name in ("", "spaceone.api.inventory.v1.JobTask"):
        response = stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
        assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_v1alpha_lists_the_services(channel: grpc.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")

    (response,) = list(stub.ServerReflectionInfo(iter([request]), timeout=5))

    names = {s.name for s in response.list_services_response.service}
    assert {"spaceone.api.inventory.v1.JobTask", "grpc.health.v1.Health"} <= names


def test_reflection_serves_the_job_task_file_with_its_dependencies(channel: grpc.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(
        file_containing_symbol="spaceone.api.inventory.v1.JobTask"
    )

    (response,) = list(stub.ServerReflectionInfo(iter([request]), timeout=5))

    assert response.file_descriptor_response.file_descriptor_proto


def test_indexes_are_created_and_creating_them_again_changes_nothing(
    repository: Any, raw_collection: Any
) -> None:
    before = raw_collection.index_information()
    repository.ensure_indexes()

    assert raw_collection.index_information() == before
    assert before["job_task_id_1"].get("unique") is True
    assert [("domain_id", 1), ("created_at", -1), ("job_task_id", -1)] in [
        i["key"] for i in before.values()
    ]


def test_an_unreachable_database_is_unavailable_quickly(
    settings: Settings, unreachable_repository: MongoJobTaskRepository
) -> None:
    gone = settings.model_copy(update={"mongodb_server_selection_timeout_ms": 500})
    running = build_server(gone, JobTaskService(unreachable_repository, max_page_size=10))
    running.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            started = time.monotonic()
            with pytest.raises(grpc.RpcError) as raised:
                IndependentJobTaskClient(channel).list({"domain_id": DOMAIN}, timeout=10)
            elapsed = time.monotonic() - started
    finally:
        running.stop(grace=0)

    assert raised.value.code() is grpc.StatusCode.UNAVAILABLE
    assert raised.value.details().startswith("ERROR_DB_UNAVAILABLE: ")
    assert elapsed < 8, "must fail within the configured timeout, not hang"


def test_the_clients_deadline_bounds_the_call(client: IndependentJobTaskClient) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        client.list({"domain_id": DOMAIN}, timeout=0.000_001)

    assert raised.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
