"""core.v2 Query / StatisticsQuery (the 2.x pool's messages) -> the typed query models: what 2.x
shares with 1.x (aliases, values, limits checked before conversion) and what is its own (sort
list, page rule, unwind, add_fields, lookup refused, stat's Unwind and sort list)."""

from __future__ import annotations

from typing import Any, cast

import pytest
from google.protobuf import json_format

from jobtask.domain import Limits
from jobtask.errors import InvalidParameter, RequiredParameter
from jobtask.lines import query_messages
from jobtask.lines.v2 import query as v2_query
from jobtask.lines.v2 import wire
from jobtask.lines.v2.query import PAGE_LIMIT, to_query, to_statistics_query
from jobtask.query.model import Condition, Page, SortKey, Unwind
from jobtask.query.stat_model import (
    AggregateCount,
    AggregateGroup,
    AggregateGroupField,
    AggregateGroupKey,
    AggregateLimit,
    AggregateProject,
    AggregateProjectField,
    AggregateSkip,
    AggregateSort,
    AggregateUnwind,
)

_QUERY = wire.message_class(f"{wire.CORE}.Query")
_STAT_QUERY = wire.message_class(f"{wire.CORE}.StatisticsQuery")


def _query(data: dict[str, Any]) -> wire.QueryMessage:
    return cast(wire.QueryMessage, json_format.ParseDict(data, _QUERY()))


def _stat(data: dict[str, Any]) -> wire.StatisticsQueryMessage:
    return cast(wire.StatisticsQueryMessage, json_format.ParseDict(data, _STAT_QUERY()))


def test_filters_resolve_aliases_as_in_1x() -> None:
    query = to_query(
        _query(
            {
                "filter": [
                    {"k": "a", "v": 5, "o": "eq"},
                    {"key": "b", "value": ["x"], "operator": "in"},
                ],
                "filter_or": [{"k": "c", "v": None, "o": "exists"}],
            }
        )
    )

    assert query.filter == (Condition("a", 5.0, "eq"), Condition("b", ["x"], "in"))
    assert query.filter_or == (Condition("c", None, "exists"),)


def test_sort_is_the_list_in_order() -> None:
    query = to_query(_query({"sort": [{"key": "status"}, {"key": "created_at", "desc": True}]}))

    assert query.sort == (SortKey("status"), SortKey("created_at", True))


def test_no_sort_is_left_to_the_default_order() -> None:
    assert to_query(_query({})).sort == ()


def test_a_sort_key_without_key_is_required() -> None:
    with pytest.raises(RequiredParameter) as raised:
        to_query(_query({"sort": [{"key": "status"}, {"desc": True}]}))

    assert raised.value.key == "query.sort[1].key"


def test_more_sort_keys_than_the_limit_are_refused_before_conversion() -> None:
    with pytest.raises(InvalidParameter) as raised:
        to_query(_query({"sort": [{"key": "status"}] * 3}), Limits(max_stage_fields=2))

    assert raised.value.key == "query.sort"


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (None, Page(0, PAGE_LIMIT)),
        ({"start": 3}, Page(3, PAGE_LIMIT)),
        ({"limit": 0}, Page(0, PAGE_LIMIT)),
        ({"start": 2, "limit": 10}, Page(2, 10)),
        ({"limit": 1000}, Page(0, 1000)),
        ({"limit": 1001}, Page(0, 1000)),
        ({"limit": 4_000_000_000}, Page(0, 1000)),
    ],
)
def test_list_page_limit_missing_zero_or_past_1000_is_1000(
    page: dict[str, int] | None, expected: Page
) -> None:
    data = {} if page is None else {"page": page}

    assert to_query(_query(data)).page == expected


def test_list_page_default_is_the_servers_smaller_maximum() -> None:
    assert to_query(_query({}), max_page_size=50).page == Page(0, 50)
    assert to_query(_query({"page": {"limit": 60}}), max_page_size=50).page == Page(0, 50)
    assert to_query(_query({"page": {"limit": 20}}), max_page_size=50).page == Page(0, 20)


def test_flags_pass_through() -> None:
    query = to_query(
        _query({"minimal": True, "count_only": True, "only": ["job_id", "status"], "keyword": "k"})
    )

    assert (query.minimal, query.count_only, query.only, query.keyword) == (
        True,
        True,
        ("job_id", "status"),
        "k",
    )


def test_unwind_with_its_filter() -> None:
    query = to_query(
        _query(
            {
                "unwind": {
                    "path": "errors",
                    "filter": [{"k": "errors.error_code", "v": "E", "o": "eq"}],
                },
                "only": ["errors"],
            }
        )
    )

    assert query.unwind == Unwind("errors", (Condition("errors.error_code", "E", "eq"),))


