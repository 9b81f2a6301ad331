"""The rpcs of the call layer (`jobtask.rpc.calls`) as grpcio handlers: one per method of each
served service's descriptor, which decodes the request, hands it with the call's metadata,
deadline and client certificate to `Calls.call`, and encodes the answer."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message

from jobtask.rpc.calls import Calls, Invocation


def invocation(context: grpc.ServicerContext) -> Invocation:
    """What the call layer reads of a gRPC call besides its message."""
    # Only the mutual-TLS port asks for certificates, and it accepts only verified ones.
    certificate = bool(context.auth_context().get("x509_pem_cert"))
    return Invocation.within(
        context.time_remaining(),
        context.invocation_metadata() or (),
        client_certificate=certificate,
    )


def _behaviour(calls: Calls, path: str) -> Any:
    def behaviour(request: Message, context: grpc.ServicerContext) -> Message:
        return calls.call(path, request, invocation(context))

    return behaviour


def service_handlers(calls: Calls, service: ServiceDescriptor) -> grpc.GenericRpcHandler:
    """The service's unary rpcs, decoded and encoded with their generated message classes."""
    handlers = {}
    for method in service.methods:
        request = message_factory.GetMessageClass(method.input_type)
        response = message_factory.GetMessageClass(method.output_type)
        handlers[method.name] = grpc.unary_unary_rpc_method_handler(
            _behaviour(calls, f"/{service.full_name}/{method.name}"),
            request_deserializer=request.FromString,
            response_serializer=response.SerializeToString,
        )
    return grpc.method_handlers_generic_handler(service.full_name, handlers)
