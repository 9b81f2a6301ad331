"""The HTTP/JSON edge of a SpaceONE 2.x process (SPACEONE_API=2), as `jobtask.bootstrap.build`
makes it, over the database under test: each rpc at 2.x's paths with 2.x's JSON, the same answers
as the process's gRPC port gives 2.x clients (status, error code and message too), the caller's
scope from the `x_domain_id` / `x_workspace_id` headers (or a token), and client mistakes as
SpaceONE's `ERROR_*` codes, never a 500."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf import json_format
from starlette.routing import Route

from jobtask import protojson
from jobtask.auth.security import load_security
from jobtask.bootstrap import Application, build
from jobtask.calls.status import Code
from jobtask.edges.http.app import api_document
from jobtask.edges.http.status import HTTP_STATUS
from jobtask.lines.v2 import wire
from jobtask.observability.logs import JsonFormatter
from jobtask.settings import Settings
from tests.support.client_2x import RPCS, JobTaskClient2x, Metadata, scope_metadata
from tests.support.dataset import DOMAIN, FULL_VIEW_OF_FIRST, OTHER_DOMAIN, ids, tasks_in
from tests.support.tokens import READ, claims, rsa_key, write_pem

pytestmark = pytest.mark.usefixtures("seeded")

TASK_ID = "job_task-3f9c0a1b2c4d"
OTHER_TASK_ID = "job_task-bbbb00000001"
PATH = "/inventory/v1/job-task/{}"


def _start(settings: Settings, **overrides: Any) -> Application:
    # No metrics endpoint (METRICS_PORT=0): its fixed port may be another server's.
    update = {"spaceone_api": 2, "http_host": "127.0.0.1", "http_port": 0, "metrics_port": 0}
    local = settings.model_copy(update={**update, **overrides})
    application = build(local, load_security(local))
    application.start()
    return application


@pytest.fixture
def process(settings: Settings) -> Iterator[Application]:
    """A 2.x process's servers, gRPC and HTTP, as `python -m jobtask` runs them."""
    application = _start(settings)
    yield application
    application.stop()


@pytest.fixture
def http(process: Application) -> Iterator[httpx.Client]:
    assert process.http is not None
    with httpx.Client(base_url=f"http://127.0.0.1:{process.http.port}", timeout=15) as client:
        yield client


@pytest.fixture
def grpc_2x(process: Application) -> Iterator[JobTaskClient2x]:
    with grpc.insecure_channel(f"127.0.0.1:{process.grpc.port}") as channel:
        yield JobTaskClient2x(channel)


def _headers(metadata: Metadata) -> dict[str, str]:
    return dict(metadata)


