"""cli.lines: the requests the CLI sends on each SpaceONE line, and where the scope goes."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from google.protobuf import json_format
from google.protobuf.message import Message

from jobtask.cli import parse
from jobtask.cli.lines import V1, V2, line, sort_keys
from jobtask.lines.v2 import wire
from spaceone.api.inventory.v1 import job_task_pb2


def _dict(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


QUERY = parse.list_query(["provider=aws"], sort="status,-created_at", page=2, limit=5)
ONE_KEY = parse.list_query([], sort="-created_at")


def test_a_1x_list_names_the_domain_in_the_request_and_sorts_by_one_key_or_keys() -> None:
    request = V1.list_message("domain-1", QUERY, "FAILURE")
    assert isinstance(request, job_task_pb2.JobTaskQuery)
    assert _dict(request) == {
        "domain_id": "domain-1",
        "status": "FAILURE",
        "query": {
            "filter": [{"k": "provider", "v": "aws", "o": "eq"}],
            "sort": {"keys": [{"key": "status"}, {"key": "created_at", "desc": True}]},
            "page": {"start": 6, "limit": 5},
        },
    }
    one = _dict(V1.list_message("domain-1", ONE_KEY))["query"]["sort"]
    assert one == {"key": "created_at", "desc": True}
    assert V1.metadata("domain-1", "") == ()


def test_a_2x_list_is_the_2x_pools_class_without_domain_and_sorts_by_a_list() -> None:
    request = V2.list_message("domain-1", QUERY, "FAILURE")
    assert isinstance(request, wire.JobTaskQuery)
    assert _dict(request) == {
        "status": "FAILURE",
        "query": {
            "filter": [{"k": "provider", "v": "aws", "o": "eq"}],
            "sort": [{"key": "status"}, {"key": "created_at", "desc": True}],
            "page": {"start": 6, "limit": 5},
        },
    }
    one = _dict(V2.list_message("domain-1", ONE_KEY))["query"]["sort"]
    assert one == [{"key": "created_at", "desc": True}]


def test_2x_sends_the_scope_as_spaceones_metadata() -> None:
    assert V2.metadata("domain-1") == (("x_domain_id", "domain-1"),)
    assert V2.metadata("domain-1", "workspace-1") == (
        ("x_domain_id", "domain-1"),
        ("x_workspace_id", "workspace-1"),
    )


def test_get_and_delete_on_each_line() -> None:
    v1_get = V1.get_message("job_task-1", "domain-1", ["status"])
    assert isinstance(v1_get, job_task_pb2.GetJobTaskRequest)
    expected = {"job_task_id": "job_task-1", "domain_id": "domain-1", "only": ["status"]}
    assert _dict(v1_get) == expected
    v2_get = V2.get_message("job-task-1", "domain-1")
    assert isinstance(v2_get, wire.JobTaskRequest)
    assert _dict(v2_get) == {"job_task_id": "job-task-1"}
    assert _dict(V1.delete_message("t", "d")) == {"job_task_id": "t", "domain_id": "d"}
    v2_delete = V2.delete_message("t", "d")
    assert isinstance(v2_delete, wire.JobTaskRequest)
    assert _dict(v2_delete) == {"job_task_id": "t"}


def test_2x_get_has_no_only() -> None:
    with pytest.raises(ValueError, match=r"2\.x's get has no `only`"):
        V2.get_message("job-task-1", "domain-1", ["status"])


GROUPED = parse.stat_document(by="status")


@pytest.mark.parametrize(
    ("sort", "v1", "v2"),
    [
        ({"key": "n", "desc": True}, {"key": "n", "desc": True}, [{"key": "n", "desc": True}]),
        ({"keys": [{"key": "n"}]}, {"key": "n"}, [{"key": "n"}]),
        ([{"key": "n"}, {"key": "m"}], {"keys": [{"key": "n"}, {"key": "m"}]}, None),
    ],
)
def test_a_stat_sort_in_either_lines_shape_becomes_the_spoken_lines(
    sort: Any, v1: Any, v2: Any
) -> None:
    """A query file works on both lines: 1.x's AggregateSort or 2.x's list of keys."""
    document = {"aggregate": [GROUPED["aggregate"][0], {"sort": sort}]}
    v2 = v2 if v2 is not None else sort
    sent_v1 = V1.stat_message("domain-1", document)
    assert isinstance(sent_v1, job_task_pb2.JobTaskStatQuery)
    assert _dict(sent_v1)["domain_id"] == "domain-1"
    assert _dict(sent_v1)["query"]["aggregate"][1] == {"sort": v1}
    sent_v2 = V2.stat_message("domain-1", document)
    assert isinstance(sent_v2, wire.JobTaskStatQuery)
    assert "domain_id" not in _dict(sent_v2)
    assert _dict(sent_v2)["query"]["aggregate"][1] == {"sort": v2}


def test_the_cli_group_by_is_sent_on_both_lines() -> None:
    grouped = parse.stat_query(parse.stat_document(by="status,provider"))
    v1 = _dict(V1.stat_message("d", grouped))["query"]["aggregate"][1]["sort"]
    v2 = _dict(V2.stat_message("d", grouped))["query"]["aggregate"][1]["sort"]
    assert v1 == {"keys": v2}
    assert v2 == [{"key": "count", "desc": True}, {"key": "status"}, {"key": "provider"}]


@pytest.mark.parametrize("spoken", [V1, V2], ids=["1.x", "2.x"])
@pytest.mark.parametrize(
    "document",
    [
        {"aggregates": []},
        {"distinct": ["status"]},
        {"page": {"start": "first"}},
        {"filter": [{"k": "created_at", "v": date(2023, 1, 5)}]},
        {"aggregate": [{"sort": 3}]},
    ],
)
def test_what_is_not_a_statistics_query_is_a_usage_error(spoken: Any, document: Any) -> None:
    with pytest.raises(ValueError, match="not a StatisticsQuery"):
        spoken.stat_message("domain-1", document)


def test_what_the_line_lacks_is_a_usage_error() -> None:
    """2.x's Query has unwind; 1.x's has not."""
    query = {"only": ["errors"], "unwind": {"path": "errors"}}
    assert _dict(V2.list_message("d", query))["query"]["unwind"] == {"path": "errors"}
    with pytest.raises(ValueError, match="not a Query"):
        V1.list_message("d", query)


def test_sort_keys_reads_every_shape() -> None:
    assert sort_keys({"key": "a"}) == [{"key": "a"}]
    assert sort_keys({"keys": [{"key": "a"}]}) == [{"key": "a"}]
    assert sort_keys([{"key": "a"}]) == [{"key": "a"}]
    assert sort_keys("a") == "a"  # the line's parser refuses it


def test_the_lines_by_number() -> None:
    assert line(1) is V1
    assert line(2) is V2
    with pytest.raises(ValueError, match="1 or 2"):
        line(3)
