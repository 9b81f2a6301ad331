"""The server around the API: health, reflection, indexes, behaviour when the database is gone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2

from jobtask.auth.security import load_security
from jobtask.services.collector import WriterLimits
from jobtask.services.reads import JobTaskService
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository
from jobtask_internal.v1 import job_task_writer_pb2, job_task_writer_pb2_grpc
from tests.integration.conftest import start_with_writer
from tests.support.dataset import DOMAIN
from tests.support.edges import build_server
from tests.support.independent_client import IndependentJobTaskClient


def test_health_reports_serving_for_the_server_and_the_service(channel: grpc.Channel) -> None:
    stub = health_pb2_grpc.HealthStub(channel)

    for name in ("", "spaceone.api.inventory.v1.JobTask"):
        response = stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
        assert response.status == health_pb2.HealthCheckResponse.SERVING


REFLECTION_PATHS = (
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",  # the same messages on the wire
)


def reflect(
    channel: grpc.Channel, path: str, request: reflection_pb2.ServerReflectionRequest
) -> reflection_pb2.ServerReflectionResponse:
    call = channel.stream_stream(
        path,
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    (response,) = list(call(iter([request]), timeout=5))
    return response


@pytest.fixture
def writer_channel(settings: Settings, repository: MongoJobTaskRepository) -> Iterator[Any]:
    """A server with the writer, as `python -m jobtask` serves."""
    running = start_with_writer(settings, repository, WriterLimits())
    try:
        with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            yield channel
    finally:
        running.stop(grace=0)


@pytest.mark.parametrize("path", REFLECTION_PATHS)
def test_reflection_lists_only_the_job_task_service(
    writer_channel: grpc.Channel, path: str
) -> None:
    request = reflection_pb2.ServerReflectionRequest(list_services="")

    response = reflect(writer_channel, path, request)

    # SpaceONE's clients build a stub for every listed service and abort on one they cannot load.
    names = [s.name for s in response.list_services_response.service]
    assert names == ["spaceone.api.inventory.v1.JobTask"]


@pytest.mark.parametrize("path", REFLECTION_PATHS)
@pytest.mark.parametrize(
    ("symbol", "file"),
    [
        ("spaceone.api.inventory.v1.JobTask", "spaceone/api/inventory/v1/job_task.proto"),
        ("spaceone.api.inventory.v1.ErrorInfo", "spaceone/api/inventory/v1/collector.proto"),
        ("jobtask_internal.v1.JobTaskWriter", "jobtask_internal/v1/job_task_writer.proto"),
        ("grpc.health.v1.Health", "grpc_health/v1/health.proto"),
    ],
)
def test_reflection_resolves_listed_and_unlisted_symbols(
    writer_channel: grpc.Channel, path: str, symbol: str, file: str
) -> None:
    request = reflection_pb2.ServerReflectionRequest(file_containing_symbol=symbol)

    response = reflect(writer_channel, path, request)

    first, *dependencies = response.file_descriptor_response.file_descriptor_proto
    assert descriptor_pb2.FileDescriptorProto.FromString(first).name == file
    names = {descriptor_pb2.FileDescriptorProto.FromString(d).name for d in dependencies}
    imported = descriptor_pb2.FileDescriptorProto.FromString(first).dependency
    assert set(imported) <= names


def test_unlisted_services_still_answer(writer_channel: grpc.Channel) -> None:
    health = health_pb2_grpc.HealthStub(writer_channel).Check(
        health_pb2.HealthCheckRequest(service="jobtask_internal.v1.JobTaskWriter"), timeout=5
    )
    writer = job_task_writer_pb2_grpc.JobTaskWriterStub(writer_channel)
    created = writer.create(
        job_task_writer_pb2.CreateJobTaskRequest(domain_id=DOMAIN, job_id="job-1"), timeout=5
    )

    assert health.status == health_pb2.HealthCheckResponse.SERVING
    assert created.status == created.PENDING


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
    running = build_server(
        gone, JobTaskService(unreachable_repository, max_page_size=10), security=load_security(gone)
    )
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
