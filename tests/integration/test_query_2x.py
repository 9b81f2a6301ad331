"""core.v2 queries (SpaceONE 2.x's Query / StatisticsQuery, converted by lines/v2/query.py) through
the service over the database under test: unwind (with its filter, paging, count_only and the
scope), add_fields, the sort list with the id as the last tie-breaker, and stat's Unwind and
sort list. (The 2.x gRPC edge is tested with the server; these run below it.)

Every expectation is computed here with plain Python from `TASKS`, never by the code under test.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, Final, cast

import pytest
from google.protobuf import json_format

from jobtask.errors import InvalidParameter, RequiredParameter
from jobtask.lines.v2 import wire
from jobtask.lines.v2.query import to_query, to_statistics_query
from jobtask.scope import Scope
from jobtask.services.reads import JobTaskService, ListRequest, ListResult, StatRequest
from jobtask.storage import MongoJobTaskRepository
from tests.support.dataset import DOMAIN, OTHER_DOMAIN, TASKS, tasks_in

pytestmark = pytest.mark.usefixtures("seeded")

Task = dict[str, Any]
MINE: Final = tasks_in(DOMAIN)
SCOPE: Final = Scope(DOMAIN)


@pytest.fixture
def service(repository: MongoJobTaskRepository) -> JobTaskService:
    return JobTaskService(repository, max_page_size=1000)


def _list(service: JobTaskService, query: dict[str, Any], scope: Scope = SCOPE) -> ListResult:
    message = json_format.ParseDict(query, wire.message_class(f"{wire.CORE}.Query")())
    return service.list(scope, ListRequest(query=to_query(cast(wire.QueryMessage, message))))


def _stat(service: JobTaskService, query: dict[str, Any]) -> list[Any]:
    message = json_format.ParseDict(query, wire.message_class(f"{wire.CORE}.StatisticsQuery")())
    converted = to_statistics_query(cast(wire.StatisticsQueryMessage, message))
    return service.stat(SCOPE, StatRequest(query=converted)).results


def _newest_first(tasks: list[Task]) -> list[Task]:
    """created_at descending, ties by job_task_id descending (the default order)."""
    return sorted(tasks, key=lambda t: (t["created_at"], t["job_task_id"]), reverse=True)


def _unwound(tasks: list[Task]) -> list[tuple[str, dict[str, Any]]]:
    """(id, error) per error of each task, newest task first, errors in their order."""
    return [(t["job_task_id"], e) for t in _newest_first(tasks) for e in t["errors"]]


def _rows(result: ListResult) -> list[tuple[str | None, dict[str, Any]]]:
    rows = []
    for task in result.results:
        assert task.errors is not None and len(task.errors) == 1  # a list of one, as SpaceONE
        (error,) = task.errors
        rows.append((task.job_task_id, {"error_code": error.error_code, "message": error.message}))
    return rows


def _codes(rows: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    return [(i, {"error_code": e["error_code"], "message": e["message"]}) for i, e in rows]


# --- unwind ---------------------------------------------------------------------------------


def test_unwind_lists_one_row_per_error_of_the_callers_tasks(service: JobTaskService) -> None:
    result = _list(service, {"unwind": {"path": "errors"}, "only": ["job_task_id", "errors"]})

    expected = _unwound(MINE)
    assert _rows(result) == _codes(expected)
    assert result.total_count == len(expected) == 3


def test_unwind_filter_keeps_the_rows_that_meet_it(service: JobTaskService) -> None:
    unwind = {
        "path": "errors",
        "filter": [{"k": "errors.error_code", "v": "ERROR_AUTH", "o": "eq"}],
    }

    result = _list(service, {"unwind": unwind, "only": ["job_task_id", "errors"]})

    expected = [(i, e) for i, e in _unwound(MINE) if e["error_code"] == "ERROR_AUTH"]
    assert _rows(result) == _codes(expected)
    assert result.total_count == 1


def test_unwind_pages_its_rows_and_counts_them_all(service: JobTaskService) -> None:
    only = ["job_task_id", "errors"]
    pages = [
        _list(
            service, {"unwind": {"path": "errors"}, "only": only, "page": {"start": s, "limit": 1}}
        )
        for s in (1, 2, 3)
    ]

    assert [row for page in pages for row in _rows(page)] == _codes(_unwound(MINE))
    assert {page.total_count for page in pages} == {3}


def test_unwind_honours_count_only(service: JobTaskService) -> None:
    result = _list(service, {"unwind": {"path": "errors"}, "only": ["errors"], "count_only": True})

    assert (result.results, result.total_count) == ([], 3)


def test_unwind_with_a_filter_and_sort_on_the_element(service: JobTaskService) -> None:
    result = _list(
        service,
        {
            "filter": [{"k": "status", "v": "FAILURE", "o": "eq"}],
            "unwind": {"path": "errors"},
            "only": ["job_task_id", "errors.error_code"],
            "sort": [{"key": "errors.error_code"}],
        },
    )

    rows = sorted(
        ((e["error_code"], i) for i, e in _unwound(MINE)), key=lambda row: (row[0], row[1])
    )
    assert [(t.job_task_id, t.errors[0].error_code) for t in result.results if t.errors] == [
        (i, code) for code, i in rows
    ]


def test_unwind_never_reads_another_domain(service: JobTaskService) -> None:
    result = _list(
        service,
        {"unwind": {"path": "errors"}, "only": ["job_task_id", "errors"]},
        Scope(OTHER_DOMAIN),
    )

    assert _rows(result) == _codes(_unwound(tasks_in(OTHER_DOMAIN)))


def test_unwind_without_only_is_an_invalid_argument(service: JobTaskService) -> None:
    with pytest.raises(InvalidParameter) as raised:
        _list(service, {"unwind": {"path": "errors"}})

    assert raised.value.key == "query.only"


# --- add_fields -----------------------------------------------------------------------------

BROKEN: Final = {"if": {"__gt": ["$failure_count", 0]}, "then": "broken", "else": "$provider"}


def _provider(task: Task) -> Any:
    return "broken" if task["failure_count"] > 0 else task["provider"]


def test_add_fields_computes_a_field_per_task(service: JobTaskService) -> None:
    result = _list(service, {"add_fields": {"provider": BROKEN}})

    assert [(t.job_task_id, t.provider) for t in result.results] == [
        (t["job_task_id"], _provider(t)) for t in _newest_first(MINE)
    ]
    assert result.total_count == len(MINE)


def test_add_fields_with_only_and_a_page(service: JobTaskService) -> None:
    result = _list(
        service,
        {
            "add_fields": {"provider": BROKEN},
            "only": ["job_task_id", "provider"],
            "page": {"start": 2, "limit": 3},
        },
    )

    expected = _newest_first(MINE)[1:4]
    assert [(t.job_task_id, t.provider, t.status) for t in result.results] == [
        (t["job_task_id"], _provider(t), None) for t in expected
    ]
    assert result.total_count == len(MINE)


def test_add_fields_orders_by_the_computed_value(service: JobTaskService) -> None:
    result = _list(
        service,
        {
            "add_fields": {
                "provider": {"if": {"__eq": ["$status", "FAILURE"]}, "then": "a", "else": "b"}
            },
            "sort": [{"key": "provider"}, {"key": "created_at", "desc": True}],
            "only": ["job_task_id"],
        },
    )

    def key(t: Task) -> tuple[Any, ...]:
        # Ties (two "b" tasks of one created_at) in insertion order, whatever the last direction.
        return (
            "a" if t["status"] == "FAILURE" else "b",
            -t["created_at"].timestamp(),
            _inserted(t),
        )

    expected = sorted(MINE, key=key)
    assert [t.job_task_id for t in result.results] == [t["job_task_id"] for t in expected]


def _inserted(task: Task) -> int:
    """Where the seeded task was inserted: its `_id`'s order (pymongo makes them increasing)."""
    return [t["job_task_id"] for t in TASKS].index(task["job_task_id"])


