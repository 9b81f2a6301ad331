"""What the CLI puts on the wire per SpaceONE line, seen by a stand-in JobTask server: on 2.x the
2.x pool's messages without domain_id, the scope as x_domain_id / x_workspace_id metadata; and
the hint it prints when the server seems to speak the other line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest
from google.protobuf import json_format
from google.protobuf.message import Message
from typer.testing import CliRunner, Result

from jobtask.cli.main import app
from jobtask.lines.v2 import wire
from spaceone.api.inventory.v1 import job_task_pb2

Seen = list[tuple[dict[str, str], dict[str, Any]]]
Answer = Callable[[grpc.ServicerContext], bytes]
NO_DOMAIN = "ERROR_REQUIRED_PARAMETER: Required parameter. (key = domain_id)"


def _handler(request_class: type[Message], answer: Answer, seen: Seen) -> grpc.RpcMethodHandler:
    def handle(request: bytes, context: grpc.ServicerContext) -> bytes:
        message = request_class.FromString(request)
        fields = json_format.MessageToDict(message, preserving_proto_field_name=True)
        seen.append((dict(context.invocation_metadata()), fields))
        return answer(context)

    return grpc.unary_unary_rpc_method_handler(handle)


@pytest.fixture
def stand_in() -> Iterator[Callable[[dict[str, grpc.RpcMethodHandler]], str]]:
    servers: list[grpc.Server] = []

    def serve(rpcs: dict[str, grpc.RpcMethodHandler]) -> str:
        handler = grpc.method_handlers_generic_handler("spaceone.api.inventory.v1.JobTask", rpcs)
        server = grpc.server(futures.ThreadPoolExecutor(2), handlers=[handler])
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        servers.append(server)
        return f"127.0.0.1:{port}"

    yield serve
    for server in servers:
        server.stop(None)


def _run(*args: str, **env: str | None) -> Result:
    clean = {
        "JOBTASK_SERVER": None,
        "JOBTASK_DOMAIN_ID": None,
        "JOBTASK_WORKSPACE_ID": None,
        "JOBTASK_SPACEONE_API": None,
        "JOBTASK_TOKEN": None,
    }
    return CliRunner().invoke(app, list(args), env={**clean, **env})


def test_a_2x_list_sends_2x_bytes_and_the_scope_as_metadata(stand_in: Any) -> None:
    seen: Seen = []
    task = wire.JobTaskInfo(job_task_id="job-task-1", workspace_id="workspace-1", created_count=2)

    def answer(_context: grpc.ServicerContext) -> bytes:
        return wire.JobTasksInfo(results=[task], total_count=1).SerializeToString()

    server = stand_in({"list": _handler(wire.JobTaskQuery, answer, seen)})
    result = _run(
        "list",
        "provider=aws",
        "--sort",
        "-created_at",
        "--status",
        "failure",
        "--server",
        server,
        "--domain",
        "domain-1",
        "--workspace",
        "workspace-1",
        "--spaceone-api",
        "2",
        "--json",
    )

    assert result.exit_code == 0, result.output
    metadata, request = seen[0]
    assert metadata["x_domain_id"] == "domain-1"
    assert metadata["x_workspace_id"] == "workspace-1"
    assert request == {
        "status": "FAILURE",
        "query": {
            "filter": [{"k": "provider", "v": "aws", "o": "eq"}],
            "sort": [{"key": "created_at", "desc": True}],
            "page": {"start": 1, "limit": 100},
        },
    }
    assert json.loads(result.stdout)["results"] == [
        {"job_task_id": "job-task-1", "workspace_id": "workspace-1", "created_count": 2}
    ]


def test_the_line_and_workspace_come_from_the_environment_too(stand_in: Any) -> None:
    seen: Seen = []

    def answer(_context: grpc.ServicerContext) -> bytes:
        return wire.Struct().SerializeToString()

    server = stand_in({"stat": _handler(wire.JobTaskStatQuery, answer, seen)})
    result = _run(
        "stat",
        "--distinct",
        "provider",
        JOBTASK_SERVER=server,
        JOBTASK_DOMAIN_ID="domain-1",
        JOBTASK_WORKSPACE_ID="workspace-2",
        JOBTASK_SPACEONE_API="2",
    )

    assert result.exit_code == 0, result.output
    metadata, request = seen[0]
    assert (metadata["x_domain_id"], metadata["x_workspace_id"]) == ("domain-1", "workspace-2")
    assert request == {"query": {"distinct": "provider"}}


def test_a_1x_call_sends_no_scope_metadata(stand_in: Any) -> None:
    seen: Seen = []

    def answer(_context: grpc.ServicerContext) -> bytes:
        return job_task_pb2.JobTaskInfo(job_task_id="job_task-1").SerializeToString()

    server = stand_in({"get": _handler(job_task_pb2.GetJobTaskRequest, answer, seen)})
    result = _run("get", "job_task-1", "--server", server, "--domain", "domain-1")

    assert result.exit_code == 0, result.output
    metadata, request = seen[0]
    assert "x_domain_id" not in metadata
    assert request == {"job_task_id": "job_task-1", "domain_id": "domain-1"}


def test_workspaces_are_2x_only() -> None:
    result = _run("list", "--domain", "domain-1", "--workspace", "workspace-1")
    assert result.exit_code == 2
    assert "--workspace" in result.stderr
    assert "--spaceone-api 2" in result.stderr


@pytest.mark.parametrize(("spoken", "other"), [("1", "2"), ("2", "1")])
def test_a_server_of_the_other_line_gets_a_hint(stand_in: Any, spoken: str, other: str) -> None:
    """Neither line finds the domain where the other puts it: the CLI says which to try."""

    def answer(context: grpc.ServicerContext) -> bytes:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, NO_DOMAIN)
        raise AssertionError("abort raises")

    request_class = job_task_pb2.JobTaskRequest if other == "1" else wire.JobTaskRequest
    server = stand_in({"delete": _handler(request_class, answer, [])})
    result = _run(
        "delete", "t-1", "--yes", "--server", server, "--domain", "d", "--spaceone-api", spoken
    )

    assert result.exit_code == 1
    assert result.stderr == (
        f"jobtask: INVALID_ARGUMENT: {NO_DOMAIN} "
        f"(does the server speak SpaceONE {other}.x? --spaceone-api {other})\n"
    )


def test_2x_get_refuses_only_before_calling() -> None:
    result = _run(
        "get", "t-1", "--only", "status", "--server", "127.0.0.1:1", "--domain", "d",
        "--spaceone-api", "2",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "get has no `only`" in result.stderr
