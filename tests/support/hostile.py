"""Random and adversarial SpaceONE requests (hypothesis strategies), as proto JSON dicts.

They mix the real vocabulary (fields, operators, stages) with what an attacker would try:
MongoDB operators as keys, names and values (`$where`, `$function`, `$expr`, `$lookup`, ...),
`$`-strings that an aggregation would read as field paths or variables, positional paths, NUL
bytes, malformed patterns and dates. Used by the fuzz tests and by `make reliability`.

`merge_objects` is left out on purpose: the dev database lacks `$mergeObjects`
(docs/compatibility.md, the database differences).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import grpc
from bson import DatetimeMS
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.support.dataset import DOMAIN, OTHER_DOMAIN, tasks_in

# The fuzz properties' settings: derandomized, JOBTASK_FUZZ_EXAMPLES (default 300) examples each.
EXAMPLES: Final = int(os.environ.get("JOBTASK_FUZZ_EXAMPLES", "300"))
FUZZ: Final = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # JOBTASK_FUZZ_RANDOM=1: new examples each run, for exploring (hypothesis prints the seed).
    derandomize=not os.environ.get("JOBTASK_FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Every string stored in the other domain contains this, and every counter is at least
# LEAK_NUMBER: a response carrying either has read the other domain.
LEAK_MARKER: Final = "bbbb"
LEAK_NUMBER: Final = 900_000

FORBIDDEN_OPERATORS: Final = (
    "$where",
    "$function",
    "$expr",
    "$accumulator",
    "$lookup",
    "$graphLookup",
    "$out",
    "$merge",
    "$unionWith",
    "$jsonSchema",
    "$text",
)

FIELDS: Final = (
    "job_task_id",
    "status",
    "provider",
    "job_id",
    "secret_id",
    "service_account_id",
    "project_id",
    "domain_id",
    "collector_id",
    "user_projects",
    "created_count",
    "updated_count",
    "failure_count",
    "total_count",
    "reported_error_count",
    "created_at",
    "started_at",
    "finished_at",
    "errors",
    "errors.error_code",
    "errors.message",
    "errors.additional",
    "errors.additional.provider",
    "errors.0.error_code",
)
HOSTILE_PATHS: Final = (
    *FORBIDDEN_OPERATORS,
    "$or",
    "$and",
    "$nor",
    "$ne",
    "domain_id.$ne",
    "$domain_id",
    "$$ROOT",
    "$$CURRENT.domain_id",
    "errors.$",
    "errors.$[]",
    "errors.$.message",
    "errors.additional.$where",
    "a..b",
    ".status",
    "status.",
    "status\x00",
    "_id",
    "__proto__",
    "this.domain_id",
    "",
)
NAMES: Final = ("n", "total", "status", "domain_id", "$where", "$n", "a.b", "_id", "", "x\x00")

FILTER_OPERATORS: Final = (
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
    "datetime_gte",
    "timediff_lt",
    "timediff_gte",
)
GROUP_OPERATORS: Final = (
    "count",
    "sum",
    "average",
    "max",
    "min",
    "first",
    "last",
    "add_to_set",
    "push",
)
PROJECT_OPERATORS: Final = ("", "size", "array_to_object", "object_to_array", "sum", "add")
CONDITION_OPERATORS: Final = ("eq", "not", "gt", "gte", "lt", "lte")
HOSTILE_OPERATORS: Final = (
    *FORBIDDEN_OPERATORS,
    "where",
    "function",
    "accumulator",
    "$ne",
    "$regex",
    "EQ",
    "eq ",
    "",
)

STRINGS: Final = (
    "aws",
    "FAILURE",
    "SUCCESS",
    "IN_PROGRESS",
    DOMAIN,
    OTHER_DOMAIN,
    "job_task-bbbb00000001",
    "job_task-aaaa00000001",
    "ERROR_PLUGIN",
    "now/d - 7d",
    "now - 1h",
    "2023-01-05T10:00:00Z",
    "2023-01-05",
    "%Y-%m-%d",
    "%w",
    ".*",
    "^a",
    "(a+)+$",
    "[",
    "\\",
    "$domain_id",
    "$$ROOT",
    "$$NOW",
    "sleep(1000)",
    "function() { return true; }",
)
# `match` values whose operands have the wrong type for their operator (each was INTERNAL once).
MISTYPED_MATCH_OPERANDS: Final = (
    {"message": {"$regex": "a", "$options": "z"}},
    {"message": {"$regex": "a", "$options": 5}},
    {"message": {"$options": "i"}},
    {"error_code": {"$in": "x"}},
    {"error_code": {"$nin": 5}},
    {"message__in": "x"},
    {"error_code__exists": "yes"},
    {"error_code": {"$exists": "yes"}},
    {"message": {"$regex": 5}},
    {"message": {"$regex": "(a", "$options": "i"}},
    {"error_code": {"$in": [{"$ne": 1}]}},
)
HOSTILE_VALUES: Final[tuple[Any, ...]] = (
    {"$where": "sleep(100) || true"},
    {"$function": {"body": "function() { return true; }", "args": [], "lang": "js"}},
    {"$expr": {"$eq": ["$domain_id", "$domain_id"]}},
    {"$accumulator": {"init": "function() {}", "lang": "js"}},
    {"$lookup": {"from": "job_task", "as": "x"}},
    {"$ne": None},
    {"$gt": ""},
    {"$regex": ".*"},
    {"$in": [OTHER_DOMAIN]},
    {"$or": [{}]},
    {"$literal": "$domain_id"},
    {"error_code": {"$where": "true"}},
    {"error_code": {"$ne": None}},
    {"error_code": {"$regex": "^ERROR", "$options": "si"}},
    {"error_code__in": ["ERROR_PLUGIN"]},
    {"message": {"$function": {"body": "1"}}},
    {"additional": {"provider": {"$exists": True}}},
    *MISTYPED_MATCH_OPERANDS,
    # Numbers no JSON or database comparison carries.
    {"additional": {"x": float("nan")}},
    {"error_code": {"$in": [float("inf")]}},
)
# NaN and ±Infinity: refused anywhere in a value (each was INTERNAL once).
NON_FINITE: Final = (float("nan"), float("inf"), float("-inf"))

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(NON_FINITE),
    st.sampled_from(STRINGS),
    st.text(max_size=12),
)
values = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    st.recursive(
        _scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(
                st.sampled_from(FIELDS + HOSTILE_PATHS) | st.text(max_size=6), inner, max_size=3
            ),
        ),
        max_leaves=8,
    ),
)
paths = st.one_of(st.sampled_from(FIELDS), st.sampled_from(HOSTILE_PATHS), st.text(max_size=12))
names = st.one_of(st.sampled_from(NAMES), st.text(max_size=8))


def _either(vocabulary: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Mostly real words, sometimes hostile ones or noise."""
    return st.one_of(
        st.sampled_from(vocabulary),
        st.sampled_from(vocabulary),
        st.sampled_from(HOSTILE_OPERATORS),
        st.text(max_size=8),
    )


