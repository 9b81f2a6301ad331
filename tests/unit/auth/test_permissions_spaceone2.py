"""AUTH_MODE=spaceone on the 2.x line in the call layer (jobtask.auth.permissions.Access): the
token read from the call's metadata, verified, and the call scoped with the 2.x line's claim (its
x_domain_id / x_workspace_id metadata) or, on the writer, the request's domain."""

from __future__ import annotations

from typing import Any

import pytest

from jobtask.auth.permissions import Access
from jobtask.auth.security import Security
from jobtask.auth.spaceone2 import Caller2
from jobtask.errors import PermissionDenied, RequiredParameter
from jobtask.lines.v1.rpcs import claim as request_claim
from jobtask.lines.v2 import wire
from jobtask.lines.v2.rpcs import claim
from jobtask.rpcs import CREATE, DELETE, LIST
from jobtask.scope import Scope
from jobtask_internal.v1 import job_task_writer_pb2
from tests.support.tokens import SigningKey, rsa_key
from tests.unit.auth.conftest import Clock
from tests.unit.auth.test_spaceone2 import DOMAIN, ROOT, WORKSPACE, FakeIdentity, make, token

Metadata = list[tuple[str, str | bytes]]


@pytest.fixture
def keys() -> dict[str, SigningKey]:
    return {DOMAIN: rsa_key(), ROOT: rsa_key()}


@pytest.fixture
def access(keys: dict[str, SigningKey]) -> Access:
    return Access(Security(spaceone2=make(FakeIdentity(keys), Clock())))


def scoped(access: Access, rpc: str, request: Any, metadata: Metadata) -> Scope:
    caller = access.authenticate(rpc, metadata)
    assert isinstance(caller, Caller2)
    line_claim = request_claim if rpc == CREATE else claim
    return access.scope(rpc, request, caller, line_claim(request, metadata))


def test_a_member_token_in_the_token_metadata_is_scoped_to_its_projects(
    access: Access, keys: dict[str, SigningKey]
) -> None:
    member = token(keys[DOMAIN], rol="WORKSPACE_MEMBER", wid=WORKSPACE, projects=["p1"])

    seen = scoped(access, LIST, wire.JobTaskQuery(), [("token", member)])

    assert access.may_block
    assert seen == Scope(DOMAIN, frozenset({"p1"}), WORKSPACE)
    with pytest.raises(PermissionDenied):  # the request's project_id must be the token's
        scoped(access, LIST, wire.JobTaskQuery(project_id="p2"), [("token", member)])


def test_a_bearer_token_and_the_system_tokens_metadata(
    access: Access, keys: dict[str, SigningKey]
) -> None:
    system = token(keys[ROOT], ROOT, typ="SYSTEM_TOKEN", own="SYSTEM", exp=None)
    metadata: Metadata = [
        ("authorization", f"Bearer {system}"),
        ("x_domain_id", DOMAIN),
        ("x_workspace_id", WORKSPACE),
    ]

    seen = scoped(access, DELETE, wire.JobTaskRequest(job_task_id="t"), metadata)

    assert seen == Scope(DOMAIN, workspace_id=WORKSPACE)
    with pytest.raises(RequiredParameter, match="domain_id"):
        scoped(access, LIST, wire.JobTaskQuery(), [("token", system)])


def test_the_writer_takes_the_requests_domain(access: Access, keys: dict[str, SigningKey]) -> None:
    admin = token(keys[DOMAIN], rol="DOMAIN_ADMIN")
    mine = job_task_writer_pb2.CreateJobTaskRequest(domain_id=DOMAIN)
    other = job_task_writer_pb2.CreateJobTaskRequest(domain_id="domain-other")

    assert scoped(access, CREATE, mine, [("token", admin)]) == Scope(DOMAIN)
    with pytest.raises(PermissionDenied):
        scoped(access, CREATE, other, [("token", admin)])
