"""The CLI's gRPC client: one channel, SpaceONE's JobTask (on either line) and our JobTaskWriter.

How to reach the server comes from the environment, as the server's own settings do, so that no
secret shows in a shell's history: JOBTASK_TOKEN (a JWT, sent as `token` metadata), JOBTASK_CA_FILE
(PEM roots to trust: TLS on), JOBTASK_TLS=true (TLS with the system's roots), JOBTASK_CERT_FILE and
JOBTASK_KEY_FILE (a client certificate, for the writer's mutual-TLS port), JOBTASK_TLS_SERVER_NAME
(the name the server's certificate must carry, when it is not the host dialled).
Every failed call becomes a CallFailed whose text is the one line the CLI prints.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import grpc
import jwt
from google.protobuf.message import Message

from jobtask.cli.lines import V1, Line, Metadata, Rpc
from jobtask_internal.v1 import job_task_writer_pb2 as writer_pb2
from jobtask_internal.v1 import job_task_writer_pb2_grpc
from spaceone.api.inventory.v1 import job_task_pb2

DEFAULT_SERVER = "localhost:50051"

# The server's error mapping always sends SpaceONE's "<ERROR_CODE>: <message>"; a status without
# that shape was made by the client library itself (no connection, no answer in time).
_FROM_SERVER = re.compile(r"^ERROR_[A-Z0-9_]+: ")

Reply = TypeVar("Reply", bound=Message)


class ConnectionSetupError(ValueError):
    """The JOBTASK_* connection settings cannot be used (a file missing, a key without a cert)."""


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


@dataclass(frozen=True)
class Connection:
    """How to reach the server: address, token and TLS material (see the module)."""

    server: str
    token: str = ""
    tls: bool = False
    roots: bytes | None = None  # None with TLS: the system's roots
    key: bytes | None = None
    chain: bytes | None = None
    server_name: str = ""

    @classmethod
    def from_environment(cls, server: str, environ: Mapping[str, str] = os.environ) -> Connection:
        """Raises ConnectionSetupError naming the variable that cannot be used."""
        tls_flag = environ.get("JOBTASK_TLS", "").strip().lower()
        if tls_flag not in _TRUE | _FALSE:
            raise ConnectionSetupError(f"JOBTASK_TLS={tls_flag!r}: use true or false")
        roots = _read(environ, "JOBTASK_CA_FILE")
        key, chain = _read(environ, "JOBTASK_KEY_FILE"), _read(environ, "JOBTASK_CERT_FILE")
        if (key is None) != (chain is None):
            raise ConnectionSetupError(
                "JOBTASK_CERT_FILE and JOBTASK_KEY_FILE go together: set both or neither"
            )
        tls = tls_flag in _TRUE or roots is not None or chain is not None
        server_name = environ.get("JOBTASK_TLS_SERVER_NAME", "").strip()
        if server_name and not tls:
            raise ConnectionSetupError(
                "JOBTASK_TLS_SERVER_NAME needs TLS: set JOBTASK_CA_FILE or JOBTASK_TLS=true"
            )
        return cls(
            server,
            token=environ.get("JOBTASK_TOKEN", ""),
            tls=tls,
            roots=roots,
            key=key,
            chain=chain,
            server_name=server_name,
        )

    def channel(self) -> grpc.Channel:
        """A channel to the server (TLS as configured) that sends the token with every call."""
        if self.tls:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=self.roots, private_key=self.key, certificate_chain=self.chain
            )
            options = (
                [("grpc.ssl_target_name_override", self.server_name)] if self.server_name else []
            )
            channel = grpc.secure_channel(self.server, credentials, options=options)
        else:
            channel = grpc.insecure_channel(self.server)
        if self.token:
            # SpaceONE clients send their JWT as `token` metadata.
            channel = grpc.intercept_channel(channel, _WithToken(self.token))
        return channel


def token_domain(environ: Mapping[str, str] = os.environ) -> str:
    """The `did` claim of JOBTASK_TOKEN, read without verifying it (the server verifies the token
    and refuses any other domain); empty when there is no token or it carries no domain."""
    token = environ.get("JOBTASK_TOKEN", "").strip()
    if not token:
        return ""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return ""
    domain = claims.get("did")
    return domain.strip() if isinstance(domain, str) else ""


def _read(environ: Mapping[str, str], name: str) -> bytes | None:
    path = environ.get(name, "").strip()
    if not path:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ConnectionSetupError(f"cannot read {name}={path}: {error.strerror}") from None


class _Details(NamedTuple):
    method: str
    timeout: float | None
    metadata: Sequence[tuple[str, str]] | None
    credentials: grpc.CallCredentials | None
    wait_for_ready: bool | None
    compression: grpc.Compression | None


class _WithToken(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    def __init__(self, token: str) -> None:
        self._token = token

    def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: Any, request: Any
    ) -> Any:
        metadata = (*(details.metadata or ()), ("token", self._token))
        return continuation(
            _Details(
                details.method,
                details.timeout,
                metadata,
                details.credentials,
                details.wait_for_ready,
                details.compression,
            ),
            request,
        )


class CallFailed(Exception):
    """A call the server refused, or that never reached it."""

    def __init__(
        self,
        code: grpc.StatusCode,
        details: str,
        *,
        server: str,
        timeout: float,
        tls: bool = False,
    ) -> None:
        super().__init__(code, details)
        self.code = code
        self.details = details
        self.server = server
        self.timeout = timeout
        self.tls = tls

    def __str__(self) -> str:
        name = self.code.name
        if _FROM_SERVER.match(self.details):
            return f"{name}: {self.details}"
        if self.code is grpc.StatusCode.UNAVAILABLE and self.tls:
            return (
                f"cannot reach {self.server} over TLS ({name}): is the server running, and does "
                "JOBTASK_CA_FILE hold the CA of its certificate?"
            )
        if self.code is grpc.StatusCode.UNAVAILABLE:
            return f"cannot reach {self.server} ({name}): is the server running? (make run)"
        if self.code is grpc.StatusCode.DEADLINE_EXCEEDED:
            return f"{name}: no answer from {self.server} within {self.timeout:g} s"
        return f"{name}: {self.details or 'no details'}"


class JobTaskClient:
    """One method per rpc. The reads take a request the line built (`jobtask.cli.lines`) and send
    the line's scope metadata with it; the writer's take our own messages (one set on both lines,
    `domain_id` in the request)."""

    def __init__(
        self,
        channel: grpc.Channel,
        *,
        server: str,
        timeout: float,
        tls: bool = False,
        line: Line = V1,
        metadata: Metadata = (),
    ) -> None:
        self._channel = channel
        self._writer = job_task_writer_pb2_grpc.JobTaskWriterStub(channel)
        self._server = server
        self._timeout = timeout
        self._tls = tls
        self._line = line
        self._metadata = metadata

    def get(self, request: Message) -> Message:
        return self._read(self._line.get, request)

    def list(self, request: Message) -> Message:
        return self._read(self._line.list, request)

    def stat(self, request: Message) -> Message:
        return self._read(self._line.stat, request)

    def delete(self, request: Message) -> Message:
        return self._read(self._line.delete, request)

    def _read(self, rpc: Rpc, request: Message) -> Message:
        method = self._channel.unary_unary(
            rpc.path,
            request_serializer=_serialize,
            response_deserializer=rpc.answer.FromString,
        )
        return self._call(method, request, rpc.answer, self._metadata)

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

    def _call(
        self,
        method: Callable[..., Any],
        request: Message,
        reply: type[Reply],
        metadata: Metadata = (),
    ) -> Reply:
        try:
            answer = method(request, timeout=self._timeout, metadata=metadata or None)
        except grpc.RpcError as error:
            # Raised errors are grpc.Call objects too: they carry the status code and details.
            raise CallFailed(
                error.code(),
                error.details() or "",
                server=self._server,
                timeout=self._timeout,
                tls=self._tls,
            ) from None
        if not isinstance(answer, reply):
            raise TypeError(f"expected {reply.__name__}, got {type(answer).__name__}")
        return answer


def _serialize(message: Message) -> bytes:
    return message.SerializeToString()


@contextmanager
def connect(
    server: str, timeout: float, line: Line = V1, metadata: Metadata = ()
) -> Iterator[JobTaskClient]:
    """A client over a fresh channel to `server` (host:port) set up from the environment, closed
    on exit, speaking `line` (its reads send `metadata`). Raises ConnectionSetupError when the
    JOBTASK_* settings cannot be used."""
    connection = Connection.from_environment(server)
    with connection.channel() as channel:
        yield JobTaskClient(
            channel,
            server=server,
            timeout=timeout,
            tls=connection.tls,
            line=line,
            metadata=metadata,
        )
