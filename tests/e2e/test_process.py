"""The server as an operator runs it: `python -m jobtask` started, configured, stopped, outlived."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from tests.support.dataset import DOMAIN
from tests.support.independent_client import IndependentJobTaskClient
from tests.support.processes import SERVING, free_port, served_calls, wait_health

JAR = Path(__file__).resolve().parents[2] / "tools" / "devdb" / "target" / "devdb.jar"


def _environment(**overrides: str) -> dict[str, str]:
    # No metrics endpoint, HTTP on a free port: a developer's own server may hold the defaults.
    return {
        **os.environ,
        "LOG_LEVEL": "WARNING",
        "METRICS_PORT": "0",
        "HTTP_PORT": "0",
        **overrides,
    }


@pytest.fixture
def served(mongodb_uri: str, database_name: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    env = _environment(
        MONGODB_URI=mongodb_uri,
        MONGODB_DATABASE=database_name,
        GRPC_PORT=str(port),
        SHUTDOWN_GRACE_SECONDS="5",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "jobtask"], env=env, text=True, stderr=subprocess.PIPE
    )
    try:
        wait_health(port, SERVING, timeout=30)
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        assert process.stderr is not None
        process.stderr.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_server_cleanly_with_exit_zero(
    served: tuple[subprocess.Popen[str], int], signum: int
) -> None:
    process, port = served
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        assert IndependentJobTaskClient(channel).list({"domain_id": DOMAIN}) == {}

    process.send_signal(signum)

    assert process.wait(timeout=20) == 0


def test_calls_in_flight_at_sigterm_are_finished(
    mongodb_uri: str, database_name: str, tmp_path: Path
) -> None:
    """Every call the server took is answered OK; only calls it never took are refused.

    The server's call log (one JSON line per call it served, by the client's x-request-id) tells
    the two apart. A call it never took is UNAVAILABLE, or CANCELLED when grpc's core cancels a
    call still waiting to be matched with a handler as shutdown begins (no work was done).
    """
    port = free_port()
    env = _environment(
        MONGODB_URI=mongodb_uri,
        MONGODB_DATABASE=database_name,
        GRPC_PORT=str(port),
        SHUTDOWN_GRACE_SECONDS="5",
        LOG_LEVEL="INFO",
        LOG_FORMAT="json",
    )
    log = tmp_path / "server.log"
    with log.open("w") as sink:  # a file, not a pipe nobody reads while the calls are logged
        process = subprocess.Popen([sys.executable, "-m", "jobtask"], env=env, stderr=sink)
    outcomes: dict[str, Any] = {}  # request id -> the answer, or the status code
    answered = threading.Event()

    def call(caller: int) -> None:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            client = IndependentJobTaskClient(channel)
            for index in range(40):
                request_id = f"sigterm-{caller}-{index}"
                metadata = [("x-request-id", request_id)]
                try:
                    outcomes[request_id] = client.list(
                        {"domain_id": DOMAIN}, metadata=metadata, timeout=10
                    )
                    answered.set()
                except grpc.RpcError as error:
                    outcomes[request_id] = error.code()

    try:
        wait_health(port, SERVING, timeout=30)
        callers = [threading.Thread(target=call, args=(n,)) for n in range(4)]
        for caller in callers:
            caller.start()
        # The signal comes while calls are being served, however slow the machine.
        assert answered.wait(timeout=30)
        process.send_signal(signal.SIGTERM)
        for caller in callers:
            caller.join(timeout=30)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)

    taken = served_calls(log)
    cut_off = {r: o for r, o in outcomes.items() if r in taken and not isinstance(o, dict)}
    refused = {o for r, o in outcomes.items() if r not in taken}
    assert cut_off == {}, "calls the server took were not answered"
    assert refused <= {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED}
    assert any(r in taken for r in outcomes)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GRPC_PORT", "99999"),
        ("MAX_PAGE_SIZE", "zero"),
        ("MONGODB_URI", "http://x"),
        ("LOG_LEVEL", "LOUD"),
        ("MONGODB_DATABASE", ""),
        ("HTTP_PORT", "99999"),
        ("HTTP_ENABLED", "maybe"),
        ("HTTP_WORKERS", "0"),
    ],
)
def test_a_bad_setting_stops_start_up_with_one_clear_line(variable: str, value: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "jobtask"],
        env=_environment(**{variable: value}),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"jobtask: invalid {variable}=")
    assert "Traceback" not in result.stderr
    if variable == "MONGODB_URI":
        assert value not in result.stderr, "the URI may hold credentials: never print it"


def test_start_up_fails_clearly_when_the_database_is_unreachable() -> None:
    port = free_port()
    env = _environment(
        MONGODB_URI=f"mongodb://127.0.0.1:{port}",
        MONGODB_SERVER_SELECTION_TIMEOUT_MS="300",
        LOG_FORMAT="text",
        GRPC_PORT="0",
    )
    result = subprocess.run(
        [sys.executable, "-m", "jobtask"], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 1
    assert "cannot prepare the job_task collection's indexes" in result.stderr
    assert "ERROR_DB_UNAVAILABLE" in result.stderr
    # one short line naming the server tried, not the driver's topology dump
    [line] = result.stderr.splitlines()
    assert f"127.0.0.1:{port}: [Errno 111] Connection refused)" in line
    assert "Topology" not in line and "configured timeouts" not in line
    assert len(line) < 300


def _start_database(port: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        ["java", "-jar", str(JAR), "--memory", "--port", str(port), "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith("READY ")
    return process


def _stop_database(process: subprocess.Popen[str]) -> None:
    process.kill()
    process.wait(timeout=20)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()


def test_the_service_recovers_by_itself_when_the_database_returns(database_name: str) -> None:
    db_port, port = free_port(), free_port()
    database = _start_database(db_port)
    env = _environment(
        MONGODB_URI=f"mongodb://127.0.0.1:{db_port}",
        MONGODB_DATABASE=database_name,
        GRPC_PORT=str(port),
        MONGODB_SERVER_SELECTION_TIMEOUT_MS="1000",
    )
    server = subprocess.Popen([sys.executable, "-m", "jobtask"], env=env)
    try:
        wait_health(port, SERVING, timeout=30)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            client = IndependentJobTaskClient(channel)
            assert client.list({"domain_id": DOMAIN}) == {}

            _stop_database(database)
            with pytest.raises(grpc.RpcError) as raised:
                client.list({"domain_id": DOMAIN}, timeout=10)
            assert raised.value.code() is grpc.StatusCode.UNAVAILABLE

            database = _start_database(db_port)
            # On a loaded machine the first calls may outlast their own deadline while the
            # driver reconnects: still recovering, not a failure; anything else is.
            recovering = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
            deadline = time.monotonic() + 40
            while True:
                try:
                    assert client.list({"domain_id": DOMAIN}, timeout=5) == {}
                    break
                except grpc.RpcError as error:
                    assert error.code() in recovering
                    assert time.monotonic() < deadline, "did not recover"
                    time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=20)
        _stop_database(database)
