"""The HTTP/JSON interface against the wire-protocol database: every path, every error class, and
the same answers as gRPC for the same requests (both servers over one repository)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf import json_format

from jobtask import protojson
from jobtask.auth.security import load_security
from jobtask.edges.http.server import HttpServer
from jobtask.services.reads import JobTaskService
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository
from spaceone.api.inventory.v1 import job_task_pb2, job_task_pb2_grpc
from tests.support.dataset import DOMAIN, FULL_VIEW_OF_FIRST, OTHER_DOMAIN, TASKS, tasks_in
from tests.support.edges import build_http_server

TASK = "job_task-3f9c0a1b2c4d"
GET = "/inventory/v1/job-task/{}"
LIST = "/inventory/v1/job-tasks"
SEARCH = "/inventory/v1/job-tasks/search"
STAT = "/inventory/v1/job-tasks/stat"


def _start(settings: Settings, service: JobTaskService) -> HttpServer:
    local = settings.model_copy(update={"http_host": "127.0.0.1", "http_port": 0})
    server = build_http_server(local, service, security=load_security(local))
    server.start()
    return server


@pytest.fixture
def http_server(settings: Settings, repository: MongoJobTaskRepository) -> Iterator[HttpServer]:
    server = _start(settings, JobTaskService(repository, max_page_size=settings.max_page_size))
    yield server
    server.stop(grace=1)


@pytest.fixture
def http(http_server: HttpServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"http://127.0.0.1:{http_server.port}", timeout=15) as client:
        yield client


@pytest.fixture
def stub(channel: grpc.Channel) -> job_task_pb2_grpc.JobTaskStub:
    """The project's own generated stub, against the gRPC server on the same repository."""
    return job_task_pb2_grpc.JobTaskStub(channel)


