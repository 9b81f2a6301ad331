"""core.v2's unwind and add_fields: a list as an aggregation pipeline, as SpaceONE 2.x's
MongoModel runs it; every check of the client's part."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final

import pytest

from jobtask.errors import InvalidParameter, RequiredParameter
from jobtask.query.list_pipeline import (
    EXPRESSION_OPERATORS,
    UNWIND_INDEX,
    ListPipeline,
    build_add_fields,
    read_rows,
    read_total,
)
from jobtask.query.list_plan import ListPlan, build_list_plan
from jobtask.query.model import Condition, Page, Query, SortKey, Unwind

NOW: Final = datetime(2024, 5, 1)
ERRORS: Final = Unwind("errors")
NEWEST: Final = {"created_at": -1, "job_task_id": -1}


def plan(query: Query) -> ListPlan:
    return build_list_plan(query, equals={}, max_limit=1000, now=NOW)


def pipeline(query: Query) -> ListPipeline:
    built = plan(query).pipeline
    assert built is not None
    return built


def test_a_list_without_unwind_or_add_fields_is_a_find() -> None:
    assert plan(Query(only=("job_id",), page=Page(2, 10))).pipeline is None


def test_unwind_rows_are_sorted_with_the_element_index_last_then_paged_then_projected() -> None:
    built = pipeline(Query(unwind=ERRORS, only=("job_task_id", "errors"), page=Page(3, 10)))

    assert built.rows == [
        {"$unwind": {"path": "$errors", "includeArrayIndex": UNWIND_INDEX}},
        {"$sort": {**NEWEST, UNWIND_INDEX: 1}},
        {"$skip": 2},
        {"$limit": 10},
        {"$project": {"_id": 0, "errors": 1, "job_task_id": 1}},
    ]
    assert built.count == [
        {"$unwind": {"path": "$errors", "includeArrayIndex": UNWIND_INDEX}},
        {"$group": {"_id": None, "n": {"$sum": 1}}},
    ]
    assert built.unwound == "errors"


def test_an_explicit_sort_keeps_the_id_as_tie_breaker_before_the_element_index() -> None:
    query = Query(unwind=ERRORS, only=("errors",), sort=(SortKey("errors.error_code"),))

    assert pipeline(query).rows[1] == {
        "$sort": {"errors.error_code": 1, "job_task_id": 1, UNWIND_INDEX: 1}
    }


def test_the_unwind_filter_matches_rows_and_counts_them() -> None:
    unwind = Unwind("errors", (Condition("errors.error_code", "E1", "eq"),))

    built = pipeline(Query(unwind=unwind, only=("errors",)))

    assert built.rows[1] == {"$match": {"errors.error_code": "E1"}}
    assert built.count is not None and built.count[1] == {"$match": {"errors.error_code": "E1"}}


def test_the_unwind_filter_is_a_list_filter() -> None:
    unwind = Unwind("errors", (Condition("errors.message", "time", "contain"),))

    built = pipeline(Query(unwind=unwind, only=("errors",)))

    assert built.rows[1] == {"$match": {"errors.message": re.compile("time", re.I)}}


@pytest.mark.parametrize(
    ("query", "key", "reason"),
    [
        (Query(unwind=ERRORS), "query.only", "unwind needs only"),
        (Query(unwind=Unwind("job_id"), only=("job_id",)), "query.unwind.path", "not an array"),
        (Query(unwind=Unwind("nope"), only=("job_id",)), "query.unwind.path", "not an array"),
        (
            Query(unwind=Unwind("errors", (Condition("nope", 1, "eq"),)), only=("job_id",)),
            "query.unwind.filter[0].key",
            "not a field",
        ),
        (
            Query(
                unwind=Unwind("errors", (Condition("errors", {"error_code": "E"}, "match"),)),
                only=("job_id",),
            ),
            "query.unwind.filter",
            "one error",
        ),
    ],
    ids=["no only", "not an array", "unknown path", "unknown filter key", "match on the row"],
)
def test_unwind_mistakes_are_invalid_arguments(query: Query, key: str, reason: str) -> None:
    with pytest.raises(InvalidParameter) as raised:
        plan(query)

    assert raised.value.key == key
    assert reason in raised.value.reason


def test_count_only_with_unwind_still_has_the_count_pipeline() -> None:
    built = plan(Query(unwind=ERRORS, only=("errors",), count_only=True))

    assert built.count_only
    assert built.pipeline is not None and built.pipeline.count is not None


def test_add_fields_runs_after_the_page_when_the_order_does_not_read_it() -> None:
    built = pipeline(Query(add_fields={"provider": "$job_id"}, page=Page(1, 5)))

    assert built.rows == [
        {"$sort": NEWEST},
        {"$limit": 5},
        {"$addFields": {"provider": "$job_id"}},
    ]
    # Without unwind the rows are the matching tasks: counted as a find's.
    assert (built.count, built.unwound) == (None, "")


def test_add_fields_runs_before_the_sort_that_reads_it() -> None:
    query = Query(add_fields={"provider": "$job_id"}, sort=(SortKey("provider", True),))

    assert pipeline(query).rows == [
        {"$addFields": {"provider": "$job_id"}},
        {"$sort": {"provider": -1, "job_task_id": -1}},
    ]


def test_add_fields_overriding_the_id_runs_before_the_sort() -> None:
    rows = pipeline(Query(add_fields={"job_task_id": "$job_id"})).rows

    assert rows[0] == {"$addFields": {"job_task_id": "$job_id"}}


def test_add_fields_with_unwind_and_only() -> None:
    rows = pipeline(Query(unwind=ERRORS, only=("provider",), add_fields={"provider": "x"})).rows

    assert [next(iter(stage)) for stage in rows] == ["$unwind", "$sort", "$addFields", "$project"]


def test_the_conditional_form_is_spaceone_2xs() -> None:
    value = {"if": {"__gt": ["$failure_count", 0]}, "then": "broken", "else": "$provider"}

    assert build_add_fields({"provider": value}) == {
        "provider": {
            "$cond": {
                "if": {"$gt": ["$failure_count", 0]},
                "then": "broken",
                "else": "$provider",
            }
        }
    }


def test_conditionals_nest_in_then_and_else() -> None:
    inner = {"if": {"__eq": ["$status", "FAILURE"]}, "then": "f", "else": None}
    value = {"if": True, "then": inner, "else": "$provider"}

    built = build_add_fields({"provider": value})

    assert built["provider"]["$cond"]["then"] == {
        "$cond": {"if": {"$eq": ["$status", "FAILURE"]}, "then": "f", "else": None}
    }


@pytest.mark.parametrize(
    "value",
    [
        "aws",
        5,
        None,
        ["$job_id", "x"],
        {"if": {"__in": ["$provider", ["aws", "gcp"]]}, "then": 1, "else": 0},
        {
            "if": {"__and": [{"$gt": ["$failure_count", 0]}, {"$ne": ["$job_id", None]}]},
            "then": 1,
            "else": 0,
        },
        {"if": {"__eq": [{"$literal": "$not_a_field"}, "$job_id"]}, "then": 1, "else": 0},
        {"if": {"__eq": [{"$concat": ["$provider", "-", "$job_id"]}, "a-b"]}, "then": 1, "else": 0},
        {"if": {"__gt": [{"$size": {"$ifNull": ["$errors", []]}}, 0]}, "then": 1, "else": 0},
        {"if": True, "then": [{"$toUpper": "$provider"}], "else": 0},
        {"if": {"__eq": [{"job": "$job_id"}, {"job": "j"}]}, "then": 1, "else": 0},
        {"if": {"__eq": [{"$literal": ["$x", {"y": "$z"}]}, []]}, "then": 1, "else": 0},
    ],
)
def test_expressions_of_allowed_operators_over_fields_are_taken(value: Any) -> None:
    build_add_fields({"provider": value})


@pytest.mark.parametrize(
    ("add_fields", "key", "reason"),
    [
        ({"nope": 1}, "query.add_fields", "not a field of a job task"),
        ({"errors.error_code": 1}, "query.add_fields", "not a field of a job task"),
        ({"_id": 1}, "query.add_fields", "not a field of a job task"),
        ({"provider": "$nope"}, "query.add_fields.provider", "not a field of a job task"),
        ({"provider": "$$ROOT"}, "query.add_fields.provider", "variables are not served"),
        ({"provider": {"then": 1, "else": 2}}, "query.add_fields.provider", "{if, then, else}"),
        ({"provider": {"a": 1}}, "query.add_fields.provider", "{if, then, else}"),
        (
            {"provider": {"if": {"__function": {"body": "x"}}, "then": 1, "else": 0}},
            "query.add_fields.provider.if",
            "'$function' is not an expression",
        ),
        (
            {"provider": {"if": {"__gt": [1, 0], "__lt": [0, 1]}, "then": 1, "else": 0}},
            "query.add_fields.provider.if",
            "has that one key",
        ),
        (
            {"provider": {"if": True, "then": [{"$regexMatch": {"input": "$job_id"}}], "else": 0}},
            "query.add_fields.provider.then",
            "is not an expression",
        ),
        (
            {"provider": {"if": True, "then": {"$concat": ["a"]}, "else": 0}},
            "query.add_fields.provider.then",
            "{if, then, else}",
        ),
        (
            {"provider": {"if": {"__eq": [{"a.b": 1}, 1]}, "then": 1, "else": 0}},
            "query.add_fields.provider.if",
            "cannot be an object's key",
        ),
        (
            {"provider": {"if": {"__eq": [{"$literal": {"a\x00": 1}}, 1]}, "then": 1, "else": 0}},
            "query.add_fields.provider.if",
            "cannot be an object's key",
        ),
        (
            {"provider": {"if": {"__eq": ["$nope", 1]}, "then": 1, "else": 0}},
            "query.add_fields.provider.if",
            "not a field",
        ),
    ],
)
def test_add_fields_mistakes_are_invalid_arguments(
    add_fields: dict[str, Any], key: str, reason: str
) -> None:
    with pytest.raises(InvalidParameter) as raised:
        build_add_fields(add_fields)

    assert raised.value.key == key
    assert reason in raised.value.reason


def test_the_allowed_operators_run_nothing_of_the_servers_own() -> None:
    assert not EXPRESSION_OPERATORS & {"$function", "$accumulator", "$where", "$regexMatch"}


def test_the_unwound_element_is_read_back_as_a_list_of_one() -> None:
    built = pipeline(Query(unwind=ERRORS, only=("errors", "job_id")))
    documents: list[dict[str, Any]] = [
        {"errors": {"error_code": "E"}, "job_id": "j"},
        {"job_id": "k"},
    ]

    assert read_rows(built, documents) == [
        {"errors": [{"error_code": "E"}], "job_id": "j"},
        {"job_id": "k"},
    ]


def test_rows_without_unwind_are_as_returned() -> None:
    built = pipeline(Query(add_fields={"provider": "x"}))

    assert read_rows(built, [{"provider": "x"}]) == [{"provider": "x"}]


def test_the_total_is_the_count_row_or_zero() -> None:
    assert read_total([{"_id": None, "n": 4}]) == 4
    assert read_total([]) == 0


def test_a_sort_key_without_key_is_still_refused_with_a_pipeline() -> None:
    with pytest.raises(RequiredParameter):
        plan(Query(add_fields={"provider": 1}, sort=(SortKey(""),)))
