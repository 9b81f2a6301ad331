"""Each 2.x caller identity 2.x issues sees exactly its scope through list, filter, filter_or,
keyword, get, stat and delete on a SPACEONE_API=2 process: the expectations are computed from the
stored tasks with plain Python (`Tenants2.where`), never with the code under test."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Final

import grpc
import pymongo
import pytest
from tests.e2e.identity2.conftest import Tenants2, as_
from tests.e2e.identity2.test_identity2 import denied, ids, refused, task_ids
from tests.support.client_2x import JobTaskClient2x

# The first test starts identity 2.x and fills it (about 20 s, more on a busy machine).
pytestmark = pytest.mark.timeout(300)

Tasks = list[dict[str, Any]]


def _system_in_two(t: Tenants2) -> list[tuple[str, str]]:
    return as_(t.system_token, domain_id=t.domain_id, workspace_id=t.workspace("two"))


# Who calls (its metadata), and the tasks it may see.
CALLERS: Final[dict[str, tuple[Callable[[Tenants2], Any], Callable[[Tenants2], Tasks]]]] = {
    "DOMAIN_ADMIN": (lambda t: as_(t.token("admin")), lambda t: t.tasks),
    "WORKSPACE_OWNER": (lambda t: as_(t.token("owner")), lambda t: t.where("one")),
    "WORKSPACE_OWNER read-only": (lambda t: as_(t.token("reader")), lambda t: t.where("one")),
    "WORKSPACE_MEMBER of a": (lambda t: as_(t.token("member")), lambda t: t.where("one", "a")),
    "WORKSPACE_MEMBER of a group": (
        lambda t: as_(t.token("grouped")),
        lambda t: t.where("one", "a", "b"),
    ),
    "WORKSPACE_MEMBER of nothing": (lambda t: as_(t.token("bare")), lambda t: []),
    "app WORKSPACE_MEMBER of a": (lambda t: as_(t.app("member")), lambda t: t.where("one", "a")),
    "system token in workspace two": (_system_in_two, lambda t: t.where("two")),
}


@pytest.fixture(params=sorted(CALLERS))
def caller(request: pytest.FixtureRequest, identity2: Tenants2) -> tuple[Any, Tasks]:
    metadata, visible = CALLERS[request.param]
    return metadata(identity2), visible(identity2)


def test_list_shows_exactly_the_scope(jobtask2: JobTaskClient2x, caller: tuple[Any, Tasks]) -> None:
    metadata, visible = caller

    answer = jobtask2.list({}, metadata)

    assert ids(answer) == task_ids(visible)
    assert answer.get("total_count", 0) == len(visible)


def test_no_query_reaches_past_the_scope(
    identity2: Tenants2, jobtask2: JobTaskClient2x, caller: tuple[Any, Tasks]
) -> None:
    metadata, visible = caller
    two, c, d = identity2.workspace("two"), identity2.project("c"), identity2.project("d")
    every = {"k": "job_task_id", "v": "job_task", "o": "contain"}
    queries: list[tuple[dict[str, Any], Callable[[dict[str, Any]], bool]]] = [
        (
            {"filter": [{"k": "workspace_id", "v": two, "o": "eq"}]},
            lambda t: t["workspace_id"] == two,
        ),
        ({"filter": [{"k": "project_id", "v": c, "o": "eq"}]}, lambda t: t["project_id"] == c),
        (
            {"filter": [{"k": "project_id", "v": None, "o": "eq"}]},
            lambda t: t["project_id"] is None,
        ),
        (
            {
                "filter_or": [
                    {"k": "project_id", "v": c, "o": "eq"},
                    {"k": "project_id", "v": d, "o": "eq"},
                ]
            },
            lambda t: t["project_id"] in {c, d},
        ),
        ({"filter_or": [{"k": "workspace_id", "v": two, "o": "eq"}, every]}, lambda t: True),
        ({"keyword": "job_task"}, lambda t: True),
        (
            {"keyword": "job_task", "filter_or": [{"k": "project_id", "v": d, "o": "eq"}]},
            lambda t: t["project_id"] == d,
        ),
    ]

    for query, matches in queries:
        answer = jobtask2.list({"query": query}, metadata)
        assert ids(answer) == task_ids([t for t in visible if matches(t)]), query


def test_get_finds_exactly_the_scope(
    identity2: Tenants2, jobtask2: JobTaskClient2x, caller: tuple[Any, Tasks]
) -> None:
    metadata, visible = caller
    mine = task_ids(visible)

    for task in identity2.tasks:
        job_task_id = task["job_task_id"]
        if job_task_id in mine:
            assert (
                jobtask2.get({"job_task_id": job_task_id}, metadata)["job_task_id"] == job_task_id
            )
            continue
        code, details = refused(jobtask2.get, {"job_task_id": job_task_id}, metadata)
        assert code is grpc.StatusCode.NOT_FOUND, job_task_id
        assert details.startswith("ERROR_NOT_FOUND: ")


def test_stat_counts_exactly_the_scope(
    jobtask2: JobTaskClient2x, caller: tuple[Any, Tasks]
) -> None:
    metadata, visible = caller
    keys = [{"key": "workspace_id", "name": "w"}, {"key": "project_id", "name": "p"}]
    group = {"keys": keys, "fields": [{"operator": "count", "name": "n"}]}

    answer = jobtask2.stat({"query": {"aggregate": [{"group": group}]}}, metadata)

    expected: dict[tuple[str, str | None], int] = {}
    for task in visible:
        key = (task["workspace_id"], task["project_id"])
        expected[key] = expected.get(key, 0) + 1
    assert {(r["w"], r.get("p")): r["n"] for r in answer["results"]} == expected


@pytest.mark.parametrize(
    ("user", "project", "allowed"),
    [("member", "a", True), ("member", "c", False), ("grouped", "b", True), ("owner", "d", True)],
)
def test_a_named_project_must_be_one_of_the_tokens(
    identity2: Tenants2, jobtask2: JobTaskClient2x, user: str, project: str, allowed: bool
) -> None:
    request = {"project_id": identity2.project(project)}
    token = identity2.token(user)
    if not allowed:
        denied(jobtask2, "list", request, token)
        return

    visible = identity2.where("one") if user == "owner" else identity2.where("one", project)
    expected = [t for t in visible if t["project_id"] == identity2.project(project)]
    assert ids(jobtask2.list(request, as_(token))) == task_ids(expected)


# --- delete ---------------------------------------------------------------------------------


@pytest.fixture
def doomed(identity2: Tenants2, mongodb_uri: str) -> Iterator[dict[str, str]]:
    """Two more tasks, one in each workspace (project a, project d), for deleting."""
    made = {}
    documents = []
    for workspace, project in (("one", "a"), ("two", "d")):
        task = copy.deepcopy(identity2.tasks[0])
        task.pop("_id", None)
        task.update(
            job_task_id=f"job_task-{uuid.uuid4().hex[:12]}",
            workspace_id=identity2.workspace(workspace),
            project_id=identity2.project(project),
        )
        made[workspace] = task["job_task_id"]
        documents.append(task)
    with pymongo.MongoClient[dict[str, Any]](mongodb_uri) as mongo:
        collection = mongo[identity2.database]["job_task"]
        collection.insert_many(documents)
        yield made
        collection.delete_many({"job_task_id": {"$in": list(made.values())}})


def test_a_workspace_owner_deletes_in_its_workspace_only(
    identity2: Tenants2, jobtask2: JobTaskClient2x, doomed: dict[str, str]
) -> None:
    owner = as_(identity2.token("owner"))

    code, _ = refused(jobtask2.delete, {"job_task_id": doomed["two"]}, owner)
    assert code is grpc.StatusCode.NOT_FOUND
    assert jobtask2.delete({"job_task_id": doomed["one"]}, owner) == {}
    assert jobtask2.delete({"job_task_id": doomed["two"]}, as_(identity2.token("admin"))) == {}


@pytest.mark.parametrize("user", ["member", "grouped", "bare", "reader", "stranger", "nobody"])
def test_delete_is_denied_to_members_and_without_the_write_permission(
    identity2: Tenants2, jobtask2: JobTaskClient2x, doomed: dict[str, str], user: str
) -> None:
    denied(jobtask2, "delete", {"job_task_id": doomed["one"]}, identity2.token(user))

    assert jobtask2.get({"job_task_id": doomed["one"]}, as_(identity2.app("admin")))


def test_the_system_token_deletes_within_the_named_workspace(
    identity2: Tenants2, jobtask2: JobTaskClient2x, doomed: dict[str, str]
) -> None:
    in_one = as_(
        identity2.system_token,
        domain_id=identity2.domain_id,
        workspace_id=identity2.workspace("one"),
    )

    code, _ = refused(jobtask2.delete, {"job_task_id": doomed["two"]}, in_one)
    assert code is grpc.StatusCode.NOT_FOUND
    assert jobtask2.delete({"job_task_id": doomed["one"]}, in_one) == {}
    everywhere = as_(identity2.system_token, domain_id=identity2.domain_id)
    assert jobtask2.delete({"job_task_id": doomed["two"]}, everywhere) == {}
