"""The CLI's command-line expressions: filters, sorts, errors, pages and statistics queries."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from google.protobuf import json_format

from jobtask.cli import parse
from jobtask.cli.main import Outcome, Status
from jobtask_internal.v1 import job_task_writer_pb2
from spaceone.api.inventory.v1 import job_task_pb2


def _dict(message: Any) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("provider=aws", ("provider", "aws", "eq")),
        ("provider!=aws", ("provider", "aws", "not")),
        ("job_task_id~0001", ("job_task_id", "0001", "contain")),
        ("job_task_id!~ab", ("job_task_id", "ab", "not_contain")),
        ("created_count>=5", ("created_count", 5, "gte")),
        ("created_count<=5", ("created_count", 5, "lte")),
        ("created_count>5", ("created_count", 5, "gt")),
        ("created_count<5", ("created_count", 5, "lt")),
        ("updated_count>1.5", ("updated_count", 1.5, "gt")),
        ("updated_count>=-3", ("updated_count", -3, "gte")),
        ("updated_count<+7", ("updated_count", 7, "lt")),
        ("updated_count<.5", ("updated_count", 0.5, "lt")),
        ("updated_count<1e3", ("updated_count", 1000.0, "lt")),
        ("created_at>=2023-01-05", ("created_at", "2023-01-05", "gte")),
        ("errors.error_code=ERROR_PLUGIN", ("errors.error_code", "ERROR_PLUGIN", "eq")),
        # The key ends at the first operator; the rest, operators included, is the value.
        ("errors.message~a=b", ("errors.message", "a=b", "contain")),
        ("job_id=a>b", ("job_id", "a>b", "eq")),
        ("job_id>=>", ("job_id", ">", "gte")),
        ("job_id==x", ("job_id", "=x", "eq")),
        # Whitespace around the operator and the value is not part of either.
        ("provider = aws", ("provider", "aws", "eq")),
        ("  provider=aws  ", ("provider", "aws", "eq")),
        ("errors.message~timeout while", ("errors.message", "timeout while", "contain")),
        ("provider=", ("provider", "", "eq")),
        # Quotes keep a numeric-looking value text.
        ("job_id='123'", ("job_id", "123", "eq")),
        ('job_id="123"', ("job_id", "123", "eq")),
        ("job_id='", ("job_id", "'", "eq")),
        # Substring operators always compare text.
        ("job_task_id~12", ("job_task_id", "12", "contain")),
        ("job_task_id!~12", ("job_task_id", "12", "not_contain")),
        ("job_task_id~'a b'", ("job_task_id", "a b", "contain")),
        ("created_at:timediff_gte='now/d - 7d'", ("created_at", "now/d - 7d", "timediff_gte")),
        ("job_id:in='1',2", ("job_id", ["1", 2], "in")),
        # Only plain decimal numbers are numbers.
        ("job_id=1_000", ("job_id", "1_000", "eq")),
        ("job_id=0x1f", ("job_id", "0x1f", "eq")),
        ("job_id=nan", ("job_id", "nan", "eq")),
        ("job_id=inf", ("job_id", "inf", "eq")),
        ("job_id=1.2.3", ("job_id", "1.2.3", "eq")),
        ("job_id=12abc", ("job_id", "12abc", "eq")),
        ("job_id=true", ("job_id", "true", "eq")),
        # Any operator by name: key:operator=value.
        ("created_at:timediff_gte=now/d - 7d", ("created_at", "now/d - 7d", "timediff_gte")),
        ("created_at:datetime_lt=2023-01-06", ("created_at", "2023-01-06", "datetime_lt")),
        ("created_count:gte=5", ("created_count", 5, "gte")),
        ("job_task_id:regex=^job_task-a+0", ("job_task_id", "^job_task-a+0", "regex")),
        ("provider:in=aws, azure", ("provider", ["aws", "azure"], "in")),
        ("created_count:not_in=0,5", ("created_count", [0, 5], "not_in")),
        ("job_task_id:contain_in=12,ab", ("job_task_id", ["12", "ab"], "contain_in")),
        ("job_id:regex_in=1$,2$", ("job_id", ["1$", "2$"], "regex_in")),
        (
            'errors:match={"error_code": {"$in": ["ERROR_QUOTA"]}}',
            ("errors", {"error_code": {"$in": ["ERROR_QUOTA"]}}, "match"),
        ),
        # A colon in a short form's value is just text.
        ("errors.message=a:b=c", ("errors.message", "a:b=c", "eq")),
    ],
)
def test_parse_filter_reads_key_operator_and_value(
    expression: str, expected: tuple[str, Any, str]
) -> None:
    key, value, operator = expected
    parsed = parse.parse_filter(expression)
    assert parsed == {"k": key, "v": value, "o": operator}
    assert type(parsed["v"]) is type(value)


@pytest.mark.parametrize(
    "expression", ["provider", "", "   ", "=aws", "!=aws", ">=5", "~x", "pro vider=aws"]
)
def test_parse_filter_rejects_what_is_not_a_filter(expression: str) -> None:
    with pytest.raises(ValueError, match="is not a filter"):
        parse.parse_filter(expression)


def test_match_needs_json() -> None:
    with pytest.raises(ValueError, match="match needs a JSON object"):
        parse.parse_filter("errors:match={error_code: X}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("created_at", [{"key": "created_at", "desc": False}]),
        ("-created_at", [{"key": "created_at", "desc": True}]),
        (
            "status, -created_at",
            [{"key": "status", "desc": False}, {"key": "created_at", "desc": True}],
        ),
    ],
)
def test_parse_sort(text: str, expected: list[dict[str, Any]]) -> None:
    assert parse.parse_sort(text) == expected


@pytest.mark.parametrize("text", ["", ",", "-", "status,-"])
def test_parse_sort_rejects_empty_keys(text: str) -> None:
    with pytest.raises(ValueError, match="--sort"):
        parse.parse_sort(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ERROR_PLUGIN:timeout", ("ERROR_PLUGIN", "timeout")),
        ("ERROR_PLUGIN: a: b", ("ERROR_PLUGIN", "a: b")),
        ("ERROR_EMPTY:", ("ERROR_EMPTY", "")),
    ],
)
def test_parse_error(text: str, expected: tuple[str, str]) -> None:
    assert parse.parse_error(text) == {"error_code": expected[0], "message": expected[1]}


@pytest.mark.parametrize("text", ["no colon", ":message", " :message"])
def test_parse_error_needs_a_code_and_a_colon(text: str) -> None:
    with pytest.raises(ValueError, match="CODE:MESSAGE"):
        parse.parse_error(text)


def test_split_names_drops_blanks_but_needs_one() -> None:
    assert parse.split_names(" status, errors.error_code,,", "--only") == [
        "status",
        "errors.error_code",
    ]
    with pytest.raises(ValueError, match="--only"):
        parse.split_names(" , ", "--only")


@pytest.mark.parametrize(
    ("page", "limit", "expected"),
    [(1, None, {}), (1, 10, {"start": 1, "limit": 10}), (3, 10, {"start": 21, "limit": 10})],
)
def test_page_of_is_spaceones_one_based_start(
    page: int, limit: int | None, expected: dict[str, int]
) -> None:
    assert parse.page_of(page, limit) == expected


def test_page_without_limit_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="--page needs --limit"):
        parse.page_of(2, None)


def test_list_query_puts_every_option_in_its_place() -> None:
    query = parse.list_query(
        ["provider=aws", "created_count>=5"],
        sort="-created_at",
        page=2,
        limit=5,
        only="job_task_id,status",
        minimal=True,
        keyword="a1 b2",
    )
    assert query == {
        "filter": [
            {"k": "provider", "v": "aws", "o": "eq"},
            {"k": "created_count", "v": 5, "o": "gte"},
        ],
        "sort": [{"key": "created_at", "desc": True}],
        "page": {"start": 6, "limit": 5},
        "only": ["job_task_id", "status"],
        "minimal": True,
        "keyword": "a1 b2",
    }


def test_list_query_without_options_is_empty() -> None:
    assert parse.list_query([]) == {"filter": []}


def test_group_by_counts_sums_and_orders_by_the_count() -> None:
    assert parse.group_by("status, errors.error_code", count_name="n", sums=["updated_count"]) == {
        "aggregate": [
            {
                "group": {
                    "keys": [
                        {"key": "status", "name": "status"},
                        {"key": "errors.error_code", "name": "errors_error_code"},
                    ],
                    "fields": [
                        {"name": "n", "operator": "count"},
                        {"key": "updated_count", "name": "updated_count", "operator": "sum"},
                    ],
                }
            },
            {
                "sort": [
                    {"key": "n", "desc": True},
                    {"key": "status"},
                    {"key": "errors_error_code"},
                ]
            },
        ]
    }


def test_stat_document_from_flags() -> None:
    assert parse.stat_document(distinct="provider") == {"distinct": "provider"}
    grouped = parse.stat_document(by="status")
    assert grouped["aggregate"][0]["group"]["fields"] == [{"name": "count", "operator": "count"}]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "give one of --file, --by or --distinct"),
        ({"by": "status", "distinct": "provider"}, "not --by and --distinct"),
        ({"text": "{}", "by": "status"}, "not --file and --by"),
        ({"distinct": "provider", "sums": ["updated_count"]}, "go with --by"),
        ({"text": "{}", "count_name": "n"}, "go with --by"),
    ],
)
def test_stat_document_needs_exactly_one_source(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse.stat_document(**arguments)


STAT_JSON = '{"aggregate": [{"group": {"keys": [{"key": "status", "name": "status"}]}}]}'
STAT_YAML = """
aggregate:
  - group:
      keys: [{key: status, name: status}]
