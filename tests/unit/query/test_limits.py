"""Query size limits: each limit at its boundary and one past it, the error naming part and limit,
and the service checking them before the repository is asked anything."""

from __future__ import annotations

from typing import Any, Final

import pytest

from jobtask.domain import Limits
from jobtask.errors import InvalidParameter
from jobtask.query.limits import (
    DEFAULT_LIMITS,
    check_only,
    check_query,
    check_statistics_query,
    check_stored_value,
)
from jobtask.query.model import Condition, Page, Query, SortKey, Unwind
from jobtask.query.stat_model import (
    AggregateGroup,
    AggregateGroupField,
    AggregateGroupKey,
    AggregateGroupSubField,
    AggregateLimit,
    AggregateProject,
    AggregateProjectField,
    AggregateSort,
    AggregateUnwind,
    StatisticsQuery,
)
from jobtask.scope import Scope
from jobtask.services.reads import JobTaskService, ListRequest, StatRequest
from jobtask.settings import Settings

LIMITS: Final = Limits(
    max_filters=3,
    max_value_depth=3,
    max_regex_length=5,
    max_list_values=4,
    max_aggregate_stages=2,
    max_only_fields=2,
    max_stage_fields=3,
)


def nested(depth: int) -> Any:
    """A value with `depth` levels of lists around a string."""
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


def conditions(count: int, operator: str = "eq", value: Any = "x") -> tuple[Condition, ...]:
    return tuple(Condition("provider", value, operator) for _ in range(count))


def group(keys: int = 0, fields: int = 1, **field: Any) -> AggregateGroup:
    return AggregateGroup(
        keys=tuple(AggregateGroupKey("status", f"k{i}") for i in range(keys)),
        fields=tuple(
            AggregateGroupField(name=f"f{i}", operator="count", **field) for i in range(fields)
        ),
    )


def push(sub_fields: int) -> AggregateGroup:
    pushed = tuple(AggregateGroupSubField("status", f"s{i}") for i in range(sub_fields))
    return AggregateGroup(fields=(AggregateGroupField(name="p", operator="push", fields=pushed),))


# (query within the limits, the same part one past its limit, the key named, the reason's words)
LIST_CASES: Final = [
    (
        Query(filter=conditions(2), filter_or=conditions(1)),
        Query(filter=conditions(2), filter_or=conditions(2)),
        "query.filter",
        "4 conditions in filter and filter_or; at most 3",
    ),
    (
        Query(filter=(Condition("provider", nested(3), "eq"),)),
        Query(filter=(Condition("provider", nested(4), "eq"),)),
        "query.filter[0].value",
        "nested more than 3 levels",
    ),
    (
        Query(filter_or=(Condition("errors", {"a": {"b": [1]}}, "match"),)),
        Query(filter_or=(Condition("errors", {"a": {"b": [{}]}}, "match"),)),
        "query.filter_or[0].value",
        "nested more than 3 levels",
    ),
    (
        Query(filter=(Condition("provider", ["a"] * 4, "in"),)),
        Query(filter=(Condition("provider", ["a"] * 5, "in"),)),
        "query.filter[0].value",
        "5 values in a list; at most 4",
    ),
    (
        Query(filter=(Condition("errors", {"error_code": {"$in": [1, 2, 3, 4]}}, "match"),)),
        Query(filter=(Condition("errors", {"error_code": {"$in": [1, 2, 3, 4, 5]}}, "match"),)),
        "query.filter[0].value",
        "5 values in a list",
    ),
    (
        Query(filter=(Condition("provider", "a" * 5, "regex"),)),
        Query(filter=(Condition("provider", "a" * 6, "regex"),)),
        "query.filter[0].value",
        "a pattern of 6 characters; at most 5",
    ),
    (
        Query(filter=(Condition("provider", ["a", "b" * 5], "regex_in"),)),
        Query(filter=(Condition("provider", ["a", "b" * 6], "regex_in"),)),
        "query.filter[0].value",
        "a pattern of 6 characters",
    ),
    (
        Query(filter=(Condition("provider", "a" * 5, "contain"),)),
        Query(filter=(Condition("provider", "a" * 6, "not_contain"),)),
        "query.filter[0].value",
        "a pattern of 6 characters",
    ),
    (
        Query(filter=(Condition("provider", ["a" * 5], "contain_in"),)),
        Query(filter=(Condition("provider", ["a" * 6], "not_contain_in"),)),
        "query.filter[0].value",
        "a pattern of 6 characters",
    ),
    (
        Query(filter=(Condition("errors", {"message": {"$regex": "a" * 5}}, "match"),)),
        Query(filter=(Condition("errors", {"message": {"$regex": "a" * 6}}, "match"),)),
        "query.filter[0].value",
        "a pattern of 6 characters",
    ),
    (Query(keyword="ab cd"), Query(keyword="ab cde"), "query.keyword", "6 characters; at most 5"),
    (Query(only=("a", "b")), Query(only=("a", "b", "c")), "query.only", "3 fields; at most 2"),
    (
        Query(sort=(SortKey("a"),) * 3),
        Query(sort=(SortKey("a"),) * 4),
        "query.sort.keys",
        "4 sort keys; at most 3",
    ),
]