def _error(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def _over_grpc(
    client: JobTaskClient2x, rpc: str, request: dict[str, Any], metadata: Metadata
) -> tuple[int, Any]:
    """The gRPC port's answer, as the HTTP edge would print it: (HTTP status, JSON)."""
    try:
        answer = client.call(rpc, request, metadata)
    except grpc.RpcError as error:
        code = Code[error.code().name]
        error_code, _, message = error.details().partition(": ")
        body = {"error": {"code": error_code, "message": message, "status": code.name}}
        return HTTP_STATUS[code], body
    return 200, protojson.to_dict(json_format.ParseDict(answer, RPCS[rpc][1]()))


def _over_http(
    http: httpx.Client, rpc: str, request: dict[str, Any], metadata: Metadata
) -> tuple[int, Any]:
    response = http.post(PATH.format(rpc), json=request, headers=_headers(metadata))
    return response.status_code, response.json()


CALLS = [
    ("get", {"job_task_id": TASK_ID}),
    ("get", {"job_task_id": OTHER_TASK_ID}),
    ("get", {}),
    ("list", {}),
    ("list", {"provider": "aws", "status": "SUCCESS"}),
    (
        "list",
        {
            "query": {
                "filter": [{"k": "status", "v": ["SUCCESS", "FAILURE"], "o": "in"}],
                "filter_or": [{"key": "provider", "value": "aws", "operator": "eq"}],
                "sort": [{"key": "provider"}, {"key": "created_count", "desc": True}],
                "page": {"start": 2, "limit": 2},
                "only": ["job_task_id", "status", "created_count"],
            }
        },
    ),
    ("list", {"query": {"minimal": True, "keyword": "3f9c"}}),
    ("list", {"query": {"count_only": True}}),
    ("list", {"query": {"filter": [{"k": "status", "v": "x", "o": "no_such_operator"}]}}),
    ("list", {"query": {"sort": [{"key": "no_such_field"}]}}),
    ("list", {"query": {"lookup": [{"from": "secret"}]}}),
    ("stat", {"query": {"distinct": "provider"}}),
    (
        "stat",
        {
            "query": {
                "aggregate": [
                    {"group": {"keys": [{"key": "status", "name": "status"}]}},
                    {"sort": [{"key": "status"}]},
                ]
            }
        },
    ),
    (
        "stat",
        {
            "query": {
                "aggregate": [
                    {"group": {"fields": [{"key": "created_count", "name": "n", "o": "sum"}]}}
                ]
            }
        },
    ),
    ("stat", {}),
    ("stat", {"query": {"filter": [{"k": "provider", "v": "aws", "o": "eq"}]}}),
    ("delete", {"job_task_id": "job_task-000000000000"}),  # in no domain: nothing is deleted
    ("delete", {}),
]


@pytest.mark.parametrize(("rpc", "request_"), CALLS)
@pytest.mark.parametrize(
    "metadata",
    [scope_metadata(DOMAIN), scope_metadata(OTHER_DOMAIN), []],
    ids=["domain", "other-domain", "none"],
)
def test_http_answers_what_the_grpc_port_answers(
    http: httpx.Client,
    grpc_2x: JobTaskClient2x,
    rpc: str,
    request_: dict[str, Any],
    metadata: Metadata,
) -> None:
    """The same call, scoped by the same headers as metadata, has the same answer on both edges:
    its JSON, or its status, ERROR_* code and message (never a 500)."""
    status, body = _over_http(http, rpc, request_, metadata)

    assert (status, body) == _over_grpc(grpc_2x, rpc, request_, metadata)
    assert status < 500, body


def test_a_workspace_header_reaches_the_calls_scope_as_its_metadata_does(
    http: httpx.Client, grpc_2x: JobTaskClient2x
) -> None:
    metadata = scope_metadata(DOMAIN, "workspace-000000000001")

    for rpc, request in (("get", {"job_task_id": TASK_ID}), ("list", {})):
        assert _over_http(http, rpc, request, metadata) == _over_grpc(
            grpc_2x, rpc, request, metadata
        )


HERE, THERE = "workspace-here", "workspace-there"
IN_WORKSPACES = {"job_task-aaaa0000a001": HERE, "job_task-aaaa0000a002": THERE}


@pytest.fixture
def in_workspaces(raw_collection: Any) -> None:
    """Two more tasks of DOMAIN, one in each workspace (the seeded ones are in none)."""
    first = tasks_in(DOMAIN)[0]
    raw_collection.insert_many(
        [
            {**first, "job_task_id": job_task_id, "workspace_id": workspace_id}
            for job_task_id, workspace_id in IN_WORKSPACES.items()
        ]
    )


@pytest.mark.usefixtures("in_workspaces")
def test_the_x_workspace_id_header_scopes_every_rpc_to_its_workspace(
    http: httpx.Client, grpc_2x: JobTaskClient2x
) -> None:
    here = scope_metadata(DOMAIN, HERE)
    there_id = next(i for i, w in IN_WORKSPACES.items() if w == THERE)
    here_id = next(i for i, w in IN_WORKSPACES.items() if w == HERE)
    calls: list[tuple[str, dict[str, Any]]] = [
        ("list", {}),
        ("list", {"workspace_id": THERE}),  # a filter cannot widen the scope
        ("list", {"query": {"filter_or": [{"k": "workspace_id", "v": THERE, "o": "eq"}]}}),
        ("get", {"job_task_id": here_id}),
        ("get", {"job_task_id": there_id}),
        ("stat", {"query": {"distinct": "workspace_id"}}),
        ("delete", {"job_task_id": there_id}),
    ]

    answers = [_over_http(http, rpc, request, here) for rpc, request in calls]

    listed = [{t["job_task_id"] for t in body.get("results", [])} for _, body in answers[:3]]
    assert listed == [{here_id}, set(), set()]
    assert answers[3][0] == 200
    assert answers[3][1]["workspace_id"] == HERE
    assert [answers[4][0], answers[6][0]] == [404, 404]
    assert answers[5] == (200, {"results": [HERE]})
    for (rpc, request), answer in zip(calls, answers, strict=True):
        assert answer == _over_grpc(grpc_2x, rpc, request, here)


@pytest.mark.usefixtures("in_workspaces")
def test_without_the_workspace_header_a_domain_caller_sees_every_workspace(
    http: httpx.Client,
) -> None:
    response = http.post(
        PATH.format("list"), json={"workspace_id": THERE}, headers={"x_domain_id": DOMAIN}
    )

    assert {t["job_task_id"] for t in response.json()["results"]} == {
        i for i, w in IN_WORKSPACES.items() if w == THERE
    }


def test_get_renders_the_full_2x_view(http: httpx.Client) -> None:
    response = http.post(
        PATH.format("get"), json={"job_task_id": TASK_ID}, headers={"x_domain_id": DOMAIN}
    )

    assert response.status_code == 200
    assert response.json() == FULL_VIEW_OF_FIRST


def test_list_is_the_domain_of_the_x_domain_id_header(http: httpx.Client) -> None:
    mine = http.post(PATH.format("list"), json={}, headers={"x_domain_id": DOMAIN})
    other = http.post(PATH.format("list"), json={}, headers={"x_domain_id": OTHER_DOMAIN})

    assert {t["job_task_id"] for t in mine.json()["results"]} == ids(tasks_in(DOMAIN))
    assert {t["job_task_id"] for t in other.json()["results"]} == ids(tasks_in(OTHER_DOMAIN))
    assert mine.json()["total_count"] == len(tasks_in(DOMAIN))


def test_stat_answers_results(http: httpx.Client) -> None:
    response = http.post(
        PATH.format("stat"),
        json={"query": {"distinct": "provider"}},
        headers={"x_domain_id": DOMAIN},
    )

    assert response.status_code == 200
    providers = {t.get("provider") for t in tasks_in()}
    named = sorted(p for p in providers if p is not None)
    assert response.json() == {"results": [None, *named] if None in providers else named}


def test_delete_answers_an_empty_object_and_the_task_is_gone(http: httpx.Client) -> None:
    headers = {"x_domain_id": DOMAIN}

    deleted = http.post(PATH.format("delete"), json={"job_task_id": TASK_ID}, headers=headers)
    again = http.post(PATH.format("get"), json={"job_task_id": TASK_ID}, headers=headers)

    assert (deleted.status_code, deleted.json()) == (200, {})
    assert again.status_code == 404


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-domain-id": DOMAIN}, {"x_domain_id": ""}],
    ids=["none", "dashed", "empty"],
)
@pytest.mark.parametrize(
    ("rpc", "request_"),
    [
        ("get", {"job_task_id": TASK_ID}),
        ("list", {}),
        ("stat", {"query": {"distinct": "status"}}),
        ("delete", {"job_task_id": TASK_ID}),
    ],
)
def test_a_call_naming_no_domain_is_400_required_parameter_domain_id(
    http: httpx.Client, rpc: str, request_: dict[str, Any], headers: dict[str, str]
) -> None:
    response = http.post(PATH.format(rpc), json=request_, headers=headers)

    assert response.status_code == 400
    assert _error(response) == {
        "code": "ERROR_REQUIRED_PARAMETER",
        "message": "Required parameter. (key = domain_id)",
        "status": "INVALID_ARGUMENT",
    }