"""


@pytest.mark.parametrize(
    "text",
    [
        STAT_JSON,
        STAT_YAML,
        '{"query": ' + STAT_JSON + "}",
        "query:" + textwrap.indent(STAT_YAML, "  "),
    ],
)
def test_load_document_reads_json_yaml_and_request_bodies(text: str) -> None:
    assert parse.load_document(text) == {
        "aggregate": [{"group": {"keys": [{"key": "status", "name": "status"}]}}]
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "must be an object"),
        ("", "must be an object"),
        ("a: [b", "neither JSON nor YAML"),
    ],
)
def test_load_document_rejects_what_is_not_a_query(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse.load_document(text)


def test_stat_query_adds_the_command_lines_filters_and_page() -> None:
    document = {"filter": [{"k": "provider", "v": "aws", "o": "eq"}], "distinct": "status"}
    query = parse.stat_query(document, ["created_count>0"], page=2, limit=10)
    assert query == {
        "filter": [
            {"k": "provider", "v": "aws", "o": "eq"},
            {"k": "created_count", "v": 0, "o": "gt"},
        ],
        "distinct": "status",
        "page": {"start": 11, "limit": 10},
    }
    assert document == {"filter": [{"k": "provider", "v": "aws", "o": "eq"}], "distinct": "status"}


def test_stat_query_needs_a_filter_list_to_add_to() -> None:
    with pytest.raises(ValueError, match="filter must be a list"):
        parse.stat_query({"filter": {"k": "status"}}, ["provider=aws"])


def test_status_choices_are_the_protos_statuses() -> None:
    names = job_task_pb2.JobTaskQuery.JobTaskStatus.keys()
    assert [s.value for s in Status] == [n for n in names if n != "JOB_TASK_STATE_NONE"]


def test_finish_outcomes_are_the_protos_outcomes() -> None:
    names = job_task_writer_pb2.FinishJobTaskRequest.Outcome.keys()
    assert [o.value.upper() for o in Outcome] == [n for n in names if n != "OUTCOME_NONE"]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"distinct": "provider"}, []),
        (
            parse.group_by("status,provider", sums=["updated_count"]),
            ["status", "provider", "count", "updated_count"],
        ),
        (
            {
                "aggregate": [
                    {
                        "group": {
                            "keys": [{"k": "status", "n": "s"}],
                            "fields": [{"n": "c", "o": "count"}],
                        }
                    },
                    {
                        "project": {
                            "fields": [{"key": "c", "name": "total"}, {"k": "s", "n": "state"}]
                        }
                    },
                    {"sort": {"key": "total"}},
                ]
            },
            ["total", "state"],
        ),
    ],
)
def test_stat_columns_are_the_last_shaping_stages_names(
    document: dict[str, Any], expected: list[str]
) -> None:
    assert parse.stat_columns(parse.stat_query(document)) == expected


@pytest.mark.parametrize(
    "document",
    [{"aggregate": "group"}, {"aggregate": [{"group": {"keys": "status"}}, 3]}, {}],
)
def test_stat_columns_pass_over_what_is_not_a_stage(document: dict[str, Any]) -> None:
    assert parse.stat_columns(document) == []
