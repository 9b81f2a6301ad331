"""A list request's plan, built once in query/: filter (with the equality filters and keyword),
sort with its tie-breaker, page window, projection and count_only."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final

import pytest

from jobtask.domain import MINIMAL_FIELDS
from jobtask.errors import InvalidParameter
from jobtask.query.list_plan import ListPlan, build_list_plan, build_match, keyword_condition
from jobtask.query.model import Condition, Page, Query, SortKey
from jobtask.query.stat_model import StatisticsQuery

NOW: Final = datetime(2024, 5, 1)


def plan(query: Query, **equals: str) -> ListPlan:
    return build_list_plan(query, equals=equals, max_limit=50, now=NOW)


def test_an_empty_query_is_every_task_newest_first_with_every_field() -> None:
    built = plan(Query())

    assert built.filter == {}
    assert built.find.sort == [("created_at", -1), ("job_task_id", -1)]
    assert (built.find.skip, built.find.limit, built.count_only) == (0, 0, False)
    # Every field: no projection at all (the real engine projects every match before it sorts).
    assert built.find.projection == {}


def test_filter_filter_or_equalities_and_keyword_are_anded_in_one_document() -> None:
    query = Query(
        filter=(Condition("provider", "aws", "eq"),),
        filter_or=(Condition("job_id", "j1", "eq"), Condition("job_id", "j2", "eq")),
        keyword="ab",
    )

    built = plan(query, status="FAILURE")

    assert built.filter == {
        "provider": "aws",
        "$or": [{"job_id": "j1"}, {"job_id": "j2"}],
        "status": "FAILURE",
        "job_task_id": re.compile("ab", re.IGNORECASE),
    }


def test_an_equality_on_a_key_the_filter_constrains_too_is_an_and() -> None:
    built = plan(Query(filter=(Condition("status", "SUCCESS", "eq"),)), status="FAILURE")

    assert built.filter == {"$and": [{"status": "SUCCESS"}, {"status": "FAILURE"}]}


def test_page_sort_projection_and_count_only_are_carried() -> None:
    query = Query(
        sort=(SortKey("provider"),),
        page=Page(start=11, limit=10),
        minimal=True,
        count_only=True,
    )

    built = plan(query)

    assert built.find.sort == [("provider", 1), ("job_task_id", 1)]
    assert (built.find.skip, built.find.limit, built.count_only) == (10, 10, True)
    assert built.find.projection == {"_id": 0, **dict.fromkeys(MINIMAL_FIELDS, 1)}


@pytest.mark.parametrize(
    ("query", "key"),
    [
        # Filters first, then the page, then only, then sort (each bad, and every later one too).
        (
            Query(
                filter=(Condition("nope", 1, "eq"),),
                page=Page(limit=51),
                only=("nope",),
                sort=(SortKey("nope"),),
            ),
            "query.filter[0].key",
        ),
        (Query(page=Page(limit=51), only=("nope",), sort=(SortKey("nope"),)), "query.page.limit"),
        (Query(only=("nope",), sort=(SortKey("nope"),)), "query.only"),
        (Query(sort=(SortKey("nope"),)), "query.sort"),
    ],
)
def test_the_parts_are_checked_in_order(query: Query, key: str) -> None:
    with pytest.raises(InvalidParameter) as raised:
        plan(query)

    assert raised.value.key == key


def test_a_statistics_query_matches_as_a_list_query_does() -> None:
    conditions = (Condition("provider", "aws", "eq"),)

    stat = build_match(StatisticsQuery(filter=conditions, keyword="x"), now=NOW)

    assert stat == plan(Query(filter=conditions, keyword="x")).filter


def test_keyword_words_are_one_contain_in_condition() -> None:
    assert keyword_condition(" a\tb ") == Condition("job_task_id", ["a", "b"], "contain_in")
    assert keyword_condition("  ") is None
