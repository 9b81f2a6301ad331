"""Logs: the JSON (or text) format of every line, and one line per call.

A call's line names its method, status code, latency, request id (the client's `x-request-id`, or
a generated one) and, where the call has them, `domain_id` and the result count. Metadata is never
logged (the token travels there). A call slower than the threshold is logged at WARNING with the
shape of each database command it ran: keys and operators kept, every value redacted.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Final, Literal

from google.protobuf import struct_pb2

from jobtask.observability.call import Ended, Watch
from jobtask.rpcs import Rpc

LogFormat = Literal["json", "text"]

# The record attribute that carries a line's structured fields (`extra={FIELDS: {...}}`).
FIELDS: Final = "fields"
REDACTED: Final = "?"
# Driver plumbing in every command (session, cluster time, routing, limits): not the query's shape.
_PLUMBING: Final = frozenset(
    {
        "lsid",
        "$db",
        "$clusterTime",
        "$readPreference",
        "txnNumber",
        "autocommit",
        "startTransaction",
        "readConcern",
        "writeConcern",
        "maxTimeMS",
        "apiVersion",
        "apiStrict",
        "apiDeprecationErrors",
        "comment",
    }
)
_MAX_DEPTH: Final = 16
_MAX_SHAPES: Final = 20
# A client's request id is logged as sent only when it is short and plain.
_REQUEST_ID: Final = re.compile(r"[\w.:/+=@-]{1,128}", re.ASCII)

# The database commands of the call running in this thread, while the call log collects them.
_commands: ContextVar[list[dict[str, Any]] | None] = ContextVar("jobtask_commands", default=None)


# -- formats -----------------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _fields(record).items():
            line.setdefault(key, value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message key=value ...` for people reading a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        pairs = (
            f"{key}={value if isinstance(value, str | int | float) else json.dumps(value)}"
            for key, value in _fields(record).items()
        )
        return " ".join((super().formatMessage(record), *pairs))


def _fields(record: logging.LogRecord) -> Mapping[str, Any]:
    fields = getattr(record, FIELDS, None)
    return fields if isinstance(fields, Mapping) else {}


def configure_logging(level: str, log_format: LogFormat) -> None:
    """The process's one logging set-up: every logger's lines to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)


# -- query shapes ------------------------------------------------------------------------------


def redact(value: Any, depth: int = 0) -> Any:
    """Keys and operators kept, every other value `?`; a list keeps each distinct shape once."""
    if depth >= _MAX_DEPTH:
        return REDACTED
    if isinstance(value, Mapping):
        return {str(key): redact(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        shapes: list[Any] = []
        for shape in (redact(item, depth + 1) for item in value):
            if shape not in shapes:
                shapes.append(shape)
            if len(shapes) == _MAX_SHAPES:
                break
        return shapes
    return REDACTED


def command_shape(command: Mapping[str, Any]) -> dict[str, Any]:
    """A database command without its plumbing, values redacted, except the collection it names
    (the first key's value: `{"find": "job_task", "filter": {"domain_id": "?"}}`)."""
    shape: dict[str, Any] = {}
    for index, (key, value) in enumerate(command.items()):
        if key in _PLUMBING:
            continue
        shape[key] = value if index == 0 and isinstance(value, str) else redact(value)
    return shape


# -- the call log ------------------------------------------------------------------------------


class CallLog:
    """`watching()` logs one line per call of either edge; as a command observer of the repository
    (`connect(observers=...)`) it collects the shapes a slow call's line shows.

    `slow_call_ms=None` never logs a call as slow (and collects nothing).
    """

    def __init__(
        self,
        *,
        slow_call_ms: float | None = None,
        logger: logging.Logger | None = None,
        new_request_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._slow_call_ms = slow_call_ms
        self._logger = logger or logging.getLogger("jobtask.calls")
        self._new_request_id = new_request_id

    def _request_id(self, metadata: Iterable[tuple[str, Any]]) -> str:
        """The client's `x-request-id` (gRPC metadata or HTTP header) when plain, else a new one."""
        for key, value in metadata:
            if key == "x-request-id" and isinstance(value, str) and _REQUEST_ID.fullmatch(value):
                return value
        return self._new_request_id()

    @contextmanager
    def watching(
        self, call: Rpc, metadata: Iterable[tuple[str, Any]], watch: Watch
    ) -> Iterator[None]:
        """One call of either edge: its line is written when it ends, from what `watch` holds by
        then. Meanwhile the database commands run in this context (and contexts copied from it,
        such as an HTTP worker thread's) are collected, when a slow call would show them."""
        request_id = self._request_id(metadata)
        commands: list[dict[str, Any]] = []
        collect = self._slow_call_ms is not None and self._logger.isEnabledFor(logging.WARNING)
        token = _commands.set(commands if collect else None)
        started = time.perf_counter()
        try:
            yield
        finally:
            _commands.reset(token)
            elapsed_ms = (time.perf_counter() - started) * 1000
            self._log(call, watch.ended, elapsed_ms, request_id, commands)

    def _log(
        self,
        call: Rpc,
        seen: Ended,
        elapsed_ms: float,
        request_id: str,
        commands: list[dict[str, Any]],
    ) -> None:
        """The call's line; an `http_status` marks a call that came over HTTP."""
        slow = self._slow_call_ms is not None and elapsed_ms > self._slow_call_ms
        level = logging.WARNING if slow else logging.INFO
        if not self._logger.isEnabledFor(level):
            return
        ended = seen.outcome
        fields: dict[str, Any] = {
            "request_id": request_id,
            "transport": "grpc" if seen.http_status is None else "http",
            "service": call.service,
            "method": call.method,
            "code": ended.code.name,
            "latency_ms": round(elapsed_ms, 3),
        }
        if seen.http_status is not None:
            fields["http_status"] = seen.http_status
        if ended.error_code is not None:
            fields["error_code"] = ended.error_code
        # The domain the call was scoped to; before that (refused), the one it named.
        scoped = None if seen.scope is None else seen.scope.domain_id
        if domain_id := scoped or getattr(seen.request, "domain_id", None):
            fields["domain_id"] = domain_id
        if (count := result_count(seen.response)) is not None:
            fields["result_count"] = count
        if slow:
            fields["slow"] = True
            fields["db_commands"] = commands
        self._logger.log(
            level,
            "%s/%s %s in %.1f ms%s",
            call.service,
            call.method,
            ended.code.name,
            elapsed_ms,
            " (slow)" if slow else "",
            extra={FIELDS: fields},
        )

    # -- jobtask.storage.CommandObserver ----------------------------------------------------

    def command_started(self, name: str, command: Mapping[str, Any]) -> None:
        commands = _commands.get()
        if commands is not None:
            commands.append({"command": name, "shape": command_shape(command)})

    def command_finished(self, name: str, seconds: float, *, failed: bool) -> None:
        # A call's commands run one after another in its thread: this is the last one begun.
        commands = _commands.get() or []
        entry = next(
            (e for e in reversed(commands) if e["command"] == name and "ms" not in e), None
        )
        if entry is not None:
            entry["ms"] = round(seconds * 1000, 3)
            if failed:
                entry["failed"] = True


def result_count(response: Any) -> int | None:
    """How many results a list (`results`) or a stat (a Struct's `results`) answered."""
    if isinstance(response, struct_pb2.Struct):
        if "results" not in response:
            return None
        results = response["results"]
        return len(results) if isinstance(results, struct_pb2.ListValue) else None
    results = getattr(response, "results", None)
    return None if results is None else len(results)