STAT_CASES: Final = [
    (
        StatisticsQuery(filter=conditions(3), distinct="provider"),
        StatisticsQuery(filter_or=conditions(4), distinct="provider"),
        "query.filter",
        "4 conditions in filter and filter_or",
    ),
    (
        StatisticsQuery(filter=(Condition("provider", "a" * 5, "regex"),), distinct="provider"),
        StatisticsQuery(filter=(Condition("provider", "a" * 6, "regex"),), distinct="provider"),
        "query.filter[0].value",
        "a pattern of 6 characters",
    ),
    (
        StatisticsQuery(keyword="a" * 5, distinct="provider"),
        StatisticsQuery(keyword="a" * 6, distinct="provider"),
        "query.keyword",
        "6 characters",
    ),
    (
        StatisticsQuery(aggregate=(AggregateLimit(1),) * 2),
        StatisticsQuery(aggregate=(AggregateLimit(1),) * 3),
        "query.aggregate",
        "3 stages; at most 2",
    ),
    (
        StatisticsQuery(aggregate=(group(keys=1, fields=2),)),
        StatisticsQuery(aggregate=(group(keys=2, fields=2),)),
        "query.aggregate[0].group",
        "4 keys and fields; at most 3",
    ),
    (
        StatisticsQuery(aggregate=(AggregateLimit(1), push(3))),
        StatisticsQuery(aggregate=(AggregateLimit(1), push(4))),
        "query.aggregate[1].group.fields[0].fields",
        "4 fields; at most 3",
    ),
    (
        StatisticsQuery(aggregate=(group(conditions=conditions(3)),)),
        StatisticsQuery(aggregate=(group(conditions=conditions(4)),)),
        "query.aggregate[0].group.fields[0].conditions",
        "4 conditions; at most 3",
    ),
    (
        StatisticsQuery(aggregate=(group(conditions=conditions(1, value=nested(3))),)),
        StatisticsQuery(aggregate=(group(conditions=conditions(1, value=nested(4))),)),
        "query.aggregate[0].group.fields[0].conditions[0].value",
        "nested more than 3 levels",
    ),
    (
        StatisticsQuery(aggregate=(group(conditions=conditions(1, value=[1] * 4)),)),
        StatisticsQuery(aggregate=(group(conditions=conditions(1, value=[1] * 5)),)),
        "query.aggregate[0].group.fields[0].conditions[0].value",
        "5 values in a list",
    ),
    (
        StatisticsQuery(aggregate=(AggregateProject((AggregateProjectField("a", "b"),) * 3),)),
        StatisticsQuery(aggregate=(AggregateProject((AggregateProjectField("a", "b"),) * 4),)),
        "query.aggregate[0].project",
        "4 fields; at most 3",
    ),
    (
        StatisticsQuery(aggregate=(AggregateSort(keys=(SortKey("a"),) * 3),)),
        StatisticsQuery(aggregate=(AggregateSort(keys=(SortKey("a"),) * 4),)),
        "query.aggregate[0].sort",
        "4 sort keys; at most 3",
    ),
]


