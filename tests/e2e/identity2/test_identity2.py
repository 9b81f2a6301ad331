"""AUTH_MODE=spaceone on a SpaceONE 2.x process against SpaceONE's own identity 2.x: the tokens it
issues (Token.issue + Token.grant, apps' client secrets, its system token) over gRPC with the 2.x
wire, each role through list, filter, filter_or, keyword, get, delete and stat, and every refusal
with SpaceONE's codes; identity cut off, then back."""

from __future__ import annotations

from typing import Any

import grpc
import httpx
import pytest
from tests.e2e.identity.conftest import Cut, Service, start_jobtask, until_recovered
from tests.e2e.identity.test_identity import forged
from tests.e2e.identity2.conftest import Tenants2, as_, line2
from tests.support.client_2x import JobTaskClient2x

from jobtask_internal.v1 import job_task_writer_pb2, job_task_writer_pb2_grpc

# The first test starts identity 2.x and fills it (about 20 s, more on a busy machine).
pytestmark = pytest.mark.timeout(300)


def ids(answer: dict[str, Any]) -> set[str]:
    return {t["job_task_id"] for t in answer.get("results", [])}


def task_ids(tasks: list[dict[str, Any]]) -> set[str]:
    return {t["job_task_id"] for t in tasks}


def refused(call: Any, *args: Any, **kwargs: Any) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as raised:
        call(*args, **kwargs)
    return raised.value.code(), raised.value.details()


def unauthenticated(jobtask2: JobTaskClient2x, token: str | None) -> None:
    code, details = refused(jobtask2.list, {}, as_(token))
    assert code is grpc.StatusCode.UNAUTHENTICATED
    assert details.startswith("ERROR_AUTHENTICATE_FAILURE: ")


def denied(jobtask2: JobTaskClient2x, rpc: str, request: dict[str, Any], token: str) -> None:
    code, details = refused(jobtask2.call, rpc, request, as_(token))
    assert code is grpc.StatusCode.PERMISSION_DENIED, (rpc, details)
    assert details.startswith("ERROR_PERMISSION_DENIED: ")


# --- the domain -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin user", "admin app"])
def test_a_domain_admin_sees_its_whole_domain(
    identity2: Tenants2, jobtask2: JobTaskClient2x, who: str
) -> None:
    token = identity2.token("admin") if who == "admin user" else identity2.app("admin")

    answer = jobtask2.list({}, as_(token))

    assert ids(answer) == task_ids(identity2.tasks)
    assert answer["total_count"] == len(identity2.tasks)


def test_another_domains_admin_sees_only_its_own(
    identity2: Tenants2, jobtask2: JobTaskClient2x
) -> None:
    answer = jobtask2.list({}, as_(identity2.second["admin"]))

    assert ids(answer) == {"job_task-0the7d0ma1n0"}


def test_a_domain_admin_names_no_other_domain(
    identity2: Tenants2, jobtask2: JobTaskClient2x
) -> None:
    metadata = as_(identity2.token("admin"), domain_id=identity2.second["domain_id"])

    code, details = refused(jobtask2.list, {}, metadata)

    assert code is grpc.StatusCode.PERMISSION_DENIED
    assert details.startswith("ERROR_PERMISSION_DENIED: ")


def test_the_system_token_names_its_domain_in_metadata(
    identity2: Tenants2, jobtask2: JobTaskClient2x
) -> None:
    first = jobtask2.list({}, as_(identity2.system_token, domain_id=identity2.domain_id))
    second = jobtask2.list({}, as_(identity2.system_token, domain_id=identity2.second["domain_id"]))

    assert ids(first) == task_ids(identity2.tasks)
    assert ids(second) == {"job_task-0the7d0ma1n0"}
    code, details = refused(jobtask2.list, {}, as_(identity2.system_token))
    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert details.startswith("ERROR_REQUIRED_PARAMETER: ")
    assert "domain_id" in details


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["nobody", "stranger"])
def test_a_user_or_a_role_without_the_permission_is_denied_everything(
    identity2: Tenants2, jobtask2: JobTaskClient2x, user: str
) -> None:
    some = identity2.tasks[0]["job_task_id"]
    stat = {"query": {"aggregate": [{"count": {"name": "n"}}]}}
    requests = {"list": {}, "get": {"job_task_id": some}, "stat": stat}
    requests["delete"] = {"job_task_id": some}

    for rpc, request in requests.items():
        denied(jobtask2, rpc, request, identity2.token(user))


