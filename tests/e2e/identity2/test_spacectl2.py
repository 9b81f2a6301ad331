"""spacectl 2.0.10 (the client tier's .venv-clients/2.0, unchanged) with tokens SpaceONE identity
2.x issued as its `api_key` (an environment file imported with `spacectl config init -f`, as a
2.x console exports it), against a SPACEONE_API=2 process with AUTH_MODE=spaceone: each caller
sees its scope; the system token names its domain in the file's x_domain_id / x_workspace_id."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.clients.conftest import CLIENT_ENV, client_bin, spacectl_runner
from tests.e2e.identity.conftest import Service
from tests.e2e.identity2.conftest import Tenants2

# The first test starts identity 2.x and fills it (about 20 s, more on a busy machine).
pytestmark = pytest.mark.timeout(300)

Spacectl = Callable[..., str]


def configured(home: Path, service2: Service, api_key: str, **scope: str) -> Spacectl:
    """spacectl 2.0.10 in `home`, configured with the token and the scope (x_domain_id,
    x_workspace_id) in its environment file."""
    endpoints = {"inventory": f"grpc://127.0.0.1:{service2.grpc_port}"}
    (home / "identity2.yml").write_text(
        json.dumps({"api_key": api_key, "endpoints": endpoints, **scope})
    )
    run = spacectl_runner("2.0", str(home))
    run("config", "init", "-e", "identity2", "-f", str(home / "identity2.yml"))
    return run


@pytest.fixture
def spacectl_of(
    identity2: Tenants2, service2: Service, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Spacectl]:
    """(api_key, **scope) -> `configured` spacectl in a HOME of its own."""

    def make(api_key: str, **scope: str) -> Spacectl:
        return configured(tmp_path_factory.mktemp("home-spacectl2"), service2, api_key, **scope)

    return make


def ids(out: str) -> set[str]:
    """The ids spacectl printed as JSON (nothing at all when there are none)."""
    answer: dict[str, Any] = json.loads(out) if out.strip() else {}
    return {t["job_task_id"] for t in answer.get("results", [])}


def task_ids(tasks: list[dict[str, Any]]) -> set[str]:
    return {t["job_task_id"] for t in tasks}


@pytest.mark.parametrize(
    ("user", "where"),
    [("admin", None), ("member", ("one", "a"))],  # the other roles: over gRPC, quicker
)
def test_each_users_spacectl_lists_its_scope(
    identity2: Tenants2,
    spacectl_of: Callable[..., Spacectl],
    user: str,
    where: tuple[str, ...] | None,
) -> None:
    spacectl = spacectl_of(identity2.token(user))

    out = spacectl("list", "inventory.JobTask", "-s", "-created_at", "-l", "100", "-o", "json")

    assert ids(out) == task_ids(identity2.tasks if where is None else identity2.where(*where))


def test_an_apps_client_secret_as_api_key(
    identity2: Tenants2, spacectl_of: Callable[..., Spacectl]
) -> None:
    spacectl = spacectl_of(identity2.app("member"))

    out = spacectl("list", "inventory.JobTask", "-o", "json")

    assert ids(out) == task_ids(identity2.where("one", "a"))


def test_the_system_token_with_the_files_scope(
    identity2: Tenants2, spacectl_of: Callable[..., Spacectl]
) -> None:
    spacectl = spacectl_of(
        identity2.system_token,
        x_domain_id=identity2.domain_id,
        x_workspace_id=identity2.workspace("two"),
    )
    some = identity2.where("two")[0]["job_task_id"]

    listed = spacectl("list", "inventory.JobTask", "-o", "json")
    got = spacectl("get", "inventory.JobTask", "-p", f"job_task_id={some}", "-o", "json")

    assert ids(listed) == task_ids(identity2.where("two"))
    assert json.loads(got)["job_task_id"] == some


def test_a_user_without_a_role_is_refused_as_spacectl_shows_it(
    identity2: Tenants2, service2: Service, tmp_path: Path
) -> None:
    configured(tmp_path, service2, identity2.token("nobody"))

    done = subprocess.run(
        [str(client_bin("2.0", "spacectl")), "list", "inventory.JobTask"],
        capture_output=True,
        text=True,
        env={**CLIENT_ENV, "HOME": str(tmp_path)},
        timeout=50,
        check=False,
        stdin=subprocess.DEVNULL,
    )

    # spacectl 2.0.10 prints what core's client raised for PERMISSION_DENIED, and exits 0.
    assert done.stdout.strip() == "ERROR: Permission denied."
