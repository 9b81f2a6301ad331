"""The ASGI app: JobTask's rpcs at their proto HTTP bindings, `/healthz` and `/openapi.json`.

Each rpc is what the gRPC servicer does — convert, call the service, convert back — behind a
JSON <-> message step (`transcode`); service calls run on a bounded pool of worker threads. With
authentication on, each call is checked as the gRPC interceptor checks it (`jobtask.api.auth`: the
same token headers, permission table and domain scoping); health and the document stay open.
When given the gRPC server's metrics and call log, each rpc call is measured and logged as gRPC
calls are (`transport: http`, with its HTTP status).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, Final

import anyio
import grpc
from google.protobuf import empty_pb2, struct_pb2
from google.protobuf.message import Message
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from jobtask.api import convert
from jobtask.api.auth import authorize, spaceone_authorized, token_of
from jobtask.api.calls import Call as Rpc
from jobtask.api.calls import Outcome, Seen
from jobtask.api.logs import CallLog
from jobtask.api.metrics import Metrics
from jobtask.api.status import status_code
from jobtask.auth import TokenVerifier
from jobtask.errors import InvalidParameter, JobTaskError, NotFound, NotImplementedYet
from jobtask.http.openapi import openapi_document
from jobtask.http.routes import BINDINGS, Binding
from jobtask.http.status import HTTP_STATUS, error_answer, error_response, unexpected_answer
from jobtask.http.transcode import (
    BODY,
    parse_timeout,
    query_document,
    read_json,
    to_json,
    to_message,
)
from jobtask.service import JobTaskService
from jobtask.spaceone_auth import SpaceoneAuth
from spaceone.api.inventory.v1 import job_task_pb2

# The metadata key the gRPC servicer reads stat's time zone from, here a header of the same name.
TIMEZONE_HEADER: Final = "timezone"
# gRPC's deadline header in gRPC's format (as grpc-gateway forwards it): e.g. 500m, 10S.
TIMEOUT_HEADER: Final = "grpc-timeout"
_TIMEOUT_PARAMETER: Final = {
    "name": TIMEOUT_HEADER,
    "in": "header",
    "required": False,
    "description": "the call's deadline, as gRPC writes it (1-8 digits and H, M, S, m, u or n)",
    "schema": {"type": "string", "pattern": "^[0-9]{1,8}[HMSmun]$"},
}
_TIMEZONE_PARAMETER: Final = {
    "name": TIMEZONE_HEADER,
    "in": "header",
    "required": False,
    "description": "IANA time zone of date_format buckets (default STAT_TIMEZONE)",
    "schema": {"type": "string"},
}
HEADERS: Final = {
    "get": [_TIMEOUT_PARAMETER],
    "list": [_TIMEOUT_PARAMETER],
    "delete": [_TIMEOUT_PARAMETER],
    "stat": [_TIMEOUT_PARAMETER, _TIMEZONE_PARAMETER],
}


def api_document() -> dict[str, Any]:
    """The OpenAPI document of what HttpApp serves."""
    return openapi_document(
        BINDINGS, headers=HEADERS, title="spaceone.api.inventory.v1.JobTask", version="v1"
    )


@dataclass(frozen=True)
class Call:
    """What an rpc reads from its HTTP request besides the message: headers and the deadline."""

    headers: Mapping[str, str]
    deadline: float | None = None  # time.monotonic() seconds

    def remaining(self) -> float | None:
        """Seconds left before the deadline, which bounds the database work; None if none."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


