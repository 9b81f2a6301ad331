"""A list request translated once: its filter, order, page, projection and whether only to count
(as `stat` has its StatPlan, jobtask.query.aggregate). The service ANDs the caller's scope around
`filter` and asks storage; nothing of Mongo's shape is glued together outside this package."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from jobtask.errors import InvalidParameter
from jobtask.query.filters import all_of_documents, build_condition, build_filter
from jobtask.query.model import Condition, Query
from jobtask.query.options import (
    Projection,
    Sort,
    build_projection,
    build_sort,
    build_window,
)
from jobtask.query.stat_model import StatisticsQuery
from jobtask.query.values import Document


@dataclass(frozen=True, slots=True)
class ListPlan:
    """`filter`: the request's own conditions (filter, filter_or, the equality filters, the
    keyword), ANDed, without the caller's scope; `sort` ends with the tie-breaker; `limit` 0 is
    no limit; `count_only`: count, read no page."""

    filter: Document
    sort: Sort
    skip: int
    limit: int
    projection: Projection
    count_only: bool


def keyword_condition(keyword: str) -> Condition | None:
    """Words of the keyword, any of which the job_task_id contains (case-insensitive)."""
    words = keyword.split()
    return Condition("job_task_id", words, "contain_in") if words else None


def build_match(
    query: Query | StatisticsQuery,
    *,
    now: datetime,
    equals: Mapping[str, str] | None = None,
) -> Document:
    """The conditions of a list or statistics query, ANDed: filter and filter_or, then the
    equality filters beside the query (a list's), then the keyword."""
    keyword = keyword_condition(query.keyword)
    return all_of_documents(
        [
            build_filter(query.filter, query.filter_or, now=now),
            *(
                build_condition(Condition(name, value, "eq"), where=name, now=now)
                for name, value in (equals or {}).items()
            ),
            # SpaceONE put the keyword into filter_or, where it widened the result; it narrows
            # here.
            *([build_condition(keyword, where="query.keyword", now=now)] if keyword else []),
        ]
    )


def build_list_plan(
    query: Query, *, equals: Mapping[str, str], max_limit: int, now: datetime
) -> ListPlan:
    """The plan of a list `query` with the request's non-empty equality filters `equals`; each
    part checked in SpaceONE's order (filters, page, only, sort)."""
    match = build_match(query, now=now, equals=equals)
    if query.unwind is not None or query.add_fields:
        # Until the list's aggregation pipeline lands (#23): refused, never ignored.
        where = "query.unwind" if query.unwind is not None else "query.add_fields"
        raise InvalidParameter(where, "not served yet")
    window = build_window(query.page, max_limit=max_limit)
    projection = build_projection(query.only, minimal=query.minimal, where="query.only")
    return ListPlan(
        filter=match,
        sort=build_sort(query.sort),
        skip=window.skip,
        limit=window.limit,
        projection=projection,
        count_only=query.count_only,
    )
