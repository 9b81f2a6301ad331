"""python -m jobtask: Settings -> repository -> service -> build_server() -> serve till a signal."""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import ValidationError

from jobtask.api.identity import load_security
from jobtask.api.logs import CallLog, configure_logging
from jobtask.api.metrics import Metrics, MetricsEndpoint, serve_metrics
from jobtask.api.server import RunningServer, build_server
from jobtask.api.tracing import Tracing, TracingUnavailable, start_tracing
from jobtask.auth import ConfigurationError, Security
from jobtask.errors import JobTaskError
from jobtask.http.server import HttpServer, build_http_server
from jobtask.query.limits import Limits
from jobtask.repository import MongoJobTaskRepository, connect_with, failure_detail
from jobtask.service import JobTaskService
from jobtask.settings import Settings
from jobtask.writer import JobTaskWriter, WriterLimits

log = logging.getLogger("jobtask")


def load_settings() -> Settings | None:
    """Settings from the environment, or None after one clear line per bad variable."""
    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            name = str(problem["loc"][0]).upper() if problem["loc"] else "configuration"
            shown = "(hidden)" if name == "MONGODB_URI" else repr(problem.get("input"))
            print(f"jobtask: invalid {name}={shown}: {problem['msg']}", file=sys.stderr)
        return None


def build_writer(settings: Settings, repository: MongoJobTaskRepository) -> JobTaskWriter:
    limits = WriterLimits(
        max_errors=settings.job_task_max_errors,
        max_error_message_chars=settings.job_task_max_error_message_chars,
        max_additional_depth=settings.max_value_depth,
        retention_days=settings.job_task_retention_days,
    )
    return JobTaskWriter(repository, limits=limits, clock=lambda: datetime.now(UTC))


def query_limits(settings: Settings) -> Limits:
    return Limits(
        max_filters=settings.max_filters,
        max_value_depth=settings.max_value_depth,
        max_regex_length=settings.max_regex_length,
        max_list_values=settings.max_list_values,
        max_aggregate_stages=settings.max_aggregate_stages,
        max_only_fields=settings.max_only_fields,
        max_stage_fields=settings.max_stage_fields,
    )


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


def open_endpoints(
    settings: Settings,
    metrics: Metrics | None,
    call_log: CallLog,
    service: JobTaskService,
    security: Security,
    running: RunningServer,
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


def bind_everything(
    settings: Settings,
    service: JobTaskService,
    writer: JobTaskWriter,
    repository: MongoJobTaskRepository,
    metrics: Metrics | None,
    call_log: CallLog,
    tracing: Tracing | None,
    security: Security,
) -> tuple[RunningServer, MetricsEndpoint | None, HttpServer | None]:
    """Every server bound (gRPC, the writer's port, HTTP) and metrics serving, none of them
    touching the database yet: an instance that cannot serve (a port taken by another one) must
    change nothing, the collection's indexes included. Raises OSError naming the port."""
    running = build_server(
        settings,
        service,
        writer,
        metrics=metrics,
        call_log=call_log,
        tracing=tracing,
        security=security,
        database=repository,
    )
    try:
        endpoint, http = open_endpoints(settings, metrics, call_log, service, security, running)
    except OSError:
        running.stop(None)
        raise
    return running, endpoint, http


def prepare_indexes(settings: Settings, repository: MongoJobTaskRepository) -> bool:
    """The collection's indexes as INDEX_MANAGEMENT says; False (logged) when that failed."""
    if settings.index_management == "off":
        log.info(
            "indexes on %s.job_task: left as they are (INDEX_MANAGEMENT=off)",
            settings.mongodb_database,
        )
        return True
    try:
        created = repository.ensure_indexes(
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


def close_unstarted(
    running: RunningServer, endpoint: MetricsEndpoint | None, http: HttpServer | None
) -> None:
    """Release the ports of servers that were bound but never started."""
    running.stop(None)
    if http is not None:
        http.close()
    if endpoint is not None:
        endpoint.stop()


def start_http(http: HttpServer | None) -> None:
    if http is not None:
        http.start()
        log.info("serving HTTP/JSON on port %d", http.port)


def stop_servers(running: RunningServer, http: HttpServer | None, grace: float) -> None:
    """gRPC and HTTP drain together: both stop taking calls, then in-flight ones get `grace`."""
    if http is not None:
        http.shutdown()
    running.stop(grace)
    if http is not None:
        http.wait(grace)


def on_stop_signals(poll_seconds: float = 0.05) -> Callable[[], int]:
    """Notes SIGTERM and SIGINT from now on; returns the wait for the first of them (its number).

    The handlers only append to a list. A handler runs on the main thread between two bytecodes,
    so one that takes a lock, as `threading.Event.set` does, deadlocks when a signal lands while
    that thread holds the lock: inside `Event.wait`, or inside the handler of a signal just before
    (`make run` forwards SIGTERM to the server beside the one a process group gets). Such a
    server never stopped."""
    received: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, _frame: received.append(number))

    def wait() -> int:
        while not received:
            time.sleep(poll_seconds)
        return received[0]

    return wait


def main() -> int:
    settings = load_settings()
    if settings is None:
        return 2
    try:
        security = load_security(settings)
    except ConfigurationError as error:
        print(f"jobtask: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        tracing = start_tracing(settings.otel_exporter) if settings.otel_enabled else None
    except TracingUnavailable as error:
        print(f"jobtask: {error}", file=sys.stderr)
        return 2
    metrics = Metrics() if settings.metrics_port else None
    call_log = CallLog(slow_call_ms=settings.slow_call_ms)
    observers = [o for o in (metrics, call_log) if o is not None]
    client, repository = connect_with(settings, observers=observers)  # no I/O yet
    service = JobTaskService(
        repository,
        max_page_size=settings.max_page_size,
        stat_max_rows=settings.stat_max_rows,
        stat_max_time=settings.stat_max_time_ms / 1000,
        stat_timezone=settings.stat_timezone,
        limits=query_limits(settings),
    )
    writer = build_writer(settings, repository)
    try:
        running, endpoint, http = bind_everything(
            settings, service, writer, repository, metrics, call_log, tracing, security
        )
    except OSError as error:
        log.error("cannot start: %s", error)
        client.close()
        return 1
    if not prepare_indexes(settings, repository):
        close_unstarted(running, endpoint, http)
        client.close()
        return 1
    wait_for_stop = on_stop_signals()
    running.start()
    log.info("serving spaceone.api.inventory.v1.JobTask on port %d", running.port)
    if running.writer_port is not None:
        log.info("serving the writer with mutual TLS on port %d", running.writer_port)
    start_http(http)
    describe_security(settings, security)
    wait_for_stop()
    log.info(
        "shutting down: finishing in-flight calls (grace %.1fs)", settings.shutdown_grace_seconds
    )
    stop_servers(running, http, settings.shutdown_grace_seconds)
    client.close()
    if endpoint is not None:
        endpoint.stop()
    if tracing is not None:
        tracing.shutdown()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
