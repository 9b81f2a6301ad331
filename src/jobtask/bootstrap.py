"""The wiring, in one place: settings -> storage -> services -> both edges (gRPC, HTTP/JSON) and
the metrics endpoint, and the order they start and stop in. `__main__` reads the settings and the
security, owns the process (logging, signals) and runs what `build` returns.

Security is required: it is loaded (and checked) before anything connects, and each edge enforces
the one it is given.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from jobtask.auth.security import Security
from jobtask.clients.identity import IdentityClient
from jobtask.domain import Limits
from jobtask.edges.grpc.server import RunningServer, build_server
from jobtask.edges.http.server import HttpServer, build_http_server
from jobtask.errors import JobTaskError
from jobtask.observability.logs import CallLog
from jobtask.observability.metrics import Metrics, MetricsEndpoint, serve_metrics
from jobtask.observability.tracing import Tracing
from jobtask.services.collector import JobTaskWriter, WriterLimits
from jobtask.services.reads import JobTaskService
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository, connect_with, failure_detail

log = logging.getLogger("jobtask")


def identity_client(settings: Settings) -> IdentityClient | None:
    """The identity client AUTH_MODE=spaceone asks, when IDENTITY_ENDPOINT names one."""
    if settings.auth_enabled and settings.auth_mode == "spaceone" and settings.identity_endpoint:
        return IdentityClient(settings.identity_endpoint, timeout=settings.identity_timeout_seconds)
    return None


def query_limits(settings: Settings) -> Limits:
    """Each of the query limits from the setting of its name (MAX_FILTERS, ...)."""
    return Limits(**{f.name: getattr(settings, f.name) for f in dataclasses.fields(Limits)})


def build_service(settings: Settings, repository: MongoJobTaskRepository) -> JobTaskService:
    return JobTaskService(
        repository,
        max_page_size=settings.max_page_size,
        stat_max_rows=settings.stat_max_rows,
        stat_max_time=settings.stat_max_time_ms / 1000,
        stat_timezone=settings.stat_timezone,
        limits=query_limits(settings),
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
        log.warning("authentication is off (AUTH_ENABLED=false): callers choose their domain_id")
    else:
        log.info(
            "authentication on: %d public key(s), audience %s",
            security.verifier.key_count,
            settings.auth_audience,
        )
    if security.tls is None:
        log.warning("TLS is off (no TLS_CERT_FILE): calls travel in plaintext")


class Closable(Protocol):
    def close(self) -> None: ...


@dataclass
class Application:
    """Everything `build` made: bound, not started, not yet touching the database."""

    settings: Settings
    security: Security
    client: Closable  # the MongoClient
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
            created = self.repository.ensure_indexes(
                retention_days=settings.job_task_retention_days,
                owner=settings.index_management == "owner",
                sharded=settings.mongodb_sharded,
            )
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
        log.info("serving spaceone.api.inventory.v1.JobTask on port %d", self.grpc.port)
        if self.grpc.writer_port is not None:
            log.info("serving the writer with mutual TLS on port %d", self.grpc.writer_port)
        if self.http is not None:
            self.http.start()
            log.info("serving HTTP/JSON on port %d", self.http.port)
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
        self.client.close()
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
        self.client.close()


def _open_endpoints(
    settings: Settings,
    service: JobTaskService,
    security: Security,
    running: RunningServer,
    metrics: Metrics | None,
    call_log: CallLog,
) -> tuple[MetricsEndpoint | None, HttpServer | None]:
    """The metrics endpoint (serving) and the HTTP interface (bound, its health following the
    gRPC server's database probe, its calls measured and logged as gRPC's), each when enabled.

    Raises OSError naming the one that cannot listen.
    """
    probe = running.probe
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
                service,
                security=security,
                healthy=None if probe is None else lambda: probe.serving,
                metrics=metrics,
                call_log=call_log,
            )
            if settings.http_enabled
            else None
        )
    except OSError as error:
        if endpoint is not None:
            endpoint.stop()
        raise OSError(f"cannot serve HTTP on port {settings.http_port}: {error}") from error
    return endpoint, http


def build(settings: Settings, security: Security, tracing: Tracing | None = None) -> Application:
    """Storage, services and every server bound (gRPC, the writer's port, HTTP) and metrics
    serving, none of them touching the database yet: an instance that cannot serve (a port taken
    by another one) must change nothing, the collection's indexes included. `tracing`: started
    before this (it must see the MongoClient created). Raises OSError naming the port."""
    metrics = Metrics() if settings.metrics_port else None
    call_log = CallLog(slow_call_ms=settings.slow_call_ms)
    observers = [o for o in (metrics, call_log) if o is not None]
    client, repository = connect_with(settings, observers=observers)  # no I/O yet
    service = build_service(settings, repository)
    writer = build_writer(settings, repository)
    try:
        running = build_server(
            settings,
            service,
            writer,
            security=security,
            metrics=metrics,
            call_log=call_log,
            tracing=tracing,
            database=repository,
        )
    except OSError:
        client.close()
        raise
    try:
        endpoint, http = _open_endpoints(settings, service, security, running, metrics, call_log)
    except OSError:
        running.stop(None)
        client.close()
        raise
    return Application(settings, security, client, repository, running, http, endpoint, tracing)
