"""Stat pipelines: a row per stage, operator, date format and rewrite; every validation error."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final

import pytest
from bson import SON, ObjectId

from jobtask.errors import InvalidParameter, JobTaskError, RequiredParameter, UnsupportedOperator
from jobtask.query.aggregate import CONDITION_OPERATORS, DATE_PARTS, GROUP_OPERATORS
from jobtask.query.model import Condition, Page, SortKey
from jobtask.query.stat_model import (
    AggregateCount,
    AggregateGroup,
    AggregateGroupField,
    AggregateGroupKey,
    AggregateGroupSubField,
    AggregateLimit,
    AggregateProject,
    AggregateProjectField,
    AggregateSkip,
    AggregateSort,
    AggregateUnwind,
    Stage,
    StatisticsQuery,
)
from jobtask.query.stat_plan import (
    OPERAND_OPERATORS,
    PROJECT_OPERATORS,
    STAGES,
    StatPlan,
    StatResult,
    build_distinct,
    build_pipeline,
    build_stages,
    read_result,
)

TZ: Final = "UTC"
MATCH: Final = {"domain_id": "d"}
COUNT: Final = AggregateGroupField(name="n", operator="count")


def group(*keys: tuple[str, str], fields: tuple[AggregateGroupField, ...] = ()) -> AggregateGroup:
    return AggregateGroup(keys=tuple(AggregateGroupKey(k, n) for k, n in keys), fields=fields)


def by_status() -> AggregateGroup:
    return group(("status", "status"), fields=(COUNT,))


def stages(*aggregate: Stage, timezone: str = TZ) -> list[dict[str, Any]]:
    return build_stages(aggregate, timezone=timezone)


def one(stage: Stage) -> dict[str, Any]:
    [built] = stages(stage)
    return built


def field(operator: str, key: str = "", **more: Any) -> AggregateGroupField:
    return AggregateGroupField(key=key, name="v", operator=operator, **more)


def accumulator(group_field: AggregateGroupField) -> Any:
    return one(AggregateGroup(fields=(group_field,)))["$group"]["v"]


# ---------------------------------------------------------------------------------------------
# Stages, one row each


def test_every_stage_has_a_row() -> None:
    assert [rule.name for rule in STAGES.values()] == [
        "unwind",
        "group",
        "count",
        "sort",
        "project",
        "limit",
        "skip",
    ]


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        (AggregateUnwind("errors"), {"$unwind": "$errors"}),
        (AggregateUnwind("errors.additional.tags"), {"$unwind": "$errors.additional.tags"}),
        (AggregateCount("total"), {"$group": {"_id": None, "total": {"$sum": 1}}}),
        (AggregateSort(key="created_at"), {"$sort": {"created_at": 1}}),
        (AggregateSort(key="created_at", desc=True), {"$sort": {"created_at": -1}}),
        (
            AggregateSort(keys=(SortKey("provider"), SortKey("created_at", True))),
            {"$sort": {"provider": 1, "created_at": -1}},
        ),
        # SpaceONE: a non-empty key wins over keys.
        (
            AggregateSort(key="status", keys=(SortKey("bogus"),)),
            {"$sort": {"status": 1}},
        ),
        (AggregateLimit(5), {"$limit": 5}),
        (AggregateSkip(0), {"$skip": 0}),
        (AggregateSkip(3), {"$skip": 3}),
        (
            group(("status", "status"), ("provider", "p")),
            {"$group": {"_id": {"status": "$status", "p": "$provider"}}},
        ),
        (AggregateGroup(fields=(COUNT,)), {"$group": {"_id": {}, "n": {"$sum": 1}}}),
        (
            AggregateProject(fields=(AggregateProjectField("job_id", "job"),)),
            {"$project": {"job": "$job_id"}},
        ),
        (
            AggregateProject(fields=(AggregateProjectField("job_id", "job"),), exclude_keys=True),
            {"$project": {"job": "$job_id", "_id": 0}},
        ),
    ],
)
def test_stage(stage: Stage, expected: dict[str, Any]) -> None:
    assert one(stage) == expected


# ---------------------------------------------------------------------------------------------
# group: operators with and without conditions

CONDITION: Final = Condition("status", "SUCCESS", "eq")
C: Final = {"$and": [{"$eq": ["$status", "SUCCESS"]}]}


def test_every_group_operator_has_a_row() -> None:
    assert set(GROUP_OPERATORS) == {
        "count",
        "sum",
        "average",
        "max",
        "min",
        "first",
        "last",
        "push",
        "add_to_set",
        "merge_objects",
    }


@pytest.mark.parametrize(
    ("group_field", "expected"),
    [
        (field("count"), {"$sum": 1}),
        # count counts documents: its key is checked, then ignored (as SpaceONE).
        (field("count", "job_task_id"), {"$sum": 1}),
        (field("count", conditions=(CONDITION,)), {"$sum": {"$cond": [C, 1, 0]}}),
        (field("sum", "updated_count"), {"$sum": "$updated_count"}),
        (
            field("sum", "updated_count", conditions=(CONDITION,)),
            {"$sum": {"$cond": [C, "$updated_count", 0]}},
        ),
        (field("average", "updated_count"), {"$avg": "$updated_count"}),
        # Non-matching documents are nulls, which $avg leaves out (SpaceONE averaged in zeros).
        (
            field("average", "updated_count", conditions=(CONDITION,)),
            {"$avg": {"$cond": [C, "$updated_count", None]}},
        ),
        (field("max", "created_at"), {"$max": "$created_at"}),
        (field("min", "created_at"), {"$min": "$created_at"}),
        (field("first", "job_task_id"), {"$first": "$job_task_id"}),
        (field("last", "job_task_id"), {"$last": "$job_task_id"}),
        (field("add_to_set", "provider"), {"$addToSet": "$provider"}),
        (field("merge_objects", "errors.additional"), {"$mergeObjects": "$errors.additional"}),
        # push with a key pushes the plain value (core 1.12) ...
        (field("push", "job_task_id"), {"$push": "$job_task_id"}),
        # ... with fields an object of them (core 1.11); fields win over a key.
        (
            field(
                "push",
                fields=(
                    AggregateGroupSubField("job_task_id", "id"),
                    AggregateGroupSubField("created_at", "at"),
                ),
            ),
            {"$push": {"id": "$job_task_id", "at": "$created_at"}},
        ),
        (
            field("push", "provider", fields=(AggregateGroupSubField("job_id", "job"),)),
            {"$push": {"job": "$job_id"}},
        ),
    ],
)
def test_group_operator(group_field: AggregateGroupField, expected: Any) -> None:
    assert accumulator(group_field) == expected


@pytest.mark.parametrize(("operator", "mongo"), list(CONDITION_OPERATORS.items()))
def test_every_condition_operator(operator: str, mongo: str) -> None:
    condition = Condition("failure_count", 1.0, operator)

    assert accumulator(field("count", conditions=(condition,))) == {
        "$sum": {"$cond": [{"$and": [{mongo: ["$failure_count", 1.0]}]}, 1, 0]}
    }


def test_not_is_ne_not_dollar_not() -> None:
    assert CONDITION_OPERATORS["not"] == "$ne"


def test_conditions_are_anded_in_order() -> None:
    conditions = (Condition("status", "FAILURE", "eq"), Condition("failure_count", 2.0, "gte"))

    assert accumulator(field("sum", "failure_count", conditions=conditions)) == {
        "$sum": {
            "$cond": [
                {"$and": [{"$eq": ["$status", "FAILURE"]}, {"$gte": ["$failure_count", 2.0]}]},
                "$failure_count",
                0,
            ]
        }
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("SUCCESS", "SUCCESS"),
        (2.0, 2.0),
        (True, True),
        # Read as a field path or an expression if left bare: kept literal.
        ("$provider", {"$literal": "$provider"}),
        ("$$ROOT", {"$literal": "$$ROOT"}),
        ({"$gt": 1}, {"$literal": {"$gt": 1}}),
        (["a", "$b"], {"$literal": ["a", "$b"]}),
    ],
)
def test_condition_values_stay_literal(value: Any, expected: Any) -> None:
    built = accumulator(field("count", conditions=(Condition("provider", value, "eq"),)))

    assert built["$sum"]["$cond"][0] == {"$and": [{"$eq": ["$provider", expected]}]}


# ---------------------------------------------------------------------------------------------
# group keys: date_format and time zone


def date_key(date_format: str, key: str = "created_at") -> AggregateGroupKey:
    return AggregateGroupKey(key, "d", date_format)


def part(operator: str, path: str, timezone: str = TZ) -> dict[str, Any]:
    """year/month/day of a date, null for null or missing (guarded for mongo-java-server)."""
    date = {operator: {"date": f"${path}", "timezone": timezone}}
    return {"$cond": [{"$gt": [f"${path}", None]}, date, None]}


@pytest.mark.parametrize(
    ("date_format", "timezone", "expected"),
    [
        ("year", TZ, part("$year", "created_at")),
        ("month", TZ, part("$month", "created_at")),
        ("day", TZ, part("$dayOfMonth", "created_at")),
        ("day", "Asia/Seoul", part("$dayOfMonth", "created_at", "Asia/Seoul")),
        (
            "%Y-%m-%d",
            TZ,
            {"$dateToString": {"format": "%Y-%m-%d", "date": "$created_at", "timezone": TZ}},
        ),
        (
            "%Y-%m-%dT%H:00",
            "Asia/Seoul",
            {
                "$dateToString": {
                    "format": "%Y-%m-%dT%H:00",
                    "date": "$created_at",
                    "timezone": "Asia/Seoul",
                }
            },
        ),
        # Anything else is a $dateToString format, checked by MongoDB itself.
        ("Year", TZ, {"$dateToString": {"format": "Year", "date": "$created_at", "timezone": TZ}}),
    ],
)
def test_date_format(date_format: str, timezone: str, expected: dict[str, Any]) -> None:
    built = stages(AggregateGroup(keys=(date_key(date_format),)), timezone=timezone)

    assert built == [{"$group": {"_id": {"d": expected}}}]


def test_every_date_part_has_a_row() -> None:
    assert DATE_PARTS == {"year": "$year", "month": "$month", "day": "$dayOfMonth"}


@pytest.mark.parametrize("key", ["started_at", "finished_at", "errors.additional.when"])
def test_date_format_on_other_date_and_free_form_paths(key: str) -> None:
    built = one(AggregateGroup(keys=(date_key("year", key),)))

    assert built["$group"]["_id"]["d"] == part("$year", key)


def test_date_format_on_a_name_made_earlier_is_left_to_the_database() -> None:
    built = stages(
        AggregateGroup(
            keys=(AggregateGroupKey("job_id", "job"),), fields=(field("max", "created_at"),)
        ),
        AggregateGroup(keys=(date_key("%Y", "v"), AggregateGroupKey("job", "j", "year"))),
    )

    assert built[1] == {
        "$group": {
            "_id": {
                "d": {"$dateToString": {"format": "%Y", "date": "$v", "timezone": TZ}},
                "j": part("$year", "_id.job"),
            }
        }
    }


# ---------------------------------------------------------------------------------------------
# References: group keys become `_id.<name>`, names made earlier stay, stored fields end


def test_after_a_group_its_keys_read_from_id_and_its_fields_by_name() -> None:
    built = stages(
        by_status(),
        AggregateSort(keys=(SortKey("status"), SortKey("n", desc=True))),
        AggregateProject(fields=(AggregateProjectField("n", "tasks"),)),
    )

    assert built[1:] == [
        {"$sort": {"_id.status": 1, "n": -1}},
        {"$project": {"tasks": "$n"}},
    ]


def test_a_second_group_replaces_the_group_keys() -> None:
    """SpaceONE's quirk 19: keys accumulated, so `provider` would be read from `_id.provider`."""
    first = group(("status", "status"), ("provider", "provider"), fields=(COUNT,))
    second = group(("status", "state"), fields=(field("sum", "n"),))

    built = stages(first, second, AggregateSort(key="state"))

    assert built[1:] == [
        {"$group": {"_id": {"state": "$_id.status"}, "v": {"$sum": "$n"}}},
        {"$sort": {"_id.state": 1}},
    ]
    with pytest.raises(InvalidParameter) as raised:
        stages(first, second, AggregateSort(key="provider"))
    assert raised.value.key == "query.aggregate[2].sort.key"
    assert "they made: state, v" in raised.value.reason


