"""Prometheus metrics: calls by status code, their latency, calls in flight, failures by SpaceONE
error code and database command latency; served over HTTP on a port of their own.

Calls of either edge are measured by `measuring()` (through `observe.Observation`): gRPC calls
labelled by their final code, calls of the HTTP/JSON edge (families `jobtask_http_*`) by the HTTP
status; failures by SpaceONE error code are counted for both.

Every instrument lives in the registry it is given, never prometheus_client's global one, so two
servers in one process (or two tests) count separately.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from jobtask.observability.call import Watch
from jobtask.rpcs import Rpc

NAMESPACE: Final = "jobtask"
# From a get by id, the quickest call, to the operation timeout (docs/performance.md).
CALL_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
COMMAND_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 10)


def _call_instruments(
    edge: str, calls: str, status: str, status_text: str, options: dict[str, Any]
) -> tuple[Counter, Histogram, Gauge]:
    """One edge's calls by rpc and `status`, their latency, and those in flight."""
    labels = ("service", "method", status)
    return (
        Counter(f"{edge}_requests", f"{calls} handled, by {status_text}", labels, **options),
        Histogram(
            f"{edge}_request_duration_seconds",
            f"{calls}: latency in the server, by {status_text}",
            labels,
            buckets=CALL_BUCKETS,
            **options,
        ),
        Gauge(f"{edge}_requests_in_flight", f"{calls} being served", labels[:2], **options),
    )


class Metrics:
    """The service's instruments. `measuring()` measures calls; as a command observer of the
    repository (`connect(observers=...)`) it measures database commands."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True) if registry is None else registry
        options: dict[str, Any] = {"namespace": NAMESPACE, "registry": self.registry}
        self._calls, self._latency, self._in_flight = _call_instruments(
            "grpc", "gRPC calls", "code", "final status code", options
        )
        self._http_calls, self._http_latency, self._http_in_flight = _call_instruments(
            "http", "HTTP/JSON calls of the rpcs", "status", "HTTP status", options
        )
        self._errors = Counter(
            "errors",
            "Failed calls by SpaceONE error code (the prefix of the status details)",
            ("service", "method", "error_code"),
            **options,
        )
        self._commands = Histogram(
            "db_command_duration_seconds",
            "MongoDB command latency as the driver saw it, by command name",
            ("command",),
            buckets=COMMAND_BUCKETS,
            **options,
        )

    @contextmanager
    def measuring(self, rpc: Rpc, watch: Watch) -> Iterator[None]:
        """Measures one call, which ends as `watch` says by then: a gRPC call by its final code
        (`jobtask_grpc_*`), an HTTP/JSON one by its HTTP status (`jobtask_http_*`)."""
        grpc = watch.ended.http_status is None
        in_flight = (self._in_flight if grpc else self._http_in_flight).labels(
            rpc.service, rpc.method
        )
        started = time.perf_counter()
        in_flight.inc()
        try:
            yield
        finally:
            in_flight.dec()
            seconds = time.perf_counter() - started
            ended = watch.ended.outcome
            if grpc:
                calls, latency, status = self._calls, self._latency, ended.code.name
            else:
                calls, latency = self._http_calls, self._http_latency
                status = str(watch.ended.http_status)
            calls.labels(rpc.service, rpc.method, status).inc()
            latency.labels(rpc.service, rpc.method, status).observe(seconds)
            if ended.error_code is not None:
                self._errors.labels(rpc.service, rpc.method, ended.error_code).inc()

    # -- jobtask.storage.CommandObserver ----------------------------------------------------

    def command_started(self, name: str, command: Mapping[str, Any]) -> None:
        """Only finished commands are measured."""

    def command_finished(self, name: str, seconds: float, *, failed: bool) -> None:
        self._commands.labels(name).observe(seconds)


@dataclass
class MetricsEndpoint:
    """The HTTP server of /metrics, on its own thread."""

    host: str
    port: int
    _server: WSGIServer
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def serve_metrics(registry: CollectorRegistry, host: str, port: int) -> MetricsEndpoint:
    """Serve the registry in Prometheus' text format; port 0 binds a free one (read `.port`).

    Raises OSError when the address cannot be bound.
    """
    server, thread = start_http_server(port, host, registry)
    return MetricsEndpoint(host, int(server.server_address[1]), server, thread)
