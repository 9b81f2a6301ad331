"""What a SpaceONE 2.x process serves besides JobTask's rpcs: reflection v1alpha and v1 from the
2.x pool, listing JobTask only; our writer, with its own (1.x-pool) messages; and 1.x clients'
bytes refused as their mistake (never INTERNAL)."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pb2, json_format
from grpc_reflection.v1alpha import reflection_pb2

from jobtask.lines.v2.wire import JobTasksInfo
from jobtask_internal.v1 import job_task_writer_pb2, job_task_writer_pb2_grpc
from spaceone.api.inventory.v1 import job_task_pb2
from tests.integration.test_server import REFLECTION_PATHS, reflect
from tests.support.client_2x import JobTaskClient2x, scope_metadata
from tests.support.dataset import DOMAIN


@pytest.mark.parametrize("path", REFLECTION_PATHS)
def test_reflection_lists_only_job_task(channel_2x: grpc.Channel, path: str) -> None:
    request = reflection_pb2.ServerReflectionRequest(list_services="")

    response = reflect(channel_2x, path, request)

    names = [s.name for s in response.list_services_response.service]
    assert names == ["spaceone.api.inventory.v1.JobTask"]


@pytest.mark.parametrize("path", REFLECTION_PATHS)
def test_reflection_serves_the_2x_files(channel_2x: grpc.Channel, path: str) -> None:
    request = reflection_pb2.ServerReflectionRequest(
        file_containing_symbol="spaceone.api.inventory.v1.JobTask"
    )

    response = reflect(channel_2x, path, request)

    files = [
        descriptor_pb2.FileDescriptorProto.FromString(f)
        for f in response.file_descriptor_response.file_descriptor_proto
    ]
    first = files[0]
    assert first.name == "spaceone/api/inventory/v1/job_task.proto"
    assert "spaceone/api/core/v2/query.proto" in first.dependency
    messages = {m.name: m for m in first.message_type}
    assert "GetJobTaskRequest" not in messages  # 1.x's
    query_fields = {f.name: f.number for f in messages["JobTaskQuery"].field}
    assert query_fields["workspace_id"] == 21
    assert set(first.dependency) <= {f.name for f in files[1:]}


@pytest.mark.parametrize(
    "symbol", ["jobtask_internal.v1.JobTaskWriter", "spaceone.api.core.v1.Query"]
)
def test_reflection_does_not_resolve_what_2x_clients_must_not_load(
    channel_2x: grpc.Channel, symbol: str
) -> None:
    request = reflection_pb2.ServerReflectionRequest(file_containing_symbol=symbol)

    response = reflect(channel_2x, REFLECTION_PATHS[0], request)

    assert response.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]


def test_the_writer_is_served_and_its_tasks_read_through_2x(channel_2x: grpc.Channel) -> None:
    writer = job_task_writer_pb2_grpc.JobTaskWriterStub(channel_2x)
    created = writer.create(
        job_task_writer_pb2.CreateJobTaskRequest(domain_id=DOMAIN, job_id="job-1"), timeout=5
    )
    client = JobTaskClient2x(channel_2x, scope_metadata(DOMAIN))

    task = client.get({"job_task_id": created.job_task_id})

    assert task["job_id"] == "job-1"
    assert task["status"] == "PENDING"
    assert task["domain_id"] == DOMAIN


class RawBytes:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def SerializeToString(self) -> bytes:
        return self.data


def _call_1x(channel: grpc.Channel, rpc: str, message: Any, metadata: Any = ()) -> Any:
    call = channel.unary_unary(
        f"/spaceone.api.inventory.v1.JobTask/{rpc}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=lambda data: data,
    )
    return call(message, metadata=metadata, timeout=5)


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize(
    ("rpc", "message"),
    [
        (
            "get",
            job_task_pb2.GetJobTaskRequest(job_task_id="job_task-3f9c0a1b2c4d", domain_id=DOMAIN),
        ),
        (
            "delete",
            job_task_pb2.JobTaskRequest(job_task_id="job_task-3f9c0a1b2c4d", domain_id=DOMAIN),
        ),
        ("list", job_task_pb2.JobTaskQuery(domain_id=DOMAIN, job_id="job-000000000001")),
        ("stat", job_task_pb2.JobTaskStatQuery(domain_id=DOMAIN)),
    ],
)
def test_1x_bytes_without_the_2x_metadata_are_invalid_argument(
    channel_2x: grpc.Channel, rpc: str, message: Any
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        _call_1x(channel_2x, rpc, message)

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details() == (
        "ERROR_REQUIRED_PARAMETER: Required parameter. (key = domain_id)"
    )


@pytest.mark.usefixtures("seeded")
def test_a_1x_query_read_as_2x_is_never_internal(channel_2x: grpc.Channel) -> None:
    query = json_format.ParseDict(
        {
            "query": {
                "filter": [{"k": "status", "v": "SUCCESS", "o": "eq"}],
                "sort": {"key": "created_at", "desc": True},
                "page": {"limit": 3},
                "only": ["job_task_id"],
            },
            "domain_id": DOMAIN,
            "job_id": "job-000000000001",
        },
        job_task_pb2.JobTaskQuery(),
    )

    answer: Any = JobTasksInfo.FromString(
        _call_1x(channel_2x, "list", query, scope_metadata(DOMAIN))
    )

    # Bytes that decode as 2.x are a 2.x request: 1.x's job_id (4) is 2.x's provider (4), and
    # 1.x's sort message reads as a one-key 2.x sort list. Nothing matches; nothing fails.
    assert list(answer.results) == []
    assert answer.total_count == 0


@pytest.mark.usefixtures("seeded")
def test_bytes_that_do_not_decode_are_invalid_argument(channel_2x: grpc.Channel) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        _call_1x(channel_2x, "list", RawBytes(b"\x0a\x05\x0a\x03abc\xff"), scope_metadata(DOMAIN))

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "does not decode" in raised.value.details()
