"""AUTH_MODE=spaceone in the call layer (jobtask.auth.permissions.spaceone_scope) and in the
settings: how a request is scoped, the writer kept to whole-domain callers, and what the settings
refuse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from pydantic import ValidationError

from jobtask.auth.files import ConfigurationError
from jobtask.auth.permissions import spaceone_scope
from jobtask.auth.security import load_security
from jobtask.auth.security import load_security as load_without_identity
from jobtask.auth.spaceone import Grant
from jobtask.clients.identity import parse_endpoint
from jobtask.errors import PermissionDenied
from jobtask.rpcs import JOB_TASK, WRITER
from jobtask.scope import Scope
from jobtask.settings import Settings
from jobtask_internal.v1 import job_task_writer_pb2
from spaceone.api.inventory.v1 import job_task_pb2
from tests.support.tokens import SigningKey, rsa_key
from tests.unit.auth.test_spaceone import DOMAIN, Clock, FakeIdentity, make, token


def _authorized(grant: Grant, path: str, request: Any) -> Scope:
    key = rsa_key()
    auth = make(FakeIdentity({DOMAIN: key}, grant=grant), Clock())
    return spaceone_scope(auth, path, request, auth.authenticate(token(key)))


def test_a_project_user_is_scoped_to_its_projects() -> None:
    request = job_task_pb2.JobTaskQuery()

    seen = _authorized(Grant("PROJECT", frozenset({"p1"})), f"/{JOB_TASK}/list", request)

    assert seen == Scope(DOMAIN, frozenset({"p1"}))
    assert request.domain_id == ""  # the scope is a value: the request is left as it came


def test_a_domain_user_gets_its_domain() -> None:
    request = job_task_pb2.GetJobTaskRequest(job_task_id="job_task-1")

    seen = _authorized(Grant("DOMAIN", frozenset()), f"/{JOB_TASK}/get", request)

    assert seen == Scope(DOMAIN, None)


def test_the_writer_is_refused_to_project_users() -> None:
    request = job_task_writer_pb2.CreateJobTaskRequest()

    with pytest.raises(PermissionDenied):
        _authorized(Grant("PROJECT", frozenset({"p1"})), f"/{WRITER}/create", request)


def test_system_purges_every_domain_when_it_names_none() -> None:
    request = job_task_writer_pb2.PurgeRequest()

    seen = _authorized(Grant("SYSTEM", frozenset()), f"/{WRITER}/purge", request)

    assert seen == Scope("")


def test_an_unknown_rpc_is_denied() -> None:
    with pytest.raises(PermissionDenied):
        _authorized(Grant("DOMAIN", frozenset()), "/x.Y/z", job_task_pb2.JobTaskQuery())


@pytest.mark.parametrize(
    ("fields", "variable"),
    [
        ({"auth_mode": "spaceone"}, "identity_jwks"),
        ({"auth_mode": "spaceone", "identity_endpoint": "identity:50051"}, "identity_endpoint"),
        ({"auth_mode": "spaceone", "identity_jwks": "nodomain.json"}, "identity_jwks"),
        ({"auth_mode": "other"}, "auth_mode"),
        ({"auth_mode": "jwt"}, "auth_public_keys"),
    ],
)
def test_settings_refuse(fields: dict[str, Any], variable: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(auth_enabled=True, **fields)
    assert variable in str(raised.value)


def test_jwks_files_load_per_domain(tmp_path: Path) -> None:
    key: SigningKey = rsa_key()
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"keys": [key.jwk()]}))
    settings = Settings(auth_enabled=True, auth_mode="spaceone", identity_jwks=f"{DOMAIN}={path}")

    security = load_security(settings)

    assert security.spaceone is not None and security.verifier is None
    assert security.spaceone.authenticate(token(key)).domain_id == DOMAIN


def test_a_bad_jwks_file_stops_the_start(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text('{"keys": []}')
    settings = Settings(auth_enabled=True, auth_mode="spaceone", identity_jwks=f"{DOMAIN}={path}")

    with pytest.raises(ConfigurationError, match="IDENTITY_JWKS"):
        load_security(settings)


def test_an_endpoint_without_its_client_is_refused_not_weakened() -> None:
    settings = Settings(
        auth_enabled=True, auth_mode="spaceone", identity_endpoint="grpc://127.0.0.1:1"
    )

    with pytest.raises(ConfigurationError, match="IDENTITY_ENDPOINT"):
        load_without_identity(settings)


@pytest.mark.parametrize(
    ("endpoint", "target", "tls"),
    [
        ("grpc://identity:50051", "identity:50051", False),
        ("grpc://identity:50051/v1", "identity:50051", False),
        ("grpc+ssl://identity.example.com:443", "identity.example.com:443", True),
    ],
)
def test_endpoints_parse(endpoint: str, target: str, tls: bool) -> None:
    assert parse_endpoint(endpoint) == (target, tls)


def test_a_call_reads_its_token_once_when_it_is_authenticated_and_never_when_scoped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[str] = []

    def counted(name: str) -> Any:
        real = getattr(jwt, name)

        def read(*args: Any, **kwargs: Any) -> Any:
            reads.append(name)
            return real(*args, **kwargs)

        return read

    for name in ("decode", "get_unverified_header"):
        monkeypatch.setattr(jwt, name, counted(name))
    key = rsa_key()
    auth = make(FakeIdentity({DOMAIN: key}, grant=Grant("DOMAIN", frozenset())), Clock())

    caller = auth.authenticate(token(key))
    read_by_authenticate = len(reads)
    spaceone_scope(auth, f"/{JOB_TASK}/get", job_task_pb2.GetJobTaskRequest(), caller)

    assert read_by_authenticate > 0
    assert len(reads) == read_by_authenticate  # the scope reads the caller, not the token again
