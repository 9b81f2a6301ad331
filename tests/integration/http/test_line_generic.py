"""The HTTP edge is the served line's: given a call layer over 2.x's `wire.SERVICE` (here with small
handlers of the test's own, which echo what reached them), it serves 2.x's bindings, decodes bodies
into the 2.x pool's classes, hands every header to the call layer as metadata of the same name, and
documents exactly that line. The real 2.x line behind it: test_v2.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from google.protobuf import json_format
from google.protobuf.message import Message

from jobtask.auth.permissions import Access, Claim, Metadata
from jobtask.auth.security import Security
from jobtask.calls.handlers import Calls, Served
from jobtask.calls.invocation import Invocation
from jobtask.domain import Limits
from jobtask.edges.http.app import HttpApp, api_document
from jobtask.edges.http.routes import bindings_of
from jobtask.edges.http.server import HttpServer, listen
from jobtask.errors import NotFound
from jobtask.lines.v1.rpcs import JOB_TASK_DESCRIPTOR
from jobtask.lines.v2 import wire
from jobtask.rpcs import Rpc
from jobtask.scope import Scope

HEADERS = ("x_domain_id", "x_workspace_id", "token", "authorization", "timezone")


def _no_claim(request: object, metadata: Metadata) -> Claim:
    """Claims nothing: the handlers below read what they echo from the call."""
    return Claim("")


def _heard(call: Invocation) -> dict[str, str]:
    return {name: call.header(name) for name in HEADERS if call.header(name)}


def _get(scope: Scope, request: Message, call: Invocation) -> Message:
    job_task_id = wire.job_task_request(request).job_task_id
    if job_task_id == "job-task-missing":
        raise NotFound({"job_task_id": job_task_id})
    heard = _heard(call)
    return wire.JobTaskInfo(
        job_task_id=job_task_id,
        status="SUCCESS",
        domain_id=heard.get("x_domain_id", ""),
        workspace_id=heard.get("x_workspace_id", ""),
        created_count=7,
    )


def _list(scope: Scope, request: Message, call: Invocation) -> Message:
    query = wire.job_task_query(request)
    return wire.JobTasksInfo(
        results=[
            wire.JobTaskInfo(job_task_id=sort.key, status=query.status) for sort in query.query.sort
        ],
        total_count=len(query.query.sort),
    )


def _stat(scope: Scope, request: Message, call: Invocation) -> Message:
    query = wire.job_task_stat_query(request)
    answer = {
        "request": json_format.MessageToDict(request, preserving_proto_field_name=True),
        "aggregate": [stage.WhichOneof("aggregate_alias") for stage in query.query.aggregate],
        "headers": _heard(call),
    }
    return json_format.ParseDict(answer, wire.Struct())


def _delete(scope: Scope, request: Message, call: Invocation) -> Message:
    wire.job_task_request(request)
    return wire.Empty()


RPCS: dict[Rpc, Served] = {
    Rpc(wire.SERVICE_NAME, name): Served(handle, _no_claim)
    for name, handle in (("get", _get), ("list", _list), ("stat", _stat), ("delete", _delete))
}


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    calls = Calls(Access(Security()), RPCS, (wire.SERVICE,), Limits())
    server = HttpServer(HttpApp(calls), listen("127.0.0.1", 0), grace=2)
    server.start()
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=10) as client:
        yield client
    server.stop(grace=2)


def test_the_bindings_are_the_2x_services() -> None:
    assert [(b.rpc, b.method, b.path, b.body) for b in bindings_of(wire.SERVICE)] == [
        ("delete", "POST", "/inventory/v1/job-task/delete", True),
        ("get", "POST", "/inventory/v1/job-task/get", True),
        ("list", "POST", "/inventory/v1/job-task/list", True),
        ("stat", "POST", "/inventory/v1/job-task/stat", True),
    ]
    assert [b.request for b in bindings_of(wire.SERVICE)] == [
        wire.JobTaskRequest,
        wire.JobTaskRequest,
        wire.JobTaskQuery,
        wire.JobTaskStatQuery,
    ]


def test_each_rpc_is_served_at_its_2x_path_with_2x_json(http: httpx.Client) -> None:
    get = http.post("/inventory/v1/job-task/get", json={"job_task_id": "job-task-1"})
    listed = http.post(
        "/inventory/v1/job-task/list",
        json={"status": "FAILURE", "query": {"sort": [{"key": "created_at", "desc": True}]}},
    )
    stat = http.post(
        "/inventory/v1/job-task/stat",
        json={"query": {"aggregate": [{"unwind": {"path": "errors"}}, {"count": {"name": "n"}}]}},
    )
    delete = http.post("/inventory/v1/job-task/delete", json={"job_task_id": "job-task-1"})

    assert get.status_code == 200, get.text
    assert get.json() == {"job_task_id": "job-task-1", "status": "SUCCESS", "created_count": 7}
    assert listed.json() == {
        "results": [{"job_task_id": "created_at", "status": "FAILURE"}],
        "total_count": 1,
    }
    assert stat.json()["aggregate"] == ["unwind", "count"]
    assert delete.status_code == 200
    assert delete.json() == {}


def test_the_scope_and_token_headers_reach_the_call_layer_as_metadata(http: httpx.Client) -> None:
    headers = {
        "x_domain_id": "domain-1",
        "x_workspace_id": "workspace-1",
        "token": "t0ken",
        "timezone": "Asia/Seoul",
    }
    stat = http.post("/inventory/v1/job-task/stat", json={"query": {}}, headers=headers)
    bearer = http.post(
        "/inventory/v1/job-task/stat",
        json={"query": {}},
        headers={"authorization": "Bearer t0ken"},
    )
    get = http.post("/inventory/v1/job-task/get", json={"job_task_id": "j"}, headers=headers)

    assert stat.json()["headers"] == headers
    assert bearer.json()["headers"] == {"authorization": "Bearer t0ken"}
    assert get.json()["domain_id"] == "domain-1"
    assert get.json()["workspace_id"] == "workspace-1"


def test_1x_fields_are_unknown_to_2x_bodies_and_answered_400_naming_2x_fields(
    http: httpx.Client,
) -> None:
    response = http.post(
        "/inventory/v1/job-task/get", json={"job_task_id": "j", "domain_id": "domain-1"}
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "ERROR_INVALID_PARAMETER"
    assert error["status"] == "INVALID_ARGUMENT"
    assert "domain_id" in error["message"]
    assert "its fields: job_task_id" in error["message"]


def test_client_mistakes_are_400_and_not_found_404_in_the_error_shape(http: httpx.Client) -> None:
    bad_json = http.post(
        "/inventory/v1/job-task/list", content=b"{", headers={"content-type": "application/json"}
    )
    bad_type = http.post("/inventory/v1/job-task/list", json={"query": {"sort": "created_at"}})
    missing = http.post("/inventory/v1/job-task/get", json={"job_task_id": "job-task-missing"})
    a_1x_path = http.get("/inventory/v1/job-tasks")

    assert [r.status_code for r in (bad_json, bad_type, missing, a_1x_path)] == [400, 400, 404, 404]
    assert bad_json.json()["error"]["code"] == "ERROR_INVALID_PARAMETER"
    assert missing.json()["error"]["code"] == "ERROR_NOT_FOUND"
    assert missing.json()["error"]["status"] == "NOT_FOUND"


def test_the_document_lists_the_2x_paths_and_scope_headers_and_1x_neither() -> None:
    v2 = api_document((wire.SERVICE,))
    v1 = api_document((JOB_TASK_DESCRIPTOR,))

    assert set(v2["paths"]) == {
        "/inventory/v1/job-task/delete",
        "/inventory/v1/job-task/get",
        "/inventory/v1/job-task/list",
        "/inventory/v1/job-task/stat",
        "/healthz",
        "/openapi.json",
    }
    for rpc in ("delete", "get", "list", "stat"):
        names = {
            p["name"] for p in v2["paths"][f"/inventory/v1/job-task/{rpc}"]["post"]["parameters"]
        }
        assert {"x_domain_id", "x_workspace_id"} <= names
    v1_headers = {
        p["name"]
        for item in v1["paths"].values()
        for operation in item.values()
        for p in operation.get("parameters", ())
    }
    assert not v1_headers & {"x_domain_id", "x_workspace_id"}


TOO_LONG = {"k": "status", "v": ["SUCCESS"] * 1001, "o": "in"}


@pytest.mark.parametrize(
    ("path", "query", "where"),
    [
        (
            "/inventory/v1/job-task/list",
            {"unwind": {"path": "errors", "filter": [TOO_LONG]}, "only": ["errors"]},
            "query.unwind.filter[0]",
        ),
        (
            "/inventory/v1/job-task/stat",
            {
                "aggregate": [
                    {"count": {"name": "n"}},
                    {"unwind": {"path": "e", "filter": [TOO_LONG]}},
                ]
            },
            "query.aggregate[1].unwind.filter[0]",
        ),
    ],
)
def test_a_2x_unwind_filters_list_past_max_list_values_is_400_before_it_becomes_a_message(
    http: httpx.Client, path: str, query: dict[str, Any], where: str
) -> None:
    response = http.post(path, json={"query": query})

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        f"Invalid parameter. (key = {where}.value, reason = 1001 values in a list; "
        "at most 1000 are allowed)"
    )
