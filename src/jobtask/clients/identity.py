"""The clients of SpaceONE identity for AUTH_MODE=spaceone: 1.x's (`jobtask.auth.spaceone.Identity`)
and 2.x's (`jobtask.auth.spaceone2.Identity2`); `jobtask.bootstrap` builds the one of the line it
serves, when IDENTITY_ENDPOINT is set, for `load_security`.

It asks identity what SpaceONE services ask it, with SpaceONE's own messages
(`spaceone.api.core.v1.handler`): Domain.get_public_key, Authorization.verify (with the caller's
token as `token` metadata), and APIKey.get for API keys. Identity's refusals become
Unauthenticated/PermissionDenied; identity unreachable, too slow or failing becomes
IdentityUnavailable (UNAVAILABLE), so a call is never let through unchecked. The channel reconnects
by itself, with its backoff capped, so calls recover without a restart once identity is back.

Identity 2.x has no Authorization.verify: it is asked Domain.get_public_key and, for app tokens,
App.check, both with the service's own system token (IDENTITY_TOKEN) as `token` metadata, as
SpaceONE 2.x services send their configured TOKEN; identity answers neither without it.
"""

from __future__ import annotations

from typing import Final

import grpc

from jobtask.auth.spaceone import DENIED, INVALID, SERVICE, Api, Grant
from jobtask.auth.spaceone2 import AppGrant
from jobtask.errors import IdentityUnavailable, PermissionDenied, Unauthenticated
from jobtask_internal.v1 import identity_pb2
from spaceone.api.core.v1 import handler_pb2

IDENTITY: Final = "spaceone.api.identity.v1"
IDENTITY2: Final = "spaceone.api.identity.v2"
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


class _Channel:
    """A channel to identity that reconnects quickly, and its Domain.get_public_key."""

    def __init__(self, endpoint: str, package: str, *, timeout: float) -> None:
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
        # The v2 AuthenticationRequest/Response (spaceone.api.core.v2) are v1's on the wire.
        self._get_public_key = self._channel.unary_unary(
            f"/{package}.Domain/get_public_key",
            request_serializer=handler_pb2.AuthenticationRequest.SerializeToString,
            response_deserializer=handler_pb2.AuthenticationResponse.FromString,
        )
        self._key_metadata: tuple[tuple[str, str], ...] = ()

    def close(self) -> None:
        self._channel.close()

    def _unavailable(self, error: grpc.RpcError) -> IdentityUnavailable:
        return IdentityUnavailable(self.endpoint, f"{error.code().name}: {error.details()}")

    def public_key(self, domain_id: str) -> str:
        request = handler_pb2.AuthenticationRequest(domain_id=domain_id)
        try:
            answer = self._get_public_key(
                request, timeout=self._timeout, metadata=self._key_metadata
            )
        except grpc.RpcError as error:
            if error.code() in _REFUSALS:
                raise Unauthenticated(INVALID) from None
            raise self._unavailable(error) from None
        key: str = answer.public_key
        return key


class IdentityClient(_Channel):
    """Identity 1.x: Domain.get_public_key (unauthenticated), Authorization.verify, APIKey.get."""

    def __init__(self, endpoint: str, *, timeout: float) -> None:
        super().__init__(endpoint, IDENTITY, timeout=timeout)
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
                raise PermissionDenied(DENIED) from None
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


class IdentityClient2(_Channel):
    """Identity 2.x: Domain.get_public_key and App.check, with the service's system token. An
    unknown domain is Unauthenticated; identity refusing the system token (INTERNAL "Invalid
    System Token") is identity failing, IdentityUnavailable, as is identity unreachable."""

    def __init__(self, endpoint: str, system_token: str, *, timeout: float) -> None:
        super().__init__(endpoint, IDENTITY2, timeout=timeout)
        self._key_metadata = (("token", system_token),)
        self._check_app = self._channel.unary_unary(
            f"/{IDENTITY2}.App/check",
            request_serializer=identity_pb2.AppCheckRequest.SerializeToString,
            response_deserializer=identity_pb2.CheckAppInfo.FromString,
        )

    def check_app(self, client_id: str, domain_id: str) -> AppGrant:
        request = identity_pb2.AppCheckRequest(client_id=client_id, domain_id=domain_id)
        try:
            answer = self._check_app(request, timeout=self._timeout, metadata=self._key_metadata)
        except grpc.RpcError as error:
            if error.code() is grpc.StatusCode.UNAUTHENTICATED:
                raise Unauthenticated(INVALID) from None
            if error.code() in _REFUSALS:  # disabled, deleted, of a disabled workspace...
                raise PermissionDenied(DENIED) from None
            raise self._unavailable(error) from None
        return AppGrant(tuple(answer.permissions), tuple(answer.projects))
