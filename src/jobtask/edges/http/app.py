"""The ASGI app: the served line's rpcs at their proto HTTP bindings (the call layer's services':
1.x's paths, or 2.x's `POST /inventory/v1/job-task/{get,list,delete,stat}`), `/healthz` and
`/openapi.json`.

Each rpc is the call layer's (`jobtask.calls.handlers`, as over gRPC: its access rules, the
same token headers, permission table and scope) behind a JSON <-> message step (`transcode`);
service calls run on a bounded pool of worker threads. Health and the document stay open.
Given the server's observation, each rpc call is measured and logged as gRPC calls are
(`transport: http`, with its HTTP status).

Hostile clients are refused as early and cheaply as possible, and never on the event loop's time:
the token is checked before the body is read; a body must be JSON (declared so, or undeclared
from a client that is not a browser; else 415) within `max_body_bytes` (413, from Content-Length
and while it streams) and arrive within `read_timeout` (408); it is decoded on a worker thread,
its counts of conditions and stages checked before its values are converted. A client that hangs
up is a client-closed request (499), not an error. Every call has a deadline: `X-Request-Timeout`
(seconds) or `grpc-timeout`, at most (and by default) `max_deadline`.

Every header reaches the call layer as metadata of the same (lower-case) name, as gRPC's metadata
does: `token` or `Authorization: Bearer`, and on the 2.x line `x_domain_id` / `x_workspace_id`,
from which the line takes the caller's scope when nobody authenticates it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import anyio
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from jobtask.auth.permissions import Authenticated
from jobtask.calls.handlers import Calls
from jobtask.calls.invocation import OK, Invocation, Outcome
from jobtask.calls.status import Code, status_of
from jobtask.edges.http.body import (
    CLIENT_CLOSED,
    Disconnected,
    Refused,
    read_body,
    request_message,
    require_json,
)
from jobtask.edges.http.openapi import openapi_document
from jobtask.edges.http.routes import Binding, served_bindings
from jobtask.edges.http.status import HTTP_STATUS, error_response, status_response
from jobtask.edges.http.transcode import (
    SECONDS_PATTERN,
    TIMEOUT_PATTERN,
    parse_seconds,
    parse_timeout,
    to_json,
)
from jobtask.errors import InvalidParameter, JobTaskError, NotFound, NotImplementedYet
from jobtask.lines.v1.rpcs import TIMEZONE
from jobtask.lines.v2.rpcs import X_DOMAIN_ID, X_WORKSPACE_ID
from jobtask.observability.call import Ended
from jobtask.observability.observe import Observation
from jobtask.scope import Scope

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
# Where a request names no domain (2.x: the caller decides it), these headers do when nobody
# authenticates the caller (AUTH_ENABLED=false), as SpaceONE's own metadata does for system callers.
SCOPE_HEADERS: Final = (
    _header(
        X_DOMAIN_ID,
        "the domain called in, when the caller's token does not decide it (no "
        "authentication, AUTH_ENABLED=false; a SYSTEM token): required then",
        {"type": "string"},
    ),
    _header(
        X_WORKSPACE_ID,
        "the workspace called in, when the caller's token does not decide it; without it, "
        "the whole domain",
        {"type": "string"},
    ),
)


def headers_of(binding: Binding) -> list[dict[str, Any]]:
    """The header parameters the OpenAPI document lists for a binding's rpc."""
    headers = [_DEADLINE_PARAMETER, _TIMEOUT_PARAMETER]
    if binding.rpc == "stat":
        headers.append(_TIMEZONE_PARAMETER)
    if "domain_id" not in binding.request_descriptor.fields_by_name:
        headers.extend(SCOPE_HEADERS)
    return headers


def api_document(services: Sequence[ServiceDescriptor]) -> dict[str, Any]:
    """The OpenAPI document of what HttpApp serves over a call layer of these services."""
    bindings = served_bindings(services)
    return openapi_document(
        bindings,
        headers={binding.rpc: headers_of(binding) for binding in bindings},
        title=", ".join(sorted({binding.target.service for binding in bindings})),
        version="v1",
    )


Endpoint = Callable[[Request], Awaitable[Response]]