def test_another_domains_task_is_404_not_found(http: httpx.Client) -> None:
    response = http.post(
        PATH.format("get"), json={"job_task_id": OTHER_TASK_ID}, headers={"x_domain_id": DOMAIN}
    )

    assert response.status_code == 404
    assert _error(response)["code"] == "ERROR_NOT_FOUND"
    assert _error(response)["status"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"{", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'{"job_task_id": 1, "job_task_id": 2}', "given twice"),
        (b'{"job_task_id": "x", "domain_id": "d"}', "domain_id"),  # 1.x's field
        (b'{"job_task_id": ["x"]}', "job_task_id"),
    ],
)
def test_a_malformed_body_is_400_invalid_parameter(
    http: httpx.Client, content: bytes, field: str
) -> None:
    response = http.post(
        PATH.format("get"),
        content=content,
        headers={"content-type": "application/json", "x_domain_id": DOMAIN},
    )

    assert response.status_code == 400
    assert _error(response)["code"] == "ERROR_INVALID_PARAMETER"
    assert field in _error(response)["message"]


def test_1x_paths_are_not_served_and_2x_paths_take_post_only(http: httpx.Client) -> None:
    headers = {"x_domain_id": DOMAIN}
    old = [
        http.get("/inventory/v1/job-tasks", params={"domain_id": DOMAIN}),
        http.get(f"/inventory/v1/job-task/{TASK_ID}", params={"domain_id": DOMAIN}),
        http.post("/inventory/v1/job-tasks/stat", json={"query": {"distinct": "status"}}),
    ]
    by_get = http.get(PATH.format("list"), headers=headers)

    assert [r.status_code for r in old] == [404, 404, 404]
    assert by_get.status_code == 405
    assert by_get.headers["allow"] == "POST"


