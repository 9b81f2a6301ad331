"""list over real gRPC against the wire-protocol database: every operator and Query option.

Each expectation is a plain-Python predicate over the stored documents, never the code under test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest

from tests.support.dataset import DOMAIN, FULL_VIEW_OF_FIRST, OTHER_DOMAIN, TASKS, ids, tasks_in
from tests.support.independent_client import IndependentJobTaskClient

pytestmark = pytest.mark.usefixtures("seeded")

Task = dict[str, Any]


def _f(key: str, value: Any, operator: str, *, short: bool = False) -> dict[str, Any]:
    return (
        {"k": key, "v": value, "o": operator}
        if short
        else {"key": key, "value": value, "operator": operator}
    )


def _errors(task: Task) -> list[dict[str, Any]]:
    return task["errors"]


def _ci(needle: str, haystack: Any) -> bool:
    return isinstance(haystack, str) and needle.lower() in haystack.lower()


NOW = datetime.now(UTC).replace(tzinfo=None)

CASES: list[tuple[str, list[dict[str, Any]], Callable[[Task], bool]]] = [
    ("eq", [_f("status", "FAILURE", "eq")], lambda t: t["status"] == "FAILURE"),
    (
        "eq short aliases",
        [_f("provider", "aws", "eq", short=True)],
        lambda t: t["provider"] == "aws",
    ),
    ("eq null matches null", [_f("provider", None, "eq")], lambda t: t["provider"] is None),
    ("not", [_f("provider", "aws", "not")], lambda t: t["provider"] != "aws"),
    ("lt", [_f("created_count", 3, "lt")], lambda t: t["created_count"] < 3),
    ("lte", [_f("created_count", 3, "lte")], lambda t: t["created_count"] <= 3),
    ("gt", [_f("updated_count", 12, "gt")], lambda t: t["updated_count"] > 12),
    (
        "gte without truncation",
        [_f("created_count", 2.9, "gte")],
        lambda t: t["created_count"] >= 2.9,
    ),
    ("gte numeric string", [_f("created_count", "5", "gte")], lambda t: t["created_count"] >= 5),
    (
        "gt date lenient",
        [_f("created_at", "2023-01-07", "gt")],
        lambda t: t["created_at"] > datetime(2023, 1, 7),
    ),
    ("exists true on null field", [_f("provider", True, "exists")], lambda t: "provider" in t),
    ("exists false", [_f("collector_id", False, "exists")], lambda t: "collector_id" not in t),
    (
        "contain is case-insensitive",
        [_f("job_task_id", "abcd", "contain")],
        lambda t: _ci("abcd", t["job_task_id"]),
    ),
    (
        "contain is literal",
        [_f("errors.message", "(ec2.*)", "contain")],
        lambda t: any("(ec2.*)" in e["message"] for e in _errors(t)),
    ),
    (
        "contain on integer is equality",
        [_f("created_count", 5, "contain")],
        lambda t: t["created_count"] == 5,
    ),
    (
        "not_contain",
        [_f("provider", "AWS", "not_contain")],
        lambda t: not _ci("aws", t["provider"]),
    ),
    (
        "not_contain on integer is inequality",
        [_f("created_count", 5, "not_contain")],
        lambda t: t["created_count"] != 5,
    ),
    (
        "in",
        [_f("status", ["SUCCESS", "CANCELED"], "in")],
        lambda t: t["status"] in ("SUCCESS", "CANCELED"),
    ),
    ("in empty matches nothing", [_f("status", [], "in")], lambda t: False),
    (
        "not_in",
        [_f("provider", ["aws", "azure"], "not_in")],
        lambda t: t["provider"] not in ("aws", "azure"),
    ),
    (
        "contain_in",
        [_f("provider", ["GOOGLE", "zur"], "contain_in")],
        lambda t: _ci("google", t["provider"]) or _ci("zur", t["provider"]),
    ),
    (
        "not_contain_in excludes any",
        [_f("provider", ["aws", "google"], "not_contain_in")],
        lambda t: not _ci("aws", t["provider"]) and not _ci("google", t["provider"]),
    ),
    (
        "match on errors",
        [_f("errors", {"error_code": "ERROR_QUOTA"}, "match")],
        lambda t: any(e["error_code"] == "ERROR_QUOTA" for e in _errors(t)),
    ),
    (
        "match with operators and suffixes",
        [
            _f(
                "errors",
                {"error_code__in": ["ERROR_AUTH", "X"], "additional__provider": "aws"},
                "match",
            )
        ],
        lambda t: any(
            e["error_code"] in ("ERROR_AUTH", "X") and e["additional"].get("provider") == "aws"
            for e in _errors(t)
        ),
    ),
    (
        "match with a $in operator",
        [_f("errors", {"error_code": {"$in": ["ERROR_QUOTA"]}}, "match")],
        lambda t: any(e["error_code"] == "ERROR_QUOTA" for e in _errors(t)),
    ),
    (
        "regex is case-insensitive",
        [_f("job_task_id", "^JOB_TASK-a{4}", "regex")],
        lambda t: re.search("^job_task-a{4}", t["job_task_id"], re.I) is not None,
    ),
    (
        "regex_in",
        [_f("provider", ["^az", "^goo"], "regex_in")],
        lambda t: t["provider"] is not None and re.match("^(az|goo)", t["provider"]) is not None,
    ),
    (
        "datetime_gt",
        [_f("created_at", "2023-01-07T10:00:00Z", "datetime_gt")],
        lambda t: t["created_at"] > datetime(2023, 1, 7, 10),
    ),
    (
        "datetime_gte with offset",
        [_f("created_at", "2023-01-07T19:00:00+09:00", "datetime_gte")],
        lambda t: t["created_at"] >= datetime(2023, 1, 7, 10),
    ),
    (
        "datetime_lt",
        [_f("created_at", "2023-01-06", "datetime_lt")],
        lambda t: t["created_at"] < datetime(2023, 1, 6),
    ),
    (
        "datetime_lte",
        [_f("finished_at", "2023-01-05T10:30:00", "datetime_lte")],
        lambda t: t["finished_at"] is not None and t["finished_at"] <= datetime(2023, 1, 5, 10, 30),
    ),
    (
        "timediff_gt finds nothing recent",
        [_f("created_at", "now/d - 1d", "timediff_gt")],
        lambda t: t["created_at"] > NOW - timedelta(days=2),
    ),
    (
        "timediff_lt finds old tasks",
        [_f("created_at", "now - 30d", "timediff_lt")],
        lambda t: t["created_at"] < NOW - timedelta(days=30),
    ),
    (
        "timediff_gte",
        [_f("started_at", "now/m - 100000d", "timediff_gte")],
        lambda t: t["started_at"] is not None,
    ),
    (
        "timediff_lte",
        [_f("finished_at", "now + 1h", "timediff_lte")],
        lambda t: t["finished_at"] is not None,
    ),
    (
        "errors path",
        [_f("errors.error_code", "ERROR_PLUGIN", "eq")],
        lambda t: any(e["error_code"] == "ERROR_PLUGIN" for e in _errors(t)),
    ),
    # Through the errors array a negation means that no element matches (MongoDB's $not and
    # $exists: false); mongo-java-server read both element by element before they became $nor.
    (
        "not_contain through errors",
        [_f("errors.error_code", "auth", "not_contain")],
        lambda t: not any(_ci("auth", e["error_code"]) for e in _errors(t)),
    ),
    (
        "exists false through errors",
        [_f("errors.error_code", False, "exists")],
        lambda t: not any("error_code" in e for e in _errors(t)),
    ),
    (
        "exists true through errors",
        [_f("errors.error_code", True, "exists")],
        lambda t: any("error_code" in e for e in _errors(t)),
    ),
    (
        "errors.additional path",
        [_f("errors.additional.retry", 3, "eq")],
        lambda t: any(e["additional"].get("retry") == 3 for e in _errors(t)),
    ),
    ("stored-only field filterable", [_f("total_count", 0, "eq")], lambda t: True),
    (
        "user_projects is project_id",
        [_f("user_projects", ["project-000000000001"], "in")],
        lambda t: t["project_id"] == "project-000000000001",
    ),
    (
        "several conditions AND",
        [_f("status", "SUCCESS", "eq"), _f("provider", "aws", "eq")],
        lambda t: t["status"] == "SUCCESS" and t["provider"] == "aws",
    ),
]


@pytest.mark.parametrize(
    ("conditions", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_list_filter_operator_selects_what_the_operator_means(
    client: IndependentJobTaskClient,
    conditions: list[dict[str, Any]],
    expected: Callable[[Task], bool],
) -> None:
    response = client.list({"domain_id": DOMAIN, "query": {"filter": conditions}})

    wanted = ids([t for t in tasks_in(DOMAIN) if expected(t)])
    assert {r["job_task_id"] for r in response.get("results", [])} == wanted
    assert response.get("total_count", 0) == len(wanted)


def test_list_filter_or_is_any_and_filter_is_all(client: IndependentJobTaskClient) -> None:
    response = client.list(
        {
            "domain_id": DOMAIN,
            "query": {
                "filter": [_f("provider", "aws", "eq")],
                "filter_or": [_f("status", "FAILURE", "eq"), _f("created_count", 5, "gte")],
            },
        }
    )

    wanted = ids(
        [
            t
            for t in tasks_in()
            if t["provider"] == "aws" and (t["status"] == "FAILURE" or t["created_count"] >= 5)
        ]
    )
    assert {r["job_task_id"] for r in response["results"]} == wanted


def test_list_keyword_narrows_even_with_filter_or(client: IndependentJobTaskClient) -> None:
    response = client.list(
        {
            "domain_id": DOMAIN,
            "query": {"keyword": "  abcd  3F9C ", "filter_or": [_f("status", "SUCCESS", "eq")]},
        }
    )

    wanted = ids(
        [
            t
            for t in tasks_in()
            if t["status"] == "SUCCESS"
            and (_ci("abcd", t["job_task_id"]) or _ci("3f9c", t["job_task_id"]))
        ]
    )
    assert {r["job_task_id"] for r in response.get("results", [])} == wanted


def test_list_top_level_fields_are_anded_with_the_query(client: IndependentJobTaskClient) -> None:
    response = client.list(
        {
            "domain_id": DOMAIN,
            "status": "SUCCESS",
            "job_id": "job-000000000001",
            "query": {"filter": [_f("created_count", 5, "gte")]},
        }
    )

    wanted = ids(
        [
            t
            for t in tasks_in()
            if t["status"] == "SUCCESS"
            and t["job_id"] == "job-000000000001"
            and t["created_count"] >= 5
        ]
    )
    assert {r["job_task_id"] for r in response["results"]} == wanted


def _sorted_ids(tasks: list[Task], key: Callable[[Task], Any], desc: bool) -> list[str]:
    return [t["job_task_id"] for t in sorted(tasks, key=key, reverse=desc)]


def test_list_default_order_is_newest_first_with_a_unique_tie_breaker(
    client: IndependentJobTaskClient,
) -> None:
    response = client.list({"domain_id": DOMAIN})

    expected = _sorted_ids(tasks_in(), lambda t: (t["created_at"], t["job_task_id"]), desc=True)
    assert [r["job_task_id"] for r in response["results"]] == expected


@pytest.mark.parametrize(
    "spelling",
    [
        {"key": "created_count", "desc": True},
        {"keys": [{"key": "created_count", "desc": True}]},
        {"key": "-created_count"},
    ],
)
def test_list_sorts_by_key_keys_or_prefixed_key(
    client: IndependentJobTaskClient, spelling: dict[str, Any]
) -> None:
    response = client.list({"domain_id": DOMAIN, "query": {"sort": spelling}})

    expected = _sorted_ids(tasks_in(), lambda t: (t["created_count"], t["job_task_id"]), desc=True)
    assert [r["job_task_id"] for r in response["results"]] == expected


def test_list_sorts_by_several_keys(client: IndependentJobTaskClient) -> None:
    response = client.list(
        {
            "domain_id": DOMAIN,
            "query": {"sort": {"keys": [{"key": "status"}, {"key": "created_at", "desc": True}]}},
        }
    )

    tasks = sorted(tasks_in(), key=lambda t: (t["created_at"], t["job_task_id"]), reverse=True)
    expected = [t["job_task_id"] for t in sorted(tasks, key=lambda t: t["status"])]
    assert [r["job_task_id"] for r in response["results"]] == expected


def test_list_pages_never_repeat_or_skip_a_task(client: IndependentJobTaskClient) -> None:
    seen: list[str] = []
    for start in range(1, 9, 3):
        response = client.list(
            {"domain_id": DOMAIN, "query": {"page": {"start": start, "limit": 3}}}
        )
        seen += [r["job_task_id"] for r in response.get("results", [])]
        assert response["total_count"] == len(tasks_in())

    expected = _sorted_ids(tasks_in(), lambda t: (t["created_at"], t["job_task_id"]), desc=True)
    assert seen == expected


def test_list_page_start_zero_is_the_first_row(client: IndependentJobTaskClient) -> None:
    response = client.list({"domain_id": DOMAIN, "query": {"page": {"start": 0, "limit": 2}}})

    expected = _sorted_ids(tasks_in(), lambda t: (t["created_at"], t["job_task_id"]), desc=True)
    assert [r["job_task_id"] for r in response["results"]] == expected[:2]


def test_list_count_only_returns_just_the_count(client: IndependentJobTaskClient) -> None:
    response = client.list(
        {
            "domain_id": DOMAIN,
            "query": {"count_only": True, "filter": [_f("status", "SUCCESS", "eq")]},
        }
    )

    assert "results" not in response
    assert response["total_count"] == sum(t["status"] == "SUCCESS" for t in tasks_in())


def test_list_minimal_returns_the_minimal_view(client: IndependentJobTaskClient) -> None:
    response = client.list(
        {
            "domain_id": DOMAIN,
            "query": {
                "minimal": True,
                "filter": [_f("job_task_id", "job_task-3f9c0a1b2c4d", "eq")],
            },
        }
    )

    assert response["results"] == [
        {
            "job_task_id": "job_task-3f9c0a1b2c4d",
            "status": "FAILURE",
            "updated_count": 12,
            "failure_count": 2,
            "disconnected_count": 1,
            "job_id": "job-000000000001",
            "created_at": "2023-01-05T09:00:00.120Z",
            "started_at": "2023-01-05T09:00:05.120Z",
            "finished_at": "2023-01-05T09:30:00.120Z",
        }
    ]


def test_list_only_returns_just_those_fields(client: IndependentJobTaskClient) -> None:
    response = client.list({"domain_id": DOMAIN, "query": {"only": ["job_id", "status"]}})

    assert {tuple(sorted(r)) for r in response["results"]} == {("job_id", "status")}


def test_list_full_view_renders_every_stored_field(client: IndependentJobTaskClient) -> None:
    response = client.list(
        {
            "domain_id": DOMAIN,
            "query": {"filter": [_f("job_task_id", "job_task-3f9c0a1b2c4d", "eq")]},
        }
    )

    assert response["results"][0] == FULL_VIEW_OF_FIRST


@pytest.mark.parametrize(
    "query",
    [
        {"filter_or": [_f("domain_id", OTHER_DOMAIN, "eq"), _f("status", "FAILURE", "eq")]},
        {"filter": [_f("domain_id", OTHER_DOMAIN, "eq")]},
        {"filter": [_f("domain_id", [OTHER_DOMAIN, DOMAIN], "in")]},
        {"keyword": "bbbb"},
        {"filter_or": [_f("job_task_id", "bbbb", "contain")]},
    ],
    ids=["filter_or", "filter eq", "filter in", "keyword", "contain"],
)
def test_list_never_reaches_another_domain(
    client: IndependentJobTaskClient, query: dict[str, Any]
) -> None:
    response = client.list({"domain_id": DOMAIN, "query": query})

    assert all(r["domain_id"] == DOMAIN for r in response.get("results", []))
    assert response.get("total_count", 0) <= len(tasks_in(DOMAIN))


@pytest.mark.parametrize(
    ("query", "code_in_details"),
    [
        ({"filter": [{"k": "status", "v": "A"}]}, "ERROR_UNSUPPORTED_OPERATOR"),
        ({"filter": [_f("status", "A", "bogus")]}, "ERROR_UNSUPPORTED_OPERATOR"),
        ({"filter": [_f("status", ["A"], "eq")]}, "ERROR_OPERATOR_VALUE_TYPE"),
        ({"filter": [_f("status", "A", "in")]}, "ERROR_OPERATOR_LIST_VALUE_TYPE"),
        ({"filter": [_f("status", "true", "exists")]}, "ERROR_OPERATOR_BOOLEAN_TYPE"),
        ({"filter": [_f("errors", "x", "match")]}, "ERROR_OPERATOR_DICT_VALUE_TYPE"),
        ({"filter": [{"v": "A", "o": "eq"}]}, "ERROR_REQUIRED_PARAMETER"),
        ({"filter": [_f("foo", 1, "eq")]}, "ERROR_INVALID_PARAMETER"),
        ({"filter": [_f("foo", "x", "regex")]}, "ERROR_INVALID_PARAMETER"),
        ({"filter": [_f("status", "BOGUS", "eq")]}, "ERROR_INVALID_PARAMETER"),
        ({"filter": [_f("provider", {"$ne": None}, "eq")]}, "ERROR_INVALID_PARAMETER"),
        ({"filter": [_f("errors", {"$where": "1"}, "match")]}, "ERROR_INVALID_PARAMETER"),
        ({"filter": [_f("created_at", "Jan 1 2022", "datetime_gt")]}, "ERROR_INVALID_PARAMETER"),
        ({"filter": [_f("created_at", "garbage", "gt")]}, "ERROR_INVALID_PARAMETER"),
        ({"filter": [_f("created_at", "yesterday", "timediff_gt")]}, "ERROR_INVALID_PARAMETER"),
        ({"filter": [_f("job_task_id", [], "contain_in")]}, "ERROR_OPERATOR_LIST_VALUE_TYPE"),
        ({"filter": [_f("job_task_id", 5, "contain")]}, "ERROR_INVALID_PARAMETER"),
        ({"filter": [_f("created_count", "abc", "gte")]}, "ERROR_INVALID_PARAMETER"),
        ({"sort": {"keys": [{"desc": True}]}}, "ERROR_REQUIRED_PARAMETER"),
        ({"sort": {"key": "nope"}}, "ERROR_INVALID_PARAMETER"),
        ({"only": ["collector"]}, "ERROR_INVALID_PARAMETER"),
        ({"page": {"limit": 51}}, "ERROR_INVALID_PARAMETER"),
        ({"filter": [_f("job_task_id", "([", "regex")]}, "ERROR_INVALID_PARAMETER"),
    ],
)
def test_list_bad_input_is_invalid_argument_naming_the_problem(
    client: IndependentJobTaskClient, query: dict[str, Any], code_in_details: str
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        client.list({"domain_id": DOMAIN, "query": query})

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details().startswith(f"{code_in_details}: ")


def test_list_without_domain_is_a_required_parameter(client: IndependentJobTaskClient) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        client.list({"query": {}})

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert (
        raised.value.details() == "ERROR_REQUIRED_PARAMETER: Required parameter. (key = domain_id)"
    )


def test_list_unknown_status_number_is_invalid(client: IndependentJobTaskClient) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        client.list({"domain_id": DOMAIN, "status": 9})

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT


def test_list_without_limit_over_the_cap_asks_for_paging(
    client: IndependentJobTaskClient, seeded: Any
) -> None:
    extra = [{**TASKS[1], "job_task_id": f"job_task-x{n:011x}"} for n in range(60)]
    seeded.insert_many(extra)

    with pytest.raises(grpc.RpcError) as raised:
        client.list({"domain_id": DOMAIN})
    paged = client.list({"domain_id": DOMAIN, "query": {"page": {"limit": 50}}})

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "page.limit" in raised.value.details()
    assert len(paged["results"]) == 50
    assert paged["total_count"] == len(tasks_in()) + 60
