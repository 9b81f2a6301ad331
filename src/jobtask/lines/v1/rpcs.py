"""Each SpaceONE 1.x rpc written once, for both edges: the request message -> domain values
(`requests`) -> the service, given the call's `Scope` -> the answer message (`answers`)."""

from __future__ import annotations

from functools import partial
from typing import Final, Protocol

from google.protobuf import empty_pb2, struct_pb2
from google.protobuf.descriptor import ServiceDescriptor

from jobtask.calls.handlers import Handler
from jobtask.calls.invocation import Invocation
from jobtask.domain import JobTask
from jobtask.lines.v1 import answers, requests
from jobtask.rpcs import Rpc
from jobtask.scope import Scope
from jobtask.services.collector import JobTaskWriter
from jobtask.services.reads import JobTaskService
from jobtask_internal.v1 import job_task_writer_pb2
from spaceone.api.inventory.v1 import job_task_pb2

JOB_TASK_DESCRIPTOR: Final = job_task_pb2.DESCRIPTOR.services_by_name["JobTask"]
WRITER_DESCRIPTOR: Final = job_task_writer_pb2.DESCRIPTOR.services_by_name["JobTaskWriter"]


class _NamesATask(Protocol):
    """A writer request about one task (JobTaskRef, ReportProgressRequest, ...)."""

    @property
    def job_task_id(self) -> str: ...


class _Act(Protocol):
    """What the writer does to one task (start, cancel, report, finish; the last two partial)."""

    def __call__(self, job_task_id: str, domain_id: str, *, timeout: float | None) -> JobTask: ...


# The metadata key (gRPC) or header (HTTP) stat's time zone is read from.
TIMEZONE: Final = "timezone"


class JobTaskRpcs:
    """spaceone.api.inventory.v1.JobTask."""

    def __init__(self, service: JobTaskService) -> None:
        self._service = service

    def get(
        self, scope: Scope, request: job_task_pb2.GetJobTaskRequest, call: Invocation
    ) -> job_task_pb2.JobTaskInfo:
        only = tuple(request.only)
        task = self._service.get(scope, request.job_task_id, only, timeout=call.remaining())
        return answers.to_task_info(task)

    def list(
        self, scope: Scope, request: job_task_pb2.JobTaskQuery, call: Invocation
    ) -> job_task_pb2.JobTasksInfo:
        list_request = requests.to_list_request(request, self._service.limits)
        result = self._service.list(scope, list_request, timeout=call.remaining())
        return answers.to_tasks_info(result.results, result.total_count)

    def delete(
        self, scope: Scope, request: job_task_pb2.JobTaskRequest, call: Invocation
    ) -> empty_pb2.Empty:
        self._service.delete(scope, request.job_task_id, timeout=call.remaining())
        return empty_pb2.Empty()

    def stat(
        self, scope: Scope, request: job_task_pb2.JobTaskStatQuery, call: Invocation
    ) -> struct_pb2.Struct:
        stat_request = requests.to_stat_request(
            request, timezone=call.header(TIMEZONE), limits=self._service.limits
        )
        result = self._service.stat(scope, stat_request, timeout=call.remaining())
        return answers.to_stat_struct(result)


class WriterRpcs:
    """jobtask_internal.v1.JobTaskWriter: the collector side."""

    def __init__(self, writer: JobTaskWriter) -> None:
        self._writer = writer

    def create(
        self, scope: Scope, request: job_task_writer_pb2.CreateJobTaskRequest, call: Invocation
    ) -> job_task_pb2.JobTaskInfo:
        new_task = requests.to_new_task(request, scope.domain_id)
        return answers.to_task_info(self._writer.create(new_task, timeout=call.remaining()))

    def start(
        self, scope: Scope, request: job_task_writer_pb2.JobTaskRef, call: Invocation
    ) -> job_task_pb2.JobTaskInfo:
        return self._on_task(scope, request, call, self._writer.start)

    def report(
        self, scope: Scope, request: job_task_writer_pb2.ReportProgressRequest, call: Invocation
    ) -> job_task_pb2.JobTaskInfo:
        progress = requests.to_progress(request)
        return self._on_task(scope, request, call, partial(self._writer.report, progress=progress))

    def finish(
        self, scope: Scope, request: job_task_writer_pb2.FinishJobTaskRequest, call: Invocation
    ) -> job_task_pb2.JobTaskInfo:
        outcome = requests.to_outcome(request.status)
        return self._on_task(scope, request, call, partial(self._writer.finish, status=outcome))

    def cancel(
        self, scope: Scope, request: job_task_writer_pb2.JobTaskRef, call: Invocation
    ) -> job_task_pb2.JobTaskInfo:
        return self._on_task(scope, request, call, self._writer.cancel)

    @staticmethod
    def _on_task(
        scope: Scope, request: _NamesATask, call: Invocation, act: _Act
    ) -> job_task_pb2.JobTaskInfo:
        """What the task the request names, in the call's domain, is after `act` on it."""
        task = act(request.job_task_id, scope.domain_id, timeout=call.remaining())
        return answers.to_task_info(task)

    def purge(
        self, scope: Scope, request: job_task_writer_pb2.PurgeRequest, call: Invocation
    ) -> job_task_writer_pb2.PurgeResponse:
        deleted = self._writer.purge(scope.domain_id, timeout=call.remaining())
        return job_task_writer_pb2.PurgeResponse(deleted_count=deleted)


def _by_rpc(service: ServiceDescriptor, rpcs: object) -> dict[Rpc, Handler]:
    """Each rpc of the service's descriptor (a missing one fails here, at start-up)."""
    return {Rpc(service.full_name, m.name): getattr(rpcs, m.name) for m in service.methods}


def served(
    service: JobTaskService, writer: JobTaskWriter | None = None
) -> tuple[dict[Rpc, Handler], tuple[ServiceDescriptor, ...]]:
    """The 1.x rpcs' handlers, and their services: JobTask's, and the writer's when
    given (`jobtask.bootstrap` builds the call layer over them)."""
    rpcs: list[tuple[ServiceDescriptor, object]] = [(JOB_TASK_DESCRIPTOR, JobTaskRpcs(service))]
    if writer is not None:
        rpcs.append((WRITER_DESCRIPTOR, WriterRpcs(writer)))
    handlers = {rpc: handler for d, served in rpcs for rpc, handler in _by_rpc(d, served).items()}
    return handlers, tuple(d for d, _ in rpcs)