def _grpc(call: Any, request: Any, metadata: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    """The gRPC answer in the HTTP edge's JSON (tested on its own in test_protojson.py)."""
    return protojson.to_dict(call(request, timeout=15, metadata=metadata))


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def _error(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


# -- the same answers as gRPC -----------------------------------------------------------------


@pytest.mark.parametrize("only", [[], ["status", "errors.error_code"], ["created_at"]])
def test_get_answers_what_grpc_answers(
    http: httpx.Client, stub: Any, seeded: Any, only: list[str]
) -> None:
    request = job_task_pb2.GetJobTaskRequest(job_task_id=TASK, domain_id=DOMAIN, only=only)

    repeated = _ok(
        http.get(GET.format(TASK), params=(("domain_id", DOMAIN), *(("only", o) for o in only)))
    )
    commas = _ok(http.get(GET.format(TASK), params={"domain_id": DOMAIN, "only": ",".join(only)}))

    assert repeated == commas == _grpc(stub.get, request)


def test_get_renders_the_api_documents_shape(http: httpx.Client, seeded: Any) -> None:
    task = _ok(http.get(GET.format(TASK), params={"domain_id": DOMAIN}))

    assert task == FULL_VIEW_OF_FIRST


LIST_QUERIES: list[dict[str, Any]] = [
    {"domain_id": DOMAIN},
    {"domain_id": DOMAIN, "status": "FAILURE"},
    {"domain_id": DOMAIN, "provider": "aws", "job_id": "job-000000000001"},
    {
        "domain_id": DOMAIN,
        "query": {
            "filter": [
                {"k": "provider", "v": ["aws", "google_cloud"], "o": "in"},
                {"key": "created_at", "value": "2023-01-06", "operator": "datetime_gte"},
            ],
            "sort": {"key": "created_at", "desc": True},
            "page": {"start": 2, "limit": 2},
        },
    },
    {
        "domain_id": DOMAIN,
        "query": {
            "filter_or": [
                {"k": "status", "v": "PENDING", "o": "eq"},
                {"k": "errors", "v": {"error_code": "ERROR_QUOTA"}, "o": "match"},
            ],
            "sort": {"keys": [{"key": "provider"}, {"key": "created_count", "desc": True}]},
        },
    },
    {"domain_id": DOMAIN, "query": {"minimal": True, "page": {"limit": 3}}},
    {"domain_id": DOMAIN, "query": {"only": ["job_task_id", "errors.message"], "keyword": "aaaa"}},
    {"domain_id": DOMAIN, "query": {"count_only": True}},
    {"domain_id": "domain-nobody"},
]


@pytest.mark.parametrize("body", LIST_QUERIES)
def test_search_answers_what_grpc_list_answers(
    http: httpx.Client, stub: Any, seeded: Any, body: dict[str, Any]
) -> None:
    request = json_format.ParseDict(body, job_task_pb2.JobTaskQuery())

    assert _ok(http.post(SEARCH, json=body)) == _grpc(stub.list, request)


@pytest.mark.parametrize("body", LIST_QUERIES)
def test_list_by_get_answers_what_search_answers(
    http: httpx.Client, seeded: Any, body: dict[str, Any]
) -> None:
    params = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in body.items()}

    assert _ok(http.get(LIST, params=params)) == _ok(http.post(SEARCH, json=body))


def test_list_by_get_with_dotted_parameters(http: httpx.Client, stub: Any, seeded: Any) -> None:
    params = (
        ("domain_id", DOMAIN),
        ("query.sort.key", "created_at"),
        ("query.sort.desc", "false"),
        ("query.page.limit", "3"),
        ("query.only", "job_task_id,created_at"),
        ("query.filter", json.dumps({"k": "provider", "v": "aws", "o": "eq"})),
    )
    request = job_task_pb2.JobTaskQuery(domain_id=DOMAIN)
    request.query.sort.key = "created_at"
    request.query.page.limit = 3
    request.query.only.extend(["job_task_id", "created_at"])
    request.query.filter.add(k="provider", o="eq").v.string_value = "aws"

    answer = _ok(http.get(LIST, params=params))

    assert answer == _grpc(stub.list, request)
    aws = sorted(
        (t for t in tasks_in() if t["provider"] == "aws"),
        key=lambda t: (t["created_at"], t["job_task_id"]),
    )
    assert [t["job_task_id"] for t in answer["results"]] == [t["job_task_id"] for t in aws[:3]]
    assert answer["total_count"] == len(aws)


STAT_QUERIES: list[dict[str, Any]] = [
    {
        "aggregate": [
            {
                "group": {
                    "keys": [{"key": "status", "name": "status"}],
                    "fields": [{"operator": "count", "name": "tasks"}],
                }
            },
            {"sort": {"keys": [{"key": "tasks", "desc": True}, {"key": "status"}]}},
        ]
    },
    {
        "filter": [{"k": "status", "v": "FAILURE", "o": "eq"}],
        "aggregate": [
            {
                "group": {
                    "keys": [
                        {"key": "provider", "name": "provider"},
                        {"key": "created_at", "name": "day", "date_format": "%Y-%m-%d"},
                    ],
                    "fields": [{"operator": "sum", "key": "failure_count", "name": "failed"}],
                }
            },
            {"sort": {"keys": [{"key": "day"}, {"key": "provider"}]}},
        ],
    },
    {"distinct": "provider"},
    {"distinct": "errors.error_code", "page": {"start": 1, "limit": 2}},
    {"aggregate": [{"count": {"name": "n"}}]},
]


@pytest.mark.parametrize("query", STAT_QUERIES)
@pytest.mark.parametrize("timezone", ["", "Asia/Seoul"])
def test_stat_answers_what_grpc_answers(
    http: httpx.Client, stub: Any, seeded: Any, query: dict[str, Any], timezone: str
) -> None:
    body = {"domain_id": DOMAIN, "query": query}
    request = json_format.ParseDict(body, job_task_pb2.JobTaskStatQuery())
    metadata = (("timezone", timezone),) if timezone else ()
    headers = {"timezone": timezone} if timezone else {}

    assert _ok(http.post(STAT, json=body, headers=headers)) == _grpc(stub.stat, request, metadata)


def test_the_timezone_header_moves_day_buckets(http: httpx.Client, seeded: Any) -> None:
    # 2023-01-05 09:00:00.120 UTC is already the 5th in Seoul, 23:00 on the 4th in Honolulu.
    body = {
        "domain_id": DOMAIN,
        "query": {
            "filter": [{"k": "job_task_id", "v": TASK, "o": "eq"}],
            "aggregate": [
                {
                    "group": {
                        "keys": [{"key": "created_at", "name": "day", "date_format": "%Y-%m-%d"}]
                    }
                }
            ],
        },
    }

    days = {
        zone: _ok(http.post(STAT, json=body, headers={"timezone": zone}))["results"][0]["day"]
        for zone in ("Asia/Seoul", "Pacific/Honolulu")
    }

    assert days == {"Asia/Seoul": "2023-01-05", "Pacific/Honolulu": "2023-01-04"}


def test_delete_answers_an_empty_object_and_the_task_is_gone_for_both(
    http: httpx.Client, stub: Any, seeded: Any
) -> None:
    deleted = http.delete(GET.format(TASK), params={"domain_id": DOMAIN})

    assert _ok(deleted) == {}
    assert http.get(GET.format(TASK), params={"domain_id": DOMAIN}).status_code == 404
    with pytest.raises(grpc.RpcError) as raised:
        stub.get(job_task_pb2.GetJobTaskRequest(job_task_id=TASK, domain_id=DOMAIN), timeout=15)
    assert raised.value.code() is grpc.StatusCode.NOT_FOUND
    assert seeded.count_documents({}) == len(TASKS) - 1


def test_delete_reaches_only_the_callers_domain(http: httpx.Client, seeded: Any) -> None:
    others = "job_task-bbbb00000001"

    response = http.delete(GET.format(others), params={"domain_id": DOMAIN})

    assert response.status_code == 404
    assert seeded.count_documents({"job_task_id": others}) == 1


# -- errors: the HTTP status of the gRPC code, the same code and message ------------------------


BAD_REQUESTS: list[tuple[str, dict[str, Any], str]] = [
    (
        "unknown operator",
        {"domain_id": DOMAIN, "query": {"filter": [{"k": "provider", "v": "x", "o": "like"}]}},
        "ERROR_UNSUPPORTED_OPERATOR",
    ),
    (
        "unknown field",
        {"domain_id": DOMAIN, "query": {"filter": [{"k": "color", "v": "x", "o": "eq"}]}},
        "ERROR_INVALID_PARAMETER",
    ),
    (
        "list for eq",
        {"domain_id": DOMAIN, "query": {"filter": [{"k": "provider", "v": ["a"], "o": "eq"}]}},
        "ERROR_OPERATOR_VALUE_TYPE",
    ),
    (
        "bad timediff",
        {
            "domain_id": DOMAIN,
            "query": {"filter": [{"k": "created_at", "v": "yesterday", "o": "timediff_gte"}]},
        },
        "ERROR_INVALID_PARAMETER",
    ),
    (
        "page over the maximum",
        {"domain_id": DOMAIN, "query": {"page": {"limit": 51}}},
        "ERROR_INVALID_PARAMETER",
    ),
    ("no domain", {}, "ERROR_REQUIRED_PARAMETER"),
]


@pytest.mark.parametrize(
    ("body", "code"), [(b, c) for _, b, c in BAD_REQUESTS], ids=[i for i, _, _ in BAD_REQUESTS]
)
def test_a_bad_filter_is_400_with_the_code_and_message_grpc_sends(
    http: httpx.Client, stub: Any, seeded: Any, body: dict[str, Any], code: str
) -> None:
    response = http.post(SEARCH, json=body)
    with pytest.raises(grpc.RpcError) as raised:
        stub.list(json_format.ParseDict(body, job_task_pb2.JobTaskQuery()), timeout=15)

    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == code
    assert error["status"] == raised.value.code().name == "INVALID_ARGUMENT"
    assert f"{error['code']}: {error['message']}" == raised.value.details()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"domain_id": ', "not valid JSON"),
        (b'{"domain_id": "d", "colour": "red"}', 'has no field named "colour"'),
        (b'{"domain_id": 42}', "domain_id"),
        (b'{"domain_id": "d", "query": {"page": {"limit": "ten"}}}', "limit"),
        (b'{"domain_id": "d", "status": "FINISHED"}', "status"),
        (b'["domain_id"]', "must be a JSON object"),
    ],
    ids=["malformed", "unknown field", "wrong type", "wrong nested type", "unknown enum", "array"],
)
def test_a_body_that_is_not_the_message_is_400(
    http: httpx.Client, content: bytes, reason: str
) -> None:
    response = http.post(SEARCH, content=content, headers={"content-type": "application/json"})

    assert response.status_code == 400
    assert _error(response)["code"] == "ERROR_INVALID_PARAMETER"
    assert _error(response)["status"] == "INVALID_ARGUMENT"
    assert reason in _error(response)["message"]


