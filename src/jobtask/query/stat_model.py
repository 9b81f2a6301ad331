"""Typed SpaceONE StatisticsQuery (core.v1), parsed once at the edge: aliases are resolved.

Names follow the proto (AggregateGroup, AggregateGroupField, ...). Empty strings mean the client
left the part out, exactly as in `jobtask.query.model`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jobtask.query.model import Condition, Page, SortKey


@dataclass(frozen=True, slots=True)
class AggregateUnwind:
    """core.v1's unwind has a path; core.v2's (the `Unwind` message) conditions on the rows too."""

    path: str = ""
    filter: tuple[Condition, ...] = ()


@dataclass(frozen=True, slots=True)
class AggregateOutput:
    """What the parts that write a value have in common: the `key` read and the `name` it is
    written under (proto `key`/`k` and `name`/`n`)."""

    key: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class AggregateGroupKey(AggregateOutput):
    date_format: str = ""


@dataclass(frozen=True, slots=True)
class AggregateGroupSubField(AggregateOutput):
    """One of a group field's `fields`: a value its accumulator (push) collects of each task."""


@dataclass(frozen=True, slots=True)
class AggregateGroupField(AggregateOutput):
    """One accumulator; `conditions` are AggregateSubConditions (key, value, operator)."""

    operator: str = ""
    fields: tuple[AggregateGroupSubField, ...] = ()
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True, slots=True)
class AggregateGroup:
    keys: tuple[AggregateGroupKey, ...] = ()
    fields: tuple[AggregateGroupField, ...] = ()


@dataclass(frozen=True, slots=True)
class AggregateCount:
    name: str = ""


@dataclass(frozen=True, slots=True)
class AggregateSort:
    """SpaceONE's rule: a non-empty `key` wins over `keys`."""

    key: str = ""
    desc: bool = False
    keys: tuple[SortKey, ...] = ()


@dataclass(frozen=True, slots=True)
class AggregateProjectField(AggregateOutput):
    operator: str = ""


@dataclass(frozen=True, slots=True)
class AggregateProject:
    fields: tuple[AggregateProjectField, ...] = ()
    exclude_keys: bool = False


@dataclass(frozen=True, slots=True)
class AggregateLimit:
    value: int


@dataclass(frozen=True, slots=True)
class AggregateSkip:
    value: int


# One StatisticsAggregate element; None when the client set none of the seven stages.
Stage = (
    AggregateUnwind
    | AggregateGroup
    | AggregateCount
    | AggregateSort
    | AggregateProject
    | AggregateLimit
    | AggregateSkip
    | None
)


@dataclass(frozen=True, slots=True)
class StatisticsQuery:
    filter: tuple[Condition, ...] = ()
    filter_or: tuple[Condition, ...] = ()
    aggregate: tuple[Stage, ...] = ()
    page: Page = field(default_factory=Page)
    distinct: str = ""
    keyword: str = ""
