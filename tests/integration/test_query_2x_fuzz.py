"""Hostile core.v2 queries through lines/v2/query.py and the service, on the database under test:
1.x's hostile queries in 2.x's shape (sort lists), with unwind, add_fields and lookup beside them,
and stat with 2.x's Unwind and sort list. Each is answered, or refused as the client's mistake
(InvalidRequest), within its deadline, never with another domain's data. (The 2.x gRPC edge's
own fuzz belongs with its server; this covers the translation and the pipelines below it.)

Derandomized, `JOBTASK_FUZZ_EXAMPLES` (default 300) examples per property, as test_fuzz.py.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any, Final, cast

import pytest
from google.protobuf import json_format
from hypothesis import assume, event, given
from hypothesis import strategies as st
from pydantic import SecretStr

from jobtask.errors import InvalidRequest
from jobtask.lines.v2 import wire
from jobtask.lines.v2.query import to_query, to_statistics_query
from jobtask.scope import Scope
from jobtask.services.reads import JobTaskService, ListRequest, StatRequest
from jobtask.settings import Settings
from jobtask.storage import connect_with
from tests.support import hostile
from tests.support.dataset import DOMAIN
from tests.support.hostile import FUZZ

SCOPE: Final = Scope(DOMAIN)


@pytest.fixture(scope="module")
def fuzz_service(mongodb_uri: str) -> Iterator[JobTaskService]:
    fuzz_settings = Settings(
        mongodb_uri=SecretStr(mongodb_uri),
        mongodb_database=f"fuzz2_{uuid.uuid4().hex[:12]}",
        mongodb_server_selection_timeout_ms=3000,
    )
    client, repository = connect_with(fuzz_settings)
    repository.ensure_indexes()
    client[fuzz_settings.mongodb_database]["job_task"].insert_many(hostile.fuzz_documents())
    yield JobTaskService(repository, max_page_size=50)
    client.drop_database(fuzz_settings.mongodb_database)
    client.close()


def _sort_list(sort: dict[str, Any]) -> list[dict[str, Any]]:
    """A 1.x sort ({key, desc} or {keys}) as 2.x's list."""
    if "keys" in sort:
        return list(sort["keys"])
    return [sort] if sort else []


# add_fields: real fields and hostile names, SpaceONE's conditional or a plain value. Values
# that carry the other domain's marker would read as a leak, so none is generated.
_expressions = st.one_of(
    hostile.values,
    st.sampled_from(("$provider", "$job_id", "$domain_id", "$$ROOT", "$errors", "$nope")),
)
_conditionals = st.fixed_dictionaries(
    {
        "if": st.one_of(
            st.builds(
                lambda op, args: {op: args},
                st.sampled_from(("__gt", "__eq", "__in", "__and", "__function", "__where", "gt")),
                st.lists(_expressions, max_size=3),
            ),
            _expressions,
        ),
        "then": _expressions,
        "else": _expressions,
    }
)
_add_fields = st.dictionaries(
    st.sampled_from(("provider", "status", "failure_count", "errors", "job_task_id"))
    | hostile.names
    | hostile.paths,
    st.one_of(_conditionals, _expressions),
    max_size=2,
).filter(lambda fields: hostile.other_domain_in(fields) is None)
_unwind = hostile._maybe(
    {
        "path": st.sampled_from(("errors", "errors.additional", "job_id")) | hostile.paths,
        "filter": st.lists(hostile.conditions, max_size=2),
    }
)

