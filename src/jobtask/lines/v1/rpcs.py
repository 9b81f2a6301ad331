"""Each SpaceONE 1.x rpc written once, for both edges: the request message -> domain values
(`requests`) -> the service, given the call's `Scope` -> the answer message (`answers`)."""

from __future__ import annotations

from functools import partial
from typing import Any, Final, Protocol

from google.protobuf import empty_pb2, struct_pb2
from google.protobuf.descriptor import ServiceDescriptor

from jobtask.auth.permissions import Claim, Metadata
from jobtask.calls.handlers import ClaimOf, Served
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


def claim(request: Any, metadata: Metadata) -> Claim:
    """Where a 1.x call names its domain: its request's `domain_id` (the writer's too, on either
    line)."""
    return Claim(request.domain_id)


def by_rpc(
    rpcs: list[tuple[ServiceDescriptor, object, ClaimOf]],
) -> tuple[dict[Rpc, Served], tuple[ServiceDescriptor, ...]]:
    """Each rpc of each service's descriptor, with its service's claim rule (a missing handler
    fails here, at start-up), and the services."""
    served = {
        Rpc(d.full_name, m.name): Served(getattr(handlers, m.name), rule)
        for d, handlers, rule in rpcs
        for m in d.methods
    }
    return served, tuple(d for d, _, _ in rpcs)


def served(
    service: JobTaskService, writer: JobTaskWriter | None = None
) -> tuple[dict[Rpc, Served], tuple[ServiceDescriptor, ...]]:
    """The 1.x rpcs, and their services: JobTask's, and the writer's when given
    (`jobtask.bootstrap` builds the call layer over them)."""
    rpcs: list[tuple[ServiceDescriptor, object, ClaimOf]] = [
        (JOB_TASK_DESCRIPTOR, JobTaskRpcs(service), claim)
    ]
    if writer is not None:
        rpcs.append(writer_rpcs(writer))
    return by_rpc(rpcs)


def writer_rpcs(writer: JobTaskWriter) -> tuple[ServiceDescriptor, object, ClaimOf]:
    """The writer (our collector API, 1.x's messages), as either line serves it."""
    return WRITER_DESCRIPTOR, WriterRpcs(writer), claim
