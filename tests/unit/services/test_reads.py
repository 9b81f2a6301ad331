"""JobTaskService rules over mongomock: required parameters, domain scope, paging, keyword."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import mongomock
import pytest

from jobtask.errors import (
    InvalidParameter,
    NotFound,
    RequiredParameter,
    StorageTimeout,
    StorageUnavailable,
)
from jobtask.query.list_plan import keyword_condition
from jobtask.query.model import Condition, Page, Query, SortKey
from jobtask.scope import Scope
from jobtask.services.reads import JobTaskService, ListRequest
from jobtask.storage import MongoJobTaskRepository
from tests.support.dataset import DOMAIN, OTHER_DOMAIN, TASKS, ids, tasks_in

NOW = datetime(2023, 2, 1)


@pytest.fixture
def collection() -> Any:
    collection: Any = mongomock.MongoClient()["inventory"]["job_task"]
    collection.insert_many([dict(t) for t in TASKS])
    return collection


@pytest.fixture
def service(collection: Any) -> JobTaskService:
    return JobTaskService(MongoJobTaskRepository(collection), max_page_size=20, clock=lambda: NOW)


def _ids(result: Any) -> set[str]:
    return {t.job_task_id for t in result.results}


def test_get_is_scoped_to_the_domain(service: JobTaskService) -> None:
    assert service.get(Scope(OTHER_DOMAIN), "job_task-bbbb00000001").domain_id == OTHER_DOMAIN
    with pytest.raises(NotFound):
        service.get(Scope(DOMAIN), "job_task-bbbb00000001")


@pytest.mark.parametrize(
    ("job_task_id", "domain_id", "missing"),
    [("", DOMAIN, "job_task_id"), ("x", "", "domain_id"), ("", "", "job_task_id")],
)
def test_get_and_delete_report_the_first_missing_parameter(
    service: JobTaskService, job_task_id: str, domain_id: str, missing: str
) -> None:
    for call in (service.get, service.delete):
        with pytest.raises(RequiredParameter) as raised:
            call(Scope(domain_id), job_task_id)
        assert raised.value.key == missing


def test_delete_is_scoped_to_the_domain(service: JobTaskService, collection: Any) -> None:
    with pytest.raises(NotFound):
        service.delete(Scope(DOMAIN), "job_task-bbbb00000001")
    service.delete(Scope(OTHER_DOMAIN), "job_task-bbbb00000001")

    assert collection.count_documents({"job_task_id": "job_task-bbbb00000001"}) == 0


def test_list_requires_a_domain(service: JobTaskService) -> None:
    with pytest.raises(RequiredParameter):
        service.list(Scope(""), ListRequest())


def test_list_filter_or_cannot_widen_the_domain(service: JobTaskService) -> None:
    query = Query(
        filter_or=(Condition("domain_id", OTHER_DOMAIN, "eq"), Condition("status", "SUCCESS", "eq"))
    )

    result = service.list(Scope(DOMAIN), ListRequest(query))

    assert _ids(result) == ids([t for t in tasks_in() if t["status"] == "SUCCESS"])


def test_list_keyword_is_an_and_restriction(service: JobTaskService) -> None:
    query = Query(keyword="abcd 3f9c", filter_or=(Condition("status", "SUCCESS", "eq"),))

    result = service.list(Scope(DOMAIN), ListRequest(query))

    assert _ids(result) == set()  # no SUCCESS task's id contains either word


def test_keyword_splits_on_any_whitespace_and_ignores_blank() -> None:
    assert keyword_condition(" a\tb  c ") == Condition("job_task_id", ["a", "b", "c"], "contain_in")
    assert keyword_condition("   ") is None


def test_list_total_count_ignores_the_page(service: JobTaskService) -> None:
    result = service.list(Scope(DOMAIN), ListRequest(Query(page=Page(start=2, limit=3))))

    assert len(result.results) == 3
    assert result.total_count == len(tasks_in())


def test_list_start_without_limit_skips(service: JobTaskService) -> None:
    result = service.list(Scope(DOMAIN), ListRequest(Query(page=Page(start=3))))

    assert len(result.results) == len(tasks_in()) - 2


def test_list_limit_over_the_maximum_is_invalid(service: JobTaskService) -> None:
    with pytest.raises(InvalidParameter) as raised:
        service.list(Scope(DOMAIN), ListRequest(Query(page=Page(limit=21))))

    assert raised.value.key == "query.page.limit"


def test_list_validates_before_touching_the_database(collection: Any) -> None:
    class Unreachable(MongoJobTaskRepository):
        def count(self, *args: Any, **kwargs: Any) -> int:
            raise AssertionError("the database was queried")

    service = JobTaskService(Unreachable(collection), max_page_size=5)
    with pytest.raises(InvalidParameter):
        service.list(Scope(DOMAIN), ListRequest(Query(sort=(SortKey("nope"),))))


def test_list_top_level_status_filters(service: JobTaskService) -> None:
    from jobtask.domain import JobTaskStatus

    result = service.list(Scope(DOMAIN), ListRequest(filters={"status": JobTaskStatus.FAILURE}))

    assert _ids(result) == ids([t for t in tasks_in() if t["status"] == "FAILURE"])


class _SlowCount:
    """A repository whose count takes 50 ms and that records each operation's timeout."""

    def __init__(self) -> None:
        self.timeouts: list[float | None] = []

    def count(self, query: Any, *, timeout: float | None) -> int:
        self.timeouts.append(timeout)
        time.sleep(0.05)
        return 1

    def find(self, *args: Any, timeout: float | None, **kwargs: Any) -> list[Any]:
        self.timeouts.append(timeout)
        return []