@pytest.mark.parametrize("unwind", [None, {}])
def test_no_or_an_empty_unwind_is_none(unwind: dict[str, Any] | None) -> None:
    data = {} if unwind is None else {"unwind": unwind}

    assert to_query(_query(data)).unwind is None


def test_an_unwind_filter_without_a_path_is_required() -> None:
    with pytest.raises(RequiredParameter) as raised:
        to_query(_query({"unwind": {"filter": [{"k": "a", "v": 1, "o": "eq"}]}}))

    assert raised.value.key == "query.unwind.path"


def test_add_fields_are_the_clients_values() -> None:
    value = {"if": {"__gt": ["$failure_count", 0]}, "then": "broken", "else": "$provider"}

    query = to_query(_query({"add_fields": {"provider": value}}))

    assert query.add_fields == {
        "provider": {"if": {"__gt": ["$failure_count", 0.0]}, "then": "broken", "else": "$provider"}
    }


def test_no_add_fields_is_empty() -> None:
    assert to_query(_query({})).add_fields == {}


def test_more_add_fields_than_the_limit_are_refused_before_conversion() -> None:
    with pytest.raises(InvalidParameter) as raised:
        to_query(_query({"add_fields": {"a": 1, "b": 2, "c": 3}}), Limits(max_stage_fields=2))

    assert raised.value.key == "query.add_fields"


def test_lookup_is_refused() -> None:
    lookup = [{"from": "identity_project", "localField": "project_id", "as": "p"}]

    with pytest.raises(InvalidParameter) as raised:
        to_query(_query({"lookup": lookup}))

    assert raised.value.key == "query.lookup"
    assert "outside the caller's scope" in raised.value.reason


def test_an_empty_lookup_is_no_lookup() -> None:
    assert to_query(_query({"lookup": []})) == to_query(_query({}))


def _long(count: int) -> list[str]:
    return [f"v{i}" for i in range(count)]


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"filter": [{"k": "provider", "v": _long(1001), "o": "in"}]}, "query.filter[0]"),
        ({"filter_or": [{"k": "provider", "v": _long(1001), "o": "in"}]}, "query.filter_or[0]"),
        (
            {"unwind": {"path": "errors", "filter": [{"k": "a", "v": _long(1001), "o": "in"}]}},
            "query.unwind.filter[0]",
        ),
    ],
)
def test_a_list_past_max_list_values_is_refused_before_any_value_is_converted(
    monkeypatch: pytest.MonkeyPatch, data: dict[str, Any], where: str
) -> None:
    converted: list[Any] = []
    monkeypatch.setattr(query_messages, "to_value", lambda value: converted.append(value))

    with pytest.raises(InvalidParameter) as raised:
        to_query(_query(data))

    assert raised.value.key == f"{where}.value"
    assert converted == []


def test_too_many_conditions_are_refused_before_conversion() -> None:
    conditions = [{"k": "a", "v": 1, "o": "eq"}] * 3
    limits = Limits(max_filters=2)

    with pytest.raises(InvalidParameter) as filters:
        to_query(_query({"filter": conditions}), limits)
    with pytest.raises(InvalidParameter) as unwind:
        to_query(_query({"unwind": {"path": "errors", "filter": conditions}}), limits)

    assert (filters.value.key, unwind.value.key) == ("query.filter", "query.unwind.filter")


# --- StatisticsQuery ------------------------------------------------------------------------


def test_stat_query_parts() -> None:
    query = to_statistics_query(
        _stat(
            {
                "filter": [{"k": "status", "v": "SUCCESS", "o": "eq"}],
                "filter_or": [{"k": "provider", "v": "aws", "o": "eq"}],
                "aggregate": [
                    {"unwind": {"path": "errors"}},
                    {
                        "group": {
                            "keys": [{"key": "errors.error_code", "name": "code"}],
                            "fields": [
                                {
                                    "operator": "count",
                                    "name": "n",
                                    "conditions": [{"k": "status", "v": "x", "o": "eq"}],
                                }
                            ],
                        }
                    },
                    {"sort": [{"key": "n", "desc": True}, {"key": "code"}]},
                    {"project": {"fields": [{"k": "n", "n": "count"}], "exclude_keys": True}},
                    {"count": {"name": "total"}},
                    {"skip": 1},
                    {"limit": 5},
                ],
                "page": {"start": 2, "limit": 3},
                "keyword": "abc",
            }
        )
    )

    assert query.filter == (Condition("status", "SUCCESS", "eq"),)
    assert query.filter_or == (Condition("provider", "aws", "eq"),)
    assert query.aggregate == (
        AggregateUnwind("errors"),
        AggregateGroup(
            keys=(AggregateGroupKey("errors.error_code", "code"),),
            fields=(
                AggregateGroupField(
                    name="n", operator="count", conditions=(Condition("status", "x", "eq"),)
                ),
            ),
        ),
        AggregateSort(keys=(SortKey("n", True), SortKey("code"))),
        AggregateProject(fields=(AggregateProjectField("n", "count"),), exclude_keys=True),
        AggregateCount("total"),
        AggregateSkip(1),
        AggregateLimit(5),
    )
    assert (query.page, query.keyword, query.distinct) == (Page(2, 3), "abc", "")