@pytest.mark.parametrize(("within", "past", "key", "reason"), LIST_CASES)
def test_a_list_query_past_a_limit_names_the_part_and_the_limit(
    within: Query, past: Query, key: str, reason: str
) -> None:
    check_query(within, LIMITS)

    with pytest.raises(InvalidParameter) as raised:
        check_query(past, LIMITS)

    assert raised.value.key == key
    assert reason in raised.value.reason
    assert str(raised.value).startswith("ERROR_INVALID_PARAMETER: ")


@pytest.mark.parametrize(("within", "past", "key", "reason"), STAT_CASES)
def test_a_statistics_query_past_a_limit_names_the_part_and_the_limit(
    within: StatisticsQuery, past: StatisticsQuery, key: str, reason: str
) -> None:
    check_statistics_query(within, LIMITS)

    with pytest.raises(InvalidParameter) as raised:
        check_statistics_query(past, LIMITS)

    assert raised.value.key == key
    assert reason in raised.value.reason


def test_only_of_get_is_limited() -> None:
    check_only(("a", "b"), LIMITS)
    with pytest.raises(InvalidParameter) as raised:
        check_only(("a", "b", "c"), LIMITS)
    assert raised.value.key == "only"


def test_the_depth_walk_survives_values_deeper_than_the_interpreter_stack() -> None:
    with pytest.raises(InvalidParameter):
        check_query(Query(filter=(Condition("provider", nested(5000), "eq"),)), DEFAULT_LIMITS)


def test_a_scalar_and_an_empty_list_are_within_every_depth() -> None:
    check_query(
        Query(filter=(Condition("provider", "x", "eq"), Condition("provider", [], "in"))),
        Limits(max_value_depth=1),
    )


def test_the_settings_defaults_are_the_limits_defaults() -> None:
    assert Settings().limits == DEFAULT_LIMITS


