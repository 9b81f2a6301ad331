"""The use cases of the JobTask API: required parameters, domain scoping and the rules of each rpc.

Every read and delete is ANDed with the caller's `domain_id` here, below any user filter, so no
query (filter_or and keyword included) can reach another domain's tasks; for a project-scoped
caller (`jobtask.scope`) with `project_id in <its projects>` too, the same way.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from jobtask import scope
from jobtask.deadline import countdown
from jobtask.domain import JobTask, JobTaskStatus
from jobtask.errors import InvalidParameter, NotFound, RequiredParameter, shown
from jobtask.query.aggregate import StatResult, build_pipeline, read_result
from jobtask.query.filters import all_of_documents, build_condition, build_filter
from jobtask.query.limits import (
    DEFAULT_LIMITS,
    Limits,
    check_only,
    check_query,
    check_statistics_query,
)
from jobtask.query.model import Condition, Query
from jobtask.query.options import (
    Projection,
    Sort,
    Window,
    build_projection,
    build_sort,
    build_window,
)
from jobtask.query.stat_model import StatisticsQuery
from jobtask.repository import JobTaskRepository

# Where a page's count runs while its find runs in the caller's thread (in the caller's context,
# so the call log and tracing see its command). Threads start on demand; one per concurrent page.
_BESIDE: Final = futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="jobtask-count")

_Page = list[JobTask]

# The JobTaskQuery fields that filter by equality, in SpaceONE's order.
TOP_LEVEL_FILTERS: tuple[str, ...] = (
    "job_task_id",
    "status",
    "job_id",
    "secret_id",
    "provider",
    "service_account_id",
    "project_id",
)


@dataclass(frozen=True, slots=True)
class ListRequest:
    """JobTaskQuery: a Query plus equality filters; empty strings mean not given."""

    domain_id: str
    query: Query = field(default_factory=Query)
    job_task_id: str = ""
    status: JobTaskStatus | None = None
    job_id: str = ""
    secret_id: str = ""
    provider: str = ""
    service_account_id: str = ""
    project_id: str = ""


@dataclass(frozen=True, slots=True)
class ListResult:
    results: list[JobTask]
    total_count: int


@dataclass(frozen=True, slots=True)
class StatRequest:
    """JobTaskStatQuery; `query` None: not sent. `timezone`: the call's IANA zone, "" = default."""

    domain_id: str
    query: StatisticsQuery | None = None
    timezone: str = ""


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _required(**parameters: str) -> None:
    """SpaceONE reports the first missing parameter, in the order given."""
    for key, value in parameters.items():
        if not value:
            raise RequiredParameter(key)


def _caller_scope(domain_id: str) -> dict[str, Any]:
    """The domain, and for a project-scoped caller its projects: ANDed into every query."""
    allowed = scope.projects()
    if allowed is None:
        return {"domain_id": domain_id}
    return {"domain_id": domain_id, "project_id": {"$in": sorted(allowed)}}


def _scoped(query: dict[str, Any], domain_id: str) -> dict[str, Any]:
    return all_of_documents([_caller_scope(domain_id), query])


def keyword_condition(keyword: str) -> Condition | None:
    """Words of the keyword, any of which the job_task_id contains (case-insensitive)."""
    words = keyword.split()
    return Condition("job_task_id", words, "contain_in") if words else None


def _keyword_filter(keyword: str, now: datetime) -> list[dict[str, Any]]:
    # SpaceONE put the keyword into filter_or, where it widened the result; it narrows here.
    condition = keyword_condition(keyword)
    return [build_condition(condition, where="query.keyword", now=now)] if condition else []


def _time_zone(name: str) -> str:
    """An IANA time zone name MongoDB's date operators accept, checked before they see it."""
    try:
        ZoneInfo(name)
    except (ValueError, OSError, KeyError):
        raise InvalidParameter(
            "timezone", f"{shown(name)} is not an IANA time zone name such as UTC or Asia/Seoul"
        ) from None
    return name


