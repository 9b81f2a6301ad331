"""A SpaceONE 2.x server (SPACEONE_API=2) over real gRPC, called with the 2.x pool's messages:
get, list, delete and stat scoped by the caller's `x_domain_id` metadata; NOT_FOUND and
INVALID_ARGUMENT as SpaceONE's `ERROR_*` codes; 1.x bytes refused as the client's mistake."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest

from jobtask.domain import MINIMAL_FIELDS
from tests.support.client_2x import JobTaskClient2x, scope_metadata
from tests.support.dataset import DOMAIN, FULL_VIEW_OF_FIRST, OTHER_DOMAIN, ids, tasks_in

pytestmark = pytest.mark.usefixtures("seeded")

TASK_ID = "job_task-3f9c0a1b2c4d"
OTHER_TASK_ID = "job_task-bbbb00000001"


def _refused(call: Callable[[], Any]) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value.code(), raised.value.details()


def test_get_renders_the_full_view(client_2x: JobTaskClient2x) -> None:
    assert client_2x.get({"job_task_id": TASK_ID}) == FULL_VIEW_OF_FIRST


def test_get_of_another_domains_task_is_not_found_with_each_key_beside_its_value(
    client_2x: JobTaskClient2x,
) -> None:
    code, details = _refused(lambda: client_2x.get({"job_task_id": OTHER_TASK_ID}))

    assert code is grpc.StatusCode.NOT_FOUND
    assert details == (
        "ERROR_NOT_FOUND: Resource cannot be found or access is denied. "
        f"(job_task_id = '{OTHER_TASK_ID}', "
        f"domain_id = '{DOMAIN}')"
    )


@pytest.mark.parametrize("rpc", ["get", "delete"])
def test_get_and_delete_need_the_id(client_2x: JobTaskClient2x, rpc: str) -> None:
    code, details = _refused(lambda: client_2x.call(rpc, {}))

    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert details == "ERROR_REQUIRED_PARAMETER: Required parameter. (key = job_task_id)"


@pytest.mark.parametrize(
    ("rpc", "request_"),
    [
        ("get", {"job_task_id": TASK_ID}),
        ("delete", {"job_task_id": TASK_ID}),
        ("list", {}),
        ("stat", {"query": {"distinct": "status"}}),
    ],
)
@pytest.mark.parametrize(
    "metadata",
    [[], [("x_workspace_id", "")], [("x-domain-id", DOMAIN)], [("x_domain_id", " ")]],
    ids=["none", "empty-workspace", "dashed", "blank"],
)
def test_a_call_naming_no_domain_is_invalid_argument_naming_domain_id(
    client_2x: JobTaskClient2x, rpc: str, request_: dict[str, Any], metadata: Any
) -> None:
    code, details = _refused(lambda: client_2x.call(rpc, request_, metadata))

    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert details == "ERROR_REQUIRED_PARAMETER: Required parameter. (key = domain_id)"


def test_the_domain_comes_from_the_metadata(client_2x: JobTaskClient2x) -> None:
    other = client_2x.list({}, scope_metadata(OTHER_DOMAIN))

    assert {t["job_task_id"] for t in other["results"]} == ids(tasks_in(OTHER_DOMAIN))
    assert {t["domain_id"] for t in other["results"]} == {OTHER_DOMAIN}


def test_list_newest_first_with_the_id_as_tie_breaker(client_2x: JobTaskClient2x) -> None:
    answer = client_2x.list({})

    expected = sorted(tasks_in(), key=lambda t: (t["created_at"], t["job_task_id"]), reverse=True)
    assert [t["job_task_id"] for t in answer["results"]] == [t["job_task_id"] for t in expected]
    assert answer["total_count"] == len(expected)


def test_list_request_fields_are_equality_filters(client_2x: JobTaskClient2x) -> None:
    answer = client_2x.list({"provider": "aws", "status": "SUCCESS"})

    expected = [t for t in tasks_in() if t["provider"] == "aws" and t["status"] == "SUCCESS"]
    assert {t["job_task_id"] for t in answer["results"]} == ids(expected)


def test_list_filter_filter_or_sort_list_and_page(client_2x: JobTaskClient2x) -> None:
    query = {
        "filter": [{"k": "status", "v": ["SUCCESS", "FAILURE"], "o": "in"}],
        "filter_or": [
            {"key": "provider", "value": "aws", "operator": "eq"},
            {"key": "provider", "value": "google_cloud", "operator": "eq"},
        ],
        "sort": [{"key": "provider"}, {"key": "created_count", "desc": True}],
        "page": {"start": 2, "limit": 2},
    }

    answer = client_2x.list({"query": query})

    matching = [
        t
        for t in tasks_in()
        if t["status"] in {"SUCCESS", "FAILURE"} and t["provider"] in {"aws", "google_cloud"}
    ]
    matching.sort(key=lambda t: t["job_task_id"], reverse=True)  # the tie-breaker, last key's way
    matching.sort(key=lambda t: t["created_count"], reverse=True)
    matching.sort(key=lambda t: t["provider"])
    assert [t["job_task_id"] for t in answer["results"]] == [
        t["job_task_id"] for t in matching[1:3]
    ]
    assert answer["total_count"] == len(matching)


def test_list_only_renders_nothing_else_not_even_defaults(client_2x: JobTaskClient2x) -> None:
    answer = client_2x.list({"query": {"only": ["job_id"], "sort": [{"key": "job_task_id"}]}})

    assert answer["results"][0] == {"job_id": "job-000000000001"}
    assert all(set(t) == {"job_id"} for t in answer["results"])


def test_list_minimal_renders_the_minimal_set(client_2x: JobTaskClient2x) -> None:
    answer = client_2x.list({"query": {"minimal": True}, "job_task_id": TASK_ID})

    [task] = answer["results"]
    assert set(task) <= set(MINIMAL_FIELDS)  # pinned by tests/unit/test_domain.py
    assert {"job_task_id", "status", "job_id", "created_at"} <= set(task)


def test_list_count_only_and_keyword(client_2x: JobTaskClient2x) -> None:
    counted = client_2x.list({"query": {"count_only": True}})
    keyword = client_2x.list({"query": {"keyword": "abcd"}})

    assert counted == {"total_count": len(tasks_in())}
    assert {t["job_task_id"] for t in keyword["results"]} == {"job_task-ABCD00000005"}


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ({"unwind": {"path": "errors"}}, "query.only"),
        ({"lookup": [{"from": "job"}]}, "query.lookup"),
        ({"add_fields": {"no_such_field": 1}}, "query.add_fields"),
        ({"sort": [{"key": "no_such_field"}]}, "query.sort"),
        ({"filter": [{"k": "status", "v": "x", "o": "no_such_operator"}]}, "no_such_operator"),
    ],
)
def test_list_queries_refused_are_invalid_argument_naming_the_part(
    client_2x: JobTaskClient2x, query: dict[str, Any], key: str
) -> None:
    code, details = _refused(lambda: client_2x.list({"query": query}))

    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert key in details


def test_delete_removes_the_task_of_the_callers_domain_only(client_2x: JobTaskClient2x) -> None:
    other = scope_metadata(OTHER_DOMAIN)
    code, _ = _refused(lambda: client_2x.delete({"job_task_id": TASK_ID}, other))

    assert client_2x.delete({"job_task_id": TASK_ID}) == {}

    assert code is grpc.StatusCode.NOT_FOUND
    assert _refused(lambda: client_2x.get({"job_task_id": TASK_ID}))[0] is (
        grpc.StatusCode.NOT_FOUND
    )


def test_stat_groups_and_sorts_by_a_list(client_2x: JobTaskClient2x) -> None:
    query = {
        "aggregate": [
            {
                "group": {
                    "keys": [{"key": "status", "name": "status"}],
                    "fields": [{"key": "job_task_id", "name": "n", "operator": "count"}],
                }
            },
            {"sort": [{"key": "n", "desc": True}, {"key": "status"}]},
        ]
    }

    answer = client_2x.stat({"query": query})

    counts: dict[str, int] = {}
    for task in tasks_in():
        counts[task["status"]] = counts.get(task["status"], 0) + 1
    expected = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    assert answer == {"results": [{"status": s, "n": float(n)} for s, n in expected]}


def test_stat_distinct(client_2x: JobTaskClient2x) -> None:
    answer = client_2x.stat({"query": {"distinct": "provider"}})

    providers = sorted({t["provider"] for t in tasks_in() if t["provider"]})
    assert answer == {"results": [None, *providers]}  # as the 1.x line: null first


@pytest.mark.parametrize(("request_", "missing"), [({}, "query"), ({"query": {}}, "aggregate")])
def test_stat_needs_a_query_with_aggregate_or_distinct(
    client_2x: JobTaskClient2x, request_: dict[str, Any], missing: str
) -> None:
    code, details = _refused(lambda: client_2x.stat(request_))

    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert details == f"ERROR_REQUIRED_PARAMETER: Required parameter. (key = {missing})"


@pytest.mark.parametrize(
    ("condition", "code", "sent"),
    [
        (
            {"k": "status", "v": ["SUCCESS"], "o": "eq"},
            "ERROR_OPERATOR_VALUE_TYPE: Value of operator 'eq' must not be a list.",
            '{"key": "status", "value": ["SUCCESS"], "operator": "eq"}',
        ),
        (
            {"k": "status", "v": "SUCCESS", "o": "in"},
            "ERROR_OPERATOR_LIST_VALUE_TYPE: Value of operator 'in' must be a non-empty list.",
            '{"key": "status", "value": "SUCCESS", "operator": "in"}',
        ),
    ],
)
@pytest.mark.parametrize("rpc", ["list", "stat"])
def test_a_condition_of_the_wrong_shape_is_shown_as_json_not_a_python_repr(
    client_2x: JobTaskClient2x, rpc: str, condition: dict[str, Any], code: str, sent: str
) -> None:
    query = {"filter": [condition], **({"distinct": "status"} if rpc == "stat" else {})}

    refused_code, details = _refused(lambda: client_2x.call(rpc, {"query": query}))

    assert refused_code is grpc.StatusCode.INVALID_ARGUMENT
    assert details == f"{code} (condition = {sent})"


def test_stat_dates_are_bucketed_in_the_calls_timezone_and_rendered_as_strings(
    client_2x: JobTaskClient2x,
) -> None:
    query = {
        "filter": [{"k": "job_task_id", "v": TASK_ID, "o": "eq"}],
        "aggregate": [
            {
                "group": {
                    "keys": [{"key": "created_at", "name": "day", "date_format": "%Y-%m-%d %H"}],
                    "fields": [{"key": "created_at", "name": "last", "operator": "max"}],
                }
            }
        ],
    }
    seoul = [*scope_metadata(DOMAIN), ("timezone", "Asia/Seoul")]

    answer = client_2x.stat({"query": query}, seoul)

    # 2023-01-05 09:00:00.120 UTC is 18:00 in Seoul; a date is a string, never INTERNAL.
    assert answer == {"results": [{"day": "2023-01-05 18", "last": "2023-01-05T09:00:00.120Z"}]}
