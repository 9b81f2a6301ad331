"""The wiring, in one place: settings -> storage -> services -> both edges (gRPC, HTTP/JSON) and
the metrics endpoint, and the order they start and stop in. `__main__` reads the settings and the
security, owns the process (logging, signals) and runs what `build` returns.

Security is required: it is loaded (and checked) before anything connects, and each edge enforces
the one it is given.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from jobtask.auth.permissions import Access
from jobtask.auth.security import Security
from jobtask.calls.handlers import Calls
from jobtask.clients.identity import IdentityClient
from jobtask.edges.grpc.server import RunningServer, build_server
from jobtask.edges.http.server import HttpServer, build_http_server
from jobtask.errors import JobTaskError
from jobtask.lines.v1 import rpcs as v1
from jobtask.lines.v2 import rpcs as v2
from jobtask.observability.logs import CallLog
from jobtask.observability.metrics import Metrics, MetricsEndpoint, serve_metrics
from jobtask.observability.observe import Observation
from jobtask.observability.tracing import Tracing
from jobtask.services.collector import JobTaskWriter, WriterLimits
from jobtask.services.reads import JobTaskService, count_executor
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository, connect_with, failure_detail

log = logging.getLogger("jobtask")


def identity_client(settings: Settings) -> IdentityClient | None:
    """The identity client AUTH_MODE=spaceone asks, when IDENTITY_ENDPOINT names one."""
    if settings.auth_enabled and settings.auth_mode == "spaceone" and settings.identity_endpoint:
        return IdentityClient(settings.identity_endpoint, timeout=settings.identity_timeout_seconds)
    return None


def build_service(
    settings: Settings, repository: MongoJobTaskRepository, counts: Executor | None = None
) -> JobTaskService:
    return JobTaskService(
        repository,
        counts=counts,
        max_page_size=settings.max_page_size,
        stat_max_rows=settings.stat_max_rows,
        stat_max_time=settings.stat_max_time_ms / 1000,
        stat_timezone=settings.stat_timezone,
        limits=settings.limits,
    )


def build_writer(settings: Settings, repository: MongoJobTaskRepository) -> JobTaskWriter:
    limits = WriterLimits(
        max_errors=settings.job_task_max_errors,
        max_error_message_chars=settings.job_task_max_error_message_chars,
        max_additional_depth=settings.max_value_depth,
        retention_days=settings.job_task_retention_days,
    )
    return JobTaskWriter(repository, limits=limits, clock=lambda: datetime.now(UTC))


def describe_security(settings: Settings, security: Security) -> None:
    if security.spaceone is not None:
        log.info(
            "authentication on: SpaceONE identity tokens (AUTH_MODE=spaceone), identity %s",
            settings.identity_endpoint or "not asked (IDENTITY_JWKS only)",
        )
    elif security.verifier is None:
        where = "x_domain_id metadata" if settings.spaceone_api == 2 else "domain_id"
        log.warning("authentication is off (AUTH_ENABLED=false): callers choose their %s", where)
    else:
        log.info(
            "authentication on: %d public key(s), audience %s",
            security.verifier.key_count,
            settings.auth_audience,
        )
    if security.tls is None:
        log.warning("TLS is off (no TLS_CERT_FILE): calls travel in plaintext")


def ensure_indexes(settings: Settings, repository: MongoJobTaskRepository) -> list[str]:
    """The collection's indexes as INDEX_MANAGEMENT (create, or owner: the TTL index brought in
    line too) and MONGODB_SHARDED say; their names. JobTaskError when that fails."""
    return repository.ensure_indexes(
        retention_days=settings.job_task_retention_days,
        owner=settings.index_management == "owner",
        sharded=settings.mongodb_sharded,
    )


class Closable(Protocol):
    def close(self) -> None: ...


@dataclass
class Owned:
    """What the application owns besides its servers: the MongoClient and the executor of the
    counts that run beside a page's find; released last."""

    client: Closable
    counts: Executor

    def close(self) -> None:
        self.counts.shutdown(wait=False)
        self.client.close()


