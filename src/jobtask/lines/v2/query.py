"""SpaceONE 2.x `core.v2.Query` / `StatisticsQuery` -> our query models (a minimal stand-in).

This is 23-serve's stand-in until 23-query's translation lands (theirs replaces this module on
merge, with the same two functions): filter, filter_or, the sort list, page, minimal,
count_only, only and keyword for list; filter, filter_or, page, distinct, keyword and the group,
count, project, sort (a list of `{key, desc}`), limit, skip and path-only unwind stages for stat.
Anything else the 2.x messages can carry (`unwind`, `lookup` and `add_fields` of a list query, an
unwind's `filter`) is refused as INVALID_ARGUMENT naming it, never ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from jobtask.domain import Limits
from jobtask.errors import InvalidParameter
from jobtask.lines.v1 import requests as v1
from jobtask.lines.v2.wire import (
    PageMessage,
    QueryMessage,
    StatisticsAggregateMessage,
    StatisticsQueryMessage,
)
from jobtask.query.limits import DEFAULT_LIMITS, check_counts, check_list_lengths
from jobtask.query.model import Condition, Page, Query, SortKey
from jobtask.query.stat_model import (
    AggregateCount,
    AggregateLimit,
    AggregateSkip,
    AggregateSort,
    AggregateUnwind,
    Stage,
    StatisticsQuery,
)


# The 1.x line's converters read the same field names and oneof aliases (Filter, the group and
# project stages), typed with 1.x's classes: given 2.x's messages here as Any.
def _condition(message: Any) -> Condition:
    return v1.to_condition(message)


def _list_lengths(message: Any) -> Iterator[tuple[str, int]]:
    return v1._list_lengths(message)


# 2.x's page rule (spaceone-core 2.x's MongoModel): a limit past this is this. (2.x also pages
# a list without a limit at this; here that is left to the service's rule of both lines: all of
# them up to MAX_PAGE_SIZE, else INVALID_ARGUMENT saying to page. 23-query's decides.)
MAX_PAGE_LIMIT: Final = 1000


def to_page(message: PageMessage) -> Page:
    return Page(start=message.start, limit=min(message.limit, MAX_PAGE_LIMIT))


def _refuse_unserved(message: QueryMessage) -> None:
    for name in ("unwind", "lookup", "add_fields"):
        if message.HasField(name):
            raise InvalidParameter(f"query.{name}", "is not supported")


def to_query(message: QueryMessage, limits: Limits = DEFAULT_LIMITS) -> Query:
    _refuse_unserved(message)
    check_counts(len(message.filter), len(message.filter_or), 0, limits)
    check_list_lengths(_list_lengths(message), limits)
    return Query(
        filter=tuple(_condition(f) for f in message.filter),
        filter_or=tuple(_condition(f) for f in message.filter_or),
        sort=tuple(SortKey(s.key, s.desc) for s in message.sort),
        page=to_page(message.page),
        minimal=message.minimal,
        count_only=message.count_only,
        only=tuple(message.only),
        keyword=message.keyword,
    )


def _unwind(message: Any) -> AggregateUnwind:
    if len(message.filter):
        raise InvalidParameter("query.aggregate.unwind.filter", "is not supported")
    return AggregateUnwind(message.path)


def _sort_key(item: Any, index: int) -> SortKey:
    if not isinstance(item, dict) or not isinstance(item.get("key"), str):
        raise InvalidParameter(
            f"query.aggregate.sort[{index}]", "must be an object {key, desc} with a string key"
        )
    desc = item.get("desc", False)
    if not isinstance(desc, bool):
        raise InvalidParameter(f"query.aggregate.sort[{index}].desc", "must be true or false")
    return SortKey(item["key"], desc)


def _sort(message: Any) -> AggregateSort:
    items = [v1.to_value(value) for value in message.values]
    return AggregateSort(keys=tuple(_sort_key(item, index) for index, item in enumerate(items)))


_STAGES: Final[Mapping[str, Callable[[Any], Stage]]] = {
    "unwind": _unwind,
    "group": v1._group,
    "count": lambda m: AggregateCount(m.name),
    "sort": _sort,
    "project": v1._project,
    "limit": AggregateLimit,
    "skip": AggregateSkip,
}


def to_stage(message: StatisticsAggregateMessage) -> Stage:
    """The one stage the client set in the oneof (even if empty, or limit 0); None if none."""
    which = message.WhichOneof("aggregate_alias")
    return None if which is None else _STAGES[which](getattr(message, which))


def to_statistics_query(
    message: StatisticsQueryMessage, limits: Limits = DEFAULT_LIMITS
) -> StatisticsQuery:
    check_counts(len(message.filter), len(message.filter_or), len(message.aggregate), limits)
    check_list_lengths(_list_lengths(message), limits)
    return StatisticsQuery(
        filter=tuple(_condition(f) for f in message.filter),
        filter_or=tuple(_condition(f) for f in message.filter_or),
        aggregate=tuple(to_stage(a) for a in message.aggregate),
        page=Page(start=message.page.start, limit=message.page.limit),
        distinct=message.distinct,
        keyword=message.keyword,
    )
