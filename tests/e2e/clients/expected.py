"""What SpaceONE's clients must print for the seeded tasks, computed in plain Python from them.

`rendered` is a stored task as the clients show a JobTaskInfo (protobuf's JSON mapping with proto
field names, as their MessageToDict calls do: unset and zero fields are left out, numbers inside
a Struct are floats, dates are `YYYY-MM-DDTHH:MM:SS.mmmZ`).
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from tests.contract import contract
from tests.support.dataset import DOMAIN, TASKS, tasks_in

# JobTaskInfo's fields in number order, from the independent transcription of the wire contract.
FIELDS: Final = tuple(row[1] for row in contract.INVENTORY_ROWS if row[0] == "JobTaskInfo")
# The minimal view (spec/query-semantics.md §1.5): all but the "no" rows of the field table.
MINIMAL: Final = tuple(
    f
    for f in FIELDS
    if f not in ("errors", "secret_id", "provider", "service_account_id", "project_id", "domain_id")
)
MINE: Final = tasks_in(DOMAIN)

# What the tier asks about, in every client's terms.
TASK: Final = "job_task-3f9c0a1b2c4d"
MISSING: Final = "job_task-000000000000"
AWS: Final = {"k": "provider", "v": "aws", "o": "eq"}
AZURE_OR_PENDING: Final = [
    {"k": "provider", "v": "azure", "o": "eq"},
    {"k": "status", "v": "PENDING", "o": "eq"},
]

# The 2.x line: JobTaskInfo's fields in number order as SpaceONE's spaceone-api 2.0.435 declares
# them (tests/contract/spaceone_layout_2x.json, read from its wheel): 1.x's and `workspace_id`.
_LAYOUT_2X: Final = json.loads(
    (Path(__file__).parents[2] / "contract" / "spaceone_layout_2x.json").read_text()
)
FIELDS_2X: Final = tuple(
    field["name"]
    for layout in _LAYOUT_2X.values()
    for field in sorted(
        layout["types"]["spaceone.api.inventory.v1.JobTaskInfo"]["fields"],
        key=lambda f: f["number"],
    )
)
# The dataset's tasks as a 2.x inventory stores them: each in one of two workspaces, in turn (the
# other domain's tasks too, with the same workspace ids: a domain never sees another's).
WORKSPACE: Final = "workspace-111111111111"
OTHER_WORKSPACE: Final = "workspace-222222222222"
STORED_2X: Final = [
    {**copy.deepcopy(task), "workspace_id": (WORKSPACE, OTHER_WORKSPACE)[index % 2]}
    for index, task in enumerate(TASKS)
]
MINE_2X: Final = [t for t in STORED_2X if t["domain_id"] == DOMAIN]


def date(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _error(stored: dict[str, Any], only: Iterable[str] | None) -> dict[str, Any]:
    keys = ("error_code", "message", "additional") if only is None else only
    return {k: stored[k] for k in keys if stored.get(k) not in (None, "", {})}


def rendered(task: dict[str, Any], fields: Iterable[str] = FIELDS) -> dict[str, Any]:
    """The task as the clients show it, with only `fields` (`errors.<key>` picks error keys)."""
    shown: dict[str, Any] = {}
    error_keys = [f.removeprefix("errors.") for f in fields if f.startswith("errors.")]
    for name in fields:
        value = task.get(name.split(".")[0])
        if name.startswith("errors"):
            errors = [_error(e, error_keys or None) for e in value or []]
            if errors:
                shown["errors"] = errors
        elif isinstance(value, datetime):
            shown[name] = date(value)
        elif value not in (None, "", 0):
            shown[name] = value
    return shown


def newest_first(tasks: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The default order, and `created_at` descending: ties broken by job_task_id, descending."""
    return sorted(tasks, key=lambda t: (t["created_at"], t["job_task_id"]), reverse=True)


def sorted_newest_first(tasks: Iterable[dict[str, Any]], line: str) -> list[dict[str, Any]]:
    """An explicit sort by `created_at` descending (spacectl's `-s -created_at`): 1.x's as the
    default order; 2.x's ends with the stored `_id` ascending, as SpaceONE 2.x's, so ties come in
    the order the tasks were stored (these lists keep it; Python's sort is stable, reversed too)."""
    if line.startswith("1."):
        return newest_first(tasks)
    return sorted(tasks, key=lambda t: t["created_at"], reverse=True)


def by_provider(
    provider: str | None, tasks: Iterable[dict[str, Any]] = MINE
) -> list[dict[str, Any]]:
    return [t for t in tasks if t["provider"] == provider]


def count_by(key: Any, tasks: Iterable[dict[str, Any]] = MINE) -> Counter[Any]:
    return Counter(key(t) for t in tasks)


def azure_or_pending(tasks: Iterable[dict[str, Any]] = MINE) -> list[dict[str, Any]]:
    """The tasks AZURE_OR_PENDING matches, newest first."""
    return newest_first(t for t in tasks if t["provider"] == "azure" or t["status"] == "PENDING")


def cells(task: dict[str, Any], columns: list[str]) -> dict[str, str]:
    """The task's row in spacectl's table or csv output: every column, "" when not shown."""
    shown = rendered(task, columns)
    return {c: str(shown.get(c, "")) for c in columns}


def counting(key: str, name: str, date_format: str | None = None) -> dict[str, Any]:
    """A stat stage grouping by `key` (named `name`, by `date_format` when given) that counts
    the tasks of each group as "tasks"."""
    group_key = {"key": key, "name": name, **({"date_format": date_format} if date_format else {})}
    return {"group": {"keys": [group_key], "fields": [{"operator": "count", "name": "tasks"}]}}


def updated_by_provider(tasks: Iterable[dict[str, Any]] = MINE) -> dict[str, int]:
    """The sum of `updated_count` per provider (None left out)."""
    sums: dict[str, int] = {}
    for task in tasks:
        if task["provider"] is not None:
            sums[task["provider"]] = sums.get(task["provider"], 0) + task["updated_count"]
    return sums


def not_found_2x(job_task_id: str, domain_id: str, workspace_id: str | None = None) -> str:
    """The 2.x line's NOT_FOUND message for a task the scope does not hold (docs/spaceone-2x.md):
    each key of the scope beside its value, where SpaceONE's reference puts the tuple of keys
    beside the tuple of values."""
    scope = {"job_task_id": job_task_id, "domain_id": domain_id, "workspace_id": workspace_id}
    named = ", ".join(f"{k} = {v!r}" for k, v in scope.items() if v is not None)
    return f"Resource cannot be found or access is denied. ({named})"
