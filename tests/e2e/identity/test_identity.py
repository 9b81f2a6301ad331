"""AUTH_MODE=spaceone against SpaceONE's own identity: tokens it issues (Token.issue, API keys)
over gRPC and HTTP, project-scoped users through every rpc, filter, keyword and stat, and every
failure mode refused with SpaceONE's error codes; identity cut off, then back."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any, Final

import grpc
import httpx
import pytest
from google.protobuf import json_format, struct_pb2
from tests.e2e.identity.conftest import (
    Cut,
    Service,
    Tenants,
    channel,
    start_jobtask,
    until_recovered,
)

from jobtask_internal.v1 import job_task_writer_pb2, job_task_writer_pb2_grpc
from spaceone.api.inventory.v1 import job_task_pb2, job_task_pb2_grpc

Call = Callable[..., Any]
RPCS: Final = {
    "get": job_task_pb2.GetJobTaskRequest,
    "list": job_task_pb2.JobTaskQuery,
    "delete": job_task_pb2.JobTaskRequest,
    "stat": job_task_pb2.JobTaskStatQuery,
}


def rpc(port: int, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
    """One JobTask call over gRPC with `token` metadata; the answer as a dict."""
    request = json_format.ParseDict(params, RPCS[method]())
    metadata = () if token is None else (("token", token),)
    with channel(port) as chan:
        answer = getattr(job_task_pb2_grpc.JobTaskStub(chan), method)(
            request, metadata=metadata, timeout=20
        )
    if isinstance(answer, struct_pb2.Struct):
        return json_format.MessageToDict(answer)
    return json_format.MessageToDict(answer, preserving_proto_field_name=True)


def refused(port: int, method: str, params: dict[str, Any], token: str | None) -> tuple[Any, str]:
    with pytest.raises(grpc.RpcError) as raised:
        rpc(port, method, params, token)
    return raised.value.code(), raised.value.details()


def ids(answer: dict[str, Any]) -> set[str]:
    return {t["job_task_id"] for t in answer.get("results", [])}


def task_ids(tasks: list[dict[str, Any]]) -> set[str]:
    return {t["job_task_id"] for t in tasks}


def forged(token: str, **claims: Any) -> str:
    """The token with its payload changed and its signature kept: signed by another key."""
    header, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    encoded = base64.urlsafe_b64encode(json.dumps({**decoded, **claims}).encode()).rstrip(b"=")
    return f"{header}.{encoded.decode()}.{signature}"


# --- who sees what ---------------------------------------------------------------------------


def test_a_domain_user_sees_its_whole_domain(identity: Tenants, service: Service) -> None:
    answer = rpc(service.grpc_port, "list", {}, identity.token("admin"))

    assert ids(answer) == task_ids(identity.tasks)
    assert answer["total_count"] == len(identity.tasks)


def test_the_domain_owner_sees_its_whole_domain(identity: Tenants, service: Service) -> None:
    answer = rpc(service.grpc_port, "list", {}, identity.first["owner_token"])

    assert ids(answer) == task_ids(identity.tasks)


def test_an_api_key_acts_as_its_user(identity: Tenants, service: Service) -> None:
    key = identity.first["api_keys"][0]["api_key"]

    answer = rpc(service.grpc_port, "list", {}, key)

    assert ids(answer) == task_ids(identity.tasks)


@pytest.mark.parametrize(("user", "projects"), [("member", ("a",)), ("grouped", ("a", "b"))])
def test_a_project_user_lists_only_its_projects(
    identity: Tenants, service: Service, user: str, projects: tuple[str, ...]
) -> None:
    answer = rpc(service.grpc_port, "list", {}, identity.token(user))

    assert ids(answer) == task_ids(identity.in_projects(*projects))
    assert answer["total_count"] == len(identity.in_projects(*projects))


def test_no_filter_reaches_past_the_projects(identity: Tenants, service: Service) -> None:
    token, c = identity.token("member"), identity.project("c")
    outside = {"k": "project_id", "v": c, "o": "eq"}
    no_project = {"k": "project_id", "v": None, "o": "eq"}
    everything = {"k": "job_task_id", "v": "job_task", "o": "contain"}
    mine = task_ids(identity.in_projects("a"))
    queries = [
        ({"filter": [outside]}, set()),
        ({"filter": [no_project]}, set()),
        ({"filter_or": [outside, everything]}, mine),
        ({"filter_or": [no_project, outside]}, set()),
        ({"keyword": "job_task"}, mine),
    ]

    for query, expected in queries:
        assert ids(rpc(service.grpc_port, "list", {"query": query}, token)) == expected, query


@pytest.mark.parametrize(("user", "project"), [("member", "a"), ("grouped", "b")])
def test_naming_an_own_project_lists_it(
    identity: Tenants, service: Service, user: str, project: str
) -> None:
    params = {"project_id": identity.project(project)}

    answer = rpc(service.grpc_port, "list", params, identity.token(user))

    assert ids(answer) == task_ids(identity.in_projects(project))


def test_naming_another_project_is_permission_denied(identity: Tenants, service: Service) -> None:
    params = {"project_id": identity.project("c")}

    code, details = refused(service.grpc_port, "list", params, identity.token("member"))

    assert code is grpc.StatusCode.PERMISSION_DENIED
    assert details.startswith("ERROR_PERMISSION_DENIED: ")


def test_stat_counts_only_the_projects(identity: Tenants, service: Service) -> None:
    group = {"keys": [{"key": "project_id", "name": "project_id"}]}
    group["fields"] = [{"operator": "count", "name": "n"}]
    by_project = {"query": {"aggregate": [{"group": group}]}}

    answer = rpc(service.grpc_port, "stat", by_project, identity.token("member"))

    expected = {identity.project("a"): len(identity.in_projects("a"))}
    assert {r["project_id"]: r["n"] for r in answer["results"]} == expected


def test_get_and_delete_outside_the_projects_are_not_found(
    identity: Tenants, service: Service
) -> None:
    outside = identity.in_projects("c")[0]["job_task_id"]
    params = {"job_task_id": outside}
    token = identity.token("member")

    for method in ("get", "delete"):
        code, details = refused(service.grpc_port, method, params, token)
        assert code is grpc.StatusCode.NOT_FOUND, method
        assert details.startswith("ERROR_NOT_FOUND: ")
    assert rpc(service.grpc_port, "get", params, identity.token("admin"))["job_task_id"] == outside


def test_a_user_without_a_role_is_permission_denied(identity: Tenants, service: Service) -> None:
    code, details = refused(service.grpc_port, "list", {}, identity.token("nobody"))

    assert code is grpc.StatusCode.PERMISSION_DENIED
    assert details.startswith("ERROR_PERMISSION_DENIED: ")


def test_another_domain_named_in_the_request_is_denied(identity: Tenants, service: Service) -> None:
    params = {"domain_id": identity.second["domain_id"]}

    code, _ = refused(service.grpc_port, "list", params, identity.token("admin"))

    assert code is grpc.StatusCode.PERMISSION_DENIED


# --- tokens refused --------------------------------------------------------------------------


def _unauthenticated(service: Service, token: str | None) -> None:
    code, details = refused(service.grpc_port, "list", {}, token)
    assert code is grpc.StatusCode.UNAUTHENTICATED
    assert details.startswith("ERROR_AUTHENTICATE_FAILURE: ")


def test_an_expired_token_is_refused(identity: Tenants, service: Service) -> None:
    token = identity.first["expired_token"]
    payload = token.split(".")[1]
    exp = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"]
    assert exp < time.time()  # the premise: identity issued it with a 1-second timeout

    _unauthenticated(service, token)


def test_a_token_signed_with_another_domains_key_is_refused(
    identity: Tenants, service: Service
) -> None:
    _unauthenticated(service, forged(identity.second["owner_token"], did=identity.domain_id))


def test_a_token_with_changed_claims_is_refused(identity: Tenants, service: Service) -> None:
    _unauthenticated(service, forged(identity.token("member"), aud="admin@example.com"))


def test_a_token_of_an_unknown_domain_is_refused(identity: Tenants, service: Service) -> None:
    _unauthenticated(service, forged(identity.token("admin"), did="domain-000000000000"))


@pytest.mark.parametrize("token", [None, "", "not-a-jwt"])
def test_no_token_or_garbage_is_refused(service: Service, token: str | None) -> None:
    _unauthenticated(service, token)


def test_a_disabled_then_deleted_api_key_is_refused(identity: Tenants, service: Service) -> None:
    key = identity.first["api_keys"][1]
    where = {"api_key_id": key["api_key_id"], "domain_id": identity.domain_id}
    assert ids(rpc(service.grpc_port, "list", {}, key["api_key"])) == task_ids(identity.tasks)

    assert identity.revoke("disable", where) == {"ok": True}
    _unauthenticated(service, key["api_key"])
    assert identity.revoke("enable", where) == {"ok": True}
    assert ids(rpc(service.grpc_port, "list", {}, key["api_key"])) == task_ids(identity.tasks)
    assert identity.revoke("delete", where) == {"ok": True}
    _unauthenticated(service, key["api_key"])


# --- HTTP ------------------------------------------------------------------------------------


def _http(service: Service, token: str | None, path: str = "/inventory/v1/job-tasks") -> Any:
    headers = {} if token is None else {"authorization": f"Bearer {token}"}
    return httpx.get(f"http://127.0.0.1:{service.http_port}{path}", headers=headers, timeout=20)


def test_over_http_a_project_user_sees_only_its_projects(
    identity: Tenants, service: Service
) -> None:
    admin = _http(service, identity.token("admin"))
    member = _http(service, identity.token("member"))

    assert admin.status_code == member.status_code == 200
    assert ids(admin.json()) == task_ids(identity.tasks)
    assert ids(member.json()) == task_ids(identity.in_projects("a"))
    outside = identity.in_projects("c")[0]["job_task_id"]
    got = _http(service, identity.token("member"), f"/inventory/v1/job-task/{outside}")
    assert got.status_code == 404


def test_over_http_refusals_carry_spaceones_codes(identity: Tenants, service: Service) -> None:
    expired = _http(service, identity.first["expired_token"])
    nobody = _http(service, identity.token("nobody"))

    assert expired.status_code == 401
    assert "ERROR_AUTHENTICATE_FAILURE" in expired.text
    assert nobody.status_code == 403
    assert "ERROR_PERMISSION_DENIED" in nobody.text


# --- identity unreachable --------------------------------------------------------------------


def test_identity_unreachable_is_unavailable_then_recovers(
    identity: Tenants, service: Service, mongodb_uri: str, database_name: str
) -> None:
    cut = Cut(identity.endpoint)
    process, ports = start_jobtask(
        mongodb_uri, database_name, cut.endpoint, IDENTITY_VERIFY_TTL_SECONDS="0"
    )
    token = identity.token("admin")
    try:
        assert rpc(ports.grpc_port, "list", {}, token) == {}  # its own empty database
        cut.cut()
        code, details = refused(ports.grpc_port, "list", {}, token)
        assert code is grpc.StatusCode.UNAVAILABLE
        assert details.startswith("ERROR_GRPC_CONNECTION: ")
        cut.restore()
        until_recovered(lambda: rpc(ports.grpc_port, "list", {}, token), {})
    finally:
        cut.cut()
        process.terminate()
        process.wait(timeout=20)


# --- the writer ------------------------------------------------------------------------------


def _create(port: int, token: str, **fields: str) -> Any:
    request = job_task_writer_pb2.CreateJobTaskRequest(job_id="job-identity", **fields)
    with channel(port) as chan:
        return job_task_writer_pb2_grpc.JobTaskWriterStub(chan).create(
            request, metadata=(("token", token),), timeout=20
        )


def test_a_domain_user_writes_into_its_domain_and_project_users_see_it(
    identity: Tenants, service: Service
) -> None:
    created = _create(service.grpc_port, identity.token("admin"), project_id=identity.project("a"))

    assert created.domain_id == identity.domain_id
    member = rpc(
        service.grpc_port, "get", {"job_task_id": created.job_task_id}, identity.token("member")
    )
    assert member["project_id"] == identity.project("a")
    rpc(service.grpc_port, "delete", {"job_task_id": created.job_task_id}, identity.token("admin"))


def test_the_writer_is_refused_to_project_users(identity: Tenants, service: Service) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        _create(service.grpc_port, identity.token("member"), project_id=identity.project("a"))

    assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert raised.value.details().startswith("ERROR_PERMISSION_DENIED: ")
