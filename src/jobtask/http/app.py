"""The ASGI app: JobTask's rpcs at their proto HTTP bindings, `/healthz` and `/openapi.json`.

Each rpc is the call layer's (`jobtask.rpc.calls`, as over gRPC: its access rules, the same token
headers, permission table and scope) behind a JSON <-> message step (`transcode`); service calls
run on a bounded pool of worker threads. Health and the document stay open.
When given the gRPC server's metrics and call log, each rpc call is measured and logged as gRPC
calls are (`transport: http`, with its HTTP status).

Hostile clients are refused as early and cheaply as possible, and never on the event loop's time:
the token is checked before the body is read; a body must be JSON (declared so, or undeclared
from a client that is not a browser; else 415) within `max_body_bytes` (413, from Content-Length
and while it streams) and arrive within `read_timeout` (408); it is decoded on a worker thread,
its counts of conditions and stages checked before its values are converted. A client that hangs
up is a client-closed request (499), not an error. Every call has a deadline: `X-Request-Timeout`
(seconds) or `grpc-timeout`, at most (and by default) `max_deadline`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

import anyio
from google.protobuf.message import Message
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from jobtask.auth import Caller
from jobtask.domain import Limits
from jobtask.errors import InvalidParameter, JobTaskError, NotFound, NotImplementedYet
from jobtask.http.openapi import openapi_document
from jobtask.http.routes import BINDINGS, Binding
from jobtask.http.status import HTTP_STATUS, error_response, status_response
from jobtask.http.transcode import (
    BODY,
    SECONDS_PATTERN,
    TIMEOUT_PATTERN,
    parse_seconds,
    parse_timeout,
    query_document,
    read_json,
    to_json,
    to_message,
)
from jobtask.query.limits import check_counts, check_list_lengths
from jobtask.rpc.calls import TIMEZONE, Calls
from jobtask.rpc.invocation import OK, Invocation, Outcome, Rpc, Seen
from jobtask.rpc.logs import CallLog
from jobtask.rpc.metrics import Metrics
from jobtask.rpc.observe import Observation
from jobtask.rpc.status import Code
from jobtask.spaceone_auth import SpaceoneCaller

# The metadata key the gRPC servicer reads stat's time zone from, here a header of the same name.
TIMEZONE_HEADER: Final = TIMEZONE
# The call's deadline in seconds (e.g. 2.5); or gRPC's header in gRPC's format, as grpc-gateway
# forwards it (e.g. 500m, 10S). Either is capped by the server's maximum, its default too.
DEADLINE_HEADER: Final = "x-request-timeout"
TIMEOUT_HEADER: Final = "grpc-timeout"


def _header(name: str, description: str, schema: dict[str, str]) -> dict[str, Any]:
    """An optional header of the OpenAPI document."""
    return {
        "name": name,
        "in": "header",
        "required": False,
        "description": description,
        "schema": schema,
    }


_DEADLINE_PARAMETER: Final = _header(
    DEADLINE_HEADER,
    "the call's deadline in seconds (e.g. 2.5); at most, and by default, the "
    "server's HTTP_MAX_DEADLINE_SECONDS",
    {"type": "string", "pattern": f"^{SECONDS_PATTERN}$"},
)
_TIMEOUT_PARAMETER: Final = _header(
    TIMEOUT_HEADER,
    "the call's deadline, as gRPC writes it (1-8 digits and H, M, S, m, u or n); "
    "used when X-Request-Timeout is not sent",
    {"type": "string", "pattern": f"^{TIMEOUT_PATTERN}$"},
)
_TIMEZONE_PARAMETER: Final = _header(
    TIMEZONE_HEADER,
    "IANA time zone of date_format buckets (default STAT_TIMEZONE)",
    {"type": "string"},
)
HEADERS: Final = {
    "get": [_DEADLINE_PARAMETER, _TIMEOUT_PARAMETER],
    "list": [_DEADLINE_PARAMETER, _TIMEOUT_PARAMETER],
    "delete": [_DEADLINE_PARAMETER, _TIMEOUT_PARAMETER],
    "stat": [_DEADLINE_PARAMETER, _TIMEOUT_PARAMETER, _TIMEZONE_PARAMETER],
}


def api_document() -> dict[str, Any]:
    """The OpenAPI document of what HttpApp serves."""
    return openapi_document(
        BINDINGS, headers=HEADERS, title="spaceone.api.inventory.v1.JobTask", version="v1"
    )


Endpoint = Callable[[Request], Awaitable[Response]]


def _by_method(endpoints: Mapping[str, Endpoint]) -> Endpoint:
    async def dispatch(request: Request) -> Response:
        # The route admits only these methods (and HEAD, which is GET without the body).
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method](request)

    return dispatch


class Refused(Exception):
    """A request refused by the HTTP edge itself, with an HTTP status gRPC has no code for."""

    def __init__(self, http_status: int, status: Code, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.status = status
        self.message = message

    def response(self) -> Response:
        return error_response(
            InvalidParameter.code, self.message, self.status, http_status=self.http_status
        )


class Disconnected(Exception):
    """The client hung up before its request was read: nobody is left to answer."""


# How a disconnect is counted (nginx's "client closed request"); nothing is sent.
CLIENT_CLOSED: Final = 499


def _call_of(request: Request, max_deadline: float) -> Invocation:
    """The call's headers and deadline (from now): the one it asks for, at most `max_deadline`."""
    seconds = request.headers.get(DEADLINE_HEADER)
    timeout = request.headers.get(TIMEOUT_HEADER)
    if seconds is not None:
        asked = parse_seconds(seconds, DEADLINE_HEADER)
    elif timeout is not None:
        asked = parse_timeout(timeout)
    else:
        asked = max_deadline
    return Invocation.within(min(asked, max_deadline), request.headers.items())