def _maybe(parts: Mapping[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """A dict with any subset of the parts (the client may leave any of them out)."""
    return st.fixed_dictionaries({}, optional=dict(parts))


def _condition(operators: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    # SpaceONE's short aliases (k, v, o) as well as the long names.
    return st.one_of(
        _maybe({"key": paths, "value": values, "operator": _either(operators)}),
        _maybe({"k": paths, "v": values, "o": _either(operators)}),
    )


STRING_FIELDS: Final = (
    "job_task_id",
    "status",
    "provider",
    "job_id",
    "project_id",
    "domain_id",
    "user_projects",
    "errors.error_code",
    "errors.message",
    "errors.additional.provider",
)
NUMBER_FIELDS: Final = ("created_count", "updated_count", "failure_count", "total_count")
DATE_FIELDS: Final = ("created_at", "started_at", "finished_at")
DATES: Final = ("2023-01-05T10:00:00Z", "2023-01-07", "now/d - 7d", "now/w", "now - 400d", "x")
MATCHES: Final = (
    {"error_code": "ERROR_PLUGIN"},
    {"error_code": {"$in": ["ERROR_PLUGIN", "ERROR_QUOTA"]}},
    {"message": {"$regex": "time", "$options": "i"}},
    {"error_code__ne": "ERROR_AUTH", "additional.provider": "aws"},
    {"additional": {"$exists": True}},
)
_texts = st.one_of(st.sampled_from(STRINGS), st.text(max_size=10))

# Conditions a client means: a real field, an operator for it, a value of the right shape.
_meant_conditions = st.one_of(
    st.fixed_dictionaries(
        {
            "key": st.sampled_from(STRING_FIELDS),
            "operator": st.sampled_from(("eq", "not", "contain", "not_contain", "regex")),
            "value": _texts,
        }
    ),
    st.fixed_dictionaries(
        {
            "key": st.sampled_from(STRING_FIELDS),
            "operator": st.sampled_from(
                ("in", "not_in", "contain_in", "not_contain_in", "regex_in")
            ),
            "value": st.lists(_texts, min_size=1, max_size=4),
        }
    ),
    st.fixed_dictionaries(
        {
            "key": st.sampled_from(NUMBER_FIELDS),
            "operator": st.sampled_from(("eq", "not", "lt", "lte", "gt", "gte")),
            "value": st.integers(-5, 3000),
        }
    ),
    st.fixed_dictionaries(
        {
            "key": st.sampled_from(DATE_FIELDS),
            "operator": st.sampled_from(
                ("datetime_gte", "datetime_lt", "timediff_gte", "gte", "lt")
            ),
            "value": st.sampled_from(DATES),
        }
    ),
    st.fixed_dictionaries(
        {"key": st.sampled_from(FIELDS), "operator": st.just("exists"), "value": st.booleans()}
    ),
    st.fixed_dictionaries(
        {
            "key": st.just("errors"),
            "operator": st.just("match"),
            "value": st.sampled_from(MATCHES + HOSTILE_VALUES),
        }
    ),
)
conditions = st.one_of(
    _meant_conditions, _meant_conditions, _meant_conditions, _condition(FILTER_OPERATORS)
)
_sort_keys = st.lists(_maybe({"key": paths, "desc": st.booleans()}), max_size=3)
_sort = st.one_of(
    st.fixed_dictionaries({"key": st.sampled_from(FIELDS), "desc": st.booleans()}),
    _maybe({"key": paths, "desc": st.booleans()}),
    st.fixed_dictionaries({"keys": _sort_keys}),
)
_page = _maybe(
    {
        "start": st.integers(0, 30) | st.sampled_from((2**31, 2**31 + 1, 2**32 - 1)),
        "limit": st.integers(0, 80) | st.just(2**32 - 1),
    }
)
_keyword = st.one_of(st.text(max_size=20), st.sampled_from(STRINGS))

queries = st.one_of(
    st.fixed_dictionaries(
        {"page": st.fixed_dictionaries({"limit": st.integers(1, 20)})},
        optional={
            "filter": st.lists(conditions, max_size=3),
            "filter_or": st.lists(conditions, max_size=2),
            "sort": _sort,
            "minimal": st.booleans(),
            "count_only": st.booleans(),
            "only": st.lists(st.sampled_from(FIELDS), max_size=3),
            "keyword": st.sampled_from(("", "aaaa", "3f9c abcd", "bbbb")),
        },
    ),
    _maybe(
        {
            "filter": st.lists(conditions, max_size=4),
            "filter_or": st.lists(conditions, max_size=3),
            "sort": _sort,
            "page": _page,
            "minimal": st.booleans(),
            "count_only": st.booleans(),
            "only": st.lists(paths, max_size=4),
            "keyword": _keyword,
        }
    ),
)

# date_format: the three words, $dateToString formats, specifiers no database knows, a lone %,
# one far too long.
DATE_FORMATS: Final = (
    "year", "month", "day", "%Y-%m", "$x", "%w", "%Q", "%", "%Y-%", "%%", "%Y\x00", "%Y" * 400,
)  # fmt: skip

# Hostile stages: any part may be missing, any word may be an attack.
_group = _maybe(
    {
        "keys": st.lists(
            _maybe(
                {
                    "key": paths,
                    "name": names,
                    "date_format": st.sampled_from(DATE_FORMATS) | st.text(max_size=6),
                }
            ),
            max_size=3,
        ),
        "fields": st.lists(
            _maybe(
                {
                    "key": paths,
                    "name": names,
                    "operator": _either(GROUP_OPERATORS),
                    "fields": st.lists(_maybe({"key": paths, "name": names}), max_size=2),
                    "conditions": st.lists(_condition(CONDITION_OPERATORS), max_size=2),
                }
            ),
            max_size=3,
        ),
    }
)
_project = _maybe(
    {
        "fields": st.lists(
            _maybe({"key": paths, "name": names, "operator": _either(PROJECT_OPERATORS)}),
            max_size=3,
        ),
        "exclude_keys": st.booleans(),
    }
)
_hostile_stages = st.one_of(
    st.fixed_dictionaries({"group": _group}),
    st.fixed_dictionaries({"project": _project}),
    st.fixed_dictionaries({"unwind": _maybe({"path": paths})}),
    st.fixed_dictionaries({"count": _maybe({"name": names})}),
    st.fixed_dictionaries(
        {
            "sort": st.one_of(
                _maybe({"key": paths, "desc": st.booleans()}),
                st.fixed_dictionaries({"keys": _sort_keys}),
            )
        }
    ),
    st.fixed_dictionaries({"limit": st.integers(-3, 40)}),
    st.fixed_dictionaries({"skip": st.integers(-3, 40)}),
)

# Pipelines a client means: a group of real fields named k0, k1 and f0, f1, then stages over
# those names (a name the group did not make is a mistake the server must answer cleanly).
_MADE: Final = ("k0", "k1", "f0", "f1")
_meant_group = st.fixed_dictionaries(
    {
        "keys": st.lists(
            st.fixed_dictionaries(
                {"key": st.sampled_from((*STRING_FIELDS[:5], "errors.error_code"))},
                optional={"date_format": st.just("")},
            ),
            max_size=2,
        ),
        "fields": st.lists(
            st.fixed_dictionaries(
                {"operator": st.sampled_from(GROUP_OPERATORS)},
                optional={
                    "key": st.sampled_from(NUMBER_FIELDS + DATE_FIELDS + STRING_FIELDS[:3]),
                    "conditions": st.lists(
                        st.fixed_dictionaries(
                            {
                                "key": st.sampled_from(STRING_FIELDS[:3] + NUMBER_FIELDS),
                                "operator": st.sampled_from(CONDITION_OPERATORS),
                                "value": st.sampled_from(("aws", "FAILURE", 0, 2, 12)) | values,
                            }
                        ),
                        max_size=2,
                    ),
                },
            ),
            min_size=1,
            max_size=2,
        ),
    }
).map(
    lambda g: {
        "keys": [{**k, "name": f"k{i}"} for i, k in enumerate(g["keys"])],
        "fields": [{**f, "name": f"f{i}"} for i, f in enumerate(g["fields"])],
    }
)
_date_group = st.fixed_dictionaries(
    {
        "keys": st.tuples(
            st.sampled_from(DATE_FIELDS), st.sampled_from(("year", "month", "day", "%Y-%m-%d"))
        ).map(lambda kf: [{"key": kf[0], "name": "k0", "date_format": kf[1]}]),
        "fields": st.just([{"operator": "count", "name": "f0"}]),
    }
)
_after_group = st.one_of(
    st.fixed_dictionaries(
        {"sort": st.fixed_dictionaries({"key": st.sampled_from(_MADE), "desc": st.booleans()})}
    ),
    st.fixed_dictionaries({"limit": st.integers(1, 5)}),
    st.fixed_dictionaries({"skip": st.integers(0, 3)}),
    st.fixed_dictionaries(
        {
            "project": st.fixed_dictionaries(
                {
                    "fields": st.lists(
                        st.fixed_dictionaries(
                            {
                                "key": st.sampled_from(_MADE),
                                "name": st.sampled_from(("p0", "p1")),
                                "operator": st.sampled_from(("", "size", "sum")),
                            }
                        ),
                        min_size=1,
                        max_size=1,
                    ),
                    "exclude_keys": st.booleans(),
                }
            )
        }
    ),
    st.just({"count": {"name": "rows"}}),
)
_meant_aggregate = st.tuples(
    st.lists(st.just({"unwind": {"path": "errors"}}), max_size=1),
    st.one_of(_meant_group, _date_group).map(lambda g: [{"group": g}]),
    st.lists(_after_group, max_size=3),
).map(lambda parts: [stage for part in parts for stage in part])

statistics_queries = st.one_of(
    st.fixed_dictionaries(
        {"aggregate": _meant_aggregate},
        optional={"filter": st.lists(conditions, max_size=2), "page": _page, "keyword": _keyword},
    ),
    st.fixed_dictionaries(
        {"distinct": st.sampled_from(FIELDS) | paths},
        optional={"filter": st.lists(conditions, max_size=2), "page": _page},
    ),
    _maybe(
        {
            "filter": st.lists(conditions, max_size=3),
            "filter_or": st.lists(conditions, max_size=2),
            "aggregate": st.lists(_hostile_stages, max_size=4),
            "page": _page,
            "distinct": paths,
            "keyword": _keyword,
        }
    ),
)
# The `timezone` metadata of a stat call (printable ASCII, as gRPC metadata must be).
timezones = st.sampled_from(
    ("", "UTC", "Asia/Seoul", "America/St_Johns", "Not/AZone", "../../etc/passwd", "+09:00", "$x")
)


def _domain() -> st.SearchStrategy[str]:
    # Now and then none, which is the client's mistake.
    return st.sampled_from((*(DOMAIN,) * 9, ""))


list_requests = st.fixed_dictionaries({"domain_id": _domain(), "query": queries}).flatmap(
    lambda request: _maybe(
        {
            "status": st.sampled_from(("PENDING", "FAILURE", "SUCCESS")),
            "provider": st.text(max_size=6),
        }
    ).map(lambda extra: {**request, **extra})
)
stat_requests = st.one_of(
    st.fixed_dictionaries({"domain_id": _domain(), "query": statistics_queries}),
    st.fixed_dictionaries({"domain_id": _domain(), "query": statistics_queries}),
    st.fixed_dictionaries({"domain_id": _domain()}, optional={"query": statistics_queries}),
)


def walk(value: Any) -> Iterator[Any]:
    """Every value inside a response (keys included), depth first."""
    pending = [value]
    while pending:
        current = pending.pop()
        yield current
        if isinstance(current, Mapping):
            pending.extend(current.keys())
            pending.extend(current.values())
        elif isinstance(current, list | tuple):
            pending.extend(current)


def other_domain_in(response: Any) -> Any:
    """Something in the response that only the other domain's documents hold, or None."""
    for value in walk(response):
        if isinstance(value, str) and LEAK_MARKER in value.lower():
            return value
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= LEAK_NUMBER:
            return value
    return None


# ---------------------------------------------------------------------------------------------
# The fuzz target: two domains, and what every answer must satisfy


def _marked(number: int) -> dict[str, Any]:
    """A task of the other domain: its strings carry LEAK_MARKER, its counters LEAK_NUMBER."""
    created_at = datetime(2023, 1, 5 + number % 5, 9 + number)
    return {
        "job_task_id": f"job_task-bbbb{number:08d}",
        "status": "BBBB",  # no enum name: a leaked status shows as the marker too
        "created_count": LEAK_NUMBER + number,
        "updated_count": LEAK_NUMBER,
        "deleted_count": LEAK_NUMBER,
        "disconnected_count": LEAK_NUMBER,
        "failure_count": LEAK_NUMBER,
        "total_count": LEAK_NUMBER,
        "errors": [
            {"error_code": "ERROR_BBBB", "message": "bbbb", "additional": {"bbbb": "bbbb"}},
            {"error_code": "ERROR_PLUGIN", "message": "bbbb timeout", "additional": None},
        ],
        "job_id": "job-bbbb",
        "secret_id": "secret-bbbb",
        "collector_id": "collector-bbbb",
        "provider": "aws-bbbb",
        "service_account_id": "sa-bbbb",
        "project_id": "project-bbbb",
        "domain_id": OTHER_DOMAIN,
        "created_at": created_at,
        "started_at": created_at.replace(second=5),
        "finished_at": created_at.replace(minute=30),
    }


OTHER_TASKS: Final = tuple(_marked(number) for number in range(6))


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": "x"}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


# Tasks of the caller's domain holding what an existing collection may hold and the API cannot
# carry as it is: counters out of int32's range or of other types, NaN, strings and objects in
# string and date fields, dates beyond Python's range, errors that are not a list of objects,
# `additional` nested past protobuf's limit. Every read must still answer (never INTERNAL).
# (No positive number reaches LEAK_NUMBER and no string holds LEAK_MARKER: those mean a leak.)
POISONED_TASKS: Final = (
    {
        "job_task_id": "job_task-poison000001",
        "domain_id": DOMAIN,
        "status": 5,
        "created_count": -(2**40),
        "updated_count": float("nan"),
        "failure_count": "12",
        "deleted_count": [1, 2],
        "disconnected_count": True,
        "provider": {"nested": "object"},
        "job_id": 12,
        "created_at": "yesterday",
        "started_at": DatetimeMS(2**50),  # year 37,648: past Python's, under LEAK_NUMBER
        "errors": [
            {"error_code": 5, "message": ["x"], "additional": {"n": float("nan")}},
            "not an error",
            {"error_code": "ERROR_DEEP", "message": "deep", "additional": _nested(60)},
        ],
    },
    {
        "job_task_id": "job_task-poison000002",
        "domain_id": DOMAIN,
        "status": ["IN_PROGRESS"],
        "created_count": float("-inf"),
        "updated_count": 3.7,
        "created_at": datetime(2023, 1, 6),
        "finished_at": 17,
        "errors": "not a list",
    },
    {
        "job_task_id": "job_task-poison000003",
        "domain_id": DOMAIN,
        "status": "FAILURE",
        "errors": [{"additional": {"small": -(2**62), "inf": float("-inf"), "ok": "yes"}}],
    },
)


def fuzz_documents() -> list[dict[str, Any]]:
    """The caller's domain (the shared dataset's tasks and the poisoned ones) and the other
    domain's marked tasks."""
    return [
        *(dict(task) for task in tasks_in(DOMAIN)),
        *(dict(task) for task in POISONED_TASKS),
        *(dict(task) for task in OTHER_TASKS),
    ]


# Ids for get and delete: the other domain's, random text, and one far too long to echo.
job_task_ids = st.one_of(
    st.sampled_from([t["job_task_id"] for t in OTHER_TASKS]),
    st.text(max_size=24),
    st.just("job_task-" + "a" * 20_000),
)


# What a hostile request may be answered with, besides OK: its own mistake, or not found.
ACCEPTED: Final[Mapping[str, frozenset[grpc.StatusCode]]] = {
    "list": frozenset({grpc.StatusCode.INVALID_ARGUMENT}),
    "stat": frozenset({grpc.StatusCode.INVALID_ARGUMENT}),
    "get": frozenset({grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND}),
    "delete": frozenset({grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND}),
}


# An answer's details are at most this long (errors.MAX_MESSAGE_CHARS and its code and cut mark).
MAX_DETAILS_CHARS: Final = 1100
# What the database's error documents hold; no answer may carry them.
DATABASE_INTERNALS: Final = ("full error", "$err", "errmsg", "PlanExecutor", "codeName")


def fuzz_call(
    client: Any,
    rpc: str,
    request: dict[str, Any],
    *,
    metadata: Sequence[tuple[str, str]] = (),
    timeout: float = 5.0,
) -> grpc.StatusCode:
    """One call of the property: within its deadline, answered OK or with an accepted code,
    and nothing of the other domain in the answer. Returns the code; AssertionError if not."""
    try:
        response = getattr(client, rpc)(request, metadata=metadata or None, timeout=timeout)
    except grpc.RpcError as error:
        code, details = error.code(), error.details() or ""
        shown = f"{rpc} {request!r:.2000} -> {code.name}: {details}"
        assert code in ACCEPTED[rpc], shown
        # Bounded, and none of the database's own error text (it goes to the log).
        assert len(details) <= MAX_DETAILS_CHARS, shown
        assert not any(internal in details for internal in DATABASE_INTERNALS), shown
        return code
    leaked = other_domain_in(response)
    assert leaked is None, f"{rpc} {request!r} answered the other domain's {leaked!r}"
    return grpc.StatusCode.OK
