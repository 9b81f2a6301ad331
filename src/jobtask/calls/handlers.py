"""Each rpc written once, for both edges: the request message -> the service, given the call's
`Scope` -> the answer message. `Calls.serve` applies the access rules (`jobtask.auth.permissions`)
first; the edges decode the request, encode the answer and map what is raised
(`jobtask.calls.status`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from google.protobuf import empty_pb2, struct_pb2
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message

from jobtask.auth.jwt import Caller
from jobtask.auth.permissions import Access
from jobtask.auth.spaceone import SpaceoneCaller
from jobtask.calls.invocation import Invocation
from jobtask.errors import NotImplementedYet
from jobtask.rpc import convert
from jobtask.scope import Scope
from jobtask.services.collector import JobTaskWriter
from jobtask.services.reads import JobTaskService
from jobtask_internal.v1 import job_task_writer_pb2
from spaceone.api.inventory.v1 import job_task_pb2

if TYPE_CHECKING:
    from jobtask.calls.invocation import Seen

JOB_TASK_DESCRIPTOR: Final = job_task_pb2.DESCRIPTOR.services_by_name["JobTask"]
WRITER_DESCRIPTOR: Final = job_task_writer_pb2.DESCRIPTOR.services_by_name["JobTaskWriter"]
# The metadata key (gRPC) or header (HTTP) stat's time zone is read from.
TIMEZONE: Final = "timezone"


Handler = Callable[[Scope, Any, Invocation], Message]


class JobTaskRpcs:
    """spaceone.api.inventory.v1.JobTask."""

    def __init__(self, service: JobTaskService) -> None:
        self._service = service

    def get(
        self, scope: Scope, request: job_task_pb2.GetJobTaskRequest, call: Invocation
    ) -> job_task_pb2.JobTaskInfo:
        only = tuple(request.only)
        task = self._service.get(scope, request.job_task_id, only, timeout=call.remaining())
        return convert.to_task_info(task)

    def list(
        self, scope: Scope, request: job_task_pb2.JobTaskQuery, call: Invocation
    ) -> job_task_pb2.JobTasksInfo:
        list_request = convert.to_list_request(request, self._service.limits)
        result = self._service.list(scope, list_request, timeout=call.remaining())
        return convert.to_tasks_info(result.results, result.total_count)

    def delete(
        self, scope: Scope, request: job_task_pb2.JobTaskRequest, call: Invocation
    ) -> empty_pb2.Empty:
        self._service.delete(scope, request.job_task_id, timeout=call.remaining())
        return empty_pb2.Empty()

    def stat(
        self, scope: Scope, request: job_task_pb2.JobTaskStatQuery, call: Invocation
    ) -> struct_pb2.Struct:
        stat_request = convert.to_stat_request(
            request, timezone=call.header(TIMEZONE), limits=self._service.limits
        )
        result = self._service.stat(scope, stat_request, timeout=call.remaining())
        return convert.to_stat_struct(result)


class WriterRpcs:
    """jobtask_internal.v1.JobTaskWriter: the collector side."""

    def __init__(self, writer: JobTaskWriter) -> None:
        self._writer = writer

    def create(
        self, scope: Scope, request: job_task_writer_pb2.CreateJobTaskRequest, call: Invocation
    ) -> job_task_pb2.JobTaskInfo:
        new_task = convert.to_new_task(request, scope.domain_id)
        return convert.to_task_info(self._writer.create(new_task, timeout=call.remaining()))

    def start(
        self, scope: Scope, request: job_task_writer_pb2.JobTaskRef, call: Invocation
    ) -> job_task_pb2.JobTaskInfo:
        task = self._writer.start(request.job_task_id, scope.domain_id, timeout=call.remaining())
        return convert.to_task_info(task)

    def report(
        self, scope: Scope, request: job_task_writer_pb2.ReportProgressRequest, call: Invocation
    ) -> job_task_pb2.JobTaskInfo:
        progress = convert.to_progress(request)
        task = self._writer.report(
            request.job_task_id, scope.domain_id, progress, timeout=call.remaining()
        )
        return convert.to_task_info(task)

    def finish(
        self, scope: Scope, request: job_task_writer_pb2.FinishJobTaskRequest, call: Invocation
    ) -> job_task_pb2.JobTaskInfo:
        outcome = convert.to_outcome(request.status)
        task = self._writer.finish(
            request.job_task_id, scope.domain_id, outcome, timeout=call.remaining()
        )
        return convert.to_task_info(task)

    def cancel(
        self, scope: Scope, request: job_task_writer_pb2.JobTaskRef, call: Invocation
    ) -> job_task_pb2.JobTaskInfo:
        task = self._writer.cancel(request.job_task_id, scope.domain_id, timeout=call.remaining())
        return convert.to_task_info(task)

    def purge(
        self, scope: Scope, request: job_task_writer_pb2.PurgeRequest, call: Invocation
    ) -> job_task_writer_pb2.PurgeResponse:
        deleted = self._writer.purge(scope.domain_id, timeout=call.remaining())
        return job_task_writer_pb2.PurgeResponse(deleted_count=deleted)


def _by_path(service: ServiceDescriptor, rpcs: object) -> dict[str, Handler]:
    """Each rpc of the service's descriptor, by path (a missing one fails here, at start-up)."""
    return {f"/{service.full_name}/{m.name}": getattr(rpcs, m.name) for m in service.methods}


class Calls:
    """The rpcs an edge serves (JobTask; the writer too when given), behind the access rules."""

    def __init__(
        self, service: JobTaskService, access: Access, writer: JobTaskWriter | None = None
    ) -> None:
        self.access = access
        self.limits = service.limits
        served: list[tuple[ServiceDescriptor, object]] = [
            (JOB_TASK_DESCRIPTOR, JobTaskRpcs(service))
        ]
        if writer is not None:
            served.append((WRITER_DESCRIPTOR, WriterRpcs(writer)))
        self.services: tuple[ServiceDescriptor, ...] = tuple(d for d, _ in served)
        self._handlers: Mapping[str, Handler] = {
            path: handler for d, rpcs in served for path, handler in _by_path(d, rpcs).items()
        }

    def authenticate(self, path: str, call: Invocation) -> Caller | SpaceoneCaller | None:
        """Who calls, before anything of the request is read (see `Access.authenticate`)."""
        return self.access.authenticate(
            path, call.metadata, client_certificate=call.client_certificate
        )

    def serve(
        self,
        path: str,
        request: Any,
        call: Invocation,
        caller: Caller | SpaceoneCaller | None,
        seen: Seen,
    ) -> Message:
        """The rpc's answer to the decoded request of an authenticated caller; the call's scope
        is noted in `seen` (its observation) once decided."""
        handler = self._handlers.get(path)
        if handler is None:
            raise NotImplementedYet(f"{path} is not served here")
        scope = self.access.scope(path, request, call.metadata, caller)
        seen.scope = scope
        return handler(scope, request, call)

    def call(self, path: str, request: Any, call: Invocation, seen: Seen) -> Message:
        """Authenticate and serve at once (the gRPC edge, whose request is decoded first)."""
        return self.serve(path, request, call, self.authenticate(path, call), seen)
