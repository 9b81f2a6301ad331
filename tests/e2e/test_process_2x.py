"""`python -m jobtask` with SPACEONE_API=2, as an operator runs it: it serves the 2.x wire, which
grpcurl reads through reflection, scoped by `x_domain_id`; AUTH_MODE=spaceone is refused at
start-up with one line until the 2.x identity lands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import grpc
import pytest

from tests.support.client_2x import JobTaskClient2x, scope_metadata
from tests.support.processes import (
    ROOT,
    SERVING,
    free_port,
    server_environment,
    start_server,
    wait_health,
)

GRPCURL = ROOT / ".tools" / "bin" / "grpcurl"
DOMAIN = "domain-process2x"


@pytest.fixture
def port(mongodb_uri: str, database_name: str) -> Iterator[int]:
    port = free_port()
    environment = server_environment(mongodb_uri, database_name, port, SPACEONE_API="2")
    process = start_server(environment)
    try:
        wait_health(port, SERVING, timeout=30)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_2x_process_answers_a_2x_client(port: int) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        client = JobTaskClient2x(channel, scope_metadata(DOMAIN))

        assert client.list({"query": {"count_only": True}}) == {}
        with pytest.raises(grpc.RpcError) as raised:
            client.list({}, metadata=[])

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.skipif(not GRPCURL.exists(), reason="grpcurl is built by `make tools`")
def test_grpcurl_reads_the_2x_wire_through_reflection(port: int) -> None:
    def grpcurl(*args: str) -> str:
        command = [str(GRPCURL), "-plaintext", *args]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    address = f"127.0.0.1:{port}"
    listed = grpcurl(address, "list")
    described = grpcurl(address, "describe", "spaceone.api.inventory.v1.JobTaskQuery")
    answer = grpcurl(
        "-H",
        f"x_domain_id: {DOMAIN}",
        "-d",
        '{"workspace_id": "w"}',
        address,
        "spaceone.api.inventory.v1.JobTask/list",
    )

    assert listed.split() == ["spaceone.api.inventory.v1.JobTask"]
    assert "string workspace_id = 21;" in described
    assert json.loads(answer) == {}


def test_spaceone_identity_on_the_2x_line_is_refused_with_one_line() -> None:
    environment = {
        **os.environ,
        "SPACEONE_API": "2",
        "AUTH_ENABLED": "true",
        "AUTH_MODE": "spaceone",
        "IDENTITY_ENDPOINT": "grpc://127.0.0.1:9",
    }
    environment.pop("SPACEONE_CONFIG_FILE", None)

    done = subprocess.run(
        [sys.executable, "-m", "jobtask"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("jobtask: invalid SPACEONE_API='2': Value error, the 2.x line does not")
