"""Query parameters and JSON bodies -> request messages; each client mistake is InvalidParameter."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from google.protobuf import json_format

from jobtask.edges.http.transcode import (
    parse_timeout,
    query_document,
    read_json,
    to_json,
    to_message,
)
from jobtask.errors import InvalidParameter
from spaceone.api.inventory.v1 import job_task_pb2

LIST = job_task_pb2.DESCRIPTOR.message_types_by_name["JobTaskQuery"]
GET = job_task_pb2.DESCRIPTOR.message_types_by_name["GetJobTaskRequest"]
FILTER = {"k": "provider", "v": "aws", "o": "eq"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ([("domain_id", "d")], {"domain_id": "d"}),
        ([("status", "FAILURE"), ("provider", "aws")], {"status": "FAILURE", "provider": "aws"}),
        ([("jobId", "job-1")], {"job_id": "job-1"}),  # the JSON name works, as in a body
        (
            [("query.page.limit", "10"), ("query.page.start", "2")],
            {"query": {"page": {"limit": "10", "start": "2"}}},
        ),
        (
            [("query.sort.key", "created_at"), ("query.sort.desc", "true")],
            {"query": {"sort": {"key": "created_at", "desc": True}}},
        ),
        (
            [("query.minimal", "0"), ("query.count_only", "True")],
            {"query": {"minimal": False, "count_only": True}},
        ),
        ([("query.only", "a,b"), ("query.only", "c")], {"query": {"only": ["a", "b", "c"]}}),
        ([("query.filter", json.dumps(FILTER))], {"query": {"filter": [FILTER]}}),
        ([("query.filter", json.dumps([FILTER, FILTER]))], {"query": {"filter": [FILTER, FILTER]}}),
        (
            [("query", json.dumps({"page": {"limit": 5}, "only": ["a"]}))],
            {"query": {"page": {"limit": 5}, "only": ["a"]}},
        ),
        # dotted parameters refine a JSON-encoded message, whatever their order in the URL
        (
            [
                ("query.page.start", "3"),
                ("query.only", "b"),
                ("query", json.dumps({"page": {"limit": 5}, "only": ["a"]})),
            ],
            {"query": {"page": {"limit": 5, "start": "3"}, "only": ["a", "b"]}},
        ),
        (
            [("query.page.limit", "7"), ("query", json.dumps({"page": {"limit": 5}}))],
            {"query": {"page": {"limit": "7"}}},
        ),
    ],
)
def test_query_parameters_become_the_messages_json(
    params: list[tuple[str, str]], expected: dict[str, Any]
) -> None:
    assert query_document(LIST, params) == expected


def test_only_of_get_accepts_repeated_and_comma_separated_values() -> None:
    params = [("domain_id", "d"), ("only", "status,job_id"), ("only", "errors.error_code")]

    message = to_message(query_document(GET, params), job_task_pb2.GetJobTaskRequest, "query")

    assert list(message.only) == ["status", "job_id", "errors.error_code"]


def test_a_list_request_from_parameters_equals_the_one_from_a_body() -> None:
    params = [
        ("domain_id", "d"),
        ("status", "FAILURE"),
        ("query.filter", json.dumps(FILTER)),
        ("query.sort.key", "created_at"),
        ("query.sort.desc", "true"),
        ("query.page.limit", "10"),
    ]
    body = {
        "domain_id": "d",
        "status": "FAILURE",
        "query": {
            "filter": [FILTER],
            "sort": {"key": "created_at", "desc": True},
            "page": {"limit": 10},
        },
    }

    from_params = to_message(query_document(LIST, params), job_task_pb2.JobTaskQuery, "query")

    assert from_params == json_format.ParseDict(body, job_task_pb2.JobTaskQuery())


@pytest.mark.parametrize(
    ("params", "key", "reason"),
    [
        ([("nope", "1")], "nope", "unknown query parameter"),
        ([("job_id.x", "1")], "job_id.x", "unknown query parameter"),
        ([("query.filter.k", "provider")], "query.filter.k", "give it whole, as JSON"),
        ([("query.nope", "1")], "query.nope", "unknown query parameter"),
        ([("domain_id", "a"), ("domain_id", "b")], "domain_id", "given more than once"),
        (
            [("query.page.limit", "1"), ("query.page.limit", "2")],
            "query.page.limit",
            "given more than once",
        ),
        ([("query.minimal", "yes")], "query.minimal", "'yes' is not true or false"),
        ([("query", "{bad")], "query", "not valid JSON"),
        (
            [("query", "[]"), ("query.page.limit", "1")],
            "query.page.limit",
            "query was given as an array",
        ),
    ],
)
def test_bad_query_parameters_are_invalid(
    params: list[tuple[str, str]], key: str, reason: str
) -> None:
    with pytest.raises(InvalidParameter) as raised:
        query_document(LIST, params)

    assert raised.value.key == key
    assert reason in raised.value.reason


def test_a_path_field_cannot_be_repeated_as_a_parameter() -> None:
    with pytest.raises(InvalidParameter, match="is given in the path"):
        query_document(GET, [("job_task_id", "x")], path_fields=("job_task_id",))


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({"domain_id": "d", "x": 1}, 'has no field named "x"'),
        ({"domain_id": 5}, "domain_id"),
        ({"query": "all"}, "query"),
        ({"query": {"page": {"limit": "ten"}}}, "limit"),
        ({"query": {"page": {"limit": -1}}}, "limit"),
        ({"status": "DONE"}, "status"),
        ({"query": {"filter": [{"k": "a", "key": "b"}]}}, "oneof"),
        ({"query": {"filter": [{"k": "a", "v": 10**400, "o": "eq"}]}}, "v"),
        ({"query": {"minimal": "yes"}}, "minimal"),
        ([], "must be a JSON object, not an array"),
        ("x", "must be a JSON object, not a string"),
        (None, "must be a JSON object, not null"),
    ],
)
def test_wrong_json_is_invalid_never_an_unexpected_error(document: Any, reason: str) -> None:
    with pytest.raises(InvalidParameter) as raised:
        to_message(document, job_task_pb2.JobTaskQuery, "body")

    assert raised.value.key == "body"
    assert reason in raised.value.reason


@pytest.mark.parametrize(
    "data", [b"{", b"NaN", b'{"v": Infinity}', b"\xff\xfe\x00", b"[" * 100_000, b'{"a": 1} x']
)
def test_malformed_json_is_invalid(data: bytes) -> None:
    with pytest.raises(InvalidParameter, match="not valid JSON"):
        read_json(data, "body")


@pytest.mark.parametrize(
    ("data", "key"),
    [(b'{"a": 1, "a": 2}', "'a'"), (b'{"q": [{"v": {"$in": 1, "$in": 2}}]}', "'$in'")],
)
def test_a_key_given_twice_in_an_object_is_invalid(data: bytes, key: str) -> None:
    with pytest.raises(InvalidParameter, match=f"{re.escape(key)} is given twice"):
        read_json(data, "body")


def test_an_empty_body_is_an_empty_object() -> None:
    assert read_json(b"  \n", "body") == {}


def test_answers_keep_the_protos_field_names_and_leave_unset_fields_out() -> None:
    info = job_task_pb2.JobTaskInfo(
        job_task_id="job_task-1", updated_count=3, status=job_task_pb2.JobTaskInfo.SUCCESS
    )

    assert to_json(info) == {"job_task_id": "job_task-1", "status": "SUCCESS", "updated_count": 3}


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("1H", 3600), ("2M", 120), ("10S", 10), ("500m", 0.5), ("250u", 250e-6), ("1n", 1e-9)],
)
def test_grpc_timeout_headers_are_read_in_grpcs_format(header: str, seconds: float) -> None:
    assert parse_timeout(header) == pytest.approx(seconds)


@pytest.mark.parametrize("header", ["", "10", "S", "1.5S", "123456789S", "-1S", "10s"])
def test_bad_grpc_timeout_headers_are_invalid(header: str) -> None:
    with pytest.raises(InvalidParameter) as raised:
        parse_timeout(header)

    assert raised.value.key == "grpc-timeout"