def test_a_project_keeps_the_group_keys_unless_it_excludes_them() -> None:
    keep = AggregateProject(fields=(AggregateProjectField("n", "tasks"),))
    exclude = AggregateProject(
        fields=(AggregateProjectField("status", "state"), AggregateProjectField("n", "tasks")),
        exclude_keys=True,
    )

    assert stages(by_status(), keep, AggregateSort(key="status"))[2] == {"$sort": {"_id.status": 1}}
    assert stages(by_status(), exclude, AggregateSort(key="state"))[1:] == [
        {"$project": {"state": "$_id.status", "tasks": "$n", "_id": 0}},
        {"$sort": {"state": 1}},
    ]
    with pytest.raises(InvalidParameter) as raised:
        stages(by_status(), exclude, AggregateSort(key="status"))
    assert raised.value.key == "query.aggregate[2].sort.key"


def test_a_name_made_earlier_shadows_a_group_key_of_the_same_name() -> None:
    project = AggregateProject(fields=(AggregateProjectField("n", "status"),))

    assert stages(by_status(), project, AggregateSort(key="status"))[2] == {"$sort": {"status": 1}}


def test_paths_below_group_keys_and_made_names() -> None:
    built = stages(
        AggregateGroup(
            keys=(AggregateGroupKey("job_id", "job"),),
            fields=(
                field("push", fields=(AggregateGroupSubField("errors", "errs"),)),
                AggregateGroupField(key="errors", name="first_errors", operator="first"),
            ),
        ),
        AggregateUnwind("v"),
        AggregateUnwind("v.errs"),
        AggregateGroup(
            keys=(AggregateGroupKey("v.errs.error_code", "code"), AggregateGroupKey("job", "j")),
            fields=(
                AggregateGroupField(
                    name="c",
                    operator="count",
                    conditions=(Condition("first_errors.message", "x", "eq"),),
                ),
            ),
        ),
    )

    assert built[1:] == [
        {"$unwind": "$v"},
        {"$unwind": "$v.errs"},
        {
            "$group": {
                "_id": {"code": "$v.errs.error_code", "j": "$_id.job"},
                "c": {
                    "$sum": {"$cond": [{"$and": [{"$eq": ["$first_errors.message", "x"]}]}, 1, 0]}
                },
            }
        },
    ]