def test_a_bad_query_parameter_is_400(http: httpx.Client) -> None:
    unknown = http.get(LIST, params={"domain_id": DOMAIN, "colour": "red"})
    wrong_type = http.get(LIST, params={"domain_id": DOMAIN, "query.page.limit": "ten"})
    bad_json = http.get(LIST, params={"domain_id": DOMAIN, "query": "{"})

    for response in (unknown, wrong_type, bad_json):
        assert response.status_code == 400
        assert _error(response)["code"] == "ERROR_INVALID_PARAMETER"


def test_a_stat_mistake_is_400_like_grpc(http: httpx.Client, stub: Any, seeded: Any) -> None:
    body = {
        "domain_id": DOMAIN,
        "query": {"aggregate": [{"group": {"keys": [{"key": "nope", "name": "n"}]}}]},
    }
    response = http.post(STAT, json=body)
    with pytest.raises(grpc.RpcError) as raised:
        stub.stat(json_format.ParseDict(body, job_task_pb2.JobTaskStatQuery()), timeout=15)

    assert response.status_code == 400
    assert f"{_error(response)['code']}: {_error(response)['message']}" == raised.value.details()


def test_an_unknown_timezone_header_is_400(http: httpx.Client, seeded: Any) -> None:
    body = {"domain_id": DOMAIN, "query": {"distinct": "provider"}}

    response = http.post(STAT, json=body, headers={"timezone": "Mars/Olympus"})

    assert response.status_code == 400
    assert "timezone" in _error(response)["message"]


