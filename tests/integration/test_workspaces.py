"""Workspaces on the database under test: tasks created by the writer with SpaceONE 2.x's
workspace_id (and a 1.x document stored without one), read and deleted by the service for
workspace-scoped callers (a Scope with workspace_id, and with projects: a 2.x WORKSPACE_MEMBER).
A workspace-scoped caller never reads, counts or deletes another workspace's task, whatever its
query says; the index (domain_id, workspace_id, project_id) is there."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any, Final

import pymongo
import pytest
from pymongo.collection import Collection

from jobtask.demo import demo_documents
from jobtask.query.model import Condition, Page, Query
from jobtask.query.stat_model import (
    AggregateCount,
    AggregateGroup,
    AggregateGroupKey,
    StatisticsQuery,
)
from jobtask.scope import Scope
from jobtask.services.collector import JobTaskWriter, NewTask, WriterLimits
from jobtask.services.reads import JobTaskService, ListRequest, StatRequest
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository
from tests.support.explain import Finds
from tests.support.scoped import assert_out_of_reach

DOMAIN: Final = "domain-workspace0001"
OTHER_DOMAIN: Final = "domain-workspace0002"
HERE, THERE = "workspace-here", "workspace-there"
MINE, OTHER = "project-mine", "project-other"
# (job_task_id, domain, workspace, project); "" no workspace.
TASKS: Final = (
    ("job_task-000000000001", DOMAIN, HERE, MINE),
    ("job_task-000000000002", DOMAIN, HERE, OTHER),
    ("job_task-000000000003", DOMAIN, THERE, MINE),
    ("job_task-000000000004", DOMAIN, THERE, OTHER),
    ("job_task-000000000005", DOMAIN, "", MINE),
    ("job_task-000000000006", OTHER_DOMAIN, HERE, MINE),
)
OLD_1X: Final = "job_task-000000000007"  # stored by SpaceONE 1.x: no workspace_id at all


def _ids(domain: str, workspace: str | None = None, project: str | None = None) -> set[str]:
    return {
        task_id
        for task_id, d, w, p in (*TASKS, (OLD_1X, DOMAIN, "", MINE))
        if d == domain and workspace in (None, w) and project in (None, p)
    }


WORKSPACE: Final = Scope(DOMAIN, workspace_id=HERE)
MEMBER: Final = Scope(DOMAIN, frozenset({MINE}), workspace_id=HERE)


@pytest.fixture
def service(
    repository: MongoJobTaskRepository, raw_collection: Collection[dict[str, Any]]
) -> JobTaskService:
    writer = JobTaskWriter(repository, limits=WriterLimits(), clock=lambda: datetime.now(UTC))
    for task_id, domain, workspace, project in TASKS:
        writer.create(
            NewTask(
                domain_id=domain,
                job_id="job-000000000001",
                others={"project_id": project, "workspace_id": workspace},
                job_task_id=task_id,
            )
        )
    raw_collection.insert_one(
        {
            "job_task_id": OLD_1X,
            "status": "PENDING",
            "job_id": "job-000000000001",
            "project_id": MINE,
            "domain_id": DOMAIN,
            "created_at": datetime(2023, 1, 5),
        }
    )
    return JobTaskService(repository, max_page_size=50)


def _listed(
    service: JobTaskService, scope: Scope, query: Query | None = None, **filters: str
) -> set[str | None]:
    result = service.list(scope, ListRequest(query or Query(), filters))
    ids = {task.job_task_id for task in result.results}
    assert result.total_count == len(ids)
    return ids


ESCAPES: Final = (
    Query(),
    Query(filter=(Condition("workspace_id", THERE, "eq"),)),
    Query(filter_or=(Condition("workspace_id", THERE, "eq"), Condition("domain_id", DOMAIN, "eq"))),
    Query(filter_or=(Condition("workspace_id", [THERE, None], "in"),)),
    Query(keyword="job_task", page=Page(limit=3)),
)


@pytest.mark.parametrize("query", ESCAPES, ids=["all", "eq", "or", "in", "keyword-page"])
def test_a_workspace_scoped_list_never_reads_another_workspace(
    service: JobTaskService, query: Query
) -> None:
    for scope, allowed in ((WORKSPACE, _ids(DOMAIN, HERE)), (MEMBER, _ids(DOMAIN, HERE, MINE))):
        assert _listed(service, scope, query=query) <= allowed


def test_a_workspace_scoped_list_reads_all_of_its_workspace(service: JobTaskService) -> None:
    assert _listed(service, WORKSPACE) == _ids(DOMAIN, HERE)
    assert _listed(service, MEMBER) == _ids(DOMAIN, HERE, MINE)
    assert _listed(service, WORKSPACE, workspace_id=THERE) == set()
    # The whole domain (a 2.x DOMAIN_ADMIN): workspace_id is an ordinary filter there.
    assert _listed(service, Scope(DOMAIN), workspace_id=THERE) == _ids(DOMAIN, THERE)
    # Tasks of no workspace: created without one, and 1.x's own documents.
    assert _listed(service, Scope(DOMAIN, workspace_id="")) == _ids(DOMAIN, "")


def test_a_workspace_scoped_stat_counts_only_its_workspace(service: JobTaskService) -> None:
    query = StatisticsQuery(
        aggregate=(
            AggregateGroup(keys=(AggregateGroupKey("workspace_id", "workspace"),)),
            AggregateCount("n"),
        ),
        filter_or=(Condition("workspace_id", THERE, "eq"), Condition("workspace_id", HERE, "eq")),
    )

    for scope in (WORKSPACE, MEMBER):
        assert service.stat(scope, StatRequest(query)).results == [{"n": 1}]


def test_get_and_delete_never_reach_another_workspace(service: JobTaskService) -> None:
    for task_id in _ids(DOMAIN) - _ids(DOMAIN, HERE):
        for scope in (WORKSPACE, MEMBER):
            assert_out_of_reach(service, scope, task_id)
    # A member's projects apply to get and delete too.
    assert_out_of_reach(service, MEMBER, next(iter(_ids(DOMAIN, HERE, OTHER))))
    # Nothing of the domain was deleted.
    assert _listed(service, Scope(DOMAIN)) == _ids(DOMAIN)


def test_get_and_delete_within_the_workspace(service: JobTaskService) -> None:
    mine = next(iter(_ids(DOMAIN, HERE, MINE)))

    assert service.get(MEMBER, mine).workspace_id == HERE
    service.delete(MEMBER, mine)

    assert _listed(service, Scope(DOMAIN)) == _ids(DOMAIN) - {mine}
    assert service.get(Scope(OTHER_DOMAIN, workspace_id=HERE), "job_task-000000000006")


def test_the_workspace_index_is_spaceone_2x_models(
    service: JobTaskService, raw_collection: Collection[dict[str, Any]]
) -> None:
    index = raw_collection.index_information()["domain_id_1_workspace_id_1_project_id_1"]

    assert [(key, int(order)) for key, order in index["key"]] == [
        ("domain_id", 1),
        ("workspace_id", 1),
        ("project_id", 1),
    ]


def _indexes_scanned(plan: Any) -> set[str]:
    if isinstance(plan, dict):
        found = {str(plan["indexName"])} if plan.get("stage") == "IXSCAN" else set()
        return found.union(*(_indexes_scanned(v) for v in plan.values()))
    if isinstance(plan, list):
        return set().union(*(_indexes_scanned(v) for v in plan))
    return set()


@pytest.mark.gap("mongo-java-server", "has no explain command (and ignores these indexes)")
@pytest.mark.parametrize("scope", [WORKSPACE, MEMBER], ids=["workspace", "member"])
def test_a_workspace_scoped_page_is_planned_over_the_workspace_index(
    settings: Settings, raw_collection: Collection[dict[str, Any]], scope: Scope
) -> None:
    rng = random.Random(5)
    documents = list(demo_documents(2000, domains=4, seed=5))
    for document in documents:
        document.update(domain_id=DOMAIN, workspace_id=rng.choice((HERE, THERE, "w3", "w4")))
    raw_collection.insert_many(documents)
    finds = Finds()
    uri = settings.mongodb_uri.get_secret_value()
    with pymongo.MongoClient[dict[str, Any]](uri, event_listeners=[finds]) as client:
        collection = client[settings.mongodb_database]["job_task"]
        service = JobTaskService(MongoJobTaskRepository(collection), max_page_size=50)
        service.list(scope, ListRequest(Query(page=Page(limit=20))))
        (sent,) = finds.sent
        command = {k: sent[k] for k in ("find", "filter", "sort", "limit")}
        plan = client[settings.mongodb_database].command("explain", command)

    assert _indexes_scanned(plan) == {"domain_id_1_workspace_id_1_project_id_1"}
