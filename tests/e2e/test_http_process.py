"""`python -m jobtask` serves HTTP/JSON beside gRPC, from one command, and stops both together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
import pytest

from tests.support.client_2x import JobTaskClient2x, scope_metadata
from tests.support.dataset import DOMAIN, tasks_in
from tests.support.independent_client import IndependentJobTaskClient
from tests.support.processes import (
    NOT_SERVING,
    SERVING,
    free_port,
    server_environment,
    start_database,
    start_server,
    wait_health,
)


def _environment(**overrides: str) -> dict[str, str]:
    return {**os.environ, "LOG_LEVEL": "WARNING", "METRICS_PORT": "0", **overrides}


@dataclass
class Served:
    process: subprocess.Popen[str]
    grpc_port: int
    http_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


def _start(mongodb_uri: str, database_name: str, **overrides: str) -> Served:
    grpc_port, http_port = free_port(), free_port()
    env = _environment(
        MONGODB_URI=mongodb_uri,
        MONGODB_DATABASE=database_name,
        GRPC_PORT=str(grpc_port),
        HTTP_HOST="127.0.0.1",
        HTTP_PORT=str(http_port),
        SHUTDOWN_GRACE_SECONDS="5",
        **overrides,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "jobtask"], env=env, text=True, stderr=subprocess.PIPE
    )
    wait_health(grpc_port, SERVING, timeout=30)
    return Served(process, grpc_port, http_port)


def _stop(served: Served) -> None:
    if served.process.poll() is None:
        served.process.kill()
    served.process.wait(timeout=10)
    if served.process.stderr is not None:
        served.process.stderr.close()


@pytest.fixture
def served(mongodb_uri: str, database_name: str, seeded: Any) -> Iterator[Served]:
    running = _start(mongodb_uri, database_name)
    yield running
    _stop(running)


def test_one_command_serves_grpc_and_http_with_the_same_answers(served: Served) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{served.grpc_port}") as channel:
        over_grpc = IndependentJobTaskClient(channel).list({"domain_id": DOMAIN}, timeout=10)
    with httpx.Client(base_url=served.url, timeout=10) as http:
        health = http.get("/healthz")
        over_http = http.get("/inventory/v1/job-tasks", params={"domain_id": DOMAIN})

    assert health.json() == {"status": "SERVING"}
    assert over_http.json() == over_grpc
    assert over_grpc["total_count"] == len(tasks_in(DOMAIN))


def test_a_2x_process_serves_the_2x_paths_with_the_same_answers_as_its_grpc_port(
    mongodb_uri: str, database_name: str, seeded: Any
) -> None:
    running = _start(mongodb_uri, database_name, SPACEONE_API="2")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
            over_grpc = JobTaskClient2x(channel, scope_metadata(DOMAIN)).list({})
        with httpx.Client(base_url=running.url, timeout=10) as http:
            over_http = http.post(
                "/inventory/v1/job-task/list", json={}, headers={"x_domain_id": DOMAIN}
            )
            v1_path = http.get("/inventory/v1/job-tasks", params={"domain_id": DOMAIN})
            paths = set(http.get("/openapi.json").json()["paths"])
    finally:
        _stop(running)

    assert over_http.status_code == 200
    assert over_http.json() == over_grpc
    assert over_grpc["total_count"] == len(tasks_in(DOMAIN))
    assert v1_path.status_code == 404
    assert "/inventory/v1/job-task/list" in paths
    assert "/inventory/v1/job-tasks" not in paths


def test_sigterm_finishes_http_requests_in_flight_and_exits_zero(served: Served) -> None:
    statuses: list[int | str] = []

    def call() -> None:
        with httpx.Client(base_url=served.url, timeout=10) as http:
            for _ in range(40):
                try:
                    response = http.post(
                        "/inventory/v1/job-tasks/search", json={"domain_id": DOMAIN}
                    )
                    statuses.append(response.status_code)
                except httpx.TransportError:
                    statuses.append("refused")

    callers = [threading.Thread(target=call) for _ in range(4)]
    for caller in callers:
        caller.start()
    # Shutdown starts once calls are being answered (a loaded machine may take a while to).
    deadline = time.monotonic() + 20
    while 200 not in statuses and time.monotonic() < deadline:
        time.sleep(0.05)
    served.process.send_signal(signal.SIGTERM)
    for caller in callers:
        caller.join(timeout=30)

    assert served.process.wait(timeout=20) == 0
    # Once shutdown starts, new connections are refused; no request that was taken fails.
    assert set(statuses) <= {200, "refused"}
    assert 200 in statuses


def test_http_enabled_false_serves_grpc_only(mongodb_uri: str, database_name: str) -> None:
    running = _start(mongodb_uri, database_name, HTTP_ENABLED="false")
    try:
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{running.url}/healthz", timeout=5)
    finally:
        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(timeout=20) == 0
        _stop(running)


def test_a_taken_http_port_stops_start_up_with_one_clear_line(
    mongodb_uri: str, database_name: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "jobtask"],
            env=_environment(
                MONGODB_URI=mongodb_uri,
                MONGODB_DATABASE=database_name,
                GRPC_PORT="0",
                HTTP_HOST="127.0.0.1",
                HTTP_PORT=str(port),
                LOG_FORMAT="text",
            ),
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert result.returncode == 1
    assert f"cannot serve HTTP on port {port}" in result.stderr
    assert "Traceback" not in result.stderr


def _http_health(url: str) -> int | None:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code
    except httpx.TransportError:
        return None


def _wait_http_health(url: str, status: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while _http_health(url) != status:
        assert time.monotonic() < deadline, f"/healthz did not answer {status}"
        time.sleep(0.05)


def test_healthz_follows_the_database_like_grpc_health(database_name: str) -> None:
    database = start_database()
    grpc_port, http_port = free_port(), free_port()
    environment = server_environment(
        database.uri,
        database_name,
        grpc_port,
        HTTP_ENABLED="true",
        HTTP_HOST="127.0.0.1",
        HTTP_PORT=str(http_port),
        DB_HEALTH_INTERVAL_SECONDS="0.2",
        MONGODB_SERVER_SELECTION_TIMEOUT_MS="1000",
        SHUTDOWN_GRACE_SECONDS="2",
    )
    server = start_server(environment)
    url = f"http://127.0.0.1:{http_port}"
    try:
        wait_health(grpc_port, SERVING, timeout=30)
        _wait_http_health(url, 200)

        database.stop()
        wait_health(grpc_port, NOT_SERVING, timeout=20)
        _wait_http_health(url, 503)
        assert httpx.get(f"{url}/healthz", timeout=2).json() == {"status": "NOT_SERVING"}

        database = start_database(database.port)
        wait_health(grpc_port, SERVING, timeout=30)
        _wait_http_health(url, 200)
    finally:
        server.terminate()
        assert server.wait(timeout=20) == 0
        database.stop()
