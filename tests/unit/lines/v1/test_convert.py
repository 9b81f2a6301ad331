"""Proto <-> our types: aliases, values, timestamps and rendering only what was loaded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from bson import Int64, ObjectId
from google.protobuf import json_format, struct_pb2

from jobtask.domain import JobTask, JobTaskStatus, TaskError
from jobtask.errors import InvalidParameter
from jobtask.lines import query_messages
from jobtask.lines.v1 import answers, requests
from jobtask.query.model import Condition, Page, SortKey, TieBreaker
from jobtask.query.stat_plan import StatResult
from jobtask.services.collector import NewTask
from jobtask_internal.v1 import job_task_writer_pb2
from spaceone.api.core.v1 import query_pb2
from spaceone.api.inventory.v1 import collector_pb2, job_task_pb2


def _query(data: dict[str, Any]) -> query_pb2.Query:
    return json_format.ParseDict(data, query_pb2.Query())


def test_filter_aliases_resolve_to_one_condition() -> None:
    query = requests.to_query(
        _query(
            {
                "filter": [
                    {"k": "a", "v": 5, "o": "eq"},
                    {"key": "b", "value": ["x"], "operator": "in"},
                    {},
                ]
            }
        )
    )

    assert query.filter == (Condition("a", 5.0, "eq"), Condition("b", ["x"], "in"), Condition())


def test_sort_key_wins_over_keys() -> None:
    both = requests.to_query(_query({"sort": {"key": "a", "desc": True, "keys": [{"key": "b"}]}}))
    keys = requests.to_query(_query({"sort": {"keys": [{"key": "b"}, {"key": "c", "desc": True}]}}))

    assert both.sort == (SortKey("a", True),)
    assert keys.sort == (SortKey("b"), SortKey("c", True))
    # 1.x's reference has no tie-breaker: ours (job_task_id in the last key's direction).
    assert keys.tie_breaker is TieBreaker.JOB_TASK_ID


def test_page_and_flags_pass_through() -> None:
    query = requests.to_query(
        _query(
            {
                "page": {"start": 3, "limit": 10},
                "minimal": True,
                "count_only": True,
                "only": ["a"],
                "keyword": "k",
            }
        )
    )

    assert (query.page, query.minimal, query.count_only, query.only, query.keyword) == (
        Page(3, 10),
        True,
        True,
        ("a",),
        "k",
    )


def test_status_zero_is_not_given_and_unknown_is_invalid() -> None:
    assert requests.to_status(0) is None
    assert requests.to_status(4) is JobTaskStatus.SUCCESS
    with pytest.raises(InvalidParameter):
        requests.to_status(42)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2023, 1, 5, 9, 0, 0, 120_999), "2023-01-05T09:00:00.120Z"),
        (datetime(2023, 1, 5, 9), "2023-01-05T09:00:00.000Z"),
        (datetime(2023, 1, 5, 18, tzinfo=timezone(timedelta(hours=9))), "2023-01-05T09:00:00.000Z"),
        (datetime(2023, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC), "2023-12-31T23:59:59.999Z"),
    ],
)
def test_timestamps_are_utc_milliseconds_with_z(value: datetime, text: str) -> None:
    assert answers.format_timestamp(value) == text


def test_task_info_renders_only_loaded_fields() -> None:
    info = answers.to_task_info(JobTask(job_id="job-1", created_count=0))

    assert json_format.MessageToDict(info, preserving_proto_field_name=True) == {"job_id": "job-1"}


def test_1x_answers_never_carry_the_workspace() -> None:
    """SpaceONE 2.x's workspace_id is stored and returned by the services; 1.x's JobTaskInfo has
    no such field, so a task with one renders exactly as without it, alone or in a page."""
    task = JobTask(job_task_id="t", job_id="job-1", project_id="p")
    in_workspace = JobTask(job_task_id="t", job_id="job-1", project_id="p", workspace_id="ws-1")

    assert answers.to_task_info(in_workspace) == answers.to_task_info(task)
    assert answers.to_tasks_info([in_workspace], 1) == answers.to_tasks_info([task], 1)


def test_a_1x_list_request_never_filters_by_workspace() -> None:
    """1.x's JobTaskQuery has no workspace_id: the request's filter is never set on this line
    (a query condition on the stored field is accepted, as on collector_id: docs/queries.md)."""
    message = job_task_pb2.JobTaskQuery(project_id="p", provider="aws", domain_id="d")

    request = requests.to_list_request(message)

    assert request.filters == {"project_id": "p", "provider": "aws"}


def test_a_create_request_becomes_a_new_task_in_the_calls_domain() -> None:
    """Every identity field the writer's CreateJobTaskRequest names, workspace_id included; the
    domain is the call's scope (the request's own, authorized)."""
    message = job_task_writer_pb2.CreateJobTaskRequest(
        job_task_id="job_task-1",
        job_id="job-1",
        secret_id="secret-1",
        provider="aws",
        service_account_id="sa-1",
        project_id="project-1",
        domain_id="domain-sent",
        collector_id="collector-1",
        workspace_id="workspace-1",
    )

    assert requests.to_new_task(message, "domain-scope") == NewTask(
        domain_id="domain-scope",
        job_id="job-1",
        others={
            "secret_id": "secret-1",
            "provider": "aws",
            "service_account_id": "sa-1",
            "project_id": "project-1",
            "workspace_id": "workspace-1",
            "collector_id": "collector-1",
        },
        job_task_id="job_task-1",
    )


def test_task_info_renders_errors_with_struct_additional() -> None:
    task = JobTask(
        status=JobTaskStatus.FAILURE,
        errors=(TaskError("E", "m", {"n": 1, "when": datetime(2023, 1, 1)}), TaskError("F")),
    )

    info = answers.to_task_info(task)

    assert info.status == job_task_pb2.JobTaskInfo.FAILURE
    assert json_format.MessageToDict(info.errors[0], preserving_proto_field_name=True) == {
        "error_code": "E",
        "message": "m",
        "additional": {"n": 1.0, "when": "2023-01-01T00:00:00.000Z"},
    }
    assert json_format.MessageToDict(info.errors[1], preserving_proto_field_name=True) == {
        "error_code": "F"
    }


@pytest.mark.parametrize(
    "rows",
    [
        [],
        [
            {"provider": "aws", "day": "2026-10-01", "failures": 3},
            {"n": 1.5, "ok": True, "x": None},
        ],
        ["aws", "azure", 3, None],  # distinct values
        [{"provider": "aws"}, {"last": datetime(2026, 10, 1, 9, 30, 0, 250_000)}],
        [{"ids": ["a", "b"]}],
        [{"by": {"provider": "aws"}}],
        [{"id": ObjectId("64b7f0c2e4b0a1a2b3c4d5e6")}],
        [datetime(2026, 10, 1)],
    ],
    ids=["empty", "flat", "scalars", "a-date-last", "list", "nested", "object-id", "date-row"],
)
def test_stat_rows_render_as_their_plain_form_whether_or_not_they_need_converting(
    rows: list[Any],
) -> None:
    expected = struct_pb2.Struct()
    expected.update({"results": answers.to_plain(rows), "total_count": 7})

    assert answers.to_stat_struct(StatResult(results=rows, total_count=7)) == expected


def test_a_stat_date_renders_as_utc_milliseconds() -> None:
    rows = [{"last": datetime(2026, 10, 1, 9, 30, 0, 250_000)}]

    rendered = answers.to_stat_struct(StatResult(results=rows))

    assert json_format.MessageToDict(rendered)["results"][0]["last"] == "2026-10-01T09:30:00.250Z"


# -- stored values the API cannot carry as they are ------------------------------------------


@pytest.mark.parametrize(
    ("stored", "rendered"),
    [
        (7, 7),
        (2**31 - 1, 2**31 - 1),
        (2**31, 2**31 - 1),
        (2**62, 2**31 - 1),
        (-(2**31), -(2**31)),
        (-(2**62), -(2**31)),
        (3.9, 3),
        (-3.9, -3),
        (1e300, 2**31 - 1),
        (float("inf"), 2**31 - 1),
        (float("-inf"), -(2**31)),
        (float("nan"), None),
        (True, None),
        ("12", None),
        ([1], None),
        ({"a": 1}, None),
        (None, None),
    ],
    ids=repr,
)
def test_a_stored_counter_renders_as_an_int32(stored: Any, rendered: int | None) -> None:
    assert answers.to_count(stored) == rendered


def _depth(value: Any) -> int:
    depth = 0
    while isinstance(value, dict | list) and value:
        value = next(iter(value.values())) if isinstance(value, dict) else value[0]
        depth += 1
    return depth


def test_a_value_nested_past_the_render_depth_is_cut_to_null() -> None:
    deep: Any = "leaf"
    for level in range(60):
        deep = {"a": deep} if level % 2 else [deep]

    plain = answers.to_plain(deep)

    assert _depth(plain) == answers.RENDER_MAX_DEPTH
    # A standard client decodes the answer that carries it.
    struct = answers.to_stat_struct(StatResult(results=[{"deep": deep}]))
    assert struct_pb2.Struct.FromString(struct.SerializeToString()) == struct


def test_non_finite_numbers_render_as_null() -> None:
    assert answers.to_plain({"n": float("nan"), "i": [float("inf")], "ok": 1.5}) == {
        "n": None,
        "i": [None],
        "ok": 1.5,
    }
    struct = answers.to_stat_struct(StatResult(results=[{"n": float("nan")}]))
    assert json_format.MessageToDict(struct) == {"results": [{"n": None}]}


def test_fields_of_the_wrong_type_render_as_not_set() -> None:
    info = answers.to_task_info(
        JobTask(
            job_task_id="job_task-1",
            job_id=12,  # type: ignore[arg-type]
            created_at="yesterday",  # type: ignore[arg-type]
            created_count=2**40,
            errors=(TaskError(error_code=5, message=["x"], additional={"n": float("nan")}),),  # type: ignore[arg-type]
        )
    )

    assert json_format.MessageToDict(info, preserving_proto_field_name=True) == {
        "job_task_id": "job_task-1",
        "created_count": 2**31 - 1,
        "errors": [{"additional": {"n": None}}],
    }


def test_a_value_with_nan_converts_for_the_one_value_check() -> None:
    value = struct_pb2.Value()
    value.list_value.values.add().number_value = float("nan")

    (converted,) = query_messages.to_value(value)

    assert converted != converted  # NaN, left for jobtask.query.limits to refuse


def _straight_error(error: TaskError) -> dict[str, Any]:
    """An ErrorInfo built the straightforward way: every field, a Struct of its own."""
    info: dict[str, Any] = {
        "error_code": error.error_code if isinstance(error.error_code, str) else "",
        "message": error.message if isinstance(error.message, str) else "",
    }
    if error.additional:  # an empty one renders as not set
        struct = struct_pb2.Struct()
        struct.update(answers.to_plain(error.additional))
        info["additional"] = struct
    return info


_PAGE_OF_ERRORS = [
    JobTask(
        job_task_id="t-1",
        status=JobTaskStatus.FAILURE,
        failure_count=3,
        created_at=datetime(2026, 12, 1, 9, 30, 20, 158000),
        errors=(
            TaskError("E", "m", {"resource_type": "inventory.CloudService", "provider": "aws"}),
            TaskError("E", "m2", {"resource_type": "inventory.CloudService", "provider": "aws"}),
            TaskError("F", None, {"n": 1}),
            TaskError("G", "m", {"n": True}),
            TaskError("G", "m", {"n": 1.0}),
            TaskError(None, "no code"),
            TaskError("H", "m", {"nan": float("nan"), "when": datetime(2023, 1, 1)}),
            TaskError("I", "m", {"nested": {"a": [1, "b", None]}, "none": None}),
            TaskError("J", "m", {}),
            TaskError("L", "m", {"a": "x", "b": 2, "flag": True, "c": 2.5}),
        ),
    ),
    JobTask(job_task_id="t-2"),  # every other field missing
    JobTask(
        job_task_id="t-3",
        provider="aws",
        errors=(
            TaskError("E", "m", {"resource_type": "inventory.CloudService", "provider": "aws"}),
            TaskError("F", "m", {"n": True}),
            TaskError("F", "m", {"n": 1}),
            TaskError("K", "m", {"provider": "aws", "resource_type": "inventory.CloudService"}),
            TaskError("J", "m", {}),
        ),
    ),
    JobTask(job_task_id="t-4", errors=()),
]


def test_a_page_renders_as_each_task_built_the_straightforward_way() -> None:
    answer = answers.to_tasks_info(_PAGE_OF_ERRORS, 42)

    expected = job_task_pb2.JobTasksInfo(total_count=42)
    for task in _PAGE_OF_ERRORS:
        info = expected.results.add()
        info.CopyFrom(answers.to_task_info(task))
        del info.errors[:]
        for error in task.errors or ():
            info.errors.append(collector_pb2.ErrorInfo(**_straight_error(error)))
    assert answer.SerializeToString() == expected.SerializeToString()
    assert json_format.MessageToJson(answer) == json_format.MessageToJson(expected)
    assert [answers.to_task_info(t) for t in _PAGE_OF_ERRORS] == list(answer.results)
    shown = [
        json_format.MessageToDict(e, preserving_proto_field_name=True).get("additional")
        for e in answer.results[0].errors
    ]
    assert shown[2:5] == [{"n": 1.0}, {"n": True}, {"n": 1.0}]
    assert shown[6] == {"nan": None, "when": "2023-01-01T00:00:00.000Z"}
    assert shown[7] == {"nested": {"a": [1.0, "b", None]}, "none": None}
    assert shown[9] == {"a": "x", "b": 2.0, "flag": True, "c": 2.5}
    assert not answer.results[0].errors[5].HasField("additional")
    assert not answer.results[0].errors[8].HasField("additional")
    assert not answer.results[2].errors[4].HasField("additional")


@pytest.mark.parametrize(
    "rows",
    [
        [],
        [{}],
        [{"provider": "aws", "day": "2026-11-01", "failures": 3}] * 3,
        ["aws", None, True, 3, 2.5],
        [{"a": None, "b": True, "c": 1.5, "d": False, "e": 0}],
        [{"provider": "aws", "tasks": Int64(3)}],  # a subclass of int: Struct.update's way
        [{"provider": "aws"}, {"last": datetime(2026, 10, 1)}],
        [{"n": float("nan")}],
        [["a", 1]],
        [{"by": {"provider": "aws"}}],
    ],
)
@pytest.mark.parametrize("total_count", [None, 0, 7])
def test_a_stat_answer_is_the_struct_update_builds(
    rows: list[Any], total_count: int | None
) -> None:
    expected = struct_pb2.Struct()
    expected.update({"results": answers.to_plain(rows)})
    if total_count is not None:
        expected.update({"total_count": total_count})

    struct = answers.to_stat_struct(StatResult(rows, total_count))

    assert struct.SerializeToString() == expected.SerializeToString()
    assert json_format.MessageToJson(struct) == json_format.MessageToJson(expected)


_LONG = [f"p{i}" for i in range(1001)]  # one past MAX_LIST_VALUES' default, 1000
_GROUP = {
    "fields": [
        {"operator": "count", "name": "n", "conditions": [{"k": "provider", "v": _LONG, "o": "in"}]}
    ]
}


@pytest.mark.parametrize(
    ("query", "where", "to"),
    [
        ({"filter": [{"k": "provider", "v": _LONG, "o": "in"}]}, "query.filter[0]", "list"),
        (
            {
                "filter_or": [
                    {"k": "a", "v": 1, "o": "eq"},
                    {"key": "provider", "value": _LONG, "operator": "not_in"},
                ]
            },
            "query.filter_or[1]",
            "list",
        ),
        ({"filter": [{"k": "provider", "v": _LONG, "o": "contain_in"}]}, "query.filter[0]", "stat"),
        (
            {"aggregate": [{"count": {"name": "c"}}, {"group": _GROUP}]},
            "query.aggregate[1].group.fields[0].conditions[0]",
            "stat",
        ),
    ],
    ids=["filter in", "filter_or not_in", "stat filter contain_in", "stat group condition"],
)
def test_a_list_past_max_list_values_is_refused_before_any_value_is_converted(
    monkeypatch: pytest.MonkeyPatch, query: dict[str, Any], where: str, to: str
) -> None:
    converted: list[Any] = []
    monkeypatch.setattr(query_messages, "to_value", lambda value: converted.append(value))

    with pytest.raises(InvalidParameter) as raised:
        if to == "list":
            requests.to_query(_query(query))
        else:
            requests.to_statistics_query(json_format.ParseDict(query, query_pb2.StatisticsQuery()))

    assert raised.value.key == f"{where}.value"
    assert raised.value.reason == "1001 values in a list; at most 1000 are allowed"
    assert converted == []


def test_a_list_of_max_list_values_is_converted() -> None:
    values = _LONG[:1000]

    query = requests.to_query(_query({"filter": [{"k": "provider", "v": values, "o": "in"}]}))

    assert query.filter == (Condition("provider", values, "in"),)
