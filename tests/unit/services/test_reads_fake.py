"""JobTaskService over a small fake of its read port (service.TaskReads), no database, no mongomock:
the service's own rules (the caller's domain in every filter, NotFound, count_only, the page cap,
one deadline for a list's count and page, stat's time limit), told by what the port was asked."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import pytest

from jobtask.domain import FindSpec, JobTask, JobTaskStatus
from jobtask.errors import InvalidParameter, NotFound
from jobtask.query.model import Page, Query
from jobtask.query.stat_model import StatisticsQuery
from jobtask.scope import Scope
from jobtask.services.reads import JobTaskService, ListRequest, StatRequest, TaskReads

DOMAIN = "domain-000000000001"
OTHER = "domain-000000000002"
NOW = datetime(2024, 5, 1)


@dataclass
class Asked:
    operation: str
    query: Mapping[str, Any]
    timeout: float | None
    window: tuple[int, int] | None = None


@dataclass
class FakeReads:
    """Tasks in a list, answering the plain equalities (`$in`, `$and`) of the filters it gets; any
    other operator fails the test (the tests below send none). Remembers every question."""

    tasks: list[JobTask]
    asked: list[Asked] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def _matching(self, query: Mapping[str, Any]) -> list[JobTask]:
        return [t for t in self.tasks if all(_holds(t, k, v) for k, v in query.items())]

    def find_one(
        self, query: Mapping[str, Any], projection: Mapping[str, int], *, timeout: float | None
    ) -> JobTask | None:
        self.asked.append(Asked("find_one", query, timeout))
        return next(iter(self._matching(query)), None)

    def find(
        self, query: Mapping[str, Any], page: FindSpec, *, timeout: float | None
    ) -> list[JobTask]:
        self.asked.append(Asked("find", query, timeout, (page.skip, page.limit)))
        matching = self._matching(query)[page.skip :]
        return matching[: page.limit] if page.limit else matching

    def count(self, query: Mapping[str, Any], *, timeout: float | None) -> int:
        self.asked.append(Asked("count", query, timeout))
        return len(self._matching(query))

    def delete_one(self, query: Mapping[str, Any], *, timeout: float | None) -> bool:
        self.asked.append(Asked("delete_one", query, timeout))
        matching = self._matching(query)
        if matching:
            self.tasks.remove(matching[0])
        return bool(matching)

    def aggregate(
        self, pipeline: Sequence[Mapping[str, Any]], *, timeout: float | None
    ) -> list[dict[str, Any]]:
        self.asked.append(Asked("aggregate", pipeline[0]["$match"], timeout))
        return self.rows


def _holds(task: JobTask, key: str, wanted: Any) -> bool:
    if key == "$and":
        return all(_holds(task, k, v) for part in wanted for k, v in part.items())
    value = getattr(task, key)
    if isinstance(wanted, Mapping):
        if set(wanted) != {"$in"}:
            raise AssertionError(f"the fake answers equalities and $in only, not {wanted}")
        return value in wanted["$in"]
    return bool(value == wanted)


def tasks(domain_id: str, count: int) -> Iterable[JobTask]:
    return (
        JobTask(
            job_task_id=f"job_task-{domain_id[-1]}{n:011d}",
            domain_id=domain_id,
            status=JobTaskStatus.SUCCESS if n % 2 else JobTaskStatus.FAILURE,
        )
        for n in range(count)
    )


@pytest.fixture
def reads() -> FakeReads:
    return FakeReads([*tasks(DOMAIN, 5), *tasks(OTHER, 3)])


@pytest.fixture
def service(reads: FakeReads) -> JobTaskService:
    port: TaskReads = reads
    return JobTaskService(port, max_page_size=4, stat_max_time=2.5, clock=lambda: NOW)


def test_get_asks_within_the_callers_domain(service: JobTaskService, reads: FakeReads) -> None:
    theirs = next(t for t in reads.tasks if t.domain_id == OTHER)
    assert theirs.job_task_id is not None

    with pytest.raises(NotFound):
        service.get(Scope(DOMAIN), theirs.job_task_id)

    assert service.get(Scope(OTHER), theirs.job_task_id) == theirs
    assert [a.query.get("domain_id") for a in reads.asked] == [DOMAIN, OTHER]


def test_delete_of_another_domains_task_is_not_found_and_keeps_it(
    service: JobTaskService, reads: FakeReads
) -> None:
    theirs = next(t for t in reads.tasks if t.domain_id == OTHER)
    assert theirs.job_task_id is not None

    with pytest.raises(NotFound):
        service.delete(Scope(DOMAIN), theirs.job_task_id)
    assert theirs in reads.tasks

    service.delete(Scope(OTHER), theirs.job_task_id)
    assert theirs not in reads.tasks


def test_count_only_counts_and_reads_no_page(service: JobTaskService, reads: FakeReads) -> None:
    result = service.list(Scope(DOMAIN), ListRequest(Query(count_only=True)))

    assert (result.results, result.total_count) == ([], 5)
    assert [a.operation for a in reads.asked] == ["count"]


def test_a_list_without_a_limit_past_the_page_cap_is_refused_before_any_page(
    service: JobTaskService, reads: FakeReads
) -> None:
    with pytest.raises(InvalidParameter) as raised:
        service.list(Scope(DOMAIN), ListRequest())

    assert raised.value.key == "query.page.limit"
    assert [a.operation for a in reads.asked] == ["count"]


def test_a_list_within_the_cap_needs_no_limit(service: JobTaskService, reads: FakeReads) -> None:
    result = service.list(Scope(OTHER), ListRequest())

    assert result.total_count == 3
    assert {t.domain_id for t in result.results} == {OTHER}
    assert reads.asked[-1].window == (0, 0)


def test_a_page_is_asked_from_its_1_based_start(service: JobTaskService, reads: FakeReads) -> None:
    result = service.list(Scope(DOMAIN), ListRequest(Query(page=Page(start=2, limit=3))))

    assert result.total_count == 5
    # The count runs beside the find (on another thread): either may be asked first.
    assert [a.window for a in reads.asked if a.operation == "find"] == [(1, 3)]
    assert len(result.results) == 3


def test_the_equality_filters_and_the_domain_are_in_both_questions(
    service: JobTaskService, reads: FakeReads
) -> None:
    result = service.list(
        Scope(DOMAIN), ListRequest(Query(page=Page(limit=4)), {"status": JobTaskStatus.FAILURE})
    )

    assert {t.status for t in result.results} == {JobTaskStatus.FAILURE}
    assert result.total_count == 3  # n = 0, 2, 4
    for asked in reads.asked:
        assert (asked.query["domain_id"], asked.query["status"]) == (DOMAIN, "FAILURE")


def test_a_lists_count_and_page_share_the_calls_deadline(
    service: JobTaskService, reads: FakeReads
) -> None:
    # Without a limit the count comes first (a bounded page's runs beside its find).
    service.list(Scope(OTHER), ListRequest(Query(page=Page())), timeout=10)

    counted, paged = (a.timeout for a in reads.asked)
    assert counted is not None and paged is not None
    assert paged <= counted <= 10


@pytest.mark.parametrize(("timeout", "limit"), [(None, 2.5), (30.0, 2.5), (1.0, 1.0)])
def test_stat_runs_within_the_smaller_of_its_limit_and_the_deadline(
    service: JobTaskService, reads: FakeReads, timeout: float | None, limit: float
) -> None:
    query = StatisticsQuery(distinct="provider")

    service.stat(Scope(DOMAIN), StatRequest(query), timeout=timeout)

    (asked,) = reads.asked
    assert asked.timeout == limit
    assert asked.query == {"domain_id": DOMAIN}


SCOPED_CALLS: Final = {
    "get": lambda s, scope: s.get(scope, "job_task-x"),
    "delete": lambda s, scope: s.delete(scope, "job_task-x"),
    "list": lambda s, scope: s.list(scope, ListRequest(Query(page=Page(limit=2)))),
    "list-unbounded": lambda s, scope: s.list(scope, ListRequest(filters={"provider": "aws"})),
    "stat": lambda s, scope: s.stat(scope, StatRequest(StatisticsQuery(distinct="status"))),
}


@pytest.mark.parametrize(
    ("scope", "scoped"),
    [
        (Scope(DOMAIN), {"domain_id": DOMAIN}),
        (Scope(DOMAIN, workspace_id="ws-1"), {"domain_id": DOMAIN, "workspace_id": "ws-1"}),
        (
            Scope(DOMAIN, frozenset({"p2", "p1"}), workspace_id="ws-1"),
            {"domain_id": DOMAIN, "workspace_id": "ws-1", "project_id": {"$in": ["p1", "p2"]}},
        ),
        (Scope(DOMAIN, frozenset({"p1"})), {"domain_id": DOMAIN, "project_id": {"$in": ["p1"]}}),
        (
            Scope(DOMAIN, workspace_id=""),
            {"domain_id": DOMAIN, "workspace_id": {"$in": [None, ""]}},
        ),
    ],
    ids=["domain", "workspace", "member", "projects", "no-workspace"],
)
@pytest.mark.parametrize("call", list(SCOPED_CALLS))
def test_every_rpc_asks_within_the_whole_scope(
    service: JobTaskService, reads: FakeReads, scope: Scope, scoped: dict[str, Any], call: str
) -> None:
    """The domain, the workspace and the projects, each in every question an rpc asks."""
    with contextlib.suppress(NotFound):  # get and delete of a task not there
        SCOPED_CALLS[call](service, scope)

    assert reads.asked
    for asked in reads.asked:
        assert {k: asked.query[k] for k in scoped if k in asked.query} == scoped, asked
        assert set(asked.query) - set(scoped) <= {"job_task_id", "provider"}, asked


def test_a_request_workspace_beside_a_workspace_scope_is_anded(
    service: JobTaskService, reads: FakeReads
) -> None:
    """Both constrain workspace_id: the scope and the filter are both kept ($and)."""
    service.list(Scope(DOMAIN, workspace_id="ws-1"), ListRequest(filters={"workspace_id": "ws-2"}))

    assert reads.asked[0].query == {
        "$and": [{"domain_id": DOMAIN, "workspace_id": "ws-1"}, {"workspace_id": "ws-2"}]
    }