def test_group_keys_are_rewritten_everywhere_a_key_is_read() -> None:
    keys = (AggregateGroupKey("status", "s"),)
    built = stages(
        AggregateGroup(keys=keys, fields=(COUNT,)),
        AggregateUnwind("s"),
        AggregateGroup(
            keys=(AggregateGroupKey("s", "s2"),),
            fields=(
                AggregateGroupField(
                    key="n",
                    name="sum",
                    operator="sum",
                    conditions=(Condition("s", "FAILURE", "not"),),
                ),
                field("push", fields=(AggregateGroupSubField("s", "state"),)),
            ),
        ),
        AggregateProject(fields=(AggregateProjectField("s2", "state", ""),)),
    )

    assert built[1:] == [
        {"$unwind": "$_id.s"},
        {
            "$group": {
                "_id": {"s2": "$_id.s"},
                "sum": {"$sum": {"$cond": [{"$and": [{"$ne": ["$_id.s", "FAILURE"]}]}, "$n", 0]}},
                "v": {"$push": {"state": "$_id.s"}},
            }
        },
        {"$project": {"state": "$_id.s2"}},
    ]


def test_unwind_keeps_the_stored_fields() -> None:
    built = stages(
        AggregateUnwind("errors"),
        group(("errors.error_code", "error_code"), fields=(COUNT,)),
    )

    assert built == [
        {"$unwind": "$errors"},
        {"$group": {"_id": {"error_code": "$errors.error_code"}, "n": {"$sum": 1}}},
    ]


