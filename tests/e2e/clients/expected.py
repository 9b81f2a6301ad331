"""What SpaceONE's clients must print for the seeded tasks, computed in plain Python from them.

`rendered` is a stored task as the clients show a JobTaskInfo (protobuf's JSON mapping with proto
field names, as their MessageToDict calls do: unset and zero fields are left out, numbers inside
a Struct are floats, dates are `YYYY-MM-DDTHH:MM:SS.mmmZ`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

from tests.contract import contract
from tests.support.dataset import DOMAIN, tasks_in

# JobTaskInfo's fields in number order, from the independent transcription of the wire contract.
FIELDS: Final = tuple(row[1] for row in contract.INVENTORY_ROWS if row[0] == "JobTaskInfo")
# The minimal view (spec/query-semantics.md §1.5): all but the "no" rows of the field table.
MINIMAL: Final = tuple(
    f
    for f in FIELDS
    if f not in ("errors", "secret_id", "provider", "service_account_id", "project_id", "domain_id")
)
MINE: Final = tasks_in(DOMAIN)


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


def by_provider(provider: str | None) -> list[dict[str, Any]]:
    return [t for t in MINE if t["provider"] == provider]


def count_by(key: Any) -> Counter[Any]:
    return Counter(key(t) for t in MINE)
