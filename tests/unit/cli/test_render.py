"""The CLI's output (tables and JSON) and its one-line messages for failed calls."""

from __future__ import annotations

import io
import json
from typing import Any

import grpc
import pytest
from rich.console import Console, RenderableType

from jobtask.cli import render
from jobtask.cli.client import CallFailed
from jobtask.lines.v2 import wire
from spaceone.api.inventory.v1 import job_task_pb2


def _text(renderable: RenderableType) -> str:
    output = io.StringIO()
    Console(file=output, width=200, color_system=None).print(renderable)
    return output.getvalue()


def _lines(text: str) -> list[list[str]]:
    """Each table line's cells, without the box characters."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.replace("┃", "│").split("│")[1:-1]]
        if cells:
            rows.append(cells)
    return rows


TASKS: dict[str, Any] = {
    "results": [
        {
            "job_task_id": "job_task-aaaa00000001",
            "status": "SUCCESS",
            "updated_count": 55,
            "provider": "aws",
            "created_at": "2023-01-05T10:00:00.000Z",
            "finished_at": "2023-01-05T10:30:00.000Z",
        },
        {
            "job_task_id": "job_task-aaaa00000004",
            "status": "PENDING",
            "created_at": "2023-01-07T11:00:00.000Z",
        },
    ],
    "total_count": 7,
}


def test_task_table_shows_counters_as_zero_blanks_and_n_of_total() -> None:
    rows = _lines(_text(render.tasks_view()(TASKS)))
    assert rows[0] == [
        "job_task_id",
        "status",
        "created",
        "updated",
        "deleted",
        "disconnected",
        "failure",
        "provider",
        "created_at",
        "finished_at",
    ]
    assert rows[1] == [
        "job_task-aaaa00000001",
        "SUCCESS",
        "0",
        "55",
        "0",
        "0",
        "0",
        "aws",
        "2023-01-05T10:00:00.000Z",
        "2023-01-05T10:30:00.000Z",
    ]
    assert rows[2][:3] == ["job_task-aaaa00000004", "PENDING", "0"]
    assert rows[2][-3:] == ["", "2023-01-07T11:00:00.000Z", ""]
    assert _text(render.tasks_view()(TASKS)).rstrip().endswith("2 of 7")


def test_task_table_leaves_out_columns_no_task_has() -> None:
    minimal = {"results": [{"job_task_id": "job_task-1", "status": "FAILURE"}], "total_count": 1}
    header = _lines(_text(render.tasks_view()(minimal)))[0]
    assert header == [
        "job_task_id",
        "status",
        "created",
        "updated",
        "deleted",
        "disconnected",
        "failure",
    ]


def test_task_table_with_only_shows_exactly_those_columns() -> None:
    data = {
        "results": [
            {
                "job_task_id": "job_task-1",
                "errors": [{"error_code": "ERROR_A"}, {"error_code": "ERROR_B"}],
            }
        ]
    }
    rows = _lines(_text(render.tasks_view(["errors", "job_task_id"])(data)))
    assert rows == [["errors", "job_task_id"], ["ERROR_A, ERROR_B", "job_task-1"]]
    assert "1 of 0" in _text(render.tasks_view(["errors", "job_task_id"])(data))


def test_task_view_lists_fields_in_proto_order_and_errors_below() -> None:
    task = {
        "status": "FAILURE",
        "job_task_id": "job_task-1",
        "failure_count": 2,
        "errors": [
            {"error_code": "ERROR_PLUGIN", "message": "[x] timeout", "additional": {"r": 1}}
        ],
    }
    text = _text(render.task_view()(task))
    lines = [line.split() for line in text.splitlines() if line.strip()]
    assert lines[:7] == [
        ["job_task_id", "job_task-1"],
        ["status", "FAILURE"],
        ["created_count", "0"],
        ["updated_count", "0"],
        ["failure_count", "2"],
        ["deleted_count", "0"],
        ["disconnected_count", "0"],
    ]
    assert ["ERROR_PLUGIN", "[x] timeout", '{"r": 1}'] in _lines(text)


def test_task_view_with_fields_shows_only_those() -> None:
    text = _text(render.task_view(["status", "errors"])({"status": "SUCCESS"}))
    assert text.split() == ["status", "SUCCESS"]


def test_task_fields_are_both_lines_protos_in_1x_order_with_workspace_after_domain() -> None:
    v1 = list(job_task_pb2.JobTaskInfo.DESCRIPTOR.fields_by_name)
    v2 = list(wire.JobTaskInfo.DESCRIPTOR.fields_by_name)
    assert set(render.TASK_FIELDS) == {*v1, *v2}
    assert [f for f in render.TASK_FIELDS if f in v1] == v1
    assert render.TASK_FIELDS.index("workspace_id") == render.TASK_FIELDS.index("domain_id") + 1
    assert set(render.COUNTERS) < set(render.TASK_FIELDS)


def test_a_2x_task_shows_its_workspace() -> None:
    task = {"job_task_id": "job-task-1", "domain_id": "d", "workspace_id": "w", "status": "PENDING"}
    text = _text(render.task_view()(task))
    assert [line.split()[0] for line in text.splitlines()][-2:] == ["domain_id", "workspace_id"]
    tasks = _text(render.tasks_view()({"results": [task], "total_count": 1}))
    assert "workspace_id" in _lines(tasks)[0]


def test_stat_table_columns_are_the_union_of_the_rows_keys() -> None:
    data = {
        "results": [
            {"status": "SUCCESS", "count": 3.0},
            {"status": "FAILURE", "count": 2.0, "avg": 1.5},
            {"status": None, "count": 1.0, "first": {"a": [1]}},
        ]
    }
    text = _text(render.stat_view()(data))
    assert _lines(text) == [
        ["status", "count", "avg", "first"],
        ["SUCCESS", "3", "", ""],
        ["FAILURE", "2", "1.5", ""],
        ["", "1", "", '{"a": [1]}'],
    ]
    assert text.rstrip().endswith("3 rows")


def test_stat_table_of_distinct_values_and_a_paged_total() -> None:
    text = _text(render.stat_view("provider")({"results": ["aws", "azure"], "total_count": 5.0}))
    assert _lines(text) == [["provider"], ["aws"], ["azure"]]
    assert text.rstrip().endswith("2 of 5")


def test_stat_of_nothing_says_so_instead_of_drawing_headers() -> None:
    assert _text(render.stat_view()({})).strip() == "no rows"
    assert _text(render.stat_view()({"results": [], "total_count": 4})).strip() == (
        "no rows on this page (4 in all: a smaller --page)"
    )


def test_a_list_of_nothing_says_so_instead_of_drawing_counter_columns() -> None:
    assert _text(render.tasks_view()({"total_count": 0})).strip() == "no tasks"
    text = _text(render.tasks_view()({"results": [], "total_count": 7}))
    assert text.strip() == "no tasks on this page (7 in all: a smaller --page)"


def test_show_prints_json_or_the_view(capsys: pytest.CaptureFixture[str]) -> None:
    render.show({"a": [1, "é"]}, as_json=True, view=render.message_view("unused"))
    assert json.loads(capsys.readouterr().out) == {"a": [1, "é"]}
    render.show({}, as_json=False, view=render.message_view("deleted job_task-1"))
    assert capsys.readouterr().out == "deleted job_task-1\n"


def test_show_does_not_wrap_piped_tables(capsys: pytest.CaptureFixture[str]) -> None:
    long = {"results": [{"job_task_id": "job_task-" + "a" * 100, "status": "SUCCESS"}]}
    render.show(long, as_json=False, view=render.tasks_view())
    assert "job_task-" + "a" * 100 in capsys.readouterr().out


def test_to_dict_keeps_the_protos_field_names() -> None:
    task = job_task_pb2.JobTaskInfo(job_task_id="job_task-1", status="SUCCESS", created_count=0)
    assert render.to_dict(task) == {"job_task_id": "job_task-1", "status": "SUCCESS"}


def test_status_cells_are_colored() -> None:
    assert render.cell("status", "FAILURE").style == "bold red"
    assert render.cell("status", "SUCCESS").style == "green"


@pytest.mark.parametrize(
    ("code", "details", "expected"),
    [
        (
            grpc.StatusCode.NOT_FOUND,
            "ERROR_NOT_FOUND: job_task_id 'x' not found",
            "NOT_FOUND: ERROR_NOT_FOUND: job_task_id 'x' not found",
        ),
        (
            grpc.StatusCode.UNAVAILABLE,
            "failed to connect to all addresses; last error: ...",
            "cannot reach localhost:50051 (UNAVAILABLE): is the server running? (make run)",
        ),
        (
            # The server's own UNAVAILABLE (its database is gone) is told as the server said it.
            grpc.StatusCode.UNAVAILABLE,
            "ERROR_DB_UNAVAILABLE: the database is unreachable",
            "UNAVAILABLE: ERROR_DB_UNAVAILABLE: the database is unreachable",
        ),
        (
            grpc.StatusCode.DEADLINE_EXCEEDED,
            "Deadline Exceeded",
            "DEADLINE_EXCEEDED: no answer from localhost:50051 within 2.5 s",
        ),
        (grpc.StatusCode.UNIMPLEMENTED, "", "UNIMPLEMENTED: no details"),
        (grpc.StatusCode.INTERNAL, "boom", "INTERNAL: boom"),
    ],
)
def test_failed_calls_are_one_line(code: grpc.StatusCode, details: str, expected: str) -> None:
    failure = CallFailed(code, details, server="localhost:50051", timeout=2.5)
    assert str(failure) == expected


def test_stat_table_puts_the_named_columns_first() -> None:
    data = {"results": [{"count": 2.0, "provider": "aws", "extra": 1.0}]}
    text = _text(render.stat_view(order=["provider", "count", "missing"])(data))
    assert _lines(text)[0] == ["provider", "count", "extra"]
