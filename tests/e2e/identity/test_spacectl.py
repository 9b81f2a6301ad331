"""spacectl 1.10.4.2 (the client tier's venv, unchanged), configured with a token SpaceONE identity
issued (`spacectl config set api_key <token>`, as its README says), listing, getting, stat-ing and
deleting through AUTH_MODE=spaceone; a project-scoped user's spacectl sees only its projects."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from tests.e2e.clients.conftest import spacectl_runner
from tests.e2e.identity.conftest import Service, Tenants

Spacectl = Callable[..., str]


def _spacectl(home: str, port: int, token: str) -> Spacectl:
    run = spacectl_runner("1.10", home)
    run("config", "init", "-e", "identity")
    run("config", "endpoint", "add", "inventory", f"grpc://127.0.0.1:{port}")
    run("config", "set", "api_key", token)
    return run


@pytest.fixture
def spacectl_of(
    identity: Tenants, service: Service, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Spacectl]:
    def make(user: str) -> Spacectl:
        home = str(tmp_path_factory.mktemp(f"home-{user}"))
        token = identity.first["owner_token"] if user == "owner" else identity.token(user)
        return _spacectl(home, service.grpc_port, token)

    return make


def _ids(out: str) -> set[str]:
    answer: dict[str, Any] = json.loads(out)
    return {t["job_task_id"] for t in answer.get("results", [])}


def test_spacectl_lists_gets_and_stats_with_identitys_token(
    identity: Tenants, spacectl_of: Callable[[str], Spacectl]
) -> None:
    spacectl = spacectl_of("admin")
    task = identity.tasks[0]["job_task_id"]
    count = {"query": {"aggregate": [{"count": {"name": "n"}}]}}

    listed = spacectl("list", "inventory.JobTask", "-o", "json")
    got = spacectl("get", "inventory.JobTask", "-p", f"job_task_id={task}", "-o", "json")
    stat = spacectl("stat", "inventory.JobTask", "-j", json.dumps(count), "-o", "json")

    assert _ids(listed) == {t["job_task_id"] for t in identity.tasks}
    assert json.loads(got)["job_task_id"] == task
    assert json.loads(stat)["results"] == [{"n": len(identity.tasks)}]


def test_spacectl_of_a_project_user_sees_only_its_projects(
    identity: Tenants, spacectl_of: Callable[[str], Spacectl]
) -> None:
    spacectl = spacectl_of("member")
    outside = identity.in_projects("c")[0]["job_task_id"]

    listed = spacectl("list", "inventory.JobTask", "-o", "json")
    got = spacectl("get", "inventory.JobTask", "-p", f"job_task_id={outside}")

    assert _ids(listed) == {t["job_task_id"] for t in identity.in_projects("a")}
    assert got.startswith("ERROR: Value not found. ")  # ERROR_NOT_FOUND, as for another domain


def test_spacectl_deletes_with_identitys_token(
    identity: Tenants, spacectl_of: Callable[[str], Spacectl]
) -> None:
    member, admin = spacectl_of("member"), spacectl_of("admin")
    mine = identity.in_projects("a")[-1]["job_task_id"]
    params = ["-p", f"job_task_id={mine}"]

    gone = member("exec", "delete", "inventory.JobTask", *params, "-o", "json")
    again = admin("get", "inventory.JobTask", *params)

    assert gone.strip() == ""  # an Empty answer
    assert again.startswith("ERROR: Value not found. ")
    identity.tasks = [t for t in identity.tasks if t["job_task_id"] != mine]
