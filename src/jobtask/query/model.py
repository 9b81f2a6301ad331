"""Typed SpaceONE queries, parsed once at the edge (aliases such as k/key are already resolved)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


@dataclass(frozen=True, slots=True)
class Condition:
    """One filter condition; empty strings mean the client left the part out."""

    key: str = ""
    value: Any = None
    operator: str = ""


@dataclass(frozen=True, slots=True)
class SortKey:
    key: str
    desc: bool = False


class TieBreaker(Enum):
    """What ends an explicit sort, so that tasks with equal sort values still have one order
    (and pages never repeat or skip one). A list without a sort is always ours: newest first,
    then job_task_id descending (jobtask.query.options.DEFAULT_SORT)."""

    # Ours (1.x, whose reference has none): job_task_id in the direction of the last key.
    JOB_TASK_ID = "job_task_id"
    # SpaceONE 2.x's MongoModel.query (`if sort: _order_by.append("id")`): the stored `_id`
    # ascending, whatever the direction of the other keys: ties in insertion order.
    STORED_ID = "_id"


@dataclass(frozen=True, slots=True)
class Page:
    """`start` is 1-based; 0 means not given. `limit` 0 means not given."""

    start: int = 0
    limit: int = 0


@dataclass(frozen=True, slots=True)
class Unwind:
    """core.v2's unwind: one row per element of the array at `path`, kept when it meets each
    condition of `filter` (read on the row, where the path holds one element)."""

    path: str = ""
    filter: tuple[Condition, ...] = ()


@dataclass(frozen=True, slots=True)
class Query:
    """SpaceONE's core.v1.Query, and core.v2's: `sort` holds the effective keys (1.x: `sort.key`
    wins over `keys`; 2.x: the list). `unwind` and `add_fields` (name -> the client's value,
    core.v2's `if`/`then`/`else` form included) are 2.x's; 1.x never sets them. `tie_breaker`
    ends an explicit `sort`: the line's (1.x ours, 2.x its reference's `_id` ascending)."""

    filter: tuple[Condition, ...] = ()
    filter_or: tuple[Condition, ...] = ()
    sort: tuple[SortKey, ...] = ()
    page: Page = field(default_factory=Page)
    minimal: bool = False
    count_only: bool = False
    only: tuple[str, ...] = ()
    keyword: str = ""
    unwind: Unwind | None = None
    add_fields: Mapping[str, Any] = field(default_factory=dict)
    tie_breaker: TieBreaker = TieBreaker.JOB_TASK_ID
