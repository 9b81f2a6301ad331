"""The rpcs of the call layer (`jobtask.calls.handlers`) as grpcio handlers: one per method of each
served service's descriptor. Each decodes the request (undecodable bytes are the client's mistake,
INVALID_ARGUMENT, where grpc would answer INTERNAL), hands it with the call's metadata, deadline
and client certificate to the call layer (`Calls`: authenticate, scope, handle), encodes the
answer, and answers a failure with the call layer's status (`jobtask.calls.status`) as grpc's
code; the observation (metrics, call log) is told how every call ended.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import DecodeError, Message

from jobtask.calls.handlers import Calls
from jobtask.calls.invocation import OK, Invocation, Outcome
from jobtask.calls.status import status_of
from jobtask.edges.grpc.status import GRPC_CODES
from jobtask.errors import InvalidParameter
from jobtask.observability.call import Ended
from jobtask.observability.observe import Observation
from jobtask.rpcs import Rpc
from jobtask.scope import Scope

Behaviour = Callable[[Any, grpc.ServicerContext], Any]
# Notes the call's scope, once the access rules gave it, for the call's observation.
Scoped = Callable[[Scope], None]
# What an rpc does with its request.
Serve = Callable[[Any, grpc.ServicerContext, Scoped], Message]


@dataclass(frozen=True, slots=True)
class Undecodable:
    """Stands in for a request that did not decode, so that the call can refuse it."""

    reason: str

    def error(self) -> InvalidParameter:
        return InvalidParameter(
            "request",
            f"the message does not decode ({self.reason}): malformed, or values nested deeper "
            "than protobuf allows",
        )


def _tolerant(decode: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    """grpc answers a message it cannot parse (malformed bytes, or values nested past protobuf's
    recursion limit) with INTERNAL "Exception deserializing request!": decode it here instead."""

    def decoded(data: bytes) -> Any:
        try:
            return decode(data)
        except DecodeError as error:
            return Undecodable(str(error).split("\n", 1)[0][:200])

    return decoded


def invocation(context: grpc.ServicerContext) -> Invocation:
    """What the call layer reads of a gRPC call besides its message."""
    # Only the mutual-TLS port asks for certificates, and it accepts only verified ones.
    certificate = bool(context.auth_context().get("x509_pem_cert"))
    return Invocation.within(
        context.time_remaining(),
        context.invocation_metadata() or (),
        client_certificate=certificate,
    )


def observed(observation: Observation, rpc: Rpc, serve: Serve) -> Behaviour:
    """One rpc's grpcio behaviour: observed, and its failures answered by the call layer's status
    as grpc's code with SpaceONE's `"<ERROR_CODE>: <message>"` as details."""

    def behaviour(request: Any, context: grpc.ServicerContext) -> Any:
        scopes: list[Scope] = []  # the call's, once the access rules gave it
        with observation.watching(rpc, context.invocation_metadata() or ()) as watch:
            try:
                response = serve(request, context, scopes.append)
            except Exception as error:
                status = status_of(error, rpc.path)
                watch.end(Ended(Outcome.of(status), request, scope=_last(scopes)))
                context.abort(GRPC_CODES[status.code], status.details)
            watch.end(Ended(OK, request, response, _last(scopes)))
            return response

    return behaviour


def _last(scopes: list[Scope]) -> Scope | None:
    return scopes[-1] if scopes else None


def _serving(calls: Calls, rpc: Rpc) -> Serve:
    def serve(request: Any, context: grpc.ServicerContext, scoped: Scoped) -> Message:
        if isinstance(request, Undecodable):
            raise request.error()
        call = invocation(context)
        scope = calls.scope(rpc, request, calls.authenticate(rpc, call), call)
        scoped(scope)
        return calls.handle(rpc, scope, request, call)

    return serve


def service_handlers(
    calls: Calls, service: ServiceDescriptor, observation: Observation
) -> grpc.GenericRpcHandler:
    """The service's unary rpcs, decoded and encoded with their generated message classes."""
    handlers = {}
    for method in service.methods:
        rpc = Rpc(service.full_name, method.name)
        request = message_factory.GetMessageClass(method.input_type)
        response = message_factory.GetMessageClass(method.output_type)
        handlers[method.name] = grpc.unary_unary_rpc_method_handler(
            observed(observation, rpc, _serving(calls, rpc)),
            request_deserializer=_tolerant(request.FromString),
            response_serializer=response.SerializeToString,
        )
    return grpc.method_handlers_generic_handler(service.full_name, handlers)
