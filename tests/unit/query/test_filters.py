"""Filter translation: a row per operator and field kind, every error, and a mongomock run."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, Final, NamedTuple

import mongomock
import pytest

from jobtask.errors import (
    InvalidParameter,
    JobTaskError,
    OperatorBooleanType,
    OperatorDictValueType,
    OperatorListValueType,
    OperatorValueType,
    RequiredParameter,
    UnsupportedOperator,
)
from jobtask.query.filters import OPERATORS, all_of_documents, build_condition, build_filter
from jobtask.query.model import Condition

NOW: Final = datetime(2024, 5, 15, 10, 30, 45, 123456)  # a Wednesday
NOW_MS: Final = datetime(2024, 5, 15, 10, 30, 45, 123000)
TODAY: Final = datetime(2024, 5, 15)
WHERE: Final = "query.filter[0]"

COMPARISONS: Final = (("lt", "$lt"), ("lte", "$lte"), ("gt", "$gt"), ("gte", "$gte"))
LIST_OPERATORS: Final = ("in", "not_in", "contain_in", "not_contain_in", "regex_in")
NON_EMPTY_LIST_OPERATORS: Final = ("contain_in", "not_contain_in", "regex_in")
SCALAR_OPERATORS: Final = tuple(name for name in OPERATORS if name not in LIST_OPERATORS)
MATCH_SUFFIXES: Final = (
    ("ne", "$ne"),
    ("lt", "$lt"),
    ("lte", "$lte"),
    ("gt", "$gt"),
    ("gte", "$gte"),
    ("in", "$in"),
    ("nin", "$nin"),
    ("exists", "$exists"),
)
MATCH_OPERATORS: Final = (
    ("$eq", "E"),
    ("$ne", "E"),
    ("$gt", "E"),
    ("$gte", "E"),
    ("$lt", "E"),
    ("$lte", "E"),
    ("$in", ["E", "F"]),
    ("$nin", ["E"]),
    ("$exists", True),
    ("$regex", "^E"),
)


class Regex(NamedTuple):
    """A compiled pattern as compared here: its source and whether it ignores case."""

    pattern: str
    ignore_case: bool


def ci(text: str) -> Regex:
    """The pattern `contain` builds: the literal text, case-insensitive."""
    return Regex(re.escape(text), ignore_case=True)


def normalise(value: Any) -> Any:
    """Compare documents by value AND type (5 vs 5.0, True vs 1); patterns by source and flags."""
    if isinstance(value, re.Pattern):
        return Regex(value.pattern, bool(value.flags & re.IGNORECASE))
    if isinstance(value, Regex):
        return value
    if isinstance(value, dict):
        return {key: normalise(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [normalise(inner) for inner in value]
    return (type(value).__name__, value)


def translate(condition: Condition) -> dict[str, Any]:
    return build_condition(condition, where=WHERE, now=NOW)


def assert_translates(condition: Condition, expected: dict[str, Any]) -> None:
    assert normalise(translate(condition)) == normalise(expected)


def assert_rejected(
    condition: Condition, error: type[JobTaskError], *fragments: str
) -> JobTaskError:
    with pytest.raises(error) as raised:
        translate(condition)
    assert type(raised.value) is error
    for fragment in fragments:
        assert fragment in str(raised.value)
    return raised.value


def _valid_value(operator: str) -> Any:
    """A value whose shape suits the operator, so that only the key can be wrong."""
    if operator in LIST_OPERATORS:
        return ["x"]
    if operator == "exists":
        return True
    if operator == "match":
        return {"error_code": "E"}
    if operator.startswith("datetime_"):
        return "2022-06-17"
    if operator.startswith("timediff_"):
        return "now"
    return "x"


# ---------------------------------------------------------------------------------------------
# The operator table


def test_operator_table_has_the_24_spaceone_operators() -> None:
    assert set(OPERATORS) == {
        "eq",
        "not",
        "lt",
        "lte",
        "gt",
        "gte",
        "exists",
        "contain",
        "not_contain",
        "in",
        "not_in",
        "contain_in",
        "not_contain_in",
        "match",
        "regex",
        "regex_in",
        "datetime_lt",
        "datetime_lte",
        "datetime_gt",
        "datetime_gte",
        "timediff_lt",
        "timediff_lte",
        "timediff_gt",
        "timediff_gte",
    }


def test_only_multi_value_operators_take_lists_and_only_in_and_not_in_accept_empty() -> None:
    assert {name for name, op in OPERATORS.items() if op.takes_list} == set(LIST_OPERATORS)
    assert {name for name, op in OPERATORS.items() if op.non_empty} == set(NON_EMPTY_LIST_OPERATORS)


# ---------------------------------------------------------------------------------------------
# Translations, a row per operator and field kind

EQ_AND_NOT = [
    pytest.param(Condition("job_id", "job-1", "eq"), {"job_id": "job-1"}, id="eq-string"),
    pytest.param(Condition("status", "SUCCESS", "eq"), {"status": "SUCCESS"}, id="eq-status"),
    pytest.param(
        Condition("job_id", 5.0, "eq"), {"job_id": 5.0}, id="eq-string-field-number-stays-number"
    ),
    pytest.param(Condition("provider", None, "eq"), {"provider": None}, id="eq-string-null"),
    pytest.param(Condition("status", None, "eq"), {"status": None}, id="eq-status-null"),
    pytest.param(
        Condition("collector_id", "collector-1", "eq"),
        {"collector_id": "collector-1"},
        id="eq-stored-only-string",
    ),
    pytest.param(
        Condition("created_count", 5.0, "eq"),
        {"created_count": 5},
        id="eq-integer-whole-double-becomes-int",
    ),
    pytest.param(Condition("created_count", 7, "eq"), {"created_count": 7}, id="eq-integer-int"),
    pytest.param(
        Condition("total_count", 3.0, "eq"), {"total_count": 3}, id="eq-stored-only-integer"
    ),
    pytest.param(
        Condition("failure_count", 2.9, "eq"),
        {"failure_count": 2.9},
        id="eq-integer-fraction-not-truncated",
    ),
    pytest.param(
        Condition("updated_count", "7", "eq"), {"updated_count": 7}, id="eq-integer-numeric-string"
    ),
    pytest.param(
        Condition("deleted_count", " 7 ", "eq"),
        {"deleted_count": 7},
        id="eq-integer-numeric-string-with-spaces",
    ),
    pytest.param(
        Condition("disconnected_count", "2.5", "eq"),
        {"disconnected_count": 2.5},
        id="eq-integer-fractional-string-not-truncated",
    ),
    pytest.param(
        Condition("created_count", -1.0, "eq"), {"created_count": -1}, id="eq-integer-negative"
    ),
    pytest.param(
        Condition("created_count", 1e20, "eq"),
        {"created_count": 1e20},
        id="eq-integer-beyond-int64-stays-double",
    ),
    pytest.param(
        Condition("created_count", None, "eq"), {"created_count": None}, id="eq-integer-null"
    ),
    pytest.param(
        Condition("created_at", "2022-06-17", "eq"),
        {"created_at": datetime(2022, 6, 17)},
        id="eq-date-iso-day",
    ),
    pytest.param(
        Condition("started_at", "2022-06-17T08:00:00+09:00", "eq"),
        {"started_at": datetime(2022, 6, 16, 23)},
        id="eq-date-offset-converted-to-utc",
    ),
    pytest.param(
        Condition("finished_at", "17 Jun 2022 10:00", "eq"),
        {"finished_at": datetime(2022, 6, 17, 10)},
        id="eq-date-lenient-words",
    ),
    pytest.param(
        Condition("created_at", "06/07/2022", "eq"),
        {"created_at": datetime(2022, 6, 7)},
        id="eq-date-lenient-month-first",
    ),
    pytest.param(
        Condition("created_at", "2022-06-17T08:00:00.123987Z", "eq"),
        {"created_at": datetime(2022, 6, 17, 8, 0, 0, 123000)},
        id="eq-date-truncated-to-milliseconds",
    ),
    pytest.param(Condition("finished_at", None, "eq"), {"finished_at": None}, id="eq-date-null"),
    pytest.param(
        Condition("errors", {"error_code": "E", "message": "m"}, "eq"),
        {"errors": {"error_code": "E", "message": "m"}},
        id="eq-errors-whole-error-object",
    ),
    pytest.param(Condition("errors", None, "eq"), {"errors": None}, id="eq-errors-null"),
    pytest.param(
        Condition("errors.error_code", "ERROR_PLUGIN", "eq"),
        {"errors.error_code": "ERROR_PLUGIN"},
        id="eq-errors-error-code",
    ),
    pytest.param(
        Condition("errors.message", "timeout", "eq"),
        {"errors.message": "timeout"},
        id="eq-errors-message",
    ),
    pytest.param(
        Condition("errors.0.error_code", "E", "eq"),
        {"errors.0.error_code": "E"},
        id="eq-errors-indexed-path",
    ),
    pytest.param(
        Condition("errors.0", {"error_code": "E"}, "eq"),
        {"errors.0": {"error_code": "E"}},
        id="eq-errors-indexed-element",
    ),
    pytest.param(
        Condition("errors.additional", {"provider": "aws"}, "eq"),
        {"errors.additional": {"provider": "aws"}},
        id="eq-free-form-object",
    ),
    pytest.param(
        Condition("errors.additional.provider", "aws", "eq"),
        {"errors.additional.provider": "aws"},
        id="eq-free-form-string",
    ),
    pytest.param(
        Condition("errors.additional.a.b", 1.0, "eq"),
        {"errors.additional.a.b": 1.0},
        id="eq-free-form-number-not-coerced",
    ),
    pytest.param(
        Condition("errors.additional.flag", True, "eq"),
        {"errors.additional.flag": True},
        id="eq-free-form-boolean",
    ),
    pytest.param(
        Condition("errors.0.additional.x", "y", "eq"),
        {"errors.0.additional.x": "y"},
        id="eq-free-form-indexed",
    ),
    pytest.param(
        Condition("job_id", "job-1", "not"), {"job_id": {"$ne": "job-1"}}, id="not-string"
    ),
    pytest.param(
        Condition("status", "FAILURE", "not"), {"status": {"$ne": "FAILURE"}}, id="not-status"
    ),
    pytest.param(
        Condition("provider", None, "not"), {"provider": {"$ne": None}}, id="not-string-null"
    ),
    pytest.param(
        Condition("created_count", 0.0, "not"),
        {"created_count": {"$ne": 0}},
        id="not-integer-coerced",
    ),
    pytest.param(
        Condition("created_at", "2022-06-17", "not"),
        {"created_at": {"$ne": datetime(2022, 6, 17)}},
        id="not-date-parsed",
    ),
    pytest.param(
        Condition("errors", {"error_code": "E"}, "not"),
        {"errors": {"$ne": {"error_code": "E"}}},
        id="not-errors-object",
    ),
    pytest.param(
        Condition("errors.additional.provider", "aws", "not"),
        {"errors.additional.provider": {"$ne": "aws"}},
        id="not-free-form",
    ),
]


def _comparison_rows() -> Iterator[Any]:
    per_kind: list[tuple[str, str, Any, Any]] = [
        ("string", "job_id", "job-5", "job-5"),
        ("status", "status", "PENDING", "PENDING"),
        ("integer-fraction", "created_count", 2.9, 2.9),
        ("integer-whole", "created_count", 3.0, 3),
        ("integer-string", "total_count", "4", 4),
        ("date", "created_at", "2022-06-17T08:00:00Z", datetime(2022, 6, 17, 8)),
        ("date-null", "finished_at", None, None),
        ("error-field", "errors.error_code", "E", "E"),
        ("free-form", "errors.additional.size", 10.5, 10.5),
    ]
    for name, mongo in COMPARISONS:
        for kind, key, value, coerced in per_kind:
            yield pytest.param(
                Condition(key, value, name), {key: {mongo: coerced}}, id=f"{name}-{kind}"
            )


# `exists: false` is "no element has it" on array paths too: $nor, which both databases read so.
EXISTS = [
    pytest.param(
        Condition(key, flag, "exists"),
        {key: {"$exists": True}} if flag else {"$nor": [{key: {"$exists": True}}]},
        id=f"exists-{key}-{flag}",
    )
    for key, flag in [
        ("provider", True),
        ("started_at", False),
        ("created_count", True),
        ("errors", True),
        ("errors.additional.x", False),
        ("errors.error_code", False),
    ]
]

CONTAIN = [
    pytest.param(
        Condition("job_task_id", "3F9c", "contain"),
        {"job_task_id": Regex("3F9c", ignore_case=True)},
        id="contain-string-case-insensitive",
    ),
    pytest.param(
        Condition("errors.message", "a.b*(c)?", "contain"),
        {"errors.message": Regex(r"a\.b\*\(c\)\?", ignore_case=True)},
        id="contain-escapes-regex-metacharacters",
    ),
    pytest.param(
        Condition("status", "succ", "contain"),
        {"status": ci("succ")},
        id="contain-status-is-a-substring-not-a-status",
    ),
    pytest.param(
        Condition("errors.error_code", "plugin", "contain"),
        {"errors.error_code": ci("plugin")},
        id="contain-error-field",
    ),
    pytest.param(
        Condition("errors.additional.provider", "AW", "contain"),
        {"errors.additional.provider": ci("AW")},
        id="contain-free-form-string",
    ),
    pytest.param(
        Condition("errors.additional.size", 5.0, "contain"),
        {"errors.additional.size": 5.0},
        id="contain-free-form-non-string-is-equality",
    ),
    pytest.param(
        Condition("created_count", 5.0, "contain"),
        {"created_count": 5},
        id="contain-integer-is-equality",
    ),
    pytest.param(
        Condition("created_count", "5", "contain"),
        {"created_count": 5},
        id="contain-integer-numeric-string-is-equality",
    ),
    pytest.param(
        Condition("created_at", "2022-06-17", "contain"),
        {"created_at": datetime(2022, 6, 17)},
        id="contain-date-is-equality",
    ),
    pytest.param(
        Condition("job_task_id", "3f9c", "not_contain"),
        {"$nor": [{"job_task_id": ci("3f9c")}]},
        id="not_contain-string",
    ),
    pytest.param(
        Condition("errors.message", "a+b", "not_contain"),
        {"$nor": [{"errors.message": Regex(r"a\+b", ignore_case=True)}]},
        id="not_contain-escapes-regex-metacharacters",
    ),
    pytest.param(
        Condition("errors.additional.provider", "aws", "not_contain"),
        {"$nor": [{"errors.additional.provider": ci("aws")}]},
        id="not_contain-free-form-string",
    ),
    pytest.param(
        Condition("errors.additional.size", 5.0, "not_contain"),
        {"errors.additional.size": {"$ne": 5.0}},
        id="not_contain-free-form-non-string-is-ne",
    ),
    pytest.param(
        Condition("created_count", 5.0, "not_contain"),
        {"created_count": {"$ne": 5}},
        id="not_contain-integer-is-ne",
    ),
    pytest.param(
        Condition("created_at", "2022-06-17", "not_contain"),
        {"created_at": {"$ne": datetime(2022, 6, 17)}},
        id="not_contain-date-is-ne",
    ),
]

IN_AND_NOT_IN = [
    pytest.param(
        Condition("job_id", ["a", "b"], "in"), {"job_id": {"$in": ["a", "b"]}}, id="in-string"
    ),
    pytest.param(
        Condition("status", ["SUCCESS", "FAILURE"], "in"),
        {"status": {"$in": ["SUCCESS", "FAILURE"]}},
        id="in-status",
    ),
    pytest.param(
        Condition("provider", [None, "aws"], "in"),
        {"provider": {"$in": [None, "aws"]}},
        id="in-string-with-null",
    ),
    pytest.param(Condition("job_id", [], "in"), {"job_id": {"$in": []}}, id="in-empty-list"),
    pytest.param(
        Condition("created_count", [1.0, "2", 2.5], "in"),
        {"created_count": {"$in": [1, 2, 2.5]}},
        id="in-integer-each-coerced",
    ),
    pytest.param(
        Condition("created_at", ["2022-06-17", "2022-06-18T00:00:00+09:00"], "in"),
        {"created_at": {"$in": [datetime(2022, 6, 17), datetime(2022, 6, 17, 15)]}},
        id="in-date-each-parsed",
    ),
    pytest.param(
        Condition("errors", [{"error_code": "E"}, None], "in"),
        {"errors": {"$in": [{"error_code": "E"}, None]}},
        id="in-errors-objects",
    ),
    pytest.param(
        Condition("errors.additional.x", ["a", 1.0, None], "in"),
        {"errors.additional.x": {"$in": ["a", 1.0, None]}},
        id="in-free-form-as-is",
    ),
    pytest.param(
        Condition("job_id", ["a"], "not_in"), {"job_id": {"$nin": ["a"]}}, id="not_in-string"
    ),
    pytest.param(
        Condition("job_id", [], "not_in"), {"job_id": {"$nin": []}}, id="not_in-empty-list"
    ),
    pytest.param(
        Condition("status", ["PENDING"], "not_in"),
        {"status": {"$nin": ["PENDING"]}},
        id="not_in-status",
    ),
    pytest.param(
        Condition("failure_count", [0.0, "1"], "not_in"),
        {"failure_count": {"$nin": [0, 1]}},
        id="not_in-integer-each-coerced",
    ),
    pytest.param(
        Condition("finished_at", ["2022-06-17"], "not_in"),
        {"finished_at": {"$nin": [datetime(2022, 6, 17)]}},
        id="not_in-date-each-parsed",
    ),
]

CONTAIN_IN = [
    pytest.param(
        Condition("job_task_id", ["3F9C"], "contain_in"),
        {"job_task_id": ci("3F9C")},
        id="contain_in-single-value-unwrapped",
    ),
    pytest.param(
        Condition("job_task_id", ["4dC", "9f"], "contain_in"),
        {"$or": [{"job_task_id": ci("4dC")}, {"job_task_id": ci("9f")}]},
        id="contain_in-values-ored",
    ),
    pytest.param(
        Condition("errors.additional.provider", ["aws", "a+b"], "contain_in"),
        {
            "$or": [
                {"errors.additional.provider": ci("aws")},
                {"errors.additional.provider": Regex(r"a\+b", ignore_case=True)},
            ]
        },
        id="contain_in-free-form-escaped",
    ),
    pytest.param(
        Condition("created_count", [1.0, "2"], "contain_in"),
        {"created_count": {"$in": [1, 2]}},
        id="contain_in-integer-is-in",
    ),
    pytest.param(
        Condition("created_at", ["2022-06-17"], "contain_in"),
        {"created_at": {"$in": [datetime(2022, 6, 17)]}},
        id="contain_in-date-is-in",
    ),
    pytest.param(
        Condition("job_task_id", ["aaa"], "not_contain_in"),
        {"$nor": [{"job_task_id": ci("aaa")}]},
        id="not_contain_in-single-value",
    ),
    pytest.param(
        Condition("provider", ["aws", "G.P"], "not_contain_in"),
        {"$nor": [{"provider": ci("aws")}, {"provider": Regex(r"G\.P", ignore_case=True)}]},
        id="not_contain_in-contains-none",
    ),
    pytest.param(
        Condition("created_count", [1.0], "not_contain_in"),
        {"created_count": {"$nin": [1]}},
        id="not_contain_in-integer-is-nin",
    ),
    pytest.param(
        Condition("started_at", ["2022-06-17"], "not_contain_in"),
        {"started_at": {"$nin": [datetime(2022, 6, 17)]}},
        id="not_contain_in-date-is-nin",
    ),
]

MATCH = [
    pytest.param(
        Condition("errors", {"error_code": "ERROR_PLUGIN"}, "match"),
        {"errors": {"$elemMatch": {"error_code": "ERROR_PLUGIN"}}},
        id="match-plain-value",
    ),
    pytest.param(
        Condition("errors", {}, "match"),
        {"errors": {"$elemMatch": {}}},
        id="match-empty-object",
    ),
    pytest.param(
        Condition("errors", {"message": {"$exists": True}, "error_code": {"$ne": None}}, "match"),
        {"errors": {"$elemMatch": {"message": {"$exists": True}, "error_code": {"$ne": None}}}},
        id="match-several-keys",
    ),
    pytest.param(
        Condition("errors", {"error_code": {"$gte": "A", "$lte": "B"}}, "match"),
        {"errors": {"$elemMatch": {"error_code": {"$gte": "A", "$lte": "B"}}}},
        id="match-range",
    ),
    pytest.param(
        Condition("errors", {"message": {"$regex": "time", "$options": "i"}}, "match"),
        {"errors": {"$elemMatch": {"message": {"$regex": "time", "$options": "i"}}}},
        id="match-regex-with-options",
    ),
    pytest.param(
        Condition("errors", {"additional": {"provider": "aws"}}, "match"),
        {"errors": {"$elemMatch": {"additional": {"provider": "aws"}}}},
        id="match-object-without-operators",
    ),
    pytest.param(
        Condition("errors", {"additional__provider": "aws"}, "match"),
        {"errors": {"$elemMatch": {"additional.provider": "aws"}}},
        id="match-double-underscore-path",
    ),
    pytest.param(
        Condition("errors", {"additional.provider": "aws"}, "match"),
        {"errors": {"$elemMatch": {"additional.provider": "aws"}}},
        id="match-dotted-path",
    ),
    pytest.param(
        Condition("errors", {"additional__provider__in": ["aws"]}, "match"),
        {"errors": {"$elemMatch": {"additional.provider": {"$in": ["aws"]}}}},
        id="match-double-underscore-path-with-suffix",
    ),
    pytest.param(
        Condition("errors", {"additional__in": [{"a": 1.0}]}, "match"),
        {"errors": {"$elemMatch": {"additional": {"$in": [{"a": 1.0}]}}}},
        id="match-suffix-on-additional",
    ),
    *[
        pytest.param(
            Condition("errors", {f"error_code__{suffix}": operand}, "match"),
            {"errors": {"$elemMatch": {"error_code": {mongo: operand}}}},
            id=f"match-suffix-{suffix}",
        )
        for suffix, mongo in MATCH_SUFFIXES
        for operand in [{"$in": ["E"], "$nin": ["E"], "$exists": True}.get(mongo, "E")]
    ],
    *[
        pytest.param(
            Condition("errors", {"error_code": {operator: operand}}, "match"),
            {"errors": {"$elemMatch": {"error_code": {operator: operand}}}},
            id=f"match-operator-{operator}",
        )
        for operator, operand in MATCH_OPERATORS
    ],
]

REGEX = [
    pytest.param(
        Condition("job_task_id", "^job_task-3F", "regex"),
        {"job_task_id": {"$regex": "^job_task-3F", "$options": "i"}},
        id="regex-always-case-insensitive",
    ),
    pytest.param(
        Condition("errors.message", "a.b*", "regex"),
        {"errors.message": {"$regex": "a.b*", "$options": "i"}},
        id="regex-pattern-verbatim",
    ),
    pytest.param(
        Condition("created_count", "^1", "regex"),
        {"created_count": {"$regex": "^1", "$options": "i"}},
        id="regex-on-integer-field",
    ),
    pytest.param(
        Condition("errors.additional.x", "y", "regex"),
        {"errors.additional.x": {"$regex": "y", "$options": "i"}},
        id="regex-free-form",
    ),
    pytest.param(
        Condition("job_id", ["^a"], "regex_in"),
        {"job_id": {"$regex": "^a", "$options": "i"}},
        id="regex_in-single-value-unwrapped",
    ),
    pytest.param(
        Condition("job_id", ["^a", "b$"], "regex_in"),
        {
            "$or": [
                {"job_id": {"$regex": "^a", "$options": "i"}},
                {"job_id": {"$regex": "b$", "$options": "i"}},
            ]
        },
        id="regex_in-values-ored",
    ),
]

DATETIME = [
    *[
        pytest.param(
            Condition("created_at", "2022-06-17T08:00:00+09:00", f"datetime_{name}"),
            {"created_at": {mongo: datetime(2022, 6, 16, 23)}},
            id=f"datetime_{name}",
        )
        for name, mongo in COMPARISONS
    ],
    *[
        pytest.param(
            Condition("finished_at", text, "datetime_gt"),
            {"finished_at": {"$gt": parsed}},
            id=f"datetime_gt-{text}",
        )
        for text, parsed in [
            ("2022", datetime(2022, 1, 1)),
            ("2022-06", datetime(2022, 6, 1)),
            ("20220617", datetime(2022, 6, 17)),
            ("2022-W24", datetime(2022, 6, 13)),
            ("2022-W24-5", datetime(2022, 6, 17)),
            ("2022-06-17 08:30", datetime(2022, 6, 17, 8, 30)),
            ("2022-06-17T0830", datetime(2022, 6, 17, 8, 30)),
            ("2022-06-17T08:30:15,5Z", datetime(2022, 6, 17, 8, 30, 15, 500000)),
            ("2022-06-17T08:30:15.1239Z", datetime(2022, 6, 17, 8, 30, 15, 123000)),
            ("2022-06-17T24:00", datetime(2022, 6, 18)),
            ("2022-06-17T08:00-0130", datetime(2022, 6, 17, 9, 30)),
            ("2022-06-17T08:00+09", datetime(2022, 6, 16, 23)),
        ]
    ],
    pytest.param(
        Condition("job_id", "2022-06-17", "datetime_lt"),
        {"job_id": {"$lt": datetime(2022, 6, 17)}},
        id="datetime_lt-on-a-string-field",
    ),
]

TIMEDIFF = [
    *[
        pytest.param(
            Condition("created_at", "now/d - 7d", f"timediff_{name}"),
            {"created_at": {mongo: TODAY - timedelta(days=7)}},
            id=f"timediff_{name}",
        )
        for name, mongo in COMPARISONS
    ],
    pytest.param(
        Condition("started_at", "now", "timediff_lt"),
        {"started_at": {"$lt": NOW_MS}},
        id="timediff-now-in-milliseconds",
    ),
    pytest.param(
        Condition("started_at", "now/w", "timediff_gte"),
        {"started_at": {"$gte": datetime(2024, 5, 13)}},
        id="timediff-week-starts-monday",
    ),
    pytest.param(
        Condition("started_at", "now/m - 30m", "timediff_gte"),
        {"started_at": {"$gte": datetime(2024, 4, 30, 23, 30)}},
        id="timediff-month-base-minute-unit",
    ),
    pytest.param(
        Condition("started_at", "now|1d", "timediff_gte"),
        {"started_at": {"$gte": NOW_MS - timedelta(days=1)}},
        id="timediff-bar-is-minus",
    ),
    pytest.param(
        Condition("job_id", "now", "timediff_gt"),
        {"job_id": {"$gt": NOW_MS}},
        id="timediff-on-a-string-field",
    ),
]

USER_PROJECTS = [
    pytest.param(
        Condition("user_projects", ["project-1", "project-2"], "in"),
        {"project_id": {"$in": ["project-1", "project-2"]}},
        id="user_projects-in",
    ),
    pytest.param(
        Condition("user_projects", "project-1", "eq"),
        {"project_id": "project-1"},
        id="user_projects-eq",
    ),
    pytest.param(
        Condition("user_projects", "PROJ", "contain"),
        {"project_id": ci("PROJ")},
        id="user_projects-contain",
    ),
    pytest.param(
        Condition("user_projects", "^project", "regex"),
        {"project_id": {"$regex": "^project", "$options": "i"}},
        id="user_projects-regex",
    ),
]


@pytest.mark.parametrize(
    ("dsl", "expected_mongo"),
    [
        *EQ_AND_NOT,
        *_comparison_rows(),
        *EXISTS,
        *CONTAIN,
        *IN_AND_NOT_IN,
        *CONTAIN_IN,
        *MATCH,
        *REGEX,
        *DATETIME,
        *TIMEDIFF,
        *USER_PROJECTS,
    ],
)
def test_condition_translates_to_mongo(dsl: Condition, expected_mongo: dict[str, Any]) -> None:
    assert_translates(dsl, expected_mongo)


def test_every_operator_has_a_translation_row() -> None:
    rows = [
        *EQ_AND_NOT,
        *_comparison_rows(),
        *EXISTS,
        *CONTAIN,
        *IN_AND_NOT_IN,
        *CONTAIN_IN,
        *MATCH,
        *REGEX,
        *DATETIME,
        *TIMEDIFF,
    ]
    assert {row.values[0].operator for row in rows} == set(OPERATORS)


def test_contain_pattern_is_a_compiled_case_insensitive_regex() -> None:
    pattern = translate(Condition("job_task_id", "A.b", "contain"))["job_task_id"]

    assert isinstance(pattern, re.Pattern)
    assert pattern.flags & re.IGNORECASE
    assert pattern.search("xxa.Bxx")
    assert not pattern.search("axb")


# ---------------------------------------------------------------------------------------------
# Validation order and error classes


@pytest.mark.parametrize(
    ("dsl", "fragment"),
    [
        pytest.param(Condition("status", "A", "like"), "'like'", id="unknown"),
        pytest.param(Condition("status", "A", ""), "none given", id="missing-no-default"),
        pytest.param(Condition("status", "A", "EQ"), "'EQ'", id="case-sensitive"),
        pytest.param(Condition("status", "A", "$eq"), "'$eq'", id="mongo-operator"),
        pytest.param(Condition("status", "A", "$where"), "'$where'", id="where"),
        pytest.param(Condition("", ["A"], "bogus"), "'bogus'", id="checked-before-value-and-key"),
    ],
)
def test_unsupported_operator_is_named(dsl: Condition, fragment: str) -> None:
    error = assert_rejected(dsl, UnsupportedOperator, fragment, "supported = ")

    assert isinstance(error, UnsupportedOperator)
    assert error.operator == dsl.operator


@pytest.mark.parametrize("operator", SCALAR_OPERATORS)
def test_single_value_operator_rejects_a_list(operator: str) -> None:
    assert_rejected(Condition("status", ["A"], operator), OperatorValueType, f"'{operator}'")


@pytest.mark.parametrize("value", ["A", None, {"a": 1}, 1.0])
@pytest.mark.parametrize("operator", LIST_OPERATORS)
def test_multi_value_operator_requires_a_list(operator: str, value: Any) -> None:
    assert_rejected(Condition("status", value, operator), OperatorListValueType, f"'{operator}'")


@pytest.mark.parametrize("operator", NON_EMPTY_LIST_OPERATORS)
def test_contain_in_not_contain_in_and_regex_in_reject_an_empty_list(operator: str) -> None:
    assert_rejected(Condition("job_id", [], operator), OperatorListValueType, f"'{operator}'")


def test_value_shape_is_checked_before_the_key() -> None:
    assert_rejected(Condition("", ["A"], "eq"), OperatorValueType, "'eq'")
    assert_rejected(Condition("", "A", "in"), OperatorListValueType, "'in'")


@pytest.mark.parametrize("operator", list(OPERATORS))
def test_missing_key_is_a_required_parameter(operator: str) -> None:
    error = assert_rejected(
        Condition("", _valid_value(operator), operator), RequiredParameter, f"{WHERE}.key"
    )

    assert isinstance(error, RequiredParameter)
    assert error.key == f"{WHERE}.key"


INVALID_KEYS: Final = [
    "foo",
    "foo.bar",
    "_id",
    "id",
    "pk",
    "Status",
    "job_task_id ",
    "errors.bogus",
    "errors.error_code.x",
    "errors.message.x",
    "errors.0.0",
    "errors.0.bogus",
    "created_at.x",
    "status.",
    ".status",
    "errors..message",
    "errors.additional.",
    "$where",
    "$expr",
    "status.$ne",
    "errors.$elemMatch",
    "errors.$.message",
    "errors.additional.$gt",
    "errors.0.$x",
    "status\x00",
    "errors.additional.x\x00y",
    "user_projects.x",
    "total_count.x",
]


@pytest.mark.parametrize("key", INVALID_KEYS)
@pytest.mark.parametrize("operator", ["eq", "regex", "regex_in", "exists"])
def test_key_that_is_not_a_field_path_is_an_invalid_parameter(operator: str, key: str) -> None:
    assert_rejected(
        Condition(key, _valid_value(operator), operator),
        InvalidParameter,
        f"{WHERE}.key",
        f"{key!r} is not a field",
    )


@pytest.mark.parametrize("key", ["foo", "$where", "errors.bogus"])
@pytest.mark.parametrize("operator", list(OPERATORS))
def test_every_operator_validates_its_key(operator: str, key: str) -> None:
    assert_rejected(Condition(key, _valid_value(operator), operator), InvalidParameter, f"{key!r}")


@pytest.mark.parametrize(
    ("dsl", "error", "fragments"),
    [
        *[
            pytest.param(
                Condition("provider", value, "exists"),
                OperatorBooleanType,
                ["'exists'", "provider"],
                id=f"exists-{value!r}",
            )
            for value in ["true", "false", None, 1.0, 0.0, {"a": True}]
        ],
        pytest.param(
            Condition("user_projects", "yes", "exists"),
            OperatorBooleanType,
            ["'exists'", "project_id"],
            id="exists-names-the-rewritten-key",
        ),
        *[
            pytest.param(
                Condition("errors", value, "match"),
                OperatorDictValueType,
                ["'match'", "errors"],
                id=f"match-{value!r}",
            )
            for value in ["x", None, True, 1.0]
        ],
        pytest.param(
            Condition("job_id", {"a": "b"}, "match"),
            InvalidParameter,
            ["match applies to the errors array"],
            id="match-on-a-string-field",
        ),
        pytest.param(
            Condition("errors.additional", {"a": "b"}, "match"),
            InvalidParameter,
            ["match applies to the errors array"],
            id="match-on-a-free-form-field",
        ),
        pytest.param(
            Condition("created_count", {"a": "b"}, "match"),
            InvalidParameter,
            ["match applies to the errors array"],
            id="match-on-an-integer-field",
        ),
        *[
            pytest.param(
                Condition("errors", {"error_code": "E"}, name),
                InvalidParameter,
                ["errors cannot be ordered"],
                id=f"{name}-on-errors",
            )
            for name, _ in COMPARISONS
        ],
        *[
            pytest.param(
                Condition("errors", value, name),
                InvalidParameter,
                ["contain needs a text field"],
                id=f"{name}-on-errors",
            )
            for name, value in [
                ("contain", "x"),
                ("not_contain", "x"),
                ("contain_in", ["x"]),
                ("not_contain_in", ["x"]),
            ]
        ],
        *[
            pytest.param(
                Condition(key, value, name),
                InvalidParameter,
                ["must be a string", repr(value)],
                id=f"{name}-{key}-{value!r}",
            )
            for name in ("contain", "not_contain")
            for key in ("job_id", "status", "errors.message")
            for value in (5.0, None, True, {"a": "b"})
        ],
        *[
            pytest.param(
                Condition("job_task_id", ["a", value], name),
                InvalidParameter,
                ["must be a string", repr(value)],
                id=f"{name}-element-{value!r}",
            )
            for name in ("contain_in", "not_contain_in")
            for value in (5.0, None, True)
        ],
    ],
)
def test_operator_specific_value_errors(
    dsl: Condition, error: type[JobTaskError], fragments: list[str]
) -> None:
    assert_rejected(dsl, error, *fragments)


@pytest.mark.parametrize(
    "dsl",
    [
        *[
            pytest.param(Condition("created_count", value, "eq"), id=f"eq-{value!r}")
            for value in [True, False, "abc", "", "5x", "nan", "inf", "0x10", {"a": 1.0}]
        ],
        pytest.param(Condition("created_count", math.inf, "eq"), id="eq-infinity"),
        pytest.param(Condition("created_count", math.nan, "gt"), id="gt-nan"),
        pytest.param(Condition("total_count", True, "lt"), id="lt-boolean"),
        pytest.param(Condition("failure_count", "many", "not"), id="not-word"),
        pytest.param(Condition("updated_count", [1.0, "abc"], "in"), id="in-element"),
        pytest.param(Condition("deleted_count", [False], "not_in"), id="not_in-element"),
        pytest.param(Condition("created_count", "x", "contain"), id="contain-word"),
        pytest.param(Condition("created_count", True, "not_contain"), id="not_contain-boolean"),
        pytest.param(Condition("created_count", ["x"], "contain_in"), id="contain_in-word"),
        pytest.param(Condition("created_count", [True], "not_contain_in"), id="not_contain_in"),
    ],
)
def test_integer_field_rejects_values_that_are_not_numbers(dsl: Condition) -> None:
    bad = dsl.value[-1] if isinstance(dsl.value, list) else dsl.value
    # A string that parses as a non-finite float ("nan") is shown as the float it became.
    assert_rejected(dsl, InvalidParameter, f"{dsl.key} is a number", str(bad))


@pytest.mark.parametrize(
    "dsl",
    [
        *[
            pytest.param(Condition("created_at", value, "eq"), id=f"eq-{value!r}")
            for value in ["garbage", "", "2022-13-45", 5.0, True, {"$gt": "2022"}]
        ],
        pytest.param(Condition("started_at", 1655424000.0, "gt"), id="gt-epoch-number"),
        pytest.param(Condition("finished_at", "yesterday", "lte"), id="lte-word"),
        pytest.param(Condition("created_at", "nope", "not"), id="not-word"),
        pytest.param(Condition("created_at", ["2022-06-17", "nope"], "in"), id="in-element"),
        pytest.param(Condition("created_at", [1.0], "not_in"), id="not_in-element"),
        pytest.param(Condition("created_at", "nope", "contain"), id="contain-word"),
        pytest.param(Condition("created_at", "nope", "not_contain"), id="not_contain-word"),
    ],
)
def test_date_field_rejects_values_that_are_not_dates(dsl: Condition) -> None:
    bad = dsl.value[-1] if isinstance(dsl.value, list) else dsl.value
    assert_rejected(dsl, InvalidParameter, f"{dsl.key} is a date", repr(bad))


@pytest.mark.parametrize(
    ("dsl", "bad"),
    [
        pytest.param(Condition("status", "DONE", "eq"), "DONE", id="eq-unknown"),
        pytest.param(Condition("status", "success", "eq"), "success", id="eq-lowercase"),
        pytest.param(
            Condition("status", "JOB_TASK_STATE_NONE", "eq"), "JOB_TASK_STATE_NONE", id="eq-none"
        ),
        pytest.param(Condition("status", "x", "not"), "x", id="not"),
        pytest.param(Condition("status", "A", "gt"), "A", id="gt"),
        pytest.param(Condition("status", ["SUCCESS", "DONE"], "in"), "DONE", id="in-element"),
        pytest.param(Condition("status", ["X"], "not_in"), "X", id="not_in-element"),
    ],
)
def test_status_values_must_be_statuses(dsl: Condition, bad: str) -> None:
    assert_rejected(dsl, InvalidParameter, f"unknown status {bad!r}", "SUCCESS")


@pytest.mark.parametrize(
    "dsl",
    [
        pytest.param(Condition("job_id", {"a": "b"}, "eq"), id="eq"),
        pytest.param(Condition("status", {"a": "b"}, "not"), id="not"),
        pytest.param(Condition("errors.message", {"a": "b"}, "gt"), id="gt-error-field"),
        pytest.param(Condition("provider", [{"a": "b"}], "in"), id="in-element"),
    ],
)
def test_string_field_rejects_objects(dsl: Condition) -> None:
    assert_rejected(dsl, InvalidParameter, f"{dsl.key} is a string")


@pytest.mark.parametrize(
    "dsl",
    [
        pytest.param(Condition("errors", "x", "eq"), id="eq-string"),
        pytest.param(Condition("errors", 5.0, "not"), id="not-number"),
        pytest.param(Condition("errors", True, "eq"), id="eq-boolean"),
        pytest.param(Condition("errors", ["x"], "in"), id="in-string"),
        pytest.param(Condition("errors", [{"error_code": "E"}, 1.0], "not_in"), id="not_in"),
    ],
)
def test_errors_array_compares_only_whole_error_objects(dsl: Condition) -> None:
    assert_rejected(dsl, InvalidParameter, "errors holds objects", "errors.error_code")


@pytest.mark.parametrize(
    ("dsl", "fragments"),
    [
        pytest.param(
            Condition("job_id", "(", "regex"),
            ["'(' is not a valid regular expression"],
            id="regex-unbalanced",
        ),
        pytest.param(
            Condition("job_id", "a{2,1}", "regex"),
            ["'a{2,1}' is not a valid regular expression"],
            id="regex-bad-repeat",
        ),
        pytest.param(Condition("job_id", 5.0, "regex"), ["must be a string", "5.0"], id="number"),
        pytest.param(Condition("job_id", None, "regex"), ["must be a string", "None"], id="null"),
        pytest.param(
            Condition("job_id", {"$where": "1"}, "regex"), ["must be a string"], id="object"
        ),
        pytest.param(
            Condition("job_id", ["ok", "[a-"], "regex_in"),
            ["'[a-' is not a valid regular expression"],
            id="regex_in-element",
        ),
        pytest.param(
            Condition("job_id", ["a", 1.0], "regex_in"),
            ["must be a string", "1.0"],
            id="regex_in-number",
        ),
    ],
)
def test_regex_rejects_invalid_patterns(dsl: Condition, fragments: list[str]) -> None:
    assert_rejected(dsl, InvalidParameter, *fragments)


@pytest.mark.parametrize("name", [name for name, _ in COMPARISONS])
@pytest.mark.parametrize(
    "value", ["Jan 1 2022", "2022/06/17", "", "202206", "2022-06-17T25:00", 5.0, None, True]
)
def test_datetime_operators_require_an_iso_8601_string(name: str, value: Any) -> None:
    assert_rejected(
        Condition("created_at", value, f"datetime_{name}"),
        InvalidParameter,
        "ISO 8601",
        repr(value),
    )


@pytest.mark.parametrize("name", [name for name, _ in COMPARISONS])
@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "NOW",
        "now-1M",
        "now-1y",
        "now/y",
        "now/h",
        "now -1",
        "now 1d",
        "now-d",
        "1d",
        "now*1d",
        "now-1.5d",
        "",
        "now-99999999999w",
        None,
        5.0,
    ],
)
def test_timediff_operators_require_a_time_expression(name: str, value: Any) -> None:
    assert_rejected(
        Condition("created_at", value, f"timediff_{name}"),
        InvalidParameter,
        "is not a time expression",
        repr(value),
    )


# ---------------------------------------------------------------------------------------------
# Injection: the only operators in the output are the ones the translator writes


@pytest.mark.parametrize(
    ("dsl", "offending"),
    [
        pytest.param(Condition("job_id", {"$ne": None}, "eq"), "'$ne'", id="eq-string-ne"),
        pytest.param(
            Condition("errors.additional.x", {"$ne": None}, "eq"), "'$ne'", id="eq-free-form-ne"
        ),
        pytest.param(Condition("errors", {"$ne": None}, "eq"), "'$ne'", id="eq-errors-ne"),
        pytest.param(
            Condition("errors.additional", {"$where": "sleep(1000)"}, "eq"),
            "'$where'",
            id="eq-where",
        ),
        pytest.param(
            Condition("errors", {"$expr": {"$eq": [1, 1]}}, "eq"), "'$expr'", id="eq-expr"
        ),
        pytest.param(
            Condition("errors.additional", {"$function": {"body": "x"}}, "eq"),
            "'$function'",
            id="eq-function",
        ),
        pytest.param(
            Condition("errors.additional", {"a": {"$gt": ""}}, "eq"),
            "'$gt'",
            id="eq-nested-object",
        ),
        pytest.param(
            Condition("errors.additional", {"a": [{"$regex": "."}]}, "eq"),
            "'$regex'",
            id="eq-nested-in-list",
        ),
        pytest.param(
            Condition("errors.additional", {"a\x00b": 1.0}, "eq"), "'a\\x00b'", id="eq-nul-key"
        ),
        pytest.param(Condition("errors.additional", {1: "x"}, "eq"), "1", id="eq-non-string-key"),
        pytest.param(
            Condition("errors.additional.x", {"$exists": True}, "not"), "'$exists'", id="not"
        ),
        pytest.param(
            Condition("errors.additional.x", {"$ne": None}, "gt"), "'$ne'", id="gt-free-form"
        ),
        pytest.param(
            Condition("errors.additional.x", [{"$where": "1"}], "in"), "'$where'", id="in"
        ),
        pytest.param(Condition("errors", [{"$ne": 1.0}], "not_in"), "'$ne'", id="not_in-errors"),
        pytest.param(
            Condition("errors.additional.x", {"$ne": None}, "contain"), "'$ne'", id="contain"
        ),
        pytest.param(
            Condition("errors.additional.x", {"$ne": None}, "not_contain"),
            "'$ne'",
            id="not_contain",
        ),
        pytest.param(Condition("errors", {"$where": "this.x"}, "match"), "'$where'", id="m-where"),
        pytest.param(
            Condition("errors", {"$expr": {"$eq": [1, 1]}}, "match"), "'$expr'", id="m-expr"
        ),
        pytest.param(
            Condition("errors", {"$or": [{"error_code": "A"}]}, "match"), "'$or'", id="m-or"
        ),
        pytest.param(
            Condition("errors", {"error_code": {"$where": "1"}}, "match"),
            "operator '$where' is not allowed in match",
            id="m-inner-where",
        ),
        pytest.param(
            Condition("errors", {"error_code": {"$function": {"body": "x"}}}, "match"),
            "operator '$function' is not allowed in match",
            id="m-inner-function",
        ),
        pytest.param(
            Condition("errors", {"error_code": {"$expr": {"$eq": [1, 1]}}}, "match"),
            "operator '$expr' is not allowed in match",
            id="m-inner-expr",
        ),
        pytest.param(
            Condition("errors", {"error_code": {"$not": {"$regex": "x"}}}, "match"),
            "operator '$not' is not allowed in match",
            id="m-inner-not",
        ),
        pytest.param(
            Condition("errors", {"error_code": {"$elemMatch": {"a": 1.0}}}, "match"),
            "operator '$elemMatch' is not allowed in match",
            id="m-inner-elem-match",
        ),
        pytest.param(
            Condition("errors", {"error_code": {"$regex": "x", "$where": "1"}}, "match"),
            "operator '$where' is not allowed in match",
            id="m-inner-mixed",
        ),
        pytest.param(
            Condition("errors", {"error_code": {"$regex": "x", "plain": 1.0}}, "match"),
            "operator 'plain' is not allowed in match",
            id="m-inner-operator-mixed-with-field",
        ),
        pytest.param(
            Condition("errors", {"error_code": {"$in": [{"$gt": ""}]}}, "match"),
            "'$gt'",
            id="m-nested-in-operand",
        ),
        pytest.param(
            Condition("errors", {"error_code__in": [{"$ne": None}]}, "match"),
            "'$ne'",
            id="m-nested-in-suffix-operand",
        ),
        pytest.param(
            Condition("errors", {"error_code__ne": {"$gt": 1.0}}, "match"),
            "'$gt'",
            id="m-suffix-operand-object",
        ),
        pytest.param(
            Condition("errors", {"additional": {"provider": {"$ne": 1.0}}}, "match"),
            "'$ne'",
            id="m-nested-in-plain-object",
        ),
        pytest.param(
            Condition("errors", {"additional.$x": 1.0}, "match"), "'additional.$x'", id="m-key-$"
        ),
        pytest.param(
            Condition("errors", {"additional__$where": 1.0}, "match"),
            "'additional__$where'",
            id="m-key-$-after-double-underscore",
        ),
        pytest.param(
            Condition("errors", {"error_code\x00": 1.0}, "match"), "error_code\\x00", id="m-nul"
        ),
    ],
)
def test_operators_inside_values_and_match_keys_are_rejected(
    dsl: Condition, offending: str
) -> None:
    assert_rejected(dsl, InvalidParameter, offending)


@pytest.mark.parametrize(
    "inner_key",
    [
        "bogus",
        "errors",
        "job_id",
        "ERROR_CODE",
        "error_code.x",
        "message__x",
        "",
        "__in",
        "error_code__",
        "additional.",
        ".additional",
        "error_code__in__in",
    ],
)
def test_match_inner_keys_must_be_error_fields(inner_key: str) -> None:
    assert_rejected(
        Condition("errors", {inner_key: "x"}, "match"),
        InvalidParameter,
        f"{inner_key!r} is not a field of an error",
    )


# ---------------------------------------------------------------------------------------------
# Combining conditions: build_filter and all_of_documents

STATUS = Condition("status", "SUCCESS", "eq")
PROVIDER = Condition("provider", "aws", "eq")
JOB = Condition("job_id", "job-1", "eq")
PROJECTS = Condition("user_projects", ["project-1"], "in")


@pytest.mark.parametrize(
    ("dsl", "expected_mongo"),
    [
        pytest.param(((), ()), {}, id="nothing-matches-everything"),
        pytest.param(((STATUS,), ()), {"status": "SUCCESS"}, id="single-filter-unwrapped"),
        pytest.param(
            ((STATUS, PROVIDER), ()),
            {"status": "SUCCESS", "provider": "aws"},
            id="filter-anded-flat",
        ),
        pytest.param(((), (STATUS,)), {"status": "SUCCESS"}, id="single-filter-or-unwrapped"),
        pytest.param(
            ((), (STATUS, PROVIDER)),
            {"$or": [{"status": "SUCCESS"}, {"provider": "aws"}]},
            id="filter-or-ored",
        ),
        pytest.param(
            ((JOB,), (STATUS,)),
            {"job_id": "job-1", "status": "SUCCESS"},
            id="filter-and-single-filter-or",
        ),
        pytest.param(
            ((JOB, PROJECTS), (STATUS, PROVIDER)),
            {
                "job_id": "job-1",
                "project_id": {"$in": ["project-1"]},
                "$or": [{"status": "SUCCESS"}, {"provider": "aws"}],
            },
            id="filter-and-or-of-filter-or",
        ),
        pytest.param(
            ((), (PROJECTS, STATUS)),
            {"$or": [{"project_id": {"$in": ["project-1"]}}, {"status": "SUCCESS"}]},
            id="user-projects-rewritten-in-filter-or",
        ),
        pytest.param(
            ((Condition("job_task_id", ["a", "b"], "contain_in"), JOB), ()),
            {"$or": [{"job_task_id": ci("a")}, {"job_task_id": ci("b")}], "job_id": "job-1"},
            id="multi-value-or-nests-inside-and",
        ),
        pytest.param(
            ((STATUS, Condition("status", "FAILURE", "not")), ()),
            {"$and": [{"status": "SUCCESS"}, {"status": {"$ne": "FAILURE"}}]},
            id="same-key-twice-needs-and",
        ),
    ],
)
def test_build_filter_combines_conditions(
    dsl: tuple[tuple[Condition, ...], tuple[Condition, ...]], expected_mongo: dict[str, Any]
) -> None:
    conditions, conditions_or = dsl

    assert normalise(build_filter(conditions, conditions_or, now=NOW)) == normalise(expected_mongo)


def test_build_filter_reproduces_the_spec_example() -> None:
    """§4.8: status, a week of tasks with failures, from aws or with a plugin error."""
    query = build_filter(
        [
            Condition("status", "FAILURE", "eq"),
            Condition("created_at", "now/d - 7d", "timediff_gte"),
            Condition("failure_count", 0.0, "gt"),
        ],
        [Condition("provider", "aws", "eq"), Condition("errors.error_code", "plugin", "contain")],
        now=NOW,
    )

    assert normalise(query) == normalise(
        {
            "status": "FAILURE",
            "created_at": {"$gte": datetime(2024, 5, 8)},
            "failure_count": {"$gt": 0},
            "$or": [{"provider": "aws"}, {"errors.error_code": ci("plugin")}],
        }
    )


@pytest.mark.parametrize(
    ("dsl", "prefix", "location"),
    [
        pytest.param(
            ((STATUS, Condition("foo", "x", "eq")), ()),
            "query",
            "query.filter[1]",
            id="second-filter",
        ),
        pytest.param(
            ((STATUS,), (PROVIDER, Condition("status", "DONE", "eq"))),
            "query",
            "query.filter_or[1]",
            id="second-filter-or",
        ),
        pytest.param(
            ((Condition("foo", "x", "eq"),), (Condition("bar", "x", "eq"),)),
            "query",
            "query.filter[0]",
            id="filter-before-filter-or",
        ),
        pytest.param(
            ((Condition("created_count", "x", "eq"),), ()),
            "stat",
            "stat.filter[0]",
            id="prefix",
        ),
    ],
)
def test_build_filter_names_the_failing_condition(
    dsl: tuple[tuple[Condition, ...], tuple[Condition, ...]], prefix: str, location: str
) -> None:
    conditions, conditions_or = dsl

    with pytest.raises(InvalidParameter) as raised:
        build_filter(conditions, conditions_or, now=NOW, prefix=prefix)
    assert raised.value.key.startswith(location)


def test_build_filter_names_a_missing_key_by_its_position() -> None:
    with pytest.raises(RequiredParameter) as raised:
        build_filter([STATUS], [PROVIDER, Condition("", "x", "eq")], now=NOW)
    assert raised.value.key == "query.filter_or[1].key"


@pytest.mark.parametrize(
    ("documents", "expected_mongo"),
    [
        pytest.param([], {}, id="none"),
        pytest.param([{}], {}, id="only-empty"),
        pytest.param([{}, {"a": 1}], {"a": 1}, id="one-after-dropping-empty"),
        pytest.param([{"a": 1}, {}, {"b": 2}], {"a": 1, "b": 2}, id="distinct-keys-flat"),
        pytest.param(
            [{"a": 1}, {"b": 2}, {"a": {"$ne": 3}}],
            {"$and": [{"a": 1}, {"b": 2}, {"a": {"$ne": 3}}]},
            id="shared-key-anded",
        ),
    ],
)
def test_all_of_documents_ands_only_what_is_needed(
    documents: list[dict[str, Any]], expected_mongo: dict[str, Any]
) -> None:
    assert all_of_documents(documents) == expected_mongo


# ---------------------------------------------------------------------------------------------
# Semantics over an in-memory collection (mongomock is a convenience, not an oracle)

DOCUMENTS: Final = [
    {
        "job_task_id": "job_task-aaa111",
        "status": "SUCCESS",
        "created_count": 2,
        "provider": "aws",
        "project_id": "project-1",
        "errors": [
            {
                "error_code": "ERROR_PLUGIN",
                "message": "Timeout while listing axb",
                "additional": {"provider": "aws"},
            }
        ],
        "created_at": datetime(2024, 5, 14, 9),
    },
    {
        "job_task_id": "job_task-bbb222",
        "status": "FAILURE",
        "created_count": 3,
        "provider": "gcp",
        "project_id": "project-2",
        "errors": [{"error_code": "ERROR_AUTH", "message": "bad a.b* token", "additional": {}}],
        "created_at": datetime(2024, 5, 10, 9),
    },
    {
        "job_task_id": "job_task-ccc333",
        "status": "PENDING",
        "created_count": 0,
        "provider": None,
        "project_id": None,
        "errors": [],
        "created_at": datetime(2024, 4, 1, 9),
    },
]


@pytest.fixture
def run() -> Callable[..., set[str]]:
    collection: Any = mongomock.MongoClient()["inventory"]["job_task"]
    collection.insert_many([dict(document) for document in DOCUMENTS])

    def run(*conditions: Condition, any_of: tuple[Condition, ...] = ()) -> set[str]:
        query = build_filter(conditions, any_of, now=NOW)
        return {document["job_task_id"][-3:] for document in collection.find(query)}

    return run


@pytest.mark.parametrize(
    ("dsl", "expected_ids"),
    [
        pytest.param(
            Condition("provider", ["aws", "GCP"], "not_contain_in"),
            {"333"},
            id="not_contain_in-excludes-documents-containing-any-value",
        ),
        pytest.param(
            Condition("provider", ["aws", "nothing"], "not_contain_in"),
            {"222", "333"},
            id="not_contain_in-excludes-documents-containing-one-value",
        ),
        pytest.param(
            Condition("errors.message", "TIMEOUT", "contain"),
            {"111"},
            id="contain-is-case-insensitive",
        ),
        pytest.param(
            Condition("errors.message", "a.b*", "contain"),
            {"222"},
            id="contain-is-literal-for-metacharacters",
        ),
        pytest.param(Condition("errors.message", "a.b", "contain"), {"222"}, id="dot-is-literal"),
        pytest.param(
            Condition("provider", "w", "not_contain"),
            {"222", "333"},
            id="not_contain-matches-null",
        ),
        pytest.param(
            Condition("job_task_id", ["AAA", "bbb"], "contain_in"),
            {"111", "222"},
            id="contain_in-any-value",
        ),
        pytest.param(
            Condition("created_count", 2.9, "gte"),
            {"222"},
            id="gte-fraction-does-not-match-the-integer-below",
        ),
        pytest.param(
            Condition("created_count", "2", "gte"), {"111", "222"}, id="gte-numeric-string"
        ),
        pytest.param(Condition("created_count", 3.0, "eq"), {"222"}, id="eq-whole-double"),
        pytest.param(Condition("job_id", [], "in"), set(), id="in-empty-matches-nothing"),
        pytest.param(
            Condition("job_id", [], "not_in"), {"111", "222", "333"}, id="not_in-empty-all"
        ),
        pytest.param(
            Condition("errors", {"error_code": "ERROR_AUTH"}, "match"), {"222"}, id="match"
        ),
        pytest.param(
            Condition("errors", {"additional__provider": "aws"}, "match"),
            {"111"},
            id="match-free-form-path",
        ),
        pytest.param(
            Condition("errors", {"error_code__in": ["ERROR_AUTH", "ERROR_PLUGIN"]}, "match"),
            {"111", "222"},
            id="match-suffix",
        ),
        pytest.param(Condition("created_at", "now/d - 1d", "timediff_gte"), {"111"}, id="timediff"),
        pytest.param(Condition("created_at", "2024-05-01", "datetime_lt"), {"333"}, id="datetime"),
        pytest.param(
            Condition("created_at", "10 May 2024", "gte"), {"111", "222"}, id="lenient-date"
        ),
        pytest.param(Condition("job_task_id", "^JOB_TASK-A", "regex"), {"111"}, id="regex-ci"),
        pytest.param(Condition("user_projects", ["project-2"], "in"), {"222"}, id="user_projects"),
        pytest.param(Condition("provider", True, "exists"), {"111", "222", "333"}, id="exists"),
    ],
)
def test_translated_filter_selects_the_expected_documents(
    run: Callable[..., set[str]], dsl: Condition, expected_ids: set[str]
) -> None:
    assert run(dsl) == expected_ids


def test_translated_filter_ands_filter_with_the_or_of_filter_or(
    run: Callable[..., set[str]],
) -> None:
    selected = run(
        Condition("created_count", 0.0, "gt"),
        any_of=(Condition("status", "SUCCESS", "eq"), Condition("provider", "gcp", "eq")),
    )

    assert selected == {"111", "222"}


# ---------------------------------------------------------------------------------------------
# Fixed bugs found by these tables


@pytest.mark.parametrize(
    "dsl",
    [
        pytest.param(Condition("errors.additional.a$b", 1.0, "eq"), id="key"),
        pytest.param(Condition("errors", {"additional.a$b": 1.0}, "match"), id="match-key"),
    ],
)
def test_dollar_inside_a_path_segment_is_rejected(dsl: Condition) -> None:
    assert_rejected(dsl, InvalidParameter, "a$b")


@pytest.mark.parametrize("inner_key", ["0", "0.error_code", "0__in"])
def test_match_inner_key_cannot_be_an_array_index(inner_key: str) -> None:
    assert_rejected(
        Condition("errors", {inner_key: "x"}, "match"),
        InvalidParameter,
        f"{inner_key!r} is not a field of an error",
    )


@pytest.mark.parametrize("pattern", [r"\p{L}", r"(?<year>\d{4})", r"a(?i)b"])
def test_regex_accepts_valid_pcre_patterns(pattern: str) -> None:
    assert_translates(
        Condition("job_id", pattern, "regex"), {"job_id": {"$regex": pattern, "$options": "i"}}
    )


@pytest.mark.parametrize(
    ("dsl", "expected_ids"),
    [
        pytest.param(Condition("errors.additional.n", [5.0], "contain_in"), {"111"}, id="in"),
        pytest.param(
            Condition("errors.additional.n", [5.0], "not_contain_in"), {"222", "333"}, id="not"
        ),
    ],
)
def test_contain_in_on_free_form_compares_non_strings_by_equality(
    dsl: Condition, expected_ids: set[str]
) -> None:
    collection: Any = mongomock.MongoClient()["inventory"]["job_task"]
    collection.insert_many(
        [
            {"job_task_id": "111", "errors": [{"additional": {"n": 5}}]},
            {"job_task_id": "222", "errors": [{"additional": {"n": 6}}]},
            {"job_task_id": "333", "errors": []},
        ]
    )

    selected = {d["job_task_id"] for d in collection.find(translate(dsl))}

    assert selected == expected_ids
