"""A project-scoped caller (a Scope with projects, AUTH_MODE=spaceone) sees only its projects' tasks
through every rpc of the service, whatever it filters on; every other caller, its whole domain."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from jobtask.query.model import Condition, Query
from jobtask.query.stat_model import AggregateCount, StatisticsQuery
from jobtask.scope import Scope
from jobtask.services.reads import JobTaskService, ListRequest, StatRequest
from tests.support.dataset import DOMAIN, TASKS
from tests.support.scoped import assert_out_of_reach, service_holding

MINE, OTHER = "project-aaaaaaaaaaaa", "project-cccccccccccc"


def _tasks() -> list[dict[str, Any]]:
    tasks = []
    for index, task in enumerate(TASKS):
        copied = copy.deepcopy(task)
        copied.update(domain_id=DOMAIN, project_id=[MINE, OTHER, None][index % 3])
        tasks.append(copied)
    return tasks


TENANT = _tasks()
MY_IDS = {t["job_task_id"] for t in TENANT if t["project_id"] == MINE}
OTHER_ID = next(t["job_task_id"] for t in TENANT if t["project_id"] == OTHER)


@pytest.fixture
def service() -> JobTaskService:
    return service_holding(TENANT)


MY_SCOPE = Scope(DOMAIN, frozenset({MINE}))
WHOLE_DOMAIN = Scope(DOMAIN)


def _ids(service: JobTaskService, query: Query, scope: Scope = WHOLE_DOMAIN) -> set[str | None]:
    return {t.job_task_id for t in service.list(scope, ListRequest(query)).results}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (Query(), MY_IDS),
        (Query(filter=(Condition("project_id", OTHER, "eq"),)), set()),
        (Query(filter=(Condition("project_id", None, "eq"),)), set()),
        (
            Query(
                filter_or=(
                    Condition("project_id", OTHER, "eq"),
                    Condition("job_task_id", "job", "contain"),
                )
            ),
            MY_IDS,
        ),
        (Query(keyword="job_task"), MY_IDS),
    ],
)
def test_list_sees_only_the_projects(
    service: JobTaskService, query: Query, expected: set[str]
) -> None:
    assert _ids(service, query, MY_SCOPE) == expected


def test_without_a_scope_the_whole_domain_is_seen(service: JobTaskService) -> None:
    assert _ids(service, Query()) == {t["job_task_id"] for t in TENANT}


def test_no_projects_see_nothing(service: JobTaskService) -> None:
    assert _ids(service, Query(), Scope(DOMAIN, frozenset())) == set()


def test_get_and_delete_outside_the_projects_are_not_found(service: JobTaskService) -> None:
    assert_out_of_reach(service, MY_SCOPE, OTHER_ID)
    assert service.get(WHOLE_DOMAIN, OTHER_ID).job_task_id == OTHER_ID


def test_stat_counts_only_the_projects(service: JobTaskService) -> None:
    query = StatisticsQuery(aggregate=(AggregateCount("n"),))

    result = service.stat(MY_SCOPE, StatRequest(query))

    assert result.results == [{"n": len(MY_IDS)}]
