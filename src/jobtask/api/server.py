"""build_server(): the one place where the gRPC server is wired together.

SpaceONE's JobTask, our internal JobTaskWriter, the standard health service and server reflection
(v1alpha, which SpaceONE's client and spacectl use) behind the error-mapping interceptor, and the
observing ones (tracing, metrics, call log; outermost first) in front of it when given.
"""

from __future__ import annotations

from concurrent import futures
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from jobtask.api.calls import Observer
from jobtask.api.logs import CallLog
from jobtask.api.metrics import Metrics
from jobtask.api.servicer import JobTaskServicer
from jobtask.api.status import error_mapping_interceptor
from jobtask.api.tracing import Tracing
from jobtask.api.writer_servicer import JobTaskWriterServicer
from jobtask.service import JobTaskService
from jobtask.settings import Settings
from jobtask.writer import JobTaskWriter
from jobtask_internal.v1 import job_task_writer_pb2, job_task_writer_pb2_grpc
from spaceone.api.inventory.v1 import job_task_pb2, job_task_pb2_grpc

JOB_TASK_SERVICE = job_task_pb2.DESCRIPTOR.services_by_name["JobTask"].full_name
WRITER_SERVICE = job_task_writer_pb2.DESCRIPTOR.services_by_name["JobTaskWriter"].full_name


@dataclass
class RunningServer:
    server: grpc.Server
    health: health.HealthServicer
    port: int
    services: tuple[str, ...]

    def start(self) -> None:
        self.server.start()
        for name in ("", *self.services):
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    def stop(self, grace: float | None) -> None:
        """Health turns NOT_SERVING first, then in-flight calls get `grace` seconds to finish."""
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()


def build_server(
    settings: Settings,
    service: JobTaskService,
    writer: JobTaskWriter | None = None,
    *,
    metrics: Metrics | None = None,
    call_log: CallLog | None = None,
    tracing: Tracing | None = None,
) -> RunningServer:
    """A bound, not yet started server. Port 0 binds a free port (read it from the result).

    Without a writer only SpaceONE's read/delete API is served.
    """
    services = (JOB_TASK_SERVICE,) if writer is None else (JOB_TASK_SERVICE, WRITER_SERVICE)
    prefixes = tuple(f"/{name}/" for name in services)
    observers: tuple[Observer | None, ...] = (tracing, metrics, call_log)
    observing = [o.interceptor(prefixes) for o in observers if o is not None]
    options = [
        ("grpc.max_receive_message_length", settings.grpc_max_message_bytes),
        ("grpc.max_send_message_length", settings.grpc_max_message_bytes),
    ]
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=settings.grpc_workers, thread_name_prefix="rpc"),
        interceptors=[*observing, error_mapping_interceptor(prefixes)],
        options=options,
    )
    job_task_pb2_grpc.add_JobTaskServicer_to_server(JobTaskServicer(service), server)
    if writer is not None:
        job_task_writer_pb2_grpc.add_JobTaskWriterServicer_to_server(
            JobTaskWriterServicer(writer), server
        )
    health_servicer = health.HealthServicer(experimental_non_blocking=True)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*services, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    address = f"{settings.grpc_host}:{settings.grpc_port}"
    port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"cannot listen on {address}")
    return RunningServer(server, health_servicer, port, services)
