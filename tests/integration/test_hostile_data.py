"""Hostile data over the real edges (gRPC and HTTP): values no answer can carry are refused on
write with nothing stored, stored documents of any shape are still rendered, no value can crash a
call, and no answer echoes the database's internals or another domain's existence."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import bson
import grpc
import httpx
import pytest
from bson import DatetimeMS
from bson.raw_bson import RawBSONDocument

from jobtask.auth.security import load_security
from jobtask.edges.http.server import HttpServer
from jobtask.services.collector import WriterLimits
from jobtask.services.reads import JobTaskService
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository
from jobtask_internal.v1 import job_task_writer_pb2 as w
from jobtask_internal.v1 import job_task_writer_pb2_grpc
from spaceone.api.inventory.v1 import collector_pb2
from tests.support import hostile
from tests.support.edges import build_http_server
from tests.support.independent_client import IndependentJobTaskClient

DOMAIN = "domain-hostile00001"
OTHER = "domain-hostile00002"
INT32_MAX = 2**31 - 1
GET = "/inventory/v1/job-task/{}"
SEARCH = "/inventory/v1/job-tasks/search"
STAT = "/inventory/v1/job-tasks/stat"


@pytest.fixture
def grpc_channel(serve_with_writer: Callable[..., grpc.Channel]) -> grpc.Channel:
    return serve_with_writer(WriterLimits())


@pytest.fixture
def writer(grpc_channel: grpc.Channel) -> job_task_writer_pb2_grpc.JobTaskWriterStub:
    return job_task_writer_pb2_grpc.JobTaskWriterStub(grpc_channel)


@pytest.fixture
def reader(grpc_channel: grpc.Channel) -> IndependentJobTaskClient:
    return IndependentJobTaskClient(grpc_channel)


@pytest.fixture
def http(settings: Settings, repository: MongoJobTaskRepository) -> Iterator[httpx.Client]:
    local = settings.model_copy(update={"http_host": "127.0.0.1", "http_port": 0})
    server: HttpServer = build_http_server(
        local, JobTaskService(repository, max_page_size=50), security=load_security(local)
    )
    server.start()
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=15) as client:
        yield client
    server.stop(grace=1)


def _rejected(call: Any, request: Any, **options: Any) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call(request, timeout=10, **options)
    return raised.value


def _started(writer: Any, job_task_id: str = "", domain_id: str = DOMAIN) -> str:
    task = writer.create(
        w.CreateJobTaskRequest(domain_id=domain_id, job_id="job-1", job_task_id=job_task_id),
        timeout=10,
    )
    writer.start(w.JobTaskRef(job_task_id=task.job_task_id, domain_id=domain_id), timeout=10)
    return str(task.job_task_id)


def _report(writer: Any, task_id: str, **fields: Any) -> Any:
    return writer.report(
        w.ReportProgressRequest(job_task_id=task_id, domain_id=DOMAIN, **fields), timeout=10
    )


def _http_error(response: httpx.Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


# ---------------------------------------------------------------------------------------------
# Counters: int32 on the wire


def test_a_report_that_would_overflow_a_counter_is_refused_and_stores_nothing(
    writer: Any, reader: IndependentJobTaskClient, raw_collection: Any
) -> None:
    task_id = _started(writer)
    _report(writer, task_id, created_count=INT32_MAX)

    error = _rejected(
        writer.report,
        w.ReportProgressRequest(
            job_task_id=task_id,
            domain_id=DOMAIN,
            created_count=1,
            errors=[collector_pb2.ErrorInfo(error_code="ERROR_X", message="lost")],
        ),
    )

    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "created_count" in error.details()
    stored = raw_collection.find_one({"job_task_id": task_id})
    assert stored["created_count"] == INT32_MAX
    assert stored["errors"] == [] and stored["reported_error_count"] == 0
    assert reader.get({"job_task_id": task_id, "domain_id": DOMAIN})["created_count"] == INT32_MAX


def test_concurrent_reports_never_push_a_counter_past_int32(
    writer: Any, raw_collection: Any
) -> None:
    task_id = _started(writer)
    _report(writer, task_id, updated_count=INT32_MAX - 5)

    def one() -> grpc.StatusCode:
        try:
            _report(writer, task_id, updated_count=2)
        except grpc.RpcError as error:
            return error.code()
        return grpc.StatusCode.OK

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: one(), range(8)))

    assert codes.count(grpc.StatusCode.OK) == 2
    assert set(codes) == {grpc.StatusCode.OK, grpc.StatusCode.FAILED_PRECONDITION}
    assert raw_collection.find_one({"job_task_id": task_id})["updated_count"] == INT32_MAX - 1


POISONED_COUNTERS: list[tuple[Any, int | None]] = [
    (2**31, INT32_MAX),
    (2**40, INT32_MAX),
    (-(2**40), -(2**31)),
    (1e300, INT32_MAX),
    (float("nan"), None),
    (float("inf"), INT32_MAX),
    (3.7, 3),
    ("12", None),
    ([1, 2], None),
    ({"$numberLong": "5"}, None),
    (True, None),
]


@pytest.mark.parametrize(("stored", "rendered"), POISONED_COUNTERS, ids=repr)
def test_a_stored_counter_of_any_type_or_size_still_renders(
    raw_collection: Any,
    reader: IndependentJobTaskClient,
    http: httpx.Client,
    stored: Any,
    rendered: int | None,
) -> None:
    raw_collection.insert_one(
        {"job_task_id": "job_task-poisoned0001", "domain_id": DOMAIN, "created_count": stored}
    )
    ref = {"job_task_id": "job_task-poisoned0001", "domain_id": DOMAIN}

    got = reader.get(ref)
    listed = reader.list({"domain_id": DOMAIN})["results"]
    over_http = httpx_ok(http.get(GET.format(ref["job_task_id"]), params={"domain_id": DOMAIN}))

    # proto3 leaves a zero out of the JSON; None: rendered as not set (absent) too.
    expected = {"created_count": rendered} if rendered else {}
    for answer in (got, listed[0], over_http):
        assert {k: v for k, v in answer.items() if k == "created_count"} == expected


def httpx_ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def test_a_stored_document_of_wrong_types_everywhere_still_renders(
    raw_collection: Any, reader: IndependentJobTaskClient, http: httpx.Client
) -> None:
    raw_collection.insert_one(
        {
            "job_task_id": "job_task-poisoned0002",
            "domain_id": DOMAIN,
            "status": 5,
            "job_id": 12,
            "provider": {"a": 1},
            "created_at": "yesterday",
            "started_at": 17,
            "finished_at": DatetimeMS(2**60),
            "errors": [
                {"error_code": 5, "message": ["x"], "additional": {"n": float("nan")}},
                "not an error",
                {"additional": {"big": 2**62, "inf": float("-inf"), "ok": "yes"}},
            ],
        }
    )
    ref = {"job_task_id": "job_task-poisoned0002", "domain_id": DOMAIN}

    got = reader.get(ref)
    over_http = httpx_ok(http.get(GET.format(ref["job_task_id"]), params={"domain_id": DOMAIN}))
    listed = reader.list({"domain_id": DOMAIN})["results"][0]
    stat = reader.stat(
        {
            "domain_id": DOMAIN,
            "query": {
                "aggregate": [
                    {"unwind": {"path": "errors"}},
                    {
                        "group": {
                            "keys": [{"key": "errors.additional", "name": "a"}],
                            "fields": [{"operator": "count", "name": "n"}],
                        }
                    },
                ]
            },
        }
    )

    assert got == over_http == listed
    assert got["job_task_id"] == "job_task-poisoned0002"
    assert "status" not in got and "created_at" not in got
    assert "job_id" not in got and "provider" not in got and "finished_at" not in got
    assert got["errors"][0] == {"additional": {"n": None}}
    assert got["errors"][1]["additional"] == {"big": float(2**62), "inf": None, "ok": "yes"}
    assert stat["results"]


def test_a_stored_string_that_is_not_utf8_still_renders(
    raw_collection: Any, reader: IndependentJobTaskClient, http: httpx.Client
) -> None:
    document = bson.encode(
        {"job_task_id": "job_task-poisoned0003", "domain_id": DOMAIN, "provider": "PLACEHOLDER"}
    )
    raw_collection.insert_one(
        RawBSONDocument(document.replace(b"PLACEHOLDER", b"bad\xff\xfe-utf8x"))
    )
    ref = {"job_task_id": "job_task-poisoned0003", "domain_id": DOMAIN}

    got = reader.get(ref)
    over_http = httpx_ok(http.get(GET.format(ref["job_task_id"]), params={"domain_id": DOMAIN}))

    assert got == over_http
    assert got["provider"].startswith("bad") and got["provider"].endswith("-utf8x")


# ---------------------------------------------------------------------------------------------
# Nesting of `additional`


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": "x"}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def _error_with(additional: dict[str, Any]) -> collector_pb2.ErrorInfo:
    error = collector_pb2.ErrorInfo(error_code="ERROR_X", message="m")
    error.additional.update(additional)
    return error


def test_additional_nested_past_the_limit_is_refused_on_write(
    writer: Any, raw_collection: Any
) -> None:
    task_id = _started(writer)

    error = _rejected(
        writer.report,
        w.ReportProgressRequest(
            job_task_id=task_id, domain_id=DOMAIN, errors=[_error_with(_nested(32))]
        ),
    )

    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "errors[0].additional" in error.details()
    assert raw_collection.find_one({"job_task_id": task_id})["errors"] == []


def test_a_deeply_nested_stored_document_is_rendered_cut_to_the_limit(
    raw_collection: Any, reader: IndependentJobTaskClient, http: httpx.Client
) -> None:
    raw_collection.insert_one(
        {
            "job_task_id": "job_task-deep00000001",
            "domain_id": DOMAIN,
            "errors": [{"error_code": "E", "message": "m", "additional": _nested(60)}],
        }
    )
    query = {
        "aggregate": [
            {"unwind": {"path": "errors"}},
            {
                "group": {
                    "keys": [{"key": "errors.additional", "name": "a"}],
                    "fields": [{"operator": "push", "key": "errors", "name": "all"}],
                }
            },
        ]
    }

    listed = reader.list({"domain_id": DOMAIN})["results"][0]
    stat = reader.stat({"domain_id": DOMAIN, "query": query})
    over_http = httpx_ok(http.post(STAT, json={"domain_id": DOMAIN, "query": query}))

    assert over_http == stat
    depth, value = 0, listed["errors"][0]["additional"]
    while isinstance(value, dict) and "a" in value:
        depth, value = depth + 1, value["a"]
    assert depth < 30
    assert stat["results"]


# ---------------------------------------------------------------------------------------------
# Keys of `additional`


@pytest.mark.parametrize("key", ["a\x00b", "$where", "a.b", "$", ""], ids=repr)
def test_an_additional_key_mongodb_cannot_store_unambiguously_is_invalid_argument(
    writer: Any, raw_collection: Any, key: str
) -> None:
    task_id = _started(writer)

    error = _rejected(
        writer.report,
        w.ReportProgressRequest(
            job_task_id=task_id,
            domain_id=DOMAIN,
            errors=[_error_with({"ok": {key: 1}})],
        ),
    )

    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "errors[0].additional" in error.details()
    assert raw_collection.find_one({"job_task_id": task_id})["errors"] == []


# ---------------------------------------------------------------------------------------------
# Numbers that are not numbers


NON_FINITE_QUERIES: list[dict[str, Any]] = [
    {"filter": [{"k": "provider", "v": float("nan"), "o": "eq"}]},
    {"filter": [{"k": "created_count", "v": float("inf"), "o": "gte"}]},
    {"filter": [{"k": "provider", "v": ["a", float("-inf")], "o": "in"}]},
    {"filter": [{"k": "errors", "v": {"additional": {"x": [float("nan")]}}, "o": "match"}]},
    {"filter": [{"k": "errors.additional", "v": {"n": float("inf")}, "o": "eq"}]},
]


@pytest.mark.parametrize("query", NON_FINITE_QUERIES, ids=repr)
def test_nan_or_infinity_in_a_filter_is_invalid_argument(
    reader: IndependentJobTaskClient, query: dict[str, Any]
) -> None:
    error = _rejected(reader.list, {"domain_id": DOMAIN, "query": query})

    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "finite" in error.details()


def test_nan_in_a_stat_sub_condition_is_invalid_argument(
    reader: IndependentJobTaskClient,
) -> None:
    query = {
        "aggregate": [
            {
                "group": {
                    "fields": [
                        {
                            "operator": "count",
                            "name": "n",
                            "conditions": [{"k": "created_count", "v": float("nan"), "o": "eq"}],
                        }
                    ]
                }
            }
        ]
    }

    error = _rejected(reader.stat, {"domain_id": DOMAIN, "query": query})

    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "finite" in error.details()


def test_nan_in_a_writer_additional_is_invalid_argument(writer: Any, raw_collection: Any) -> None:
    task_id = _started(writer)

    error = _rejected(
        writer.report,
        w.ReportProgressRequest(
            job_task_id=task_id, domain_id=DOMAIN, errors=[_error_with({"n": float("nan")})]
        ),
    )

    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert raw_collection.find_one({"job_task_id": task_id})["errors"] == []


@pytest.mark.parametrize(
    "body",
    [
        '{"domain_id": "%s", "query": {"filter": [{"k": "provider", "v": 1e400, "o": "eq"}]}}',
        '{"domain_id": "%s", "query": {"filter": [{"k": "created_count", "v": [-1e999],'
        ' "o": "in"}]}}',
        '{"domain_id": "%s", "query": {"aggregate": [{"group": {"fields": [{"operator": "count",'
        ' "name": "n", "conditions": [{"k": "created_count", "v": 1e400, "o": "eq"}]}]}}]}}',
    ],
)
def test_a_json_number_too_large_for_a_double_is_400(http: httpx.Client, body: str) -> None:
    path = STAT if "aggregate" in body else SEARCH
    response = http.post(path, content=body % DOMAIN, headers={"content-type": "application/json"})

    assert _http_error(response)["status"] == "INVALID_ARGUMENT"


# ---------------------------------------------------------------------------------------------
# Operands of `match`


@pytest.mark.parametrize("value", hostile.MISTYPED_MATCH_OPERANDS, ids=repr)
def test_a_match_operand_of_the_wrong_type_is_invalid_argument(
    reader: IndependentJobTaskClient, http: httpx.Client, value: dict[str, Any]
) -> None:
    query = {"filter": [{"k": "errors", "v": value, "o": "match"}]}

    error = _rejected(reader.list, {"domain_id": DOMAIN, "query": query})
    over_http = _http_error(http.post(SEARCH, json={"domain_id": DOMAIN, "query": query}))

    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert over_http["status"] == "INVALID_ARGUMENT"
    assert over_http["message"] == error.details().split(": ", 1)[1]


# ---------------------------------------------------------------------------------------------
# The database's internals never reach a client


LEAKY_STATS: list[tuple[dict[str, Any], str]] = [
    (
        {
            "aggregate": [
                {"project": {"fields": [{"key": "provider", "name": "p", "operator": "size"}]}}
            ]
        },
        "size",
    ),
    (
        {
            "aggregate": [
                {
                    "group": {
                        "keys": [{"key": "created_at", "name": "d", "date_format": "%Q"}],
                        "fields": [{"operator": "count", "name": "n"}],
                    }
                }
            ]
        },
        "date_format",
    ),
]


@pytest.mark.parametrize(("query", "named"), LEAKY_STATS, ids=["size", "date_format"])
def test_a_stat_the_database_rejects_says_what_was_wrong_without_its_internals(
    seeded_one: None,
    reader: IndependentJobTaskClient,
    http: httpx.Client,
    query: dict[str, Any],
    named: str,
) -> None:
    error = _rejected(reader.stat, {"domain_id": DOMAIN, "query": query})
    over_http = _http_error(http.post(STAT, json={"domain_id": DOMAIN, "query": query}))

    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert over_http["message"] == error.details().split(": ", 1)[1]
    for internal in ("full error", "$err", "PlanExecutor", "errmsg", "code"):
        assert internal not in error.details()
    assert named in error.details()


@pytest.fixture
def seeded_one(raw_collection: Any) -> None:
    raw_collection.insert_one(
        {
            "job_task_id": "job_task-seeded000001",
            "domain_id": DOMAIN,
            "provider": "aws",
            "status": "SUCCESS",
            "created_at": datetime(2023, 1, 5),
            "errors": [],
        }
    )


def test_a_date_format_longer_than_the_limit_is_invalid_argument(
    reader: IndependentJobTaskClient,
) -> None:
    query = {
        "aggregate": [
            {
                "group": {
                    "keys": [{"key": "created_at", "name": "d", "date_format": "%Y" * 5000}],
                    "fields": [{"operator": "count", "name": "n"}],
                }
            }
        ]
    }

    error = _rejected(reader.stat, {"domain_id": DOMAIN, "query": query})

    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "date_format" in error.details()


# ---------------------------------------------------------------------------------------------
# Echoed values and pages


@pytest.mark.parametrize("character", ["a", "é", "\U0001f600"])
def test_a_huge_job_task_id_is_not_found_with_a_bounded_message(
    reader: IndependentJobTaskClient, http: httpx.Client, writer: Any, character: str
) -> None:
    huge = "job_task-" + character * 20_000

    got = _rejected(reader.get, {"job_task_id": huge, "domain_id": DOMAIN})
    deleted = _rejected(reader.delete, {"job_task_id": huge, "domain_id": DOMAIN})
    started = _rejected(writer.start, w.JobTaskRef(job_task_id=huge, domain_id=DOMAIN))
    # (a URL's path is bounded by the client: 3000 characters, up to 36 KB percent-encoded)
    path = GET.format(huge[:3000])
    over_http = _http_error(http.get(path, params={"domain_id": DOMAIN}), status=404)

    assert got.code() is deleted.code() is started.code() is grpc.StatusCode.NOT_FOUND
    for details in (got.details(), deleted.details(), started.details(), over_http["message"]):
        assert len(details) < 1000


def test_a_huge_filter_value_is_not_echoed_whole(reader: IndependentJobTaskClient) -> None:
    value = {"x" * 5000: ["\u00e9" * 5000]}

    error = _rejected(
        reader.list,
        {"domain_id": DOMAIN, "query": {"filter": [{"k": "provider", "v": value, "o": "in"}]}},
    )

    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert len(error.details()) < 1000


def test_a_page_start_past_int32_is_invalid_argument(
    seeded_one: None, reader: IndependentJobTaskClient, http: httpx.Client
) -> None:
    query = {"page": {"start": 2**32 - 1, "limit": 5}}

    error = _rejected(reader.list, {"domain_id": DOMAIN, "query": query})
    stat = _rejected(
        reader.stat,
        {"domain_id": DOMAIN, "query": {"distinct": "provider", "page": {"start": 2**31 + 2}}},
    )
    over_http = _http_error(http.post(SEARCH, json={"domain_id": DOMAIN, "query": query}))

    assert error.code() is stat.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "query.page.start" in error.details()
    assert over_http["status"] == "INVALID_ARGUMENT"


# ---------------------------------------------------------------------------------------------
# Another domain's ids


def test_create_with_an_id_taken_in_another_domain_answers_as_a_taken_id_of_ones_own(
    writer: Any, raw_collection: Any, settings: Settings
) -> None:
    _started(writer, "job_task-000000000001", OTHER)
    _started(writer, "job_task-000000000002", DOMAIN)

    def create(task_id: str) -> grpc.RpcError:
        return _rejected(
            writer.create,
            w.CreateJobTaskRequest(domain_id=DOMAIN, job_id="job-2", job_task_id=task_id),
        )

    if settings.mongodb_sharded:
        # Unique within a domain (docs/scale-out.md): another domain's id is simply created, and
        # the answer says no more of that domain than the refusal would.
        created = writer.create(
            w.CreateJobTaskRequest(
                domain_id=DOMAIN, job_id="job-2", job_task_id="job_task-000000000001"
            ),
            timeout=10,
        )
        assert created.domain_id == DOMAIN
        assert raw_collection.count_documents({"job_task_id": "job_task-000000000001"}) == 2
        return
    theirs, ours = create("job_task-000000000001"), create("job_task-000000000002")

    assert theirs.code() is ours.code()
    assert theirs.details().replace("01", "02") == ours.details()
    assert theirs.trailing_metadata() == ours.trailing_metadata()
    assert raw_collection.find_one({"job_task_id": "job_task-000000000001"})["domain_id"] == OTHER


@pytest.mark.parametrize(
    "timezone", ["Factory", "posixrules", "localtime", "right/UTC", "posix/Asia/Seoul", "ROK"]
)
def test_a_time_zone_the_database_may_not_know_is_answered_without_its_internals(
    seeded_one: None, reader: IndependentJobTaskClient, http: httpx.Client, timezone: str
) -> None:
    # Python knows these names; a database may not. Either way: an answer, or a clear refusal.
    query = {
        "aggregate": [
            {
                "group": {
                    "keys": [{"key": "created_at", "name": "d", "date_format": "%Y-%m-%d"}],
                    "fields": [{"operator": "count", "name": "n"}],
                }
            }
        ]
    }
    request = {"domain_id": DOMAIN, "query": query}
    try:
        answer: Any = reader.stat(request, metadata=[("timezone", timezone)], timeout=10)
        code, details = grpc.StatusCode.OK, ""
    except grpc.RpcError as error:
        answer, code, details = None, error.code(), error.details()
    over_http = http.post(STAT, json=request, headers={"timezone": timezone})

    assert code in (grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT), details
    assert (over_http.status_code == 200) is (code is grpc.StatusCode.OK)
    if answer is not None:
        assert over_http.json() == answer
    for internal in hostile.DATABASE_INTERNALS:
        assert internal not in details and internal not in over_http.text


# (null too on MongoDB; the dev database adds to a null as to 0.)
@pytest.mark.parametrize("stored", ["12", {"a": 1}, [3]], ids=repr)
def test_a_report_onto_a_stored_counter_that_is_not_a_number_stores_nothing(
    writer: Any, raw_collection: Any, stored: Any
) -> None:
    task_id = _started(writer)
    # With the shard key, as a sharded collection requires of a single-document update.
    query = {"job_task_id": task_id, "domain_id": DOMAIN}
    raw_collection.update_one(query, {"$set": {"created_count": stored}})

    error = _rejected(
        writer.report,
        w.ReportProgressRequest(job_task_id=task_id, domain_id=DOMAIN, created_count=1),
    )

    assert error.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION)
    assert raw_collection.find_one({"job_task_id": task_id})["created_count"] == stored


def test_a_date_format_over_a_date_past_year_9999_is_the_clients_to_filter_out(
    raw_collection: Any, reader: IndependentJobTaskClient
) -> None:
    raw_collection.insert_one(
        {
            "job_task_id": "job_task-poisoned0004",
            "domain_id": DOMAIN,
            "started_at": DatetimeMS(2**50),  # year 37,648
        }
    )
    key = {"key": "started_at", "name": "d", "date_format": "%Y-%m-%d"}
    query = {
        "aggregate": [{"group": {"keys": [key], "fields": [{"operator": "count", "name": "n"}]}}]
    }

    with pytest.raises(grpc.RpcError) as raised:
        reader.stat({"domain_id": DOMAIN, "query": query})

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "date_format met a date the database cannot convert" in (raised.value.details() or "")
