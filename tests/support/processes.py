"""The dev database and the server as separate processes, for outage, load and reliability runs.

The database is the project's launcher (tools/devdb): in memory, or on an H2 file that outlives
a restart. The server is `python -m jobtask`, configured through its environment.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
JAR = ROOT / "tools" / "devdb" / "target" / "devdb.jar"
JOB_TASK_SERVICE = "spaceone.api.inventory.v1.JobTask"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Database:
    process: subprocess.Popen[str]
    port: int

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """SIGTERM, as `devdb.sh stop` does: the launcher closes its store before exiting."""
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=30)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


def start_database(port: int = 0, data_dir: Path | None = None) -> Database:
    """The dev database on `port` (0: a free one), in memory or on an H2 file in `data_dir`."""
    store = ["--data-dir", str(data_dir)] if data_dir is not None else ["--memory"]
    process = subprocess.Popen(
        ["java", "-jar", str(JAR), *store, "--port", str(port), "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("READY "):
        process.kill()
        raise RuntimeError(f"the dev database did not start: {line!r}")
    return Database(process, int(line.rsplit(":", 1)[1]))


def server_environment(
    database_uri: str, database: str, port: int, **overrides: str
) -> dict[str, str]:
    # No metrics or HTTP endpoint: a developer's own server may hold the default ports.
    return {
        **os.environ,
        "MONGODB_URI": database_uri,
        "MONGODB_DATABASE": database,
        "GRPC_PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "METRICS_PORT": "0",
        "HTTP_ENABLED": "false",
        **overrides,
    }


def start_server(
    environment: dict[str, str], *, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """`python -m jobtask`, its log lines to `log` (or discarded); wait with `wait_health`."""
    output = subprocess.DEVNULL if log is None else log.open("ab")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "jobtask"], env=environment, stdout=output, stderr=output
        )
    finally:
        if log is not None:
            output.close()  # type: ignore[union-attr]


def health_status(channel: grpc.Channel, service: str = "") -> int | None:
    """The health service's answer for `service`; None when the server does not answer."""
    try:
        request = health_pb2.HealthCheckRequest(service=service)
        return int(health_pb2_grpc.HealthStub(channel).Check(request, timeout=1).status)
    except grpc.RpcError:
        return None


def wait_health(port: int, status: int, *, timeout: float, service: str = "") -> float:
    """Seconds until the server answers `status`; TimeoutError past `timeout`."""
    started = time.monotonic()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        while True:
            if health_status(channel, service) == status:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                name = health_pb2.HealthCheckResponse.ServingStatus.Name(status)
                raise TimeoutError(f"health did not turn {name} within {timeout}s")
            time.sleep(0.05)


SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def served_calls(log: Path) -> dict[str, str]:
    """request id -> status code of every call a server's JSON call log (LOG_LEVEL=INFO) shows
    it served: the calls it took, as opposed to those refused before any handler ran."""
    served = {}
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"request_id"' in line:
            entry = json.loads(line)
            served[entry["request_id"]] = entry["code"]
    return served
