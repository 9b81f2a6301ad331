"""A workspace-scoped caller (a Scope with workspace_id, the SpaceONE 2.x line) reads and deletes
only its workspace's tasks through every rpc, whatever it filters on; with projects too (a 2.x
WORKSPACE_MEMBER), only those of its projects in its workspace, get and delete included. Tasks
stored without a workspace (every 1.x document) belong to none."""

from __future__ import annotations

import copy
from typing import Any, Final

import pytest

from jobtask.errors import NotFound
from jobtask.query.model import Condition, Query
from jobtask.query.stat_model import AggregateCount, StatisticsQuery
from jobtask.scope import Scope
from jobtask.services.reads import JobTaskService, ListRequest, StatRequest
from tests.support.dataset import DOMAIN, TASKS
from tests.support.scoped import assert_out_of_reach, service_holding

HERE, THERE = "workspace-aaaaaaaaaaaa", "workspace-bbbbbbbbbbbb"
MINE, OTHER = "project-aaaaaaaaaaaa", "project-cccccccccccc"
# A 1.x document has no workspace_id; ours store null when a create names none.
_WORKSPACES: Final = (HERE, THERE, "absent", None, HERE, "")


def _tasks() -> list[dict[str, Any]]:
    tasks = []
    for index, task in enumerate(TASKS):
        copied = copy.deepcopy(task)
        copied.update(domain_id=DOMAIN, project_id=[MINE, OTHER, MINE][index % 3])
        workspace = _WORKSPACES[index % len(_WORKSPACES)]
        if workspace != "absent":
            copied["workspace_id"] = workspace
        tasks.append(copied)
    return tasks


TENANT: Final = _tasks()


def _ids_where(workspaces: tuple[str | None, ...], project: str | None = None) -> set[str]:
    return {
        t["job_task_id"]
        for t in TENANT
        if t.get("workspace_id", "absent") in workspaces and project in (None, t["project_id"])
    }


HERE_IDS: Final = _ids_where((HERE,))
HERE_MINE_IDS: Final = _ids_where((HERE,), MINE)
NONE_IDS: Final = _ids_where(("absent", None, ""))
THERE_ID: Final = next(t["job_task_id"] for t in TENANT if t.get("workspace_id") == THERE)
HERE_OTHER_ID: Final = next(
    t["job_task_id"] for t in TENANT if t.get("workspace_id") == HERE and t["project_id"] == OTHER
)

WORKSPACE: Final = Scope(DOMAIN, workspace_id=HERE)
MEMBER: Final = Scope(DOMAIN, frozenset({MINE}), workspace_id=HERE)
WHOLE_DOMAIN: Final = Scope(DOMAIN)


@pytest.fixture
def service() -> JobTaskService:
    return service_holding(TENANT)


def _ids(service: JobTaskService, request: ListRequest, scope: Scope) -> set[str | None]:
    return {t.job_task_id for t in service.list(scope, request).results}


def test_the_data_set_has_every_kind_of_task() -> None:
    assert HERE_MINE_IDS and HERE_IDS - HERE_MINE_IDS and NONE_IDS and THERE_ID


@pytest.mark.parametrize(
    "query",
    [
        Query(),
        Query(filter=(Condition("workspace_id", THERE, "eq"),)),
        Query(filter=(Condition("workspace_id", None, "eq"),)),
        Query(
            filter_or=(
                Condition("workspace_id", THERE, "eq"),
                Condition("job_task_id", "job", "contain"),
            )
        ),
        Query(keyword="job_task"),
    ],
    ids=["all", "filter-another", "filter-none", "filter-or", "keyword"],
)
def test_list_sees_only_the_workspace(service: JobTaskService, query: Query) -> None:
    seen = _ids(service, ListRequest(query), WORKSPACE)

    assert seen <= HERE_IDS
    assert seen == (HERE_IDS if query.filter_or or not query.filter else set())
    assert _ids(service, ListRequest(query), MEMBER) == seen & HERE_MINE_IDS