def test_after_count_only_its_name_is_left() -> None:
    assert stages(AggregateCount("total"), AggregateSort(key="total"))[1] == {"$sort": {"total": 1}}
    with pytest.raises(InvalidParameter) as raised:
        stages(AggregateCount("total"), AggregateSort(key="status"))
    assert "they made: total" in raised.value.reason


def test_stored_only_fields_can_be_aggregated() -> None:
    assert accumulator(field("sum", "total_count")) == {"$sum": "$total_count"}


# ---------------------------------------------------------------------------------------------
# project


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("", "$errors"),
        ("size", {"$size": "$errors"}),
        ("array_to_object", {"$arrayToObject": "$errors"}),
        ("object_to_array", {"$objectToArray": "$errors"}),
        ("sum", {"$sum": "$errors"}),
    ],
)
def test_project_operator(operator: str, expected: Any) -> None:
    project = AggregateProject(fields=(AggregateProjectField("errors", "e", operator),))

    assert one(project) == {"$project": {"e": expected}}


def test_every_project_operator_has_a_row() -> None:
    assert set(PROJECT_OPERATORS) == {"", "size", "array_to_object", "object_to_array", "sum"}
    assert {"add", "subtract", "multiply", "divide"} == OPERAND_OPERATORS


@pytest.mark.parametrize("operator", sorted(OPERAND_OPERATORS))
def test_project_arithmetic_cannot_get_operands_in_core_v1(operator: str) -> None:
    project = AggregateProject(fields=(AggregateProjectField("created_count", "x", operator),))

    with pytest.raises(InvalidParameter) as raised:
        one(project)

    assert raised.value.key == "query.aggregate[0].project.fields[0].operator"
    assert "cannot carry" in raised.value.reason


# ---------------------------------------------------------------------------------------------
# Every validation error names the part


def at0(part: str) -> str:
    return f"query.aggregate[0].{part}"


def group_fields(*fields: AggregateGroupField) -> AggregateGroup:
    return AggregateGroup(fields=fields)


def condition(**parts: Any) -> AggregateGroup:
    return group_fields(field("count", conditions=(Condition(**parts),)))


