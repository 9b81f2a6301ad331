"""The OpenAPI document: generated from the descriptors, and exactly what the app serves."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf.descriptor_pool import Default
from starlette.routing import Route

from jobtask.edges.http.app import HttpApp
from jobtask.edges.http.routes import bindings_of
from jobtask.edges.http.transcode import to_json, to_message
from jobtask.lines.v1.rpcs import JOB_TASK_DESCRIPTOR, JobTaskRpcs
from jobtask.services.reads import JobTaskService
from spaceone.api.inventory.v1 import job_task_pb2
from tests.integration.http.conftest import Serve, http_app

# The response example of SpaceONE's API document for list, verbatim.
API_DOCUMENT_EXAMPLE = {
    "results": [
        {
            "job_task_id": "job_task-69b301d0fbfc",
            "status": "SUCCESS",
            "updated_count": 55,
            "job_id": "job-587a3d3b4db3",
            "secret_id": "secret-957e407bfc15",
            "provider": "aws",
            "service_account_id": "sa-a41ff4765671",
            "project_id": "project-77dffd3f7cd3",
            "domain_id": "domain-58010aa2e451",
            "created_at": "2022-06-17T08:00:00.680Z",
            "started_at": "2022-06-17T08:00:00.914Z",
            "finished_at": "2022-06-17T08:05:48.933Z",
        },
        {
            "job_task_id": "job_task-c5077338cf23",
            "status": "SUCCESS",
            "updated_count": 1921,
            "job_id": "job-587a3d3b4db3",
            "secret_id": "secret-1cd7417c1889",
            "provider": "aws",
            "service_account_id": "sa-5e186fcc7c91",
            "project_id": "project-18655561c535",
            "domain_id": "domain-58010aa2e451",
            "created_at": "2022-06-17T08:00:00.582Z",
            "started_at": "2022-06-17T08:00:00.814Z",
            "finished_at": "2022-06-17T08:07:31.995Z",
        },
    ],
    "total_count": 4839,
}


# 1.x's bindings, as a 1.x process serves them.
BINDINGS = bindings_of(JOB_TASK_DESCRIPTOR)


@pytest.fixture
def app(service: JobTaskService) -> HttpApp:
    return http_app(service)


def test_the_bindings_are_the_protos_and_the_api_documents() -> None:
    assert [(b.rpc, b.method, b.path, b.body) for b in BINDINGS] == [
        ("delete", "DELETE", "/inventory/v1/job-task/{job_task_id}", False),
        ("get", "GET", "/inventory/v1/job-task/{job_task_id}", False),
        ("list", "GET", "/inventory/v1/job-tasks", False),
        ("list", "POST", "/inventory/v1/job-tasks/search", True),
        ("stat", "POST", "/inventory/v1/job-tasks/stat", True),
    ]


def test_the_document_lists_exactly_the_served_paths_and_methods(
    app: HttpApp, document: dict[str, Any]
) -> None:
    served = {
        (route.path, method.lower())
        for route in app.asgi.routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"  # implied by GET
    }
    documented = {(path, method) for path, item in document["paths"].items() for method in item}

    assert documented == served


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]

    for ref in _refs(document):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref


def test_each_message_schema_has_exactly_the_fields_of_its_descriptor(
    document: dict[str, Any],
) -> None:
    messages = {
        name: schema
        for name, schema in document["components"]["schemas"].items()
        if name.startswith("spaceone.")
    }
    assert "spaceone.api.inventory.v1.JobTaskInfo" in messages

    for name, schema in messages.items():
        descriptor = Default().FindMessageTypeByName(name)
        assert set(schema["properties"]) == set(descriptor.fields_by_name), name
        assert schema["additionalProperties"] is False


def test_status_is_documented_by_its_enum_names(document: dict[str, Any]) -> None:
    schema = document["components"]["schemas"]["spaceone.api.inventory.v1.JobTaskInfo"]

    assert schema["properties"]["status"]["enum"] == [
        "JOB_TASK_STATE_NONE",
        "PENDING",
        "CANCELED",
        "IN_PROGRESS",
        "SUCCESS",
        "FAILURE",
    ]
    assert schema["properties"]["errors"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/spaceone.api.inventory.v1.ErrorInfo"},
    }


def test_oneof_aliases_may_not_both_be_given(document: dict[str, Any]) -> None:
    schema = document["components"]["schemas"]["spaceone.api.core.v1.Filter"]

    assert schema["not"] == {
        "anyOf": [
            {"required": ["key", "k"]},
            {"required": ["value", "v"]},
            {"required": ["operator", "o"]},
        ]
    }


def test_list_by_get_documents_every_field_and_the_dotted_query_fields(
    document: dict[str, Any],
) -> None:
    operation = document["paths"]["/inventory/v1/job-tasks"]["get"]
    names = {p["name"] for p in operation["parameters"]}

    assert names == {
        "domain_id",
        "job_task_id",
        "status",
        "job_id",
        "secret_id",
        "provider",
        "service_account_id",
        "project_id",
        "query",
        "query.filter",
        "query.filter_or",
        "query.sort",
        "query.sort.key",
        "query.sort.desc",
        "query.sort.keys",
        "query.page",
        "query.page.start",
        "query.page.limit",
        "query.minimal",
        "query.count_only",
        "query.only",
        "query.keyword",
        "grpc-timeout",
        "x-request-timeout",
    }


def test_get_takes_the_id_in_the_path_and_only_repeated(document: dict[str, Any]) -> None:
    parameters = document["paths"]["/inventory/v1/job-task/{job_task_id}"]["get"]["parameters"]

    assert parameters[0] == {
        "name": "job_task_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    only = next(p for p in parameters if p["name"] == "only")
    assert only["schema"] == {"type": "array", "items": {"type": "string"}}
    assert only["explode"] is True


def test_bodies_and_answers_reference_the_rpcs_messages(document: dict[str, Any]) -> None:
    stat = document["paths"]["/inventory/v1/job-tasks/stat"]["post"]

    assert stat["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/spaceone.api.inventory.v1.JobTaskStatQuery"
    }
    assert stat["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "object"
    assert {p["name"] for p in stat["parameters"]} == {
        "grpc-timeout",
        "x-request-timeout",
        "timezone",
    }
    delete = document["paths"]["/inventory/v1/job-task/{job_task_id}"]["delete"]
    assert delete["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "object",
        "maxProperties": 0,
    }


def test_the_api_documents_response_example_is_exactly_the_answer_shape() -> None:
    message = to_message(API_DOCUMENT_EXAMPLE, job_task_pb2.JobTasksInfo, "example")

    assert to_json(message) == API_DOCUMENT_EXAMPLE


def test_every_rpc_of_the_service_has_a_binding_and_a_handler() -> None:
    rpcs = {m.name for m in job_task_pb2.DESCRIPTOR.services_by_name["JobTask"].methods}

    assert {b.rpc for b in BINDINGS} == rpcs
    for rpc in rpcs:
        assert callable(getattr(JobTaskRpcs, rpc))


def test_the_statuses_the_edge_answers_a_body_with_are_documented(
    serve: Serve, service: JobTaskService
) -> None:
    http = serve(service, max_body_bytes=100, read_timeout=0.5)
    port = http.base_url.port
    assert port is not None
    path = "/inventory/v1/job-tasks/search"
    document = http.get("/openapi.json").json()
    error = {"$ref": "#/components/schemas/Error"}

    unsupported = http.post(path, content=b"{}", headers={"content-type": "text/plain"})
    too_large = http.post(path, json={"domain_id": "d" * 200})
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{{".encode())
        late = sock.recv(4096)

    answered = [unsupported.status_code, too_large.status_code, int(late.split()[1])]
    assert answered == [415, 413, 408]
    for route in ("/inventory/v1/job-tasks/search", "/inventory/v1/job-tasks/stat"):
        responses = document["paths"][route]["post"]["responses"]
        for status in answered:
            assert responses[str(status)]["content"]["application/json"]["schema"] == error
    # Without a body there is nothing to refuse these for.
    for route, method in (
        ("/inventory/v1/job-tasks", "get"),
        ("/inventory/v1/job-task/{job_task_id}", "delete"),
    ):
        assert set(document["paths"][route][method]["responses"]) == {"200", "default"}