def test_an_expired_app_secret_is_refused(identity2: Tenants2, jobtask2: JobTaskClient2x) -> None:
    unauthenticated(jobtask2, identity2.app("expired"))


def test_a_token_signed_with_another_domains_key_is_refused(
    identity2: Tenants2, jobtask2: JobTaskClient2x
) -> None:
    unauthenticated(jobtask2, forged(identity2.second["admin"], did=identity2.domain_id))


def test_a_token_with_changed_claims_is_refused(
    identity2: Tenants2, jobtask2: JobTaskClient2x
) -> None:
    unauthenticated(jobtask2, forged(identity2.token("bare"), rol="DOMAIN_ADMIN"))


def test_a_token_of_an_unknown_domain_is_refused(
    identity2: Tenants2, jobtask2: JobTaskClient2x
) -> None:
    unauthenticated(jobtask2, forged(identity2.token("admin"), did="domain-000000000000"))


@pytest.mark.parametrize("token", [None, "", "not-a-jwt"])
def test_no_token_or_garbage_is_refused(jobtask2: JobTaskClient2x, token: str | None) -> None:
    unauthenticated(jobtask2, token)


def test_a_disabled_app_is_denied_and_enabled_again_allowed(
    identity2: Tenants2, jobtask2: JobTaskClient2x
) -> None:
    secret, app_id = identity2.app("spare"), identity2.first["apps"]["spare"]["app_id"]
    scope = {"x_domain_id": identity2.domain_id}
    assert ids(jobtask2.list({}, as_(secret))) == task_ids(identity2.tasks)

    assert identity2.call("App", "disable", {"app_id": app_id}, **scope) == {"ok": True}
    denied(jobtask2, "list", {}, secret)
    assert identity2.call("App", "enable", {"app_id": app_id}, **scope) == {"ok": True}
    assert ids(jobtask2.list({}, as_(secret))) == task_ids(identity2.tasks)


# --- identity unreachable -------------------------------------------------------------------


def test_identity_unreachable_is_unavailable_then_recovers(
    identity2: Tenants2, service2: Service, mongodb_uri: str, database_name: str
) -> None:
    cut = Cut(identity2.endpoint)
    process, ports = start_jobtask(mongodb_uri, database_name, cut.endpoint, **line2(identity2))
    token = identity2.app("admin")  # App.check on every call: its answers are not kept (TTL 0)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{ports.grpc_port}") as channel:
            jobtask2 = JobTaskClient2x(channel, as_(token))
            assert jobtask2.list({}) == {}  # its own empty database
            cut.cut()
            code, details = refused(jobtask2.list, {})
            assert code is grpc.StatusCode.UNAVAILABLE
            assert details.startswith("ERROR_GRPC_CONNECTION: ")
            cut.restore()
            until_recovered(lambda: jobtask2.list({}), {})
    finally:
        cut.cut()
        process.terminate()
        process.wait(timeout=20)


# --- HTTP -----------------------------------------------------------------------------------