def test_add_fields_of_a_field_the_model_lacks_is_an_invalid_argument(
    service: JobTaskService,
) -> None:
    with pytest.raises(InvalidParameter) as raised:
        _list(service, {"add_fields": {"severity": 1}})

    assert raised.value.key == "query.add_fields"


@pytest.mark.parametrize(
    "expression",
    [
        {"$add": ["$provider", 1]},
        # An array (or object) where a string is needed: 16007.
        {"$toLower": "$errors"},
        {"$toUpper": "$errors"},
        # Other arguments than the operator takes, found when the database parses the pipeline
        # (16020, 17080-17083).
        {"$eq": [1]},
        {"$abs": [1, 2]},
        {"$cond": [True, 1]},
        {"$cond": {"if": True, "then": 1}},
    ],
    ids=[
        "add-a-string",
        "to-lower-an-array",
        "to-upper-an-array",
        "eq-of-one",
        "abs-of-two",
        "cond-of-two",
        "cond-without-else",
    ],
)
def test_an_add_fields_expression_the_database_refuses_is_an_invalid_argument(
    service: JobTaskService, expression: dict[str, Any]
) -> None:
    """Never INTERNAL: each of these was, before its code was mapped."""
    value = {"if": {"__eq": [expression, 0]}, "then": 1, "else": 0}

    with pytest.raises(InvalidParameter) as raised:
        _list(service, {"add_fields": {"provider": value}})

    assert raised.value.key == "query"


