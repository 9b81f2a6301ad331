"""The use cases of the JobTask API: required parameters, domain scoping and the rules of each rpc.

Every read and delete is ANDed with the call's `Scope` here (its domain, given by the edge
explicitly), below any user filter, so no query (filter_or and keyword included) can reach another
domain's tasks; for a workspace-scoped caller (SpaceONE 2.x) with its `workspace_id`, and for a
project-scoped caller with `project_id in <its projects>` too, the same way: get and delete
included (the 2.x reference's get ignores a member's projects; ours does not).

A list's equality filters beside its query are one mapping, `ListRequest.filters`, keyed by the
fields of the filter role (domain.QUERY_FILTERS): a field given that role is a filter here, and in
both lines' requests, with nothing else to write (a typed attribute per filter would be a second
declaration of the roles; a class built from them at run time would be unchecked by mypy).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from jobtask.deadline import countdown
from jobtask.domain import (
    QUERY_FILTERS,
    FindSpec,
    JobTask,
    Limits,
    is_time_zone,
    to_task,
)
from jobtask.errors import InvalidParameter, NotFound, RequiredParameter, require, shown
from jobtask.query.filters import all_of_documents
from jobtask.query.limits import (
    DEFAULT_LIMITS,
    check_only,
    check_query,
    check_statistics_query,
)
from jobtask.query.list_pipeline import read_rows, read_total
from jobtask.query.list_plan import ListPlan, build_list_plan, build_match
from jobtask.query.model import Query
from jobtask.query.options import build_projection
from jobtask.query.stat_model import StatisticsQuery
from jobtask.query.stat_plan import StatResult, build_pipeline, read_result
from jobtask.scope import Scope

# The threads a page's count may run on beside its find (one per concurrent page; they start on
# demand).
COUNT_WORKERS: Final = 64


def count_executor() -> futures.ThreadPoolExecutor:
    """Where a page's count runs while its find runs in the caller's thread."""
    return futures.ThreadPoolExecutor(max_workers=COUNT_WORKERS, thread_name_prefix="jobtask-count")


class TaskReads(Protocol):
    """What the service needs from storage (jobtask.storage's MongoReads): tasks in, tasks out.
    Filters, projections, sorts and pipelines are what jobtask.query builds; the scope is in every
    filter (see `_scoped`)."""

    def find_one(
        self, query: Mapping[str, Any], projection: Mapping[str, int], *, timeout: float | None
    ) -> JobTask | None: ...

    def find(
        self, query: Mapping[str, Any], page: FindSpec, *, timeout: float | None
    ) -> list[JobTask]: ...

    def count(self, query: Mapping[str, Any], *, timeout: float | None) -> int: ...

    def delete_one(self, query: Mapping[str, Any], *, timeout: float | None) -> bool: ...

    def aggregate(
        self, pipeline: Sequence[Mapping[str, Any]], *, timeout: float | None
    ) -> list[dict[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class ListRequest:
    """JobTaskQuery: a Query plus its equality filters by field name, each of domain.QUERY_FILTERS
    (status's value a JobTaskStatus; workspace_id, SpaceONE 2.x's, never given on the 1.x line);
    "" or absent means not given. Only the lines build one: another name is a programming error."""

    query: Query = field(default_factory=Query)
    filters: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.filters) - set(QUERY_FILTERS))
        if unknown:
            raise ValueError(f"not equality filters of a list request: {', '.join(unknown)}")

    def equals(self) -> dict[str, str]:
        """The filters given, in domain.QUERY_FILTERS' order (SpaceONE's)."""
        return {name: str(value) for name in QUERY_FILTERS if (value := self.filters.get(name))}


@dataclass(frozen=True, slots=True)
class ListResult:
    results: list[JobTask]
    total_count: int


@dataclass(frozen=True, slots=True)
class StatRequest:
    """JobTaskStatQuery; `query` None: not sent. `timezone`: the call's IANA zone, "" = default."""

    query: StatisticsQuery | None = None
    timezone: str = ""


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _caller_scope(scope: Scope) -> dict[str, Any]:
    """The domain, a workspace-scoped caller's workspace and a project-scoped caller's projects:
    ANDed into every query. Workspace "" is the tasks of none (stored without one, as 1.x's
    are, or with null or "")."""
    match: dict[str, Any] = {"domain_id": scope.domain_id}
    if scope.workspace_id is not None:
        match["workspace_id"] = scope.workspace_id or {"$in": [None, ""]}
    if scope.projects is not None:
        match["project_id"] = {"$in": sorted(scope.projects)}
    return match


def _not_found(job_task_id: str, scope: Scope) -> NotFound:
    """What a get or delete looked up: the id, the domain, and a workspace-scoped caller's
    workspace (a member's projects are its token's own, not named)."""
    looked_up = {"job_task_id": job_task_id, "domain_id": scope.domain_id}
    if scope.workspace_id is not None:
        looked_up["workspace_id"] = scope.workspace_id
    return NotFound(looked_up)


def _scoped(query: dict[str, Any], scope: Scope) -> dict[str, Any]:
    return all_of_documents([_caller_scope(scope), query])


def _time_zone(name: str) -> str:
    """An IANA time zone name MongoDB's date operators accept, checked before they see it."""
    if not is_time_zone(name):
        raise InvalidParameter(
            "timezone", f"{shown(name)} is not an IANA time zone name such as UTC or Asia/Seoul"
        )
    return name


