"""The access rules of the call layer: where the token is read, which rpc needs which permission,
the Scope a request gets (the token's domain), and the status codes of the refusals."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from jobtask.auth.jwt import Caller
from jobtask.auth.permissions import RULES, Claim, authorize, token_of
from jobtask.calls.status import code_of
from jobtask.edges.grpc.status import GRPC_CODES
from jobtask.errors import PermissionDenied, Unauthenticated
from jobtask.rpcs import JOB_TASK, WRITER
from jobtask.scope import Scope
from jobtask_internal.v1 import job_task_writer_pb2
from spaceone.api.inventory.v1 import job_task_pb2

DOMAIN = "domain-000000000001"
OTHER = "domain-000000000002"
READ, WRITE, ADMIN = "inventory.JobTask.read", "inventory.JobTask.write", "inventory.JobTask.admin"
EVERYTHING = frozenset({READ, WRITE, ADMIN})

SERVICES = [
    job_task_pb2.DESCRIPTOR.services_by_name["JobTask"],
    job_task_writer_pb2.DESCRIPTOR.services_by_name["JobTaskWriter"],
]


def _request(path: str) -> Any:
    service_name, method_name = path.strip("/").split("/")
    service = next(s for s in SERVICES if s.full_name == service_name)
    descriptor = service.methods_by_name[method_name].input_type
    module = job_task_pb2 if descriptor.file is job_task_pb2.DESCRIPTOR else job_task_writer_pb2
    return getattr(module, descriptor.name)()


@pytest.mark.parametrize(
    ("metadata", "token"),
    [
        ((), ""),
        ((("token", "t1"),), "t1"),
        ((("authorization", "Bearer t1"),), "t1"),
        ((("authorization", "bearer  t1 "),), "t1"),
        ((("token", "t1"), ("authorization", "Bearer t1")), "t1"),
        ((("x-request-id", "r"), ("token", b"t1")), "t1"),
    ],
)
def test_the_token_comes_from_token_or_a_bearer_authorization(
    metadata: tuple[tuple[str, str | bytes], ...], token: str
) -> None:
    assert token_of(metadata) == token


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ((("authorization", "Basic dXNlcjpwYXNz"),), "must be 'Bearer <token>'"),
        ((("authorization", "Bearer"),), "must be 'Bearer <token>'"),
        ((("token", "t1"), ("authorization", "Bearer t2")), "more than one token sent"),
        ((("token", "t1"), ("token", "t2")), "more than one token sent"),
    ],
)
def test_an_unusable_authorization_is_unauthenticated(
    metadata: tuple[tuple[str, str], ...], reason: str
) -> None:
    with pytest.raises(Unauthenticated, match=reason):
        token_of(metadata)


def test_every_rpc_of_both_services_has_a_rule_and_is_unary() -> None:
    paths = {f"/{s.full_name}/{m.name}" for s in SERVICES for m in s.methods}
    streaming = [
        m.name for s in SERVICES for m in s.methods if m.client_streaming or m.server_streaming
    ]

    assert set(RULES) == paths
    # The edges serve unary rpcs only: a streaming one would pass unguarded.
    assert streaming == []


@pytest.mark.parametrize(
    ("rpc", "permission"),
    [
        ("get", READ),
        ("list", READ),
        ("stat", READ),
        ("delete", WRITE),
    ],
)
def test_reads_need_read_and_delete_needs_write(rpc: str, permission: str) -> None:
    assert RULES[f"/{JOB_TASK}/{rpc}"].permission == permission


def test_every_writer_rpc_needs_write() -> None:
    writer = [rule for path, rule in RULES.items() if path.startswith(f"/{WRITER}/")]

    assert {rule.permission for rule in writer} == {WRITE}
    assert RULES[f"/{WRITER}/purge"].every_domain == ADMIN


@pytest.mark.parametrize("path", sorted(RULES))
def test_a_request_without_domain_id_gets_the_tokens_domain(path: str) -> None:
    request = _request(path)

    scope = authorize(Caller(DOMAIN, frozenset({READ, WRITE})), path, Claim(request.domain_id))

    assert scope == Scope(DOMAIN)
    assert request.domain_id == ""  # a value of its own: the request is left as it came


@pytest.mark.parametrize("path", sorted(RULES))
def test_a_request_naming_another_domain_is_denied(path: str) -> None:
    request = _request(path)
    request.domain_id = OTHER
    caller = Caller(DOMAIN, frozenset({READ, WRITE}))

    with pytest.raises(PermissionDenied, match=f"{OTHER} is not the token's domain"):
        authorize(caller, path, Claim(request.domain_id))


@pytest.mark.parametrize("path", sorted(RULES))
def test_a_caller_without_the_rpcs_permission_is_denied(path: str) -> None:
    needed = RULES[path].permission
    request = _request(path)
    caller = Caller(DOMAIN, EVERYTHING - {needed})

    with pytest.raises(PermissionDenied, match=f"lacks the permission {needed}"):
        authorize(caller, path, Claim(request.domain_id))


@pytest.mark.parametrize(
    ("permissions", "scoped"), [({WRITE}, DOMAIN), ({WRITE, ADMIN}, "")], ids=["write", "admin"]
)
def test_purge_of_every_domain_needs_admin(permissions: set[str], scoped: str) -> None:
    request = job_task_writer_pb2.PurgeRequest()

    scope = authorize(
        Caller(DOMAIN, frozenset(permissions)), f"/{WRITER}/purge", Claim(request.domain_id)
    )

    assert scope == Scope(scoped)


def test_an_rpc_without_a_rule_is_denied() -> None:
    with pytest.raises(PermissionDenied, match="no permission is defined"):
        authorize(Caller(DOMAIN, frozenset({"*"})), f"/{JOB_TASK}/export", Claim(DOMAIN))


@pytest.mark.parametrize(
    ("error", "code", "details"),
    [
        (
            Unauthenticated("token expired"),
            grpc.StatusCode.UNAUTHENTICATED,
            "ERROR_AUTHENTICATE_FAILURE: token expired",
        ),
        (
            PermissionDenied("no"),
            grpc.StatusCode.PERMISSION_DENIED,
            "ERROR_PERMISSION_DENIED: no",
        ),
    ],
)
def test_refusals_map_to_their_status_codes(
    error: Unauthenticated | PermissionDenied, code: grpc.StatusCode, details: str
) -> None:
    assert GRPC_CODES[code_of(error)] is code
    assert str(error) == details


def test_a_claim_of_the_2x_line_is_judged_as_the_request_of_the_1x_line() -> None:
    caller = Caller(DOMAIN, frozenset({READ, WRITE}))
    path = f"/{JOB_TASK}/list"

    assert authorize(caller, path, Claim("", required=True)) == Scope(DOMAIN)
    assert authorize(caller, path, Claim(DOMAIN, "workspace-1")) == Scope(
        DOMAIN, workspace_id="workspace-1"
    )
    with pytest.raises(PermissionDenied, match=f"{OTHER} is not the token's domain"):
        authorize(caller, path, Claim(OTHER, required=True))