ERRORS: Final[list[tuple[str, tuple[Stage, ...], type[JobTaskError], str, str]]] = [
    ("empty stage", (None,), InvalidParameter, "query.aggregate[0]", "one stage of: unwind"),
    (
        "empty stage after another",
        (AggregateLimit(1), None),
        InvalidParameter,
        "query.aggregate[1]",
        "skip",
    ),
    ("unwind without path", (AggregateUnwind(),), RequiredParameter, at0("unwind.path"), ""),
    ("unwind unknown", (AggregateUnwind("tags"),), InvalidParameter, at0("unwind.path"), "'tags'"),
    ("unwind $", (AggregateUnwind("$errors"),), InvalidParameter, at0("unwind.path"), "'$'"),
    ("unwind $ inside", (AggregateUnwind("err$ors"),), InvalidParameter, at0("unwind.path"), "'$'"),
    (
        "unwind empty part",
        (AggregateUnwind("errors..x"),),
        InvalidParameter,
        at0("unwind.path"),
        "",
    ),
    ("unwind NUL", (AggregateUnwind("errors\x00"),), InvalidParameter, at0("unwind.path"), "NUL"),
    (
        "array index",
        (AggregateUnwind("errors.0.additional"),),
        InvalidParameter,
        at0("unwind.path"),
        "array indexes",
    ),
    ("_id is not a field", (AggregateSort(key="_id"),), InvalidParameter, at0("sort.key"), ""),
    ("group empty", (AggregateGroup(),), InvalidParameter, at0("group"), "keys, fields or both"),
    (
        "group key without key",
        (AggregateGroup(keys=(AggregateGroupKey(name="s"),)),),
        RequiredParameter,
        at0("group.keys[0].key"),
        "",
    ),
    (
        "group key without name",
        (AggregateGroup(keys=(AggregateGroupKey("status"),)),),
        RequiredParameter,
        at0("group.keys[0].name"),
        "",
    ),
    *(
        (
            f"group key named {name!r}",
            (group(("status", name)),),
            InvalidParameter,
            at0("group.keys[0].name"),
            "cannot name an output",
        )
        for name in ("a.b", "$s", "_id", "s\x00")
    ),
    (
        "group key unknown",
        (group(("state", "s")),),
        InvalidParameter,
        at0("group.keys[0].key"),
        "not a field of a job task",
    ),
    (
        "date_format on a string",
        (AggregateGroup(keys=(date_key("year", "status"),)),),
        InvalidParameter,
        at0("group.keys[0].date_format"),
        "not a date",
    ),
    (
        "date_format on a number",
        (AggregateGroup(keys=(date_key("%Y", "created_count"),)),),
        InvalidParameter,
        at0("group.keys[0].date_format"),
        "not a date",
    ),
    (
        "date_format that is a field path",
        (AggregateGroup(keys=(date_key("$status"),)),),
        InvalidParameter,
        at0("group.keys[0].date_format"),
        "cannot start with '$'",
    ),
    *(
        (
            f"date_format {bad!r:.20}",
            (AggregateGroup(keys=(date_key(bad),)),),
            InvalidParameter,
            at0("group.keys[0].date_format"),
            reason,
        )
        for bad, reason in (
            ("%Q", "'%Q' is not a $dateToString specifier"),
            ("%Y-%", "'%' is not a $dateToString specifier"),
            ("%Y\x00", "NUL"),
            ("%Y" * 51, "102 characters; at most 100"),
        )
    ),
    (
        "duplicate key names",
        (group(("status", "s"), ("provider", "s")),),
        InvalidParameter,
        at0("group.keys[1].name"),
        "already an output",
    ),
    (
        "field named like a key",
        (group(("status", "v"), fields=(field("count"),)),),
        InvalidParameter,
        at0("group.fields[0].name"),
        "already an output",
    ),
    (
        "field operator unknown",
        (group_fields(field("median", "failure_count")),),
        UnsupportedOperator,
        at0("group.fields[0].operator"),
        "'median'",
    ),
    (
        "field operator missing",
        (group_fields(field("", "failure_count")),),
        UnsupportedOperator,
        at0("group.fields[0].operator"),
        "none given",
    ),
    (
        "field without name",
        (group_fields(AggregateGroupField(operator="count")),),
        RequiredParameter,
        at0("group.fields[0].name"),
        "",
    ),
    *(
        (
            f"{operator} without key",
            (group_fields(field(operator)),),
            RequiredParameter,
            at0("group.fields[0].key"),
            "",
        )
        for operator in GROUP_OPERATORS
        if operator not in ("count", "push")
    ),
    (
        "push without key or fields",
        (group_fields(field("push")),),
        InvalidParameter,
        at0("group.fields[0].key"),
        "push needs a key",
    ),
    (
        "push of an unknown key",
        (group_fields(field("push", "nope")),),
        InvalidParameter,
        at0("group.fields[0].key"),
        "'nope'",
    ),
    (
        "sum of an unknown key",
        (group(("status", "s"), fields=(field("sum", "errors.bogus"),)),),
        InvalidParameter,
        at0("group.fields[0].key"),
        "'errors.bogus'",
    ),
    *(
        (
            f"{operator} with fields",
            (
                group_fields(
                    field(operator, "job_id", fields=(AggregateGroupSubField("job_id", "j"),))
                ),
            ),
            InvalidParameter,
            at0("group.fields[0].fields"),
            "push does",
        )
        for operator in GROUP_OPERATORS
        if operator != "push"
    ),
    *(
        (
            f"{operator} with conditions",
            (group_fields(field(operator, "job_id", conditions=(CONDITION,))),),
            InvalidParameter,
            at0("group.fields[0].conditions"),
            "count, sum and average do",
        )
        for operator in GROUP_OPERATORS
        if operator not in ("count", "sum", "average")
    ),
    (
        "sub-field without key",
        (group_fields(field("push", fields=(AggregateGroupSubField(name="x"),))),),
        RequiredParameter,
        at0("group.fields[0].fields[0].key"),
        "",
    ),
    (
        "sub-field without name",
        (group_fields(field("push", fields=(AggregateGroupSubField("job_id"),))),),
        RequiredParameter,
        at0("group.fields[0].fields[0].name"),
        "",
    ),
    (
        "sub-field named with a dot",
        (group_fields(field("push", fields=(AggregateGroupSubField("job_id", "a.b"),))),),
        InvalidParameter,
        at0("group.fields[0].fields[0].name"),
        "cannot name an output",
    ),
    (
        "sub-fields named twice",
        (
            group_fields(
                field(
                    "push",
                    fields=(
                        AggregateGroupSubField("job_id", "x"),
                        AggregateGroupSubField("provider", "x"),
                    ),
                )
            ),
        ),
        InvalidParameter,
        at0("group.fields[0].fields[1].name"),
        "already an output",
    ),
    (
        "sub-field unknown",
        (group_fields(field("push", fields=(AggregateGroupSubField("$$ROOT", "r"),))),),
        InvalidParameter,
        at0("group.fields[0].fields[0].key"),
        "'$'",
    ),
    (
        "condition without key",
        (condition(value="A", operator="eq"),),
        RequiredParameter,
        at0("group.fields[0].conditions[0].key"),
        "",
    ),
    (
        "condition without value",
        (condition(key="status", operator="eq"),),
        RequiredParameter,
        at0("group.fields[0].conditions[0].value"),
        "",
    ),
    (
        "condition without operator",
        (condition(key="status", value="A"),),
        UnsupportedOperator,
        at0("group.fields[0].conditions[0].operator"),
        "none given",
    ),
    (
        "condition operator of filters only",
        (condition(key="status", value=["A"], operator="in"),),
        UnsupportedOperator,
        at0("group.fields[0].conditions[0].operator"),
        "supported = eq, not, gt, gte, lt, lte",
    ),
    (
        "condition unknown key",
        (condition(key="state", value="A", operator="eq"),),
        InvalidParameter,
        at0("group.fields[0].conditions[0].key"),
        "'state'",
    ),
    ("count without name", (AggregateCount(),), RequiredParameter, at0("count.name"), ""),
    (
        "count named with $",
        (AggregateCount("$n"),),
        InvalidParameter,
        at0("count.name"),
        "cannot name an output",
    ),
    ("sort without key", (AggregateSort(),), RequiredParameter, at0("sort.key"), ""),
    (
        "sort keys entry without key",
        (AggregateSort(keys=(SortKey("status"), SortKey(""))),),
        RequiredParameter,
        at0("sort.keys[1].key"),
        "",
    ),
    (
        "sort unknown key",
        (AggregateSort(key="-created_at"),),
        InvalidParameter,
        at0("sort.key"),
        "'-created_at'",
    ),
    (
        "sort keys unknown key",
        (AggregateSort(keys=(SortKey("status"), SortKey("tags"))),),
        InvalidParameter,
        at0("sort.keys[1].key"),
        "'tags'",
    ),
    ("project without fields", (AggregateProject(),), RequiredParameter, at0("project.fields"), ""),
    (
        "project field without key",
        (AggregateProject(fields=(AggregateProjectField(name="x"),)),),
        RequiredParameter,
        at0("project.fields[0].key"),
        "",
    ),
    (
        "project size without key",
        (AggregateProject(fields=(AggregateProjectField(name="x", operator="size"),)),),
        RequiredParameter,
        at0("project.fields[0].key"),
        "",
    ),
    (
        "project field without name",
        (AggregateProject(fields=(AggregateProjectField("errors"),)),),
        RequiredParameter,
        at0("project.fields[0].name"),
        "",
    ),
    (
        "project operator unknown",
        (AggregateProject(fields=(AggregateProjectField("errors", "x", "concat"),)),),
        UnsupportedOperator,
        at0("project.fields[0].operator"),
        "supported = size, array_to_object, object_to_array, sum",
    ),
    (
        "project names twice",
        (
            AggregateProject(
                fields=(AggregateProjectField("errors", "x"), AggregateProjectField("status", "x"))
            ),
        ),
        InvalidParameter,
        at0("project.fields[1].name"),
        "already an output",
    ),
    (
        "project named _id",
        (AggregateProject(fields=(AggregateProjectField("status", "_id"),)),),
        InvalidParameter,
        at0("project.fields[0].name"),
        "not _id",
    ),
    ("limit 0", (AggregateLimit(0),), InvalidParameter, at0("limit"), "at least 1, not 0"),
    ("limit negative", (AggregateLimit(-2),), InvalidParameter, at0("limit"), "not -2"),
    ("skip negative", (AggregateSkip(-1),), InvalidParameter, at0("skip"), "not -1"),
    (
        "stored field after a group",
        (by_status(), AggregateSort(key="created_at")),
        InvalidParameter,
        "query.aggregate[1].sort.key",
        "not a name the previous stages made (they made: n, status)",
    ),
    (
        "stored field after a project",
        (
            AggregateProject(fields=(AggregateProjectField("status", "s"),)),
            AggregateUnwind("errors"),
        ),
        InvalidParameter,
        "query.aggregate[1].unwind.path",
        "(they made: s)",
    ),
]


