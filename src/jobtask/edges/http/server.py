"""build_http_server(): the HTTP app on its own port, served by uvicorn in a thread beside gRPC.

The socket is bound here, before anything starts, so a taken port fails start-up at once and port 0
reports the port it got. Stopping is two steps, so `__main__` can drain gRPC and HTTP together:
`shutdown()` turns `/healthz` NOT_SERVING and stops accepting connections, `wait(grace)` lets
in-flight requests finish for up to `grace` seconds. A connection gets HTTP_READ_TIMEOUT_SECONDS
to send a request's headers (`_TimedH11`; the app bounds the body) and HTTP_KEEP_ALIVE_SECONDS
of idleness between requests. A request framed two ways (`_one_framing`) is refused before the
app sees it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import socket
import threading
from collections.abc import Callable
from typing import Any

import h11
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from jobtask.calls.handlers import Calls
from jobtask.calls.status import Code
from jobtask.edges.http.app import HttpApp
from jobtask.edges.http.status import error_response
from jobtask.errors import InvalidParameter
from jobtask.observability.observe import Observation
from jobtask.settings import Settings

log = logging.getLogger(__name__)


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket; `[::]` (as GRPC_HOST writes it) is IPv6 and IPv4 alike."""
    host = host.removeprefix("[").removesuffix("]")
    family, kind, protocol, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, protocol)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


class _TimedH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers: uvicorn times out only
    an idle keep-alive connection, so a client that sends half of its headers and stops would
    hold the connection forever. Past the deadline the connection is closed."""

    header_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_overdue)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_overdue(self) -> None:
        self._header_timer = None
        # Still waiting for a request's headers (their state is IDLE until they are complete).
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()  # the next request's headers (the keep-alive timeout closes an idle one)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def _one_framing(app: ASGIApp) -> ASGIApp:
    """`app` behind a refusal of requests that carry both Transfer-Encoding and Content-Length
    (RFC 9112 section 6.1): h11 would read the body as chunked, a proxy in front may have read it
    by its length, and the bytes between would be smuggled in as a request of their own. The
    request is answered 400 and its connection closed, unread."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            names = {name for name, _ in scope["headers"]}
            if b"transfer-encoding" in names and b"content-length" in names:
                response = error_response(
                    InvalidParameter.code,
                    "request: Transfer-Encoding and Content-Length cannot both be sent",
                    Code.INVALID_ARGUMENT,
                )
                response.headers["connection"] = "close"
                await response(scope, receive, send)
                return
        await app(scope, receive, send)

    return guarded


class HttpServer:
    """uvicorn serving an HttpApp on a bound socket, in a thread of its own."""

    def __init__(
        self,
        app: HttpApp,
        sock: socket.socket,
        *,
        grace: float,
        tls_files: tuple[str, str] | None = None,
        read_timeout: float = 10.0,
        keep_alive: int = 5,
    ) -> None:
        """`tls_files`: the certificate (chain) and key files to serve HTTPS with; `read_timeout`:
        seconds a request's headers may take; `keep_alive`: of an idle connection."""
        self.app = app
        self._socket = sock
        self.port: int = sock.getsockname()[1]
        certificate, key = tls_files or (None, None)
        config = uvicorn.Config(
            _one_framing(app.asgi),
            lifespan="off",
            log_config=None,  # our logging is configured once, in __main__
            access_log=False,  # each rpc call has its line from the call log instead
            server_header=False,
            http=type("TimedH11", (_TimedH11,), {"header_timeout": read_timeout}),
            timeout_keep_alive=keep_alive,
            timeout_graceful_shutdown=math.ceil(grace),
            ssl_certfile=certificate,
            ssl_keyfile=key,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="http", daemon=True)

    def _serve(self) -> None:
        # Off the main thread uvicorn installs no signal handlers: __main__ owns SIGTERM/SIGINT.
        try:
            self._server.run(sockets=[self._socket])
        except BaseException:  # uvicorn exits its thread with SystemExit when start-up fails
            log.exception("the HTTP server stopped unexpectedly")
            raise

    def start(self) -> None:
        # Connections are accepted into the bound socket's backlog until uvicorn takes them.
        self._thread.start()

    def shutdown(self) -> None:
        """/healthz turns NOT_SERVING; uvicorn stops accepting and starts draining."""
        self.app.serving = False
        self._server.should_exit = True

    def wait(self, grace: float | None = None) -> None:
        """Until in-flight requests are done (uvicorn cancels what outlives its grace)."""
        if self._thread.is_alive():
            # uvicorn cancels requests that outlive `grace`; a few seconds more for its teardown.
            self._thread.join(None if grace is None else grace + 5)
        if self._thread.is_alive():
            log.warning("the HTTP server did not stop in time; leaving it to exit with the process")
            self._server.force_exit = True
        self._socket.close()

    def stop(self, grace: float | None = None) -> None:
        self.shutdown()
        self.wait(grace)

    def close(self) -> None:
        """Release the port of a server that was never started."""
        self._socket.close()


def build_http_server(
    settings: Settings,
    calls: Calls,
    *,
    observation: Observation,
    tls: bool = False,
    healthy: Callable[[], bool] | None = None,
) -> HttpServer:
    """A bound, not yet started server (HTTP_HOST, HTTP_PORT; port 0: a free one) of the call
    layer gRPC serves too (the same tokens), each call observed by the same `observation`;
    `tls`: HTTPS with gRPC's certificate (TLS_CERT_FILE, TLS_KEY_FILE). `healthy`: whether the
    database answers (/healthz is NOT_SERVING while it does not)."""
    app = HttpApp(
        calls,
        healthy=healthy,
        workers=settings.http_workers,
        max_body_bytes=settings.http_max_body_bytes,
        read_timeout=settings.http_read_timeout_seconds,
        max_deadline=settings.http_max_deadline_seconds,
        observation=observation,
    )
    tls_files = (settings.tls_cert_file, settings.tls_key_file) if tls else None
    sock = listen(settings.http_host, settings.http_port)
    return HttpServer(
        app,
        sock,
        grace=settings.shutdown_grace_seconds,
        tls_files=tls_files,
        read_timeout=settings.http_read_timeout_seconds,
        keep_alive=settings.http_keep_alive_seconds,
    )
