"""Typed SpaceONE queries, parsed once at the edge (aliases such as k/key are already resolved)."""

from __future__ import annotations

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
class Query:
    """SpaceONE's core.v1.Query; `sort` holds the effective keys (`sort.key` wins over `keys`)."""

    filter: tuple[Condition, ...] = ()
    filter_or: tuple[Condition, ...] = ()
    sort: tuple[SortKey, ...] = ()
    page: Page = field(default_factory=Page)
    minimal: bool = False
    count_only: bool = False
    only: tuple[str, ...] = ()
    keyword: str = ""
