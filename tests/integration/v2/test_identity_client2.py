"""IdentityClient2 (jobtask.clients.identity) against a stand-in for identity 2.x on a loopback
port: what it sends (identity v2's paths, the service's system token as `token` metadata, the wire
of AuthenticationRequest and AppCheckRequest) and how identity's answers become ours. SpaceONE's
own identity 2.x answers the same in tests/e2e/identity2."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from pydantic import SecretStr

from jobtask.auth.security import load_security
from jobtask.auth.spaceone2 import AppGrant
from jobtask.bootstrap import describe_security, identity_client
from jobtask.clients.identity import IdentityClient2
from jobtask.errors import IdentityUnavailable, PermissionDenied, Unauthenticated
from jobtask.settings import Settings
from jobtask_internal.v1 import identity_pb2
from spaceone.api.core.v1 import handler_pb2
from tests.support.processes import free_port

SYSTEM_TOKEN = "system-token"


@dataclass
class FakeIdentity2:
    """Answers as identity 2.x does; `failure`: the status it answers with instead."""

    failure: grpc.StatusCode | None = None
    seen: list[tuple[str, str]] = field(default_factory=list)  # (method, token)

    def _answer(self, method: str, context: grpc.ServicerContext) -> None:
        token = dict(context.invocation_metadata()).get("token", "")
        self.seen.append((method, str(token)))
        if self.failure is not None:
            context.abort(self.failure, "ERROR_UNKNOWN: Invalid System Token")

    def public_key(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._answer("get_public_key", context)
        return handler_pb2.AuthenticationResponse(
            domain_id=request.domain_id, public_key='{"kty": "RSA"}'
        )

    def check(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._answer("check", context)
        return identity_pb2.CheckAppInfo(permissions=["inventory:"], projects=[request.client_id])


@pytest.fixture
def identity() -> Iterator[tuple[FakeIdentity2, str]]:
    fake = FakeIdentity2()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    handlers = {
        "spaceone.api.identity.v2.Domain": {
            "get_public_key": grpc.unary_unary_rpc_method_handler(
                fake.public_key,
                request_deserializer=handler_pb2.AuthenticationRequest.FromString,
                response_serializer=handler_pb2.AuthenticationResponse.SerializeToString,
            )
        },
        "spaceone.api.identity.v2.App": {
            "check": grpc.unary_unary_rpc_method_handler(
                fake.check,
                request_deserializer=identity_pb2.AppCheckRequest.FromString,
                response_serializer=identity_pb2.CheckAppInfo.SerializeToString,
            )
        },
    }
    for service, methods in handlers.items():
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, methods),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield fake, f"grpc://127.0.0.1:{port}"
    server.stop(grace=None)


def test_both_questions_carry_the_system_token(identity: tuple[FakeIdentity2, str]) -> None:
    fake, endpoint = identity
    client = IdentityClient2(endpoint, SYSTEM_TOKEN, timeout=5)

    assert client.public_key("domain-1") == '{"kty": "RSA"}'
    assert client.check_app("client-1", "domain-1") == AppGrant(("inventory:",), ("client-1",))
    assert fake.seen == [("get_public_key", SYSTEM_TOKEN), ("check", SYSTEM_TOKEN)]
    client.close()


@pytest.mark.parametrize(
    ("status", "key_error", "app_error"),
    [
        (grpc.StatusCode.NOT_FOUND, Unauthenticated, PermissionDenied),
        (grpc.StatusCode.PERMISSION_DENIED, Unauthenticated, PermissionDenied),
        (grpc.StatusCode.UNAUTHENTICATED, Unauthenticated, Unauthenticated),
        (grpc.StatusCode.INTERNAL, IdentityUnavailable, IdentityUnavailable),  # a bad system token
        (grpc.StatusCode.UNAVAILABLE, IdentityUnavailable, IdentityUnavailable),
    ],
)
def test_identitys_answers_become_ours(
    identity: tuple[FakeIdentity2, str],
    status: grpc.StatusCode,
    key_error: type[Exception],
    app_error: type[Exception],
) -> None:
    fake, endpoint = identity
    fake.failure = status
    client = IdentityClient2(endpoint, SYSTEM_TOKEN, timeout=5)

    with pytest.raises(key_error):
        client.public_key("domain-1")
    with pytest.raises(app_error):
        client.check_app("client-1", "domain-1")
    client.close()


def test_identity_unreachable_is_unavailable() -> None:
    client = IdentityClient2(f"grpc://127.0.0.1:{free_port()}", SYSTEM_TOKEN, timeout=2)

    with pytest.raises(IdentityUnavailable, match="UNAVAILABLE"):
        client.check_app("client-1", "domain-1")
    client.close()


def test_a_2x_process_with_spaceone_identity_asks_identity_2x(
    identity: tuple[FakeIdentity2, str], caplog: pytest.LogCaptureFixture
) -> None:
    _, endpoint = identity
    settings = Settings(
        auth_enabled=True,
        auth_mode="spaceone",
        identity_endpoint=endpoint,
        spaceone_token=SecretStr(SYSTEM_TOKEN),
        spaceone_api=2,
    )

    client = identity_client(settings)
    security = load_security(settings, client)

    assert isinstance(client, IdentityClient2)
    assert (security.spaceone, security.verifier) == (None, None)
    assert security.spaceone2 is not None
    assert client.public_key("domain-1") == '{"kty": "RSA"}'  # with SPACEONE_TOKEN: answered
    with caplog.at_level(logging.INFO, logger="jobtask"):
        describe_security(settings, security)
    assert "authentication on: SpaceONE identity 2.x tokens" in caplog.text
    client.close()
