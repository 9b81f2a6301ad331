"""Output on stdout: canonical proto JSON (`--json`), or rich tables for people.

Tables are drawn from the same dicts the JSON shows, so both views say the same thing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from jobtask import protojson
from jobtask.lines.v2 import wire
from jobtask_internal.v1 import job_task_writer_pb2 as writer_pb2
from spaceone.api.inventory.v1 import job_task_pb2

STATUS_STYLES: Final[Mapping[str, str]] = {
    "PENDING": "cyan",
    "IN_PROGRESS": "yellow",
    "SUCCESS": "green",
    "FAILURE": "bold red",
    "CANCELED": "magenta",
}
# The counters a report adds to, in the writer proto's order (the CLI is a client: it reads the
# fields from the protos, as jobtask.domain.COUNTERS is checked against them).
COUNTERS: Final = tuple(
    f.name
    for f in writer_pb2.ReportProgressRequest.DESCRIPTOR.fields
    if f.type == FieldDescriptor.TYPE_INT32
)
LIST_COLUMNS: Final = (
    "job_task_id",
    "status",
    *COUNTERS,
    "provider",
    "workspace_id",  # 2.x answers only
    "created_at",
    "finished_at",
)
# A task's fields in 1.x's order, with what only 2.x answers (workspace_id) after domain_id: one
# order for both lines (a field an answer lacks is not shown).
_V1_FIELDS: Final = tuple(job_task_pb2.JobTaskInfo.DESCRIPTOR.fields_by_name)
_V2_ONLY: Final = tuple(
    name for name in wire.JobTaskInfo.DESCRIPTOR.fields_by_name if name not in _V1_FIELDS
)
_AFTER_DOMAIN: Final = _V1_FIELDS.index("domain_id") + 1
TASK_FIELDS: Final = (*_V1_FIELDS[:_AFTER_DOMAIN], *_V2_ONLY, *_V1_FIELDS[_AFTER_DOMAIN:])
_HEADERS: Final[Mapping[str, str]] = {name: name.removesuffix("_count") for name in COUNTERS}
# Piped or redirected output is not wrapped at 80 columns: rows stay whole for grep.
_PIPE_WIDTH: Final = 240

View = Callable[[Any], RenderableType]


def to_dict(message: Message) -> dict[str, Any]:
    """What the HTTP edge answers: proto JSON with the proto's field names, counts always,
    integral Struct numbers as integers (`jobtask.protojson`)."""
    return protojson.to_dict(message)


def show(data: Any, *, as_json: bool, view: View) -> None:
    """Print `data` as indented JSON, or as the table `view` draws of it."""
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=_PIPE_WIDTH)
    console.print(view(data))


def top_level(names: Iterable[str]) -> list[str]:
    """`["status", "errors.error_code", "errors.message"]` -> `["status", "errors"]`."""
    return list(dict.fromkeys(name.split(".", 1)[0] for name in names))


def cell(column: str, value: Any) -> Text:
    """One value as table text; counters absent from proto JSON are 0, other absent fields blank."""
    if column == "status" and isinstance(value, str):
        return Text(value, style=STATUS_STYLES.get(value, ""))
    if column == "errors" and isinstance(value, list):
        return Text(", ".join(_error_code(error) for error in value))
    if column in COUNTERS:
        value = value or 0
    return Text(_plain(value))


def _plain(value: Any) -> str:
    if value is None:
        return ""
    # Struct numbers are doubles: a count of 3 arrives as 3.0.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _error_code(error: Any) -> str:
    return str(error.get("error_code", "?")) if isinstance(error, dict) else str(error)


def tasks_view(columns: Sequence[str] | None = None) -> View:
    """The list table: LIST_COLUMNS (less those no task has), or exactly `columns`."""

    def draw(data: Mapping[str, Any]) -> RenderableType:
        tasks: list[dict[str, Any]] = data.get("results", [])
        if not tasks:
            return Text(_nothing("tasks", data.get("total_count", 0)))
        shown = list(columns) if columns else _present(LIST_COLUMNS, tasks)
        table = Table(caption=f"{len(tasks)} of {data.get('total_count', 0)}")
        for column in shown:
            table.add_column(
                _HEADERS.get(column, column),
                justify="right" if column in COUNTERS else "left",
                no_wrap=column == "job_task_id",
            )
        for task in tasks:
            table.add_row(*(cell(column, task.get(column)) for column in shown))
        return table

    return draw


def _present(columns: Sequence[str], tasks: Sequence[Mapping[str, Any]]) -> list[str]:
    """Counters always (0 is absent from proto JSON), other columns when some task has them."""
    return [c for c in columns if c in COUNTERS or any(c in task for task in tasks)]


def task_view(fields: Sequence[str] | None = None) -> View:
    """One task as field/value lines, then its errors as a table."""

    def draw(task: Mapping[str, Any]) -> RenderableType:
        names = [
            name
            for name in (fields or TASK_FIELDS)
            if name != "errors" and (name in task or name in COUNTERS)
        ]
        lines = Table(show_header=False, box=None, pad_edge=False)
        lines.add_column(style="bold")
        lines.add_column()
        for name in names:
            lines.add_row(name, cell(name, task.get(name)))
        errors = task.get("errors", [])
        return Group(lines, errors_table(errors)) if errors else lines

    return draw


def errors_table(errors: Sequence[Mapping[str, Any]]) -> Table:
    table = Table("error_code", "message", "additional", title="errors", title_justify="left")
    for error in errors:
        table.add_row(
            cell("error_code", error.get("error_code")),
            cell("message", error.get("message")),
            cell("additional", error.get("additional")),
        )
    return table


def stat_view(value_column: str = "value", order: Sequence[str] = ()) -> View:
    """A stat Struct: one row per result, the union of their keys as columns (those in `order`
    first; `value_column` for distinct values), and "N of TOTAL" when the query was paged."""

    def draw(data: Mapping[str, Any]) -> RenderableType:
        rows: list[Any] = data.get("results", [])
        if not rows:
            return Text(_nothing("rows", data.get("total_count", 0)))
        present: dict[str, None] = {} if rows else {value_column: None}
        for row in rows:
            present.update(dict.fromkeys(row if isinstance(row, dict) else [value_column]))
        columns = [c for c in order if c in present] + [c for c in present if c not in order]
        total = data.get("total_count")
        caption = f"{len(rows)} of {_plain(total)}" if total is not None else f"{len(rows)} rows"
        table = Table(*columns, caption=caption)
        for row in rows:
            values = row if isinstance(row, dict) else {value_column: row}
            table.add_row(*(cell(column, values.get(column)) for column in columns))
        return table

    return draw


def _nothing(what: str, total: Any) -> str:
    """What an empty answer prints instead of a table of column headers."""
    if total:
        return f"no {what} on this page ({_plain(total)} in all: a smaller --page)"
    return f"no {what}"


def message_view(text: str) -> View:
    """A one-line confirmation, for answers with nothing else to show."""
    return lambda _data: Text(text)