# --- the sort list and its tie-breaker ------------------------------------------------------


def test_the_default_order_is_newest_first_with_the_id_breaking_ties(
    service: JobTaskService,
) -> None:
    result = _list(service, {})

    assert [t.job_task_id for t in result.results] == [
        t["job_task_id"] for t in _newest_first(MINE)
    ]


def test_a_sort_list_orders_by_each_key_then_in_insertion_order(
    service: JobTaskService,
) -> None:
    """SpaceONE 2.x's reference ends an explicit sort with `_id` ascending."""
    result = _list(service, {"sort": [{"key": "provider"}, {"key": "status", "desc": True}]})

    def key(t: Task) -> tuple[Any, ...]:
        # null sorts first in MongoDB's order.
        provider = t["provider"]
        return (provider is not None, provider or "", _desc(t["status"]), _inserted(t))

    assert [t.job_task_id for t in result.results] == [
        t["job_task_id"] for t in sorted(MINE, key=key)
    ]


def _desc(text: str) -> tuple[int, ...]:
    return (*(-ord(c) for c in text), 1)  # the end of a string sorts after any character


def test_newest_first_as_the_console_asks_orders_equal_times_in_insertion_order(
    service: JobTaskService,
) -> None:
    """Three seeded tasks share a created_at, inserted in an order job_task_id does not have:
    2.x's reference answers them `_id` ascending; our default order (no sort) keeps ours."""
    console = _list(service, {"sort": [{"key": "created_at", "desc": True}]})
    default = _list(service, {})

    by_insertion = sorted(MINE, key=lambda t: (-t["created_at"].timestamp(), _inserted(t)))
    assert [t.job_task_id for t in console.results] == [t["job_task_id"] for t in by_insertion]
    assert [t.job_task_id for t in default.results] == [
        t["job_task_id"] for t in _newest_first(MINE)
    ]
    assert [t.job_task_id for t in console.results] != [t.job_task_id for t in default.results]


def test_pages_of_equal_sort_values_never_repeat_or_skip_a_task(service: JobTaskService) -> None:
    sort = [{"key": "status", "desc": True}]
    pages = [
        _list(service, {"sort": sort, "page": {"start": s, "limit": 2}}).results
        for s in range(1, len(MINE) + 1, 2)
    ]

    listed = [str(t.job_task_id) for page in pages for t in page]
    assert sorted(listed) == sorted(t["job_task_id"] for t in MINE)
    whole = [t.job_task_id for t in _list(service, {"sort": sort}).results]
    assert listed == whole
    assert listed == [
        t["job_task_id"] for t in sorted(MINE, key=lambda t: (_desc(t["status"]), _inserted(t)))
    ]


def test_an_unknown_sort_key_is_an_invalid_argument(service: JobTaskService) -> None:
    with pytest.raises(InvalidParameter) as raised:
        _list(service, {"sort": [{"key": "severity"}]})

    assert raised.value.key == "query.sort"


def test_the_default_page_is_1000(service: JobTaskService) -> None:
    result = _list(service, {"page": {"start": 2}})

    assert len(result.results) == len(MINE) - 1


