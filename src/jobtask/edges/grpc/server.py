"""build_server(): the gRPC server over the call layer it is given (`jobtask.bootstrap` builds it).

SpaceONE's JobTask and our internal JobTaskWriter (the call layer's rpcs, `jobtask.calls.handlers`,
which apply the access rules; each call observed, see `servicer`), the standard health service
and server reflection (v1alpha, which SpaceONE's client and spacectl use, and v1), a tracing
interceptor in front when tracing is on, and when configured, TLS (mutual TLS on a port of the
writer's own).
"""

from __future__ import annotations

from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.descriptor import ServiceDescriptor
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2, reflection_pb2_grpc

from jobtask.auth.tls import TlsFiles
from jobtask.calls.handlers import Calls
from jobtask.edges.grpc.dbhealth import DatabaseProbe, Pingable
from jobtask.edges.grpc.servicer import service_handlers
from jobtask.observability.observe import Observation
from jobtask.observability.tracing import Tracing
from jobtask.rpcs import JOB_TASK, WRITER
from jobtask.settings import Settings

# What reflection lists: only what SpaceONE's clients can load. They build a stub for every listed
# service from their own spaceone-api modules, and abort on one they lack (the writer, or a health
# service newer than their grpcio-health-checking), as SpaceONE's own servers list only their API.
LISTED_SERVICES = (JOB_TASK,)
REFLECTION_V1 = "grpc.reflection.v1.ServerReflection"


class OwnPoolHealth(health.HealthServicer):  # type: ignore[misc]
    """The standard health service whose Check runs on a small pool of its own, so that a health
    check never waits behind busy workers (a database outage holds them for up to the selection
    timeout). grpcio runs a behavior on the pool its `experimental_thread_pool` names; grpc_health
    does the same for Watch. Where grpcio ignores it, Check runs on the workers, as before."""

    def __init__(self, pool: futures.ThreadPoolExecutor) -> None:
        super().__init__(experimental_non_blocking=True)

        def check(request: health_pb2.HealthCheckRequest, context: grpc.ServicerContext) -> Any:
            return health.HealthServicer.Check(self, request, context)

        check.experimental_thread_pool = pool  # type: ignore[attr-defined]
        self.Check = check


@dataclass
class RunningServer:
    server: grpc.Server
    health: health.HealthServicer
    port: int
    services: tuple[str, ...]
    writer_port: int | None = None  # the writer's mutual-TLS port, when TLS_CLIENT_CA_FILE is set
    probe: DatabaseProbe | None = None  # health follows the database, when one is given
    health_pool: futures.ThreadPoolExecutor | None = None  # where health checks run

    def start(self) -> None:
        self.server.start()
        for name in ("", *self.services):
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        if self.probe is not None:
            self.probe.start()

    def stop(self, grace: float | None) -> None:
        """Health turns NOT_SERVING first, then in-flight calls get `grace` seconds to finish."""
        if self.probe is not None:
            self.probe.stop()  # first: no ping may turn a stopping server SERVING again
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()
        if self.health_pool is not None:
            self.health_pool.shutdown(wait=False)
        if self.probe is not None:
            self.probe.join()


