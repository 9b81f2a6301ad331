"""spaceone.api.inventory.v1.JobTask: each rpc converts, calls the service, converts back."""

from __future__ import annotations

import grpc
from google.protobuf import empty_pb2, struct_pb2

from jobtask.api import convert
from jobtask.service import JobTaskService
from spaceone.api.inventory.v1 import job_task_pb2, job_task_pb2_grpc


def remaining(context: grpc.ServicerContext) -> float | None:
    """Seconds left before the client's deadline, which bounds the database work; None if none."""
    left: float | None = context.time_remaining()
    return left


def metadata_value(context: grpc.ServicerContext, key: str) -> str:
    """A text metadata value the client sent (keys arrive lower-case), or ""."""
    for name, value in context.invocation_metadata() or ():
        if name == key and isinstance(value, str):
            return value
    return ""


class JobTaskServicer(job_task_pb2_grpc.JobTaskServicer):
    def __init__(self, service: JobTaskService) -> None:
        self._service = service

    def get(
        self, request: job_task_pb2.GetJobTaskRequest, context: grpc.ServicerContext
    ) -> job_task_pb2.JobTaskInfo:
        task = self._service.get(
            request.job_task_id, request.domain_id, tuple(request.only), timeout=remaining(context)
        )
        return convert.to_task_info(task)

    def list(
        self, request: job_task_pb2.JobTaskQuery, context: grpc.ServicerContext
    ) -> job_task_pb2.JobTasksInfo:
        result = self._service.list(
            convert.to_list_request(request, self._service.limits), timeout=remaining(context)
        )
        return convert.to_tasks_info(result.results, result.total_count)

    def delete(
        self, request: job_task_pb2.JobTaskRequest, context: grpc.ServicerContext
    ) -> empty_pb2.Empty:
        self._service.delete(request.job_task_id, request.domain_id, timeout=remaining(context))
        return empty_pb2.Empty()

    def stat(
        self, request: job_task_pb2.JobTaskStatQuery, context: grpc.ServicerContext
    ) -> struct_pb2.Struct:
        stat_request = convert.to_stat_request(
            request, timezone=metadata_value(context, "timezone"), limits=self._service.limits
        )
        result = self._service.stat(stat_request, timeout=remaining(context))
        return convert.to_stat_struct(result)