# --- stat: Unwind (with its filter) and the sort list ---------------------------------------


def test_stat_unwind_filter_then_group_sorted_by_a_list(service: JobTaskService) -> None:
    results = _stat(
        service,
        {
            "aggregate": [
                {
                    "unwind": {
                        "path": "errors",
                        "filter": [{"k": "errors.error_code", "v": "ERROR_AUTH", "o": "not"}],
                    }
                },
                {
                    "group": {
                        "keys": [{"key": "errors.error_code", "name": "code"}],
                        "fields": [{"operator": "count", "name": "n"}],
                    }
                },
                {"sort": [{"key": "n", "desc": True}, {"key": "code"}]},
            ]
        },
    )

    counts = Counter(
        e["error_code"] for t in MINE for e in t["errors"] if e["error_code"] != "ERROR_AUTH"
    )
    expected = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    assert results == [{"code": code, "n": n} for code, n in expected]


def test_stat_results_keep_dates_for_the_line_to_render(service: JobTaskService) -> None:
    results = _stat(
        service,
        {
            "aggregate": [
                {
                    "group": {
                        "fields": [
                            {"operator": "max", "key": "created_at", "name": "last"},
                            {"operator": "push", "key": "created_at", "name": "all"},
                        ]
                    }
                }
            ]
        },
    )

    [row] = results
    assert row["last"] == max(t["created_at"] for t in MINE)
    assert all(isinstance(value, datetime) for value in row["all"])


# Each operator add_fields takes, in an `if` (SpaceONE's form), with what it means per task.
OPERATOR_CASES: Final[list[tuple[str, dict[str, Any], Any]]] = [
    ("eq", {"__eq": ["$provider", "aws"]}, lambda t: t["provider"] == "aws"),
    ("ne", {"__ne": ["$provider", "aws"]}, lambda t: t["provider"] != "aws"),
    ("gt", {"__gt": ["$failure_count", 0]}, lambda t: t["failure_count"] > 0),
    ("gte", {"__gte": ["$failure_count", 2]}, lambda t: t["failure_count"] >= 2),
    ("lt", {"__lt": ["$failure_count", 1]}, lambda t: t["failure_count"] < 1),
    ("lte", {"__lte": ["$failure_count", 1]}, lambda t: t["failure_count"] <= 1),
    ("cmp", {"__eq": [{"$cmp": ["$failure_count", 1]}, 1]}, lambda t: t["failure_count"] > 1),
    (
        "and",
        {"__and": [{"$gt": ["$failure_count", 0]}, {"$eq": ["$provider", "aws"]}]},
        lambda t: t["failure_count"] > 0 and t["provider"] == "aws",
    ),
    (
        "or",
        {"__or": [{"$gt": ["$failure_count", 0]}, {"$eq": ["$provider", "azure"]}]},
        lambda t: t["failure_count"] > 0 or t["provider"] == "azure",
    ),
    ("not", {"__not": [{"$gt": ["$failure_count", 0]}]}, lambda t: t["failure_count"] == 0),
    (
        "cond",
        {"__eq": [{"$cond": [{"$gt": ["$failure_count", 0]}, "f", "ok"]}, "f"]},
        lambda t: t["failure_count"] > 0,
    ),
    ("ifNull", {"__eq": [{"$ifNull": ["$provider", "none"]}, "none"]}, lambda t: not t["provider"]),
    ("add", {"__eq": [{"$add": ["$failure_count", 1]}, 2]}, lambda t: t["failure_count"] == 1),
    (
        "subtract",
        {"__lt": [{"$subtract": ["$failure_count", 1]}, 0]},
        lambda t: not t["failure_count"],
    ),
    (
        "multiply",
        {"__eq": [{"$multiply": ["$failure_count", 2]}, 4]},
        lambda t: t["failure_count"] == 2,
    ),
    (
        "abs",
        {"__eq": [{"$abs": {"$subtract": [0, "$failure_count"]}}, 1]},
        lambda t: t["failure_count"] == 1,
    ),
    ("size", {"__gt": [{"$size": "$errors"}, 1]}, lambda t: len(t["errors"]) > 1),
    (
        "in",
        {"__in": ["$provider", ["azure", "google_cloud"]]},
        lambda t: t["provider"] in ("azure", "google_cloud"),
    ),
    (
        "concat",
        {
            "__eq": [
                {"$concat": ["$job_id", "/", "$secret_id"]},
                "job-000000000002/secret-000000000001",
            ]
        },
        lambda t: t["job_id"] == "job-000000000002",
    ),
    (
        "toLower",
        {"__eq": [{"$toLower": "$job_task_id"}, "job_task-abcd00000005"]},
        lambda t: t["job_task_id"] == "job_task-ABCD00000005",
    ),
    (
        "toUpper",
        {"__eq": [{"$toUpper": "$provider"}, "AWS"]},
        lambda t: t["provider"] == "aws",
    ),
    ("literal", {"__eq": ["$provider", {"$literal": "$provider"}]}, lambda t: False),
]