class Untouchable:
    """A repository that fails the test when the service asks it anything."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the repository was asked {name} before the limits were checked")


def test_the_service_checks_the_limits_before_any_database_work() -> None:
    service = JobTaskService(Untouchable(), max_page_size=10, limits=LIMITS)

    with pytest.raises(InvalidParameter):
        service.get(Scope("domain-1"), "job_task-1", ("a", "b", "c"))
    with pytest.raises(InvalidParameter):
        service.list(
            Scope("domain-1"), ListRequest(Query(filter=conditions(4), page=Page(limit=1)))
        )
    with pytest.raises(InvalidParameter):
        service.stat(
            Scope("domain-1"), StatRequest(StatisticsQuery(aggregate=(AggregateLimit(1),) * 3))
        )


# -- numbers that are not numbers, pages past int32, stored values ---------------------------


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")], ids=repr)
@pytest.mark.parametrize(
    "wrap",
    [lambda n: n, lambda n: [1, n], lambda n: {"a": {"b": n}}, lambda n: {"$in": [n]}],
    ids=["bare", "in-a-list", "nested", "under-an-operator"],
)
def test_a_non_finite_number_anywhere_in_a_value_is_invalid(number: float, wrap: Any) -> None:
    query = Query(filter=(Condition("provider", wrap(number), "eq"),))

    with pytest.raises(InvalidParameter) as raised:
        check_query(query, DEFAULT_LIMITS)

    assert raised.value.key == "query.filter[0].value"
    assert "finite" in raised.value.reason


def test_a_non_finite_number_in_a_stat_sub_condition_is_invalid() -> None:
    field = AggregateGroupField(
        name="n", operator="count", conditions=(Condition("created_count", float("nan"), "eq"),)
    )
    query = StatisticsQuery(aggregate=(AggregateGroup(fields=(field,)),))

    with pytest.raises(InvalidParameter, match="finite"):
        check_statistics_query(query, DEFAULT_LIMITS)


@pytest.mark.parametrize(("start", "refused"), [(2**31, False), (2**31 + 1, True)])
def test_page_start_is_at_most_two_to_the_31(start: int, refused: bool) -> None:
    for check in (
        lambda: check_query(Query(page=Page(start=start)), DEFAULT_LIMITS),
        lambda: check_statistics_query(StatisticsQuery(page=Page(start=start)), DEFAULT_LIMITS),
    ):
        if refused:
            with pytest.raises(InvalidParameter, match=r"key = query\.page\.start"):
                check()
        else:
            check()


@pytest.mark.parametrize(
    "value",
    [
        {"": 1},
        {"$where": 1},
        {"a": {"b.c": 1}},
        {"a": [{"x\x00": 1}]},
        {"n": float("nan")},
        {"a": {"b": {"c": {"d": 1}}}},
    ],
    ids=repr,
)
def test_a_stored_value_mongodb_cannot_hold_unambiguously_is_invalid(value: Any) -> None:
    with pytest.raises(InvalidParameter) as raised:
        check_stored_value(value, max_depth=3, where="errors[0].additional")

    assert raised.value.key == "errors[0].additional"


def test_a_stored_value_within_the_limits_passes() -> None:
    check_stored_value(
        {"a": {"b": [1, "x", None, 2.5]}, "ok": True}, max_depth=3, where="additional"
    )


# --- core.v2's parts: the unwind's filter and add_fields ------------------------------------


@pytest.mark.parametrize(
    ("query", "key"),
    [
        (Query(unwind=Unwind("errors", conditions(4))), "query.unwind.filter"),
        (
            Query(unwind=Unwind("errors", conditions(1, "in", ["a"] * 5))),
            "query.unwind.filter[0].value",
        ),
        (
            Query(unwind=Unwind("errors", conditions(1, "contain", "x" * 6))),
            "query.unwind.filter[0].value",
        ),
        (Query(add_fields={f"f{i}": 1 for i in range(4)}), "query.add_fields"),
        (Query(add_fields={"provider": nested(4)}), "query.add_fields.provider"),
        (Query(add_fields={"provider": [float("nan")]}), "query.add_fields.provider"),
    ],
    ids=["unwind conditions", "unwind list", "unwind pattern", "fields", "depth", "nan"],
)
def test_core_v2_list_parts_past_a_limit_are_refused(query: Query, key: str) -> None:
    with pytest.raises(InvalidParameter) as raised:
        check_query(query, LIMITS)

    assert raised.value.key == key


def test_core_v2_list_parts_at_the_limits_pass() -> None:
    check_query(
        Query(
            unwind=Unwind("errors", conditions(3, "in", ["a"] * 4)),
            add_fields={f"f{i}": nested(3) for i in range(3)},
        ),
        LIMITS,
    )


def test_a_stat_unwinds_filter_past_a_limit_is_refused() -> None:
    query = StatisticsQuery(aggregate=(AggregateUnwind("errors", conditions(4)),))

    with pytest.raises(InvalidParameter) as raised:
        check_statistics_query(query, LIMITS)

    assert raised.value.key == "query.aggregate[0].unwind.filter"


def test_a_stat_unwinds_filter_values_are_checked() -> None:
    query = StatisticsQuery(aggregate=(AggregateUnwind("errors", conditions(1, "in", ["a"] * 5)),))

    with pytest.raises(InvalidParameter) as raised:
        check_statistics_query(query, LIMITS)

    assert raised.value.key == "query.aggregate[0].unwind.filter[0].value"