def test_stat_page_is_as_sent() -> None:
    assert to_statistics_query(_stat({"distinct": "provider"})).page == Page()


def test_stat_unwind_carries_its_filter() -> None:
    query = to_statistics_query(
        _stat(
            {
                "aggregate": [
                    {
                        "unwind": {
                            "path": "errors",
                            "filter": [{"k": "errors.error_code", "v": "E", "o": "eq"}],
                        }
                    }
                ]
            }
        )
    )

    assert query.aggregate == (
        AggregateUnwind("errors", (Condition("errors.error_code", "E", "eq"),)),
    )


def test_an_empty_stage_is_none() -> None:
    assert to_statistics_query(_stat({"aggregate": [{}]})).aggregate == (None,)


@pytest.mark.parametrize(
    ("sort", "error", "where"),
    [
        ([], RequiredParameter, "query.aggregate[0].sort"),
        (["n"], InvalidParameter, "query.aggregate[0].sort[0]"),
        ([{"key": "n", "order": 1}], InvalidParameter, "query.aggregate[0].sort[0]"),
        ([{"desc": True}], RequiredParameter, "query.aggregate[0].sort[0].key"),
        ([{"key": ""}], RequiredParameter, "query.aggregate[0].sort[0].key"),
        ([{"key": 5}], InvalidParameter, "query.aggregate[0].sort[0].key"),
        ([{"key": ["n"]}], InvalidParameter, "query.aggregate[0].sort[0].key"),
        ([{"key": "n", "desc": {"a": 1}}], InvalidParameter, "query.aggregate[0].sort[0].desc"),
        ([["n"]], InvalidParameter, "query.aggregate[0].sort[0]"),
        ([{"key": "n", "desc": "yes"}], InvalidParameter, "query.aggregate[0].sort[0].desc"),
    ],
)
def test_stat_sort_keys_are_objects_of_key_and_desc(
    sort: list[Any], error: type[Exception], where: str
) -> None:
    with pytest.raises(error) as raised:
        to_statistics_query(_stat({"aggregate": [{"sort": sort}]}))

    assert cast(Any, raised.value).key == where


def test_a_stat_sort_key_is_checked_before_its_parts_are_converted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    converted: list[Any] = []
    monkeypatch.setattr(v2_query, "to_value", lambda value: converted.append(value))
    sort = [{"key": "n", "junk": _long(1000)}]

    with pytest.raises(InvalidParameter) as raised:
        to_statistics_query(_stat({"aggregate": [{"sort": sort}]}))

    assert raised.value.reason == "a sort key has only key and desc, not 'junk'"
    assert converted == []


def test_stat_sort_past_the_limit_is_refused() -> None:
    sort = [{"key": "n"}] * 3

    with pytest.raises(InvalidParameter) as raised:
        to_statistics_query(_stat({"aggregate": [{"sort": sort}]}), Limits(max_stage_fields=2))

    assert raised.value.key == "query.aggregate[0].sort"


def test_stat_limits_are_checked_before_conversion(monkeypatch: pytest.MonkeyPatch) -> None:
    converted: list[Any] = []
    monkeypatch.setattr(query_messages, "to_value", lambda value: converted.append(value))
    unwind = {"path": "errors", "filter": [{"k": "a", "v": _long(1001), "o": "in"}]}

    with pytest.raises(InvalidParameter) as raised:
        to_statistics_query(_stat({"aggregate": [{"count": {"name": "n"}}, {"unwind": unwind}]}))

    assert raised.value.key == "query.aggregate[1].unwind.filter[0].value"
    assert converted == []


def test_stat_too_many_stages_or_unwind_conditions_are_refused() -> None:
    limits = Limits(max_aggregate_stages=2, max_filters=2)
    condition = {"k": "a", "v": 1, "o": "eq"}

    with pytest.raises(InvalidParameter) as stages:
        to_statistics_query(_stat({"aggregate": [{"limit": 1}] * 3}), limits)
    with pytest.raises(InvalidParameter) as unwind:
        to_statistics_query(
            _stat({"aggregate": [{"unwind": {"path": "errors", "filter": [condition] * 3}}]}),
            limits,
        )

    assert stages.value.key == "query.aggregate"
    assert unwind.value.key == "query.aggregate[0].unwind.filter"