@pytest.mark.parametrize(
    ("condition", "means"),
    [case[1:] for case in OPERATOR_CASES],
    ids=[c[0] for c in OPERATOR_CASES],
)
def test_each_add_fields_operator_means_what_mongodb_says(
    service: JobTaskService, condition: dict[str, Any], means: Any
) -> None:
    value = {"if": condition, "then": "y", "else": "n"}

    result = _list(
        service, {"add_fields": {"provider": value}, "only": ["job_task_id", "provider"]}
    )

    assert [(t.job_task_id, t.provider) for t in result.results] == [
        (t["job_task_id"], "y" if means(t) else "n") for t in _newest_first(MINE)
    ]


def test_stat_without_aggregate_or_distinct_is_required(service: JobTaskService) -> None:
    with pytest.raises(RequiredParameter) as raised:
        _stat(service, {"filter": [{"k": "status", "v": "FAILURE", "o": "eq"}]})

    assert raised.value.key == "aggregate"


@pytest.mark.gap(
    "mongo-java-server",
    "closes the connection on a $group key through an array that yields [] (docs/compatibility.md)",
)
def test_stat_group_key_through_errors_lacking_the_field_is_an_empty_list(
    service: JobTaskService, raw_collection: Any
) -> None:
    raw_collection.insert_one(
        {"job_task_id": "job_task-noerrorcode", "domain_id": DOMAIN, "errors": [{"message": "m"}]}
    )

    results = _stat(
        service,
        {
            "filter": [{"k": "job_task_id", "v": "job_task-noerrorcode", "o": "eq"}],
            "aggregate": [
                {
                    "group": {
                        "keys": [{"key": "errors.error_code", "name": "codes"}],
                        "fields": [{"operator": "count", "name": "n"}],
                    }
                }
            ],
        },
    )

    assert results == [{"codes": [], "n": 1}]


def test_unwind_and_add_fields_stay_within_a_workspace_and_projects(
    service: JobTaskService, raw_collection: Any
) -> None:
    def task(suffix: str, workspace: str, project: str) -> dict[str, Any]:
        return {
            "job_task_id": f"job_task-ws{suffix}",
            "domain_id": "domain-workspaces",
            "workspace_id": workspace,
            "project_id": project,
            "provider": "aws",
            "created_at": datetime(2024, 1, 1),
            "errors": [{"error_code": f"E{suffix}"}],
        }

    raw_collection.insert_many(
        [task("1", "ws-a", "p-1"), task("2", "ws-a", "p-2"), task("3", "ws-b", "p-1")]
    )
    unwind = {"unwind": {"path": "errors"}, "only": ["job_task_id", "errors"]}
    added = {"add_fields": {"provider": "$workspace_id"}, "only": ["job_task_id", "provider"]}

    workspace = Scope("domain-workspaces", workspace_id="ws-a")
    member = Scope("domain-workspaces", workspace_id="ws-a", projects=frozenset({"p-1"}))

    assert {t.job_task_id for t in _list(service, unwind, workspace).results} == {
        "job_task-ws1",
        "job_task-ws2",
    }
    assert _list(service, unwind, workspace).total_count == 2
    assert [t.job_task_id for t in _list(service, unwind, member).results] == ["job_task-ws1"]
    assert [(t.job_task_id, t.provider) for t in _list(service, added, member).results] == [
        ("job_task-ws1", "ws-a")
    ]