def test_a_missing_task_is_404_for_get_and_delete(http: httpx.Client, seeded: Any) -> None:
    for response in (
        http.get(GET.format("job_task-000000000000"), params={"domain_id": DOMAIN}),
        http.delete(GET.format("job_task-000000000000"), params={"domain_id": DOMAIN}),
        http.get(GET.format("job_task-bbbb00000001"), params={"domain_id": DOMAIN}),
    ):
        assert response.status_code == 404
        assert _error(response)["code"] == "ERROR_NOT_FOUND"
        assert _error(response)["status"] == "NOT_FOUND"


def test_a_passed_deadline_is_504(http: httpx.Client, seeded: Any) -> None:
    response = http.get(LIST, params={"domain_id": DOMAIN}, headers={"grpc-timeout": "1n"})

    assert response.status_code == 504
    assert _error(response)["code"] == "ERROR_DB_TIMEOUT"
    assert _error(response)["status"] == "DEADLINE_EXCEEDED"


def test_an_unreachable_database_is_503_quickly(
    settings: Settings, unreachable_repository: MongoJobTaskRepository
) -> None:
    server = _start(settings, JobTaskService(unreachable_repository, max_page_size=10))
    try:
        started = time.monotonic()
        response = httpx.get(
            f"http://127.0.0.1:{server.port}{LIST}", params={"domain_id": DOMAIN}, timeout=10
        )
        elapsed = time.monotonic() - started
    finally:
        server.stop(grace=0)

    assert response.status_code == 503
    assert _error(response)["code"] == "ERROR_DB_UNAVAILABLE"
    assert _error(response)["status"] == "UNAVAILABLE"
    assert elapsed < 8


def test_health_and_the_document_are_served(http: httpx.Client) -> None:
    assert _ok(http.get("/healthz")) == {"status": "SERVING"}
    assert _ok(http.get("/openapi.json"))["openapi"] == "3.1.0"


def test_other_domains_tasks_never_appear(http: httpx.Client, seeded: Any) -> None:
    body = {
        "domain_id": DOMAIN,
        "query": {"filter_or": [{"k": "domain_id", "v": OTHER_DOMAIN, "o": "eq"}]},
    }

    answer = _ok(http.post(SEARCH, json=body))

    assert answer.get("total_count", 0) == 0
    assert _ok(http.post(SEARCH, json={"domain_id": DOMAIN}))["total_count"] == len(tasks_in())


def test_a_count_of_nothing_is_total_count_zero_not_an_empty_object(
    http: httpx.Client, seeded: Any
) -> None:
    query = {"filter": [{"k": "provider", "v": "nobody", "o": "eq"}], "count_only": True}
    assert _ok(http.post(SEARCH, json={"domain_id": DOMAIN, "query": query})) == {"total_count": 0}
    assert _ok(http.get(LIST, params={"domain_id": DOMAIN, "provider": "nobody"})) == {
        "total_count": 0
    }


def test_integral_stat_numbers_are_integers_as_grpcurl_shows_them(
    http: httpx.Client, seeded: Any
) -> None:
    group = {
        "keys": [{"key": "status", "name": "status"}],
        "fields": [
            {"operator": "count", "name": "tasks"},
            {"operator": "sum", "key": "updated_count", "name": "updated"},
            {"operator": "average", "key": "updated_count", "name": "mean"},
        ],
    }
    body = {"domain_id": DOMAIN, "query": {"aggregate": [{"group": group}]}}
    rows = _ok(http.post(STAT, json=body))["results"]

    mine = tasks_in()
    for row in rows:
        of_status = [t["updated_count"] for t in mine if t["status"] == row["status"]]
        assert type(row["tasks"]) is int and row["tasks"] == len(of_status)
        assert type(row["updated"]) is int and row["updated"] == sum(of_status)
        mean = sum(of_status) / len(of_status)
        assert row["mean"] == mean and type(row["mean"]) is (int if mean.is_integer() else float)
    assert any(type(row["mean"]) is float for row in rows), "the dataset has a fractional mean"


def test_the_unknown_field_error_names_fields_as_requests_do(http: httpx.Client) -> None:
    body = {"domain_id": DOMAIN, "query": {"count_onlyy": True}}
    message = _error(http.post(SEARCH, json=body))["message"]

    assert 'no field named "count_onlyy"' in message
    assert "count_only" in message.replace("count_onlyy", "")
    assert "countOnly" not in message and "filterOr" not in message
