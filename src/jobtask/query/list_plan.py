"""A list request translated once: its filter, order, page, projection and whether only to count
(as `stat` has its StatPlan, jobtask.query.aggregate). The service ANDs the caller's scope around
`filter` and asks storage; nothing of Mongo's shape is glued together outside this package."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from jobtask.domain import FindSpec
from jobtask.query.filters import all_of_documents, build_condition, build_filter
from jobtask.query.list_pipeline import ListPipeline, build_list_pipeline
from jobtask.query.model import Condition, Query
from jobtask.query.options import (
    build_projection,
    build_sort,
    build_window,
)
from jobtask.query.stat_model import StatisticsQuery
from jobtask.query.values import Document


@dataclass(frozen=True, slots=True)
class ListPlan:
    """`filter`: the request's own conditions (filter, filter_or, the equality filters, the
    keyword), ANDed, without the caller's scope; `find`: the page (its sort ends with the
    tie-breaker; limit 0 is no limit); `count_only`: count, read no page; `pipeline`: the stages
    after the $match when the list is an aggregation (core.v2's unwind and add_fields), None
    for a find."""

    filter: Document
    find: FindSpec
    count_only: bool
    pipeline: ListPipeline | None = None


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
    window = build_window(query.page, max_limit=max_limit)
    projection = build_projection(query.only, minimal=query.minimal, where="query.only")
    sort = build_sort(query.sort, query.tie_breaker)
    return ListPlan(
        filter=match,
        find=FindSpec(projection, sort, window.skip, window.limit),
        count_only=query.count_only,
        pipeline=build_list_pipeline(
            query, sort=sort, window=window, projection=projection, now=now
        ),
    )