def _reading(
    repository: TaskReads,
    plan: ListPlan,
    match: dict[str, Any],
    remaining: Callable[[], float | None],
) -> tuple[Callable[[], list[JobTask]], Callable[[], int]]:
    """How a list's page is read and its total counted: a find and a count, or (core.v2's
    unwind and add_fields) an aggregation pipeline after the scoped $match."""
    pipeline = plan.pipeline

    def find() -> list[JobTask]:
        if pipeline is None:
            return repository.find(match, plan.find, timeout=remaining())
        documents = repository.aggregate([{"$match": match}, *pipeline.rows], timeout=remaining())
        return [to_task(row) for row in read_rows(pipeline, documents)]

    def count() -> int:
        if pipeline is None or pipeline.count is None:
            return repository.count(match, timeout=remaining())
        counted = repository.aggregate([{"$match": match}, *pipeline.count], timeout=remaining())
        return read_total(counted)

    return find, count


class JobTaskService:
    def __init__(
        self,
        repository: TaskReads,
        *,
        max_page_size: int,
        stat_max_rows: int = 10_000,
        stat_max_time: float = 10.0,
        stat_timezone: str = "UTC",
        limits: Limits = DEFAULT_LIMITS,
        clock: Callable[[], datetime] = _utcnow,
        counts: futures.Executor | None = None,
    ) -> None:
        """`counts`: where a page's count runs beside its find, in the caller's context (so the
        call log and tracing see its command); its owner shuts it down. None: a pool of the
        service's own."""
        self._repository = repository
        self._counts = counts or count_executor()
        # The largest page a list may ask for (a line whose queries have a default page, 2.x's,
        # keeps that default within it).
        self._max_page_size = max_page_size
        self._stat_max_rows = stat_max_rows
        self._stat_max_time = stat_max_time
        self._stat_timezone = _time_zone(stat_timezone)
        # Checked before any translation or database work.
        self.limits = limits
        self._clock = clock

    @property
    def max_page_size(self) -> int:
        """The largest page a list answers (MAX_PAGE_SIZE; the 2.x line's default page)."""
        return self._max_page_size

    def get(
        self,
        scope: Scope,
        job_task_id: str,
        only: Sequence[str] = (),
        *,
        timeout: float | None = None,
    ) -> JobTask:
        require(job_task_id=job_task_id, domain_id=scope.domain_id)
        check_only(only, self.limits)
        projection = build_projection(only)
        query = _scoped({"job_task_id": job_task_id}, scope)
        task = self._repository.find_one(query, projection, timeout=timeout)
        if task is None:
            raise _not_found(job_task_id, scope)
        return task

    def delete(self, scope: Scope, job_task_id: str, *, timeout: float | None = None) -> None:
        require(job_task_id=job_task_id, domain_id=scope.domain_id)
        query = _scoped({"job_task_id": job_task_id}, scope)
        if not self._repository.delete_one(query, timeout=timeout):
            raise _not_found(job_task_id, scope)

    def list(
        self, scope: Scope, request: ListRequest, *, timeout: float | None = None
    ) -> ListResult:
        require(domain_id=scope.domain_id)
        remaining = countdown(timeout)
        check_query(request.query, self.limits)
        plan = build_list_plan(
            request.query, equals=request.equals(), max_limit=self.max_page_size, now=self._clock()
        )
        match = _scoped(plan.filter, scope)
        find, count = _reading(self._repository, plan, match, remaining)

        if plan.find.limit and not plan.count_only:
            # A bounded page: its count runs beside its find (one round trip's wait instead of
            # two; docs/performance.md). Without a limit the total decides first whether the
            # page may be read at all, so it is counted before.
            # The deadline is read when the count starts, should it wait for a thread.
            counting = self._counts.submit(contextvars.copy_context().run, count)
            try:
                results = find()
            except BaseException:
                futures.wait([counting])
                raise
            return ListResult(results, counting.result())
        total_count = count()
        if plan.count_only:
            return ListResult([], total_count)
        if not plan.find.limit and total_count - plan.find.skip > self.max_page_size:
            # Without a limit SpaceONE returns everything; past the server's cap that is an
            # answer no client can receive, so say how to page instead of truncating silently.
            raise InvalidParameter(
                "query.page.limit",
                f"the query matches {total_count} tasks, more than the maximum page size "
                f"{self.max_page_size}: page through them with query.page.limit",
            )
        return ListResult(find(), total_count)

    def stat(
        self, scope: Scope, request: StatRequest, *, timeout: float | None = None
    ) -> StatResult:
        """One aggregation pipeline over the caller's domain; everything is checked first."""
        query = request.query
        if query is None:  # SpaceONE checks query first, then domain_id
            raise RequiredParameter("query")
        require(domain_id=scope.domain_id)
        if not query.aggregate and not query.distinct:
            raise RequiredParameter("aggregate")
        check_statistics_query(query, self.limits)
        timezone = _time_zone(request.timezone) if request.timezone else self._stat_timezone
        now = self._clock()
        match = _scoped(build_match(query, now=now), scope)
        plan = build_pipeline(
            query, match=match, timezone=timezone, max_rows=self._stat_max_rows, now=now
        )
        # The configured limit, shortened by the client's deadline when that is sooner.
        limit = self._stat_max_time if timeout is None else min(timeout, self._stat_max_time)
        documents = self._repository.aggregate(plan.pipeline, timeout=limit)
        return read_result(plan, documents)
