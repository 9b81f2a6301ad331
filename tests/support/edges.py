"""The edges over one call layer built as `jobtask.bootstrap` builds it, for tests that serve a
service of their own: a call layer (`calls_over`), a gRPC server or an HTTP server over it."""

from __future__ import annotations

from collections.abc import Callable

from jobtask.auth.permissions import Access
from jobtask.auth.security import Security
from jobtask.bootstrap import build_calls
from jobtask.calls.handlers import Calls
from jobtask.edges.grpc import server as grpc_server
from jobtask.edges.grpc.dbhealth import Pingable
from jobtask.edges.http import server as http_server
from jobtask.observability.logs import CallLog
from jobtask.observability.metrics import Metrics
from jobtask.observability.observe import Observation
from jobtask.observability.tracing import Tracing
from jobtask.services.collector import JobTaskWriter
from jobtask.services.reads import JobTaskService
from jobtask.settings import Settings


def calls_over(
    service: JobTaskService, access: Access, writer: JobTaskWriter | None = None
) -> Calls:
    """The call layer over `service` (and `writer`), behind `access`'s rules."""
    return build_calls(access, service, writer)


def build_server(
    settings: Settings,
    service: JobTaskService,
    writer: JobTaskWriter | None = None,
    *,
    security: Security,
    metrics: Metrics | None = None,
    call_log: CallLog | None = None,
    tracing: Tracing | None = None,
    database: Pingable | None = None,
) -> grpc_server.RunningServer:
    """A bound, not started gRPC server over the service (and the writer), as `build` makes it:
    of the SpaceONE line the settings name (SPACEONE_API)."""
    return grpc_server.build_server(
        settings,
        build_calls(Access(security), service, writer, settings.spaceone_api),
        observation=Observation(metrics, call_log),
        tls=security.tls,
        tracing=tracing,
        database=database,
    )


def build_http_server(
    settings: Settings,
    service: JobTaskService,
    *,
    security: Security,
    healthy: Callable[[], bool] | None = None,
    metrics: Metrics | None = None,
    call_log: CallLog | None = None,
) -> http_server.HttpServer:
    """A bound, not started HTTP server over the service, as `build` makes it."""
    return http_server.build_http_server(
        settings,
        build_calls(Access(security), service, None),
        observation=Observation(metrics, call_log),
        tls=security.tls is not None,
        healthy=healthy,
    )
