"""The CLI sends JOBTASK_TOKEN as SpaceONE's `token` metadata, and nothing when it is unset."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest

from jobtask.cli.client import connect
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
        client.get("job_task-1", "domain-1")

    assert seen[0].get("token") == expected
