"""make reliability's hostile-runtime classes: callers that try to hold the server, under load.

Each class runs in threads of its own for the scenario's seconds, beside health probes on both
edges whose latency is the figure that matters: oversize HTTP bodies (4 MB, 160,000 filters),
oversize gRPC requests (190,000 filters), slow regex stats past a short deadline on both edges,
half-sent HTTP requests left idle, and clients that hang up mid-body. Used by tools/reliability.py.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import json_format
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tests.support.slow_callers import HALF_SENT, slow_stat

from spaceone.api.inventory.v1 import job_task_pb2, job_task_pb2_grpc

DOMAIN = "domain-hostile000001"
SEARCH = "/inventory/v1/job-tasks/search"
STAT = "/inventory/v1/job-tasks/stat"


def _filters(count: int) -> dict[str, Any]:
    conditions = [{"k": "provider", "v": f"p{i:06d}", "o": "eq"} for i in range(count)]
    return {"domain_id": DOMAIN, "query": {"filter": conditions}}


@dataclass
class Outcomes:
    """What each class saw, by outcome name; health latencies in seconds."""

    seen: Counter[str] = field(default_factory=Counter)
    health: list[float] = field(default_factory=list)
    health_failures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str) -> None:
        with self.lock:
            self.seen[name] += 1


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0  # the server closed the connection (e.g. while a refused body was still sent)


class HostileLoad:
    """The classes against one server (gRPC `address`, HTTP `http_url`) for `seconds`."""

    def __init__(
        self, address: str, http_url: str, seconds: float, *, slow: bool, read_timeout: float
    ) -> None:
        self.address, self.http_url, self.seconds = address, http_url, seconds
        self.slow, self.read_timeout = slow, read_timeout
        self.outcomes = Outcomes()
        self._stop = threading.Event()
        big = _filters(160_000)
        self._http_body = json.dumps(big).encode()
        message = job_task_pb2.JobTaskQuery()
        json_format.ParseDict(_filters(190_000), message)
        self._grpc_request = message
        host, port = http_url.removeprefix("http://").rsplit(":", 1)
        self._http_host, self._http_port = host, int(port)

    def _loop(self, action: Callable[[], str]) -> None:
        while not self._stop.is_set():
            self.outcomes.add(action())

    def _oversize_http(self) -> str:
        status = _post(
            self.http_url + SEARCH, self._http_body, {"content-type": "application/json"}, 60
        )
        return f"oversize HTTP body: {status or 'closed'}"

    def _oversize_grpc(self, stub: Any) -> str:
        try:
            stub.list(self._grpc_request, timeout=30)
            return "oversize gRPC: OK"
        except grpc.RpcError as error:
            return f"oversize gRPC: {error.code().name}"

    def _slow_grpc(self, stub: Any) -> str:
        request = job_task_pb2.JobTaskStatQuery()
        json_format.ParseDict(slow_stat(DOMAIN), request)
        try:
            stub.stat(request, timeout=0.5)
            return "slow stat gRPC (0.5 s): OK"
        except grpc.RpcError as error:
            return f"slow stat gRPC (0.5 s): {error.code().name}"

    def _slow_http(self) -> str:
        headers = {"content-type": "application/json", "x-request-timeout": "0.5"}
        status = _post(self.http_url + STAT, json.dumps(slow_stat(DOMAIN)).encode(), headers, 30)
        return f"slow stat HTTP (0.5 s): {status}"

    def _half_sent(self) -> str:
        with socket.create_connection((self._http_host, self._http_port), timeout=60) as sock:
            sock.sendall(HALF_SENT)
            try:
                answer = sock.recv(64)
            except TimeoutError:
                return "half-sent request: still open after 60 s"
        return f"half-sent request: {answer[:12].decode(errors='replace') or 'closed'}"

    def _hang_up(self) -> str:
        with socket.create_connection((self._http_host, self._http_port), timeout=10) as sock:
            sock.sendall(HALF_SENT)
        time.sleep(0.05)
        return "hung up mid-body"

    def _health(self, channel: grpc.Channel) -> None:
        stub = health_pb2_grpc.HealthStub(channel)
        while not self._stop.is_set():
            for probe in ("grpc", "http"):
                started = time.monotonic()
                try:
                    if probe == "grpc":
                        answer = stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
                        ok = answer.status == health_pb2.HealthCheckResponse.SERVING
                    else:
                        with urllib.request.urlopen(self.http_url + "/healthz", timeout=5) as r:
                            ok = r.status == 200
                except (grpc.RpcError, OSError):
                    ok = False
                with self.outcomes.lock:
                    self.outcomes.health.append(time.monotonic() - started)
                    self.outcomes.health_failures += not ok
            time.sleep(0.1)

    def run(self) -> Outcomes:
        with grpc.insecure_channel(self.address) as channel:
            stub = job_task_pb2_grpc.JobTaskStub(channel)
            actions: list[Callable[[], str]] = [
                self._oversize_http,
                lambda: self._oversize_grpc(stub),
                self._half_sent,
                self._half_sent,
                self._hang_up,
            ]
            if self.slow:
                actions += [lambda: self._slow_grpc(stub), self._slow_http]
            threads = [threading.Thread(target=self._loop, args=(a,)) for a in actions]
            threads.append(threading.Thread(target=self._health, args=(channel,)))
            for thread in threads:
                thread.start()
            time.sleep(self.seconds)
            self._stop.set()
            for thread in threads:
                thread.join(timeout=120)
        return self.outcomes