class JobTaskHandlers:
    """Each rpc as `jobtask.api.servicer` does it: convert, call the service, convert back."""

    def __init__(self, service: JobTaskService) -> None:
        self._service = service

    def get(self, request: job_task_pb2.GetJobTaskRequest, call: Call) -> Message:
        task = self._service.get(
            request.job_task_id, request.domain_id, tuple(request.only), timeout=call.remaining()
        )
        return convert.to_task_info(task)

    def list(self, request: job_task_pb2.JobTaskQuery, call: Call) -> Message:
        result = self._service.list(convert.to_list_request(request), timeout=call.remaining())
        return convert.to_tasks_info(result.results, result.total_count)

    def delete(self, request: job_task_pb2.JobTaskRequest, call: Call) -> Message:
        self._service.delete(request.job_task_id, request.domain_id, timeout=call.remaining())
        return empty_pb2.Empty()

    def stat(self, request: job_task_pb2.JobTaskStatQuery, call: Call) -> struct_pb2.Struct:
        stat_request = convert.to_stat_request(request, timezone=call.header(TIMEZONE_HEADER))
        result = self._service.stat(stat_request, timeout=call.remaining())
        return convert.to_stat_struct(result)


Handler = Callable[[Any, Call], Message]


Endpoint = Callable[[Request], Awaitable[Response]]


def _by_method(endpoints: Mapping[str, Endpoint]) -> Endpoint:
    async def dispatch(request: Request) -> Response:
        # The route admits only these methods (and HEAD, which is GET without the body).
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method](request)

    return dispatch