def _require_json(request: Request) -> None:
    """A body is read as JSON: declared `application/json` (any parameters, such as a charset) or
    not declared at all, as SpaceONE's gateway reads it. Any other declared type is 415, and so is
    an undeclared body from a browser (it sends `Origin`): what a page can post across sites
    without asking first (forms, text/plain, raw bytes) never reaches a call. A request without a
    body need not say anything."""
    kind = request.headers.get("content-type")
    if kind is None:
        declared = request.headers.get("content-length", "0")
        empty = declared == "0" and "transfer-encoding" not in request.headers
        if empty or "origin" not in request.headers:
            return
        raise Refused(
            415,
            Code.INVALID_ARGUMENT,
            "body: a request from a browser (it has an Origin) must be sent as application/json",
        )
    media = kind.split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise Refused(
            415,
            Code.INVALID_ARGUMENT,
            f"body: send it as application/json (Content-Type was {kind[:80]!r})",
        )


def _too_large(limit: int) -> Refused:
    return Refused(413, Code.RESOURCE_EXHAUSTED, f"body: larger than the maximum of {limit} bytes")


async def _body(request: Request, limit: int, read_timeout: float) -> bytes:
    """The body, refused as soon as it is known to be too large (Content-Length, then as it
    streams); a client that stops sending it is cut off after `read_timeout` seconds."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        with anyio.fail_after(read_timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                chunks.append(chunk)
    except ClientDisconnect:
        raise Disconnected from None
    except TimeoutError:
        raise Refused(
            408,
            Code.DEADLINE_EXCEEDED,
            f"body: not received within {read_timeout:g} seconds",
        ) from None
    return b"".join(chunks)


def _items(value: Any, where: str) -> Iterator[tuple[str, Any]]:
    """The items of a JSON list, each with where it is; nothing for anything else."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield f"{where}[{index}]", item


