"""The client of SpaceONE identity for AUTH_MODE=spaceone (`jobtask.auth.spaceone.Identity`);
`jobtask.bootstrap` builds it, when IDENTITY_ENDPOINT is set, for `load_security`.

It asks identity what SpaceONE services ask it, with SpaceONE's own messages
(`spaceone.api.core.v1.handler`): Domain.get_public_key, Authorization.verify (with the caller's
token as `token` metadata), and APIKey.get for API keys. Identity's refusals become
Unauthenticated/PermissionDenied; identity unreachable, too slow or failing becomes
IdentityUnavailable (UNAVAILABLE), so a call is never let through unchecked. The channel reconnects
by itself, with its backoff capped, so calls recover without a restart once identity is back.
"""

from __future__ import annotations

from typing import Final

import grpc

from jobtask.auth.spaceone import INVALID, SERVICE, Api, Grant
from jobtask.errors import IdentityUnavailable, PermissionDenied, Unauthenticated
from jobtask_internal.v1 import identity_pb2
from spaceone.api.core.v1 import handler_pb2

IDENTITY: Final = "spaceone.api.identity.v1"
# Identity answering these said no; every other failure is identity not answering.
_REFUSALS: Final = frozenset(
    {
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.FAILED_PRECONDITION,
    }
)


def parse_endpoint(endpoint: str) -> tuple[str, bool]:
    """`grpc://host:port` (or `host:port`) -> (target, False); `grpc+ssl://host:port` -> TLS."""
    tls = endpoint.startswith("grpc+ssl://")
    target = endpoint.partition("://")[2] if "://" in endpoint else endpoint
    target = target.split("/", 1)[0]
    if not target or ":" not in target:
        raise ValueError("must be grpc://host:port or grpc+ssl://host:port")
    return target, tls


class IdentityClient:
    def __init__(self, endpoint: str, *, timeout: float) -> None:
        self.endpoint = endpoint
        target, tls = parse_endpoint(endpoint)
        options = [
            # Back within seconds of identity's return, not after grpc's two-minute backoff.
            ("grpc.initial_reconnect_backoff_ms", 200),
            ("grpc.min_reconnect_backoff_ms", 200),
            ("grpc.max_reconnect_backoff_ms", 2000),
        ]
        if tls:
            self._channel = grpc.secure_channel(target, grpc.ssl_channel_credentials(), options)
        else:
            self._channel = grpc.insecure_channel(target, options)
        self._timeout = timeout
        self._get_public_key = self._channel.unary_unary(
            f"/{IDENTITY}.Domain/get_public_key",
            request_serializer=handler_pb2.AuthenticationRequest.SerializeToString,
            response_deserializer=handler_pb2.AuthenticationResponse.FromString,
        )
        self._verify = self._channel.unary_unary(
            f"/{IDENTITY}.Authorization/verify",
            request_serializer=handler_pb2.AuthorizationRequest.SerializeToString,
            response_deserializer=handler_pb2.AuthorizationResponse.FromString,
        )
        self._get_api_key = self._channel.unary_unary(
            f"/{IDENTITY}.APIKey/get",
            request_serializer=identity_pb2.GetAPIKeyRequest.SerializeToString,
            response_deserializer=identity_pb2.APIKeyInfo.FromString,
        )

    def close(self) -> None:
        self._channel.close()

    def _unavailable(self, error: grpc.RpcError) -> IdentityUnavailable:
        return IdentityUnavailable(self.endpoint, f"{error.code().name}: {error.details()}")

    def public_key(self, domain_id: str) -> str:
        request = handler_pb2.AuthenticationRequest(domain_id=domain_id)
        try:
            answer = self._get_public_key(request, timeout=self._timeout)
        except grpc.RpcError as error:
            if error.code() in _REFUSALS:
                raise Unauthenticated(INVALID) from None
            raise self._unavailable(error) from None
        key: str = answer.public_key
        return key

    def verify(self, token: str, api: Api, domain_id: str, project_id: str) -> Grant:
        request = handler_pb2.AuthorizationRequest(
            service=SERVICE,
            resource=api.resource,
            verb=api.verb,
            scope=api.scope,  # a Scope name
            domain_id=domain_id,
            project_id=project_id,
        )
        try:
            answer = self._verify(request, timeout=self._timeout, metadata=(("token", token),))
        except grpc.RpcError as error:
            if error.code() is grpc.StatusCode.UNAUTHENTICATED:
                raise Unauthenticated(INVALID) from None
            if error.code() in _REFUSALS:
                raise PermissionDenied("Permission denied.") from None
            raise self._unavailable(error) from None
        return Grant(answer.role_type, frozenset(answer.projects))

    def api_key_enabled(self, api_key_id: str, domain_id: str) -> bool:
        request = identity_pb2.GetAPIKeyRequest(api_key_id=api_key_id, domain_id=domain_id)
        try:
            answer = self._get_api_key(request, timeout=self._timeout)
        except grpc.RpcError as error:
            if error.code() in _REFUSALS:
                return False  # deleted (NOT_FOUND), or identity will not say: not a valid key
            raise self._unavailable(error) from None
        return bool(answer.state == identity_pb2.APIKeyInfo.ENABLED)
