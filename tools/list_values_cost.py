"""The server's CPU for one list call whose `in` condition carries a very long list of values.

Starts the server (`python -m jobtask`, body and message limits raised to 16 MiB so the list gets
past them) against `--uri` in a database of its own, sends a list call whose one `in` condition
holds `--values` strings, over HTTP and over gRPC, `--repeat` times each, and prints the server
process's CPU per call (user + system, from /proc/<pid>/stat), median and range. The call is
refused (the list is past MAX_LIST_VALUES) before any database work. No assertions; issue 26's
numbers in docs/performance.md come from this.

    .venv/bin/python tools/list_values_cost.py --uri mongodb://...  # e.g. the real engine's
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import grpc
import httpx
import pymongo
from grpc_health.v1 import health_pb2, health_pb2_grpc

from spaceone.api.inventory.v1 import job_task_pb2, job_task_pb2_grpc

DOMAIN = "domain-000000000001"
LIMIT = str(16 * 1024 * 1024)
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def start_server(uri: str, database: str) -> tuple[subprocess.Popen[bytes], int, int]:
    grpc_port, http_port = free_port(), free_port()
    env = {
        **os.environ,
        "MONGODB_URI": uri,
        "MONGODB_DATABASE": database,
        "GRPC_PORT": str(grpc_port),
        "HTTP_PORT": str(http_port),
        "HTTP_HOST": "127.0.0.1",
        "METRICS_PORT": "0",
        "HTTP_MAX_BODY_BYTES": LIMIT,
        "GRPC_MAX_RECEIVE_BYTES": LIMIT,
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen([sys.executable, "-m", "jobtask"], env=env)
    with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for _ in range(600):
            try:
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                    return process, grpc_port, http_port
            except grpc.RpcError:
                time.sleep(0.1)
    process.kill()
    sys.exit("the server did not become healthy")


def measured(pid: int, call: Callable[[], str], repeat: int) -> list[float]:
    costs = []
    for _ in range(repeat):
        time.sleep(0.2)  # the server idle: its CPU is the call's alone
        before = cpu_seconds(pid)
        answer = call()
        time.sleep(0.2)  # what runs after the answer (logging) counts too
        costs.append(cpu_seconds(pid) - before)
        print(f"  {answer}", file=sys.stderr)
    return costs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", required=True)
    parser.add_argument("--values", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=7)
    arguments = parser.parse_args()

    values = [f"p{i}" for i in range(arguments.values)]
    query = {"filter": [{"k": "provider", "v": values, "o": "in"}]}
    body = json.dumps({"domain_id": DOMAIN, "query": query}).encode()
    message = job_task_pb2.JobTaskQuery(domain_id=DOMAIN)
    condition = message.query.filter.add()
    condition.k, condition.o = "provider", "in"
    condition.v.list_value.extend(values)

    database = f"list_values_cost_{os.getpid()}"
    process, grpc_port, http_port = start_server(arguments.uri, database)
    try:
        with (
            httpx.Client(base_url=f"http://127.0.0.1:{http_port}", timeout=60) as http,
            grpc.insecure_channel(
                f"127.0.0.1:{grpc_port}",
                options=[("grpc.max_send_message_length", int(LIMIT))],
            ) as channel,
        ):
            stub = job_task_pb2_grpc.JobTaskStub(channel)

            def over_http() -> str:
                answer = http.post("/inventory/v1/job-tasks/search", content=body)
                return f"HTTP {answer.status_code} {answer.text[:120]}"

            def over_grpc() -> str:
                try:
                    stub.list(message, timeout=60)
                except grpc.RpcError as error:
                    return f"gRPC {error.code().name} {(error.details() or '')[:120]}"
                return "gRPC OK"

            print(
                f"{arguments.values} values: HTTP body {len(body) / 1e6:.1f} MB, "
                f"gRPC message {message.ByteSize() / 1e6:.1f} MB"
            )
            for name, call in (("HTTP", over_http), ("gRPC", over_grpc)):
                costs = measured(process.pid, call, arguments.repeat)
                print(
                    f"{name}: server CPU per call {statistics.median(costs):.3f} s "
                    f"(min {min(costs):.3f}, max {max(costs):.3f}, {len(costs)} calls)"
                )
    finally:
        process.terminate()
        process.wait(30)
        with pymongo.MongoClient(arguments.uri) as client:
            client.drop_database(database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
