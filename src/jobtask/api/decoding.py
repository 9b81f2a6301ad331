"""A request whose bytes do not decode is the client's mistake: INVALID_ARGUMENT, not INTERNAL.

grpc answers a message it cannot parse (malformed bytes, or values nested past protobuf's
recursion limit) with INTERNAL "Exception deserializing request!". This interceptor decodes the
guarded services' requests itself and answers ERROR_INVALID_PARAMETER instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import DecodeError

from jobtask.api.calls import Behaviour
from jobtask.errors import InvalidParameter


@dataclass(frozen=True, slots=True)
class Undecodable:
    """Stands in for a request that did not decode, so that the call can refuse it."""

    reason: str


def _tolerant(decode: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    def decoded(data: bytes) -> Any:
        try:
            return decode(data)
        except DecodeError as error:
            return Undecodable(str(error).split("\n", 1)[0][:200])

    return decoded


def _refusing(behaviour: Behaviour) -> Behaviour:
    def call(request: Any, context: grpc.ServicerContext) -> Any:
        if isinstance(request, Undecodable):
            error = InvalidParameter(
                "request",
                f"the message does not decode ({request.reason}): malformed, or values nested "
                "deeper than protobuf allows",
            )
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        return behaviour(request, context)

    return call


class DecodingInterceptor(grpc.ServerInterceptor):  # type: ignore[misc]
    """Swaps the unary handlers' request decoder for one that never raises (see the module)."""

    def __init__(self, service_prefixes: tuple[str, ...]) -> None:
        self._prefixes = service_prefixes

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        if (
            handler is None
            or handler.unary_unary is None
            or handler.request_deserializer is None
            or not handler_call_details.method.startswith(self._prefixes)
        ):
            return handler
        return grpc.unary_unary_rpc_method_handler(
            _refusing(handler.unary_unary),
            request_deserializer=_tolerant(handler.request_deserializer),
            response_serializer=handler.response_serializer,
        )
