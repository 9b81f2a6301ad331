"""The CLI's gRPC client: one channel, SpaceONE's JobTask and our JobTaskWriter stubs.

Every failed call becomes a CallFailed whose text is the one line the CLI prints.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import grpc
from google.protobuf import empty_pb2, struct_pb2
from google.protobuf.message import Message

from jobtask_internal.v1 import job_task_writer_pb2 as writer_pb2
from jobtask_internal.v1 import job_task_writer_pb2_grpc
from spaceone.api.core.v1 import query_pb2
from spaceone.api.inventory.v1 import job_task_pb2, job_task_pb2_grpc

DEFAULT_SERVER = "localhost:50051"

# The server's error mapping always sends SpaceONE's "<ERROR_CODE>: <message>"; a status without
# that shape was made by the client library itself (no connection, no answer in time).
_FROM_SERVER = re.compile(r"^ERROR_[A-Z0-9_]+: ")

Reply = TypeVar("Reply", bound=Message)


class CallFailed(Exception):
    """A call the server refused, or that never reached it."""

    def __init__(self, code: grpc.StatusCode, details: str, *, server: str, timeout: float) -> None:
        super().__init__(code, details)
        self.code = code
        self.details = details
        self.server = server
        self.timeout = timeout

    def __str__(self) -> str:
        name = self.code.name
        if _FROM_SERVER.match(self.details):
            return f"{name}: {self.details}"
        if self.code is grpc.StatusCode.UNAVAILABLE:
            return f"cannot reach {self.server} ({name}): is the server running? (make run)"
        if self.code is grpc.StatusCode.DEADLINE_EXCEEDED:
            return f"{name}: no answer from {self.server} within {self.timeout:g} s"
        return f"{name}: {self.details or 'no details'}"


class JobTaskClient:
    """One method per rpc; `domain_id` scopes every call (an empty one only in `purge`)."""

    def __init__(
        self, channel: grpc.Channel, *, server: str, timeout: float, token: str = ""
    ) -> None:
        self._reader = job_task_pb2_grpc.JobTaskStub(channel)
        self._writer = job_task_writer_pb2_grpc.JobTaskWriterStub(channel)
        self._server = server
        self._timeout = timeout
        # SpaceONE clients send their JWT as `token` metadata.
        self._metadata = (("token", token),) if token else ()

    def get(
        self, task_id: str, domain_id: str, only: Sequence[str] = ()
    ) -> job_task_pb2.JobTaskInfo:
        request = job_task_pb2.GetJobTaskRequest(
            job_task_id=task_id, domain_id=domain_id, only=only
        )
        return self._call(self._reader.get, request, job_task_pb2.JobTaskInfo)

    def list(
        self, domain_id: str, query: query_pb2.Query, status: str | None = None
    ) -> job_task_pb2.JobTasksInfo:
        request = job_task_pb2.JobTaskQuery(domain_id=domain_id, query=query, status=status)
        return self._call(self._reader.list, request, job_task_pb2.JobTasksInfo)

    def stat(self, domain_id: str, query: query_pb2.StatisticsQuery) -> struct_pb2.Struct:
        request = job_task_pb2.JobTaskStatQuery(domain_id=domain_id, query=query)
        return self._call(self._reader.stat, request, struct_pb2.Struct)

    def delete(self, task_id: str, domain_id: str) -> empty_pb2.Empty:
        request = job_task_pb2.JobTaskRequest(job_task_id=task_id, domain_id=domain_id)
        return self._call(self._reader.delete, request, empty_pb2.Empty)

    def create(self, request: writer_pb2.CreateJobTaskRequest) -> job_task_pb2.JobTaskInfo:
        return self._call(self._writer.create, request, job_task_pb2.JobTaskInfo)

    def start(self, task_id: str, domain_id: str) -> job_task_pb2.JobTaskInfo:
        request = writer_pb2.JobTaskRef(job_task_id=task_id, domain_id=domain_id)
        return self._call(self._writer.start, request, job_task_pb2.JobTaskInfo)

    def report(self, request: writer_pb2.ReportProgressRequest) -> job_task_pb2.JobTaskInfo:
        return self._call(self._writer.report, request, job_task_pb2.JobTaskInfo)

    def finish(self, task_id: str, domain_id: str, status: str) -> job_task_pb2.JobTaskInfo:
        request = writer_pb2.FinishJobTaskRequest(
            job_task_id=task_id,
            domain_id=domain_id,
            status=status,
        )
        return self._call(self._writer.finish, request, job_task_pb2.JobTaskInfo)

    def cancel(self, task_id: str, domain_id: str) -> job_task_pb2.JobTaskInfo:
        request = writer_pb2.JobTaskRef(job_task_id=task_id, domain_id=domain_id)
        return self._call(self._writer.cancel, request, job_task_pb2.JobTaskInfo)

    def purge(self, domain_id: str) -> writer_pb2.PurgeResponse:
        request = writer_pb2.PurgeRequest(domain_id=domain_id)
        return self._call(self._writer.purge, request, writer_pb2.PurgeResponse)

    def _call(self, method: Callable[..., Any], request: Message, reply: type[Reply]) -> Reply:
        try:
            answer = method(request, timeout=self._timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            # Raised errors are grpc.Call objects too: they carry the status code and details.
            raise CallFailed(
                error.code(), error.details() or "", server=self._server, timeout=self._timeout
            ) from None
        if not isinstance(answer, reply):
            raise TypeError(f"expected {reply.__name__}, got {type(answer).__name__}")
        return answer


@contextmanager
def connect(server: str, timeout: float) -> Iterator[JobTaskClient]:
    """A client over a fresh plaintext channel to `server` (host:port), closed on exit."""
    # The token comes from the environment only, so it never shows in a shell's history.
    token = os.environ.get("JOBTASK_TOKEN", "")
    with grpc.insecure_channel(server) as channel:
        yield JobTaskClient(channel, server=server, timeout=timeout, token=token)