@pytest.mark.parametrize(
    ("aggregate", "error", "key", "fragment"),
    [pytest.param(*case[1:], id=case[0]) for case in ERRORS],
)
def test_validation_error(
    aggregate: tuple[Stage, ...], error: type[JobTaskError], key: str, fragment: str
) -> None:
    with pytest.raises(JobTaskError) as raised:
        stages(*aggregate)

    assert type(raised.value) is error
    assert getattr(raised.value, "key", None) == key
    assert key in raised.value.message
    assert fragment in raised.value.message


# ---------------------------------------------------------------------------------------------
# distinct


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("provider", [{"$group": {"_id": "$provider"}}, {"$sort": {"_id": 1}}]),
        ("created_at", [{"$group": {"_id": "$created_at"}}, {"$sort": {"_id": 1}}]),
        *(
            (
                path,
                [
                    {"$unwind": {"path": "$errors", "preserveNullAndEmptyArrays": False}},
                    {"$group": {"_id": f"${path}"}},
                    {"$sort": {"_id": 1}},
                ],
            )
            for path in ("errors", "errors.error_code", "errors.additional.provider")
        ),
    ],
)
def test_distinct(path: str, expected: list[dict[str, Any]]) -> None:
    assert build_distinct(path) == expected


@pytest.mark.parametrize(
    ("path", "error", "fragment"),
    [
        ("", RequiredParameter, ""),
        ("tags", InvalidParameter, "not a field of a job task"),
        ("$provider", InvalidParameter, "'$'"),
        ("errors.0.error_code", InvalidParameter, "array indexes"),
    ],
)
def test_distinct_path_is_checked(path: str, error: type[JobTaskError], fragment: str) -> None:
    with pytest.raises(error) as raised:
        build_distinct(path)

    assert getattr(raised.value, "key", None) == "query.distinct"
    assert fragment in raised.value.message


