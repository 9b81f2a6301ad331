"""jobtask_internal.v1.JobTaskWriter: the collector side, each rpc convert -> writer -> convert."""

from __future__ import annotations

import grpc

from jobtask.api import convert
from jobtask.api.servicer import remaining
from jobtask.writer import JobTaskWriter
from jobtask_internal.v1 import job_task_writer_pb2, job_task_writer_pb2_grpc
from spaceone.api.inventory.v1 import job_task_pb2


class JobTaskWriterServicer(job_task_writer_pb2_grpc.JobTaskWriterServicer):
    def __init__(self, writer: JobTaskWriter) -> None:
        self._writer = writer

    def create(
        self, request: job_task_writer_pb2.CreateJobTaskRequest, context: grpc.ServicerContext
    ) -> job_task_pb2.JobTaskInfo:
        task = self._writer.create(convert.to_new_task(request), timeout=remaining(context))
        return convert.to_task_info(task)

    def start(
        self, request: job_task_writer_pb2.JobTaskRef, context: grpc.ServicerContext
    ) -> job_task_pb2.JobTaskInfo:
        task = self._writer.start(
            request.job_task_id, request.domain_id, timeout=remaining(context)
        )
        return convert.to_task_info(task)

    def report(
        self, request: job_task_writer_pb2.ReportProgressRequest, context: grpc.ServicerContext
    ) -> job_task_pb2.JobTaskInfo:
        task = self._writer.report(
            request.job_task_id,
            request.domain_id,
            convert.to_progress(request),
            timeout=remaining(context),
        )
        return convert.to_task_info(task)

    def finish(
        self, request: job_task_writer_pb2.FinishJobTaskRequest, context: grpc.ServicerContext
    ) -> job_task_pb2.JobTaskInfo:
        task = self._writer.finish(
            request.job_task_id,
            request.domain_id,
            convert.to_outcome(request.status),
            timeout=remaining(context),
        )
        return convert.to_task_info(task)

    def cancel(
        self, request: job_task_writer_pb2.JobTaskRef, context: grpc.ServicerContext
    ) -> job_task_pb2.JobTaskInfo:
        task = self._writer.cancel(
            request.job_task_id, request.domain_id, timeout=remaining(context)
        )
        return convert.to_task_info(task)

    def purge(
        self, request: job_task_writer_pb2.PurgeRequest, context: grpc.ServicerContext
    ) -> job_task_writer_pb2.PurgeResponse:
        deleted = self._writer.purge(request.domain_id, timeout=remaining(context))
        return job_task_writer_pb2.PurgeResponse(deleted_count=deleted)
