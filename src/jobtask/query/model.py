"""Typed SpaceONE queries, parsed once at the edge (aliases such as k/key are already resolved)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
    core.v2's `if`/`then`/`else` form included) are 2.x's; 1.x never sets them."""

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