@dataclass
class Application:
    """Everything `build` made: bound, not started, not yet touching the database."""

    settings: Settings
    security: Security
    owned: Owned  # the MongoClient and the count executor
    repository: MongoJobTaskRepository
    grpc: RunningServer
    http: HttpServer | None
    metrics_endpoint: MetricsEndpoint | None
    tracing: Tracing | None

    def prepare_indexes(self) -> bool:
        """The collection's indexes as INDEX_MANAGEMENT says; False (logged) when that failed."""
        settings = self.settings
        if settings.index_management == "off":
            log.info(
                "indexes on %s.job_task: left as they are (INDEX_MANAGEMENT=off)",
                settings.mongodb_database,
            )
            return True
        try:
            created = ensure_indexes(settings, self.repository)
        except JobTaskError as error:
            detail = failure_detail(error)
            log.error(
                "cannot prepare the job_task collection's indexes: %s%s",
                error,
                f" ({detail})" if detail else "",
            )
            return False
        log.info("indexes on %s.job_task: %s", settings.mongodb_database, ", ".join(created))
        return True

    def start(self) -> None:
        """gRPC first, then HTTP (the metrics endpoint serves from `build` on)."""
        self.grpc.start()
        line = " (SpaceONE 2.x)" if self.settings.spaceone_api == 2 else ""
        log.info("serving spaceone.api.inventory.v1.JobTask%s on port %d", line, self.grpc.port)
        if self.grpc.writer_port is not None:
            log.info("serving the writer with mutual TLS on port %d", self.grpc.writer_port)
        if self.http is not None:
            self.http.start()
            log.info("serving HTTP/JSON on port %d", self.http.port)
        elif self.settings.http_enabled:
            log.warning("HTTP/JSON is not served on the SpaceONE 2.x line yet: gRPC only")
        describe_security(self.settings, self.security)

    def stop(self) -> None:
        """gRPC and HTTP drain together: both stop taking calls, then in-flight ones get the
        grace; then the database, the metrics endpoint and tracing."""
        grace = self.settings.shutdown_grace_seconds
        log.info("shutting down: finishing in-flight calls (grace %.1fs)", grace)
        if self.http is not None:
            self.http.shutdown()
        self.grpc.stop(grace)
        if self.http is not None:
            self.http.wait(grace)
        self.owned.close()
        if self.metrics_endpoint is not None:
            self.metrics_endpoint.stop()
        if self.tracing is not None:
            self.tracing.shutdown()

    def close_unstarted(self) -> None:
        """Release the ports of servers that were bound but never started, and the client."""
        self.grpc.stop(None)
        if self.http is not None:
            self.http.close()
        if self.metrics_endpoint is not None:
            self.metrics_endpoint.stop()
        self.owned.close()


def build_calls(
    access: Access, service: JobTaskService, writer: JobTaskWriter | None, line: int = 1
) -> Calls:
    """The call layer both edges serve: the rpcs of the SpaceONE `line` (1 or 2, SPACEONE_API;
    the writer's too, when given, with its own messages on either line) behind the access rules."""
    rpcs, services = (v2 if line == 2 else v1).served(service, writer)
    return Calls(access, rpcs, services, service.limits)


def _open_endpoints(
    settings: Settings,
    calls: Calls,
    observation: Observation,
    tls: bool,
    running: RunningServer,
) -> tuple[MetricsEndpoint | None, HttpServer | None]:
    """The metrics endpoint (serving) and the HTTP interface (bound, its health following the
    gRPC server's database probe, its calls observed as gRPC's), each when enabled.

    Raises OSError naming the one that cannot listen.
    """
    probe, metrics = running.probe, observation.metrics
    try:
        endpoint = (
            serve_metrics(metrics.registry, settings.metrics_host, settings.metrics_port)
            if metrics
            else None
        )
    except OSError as error:
        raise OSError(f"cannot serve metrics on port {settings.metrics_port}: {error}") from error
    try:
        http = (
            build_http_server(
                settings,
                calls,
                observation=observation,
                tls=tls,
                healthy=None if probe is None else lambda: probe.serving,
            )
            if settings.http_enabled and settings.spaceone_api == 1
            else None
        )
    except OSError as error:
        if endpoint is not None:
            endpoint.stop()
        raise OSError(f"cannot serve HTTP on port {settings.http_port}: {error}") from error
    return endpoint, http


def build(settings: Settings, security: Security, tracing: Tracing | None = None) -> Application:
    """Storage, services, the call layer and every server bound (gRPC, the writer's port, HTTP)
    and metrics serving, each built once, none of them touching the database yet: an instance
    that cannot serve (a port taken by another one) must change nothing, the collection's indexes
    included. `tracing`: started before this (it must see the MongoClient created). Raises
    OSError naming the port."""
    metrics = Metrics() if settings.metrics_port else None
    call_log = CallLog(slow_call_ms=settings.slow_call_ms)
    observation = Observation(metrics, call_log)
    observers = [o for o in (metrics, call_log) if o is not None]
    client, repository = connect_with(settings, observers=observers)  # no I/O yet
    counts = count_executor()
    service = build_service(settings, repository, counts)
    writer = build_writer(settings, repository)
    calls = build_calls(Access(security), service, writer, settings.spaceone_api)
    owned = Owned(client, counts)
    try:
        running = build_server(
            settings,
            calls,
            observation=observation,
            tls=security.tls,
            tracing=tracing,
            database=repository,
        )
    except OSError:
        owned.close()
        raise
    try:
        endpoint, http = _open_endpoints(
            settings, calls, observation, security.tls is not None, running
        )
    except OSError:
        running.stop(None)
        owned.close()
        raise
    return Application(settings, security, owned, repository, running, http, endpoint, tracing)