def test_the_request_workspace_filter_only_narrows_a_workspace_scope(
    service: JobTaskService,
) -> None:
    here, there = (ListRequest(filters={"workspace_id": w}) for w in (HERE, THERE))
    assert _ids(service, there, WORKSPACE) == set()
    assert _ids(service, here, WORKSPACE) == HERE_IDS
    # Without a workspace scope (a 2.x DOMAIN_ADMIN) it is an ordinary filter.
    assert _ids(service, there, WHOLE_DOMAIN) == _ids_where((THERE,))
    assert _ids(service, ListRequest(), WHOLE_DOMAIN) == {t["job_task_id"] for t in TENANT}


def test_an_empty_workspace_is_the_tasks_of_none(service: JobTaskService) -> None:
    assert _ids(service, ListRequest(), Scope(DOMAIN, workspace_id="")) == NONE_IDS


def test_get_and_delete_outside_the_workspace_are_not_found(service: JobTaskService) -> None:
    for scope in (WORKSPACE, MEMBER):
        assert_out_of_reach(service, scope, THERE_ID)
    assert service.get(WHOLE_DOMAIN, THERE_ID).job_task_id == THERE_ID


def test_a_members_projects_apply_to_get_and_delete(service: JobTaskService) -> None:
    """The 2.x reference's get returns any task of the workspace to a member: ours does not."""
    assert_out_of_reach(service, MEMBER, HERE_OTHER_ID)
    assert service.get(WORKSPACE, HERE_OTHER_ID).job_task_id == HERE_OTHER_ID
    mine = sorted(HERE_MINE_IDS)[0]
    assert service.get(MEMBER, mine).job_task_id == mine
    service.delete(MEMBER, mine)
    assert_out_of_reach(service, WORKSPACE, mine)


def test_a_member_without_projects_reaches_nothing(service: JobTaskService) -> None:
    """The 2.x reference's member without projects sees nothing in list and stat, yet gets any
    task of its workspace: ours reaches nothing through any rpc."""
    nobody = Scope(DOMAIN, frozenset(), workspace_id=HERE)

    assert _ids(service, ListRequest(), nobody) == set()
    counted = service.stat(nobody, StatRequest(StatisticsQuery(aggregate=(AggregateCount("n"),))))
    assert counted.results == [{"n": 0}]
    for task_id in HERE_IDS:
        assert_out_of_reach(service, nobody, task_id)


def test_delete_within_the_workspace_leaves_the_others(service: JobTaskService) -> None:
    service.delete(WORKSPACE, HERE_OTHER_ID)

    assert service.get(WHOLE_DOMAIN, THERE_ID).job_task_id == THERE_ID
    assert _ids(service, ListRequest(), WORKSPACE) == HERE_IDS - {HERE_OTHER_ID}


def test_not_found_names_the_workspace_without_tuples(service: JobTaskService) -> None:
    with pytest.raises(NotFound) as missed:
        service.get(MEMBER, THERE_ID)

    assert missed.value.message == (
        f"Resource cannot be found or access is denied. (job_task_id = '{THERE_ID}', "
        f"domain_id = '{DOMAIN}', "
        f"workspace_id = '{HERE}')"
    )
    assert missed.value.looked_up == {
        "job_task_id": THERE_ID,
        "domain_id": DOMAIN,
        "workspace_id": HERE,
    }


def test_not_found_without_a_workspace_keeps_spaceone_1x_message() -> None:
    error = NotFound({"job_task_id": "t", "domain_id": "d"})

    assert error.message == "Value not found. (('job_task_id', 'domain_id') = ('t', 'd'))"
    assert error.plain == (
        "Resource cannot be found or access is denied. (job_task_id = 't', domain_id = 'd')"
    )


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (WORKSPACE, HERE_IDS),
        (MEMBER, HERE_MINE_IDS),
        (WHOLE_DOMAIN, {t["job_task_id"] for t in TENANT}),
    ],
    ids=["workspace", "member", "domain"],
)
def test_stat_counts_only_the_scope(
    service: JobTaskService, scope: Scope, expected: set[str]
) -> None:
    query = StatisticsQuery(
        aggregate=(AggregateCount("n"),),
        filter_or=(
            Condition("workspace_id", THERE, "eq"),
            Condition("workspace_id", HERE, "eq"),
            Condition("workspace_id", None, "eq"),
            Condition("workspace_id", "", "eq"),
        ),
    )

    result = service.stat(scope, StatRequest(query))

    assert result.results == [{"n": len(expected)}]