# Pipelines a client means: errors unwound (maybe filtered), fields computed from real ones.
_meant_fields = st.dictionaries(
    st.sampled_from(("provider", "status", "failure_count", "job_id")),
    st.one_of(
        st.sampled_from(("$provider", "$job_id", "x", 0, None)),
        st.fixed_dictionaries(
            {
                "if": st.builds(
                    lambda op, key, value: {op: [key, value]},
                    st.sampled_from(("__gt", "__eq", "__ne", "__lte")),
                    st.sampled_from(("$failure_count", "$provider", "$status", "$created_at")),
                    st.sampled_from((0, 1, "aws", "FAILURE", None)),
                ),
                "then": st.sampled_from(("$provider", "y", 1)),
                "else": st.sampled_from(("$job_id", "n", None)),
            }
        ),
    ),
    min_size=1,
    max_size=2,
)
_meant_pipeline = st.fixed_dictionaries(
    {"only": st.lists(st.sampled_from((*hostile.FIELDS[:8], "errors")), min_size=1, max_size=3)},
    optional={
        "unwind": st.fixed_dictionaries(
            {"path": st.just("errors")},
            optional={"filter": st.lists(hostile.conditions, max_size=1)},
        ),
        "add_fields": _meant_fields,
        "sort": st.lists(
            st.fixed_dictionaries(
                {"key": st.sampled_from(("provider", "errors.error_code", "created_at"))},
                optional={"desc": st.booleans()},
            ),
            max_size=2,
        ),
        "page": hostile._page,
        "count_only": st.booleans(),
        "filter": st.lists(hostile.conditions, max_size=2),
        "keyword": st.sampled_from(("", "aaaa", "bbbb")),
    },
)

_hostile_list_queries = st.tuples(
    hostile.queries,
    hostile._maybe(
        {
            "unwind": _unwind,
            "add_fields": _add_fields,
            "lookup": st.lists(hostile.values, max_size=1),
            "only": st.lists(st.sampled_from(hostile.FIELDS), min_size=1, max_size=3),
        }
    ),
).map(
    lambda parts: {
        **parts[0],
        **({"sort": _sort_list(parts[0]["sort"])} if "sort" in parts[0] else {}),
        **parts[1],
    }
)
list_queries = st.one_of(_hostile_list_queries, _meant_pipeline)


def _stat_stage(stage: dict[str, Any]) -> dict[str, Any]:
    if "sort" in stage and isinstance(stage["sort"], dict):
        return {"sort": _sort_list(stage["sort"])}
    return stage


statistics_queries = st.tuples(
    hostile.statistics_queries,
    st.lists(st.lists(hostile.conditions, max_size=2), max_size=1),
).map(
    lambda parts: {
        **parts[0],
        **(
            {
                "aggregate": [
                    {"unwind": {"path": "errors", "filter": parts[1][0]}} if parts[1] else {},
                    *(_stat_stage(s) for s in parts[0]["aggregate"]),
                ][0 if parts[1] else 1 :]
            }
            if "aggregate" in parts[0]
            else {}
        ),
    }
)


def _parsed(data: dict[str, Any], name: str) -> Any:
    try:
        return json_format.ParseDict(data, wire.message_class(f"{wire.CORE}.{name}")())
    except (json_format.ParseError, ValueError, TypeError):
        assume(False)  # not a message a client can send (a 1.x-only shape, NaN in a Struct)


def _answered_cleanly(call: Any) -> Any:
    """The answer, or None for the client's mistake; anything else fails the property."""
    try:
        answer = call()
    except InvalidRequest as error:
        event(f"refused: {type(error).__name__} {getattr(error, 'key', '')}")
        return None
    event("answered")
    return answer


@FUZZ
@given(query=list_queries)
def test_2x_list_answers_every_hostile_query_cleanly(
    fuzz_service: JobTaskService, query: dict[str, Any]
) -> None:
    message = cast(wire.QueryMessage, _parsed(query, "Query"))

    result = _answered_cleanly(
        lambda: fuzz_service.list(
            SCOPE,
            ListRequest(query=to_query(message, max_page_size=fuzz_service.max_page_size)),
            timeout=10,
        )
    )

    if result is not None:
        event(f"pipeline: {'unwind' in query}/{'add_fields' in query}")
        rows = [dataclasses.asdict(task) for task in result.results]
        assert hostile.other_domain_in(rows) is None, rows


@FUZZ
@given(query=statistics_queries)
def test_2x_stat_answers_every_hostile_query_cleanly(
    fuzz_service: JobTaskService, query: dict[str, Any]
) -> None:
    message = cast(wire.StatisticsQueryMessage, _parsed(query, "StatisticsQuery"))

    result = _answered_cleanly(
        lambda: fuzz_service.stat(
            SCOPE, StatRequest(query=to_statistics_query(message)), timeout=10
        )
    )

    if result is not None:
        assert hostile.other_domain_in(result.results) is None, result.results
