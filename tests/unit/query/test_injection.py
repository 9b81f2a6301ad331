"""No request can make the service send MongoDB an operator it did not write itself.

Every query, projection, sort and pipeline the service hands to storage is checked against the
grammar the translators are allowed to produce: whitelisted query operators, stages, expression
operators and accumulators; `$`-strings only as plain field paths (no `$$` variables); request
values inside `$literal`; always scoped to the caller's domain. First a table of named attacks on
each part of list and stat, then thousands of random and adversarial requests (hypothesis).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

import pytest
from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobtask.domain import FindSpec, JobTask
from jobtask.errors import InvalidRequest, NotFound
from jobtask.lines.v1 import requests
from jobtask.scope import Scope
from jobtask.services.reads import JobTaskService
from spaceone.api.inventory.v1 import job_task_pb2
from tests.support import hostile

DOMAIN: Final = hostile.DOMAIN

QUERY_LOGIC: Final = frozenset({"$and", "$or", "$nor"})
FIELD_OPERATORS: Final = frozenset(
    {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$regex", "$options"}
    | {"$not", "$elemMatch"}
)
STAGES: Final = frozenset(
    {"$group", "$project", "$unwind", "$count", "$sort", "$limit", "$skip", "$facet"}
)
EXPRESSION_OPERATORS: Final = frozenset(
    {"$sum", "$avg", "$max", "$min", "$first", "$last", "$addToSet", "$mergeObjects", "$push"}
    | {"$cond", "$and", "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$literal"}
    | {"$year", "$month", "$dayOfMonth", "$dateToString"}
    | {"$size", "$arrayToObject", "$objectToArray"}
)
FIELD_PATH: Final = re.compile(r"\$[^$\x00]+")


class RecordingRepository:
    """Satisfies JobTaskRepository; remembers what it was asked, finds nothing."""

    def __init__(self) -> None:
        self.queries: list[Mapping[str, Any]] = []
        self.projections: list[Mapping[str, int]] = []
        self.sorts: list[Sequence[tuple[str, int]]] = []
        self.pipelines: list[Sequence[Mapping[str, Any]]] = []

    def find_one(
        self, query: Mapping[str, Any], projection: Mapping[str, int], *, timeout: float | None
    ) -> JobTask | None:
        self.queries.append(query)
        self.projections.append(projection)
        return None

    def find(
        self, query: Mapping[str, Any], page: FindSpec, *, timeout: float | None
    ) -> list[JobTask]:
        self.queries.append(query)
        self.projections.append(page.projection)
        self.sorts.append(page.sort)
        return []

    def count(self, query: Mapping[str, Any], *, timeout: float | None) -> int:
        self.queries.append(query)
        return 0

    def delete_one(self, query: Mapping[str, Any], *, timeout: float | None) -> bool:
        self.queries.append(query)
        return False

    def aggregate(
        self, pipeline: Sequence[Mapping[str, Any]], *, timeout: float | None
    ) -> list[dict[str, Any]]:
        self.pipelines.append(pipeline)
        return []


# ---------------------------------------------------------------------------------------------
# The grammar of what may reach the database


def no_operator_keys(value: Any) -> None:
    """A literal: no object inside it has a `$` key (MongoDB would not read it as one, anyway)."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            assert not str(key).startswith("$"), f"operator {key!r} inside a value"
            no_operator_keys(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            no_operator_keys(inner)


def check_field_path(path: str) -> None:
    assert path, "an empty field path"
    assert "$" not in path, f"{path!r}: '$' in a field path (operator or positional)"
    assert "\x00" not in path, f"{path!r}: NUL in a field path"


def check_condition(value: Any) -> None:
    """What a field is compared with: a literal, or an object of whitelisted field operators."""
    if not (isinstance(value, Mapping) and any(str(k).startswith("$") for k in value)):
        no_operator_keys(value)
        return
    for operator, operand in value.items():
        assert operator in FIELD_OPERATORS, f"query operator {operator!r}"
        if operator == "$elemMatch":
            check_query(operand)
        elif operator == "$not":
            check_condition(operand)
        else:
            no_operator_keys(operand)


def check_query(document: Mapping[str, Any]) -> None:
    for key, value in document.items():
        if key in QUERY_LOGIC:
            for branch in value:
                check_query(branch)
        else:
            assert not key.startswith("$"), f"top-level query operator {key!r}"
            check_field_path(key)
            check_condition(value)


def check_scoped(document: Mapping[str, Any]) -> None:
    """The caller's domain is required at the top (every top-level part is ANDed): as a field
    of its own, or as the first part of an `$and` when the user's filter names domain_id too."""
    if document.get("domain_id") != DOMAIN:
        assert document.get("$and", [None])[0] == {"domain_id": DOMAIN}, document
    check_query(document)


def check_expression(value: Any) -> None:
    if isinstance(value, str):
        if value.startswith("$"):
            assert FIELD_PATH.fullmatch(value), f"{value!r}: not a plain field path"
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            assert "\x00" not in key
            if key.startswith("$"):
                assert key in EXPRESSION_OPERATORS, f"expression operator {key!r}"
                if key == "$literal":
                    continue  # the request's value, never evaluated
            else:
                assert "." not in key, f"{key!r}: a dotted output name"
            check_expression(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            check_expression(inner)


def check_stages(stages: Sequence[Mapping[str, Any]]) -> None:
    for stage in stages:
        ((name, body),) = stage.items()
        assert name in STAGES, f"stage {name!r}"
        if name == "$facet":
            for branch in body.values():
                check_stages(branch)
        elif name == "$sort":
            for path in body:
                check_field_path(path)
        else:
            check_expression(body)


def check_recorded(repository: RecordingRepository) -> None:
    for query in repository.queries:
        check_scoped(query)
    for projection in repository.projections:
        for path in projection:
            check_field_path(path)
    for sort in repository.sorts:
        for path, _ in sort:
            check_field_path(path)
    for pipeline in repository.pipelines:
        first, *rest = pipeline
        assert set(first) == {"$match"}, first
        check_scoped(first["$match"])
        check_stages(rest)


# ---------------------------------------------------------------------------------------------
# Named attacks


def list_request(**query: Any) -> dict[str, Any]:
    return {"domain_id": DOMAIN, "query": query}


def stat_request(*stages: dict[str, Any], **query: Any) -> dict[str, Any]:
    return {"domain_id": DOMAIN, "query": {"aggregate": list(stages), **query}}


def group(*fields: dict[str, Any], keys: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    return {"group": {"keys": list(keys), "fields": list(fields)}}


def count(name: str = "n", **field: Any) -> dict[str, Any]:
    return {"name": name, "operator": "count", **field}


WHERE: Final = {"$where": "sleep(1000) || true"}
FUNCTION: Final = {"$function": {"body": "function() { return true; }", "args": [], "lang": "js"}}

LIST_ATTACKS: Final = {
    "filter key $where": list_request(filter=[{"k": "$where", "v": "true", "o": "eq"}]),
    "filter key $expr": list_request(filter=[{"k": "$expr", "v": {"$eq": [1, 1]}, "o": "eq"}]),
    "filter key with an operator inside": list_request(
        filter=[{"k": "domain_id.$ne", "v": "x", "o": "eq"}]
    ),
    "filter key positional": list_request(filter=[{"k": "errors.$", "v": "x", "o": "eq"}]),
    "filter operator $where": list_request(filter=[{"k": "status", "v": "x", "o": "$where"}]),
    "filter_or value $ne": list_request(
        filter_or=[{"k": "domain_id", "v": {"$ne": None}, "o": "eq"}]
    ),
    "value $function": list_request(filter=[{"k": "errors.additional", "v": FUNCTION, "o": "eq"}]),
    "nested value $where": list_request(
        filter=[{"k": "errors.additional", "v": {"a": [WHERE]}, "o": "in"}]
    ),
    "in element $where": list_request(filter=[{"k": "provider", "v": [WHERE], "o": "in"}]),
    "match $where": list_request(filter=[{"k": "errors", "v": WHERE, "o": "match"}]),
    "match $expr": list_request(
        filter=[{"k": "errors", "v": {"$expr": {"$gt": ["$a", 1]}}, "o": "match"}]
    ),
    "match inner $where": list_request(
        filter=[{"k": "errors", "v": {"error_code": WHERE}, "o": "match"}]
    ),
    "match inner $function": list_request(
        filter=[{"k": "errors", "v": {"message": FUNCTION}, "o": "match"}]
    ),
    "match operand $where": list_request(
        filter=[{"k": "errors", "v": {"message": {"$in": [WHERE]}}, "o": "match"}]
    ),
    "match key not an error field": list_request(
        filter=[{"k": "errors", "v": {"$or": [{"domain_id": "x"}]}, "o": "match"}]
    ),
    "sort key $natural": list_request(sort={"key": "$natural"}),
    "sort key $where": list_request(sort={"keys": [{"key": "$where"}]}),
    "only $where": list_request(only=["$where"]),
    "only positional": list_request(only=["errors.$"]),
    "only elemMatch projection": list_request(only=["errors.$elemMatch"]),
    # BSON cannot carry a regular expression with NUL in it: refused before the driver is asked.
    "NUL in a keyword": list_request(keyword="a\x00"),
    "NUL in contain": list_request(filter=[{"k": "job_id", "v": "\x00", "o": "contain"}]),
    "NUL in contain_in": list_request(filter=[{"k": "job_id", "v": ["\x00"], "o": "contain_in"}]),
    "NUL in regex": list_request(filter=[{"k": "job_id", "v": "a\x00", "o": "regex"}]),
    "NUL in a match pattern": list_request(
        filter=[{"k": "errors", "v": {"message": {"$regex": "\x00"}}, "o": "match"}]
    ),
}
STAT_ATTACKS: Final = {
    "group key $where": stat_request(group(count(), keys=[{"key": "$where", "name": "k"}])),
    "group key variable": stat_request(group(count(), keys=[{"key": "$$ROOT", "name": "k"}])),
    "group key name $out": stat_request(group(keys=[{"key": "status", "name": "$out"}])),
    "group key date_format field path": stat_request(
        group(keys=[{"key": "created_at", "name": "d", "date_format": "$domain_id"}])
    ),
    "group field operator $accumulator": stat_request(
        group({"key": "status", "name": "x", "operator": "$accumulator"})
    ),
    "group field operator $function": stat_request(
        group({"key": "status", "name": "x", "operator": "function"})
    ),
    "group field key $lookup": stat_request(
        group({"key": "$lookup", "name": "x", "operator": "first"})
    ),
    "group field name $merge": stat_request(group(count(name="$merge"))),
    "group field name dotted": stat_request(group(count(name="a.b"))),
    "push sub-field key variable": stat_request(
        group({"name": "p", "operator": "push", "fields": [{"key": "$$CURRENT", "name": "c"}]})
    ),
    "push sub-field name $where": stat_request(
        group({"name": "p", "operator": "push", "fields": [{"key": "status", "name": "$where"}]})
    ),
    "condition key $expr": stat_request(
        group(count(conditions=[{"key": "$expr", "value": 1, "operator": "eq"}]))
    ),
    "condition value with a NUL key": stat_request(
        group(
            count(conditions=[{"key": "status", "value": [{"a": {"\x00": 1}}], "operator": "eq"}])
        )
    ),
    "condition operator $where": stat_request(
        group(count(conditions=[{"key": "status", "value": 1, "operator": "$where"}]))
    ),
    "project key $where": stat_request({"project": {"fields": [{"key": "$where", "name": "x"}]}}),
    "project operator $function": stat_request(
        {"project": {"fields": [{"key": "status", "name": "x", "operator": "$function"}]}}
    ),
    "project name $out": stat_request({"project": {"fields": [{"key": "status", "name": "$out"}]}}),
    "sort key $where": stat_request({"sort": {"key": "$where"}}),
    "sort keys variable": stat_request({"sort": {"keys": [{"key": "$$ROOT"}]}}),
    "unwind $lookup": stat_request({"unwind": {"path": "$lookup"}}),
    "unwind positional": stat_request({"unwind": {"path": "errors.$[]"}}),
    "count name $out": stat_request({"count": {"name": "$out"}}),
    "distinct $where": {"domain_id": DOMAIN, "query": {"distinct": "$where"}},
    "distinct variable": {"domain_id": DOMAIN, "query": {"distinct": "$$ROOT.domain_id"}},
    "NUL in a stat keyword": {
        "domain_id": DOMAIN,
        "query": {"distinct": "job_id", "keyword": "\x00"},
    },
    "stat filter $where": stat_request(
        {"count": {"name": "n"}}, filter=[{"k": "$where", "v": "1", "o": "eq"}]
    ),
}


def run_list(request: dict[str, Any]) -> RecordingRepository:
    repository = RecordingRepository()
    message = json_format.ParseDict(request, job_task_pb2.JobTaskQuery())
    scope = Scope(message.domain_id)  # no authentication: the domain the request names
    JobTaskService(repository, max_page_size=100).list(scope, requests.to_list_request(message))
    return repository


def run_stat(request: dict[str, Any], timezone: str = "") -> RecordingRepository:
    repository = RecordingRepository()
    message = json_format.ParseDict(request, job_task_pb2.JobTaskStatQuery())
    service = JobTaskService(repository, max_page_size=100)
    service.stat(Scope(message.domain_id), requests.to_stat_request(message, timezone=timezone))
    return repository


@pytest.mark.parametrize("request_", LIST_ATTACKS.values(), ids=LIST_ATTACKS.keys())
def test_list_refuses_the_attack(request_: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest):
        run_list(request_)


@pytest.mark.parametrize("request_", STAT_ATTACKS.values(), ids=STAT_ATTACKS.keys())
def test_stat_refuses_the_attack(request_: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest):
        run_stat(request_)


@pytest.mark.parametrize("value", [WHERE, FUNCTION, "$domain_id", "$$ROOT", [WHERE]])
def test_a_group_condition_value_reaches_the_database_only_as_a_literal(value: Any) -> None:
    repository = run_stat(
        stat_request(group(count(conditions=[{"key": "status", "value": value, "operator": "eq"}])))
    )

    check_recorded(repository)
    (pipeline,) = repository.pipelines
    condition = pipeline[1]["$group"]["n"]["$sum"]["$cond"][0]
    assert condition == {"$and": [{"$eq": ["$status", {"$literal": value}]}]}


def test_a_filter_on_domain_id_cannot_widen_the_scope() -> None:
    repository = run_list(
        list_request(
            filter_or=[{"k": "domain_id", "v": hostile.OTHER_DOMAIN, "o": "eq"}],
            filter=[{"k": "domain_id", "v": [hostile.OTHER_DOMAIN], "o": "not_in"}],
        )
    )

    check_recorded(repository)


def test_the_checker_itself_catches_an_operator() -> None:
    """The grammar above is not vacuous: what the attacks aim for would fail it."""
    for bad in ({"domain_id": DOMAIN, "$where": "1"}, {"domain_id": DOMAIN, "a": {"$expr": 1}}):
        with pytest.raises(AssertionError):
            check_scoped(bad)
    with pytest.raises(AssertionError):
        check_stages([{"$lookup": {"from": "x"}}])
    with pytest.raises(AssertionError):
        check_stages([{"$group": {"_id": "$$ROOT"}}])
    with pytest.raises(AssertionError):
        check_stages([{"$group": {"_id": None, "a": {"$accumulator": {}}}}])
    with pytest.raises(AssertionError):
        check_scoped({"$or": [{"domain_id": DOMAIN}, {}]})


# ---------------------------------------------------------------------------------------------
# Random and adversarial requests

PROPERTY: Final = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@PROPERTY
@given(request=hostile.list_requests)
def test_no_list_request_reaches_the_database_with_an_operator_of_its_own(
    request: dict[str, Any],
) -> None:
    try:
        repository = run_list(request)
    except InvalidRequest:
        return
    check_recorded(repository)


@PROPERTY
@given(request=hostile.stat_requests, timezone=hostile.timezones)
def test_no_stat_request_reaches_the_database_with_an_operator_of_its_own(
    request: dict[str, Any], timezone: str
) -> None:
    try:
        repository = run_stat(request, timezone)
    except InvalidRequest:
        return
    check_recorded(repository)


@PROPERTY
@given(job_task_id=st.text(max_size=20), only=st.lists(hostile.paths, max_size=4))
def test_no_get_reaches_the_database_with_an_operator_of_its_own(
    job_task_id: str, only: list[str]
) -> None:
    repository = RecordingRepository()
    with contextlib.suppress(InvalidRequest, NotFound):
        JobTaskService(repository, max_page_size=100).get(Scope(DOMAIN), job_task_id or "x", only)
    check_recorded(repository)
