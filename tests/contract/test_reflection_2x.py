"""Reflection from the 2.x pool gives SpaceONE 2.x's clients everything they load.

spaceone-core 2.0.144's `pygrpc.client` (which spacectl 2.0.10 uses) keeps no stubs of its own: it
asks reflection v1alpha to `list_services`, builds a DescriptorPool over a
`ProtoReflectionDescriptorDatabase` (`file_containing_symbol` for each listed service, then
`file_by_filename` for each import it lacks), and for every rpc makes the request class from that
pool and fills it with `ParseDict`. A listed service that does not resolve fails the whole client.

Here grpcio-reflection's own servicer, over `jobtask.lines.v2.wire.POOL`, answers grpcio-
reflection's own client database through bytes, in process (a stand-in channel, no socket), and the
client's steps run on what it answered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha import reflection
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from grpc_reflection.v1alpha.reflection_pb2 import ServerReflectionRequest, ServerReflectionResponse

from jobtask.lines.v2 import wire

LISTED: Final = (wire.SERVICE_NAME,)  # as the 1.x server: only what SpaceONE's clients can load

# What spacectl 2.0.10 and SpaceConnector send (spec/spaceone-2x.md), one per rpc.
REQUESTS: Final[dict[str, dict[str, Any]]] = {
    "get": {"job_task_id": "job-task-123456789012"},
    "delete": {"job_task_id": "job-task-123456789012"},
    "list": {
        "query": {
            "filter": [{"k": "status", "v": "FAILURE", "o": "eq"}],
            "filter_or": [{"key": "provider", "value": "aws", "operator": "eq"}],
            "sort": [{"key": "created_at", "desc": True}],
            "page": {"start": 1, "limit": 10},
            "only": ["job_task_id", "status"],
            "minimal": True,
            "count_only": False,
            "keyword": "job-task",
        },
        "project_id": "project-1",
        "workspace_id": "workspace-1",
    },
    "stat": {
        "query": {
            "aggregate": [
                {"unwind": {"path": "errors"}},
                {
                    "group": {
                        "keys": [{"key": "created_at", "name": "day", "date_format": "%Y-%m-%d"}],
                        "fields": [{"key": "job_task_id", "name": "n", "operator": "count"}],
                    }
                },
                {"sort": [{"key": "n", "desc": True}]},
                {"limit": 5},
            ],
            "distinct": "",
            "page": {"limit": 5},
        }
    },
}


class InProcessChannel:
    """As much of a grpc.Channel as ServerReflectionStub uses: its one stream-stream call goes
    through bytes to the servicer; every request is kept in `asked`."""

    def __init__(self, servicer: reflection.ReflectionServicer) -> None:
        self.servicer = servicer
        self.asked: list[ServerReflectionRequest] = []

    def stream_stream(
        self,
        method: str,
        request_serializer: Callable[[Any], bytes],
        response_deserializer: Callable[[bytes], Any],
        **_: Any,
    ) -> Callable[..., Iterator[Any]]:
        def call(requests: Iterator[Any], **__: Any) -> Iterator[Any]:
            for request in requests:
                sent = ServerReflectionRequest.FromString(request_serializer(request))
                self.asked.append(sent)
                for answer in self.servicer.ServerReflectionInfo(iter([sent]), None):
                    yield response_deserializer(answer.SerializeToString())

        return call


def _server() -> reflection.ReflectionServicer:
    return reflection.ReflectionServicer(LISTED, pool=wire.POOL)


def _ask(request: ServerReflectionRequest) -> ServerReflectionResponse:
    [answer] = _server().ServerReflectionInfo(iter([request]), None)
    return answer


def _client(channel: InProcessChannel) -> tuple[descriptor_pool.DescriptorPool, dict[str, Any]]:
    """spaceone-core 2.0.144's GRPCClient._init_grpc_reflection: every listed service's request
    classes, built from reflection alone."""
    database = ProtoReflectionDescriptorDatabase(channel)
    pool = descriptor_pool.DescriptorPool(database)
    request_classes: dict[str, Any] = {}
    for service in database.get_services():
        service_descriptor = pool.FindServiceByName(service)
        for method in service_descriptor.methods:
            request = pool.FindMessageTypeByName(method.input_type.full_name)
            answer = pool.FindMessageTypeByName(method.output_type.full_name)
            message_factory.GetMessageClass(answer)  # its _GRPCStub's response_deserializer
            request_classes[f"/{service}/{method.name}"] = message_factory.GetMessageClass(request)
    return pool, request_classes


def test_a_2x_client_builds_every_listed_service_from_reflection_alone() -> None:
    channel = InProcessChannel(_server())

    _, request_classes = _client(channel)

    assert sorted(request_classes) == sorted(f"/{wire.SERVICE_NAME}/{rpc}" for rpc in REQUESTS)
    for rpc, body in REQUESTS.items():
        request = json_format.ParseDict(body, request_classes[f"/{wire.SERVICE_NAME}/{rpc}"]())
        served = wire.SERVICE.methods_by_name[rpc].input_type
        assert message_factory.GetMessageClass(served).FromString(request.SerializeToString())
    asked = [request.WhichOneof("message_request") for request in channel.asked]
    assert asked[:2] == ["list_services", "file_containing_symbol"]


def test_the_client_sees_our_files_as_we_declare_them() -> None:
    pool, _ = _client(InProcessChannel(_server()))

    theirs, ours = descriptor_pb2.FileDescriptorProto(), descriptor_pb2.FileDescriptorProto()
    pool.FindFileByName(wire.SERVICE_FILE).CopyToProto(theirs)
    wire.FILE.CopyToProto(ours)

    assert theirs == ours


def _closure(name: str) -> list[str]:
    found: list[str] = []
    pending = [wire.POOL.FindFileByName(name)]
    while pending:
        file = pending.pop(0)
        if file.name not in found:
            found.append(file.name)
            pending += list(file.dependencies)
    return found


@pytest.mark.parametrize("name", _closure(wire.SERVICE_FILE))
def test_every_file_a_client_may_ask_for_by_name_is_served_whole(name: str) -> None:
    """file_by_filename of each file the service's file imports, transitively: the answer alone
    (the file and all it imports) builds in an empty pool."""
    answer = _ask(ServerReflectionRequest(file_by_filename=name))

    protos = [
        descriptor_pb2.FileDescriptorProto.FromString(serialized)
        for serialized in answer.file_descriptor_response.file_descriptor_proto
    ]
    fresh = descriptor_pool.DescriptorPool()
    added: set[str] = set()
    while len(added) < len(protos):  # in an order where each file follows its imports
        ready = [p for p in protos if p.name not in added and set(p.dependency) <= added]
        assert ready, f"{name}: the answer lacks {[p.name for p in protos if p.name not in added]}"
        for proto in ready:
            fresh.AddSerializedFile(proto.SerializeToString())
            added.add(proto.name)
    assert fresh.FindFileByName(name).name == name


def _json_names(messages: Iterator[descriptor_pb2.DescriptorProto] | Any) -> Iterator[str]:
    for message in messages:
        yield from (field.json_name for field in message.field if field.HasField("json_name"))
        yield from _json_names(message.nested_type)


def test_served_files_carry_no_json_names_as_generated_modules_do() -> None:
    """protoc's Python generator leaves `json_name` out of the files a `_pb2` module (SpaceONE's
    own 2.x server's, our 1.x's) serves, so grpcurl prints field names in snake_case; the 2.x
    pool, read from a descriptor set, serves none either."""
    answer = _ask(ServerReflectionRequest(file_containing_symbol=wire.SERVICE_NAME))
    protos = [
        descriptor_pb2.FileDescriptorProto.FromString(serialized)
        for serialized in answer.file_descriptor_response.file_descriptor_proto
    ]
    assert wire.SERVICE_FILE in {proto.name for proto in protos}
    assert [name for proto in protos for name in _json_names(proto.message_type)] == []
    assert (
        wire.SERVICE.methods_by_name["list"]
        .input_type.fields_by_name["service_account_id"]
        .json_name
        == "serviceAccountId"
    )  # json_format's names are unchanged


@pytest.mark.parametrize(
    "symbol",
    [
        "spaceone.api.inventory.v1.GetJobTaskRequest",  # 1.x only
        "spaceone.api.core.v1.Query",  # 1.x's query
        "jobtask_internal.v1.JobTaskWriter",  # ours, 1.x messages: not in the 2.x pool
    ],
)
def test_symbols_of_the_1x_line_are_not_found(symbol: str) -> None:
    answer = _ask(ServerReflectionRequest(file_containing_symbol=symbol))

    assert answer.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]


def test_a_1x_field_fails_on_the_2x_client_as_spaceone_says() -> None:
    """Requests are built with ParseDict against the server's descriptors: 1.x's domain_id in
    a request is the client's error, before anything is sent."""
    _, request_classes = _client(InProcessChannel(_server()))

    with pytest.raises(json_format.ParseError, match="domain_id"):
        json_format.ParseDict(
            {"job_task_id": "job-task-1", "domain_id": "domain-1"},
            request_classes[f"/{wire.SERVICE_NAME}/get"](),
        )
