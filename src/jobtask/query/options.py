"""The rest of a list Query: sort (with a unique tie-breaker), paging and projection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from jobtask.domain import MINIMAL_FIELDS, field_kind
from jobtask.errors import InvalidParameter, RequiredParameter, shown
from jobtask.query.model import Page, SortKey, TieBreaker

# SpaceONE lists newest first unless told otherwise.
DEFAULT_SORT: Final[tuple[SortKey, ...]] = (SortKey("created_at", desc=True),)
# Unique, so equal sort values still have one order and pages never repeat or skip a task.
TIE_BREAKER: Final[str] = "job_task_id"

Sort = list[tuple[str, int]]
Projection = dict[str, int]


@dataclass(frozen=True, slots=True)
class Window:
    skip: int
    limit: int  # 0 = no limit


def build_sort(keys: Sequence[SortKey], tie_breaker: TieBreaker = TieBreaker.JOB_TASK_ID) -> Sort:
    """[(path, ±1), ...] ending with a unique tie-breaker. No keys: the default order, then
    job_task_id descending. After the client's keys, `tie_breaker`'s: job_task_id in the
    direction of the last key (ours), or `_id` ascending (SpaceONE 2.x's reference), unless the
    client sorted by job_task_id already (unique: the order is total, another key changes
    nothing). `_id` orders only; it is never projected or rendered."""
    sort: dict[str, int] = {}
    for index, sort_key in enumerate(keys or DEFAULT_SORT):
        key, desc = sort_key.key, sort_key.desc
        # The ODM convention SpaceONE clients use: '-created_at' sorts descending.
        if key and key[0] in "+-":
            key, desc = key[1:], key[0] == "-"
        if not key:
            raise RequiredParameter(f"query.sort.keys[{index}].key")
        if field_kind(key) is None:
            raise InvalidParameter("query.sort", f"{shown(key)} is not a field of a job task")
        sort[key] = -1 if desc else 1
    if keys and tie_breaker is TieBreaker.STORED_ID:
        if TIE_BREAKER not in sort:
            sort[tie_breaker.value] = 1
    else:
        sort.setdefault(TIE_BREAKER, list(sort.values())[-1])
    return list(sort.items())


def build_window(page: Page, *, max_limit: int) -> Window:
    """`start` is 1-based (0 and 1 both mean the first row); `limit` is capped by the server."""
    if page.limit > max_limit:
        raise InvalidParameter(
            "query.page.limit", f"{page.limit} is more than the maximum page size {max_limit}"
        )
    return Window(skip=max(page.start, 1) - 1, limit=page.limit)


def build_projection(
    only: Sequence[str], *, minimal: bool = False, where: str = "only"
) -> Projection:
    """Fields to load: the minimal view or the `only` paths (never `_id`), or, for the whole
    view, no projection at all (`{}`: the stored document as it is, `_id` and the stored-only
    fields included, which `to_task` ignores).

    The whole view sends none because the real engine (DocumentDB) applies a projection, even
    `{_id: 0}`, to every matching document before it sorts and pages, so a page costs more
    with one than without (measured: docs/performance.md). MongoDB
    projects only what it returns, so there it makes no difference but the few bytes of the
    fields nobody renders.

    `only` may name any stored field; one that JobTaskInfo has no field for (`collector_id`,
    `total_count`, `reported_error_count`) is loaded and renders as nothing, as in SpaceONE.
    """
    if minimal:
        # SpaceONE renders the minimal view even when `only` is given too (the paths are checked).
        if only:
            _deduplicate(only, where)
        return {"_id": 0, **dict.fromkeys(MINIMAL_FIELDS, 1)}
    if not only:
        return {}
    return {"_id": 0, **dict.fromkeys(_deduplicate(only, where), 1)}


def _deduplicate(only: Sequence[str], where: str) -> list[str]:
    """Drop repeats and paths whose ancestor is listed too (MongoDB rejects path collisions)."""
    for path in only:
        if field_kind(path) is None:
            raise InvalidParameter(where, f"{shown(path)} is not a field of a job task")
    unique = sorted(set(only))
    return [
        path
        for path in unique
        if not any(path.startswith(f"{other}.") for other in unique if other != path)
    ]