def _call_of(request: Request) -> Call:
    timeout = request.headers.get(TIMEOUT_HEADER)
    deadline = None if timeout is None else time.monotonic() + parse_timeout(timeout)
    return Call(request.headers, deadline)


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise InvalidParameter(BODY, f"larger than the maximum of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InvalidParameter(BODY, f"larger than the maximum of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def request_message(binding: Binding, request: Request, max_body_bytes: int) -> Message:
    """The rpc's request message from the path, and the JSON body or the query parameters."""
    path = {name: request.path_params[name] for name in binding.path_fields}
    if binding.body:
        if request.query_params:
            raise InvalidParameter("query parameters", "this path takes a JSON body only")
        document = read_json(await _body(request, max_body_bytes), BODY)
        if isinstance(document, dict):
            document.update(path)
        return to_message(document, binding.request, BODY)
    document = query_document(
        binding.request_descriptor,
        request.query_params.multi_items(),
        path_fields=binding.path_fields,
    )
    return to_message({**document, **path}, binding.request, "query parameters")


def _route_error(request: Request, error: Exception) -> Response:
    """No such path (404, NOT_FOUND) or method (405, UNIMPLEMENTED), in the same error shape."""
    status_code = error.status_code if isinstance(error, HTTPException) else 500
    headers = error.headers if isinstance(error, HTTPException) else None
    where = f"{request.method} {request.url.path}"
    if status_code == 405:
        code, status, message = NotImplementedYet.code, grpc.StatusCode.UNIMPLEMENTED, "method"
    elif status_code == 404:
        code, status, message = NotFound.code, grpc.StatusCode.NOT_FOUND, "path"
    else:
        code, status, message = JobTaskError.code, grpc.StatusCode.UNKNOWN, "request"
    response = error_response(code, f"no such {message}: {where}", status, http_status=status_code)
    response.headers.update(headers or {})
    return response


class HttpApp:
    """The ASGI app (`asgi`) and its health: `serving` turns False when shutdown begins; with
    `healthy` (the gRPC server's database probe), /healthz also follows the database."""

    def __init__(
        self,
        service: JobTaskService,
        *,
        verifier: TokenVerifier | None = None,
        spaceone: SpaceoneAuth | None = None,
        healthy: Callable[[], bool] | None = None,
        workers: int = 16,
        max_body_bytes: int = 4 * 1024 * 1024,
        metrics: Metrics | None = None,
        call_log: CallLog | None = None,
    ) -> None:
        self.serving = True
        self._metrics = metrics
        self._call_log = call_log
        self._handlers = JobTaskHandlers(service)
        self._verifier = verifier
        self._spaceone = spaceone  # AUTH_MODE=spaceone, instead of the verifier
        self._healthy = healthy
        self._workers = workers
        self._limiter: anyio.CapacityLimiter | None = None
        self._max_body_bytes = max_body_bytes
        self.openapi = api_document()
        by_path: dict[str, dict[str, Endpoint]] = {}
        for binding in BINDINGS:
            by_path.setdefault(binding.path, {})[binding.method] = self._endpoint(binding)
        # One route per path, so a wrong method is 405 with every allowed one in `Allow`.
        routes = [
            Route(path, _by_method(endpoints), methods=list(endpoints))
            for path, endpoints in by_path.items()
        ]
        routes.append(Route("/healthz", self._health, methods=["GET"]))
        routes.append(Route("/openapi.json", self._openapi, methods=["GET"]))
        self.asgi = Starlette(routes=routes, exception_handlers={HTTPException: _route_error})
        self.asgi.router.redirect_slashes = False

    def _serve(
        self, binding: Binding, handler: Handler, message: Message, call: Call
    ) -> tuple[Response, Message]:
        """On a worker thread: authenticate, serve, and render the answer (CPU off the loop)."""
        if self._spaceone is not None:
            headers = call.headers.items()
            with spaceone_authorized(self._spaceone, headers, binding.grpc_method, message):
                answer = handler(message, call)
            return JSONResponse(to_json(answer)), answer
        if self._verifier is not None:
            caller = self._verifier.verify(token_of(call.headers.items()))
            authorize(caller, binding.grpc_method, message)
        answer = handler(message, call)
        return JSONResponse(to_json(answer)), answer

    async def _run(
        self, binding: Binding, handler: Handler, message: Message, call: Call
    ) -> tuple[Response, Message]:
        if self._limiter is None:  # made on the server's event loop, at the first call
            self._limiter = anyio.CapacityLimiter(self._workers)
        return await anyio.to_thread.run_sync(
            self._serve, binding, handler, message, call, limiter=self._limiter
        )

    def _endpoint(self, binding: Binding) -> Endpoint:
        handler: Handler = getattr(self._handlers, binding.rpc)
        what = f"HTTP {binding.method} {binding.path} ({binding.grpc_method})"
        rpc = Rpc.parse(binding.grpc_method)

        async def endpoint(request: Request) -> Response:
            with self._observed(rpc, request) as seen:
                try:
                    call = _call_of(request)  # the deadline runs from the request's arrival
                    seen.request = await request_message(binding, request, self._max_body_bytes)
                    response, seen.response = await self._run(binding, handler, seen.request, call)
                    seen.outcome = Outcome(grpc.StatusCode.OK, None)
                except JobTaskError as error:
                    seen.outcome = Outcome(status_code(error), error.code)
                    response = error_answer(error, what)
                except Exception:
                    seen.outcome = Outcome(grpc.StatusCode.INTERNAL, JobTaskError.code)
                    response = unexpected_answer(what)
                seen.http_status = response.status_code
                return response

        return endpoint

    @contextmanager
    def _observed(self, rpc: Rpc, request: Request) -> Iterator[Seen]:
        """The call measured (metrics) and logged (call log), as the gRPC interceptors do."""
        seen = Seen(http_status=HTTP_STATUS[grpc.StatusCode.INTERNAL])
        with ExitStack() as stack:
            if self._metrics is not None:
                stack.enter_context(self._metrics.http_call(rpc, seen))
            if self._call_log is not None:
                # Entered here, copied into the worker thread: the service's commands land in it.
                stack.enter_context(self._call_log.watching(rpc, request.headers.items(), seen))
            yield seen

    async def _health(self, request: Request) -> Response:
        if self.serving and (self._healthy is None or self._healthy()):
            return JSONResponse({"status": "SERVING"})
        return JSONResponse({"status": "NOT_SERVING"}, status_code=503)

    async def _openapi(self, request: Request) -> Response:
        return JSONResponse(self.openapi)
