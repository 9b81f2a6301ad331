"""What the gRPC edge's interceptors share: which calls they wrap, how one ended.

They sit outside the error mapping (`api.status`), so they read each call's final status code and
SpaceONE error code (the `"<ERROR_CODE>: "` prefix of the details) instead of mapping errors again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

import grpc

from jobtask.rpc.calls import Rpc
from jobtask.rpc.observe import Outcome
from jobtask.rpc.status import Code

Behaviour = Callable[[Any, grpc.ServicerContext], Any]

_ERROR_CODE: Final = re.compile(r"(ERROR_[A-Z0-9_]+): ")


def outcome(context: grpc.ServicerContext, *, raised: bool) -> Outcome:
    """How the call ended: the code the error mapping aborted with (OK when none was set)."""
    code = context.code()
    if code is None:
        # An exception nobody mapped: grpc answers UNKNOWN.
        code = grpc.StatusCode.UNKNOWN if raised else grpc.StatusCode.OK
    details = context.details()
    if isinstance(details, bytes):
        details = details.decode("utf-8", "replace")
    found = _ERROR_CODE.match(details) if code is not grpc.StatusCode.OK and details else None
    return Outcome(Code[code.name], found.group(1) if found else None)


class UnaryInterceptor(grpc.ServerInterceptor):  # type: ignore[misc]
    """Wraps the unary-unary handlers of the guarded services with `wrap(behaviour, call)`."""

    def __init__(
        self, service_prefixes: tuple[str, ...], wrap: Callable[[Behaviour, Rpc], Behaviour]
    ) -> None:
        self._prefixes = service_prefixes
        self._wrap = wrap

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or handler.unary_unary is None or not method.startswith(self._prefixes):
            return handler
        return grpc.unary_unary_rpc_method_handler(
            self._wrap(handler.unary_unary, Rpc.parse(method)),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