@pytest.fixture
def guarded(settings: Settings, tmp_path: Path) -> Iterator[tuple[httpx.Client, Any]]:
    """A 2.x process with AUTH_MODE=jwt: the token's domain, as on the 1.x line."""
    key = rsa_key()
    application = _start(
        settings,
        auth_enabled=True,
        auth_public_keys=str(write_pem(tmp_path / "jwt.pem", key)),
    )
    assert application.http is not None
    url = f"http://127.0.0.1:{application.http.port}"
    with httpx.Client(base_url=url, timeout=15) as client:
        yield client, key
    application.stop()


def test_with_authentication_the_token_or_bearer_header_decides_the_domain(
    guarded: tuple[httpx.Client, Any],
) -> None:
    http, key = guarded
    token = key.sign(claims(OTHER_DOMAIN, [READ]))

    nobody = http.post(PATH.format("list"), json={}, headers={"x_domain_id": OTHER_DOMAIN})
    by_token = http.post(PATH.format("list"), json={}, headers={"token": token})
    by_bearer = http.post(
        PATH.format("list"), json={}, headers={"authorization": f"Bearer {token}"}
    )
    elsewhere = http.post(
        PATH.format("list"), json={}, headers={"token": token, "x_domain_id": DOMAIN}
    )

    assert nobody.status_code == 401
    assert _error(nobody)["code"] == "ERROR_AUTHENTICATE_FAILURE"
    for response in (by_token, by_bearer):
        assert response.status_code == 200
        assert {t["job_task_id"] for t in response.json()["results"]} == ids(tasks_in(OTHER_DOMAIN))
    assert elsewhere.status_code == 403
    assert _error(elsewhere)["code"] == "ERROR_PERMISSION_DENIED"


# --- the OpenAPI document of a 2.x process ---------------------------------------------------