class JobTaskService:
    def __init__(
        self,
        repository: JobTaskRepository,
        *,
        max_page_size: int,
        stat_max_rows: int = 10_000,
        stat_max_time: float = 10.0,
        stat_timezone: str = "UTC",
        limits: Limits = DEFAULT_LIMITS,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._repository = repository
        self._max_page_size = max_page_size
        self._stat_max_rows = stat_max_rows
        self._stat_max_time = stat_max_time
        self._stat_timezone = _time_zone(stat_timezone)
        # Checked before any translation or database work.
        self.limits = limits
        self._clock = clock

    def get(
        self,
        job_task_id: str,
        domain_id: str,
        only: Sequence[str] = (),
        *,
        timeout: float | None = None,
    ) -> JobTask:
        _required(job_task_id=job_task_id, domain_id=domain_id)
        check_only(only, self.limits)
        projection = build_projection(only)
        query = _scoped({"job_task_id": job_task_id}, domain_id)
        task = self._repository.find_one(query, projection, timeout=timeout)
        if task is None:
            raise NotFound(("job_task_id", "domain_id"), (job_task_id, domain_id))
        return task

    def delete(self, job_task_id: str, domain_id: str, *, timeout: float | None = None) -> None:
        _required(job_task_id=job_task_id, domain_id=domain_id)
        query = _scoped({"job_task_id": job_task_id}, domain_id)
        if not self._repository.delete_one(query, timeout=timeout):
            raise NotFound(("job_task_id", "domain_id"), (job_task_id, domain_id))

    def list(self, request: ListRequest, *, timeout: float | None = None) -> ListResult:
        _required(domain_id=request.domain_id)
        remaining = countdown(timeout)
        query = request.query
        check_query(query, self.limits)
        mongo_query = _scoped(self._list_filter(request), request.domain_id)
        window = build_window(query.page, max_limit=self._max_page_size)
        projection = build_projection(query.only, minimal=query.minimal, where="query.only")
        sort = build_sort(query.sort)
        if window.limit and not query.count_only:
            # A bounded page: its count runs beside its find (one round trip's wait instead of
            # two; docs/performance.md). Without a limit the total decides first whether the
            # page may be read at all, so it is counted before.
            # The deadline is read when the count starts, should it wait for a thread.
            count = self._repository.count
            counting = _BESIDE.submit(
                contextvars.copy_context().run, lambda: count(mongo_query, timeout=remaining())
            )
            try:
                results = self._find_page(mongo_query, projection, sort, window, remaining())
            except BaseException:
                futures.wait([counting])
                raise
            return ListResult(results, counting.result())
        total_count = self._repository.count(mongo_query, timeout=remaining())
        if query.count_only:
            return ListResult([], total_count)
        if not window.limit and total_count - window.skip > self._max_page_size:
            # Without a limit SpaceONE returns everything; past the server's cap that is an
            # answer no client can receive, so say how to page instead of truncating silently.
            raise InvalidParameter(
                "query.page.limit",
                f"the query matches {total_count} tasks, more than the maximum page size "
                f"{self._max_page_size}: page through them with query.page.limit",
            )
        results = self._find_page(mongo_query, projection, sort, window, remaining())
        return ListResult(results, total_count)

    def _find_page(
        self,
        mongo_query: dict[str, Any],
        projection: Projection,
        sort: Sort,
        window: Window,
        timeout: float | None,
    ) -> _Page:
        return self._repository.find(
            mongo_query,
            projection,
            sort=sort,
            skip=window.skip,
            limit=window.limit,
            timeout=timeout,
        )

    def _list_filter(self, request: ListRequest) -> dict[str, Any]:
        now = self._clock()
        query = request.query
        top_level = [
            build_condition(Condition(name, str(value), "eq"), where=name, now=now)
            for name in TOP_LEVEL_FILTERS
            if (value := getattr(request, name))
        ]
        return all_of_documents(
            [
                build_filter(query.filter, query.filter_or, now=now),
                *top_level,
                *_keyword_filter(query.keyword, now),
            ]
        )

    def stat(self, request: StatRequest, *, timeout: float | None = None) -> StatResult:
        """One aggregation pipeline over the caller's domain; everything is checked first."""
        query = request.query
        if query is None:  # SpaceONE checks query first, then domain_id
            raise RequiredParameter("query")
        _required(domain_id=request.domain_id)
        if not query.aggregate and not query.distinct:
            raise RequiredParameter("aggregate")
        check_statistics_query(query, self.limits)
        timezone = _time_zone(request.timezone) if request.timezone else self._stat_timezone
        now = self._clock()
        match = _scoped(
            all_of_documents(
                [
                    build_filter(query.filter, query.filter_or, now=now),
                    *_keyword_filter(query.keyword, now),
                ]
            ),
            request.domain_id,
        )
        plan = build_pipeline(query, match=match, timezone=timezone, max_rows=self._stat_max_rows)
        # The configured limit, shortened by the client's deadline when that is sooner.
        limit = self._stat_max_time if timeout is None else min(timeout, self._stat_max_time)
        documents = self._repository.aggregate(plan.pipeline, timeout=limit)
        return read_result(plan, documents)