def http(service2: Service, rpc: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    url = f"http://127.0.0.1:{service2.http_port}/inventory/v1/job-task/{rpc}"
    return httpx.post(url, json=body, headers=headers, timeout=20)


def test_over_http_a_bearer_or_token_header_scopes_as_over_grpc(
    identity2: Tenants2, service2: Service
) -> None:
    member = http(service2, "list", {}, authorization=f"Bearer {identity2.token('member')}")
    owner = http(service2, "list", {}, token=identity2.token("owner"))
    system = http(
        service2,
        "list",
        {},
        token=identity2.system_token,
        x_domain_id=identity2.domain_id,
        x_workspace_id=identity2.workspace("two"),
    )

    assert member.status_code == owner.status_code == system.status_code == 200
    assert ids(member.json()) == task_ids(identity2.where("one", "a"))
    assert ids(owner.json()) == task_ids(identity2.where("one"))
    assert ids(system.json()) == task_ids(identity2.where("two"))
    outside = identity2.where("one", "c")[0]["job_task_id"]
    got = http(service2, "get", {"job_task_id": outside}, token=identity2.token("member"))
    assert got.status_code == 404
    assert "ERROR_NOT_FOUND" in got.text


def test_over_http_refusals_carry_spaceones_codes(identity2: Tenants2, service2: Service) -> None:
    expired = http(service2, "list", {}, token=identity2.app("expired"))
    nobody = http(service2, "list", {}, authorization=f"Bearer {identity2.token('nobody')}")
    member = http(
        service2, "delete", {"job_task_id": "job_task-x"}, token=identity2.token("member")
    )
    system = http(service2, "list", {}, token=identity2.system_token)

    assert (expired.status_code, nobody.status_code, member.status_code) == (401, 403, 403)
    assert "ERROR_AUTHENTICATE_FAILURE" in expired.text
    assert "ERROR_PERMISSION_DENIED" in nobody.text
    assert "ERROR_PERMISSION_DENIED" in member.text
    assert system.status_code == 400
    assert "ERROR_REQUIRED_PARAMETER" in system.text


# --- the writer -----------------------------------------------------------------------------


def create(service2: Service, token: str, **fields: str) -> Any:
    request = job_task_writer_pb2.CreateJobTaskRequest(job_id="job-identity2", **fields)
    with grpc.insecure_channel(f"127.0.0.1:{service2.grpc_port}") as channel:
        return job_task_writer_pb2_grpc.JobTaskWriterStub(channel).create(
            request, metadata=as_(token), timeout=20
        )


def test_a_domain_admin_writes_into_its_domain_and_members_see_it(
    identity2: Tenants2, service2: Service, jobtask2: JobTaskClient2x
) -> None:
    where = {"workspace_id": identity2.workspace("one"), "project_id": identity2.project("a")}

    created = create(service2, identity2.token("admin"), **where)

    assert created.domain_id == identity2.domain_id
    got = jobtask2.get({"job_task_id": created.job_task_id}, as_(identity2.token("member")))
    assert (got["workspace_id"], got["project_id"]) == (where["workspace_id"], where["project_id"])
    assert (
        jobtask2.delete({"job_task_id": created.job_task_id}, as_(identity2.token("owner"))) == {}
    )


def test_the_system_token_writes_into_the_domain_its_request_names(
    identity2: Tenants2, service2: Service, jobtask2: JobTaskClient2x
) -> None:
    second = identity2.second["domain_id"]

    created = create(service2, identity2.system_token, domain_id=second)

    assert created.domain_id == second
    admin = as_(identity2.second["admin"])
    assert jobtask2.delete({"job_task_id": created.job_task_id}, admin) == {}


@pytest.mark.parametrize(
    ("who", "fields"),
    [("owner", {}), ("member", {}), ("admin", {"domain_id": "second"}), ("nobody", {})],
)
def test_the_writer_is_denied_to_workspace_roles_and_other_domains(
    identity2: Tenants2, service2: Service, who: str, fields: dict[str, str]
) -> None:
    if fields:
        fields = {"domain_id": identity2.second["domain_id"]}

    code, details = refused(create, service2, identity2.token(who), **fields)

    assert code is grpc.StatusCode.PERMISSION_DENIED
    assert details.startswith("ERROR_PERMISSION_DENIED: ")