# ---------------------------------------------------------------------------------------------
# The whole pipeline: $match first, then the stages, then the page or the row cap


def pipeline(**query: Any) -> StatPlan:
    return build_pipeline(StatisticsQuery(**query), match=MATCH, timezone=TZ, max_rows=100)


def facet(*results: dict[str, Any]) -> dict[str, Any]:
    return {"$facet": {"results": list(results), "total": [{"$count": "n"}]}}


@pytest.mark.parametrize(
    ("query", "tail", "paged"),
    [
        ({}, [{"$limit": 101}], False),
        ({"page": Page(limit=10)}, [facet({"$limit": 10})], True),
        ({"page": Page(start=1, limit=10)}, [facet({"$limit": 10})], True),
        ({"page": Page(start=3, limit=2)}, [facet({"$skip": 2}, {"$limit": 2})], True),
        ({"page": Page(limit=100)}, [facet({"$limit": 100})], True),
        # A start without a limit is honoured, as list does (SpaceONE ignored it).
        ({"page": Page(start=4)}, [{"$skip": 3}, {"$limit": 101}], False),
    ],
)
def test_page_or_row_cap(query: dict[str, Any], tail: list[dict[str, Any]], paged: bool) -> None:
    for body, middle in (
        ({"aggregate": (by_status(),)}, stages(by_status())),
        ({"distinct": "provider"}, build_distinct("provider")),
    ):
        plan = pipeline(**body, **query)

        assert plan.pipeline == [{"$match": MATCH}, *middle, *tail]
        assert plan.paged is paged
        assert plan.distinct is ("distinct" in body)
        assert plan.max_rows == 100


def test_aggregate_wins_over_distinct() -> None:
    plan = pipeline(aggregate=(AggregateCount("n"),), distinct="provider")

    assert plan.pipeline[1] == {"$group": {"_id": None, "n": {"$sum": 1}}}
    assert not plan.distinct


def test_page_limit_over_the_row_cap_is_invalid() -> None:
    with pytest.raises(InvalidParameter) as raised:
        pipeline(aggregate=(by_status(),), page=Page(limit=101))

    assert raised.value.key == "query.page.limit"
    assert "maximum of 100 rows" in raised.value.reason


def test_the_timezone_reaches_every_date_operator() -> None:
    query = StatisticsQuery(
        aggregate=(
            AggregateGroup(keys=(date_key("day"), AggregateGroupKey("created_at", "t", "%H"))),
        )
    )
    plan = build_pipeline(query, match=MATCH, timezone="Asia/Seoul", max_rows=5)

    assert plan.pipeline[1]["$group"]["_id"] == {
        "d": part("$dayOfMonth", "created_at", "Asia/Seoul"),
        "t": {"$dateToString": {"format": "%H", "date": "$created_at", "timezone": "Asia/Seoul"}},
    }


# ---------------------------------------------------------------------------------------------
# Results: rows, distinct values, totals, the cap


def plan(*, paged: bool = False, distinct: bool = False, max_rows: int = 3) -> StatPlan:
    return StatPlan([], paged, distinct, max_rows)


AT: Final = datetime(2023, 1, 5, 9, 0, 0, 120_000)


@pytest.mark.parametrize(
    ("document", "row"),
    [
        ({"_id": {"status": "SUCCESS"}, "n": 2}, {"status": "SUCCESS", "n": 2}),
        ({"_id": {}, "n": 2}, {"n": 2}),
        # mongomock answers `_id: {}` with None.
        ({"_id": None, "n": 2}, {"n": 2}),
        ({"n": 2}, {"n": 2}),
        # A stored document's own ObjectId is never shown.
        ({"_id": ObjectId("64a0c0ffee0000000000a001"), "job_id": "j"}, {"job_id": "j"}),
        # A field wins over a group key of the same name (MongoDB puts _id first).
        ({"_id": {"status": "A"}, "status": "B"}, {"status": "B"}),
        # Values are left as they are: rendering them is the api layer's work.
        ({"_id": {"at": AT}, "all": [AT]}, {"at": AT, "all": [AT]}),
    ],
)
def test_rows_lift_the_group_keys(document: dict[str, Any], row: dict[str, Any]) -> None:
    assert read_result(plan(), [document]) == StatResult([row])


