"""JobTaskService's list as an aggregation pipeline (core.v2's unwind and add_fields) over
mongomock: the page, its total, count_only, and the unwound element read back as a list of one.
(tests/integration/test_query_2x.py runs the same on the databases.)"""

from __future__ import annotations

from typing import Any

import mongomock
import pytest

from jobtask.errors import InvalidParameter
from jobtask.query.model import Page, Query, Unwind
from jobtask.scope import Scope
from jobtask.services.reads import JobTaskService, ListRequest
from jobtask.storage import MongoJobTaskRepository
from tests.support.dataset import DOMAIN, TASKS, tasks_in


@pytest.fixture
def service() -> JobTaskService:
    collection: Any = mongomock.MongoClient()["inventory"]["job_task"]
    collection.insert_many([dict(t) for t in TASKS])
    return JobTaskService(MongoJobTaskRepository(collection), max_page_size=20)


def _errors() -> int:
    return sum(len(t["errors"]) for t in tasks_in(DOMAIN))


def test_an_unwound_page_counts_every_row(service: JobTaskService) -> None:
    query = Query(unwind=Unwind("errors"), only=("errors",), page=Page(1, 2))

    result = service.list(Scope(DOMAIN), ListRequest(query=query))

    assert result.total_count == _errors() == 3
    assert [len(t.errors or ()) for t in result.results] == [1, 1]


def test_an_unwound_count_only_reads_no_row(service: JobTaskService) -> None:
    query = Query(unwind=Unwind("errors"), only=("errors",), count_only=True)

    result = service.list(Scope(DOMAIN), ListRequest(query=query))

    assert (result.results, result.total_count) == ([], _errors())


def test_an_unpaged_unwind_is_counted_first(service: JobTaskService) -> None:
    query = Query(unwind=Unwind("errors"), only=("job_task_id",))

    result = service.list(Scope(DOMAIN), ListRequest(query=query))

    assert (len(result.results), result.total_count) == (3, 3)


def test_add_fields_is_counted_as_a_find(service: JobTaskService) -> None:
    query = Query(add_fields={"provider": "fixed"}, page=Page(1, 3))

    result = service.list(Scope(DOMAIN), ListRequest(query=query))

    assert result.total_count == len(tasks_in(DOMAIN))
    assert [t.provider for t in result.results] == ["fixed"] * 3


def test_the_add_fields_limits_are_the_querys(service: JobTaskService) -> None:
    deep: Any = "x"
    for _ in range(10):
        deep = [deep]

    with pytest.raises(InvalidParameter) as raised:
        service.list(Scope(DOMAIN), ListRequest(query=Query(add_fields={"provider": deep})))

    assert raised.value.key == "query.add_fields.provider"