def test_a_lists_count_and_page_share_one_deadline() -> None:
    """Without a limit the count comes first (it decides whether the page may be read)."""
    repository = _SlowCount()
    service = JobTaskService(repository, max_page_size=20)  # type: ignore[arg-type]

    service.list(Scope(DOMAIN), ListRequest(query=Query(page=Page())), timeout=10)

    counted, found = repository.timeouts
    assert counted is not None and found is not None
    # The page gets what the count left of the call's 10 s, not 10 s afresh.
    assert found <= counted - 0.05


class _Beside:
    """A repository whose count waits (up to `patience` s) for the page's find to begin, and whose
    operations may fail."""

    def __init__(
        self, *, count_fails: bool = False, find_fails: bool = False, patience: float = 5
    ) -> None:
        self.find_began = threading.Event()
        self._patience = patience
        self.count_saw_the_find: bool | None = None
        self.count_ended = threading.Event()
        self._count_fails, self._find_fails = count_fails, find_fails

    def count(self, query: Any, *, timeout: float | None) -> int:
        try:
            self.count_saw_the_find = self.find_began.wait(timeout=self._patience)
            if self._count_fails:
                raise StorageTimeout("the count ran past its time limit")
            return 7
        finally:
            self.count_ended.set()

    def find(self, *args: Any, timeout: float | None, **kwargs: Any) -> list[Any]:
        self.find_began.set()
        if self._find_fails:
            raise StorageUnavailable("the database is unreachable")
        return []


def test_a_bounded_pages_count_runs_beside_its_find() -> None:
    repository = _Beside()
    service = JobTaskService(repository, max_page_size=20)  # type: ignore[arg-type]

    result = service.list(Scope(DOMAIN), ListRequest(query=Query(page=Page(limit=5))))

    assert repository.count_saw_the_find is True
    assert result.total_count == 7


def test_a_failing_count_beside_the_find_fails_the_list() -> None:
    repository = _Beside(count_fails=True)
    service = JobTaskService(repository, max_page_size=20)  # type: ignore[arg-type]

    with pytest.raises(StorageTimeout):
        service.list(Scope(DOMAIN), ListRequest(query=Query(page=Page(limit=5))))


def test_a_failing_find_waits_for_the_count_beside_it() -> None:
    """The call ends after both operations, never leaving the count running behind it."""
    repository = _Beside(find_fails=True)
    service = JobTaskService(repository, max_page_size=20)  # type: ignore[arg-type]

    with pytest.raises(StorageUnavailable):
        service.list(Scope(DOMAIN), ListRequest(query=Query(page=Page(limit=5))))

    assert repository.count_ended.is_set()


def test_count_only_counts_alone() -> None:
    repository = _Beside(patience=0.1)
    service = JobTaskService(repository, max_page_size=20)  # type: ignore[arg-type]

    service.list(Scope(DOMAIN), ListRequest(query=Query(count_only=True, page=Page(limit=5))))

    assert repository.count_saw_the_find is False


def test_a_count_waiting_for_a_thread_gets_what_is_left_of_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The count's deadline is read when it starts, not when it was handed to the pool."""
    pool = ThreadPoolExecutor(1)
    freed = threading.Event()
    pool.submit(freed.wait, 5)  # the pool's one thread is busy until the find frees it
    timeouts: dict[str, float | None] = {}

    class Repository:
        def count(self, query: Any, *, timeout: float | None) -> int:
            timeouts["count"] = timeout
            return 0

        def find(self, *args: Any, timeout: float | None, **kwargs: Any) -> list[Any]:
            timeouts["find"] = timeout
            time.sleep(0.2)
            freed.set()
            return []

    service = JobTaskService(Repository(), max_page_size=20, counts=pool)  # type: ignore[arg-type]
    service.list(Scope(DOMAIN), ListRequest(query=Query(page=Page(limit=5))), timeout=10)
    pool.shutdown()

    counted, found = timeouts["count"], timeouts["find"]
    assert counted is not None and found is not None
    assert counted <= found - 0.2