def _member(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else None


def _list_lengths(query: dict[str, Any]) -> Iterator[tuple[str, int]]:
    """The length of each condition value that is a list (filter, filter_or, a stat group's
    field conditions), by the condition's `v` or `value`."""
    conditions = [
        condition
        for name in ("filter", "filter_or")
        for condition in _items(query.get(name), f"query.{name}")
    ]
    for at, stage in _items(query.get("aggregate"), "query.aggregate"):
        for field_at, field in _items(
            _member(_member(stage, "group"), "fields"), f"{at}.group.fields"
        ):
            conditions.extend(_items(_member(field, "conditions"), f"{field_at}.conditions"))
    for where, condition in conditions:
        for key in ("v", "value"):
            value = _member(condition, key)
            if isinstance(value, list):
                yield f"{where}.value", len(value)


def _check_document_counts(document: Any, limits: Limits) -> None:
    """A JSON body's counts of conditions and stages, and the length of each condition's list,
    before protobuf converts its values."""
    query = document.get("query") if isinstance(document, dict) else None
    if not isinstance(query, dict):
        return

    def count(name: str) -> int:
        value = query.get(name)
        return len(value) if isinstance(value, list) else 0

    check_counts(count("filter"), count("filter_or"), count("aggregate"), limits)
    check_list_lengths(_list_lengths(query), limits)


def request_message(
    binding: Binding,
    request: Request,
    body: bytes | None,
    limits: Limits,
) -> Message:
    """The rpc's request message from the path, and the JSON body or the query parameters
    (on a worker thread: decoding a large body takes CPU)."""
    path = {name: request.path_params[name] for name in binding.path_fields}
    if body is not None:
        document = read_json(body, BODY)
        _check_document_counts(document, limits)
        if isinstance(document, dict):
            document.update(path)
        return to_message(document, binding.request, BODY)
    document = query_document(
        binding.request_descriptor,
        request.query_params.multi_items(),
        path_fields=binding.path_fields,
    )
    _check_document_counts(document, limits)
    return to_message({**document, **path}, binding.request, "query parameters")


def _route_error(request: Request, error: Exception) -> Response:
    """No such path (404, NOT_FOUND) or method (405, UNIMPLEMENTED), in the same error shape."""
    status_code = error.status_code if isinstance(error, HTTPException) else 500
    headers = error.headers if isinstance(error, HTTPException) else None
    where = f"{request.method} {request.url.path}"
    if status_code == 405:
        code, status, message = NotImplementedYet.code, Code.UNIMPLEMENTED, "method"
    elif status_code == 404:
        code, status, message = NotFound.code, Code.NOT_FOUND, "path"
    else:
        code, status, message = JobTaskError.code, Code.UNKNOWN, "request"
    response = error_response(code, f"no such {message}: {where}", status, http_status=status_code)
    response.headers.update(headers or {})
    return response


class HttpApp:
    """The ASGI app (`asgi`) and its health: `serving` turns False when shutdown begins; with
    `healthy` (the gRPC server's database probe), /healthz also follows the database."""

    def __init__(
        self,
        calls: Calls,
        *,
        healthy: Callable[[], bool] | None = None,
        workers: int = 16,
        max_body_bytes: int = 1024 * 1024,
        read_timeout: float = 10.0,
        max_deadline: float = 30.0,
        metrics: Metrics | None = None,
        call_log: CallLog | None = None,
    ) -> None:
        self.serving = True
        self._observation = Observation(metrics, call_log)
        self._calls = calls
        self._healthy = healthy
        self._workers = workers
        self._limiter: anyio.CapacityLimiter | None = None
        self._max_body_bytes = max_body_bytes
        self._read_timeout = read_timeout
        self._max_deadline = max_deadline
        self._limits = calls.limits
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
        self,
        binding: Binding,
        request: Request,
        body: bytes | None,
        call: Invocation,
        caller: Caller | SpaceoneCaller | None,
        seen: Seen,
    ) -> Response:
        """On a worker thread: decode, serve (the call layer authorizes the decoded request:
        identity's verdict needs its domain and project), and render the answer (CPU off the
        loop)."""
        seen.request = request_message(binding, request, body, self._limits)
        seen.response = self._calls.serve(binding.grpc_method, seen.request, call, caller, seen)
        return JSONResponse(to_json(seen.response))

    async def _run(
        self, binding: Binding, request: Request, call: Invocation, seen: Seen
    ) -> Response:
        if self._limiter is None:  # made on the server's event loop, at the first call
            self._limiter = anyio.CapacityLimiter(self._workers)
        # Who calls is known before anything of the body is read; off the loop when that may
        # ask identity (AUTH_MODE=spaceone).
        if self._calls.access.may_block:
            caller = await anyio.to_thread.run_sync(
                self._calls.authenticate, binding.grpc_method, call, limiter=self._limiter
            )
        else:
            caller = self._calls.authenticate(binding.grpc_method, call)
        body = None
        if binding.body:
            if request.query_params:
                raise InvalidParameter("query parameters", "this path takes a JSON body only")
            _require_json(request)
            body = await _body(request, self._max_body_bytes, self._read_timeout)
        return await anyio.to_thread.run_sync(
            self._serve, binding, request, body, call, caller, seen, limiter=self._limiter
        )

    def _endpoint(self, binding: Binding) -> Endpoint:
        what = f"HTTP {binding.method} {binding.path} ({binding.grpc_method})"
        rpc = Rpc.parse(binding.grpc_method)

        async def endpoint(request: Request) -> Response:
            with self._observed(rpc, request) as seen:
                try:
                    # The deadline runs from the request's arrival.
                    call = _call_of(request, self._max_deadline)
                    response = await self._run(binding, request, call, seen)
                    seen.outcome = OK
                except Refused as refused:
                    seen.outcome = Outcome(refused.status, InvalidParameter.code)
                    response = refused.response()
                except Disconnected:
                    seen.outcome = Outcome(Code.CANCELLED, None)
                    seen.http_status = CLIENT_CLOSED
                    return Response(status_code=CLIENT_CLOSED)  # nobody reads it
                except Exception as error:
                    response = status_response(seen.failed(error, what))
                seen.http_status = response.status_code
                return response

        return endpoint

    @contextmanager
    def _observed(self, rpc: Rpc, request: Request) -> Iterator[Seen]:
        """The call measured and logged by the call layer's observation, as gRPC calls are."""
        seen = Seen(http_status=HTTP_STATUS[Code.INTERNAL])
        with self._observation.watching(rpc, request.headers.items(), seen):
            yield seen

    async def _health(self, request: Request) -> Response:
        if self.serving and (self._healthy is None or self._healthy()):
            return JSONResponse({"status": "SERVING"})
        return JSONResponse({"status": "NOT_SERVING"}, status_code=503)

    async def _openapi(self, request: Request) -> Response:
        return JSONResponse(self.openapi)
