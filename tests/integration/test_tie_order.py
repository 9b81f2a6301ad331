"""The order of tasks with equal sort values, per line, on the database under test (#23).

SpaceONE 2.x's MongoModel.query ends an explicit sort with `id` (`_id` ascending), so a kit
recorded from it sees ties in insertion order; its 1.x had no tie-breaker, and that line keeps
ours (job_task_id in the direction of the last key). A list without a sort is ours on both.
Pages never repeat or skip a task. The expectations are computed here from the insertion order.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any, Final, cast

import pymongo
import pytest
from google.protobuf import json_format
from pymongo.collection import Collection

from jobtask.demo import demo_documents
from jobtask.lines.v1.requests import to_query as to_1x_query
from jobtask.lines.v2 import wire
from jobtask.lines.v2.query import to_query as to_2x_query
from jobtask.query.model import Query
from jobtask.scope import Scope
from jobtask.services.reads import JobTaskService, ListRequest
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository
from jobtask.storage.indexes import INDEXES, NEWEST_FIRST_2X
from spaceone.api.core.v1 import query_pb2
from tests.support.explain import Finds, plan_stages

DOMAIN: Final = "domain-tieorder0001"
SCOPE: Final = Scope(DOMAIN)
WHEN: Final = datetime(2024, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC)
# Inserted in this order (their `_id`s increase), which is neither job_task_id's nor its reverse.
INDEX_NAMES: Final = frozenset(str(index.document["name"]) for index in INDEXES)
IDS: Final = tuple(f"job_task-{n:012d}" for n in random.Random(23).sample(range(1, 100), 9))


@pytest.fixture
def service(
    repository: MongoJobTaskRepository, raw_collection: Collection[dict[str, Any]]
) -> JobTaskService:
    """Nine tasks of one status and one created_at (the same millisecond), each with two errors,
    inserted one by one."""
    for task_id in IDS:
        raw_collection.insert_one(
            {
                "job_task_id": task_id,
                "domain_id": DOMAIN,
                "status": "SUCCESS",
                "created_at": WHEN,
                "errors": [
                    {"error_code": "ERROR_A", "message": f"{task_id} first"},
                    {"error_code": "ERROR_A", "message": f"{task_id} second"},
                ],
            }
        )
    assert sorted(IDS) != list(IDS) != sorted(IDS, reverse=True)
    return JobTaskService(repository, max_page_size=1000)


def _list_2x(service: JobTaskService, query: dict[str, Any]) -> list[Any]:
    message = json_format.ParseDict(query, wire.message_class(f"{wire.CORE}.Query")())
    converted = to_2x_query(cast(wire.QueryMessage, message))
    return service.list(SCOPE, ListRequest(query=converted)).results


def _list_1x(service: JobTaskService, query: dict[str, Any]) -> list[str]:
    converted = to_1x_query(json_format.ParseDict(query, query_pb2.Query()))
    return [str(t.job_task_id) for t in service.list(SCOPE, ListRequest(query=converted)).results]


def _ids(service: JobTaskService, query: dict[str, Any]) -> list[str]:
    return [str(t.job_task_id) for t in _list_2x(service, query)]


SORTS_2X: Final = {
    "created_at desc (the console's)": [{"key": "created_at", "desc": True}],
    "created_at asc": [{"key": "created_at"}],
    "status asc": [{"key": "status"}],
    "status desc then created_at desc": [
        {"key": "status", "desc": True},
        {"key": "created_at", "desc": True},
    ],
}


@pytest.mark.parametrize("sort", list(SORTS_2X))
def test_on_2x_equal_sort_values_come_in_insertion_order(
    service: JobTaskService, sort: str
) -> None:
    assert _ids(service, {"sort": SORTS_2X[sort]}) == list(IDS)


@pytest.mark.parametrize("sort", list(SORTS_2X))
def test_on_2x_pages_of_ties_never_repeat_or_skip_a_task(
    service: JobTaskService, sort: str
) -> None:
    pages = [
        _ids(service, {"sort": SORTS_2X[sort], "page": {"start": start, "limit": 2}})
        for start in range(1, len(IDS) + 1, 2)
    ]

    assert [task_id for page in pages for task_id in page] == list(IDS)


def test_on_2x_a_list_without_a_sort_keeps_our_order(service: JobTaskService) -> None:
    assert _ids(service, {}) == sorted(IDS, reverse=True)


def test_on_2x_unwound_rows_of_ties_come_by_task_in_insertion_order_then_array_order(
    service: JobTaskService,
) -> None:
    query = {
        "unwind": {"path": "errors"},
        "only": ["job_task_id", "errors"],
        "sort": [{"key": "errors.error_code"}],
    }
    pages = [
        _list_2x(service, {**query, "page": {"start": start, "limit": 4}})
        for start in range(1, 2 * len(IDS) + 1, 4)
    ]

    rows = [(t.job_task_id, t.errors[0].message) for page in pages for t in page if t.errors]
    assert rows == [(i, f"{i} {which}") for i in IDS for which in ("first", "second")]


def test_on_2x_add_fields_ties_come_in_insertion_order(service: JobTaskService) -> None:
    query = {"add_fields": {"provider": "aws"}, "sort": [{"key": "provider", "desc": True}]}

    assert _ids(service, query) == list(IDS)


@pytest.mark.parametrize(
    ("sort", "descending"),
    [
        pytest.param({"key": "created_at", "desc": True}, True, id="created_at-desc"),
        pytest.param({"keys": [{"key": "status"}]}, False, id="status-asc"),
    ],
)
def test_on_1x_ties_keep_our_tie_breaker(
    service: JobTaskService, sort: dict[str, Any], descending: bool
) -> None:
    """1.x's reference has no tie-breaker; ours is job_task_id in the last key's direction."""
    expected = sorted(IDS, reverse=descending)
    pages = [
        _list_1x(service, {"sort": sort, "page": {"start": start, "limit": 2}})
        for start in range(1, len(IDS) + 1, 2)
    ]

    assert _list_1x(service, {"sort": sort}) == expected
    assert [task_id for page in pages for task_id in page] == expected


# --- explain: the console's newest first, an index walk where the engine walks one -------


def _find(settings: Settings, line_query: Query) -> tuple[dict[str, Any], Any]:
    """The find a list of `line_query` sends (as sent: filter, sort, limit) and its plan."""
    finds = Finds()
    uri = settings.mongodb_uri.get_secret_value()
    with pymongo.MongoClient[dict[str, Any]](uri, event_listeners=[finds]) as client:
        collection = client[settings.mongodb_database]["job_task"]
        service = JobTaskService(MongoJobTaskRepository(collection), max_page_size=50)
        service.list(SCOPE, ListRequest(line_query))
        (sent,) = finds.sent
        command = {k: sent[k] for k in ("find", "filter", "sort", "limit")}
        return command, client[settings.mongodb_database].command("explain", command)


NO_EXPLAIN: Final = pytest.mark.gap("mongo-java-server", "has no explain command")


@pytest.fixture
def console_page(
    settings: Settings, raw_collection: Collection[dict[str, Any]]
) -> tuple[dict[str, Any], Any]:
    """2,000 tasks of the domain; the find of the 2.x console's page (newest first, 20) and its
    plan."""
    documents = list(demo_documents(2000, domains=4, seed=23))
    for document in documents:
        document["domain_id"] = DOMAIN
    raw_collection.insert_many(documents)
    console = json_format.ParseDict(
        {"sort": [{"key": "created_at", "desc": True}], "page": {"limit": 20}},
        wire.message_class(f"{wire.CORE}.Query")(),
    )
    return _find(settings, to_2x_query(cast(wire.QueryMessage, console)))


@NO_EXPLAIN
@pytest.mark.gap(
    "documentdb", "does not plan an index to give a sort's order (it sorts)", xfail=True
)
def test_a_2x_newest_first_page_walks_its_index(console_page: tuple[dict[str, Any], Any]) -> None:
    """On MongoDB: `created_at` desc then `_id` asc is the order of (domain_id, created_at -1,
    _id 1), so the page reads 20 index entries and sorts nothing."""
    command, plan = console_page

    assert list(command["sort"].items()) == [("created_at", -1), ("_id", 1)]
    assert "SORT" not in {stage for stage, _ in plan_stages(plan)}
    assert {index for stage, index in plan_stages(plan) if stage == "IXSCAN"} == {NEWEST_FIRST_2X}


@NO_EXPLAIN
def test_a_2x_newest_first_page_is_planned_over_an_index_of_ours_as_1x_s(
    settings: Settings, console_page: tuple[dict[str, Any], Any]
) -> None:
    """Whatever the engine: the console's page on 2.x is planned as 1.x's newest first, over
    an index this service creates (never a collection scan), and the engine can scan its own
    index (DocumentDB uses indexes to find a domain's tasks, never for an order, so both pages
    sort what they find: docs/performance.md)."""
    command, plan = console_page
    _, plan_1x = _find(settings, to_1x_query(query_pb2.Query(page={"limit": 20})))
    with pymongo.MongoClient[dict[str, Any]](settings.mongodb_uri.get_secret_value()) as client:
        hinted = client[settings.mongodb_database].command(
            "explain", {**command, "hint": NEWEST_FIRST_2X}
        )

    scanned = {index for stage, index in plan_stages(plan) if stage == "IXSCAN"}
    assert scanned and scanned <= INDEX_NAMES
    assert [stage for stage, _ in plan_stages(plan)] == [stage for stage, _ in plan_stages(plan_1x)]
    assert {index for stage, index in plan_stages(hinted) if stage == "IXSCAN"} == {NEWEST_FIRST_2X}