def _by_method(endpoints: Mapping[str, Endpoint]) -> Endpoint:
    async def dispatch(request: Request) -> Response:
        # The route admits only these methods (and HEAD, which is GET without the body).
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method](request)

    return dispatch


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


# How an HTTP call ended that raised an exception nobody mapped.
_UNANSWERED: Final = Ended(http_status=HTTP_STATUS[Code.INTERNAL])


@dataclass
class _Exchange:
    """What the HTTP edge learns of one call as it goes, for the `Ended` it hands the
    observation (the decoding and the service run on a worker thread)."""

    message: Message | None = None
    scope: Scope | None = None
    answer: Message | None = None

    def ended(self, outcome: Outcome, http_status: int) -> Ended:
        return Ended(outcome, self.message, self.answer, self.scope, http_status)


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
        observation: Observation | None = None,
    ) -> None:
        self.serving = True
        self._observation = observation or Observation()
        self._calls = calls
        self._healthy = healthy
        self._workers = workers
        self._limiter: anyio.CapacityLimiter | None = None
        self._max_body_bytes = max_body_bytes
        self._read_timeout = read_timeout
        self._max_deadline = max_deadline
        self._limits = calls.limits
        self.openapi = api_document(calls.services)
        by_path: dict[str, dict[str, Endpoint]] = {}
        for binding in served_bindings(calls.services):
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
        caller: Authenticated | None,
        exchange: _Exchange,
    ) -> Response:
        """On a worker thread: decode, serve (the call layer authorizes the decoded request:
        identity's verdict needs its domain and project), and render the answer (CPU off the
        loop)."""
        rpc = binding.target
        exchange.message = message = request_message(binding, request, body, self._limits)
        exchange.scope = scope = self._calls.scope(rpc, message, caller, call)
        exchange.answer = self._calls.handle(rpc, scope, message, call)
        return JSONResponse(to_json(exchange.answer))

    async def _run(
        self, binding: Binding, request: Request, call: Invocation, exchange: _Exchange
    ) -> Response:
        if self._limiter is None:  # made on the server's event loop, at the first call
            self._limiter = anyio.CapacityLimiter(self._workers)
        # Who calls is known before anything of the body is read; off the loop when that may
        # ask identity (AUTH_MODE=spaceone).
        if self._calls.access.may_block:
            caller = await anyio.to_thread.run_sync(
                self._calls.authenticate, binding.target, call, limiter=self._limiter
            )
        else:
            caller = self._calls.authenticate(binding.target, call)
        body = None
        if binding.body:
            if request.query_params:
                raise InvalidParameter("query parameters", "this path takes a JSON body only")
            require_json(request)
            body = await read_body(request, self._max_body_bytes, self._read_timeout)
        return await anyio.to_thread.run_sync(
            self._serve, binding, request, body, call, caller, exchange, limiter=self._limiter
        )

    def _endpoint(self, binding: Binding) -> Endpoint:
        what = f"HTTP {binding.method} {binding.path} ({binding.target})"
        rpc = binding.target

        async def endpoint(request: Request) -> Response:
            # Measured and logged by the same observation as gRPC calls.
            with self._observation.watching(rpc, request.headers.items(), _UNANSWERED) as watch:
                exchange = _Exchange()
                outcome = OK
                try:
                    # The deadline runs from the request's arrival.
                    call = _call_of(request, self._max_deadline)
                    response = await self._run(binding, request, call, exchange)
                except Refused as refused:
                    outcome = Outcome(refused.status, InvalidParameter.code)
                    response = refused.response()
                except Disconnected:
                    watch.end(exchange.ended(Outcome(Code.CANCELLED, None), CLIENT_CLOSED))
                    return Response(status_code=CLIENT_CLOSED)  # nobody reads it
                except Exception as error:
                    status = status_of(error, what)
                    outcome = Outcome.of(status)
                    response = status_response(status)
                watch.end(exchange.ended(outcome, response.status_code))
                return response

        return endpoint

    async def _health(self, request: Request) -> Response:
        if self.serving and (self._healthy is None or self._healthy()):
            return JSONResponse({"status": "SERVING"})
        return JSONResponse({"status": "NOT_SERVING"}, status_code=503)

    async def _openapi(self, request: Request) -> Response:
        return JSONResponse(self.openapi)
