"""The independent client against a tiny in-process gRPC server that speaks raw, hand-encoded bytes.

No database and none of our stubs: the bytes below are written from wire.md's field numbers.
"""

from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field

import grpc
import pytest

from tests.contract import contract
from tests.support.independent_client import IndependentJobTaskClient

# JobTaskQuery{query: {page: {limit: 5}}, status: FAILURE, job_id: "job-1"}
LIST_REQUEST_BYTES = b"\x0a\x04\x22\x02\x10\x05" + b"\x18\x05" + b"\x22\x05job-1"
# JobTasksInfo{results: [{job_task_id: "jt-1", status: SUCCESS}], total_count: 1}
LIST_RESPONSE_BYTES = b"\x0a\x08" + b"\x0a\x04jt-1\x10\x04" + b"\x10\x01"
# Struct{"count": 2.0}: one map entry whose Value holds number_value (field 2, a double).
STAT_RESPONSE_BYTES = b"\x0a\x12" + b"\x0a\x05count" + b"\x12\x09\x11" + bytes(6) + b"\x00\x40"


@dataclass
class RawJobTaskServer:
    """Records what each rpc received and answers with fixed bytes; `get` always fails."""

    requests: dict[str, bytes] = field(default_factory=dict)
    metadata: dict[str, str | bytes] = field(default_factory=dict)

    def list(self, request: bytes, context: grpc.ServicerContext) -> bytes:
        self.requests["list"] = request
        return LIST_RESPONSE_BYTES

    def stat(self, request: bytes, context: grpc.ServicerContext) -> bytes:
        self.requests["stat"] = request
        return STAT_RESPONSE_BYTES

    def delete(self, request: bytes, context: grpc.ServicerContext) -> bytes:
        self.requests["delete"] = request
        self.metadata.update(context.invocation_metadata())
        return b""

    def get(self, request: bytes, context: grpc.ServicerContext) -> bytes:
        context.abort(grpc.StatusCode.NOT_FOUND, "ERROR_NOT_FOUND: job-task-404")
        raise AssertionError("unreachable: context.abort raises")

    def handler(self) -> grpc.GenericRpcHandler:
        """Serve each rpc without (de)serializers, so handlers see and return raw bytes."""
        return grpc.method_handlers_generic_handler(
            contract.SERVICE,
            {rpc: grpc.unary_unary_rpc_method_handler(getattr(self, rpc)) for rpc in contract.RPCS},
        )


@pytest.fixture
def raw_server() -> RawJobTaskServer:
    return RawJobTaskServer()


@pytest.fixture
def client(raw_server: RawJobTaskServer) -> Iterator[IndependentJobTaskClient]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((raw_server.handler(),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield IndependentJobTaskClient(channel)
    server.stop(None).wait()


def test_list_sends_the_request_encoded_with_contract_field_numbers(
    client: IndependentJobTaskClient, raw_server: RawJobTaskServer
) -> None:
    client.list({"job_id": "job-1", "status": "FAILURE", "query": {"page": {"limit": 5}}})
    assert raw_server.requests["list"] == LIST_REQUEST_BYTES


def test_list_returns_proto_field_names_and_enum_names(client: IndependentJobTaskClient) -> None:
    assert client.list({}, timeout=5) == {
        "results": [{"job_task_id": "jt-1", "status": "SUCCESS"}],
        "total_count": 1,
    }


def test_stat_returns_the_struct_as_a_plain_dict(client: IndependentJobTaskClient) -> None:
    assert client.stat({"domain_id": "domain-1"}) == {"count": 2.0}


def test_delete_forwards_metadata_and_returns_an_empty_dict(
    client: IndependentJobTaskClient, raw_server: RawJobTaskServer
) -> None:
    response = client.delete({"job_task_id": "jt-1"}, metadata=[("token", "secret-token")])
    assert (response, raw_server.metadata.get("token")) == ({}, "secret-token")
    assert raw_server.requests["delete"] == b"\x0a\x04jt-1"


def test_rpc_errors_propagate_unchanged(client: IndependentJobTaskClient) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        client.get({"job_task_id": "job-task-404"})
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert raised.value.details() == "ERROR_NOT_FOUND: job-task-404"