def test_a_row_lists_the_group_keys_first_then_the_fields_in_their_order() -> None:
    # The rendered Struct (and its JSON) lists a row's names in this order.
    documents = [
        {"_id": {"provider": "aws", "day": "2026-12-01"}, "z": 1, "a": 2},
        {"_id": SON([("b", 1), ("a", 2)]), "n": 3},  # a Mapping that is not a dict
    ]

    rows = read_result(plan(), documents).results

    assert [list(row) for row in rows] == [["provider", "day", "z", "a"], ["b", "a", "n"]]
    assert rows == [
        {"provider": "aws", "day": "2026-12-01", "z": 1, "a": 2},
        {"b": 1, "a": 2, "n": 3},
    ]


def test_rows_up_to_the_cap_are_fine_and_one_more_is_invalid() -> None:
    rows = [{"n": i} for i in range(4)]

    assert read_result(plan(), rows[:3]) == StatResult(rows[:3])
    with pytest.raises(InvalidParameter) as raised:
        read_result(plan(), rows)
    assert raised.value.key == "query.page.limit"
    assert "more than 3 rows" in raised.value.reason


@pytest.mark.parametrize(
    ("documents", "expected"),
    [
        (
            [{"results": [{"_id": {"s": "A"}, "n": 1}], "total": [{"n": 7}]}],
            StatResult([{"s": "A", "n": 1}], 7),
        ),
        ([{"results": [], "total": []}], StatResult([], 0)),
        ([], StatResult([], 0)),
    ],
)
def test_a_paged_result_reads_the_facet(
    documents: list[dict[str, Any]], expected: StatResult
) -> None:
    assert read_result(plan(paged=True), documents) == expected


def test_distinct_values_come_from_id() -> None:
    values: list[dict[str, Any]] = [{"_id": None}, {"_id": "aws"}, {"_id": {"error_code": "E"}}]

    assert read_result(plan(distinct=True), values) == StatResult(
        [None, "aws", {"error_code": "E"}]
    )
    assert read_result(
        plan(paged=True, distinct=True), [{"results": values[1:2], "total": [{"n": 3}]}]
    ) == StatResult(["aws"], 3)


def test_every_documented_date_to_string_specifier_passes() -> None:
    date_format = "%Y-%m-%dT%H:%M:%S.%LZ %j %w %U %u %V %G %z %Z %%"

    built = one(AggregateGroup(keys=(date_key(date_format),)))

    assert built["$group"]["_id"]["d"]["$dateToString"]["format"] == date_format


# --- core.v2's unwind: the Unwind message's filter ------------------------------------------

NOW: Final = datetime(2024, 5, 1, 12, 0)


def test_unwind_filter_matches_the_rows_after_the_unwind() -> None:
    unwind = AggregateUnwind(
        "errors",
        (
            Condition("errors.error_code", "E1", "eq"),
            Condition("errors.message", "time", "contain"),
        ),
    )

    built = build_stages((unwind, by_status()), timezone=TZ, now=NOW)

    assert built[:2] == [
        {"$unwind": "$errors"},
        {"$match": {"errors.error_code": "E1", "errors.message": re.compile("time", re.I)}},
    ]
    assert "$group" in built[2]


def test_unwind_filter_counts_timediff_from_now() -> None:
    unwind = AggregateUnwind("errors", (Condition("created_at", "now - 1d", "timediff_gt"),))

    [_, match] = build_stages((unwind,), timezone=TZ, now=NOW)

    assert match == {"$match": {"created_at": {"$gt": datetime(2024, 4, 30, 12, 0)}}}


def test_unwind_filter_is_checked_as_a_list_filter() -> None:
    unwind = AggregateUnwind("errors", (Condition("nope", "x", "eq"),))

    with pytest.raises(InvalidParameter) as raised:
        build_stages((unwind,), timezone=TZ, now=NOW)

    assert raised.value.key == "query.aggregate[0].unwind.filter[0].key"


def test_unwind_filter_after_a_group_is_refused() -> None:
    pushed = AggregateGroup(
        keys=(AggregateGroupKey("status", "s"),),
        fields=(AggregateGroupField("errors", "e", "push"),),
    )
    unwind = AggregateUnwind("e", (Condition("errors.error_code", "E1", "eq"),))

    with pytest.raises(InvalidParameter) as raised:
        build_stages((pushed, unwind), timezone=TZ, now=NOW)

    assert raised.value.key == "query.aggregate[1].unwind.filter"


def test_an_unwind_without_filter_is_one_stage_in_the_pipeline() -> None:
    query = StatisticsQuery(aggregate=(AggregateUnwind("errors"), by_status()))

    plan = build_pipeline(query, match=MATCH, timezone=TZ, max_rows=100, now=NOW)

    assert plan.pipeline[1] == {"$unwind": "$errors"}
    assert "$group" in plan.pipeline[2]
