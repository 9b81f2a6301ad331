"""The CLI sends JOBTASK_TOKEN as SpaceONE's `token` metadata, and nothing when it is unset;
without --domain it works in the token's domain (its `did` claim)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import jwt
import pytest
from typer.testing import CliRunner

from jobtask.cli.client import connect
from jobtask.cli.lines import V1
from jobtask.cli.main import app
from spaceone.api.inventory.v1 import job_task_pb2

Seen = list[dict[str, str]]


@pytest.fixture
def served() -> Iterator[tuple[int, Seen]]:
    seen: Seen = []

    def get(request: bytes, context: grpc.ServicerContext) -> bytes:
        seen.append(dict(context.invocation_metadata()))
        return job_task_pb2.JobTaskInfo(job_task_id="job_task-1").SerializeToString()

    handler = grpc.method_handlers_generic_handler(
        "spaceone.api.inventory.v1.JobTask", {"get": grpc.unary_unary_rpc_method_handler(get)}
    )
    server = grpc.server(futures.ThreadPoolExecutor(2), handlers=[handler])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield port, seen
    server.stop(None)


@pytest.mark.parametrize(("token", "expected"), [("abc.def.ghi", "abc.def.ghi"), ("", None)])
def test_the_token_travels_as_metadata(
    served: tuple[int, Seen], monkeypatch: Any, token: str, expected: str | None
) -> None:
    port, seen = served
    monkeypatch.setenv("JOBTASK_TOKEN", token)

    with connect(f"127.0.0.1:{port}", timeout=5) as client:
        client.get(V1.get_message("job_task-1", "domain-1"))

    assert seen[0].get("token") == expected


def test_the_domain_comes_from_the_tokens_did_claim_when_none_is_given(monkeypatch: Any) -> None:
    """The server scopes a request without domain_id to the token's; the CLI need not ask."""
    seen: list[str] = []

    def list_(request: bytes, context: grpc.ServicerContext) -> bytes:
        seen.append(job_task_pb2.JobTaskQuery.FromString(request).domain_id)
        return job_task_pb2.JobTasksInfo().SerializeToString()

    handler = grpc.method_handlers_generic_handler(
        "spaceone.api.inventory.v1.JobTask", {"list": grpc.unary_unary_rpc_method_handler(list_)}
    )
    server = grpc.server(futures.ThreadPoolExecutor(2), handlers=[handler])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        token = jwt.encode({"did": "domain-from-token"}, UNVERIFIED_KEY)
        env = {"JOBTASK_TOKEN": token, "JOBTASK_DOMAIN_ID": None, "JOBTASK_SERVER": None}
        result = CliRunner().invoke(app, ["list", "--server", f"127.0.0.1:{port}"], env=env)
    finally:
        server.stop(None)
    assert result.exit_code == 0, result.output
    assert seen == ["domain-from-token"]
    assert result.stdout.strip() == "no tasks"


UNVERIFIED_KEY = "the CLI reads the claims without verifying them"


@pytest.mark.parametrize("token", ["", "not-a-jwt", jwt.encode({"sub": "x"}, UNVERIFIED_KEY)])
def test_without_a_domain_in_the_token_the_cli_asks_for_domain(token: str) -> None:
    env = {"JOBTASK_TOKEN": token, "JOBTASK_DOMAIN_ID": None}
    result = CliRunner().invoke(app, ["list", "--server", "127.0.0.1:1"], env=env)
    assert result.exit_code == 2
    assert "--domain" in result.stderr