def build_server(
    settings: Settings,
    calls: Calls,
    *,
    observation: Observation,
    tls: TlsFiles | None = None,
    tracing: Tracing | None = None,
    database: Pingable | None = None,
) -> RunningServer:
    """A bound, not yet started server of the call layer's services, each call observed by
    `observation`. Port 0 binds a free port (read it from the result). `tls`: what the ports
    serve (the writer's, when it is served, on a mutual-TLS port of its own with a client CA).
    With a `database`, health follows it (pinged every DB_HEALTH_INTERVAL_SECONDS).
    """
    services = tuple(descriptor.full_name for descriptor in calls.services)
    prefixes = tuple(f"/{name}/" for name in services)
    interceptors = [] if tracing is None else [_tracing_interceptor(tracing, prefixes)]
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=settings.grpc_workers, thread_name_prefix="rpc"),
        interceptors=interceptors,
        options=_options(settings),
    )
    server.add_generic_rpc_handlers(
        tuple(service_handlers(calls, d, observation) for d in calls.services)
    )
    health_pool = futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="health")
    health_servicer = OwnPoolHealth(health_pool)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    _add_reflection(server, calls.services)
    credentials = None if tls is None else server_credentials(tls)
    port = _bind(server, f"{settings.grpc_host}:{settings.grpc_port}", credentials)
    writer_port = None
    if calls.serves(WRITER) and tls is not None and tls.client_ca is not None:
        # grpc applies client-certificate requirements per port: the writer gets its own.
        writer_address = f"{settings.grpc_host}:{settings.writer_grpc_port}"
        writer_port = _bind(server, writer_address, server_credentials(tls, mutual=True))
    probe = None
    if database is not None:
        interval = settings.db_health_interval_seconds
        probe = DatabaseProbe(database, health_servicer, ("", *services), interval=interval)
    return RunningServer(
        server, health_servicer, port, services, writer_port, probe, health_pool=health_pool
    )


def _options(settings: Settings) -> list[tuple[str, int]]:
    return [
        # A request past it is refused by grpc before it is decoded (RESOURCE_EXHAUSTED).
        (
            "grpc.max_receive_message_length",
            min(settings.grpc_max_receive_bytes, settings.grpc_max_message_bytes),
        ),
        ("grpc.max_send_message_length", settings.grpc_max_message_bytes),
        # grpcio sets SO_REUSEPORT by default: a second server on the same port would bind
        # without an error and take half of the connections. A taken port must fail start-up.
        ("grpc.so_reuseport", 0),
    ]


def _tracing_interceptor(
    tracing: Tracing, service_prefixes: tuple[str, ...]
) -> grpc.ServerInterceptor:
    """A server span per call of the guarded services (health checks are not traced)."""
    from opentelemetry.instrumentation.grpc import server_interceptor

    def guarded(details: grpc.HandlerCallDetails) -> bool:
        return str(details.method).startswith(service_prefixes)

    return server_interceptor(tracer_provider=tracing.provider, filter_=guarded)


def _add_reflection(server: grpc.Server, services: tuple[ServiceDescriptor, ...]) -> None:
    """Reflection v1alpha and v1 (wire-identical messages: v1 is served by the same behaviour),
    listing LISTED_SERVICES, from the descriptor pool of the line's JobTask (1.x: protobuf's
    default pool, where every symbol of the process resolves, listed or not: the writer's and
    health's too, for grpcurl; 2.x: the 2.x pool, JobTask's files only, `jobtask.lines.v2.wire`).
    """
    pools = [d.file.pool for d in services if d.full_name in LISTED_SERVICES]
    servicer = reflection.ReflectionServicer(LISTED_SERVICES, pool=pools[0] if pools else None)
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(servicer, server)
    v1 = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
    )
    handlers = {"ServerReflectionInfo": v1}
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(REFLECTION_V1, handlers),)
    )


def server_credentials(tls: TlsFiles, *, mutual: bool = False) -> grpc.ServerCredentials:
    """TLS for a port; `mutual` requires a client certificate signed by TLS_CLIENT_CA_FILE."""
    pairs = [(tls.private_key, tls.certificate_chain)]
    if not mutual:
        return grpc.ssl_server_credentials(pairs)
    return grpc.ssl_server_credentials(
        pairs, root_certificates=tls.client_ca, require_client_auth=True
    )


def _bind(server: grpc.Server, address: str, credentials: grpc.ServerCredentials | None) -> int:
    try:
        if credentials is None:
            bound: int = server.add_insecure_port(address)
        else:
            bound = server.add_secure_port(address, credentials)
    except RuntimeError:  # grpcio raises where older versions returned 0
        bound = 0
    if bound == 0:
        raise OSError(f"cannot listen on {address} (is another server using the port?)")
    return bound