V2_PATHS = {PATH.format(rpc) for rpc in ("delete", "get", "list", "stat")}
V2_MESSAGES = {
    f"spaceone.api.inventory.v1.{name}"
    for name in (
        "ErrorInfo",
        "JobTaskInfo",
        "JobTaskQuery",
        "JobTaskRequest",
        "JobTaskStatQuery",
        "JobTasksInfo",
    )
} | {
    f"spaceone.api.core.v2.{name}"
    for name in (
        "AggregateCount",
        "AggregateGroup",
        "AggregateGroupField",
        "AggregateGroupKey",
        "AggregateGroupSubField",
        "AggregateProject",
        "AggregateProjectField",
        "AggregateSubCondition",
        "Filter",
        "Page",
        "Query",
        "Sort",
        "StatisticsAggregate",
        "StatisticsQuery",
        "Unwind",
    )
}


def test_the_document_is_the_2x_lines(document: dict[str, Any]) -> None:
    assert document == api_document((wire.SERVICE,))
    assert document["info"]["title"] == "spaceone.api.inventory.v1.JobTask"


def test_the_document_lists_exactly_the_2x_paths_each_by_post(
    process: Application, document: dict[str, Any]
) -> None:
    assert process.http is not None
    served = {
        (route.path, method.lower())
        for route in process.http.app.asgi.routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }
    documented = {(path, method) for path, item in document["paths"].items() for method in item}

    assert documented == served
    assert documented == {(path, "post") for path in V2_PATHS} | {
        ("/healthz", "get"),
        ("/openapi.json", "get"),
    }


def test_the_document_has_exactly_the_2x_messages_each_with_its_fields(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]

    assert set(schemas) == V2_MESSAGES | {"Error", "Health"}
    for name in V2_MESSAGES:
        fields = wire.POOL.FindMessageTypeByName(name).fields_by_name
        assert set(schemas[name]["properties"]) == set(fields), name
    info = schemas["spaceone.api.inventory.v1.JobTaskInfo"]["properties"]
    assert "workspace_id" in info
    for request in ("JobTaskRequest", "JobTaskQuery", "JobTaskStatQuery"):
        assert "domain_id" not in schemas[f"spaceone.api.inventory.v1.{request}"]["properties"]
    assert schemas["spaceone.api.core.v2.Query"]["properties"]["sort"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/spaceone.api.core.v2.Sort"},
    }


def test_each_operation_takes_its_request_as_the_body_and_the_scope_headers(
    document: dict[str, Any],
) -> None:
    requests = {
        "delete": "JobTaskRequest",
        "get": "JobTaskRequest",
        "list": "JobTaskQuery",
        "stat": "JobTaskStatQuery",
    }
    for rpc, request in requests.items():
        operation = document["paths"][PATH.format(rpc)]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}

        assert body == {"$ref": f"#/components/schemas/spaceone.api.inventory.v1.{request}"}
        assert {p["in"] for p in operation["parameters"]} == {"header"}
        expected = {"x_domain_id", "x_workspace_id", "x-request-timeout", "grpc-timeout"}
        assert headers == (expected | {"timezone"} if rpc == "stat" else expected)


def test_each_2x_http_call_is_one_log_line_with_the_domain_its_header_named(
    http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="jobtask.calls")
    headers = {"x_domain_id": DOMAIN, "x-request-id": "req-2x-1"}

    http.post(PATH.format("list"), json={"query": {"page": {"limit": 2}}}, headers=headers)
    http.post(PATH.format("get"), json={"job_task_id": TASK_ID})

    formatter = JsonFormatter()
    listed, refused = (
        json.loads(formatter.format(r)) for r in caplog.records if r.name == "jobtask.calls"
    )
    assert (listed["transport"], listed["method"], listed["http_status"]) == ("http", "list", 200)
    assert (listed["request_id"], listed["domain_id"], listed["result_count"]) == (
        "req-2x-1",
        DOMAIN,
        2,
    )
    assert (refused["http_status"], refused["error_code"]) == (400, "ERROR_REQUIRED_PARAMETER")
    assert "domain_id" not in refused
