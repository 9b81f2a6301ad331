"""The real-client tier: SpaceONE's own clients, unchanged, against `python -m jobtask`.

Each client stack lives in its own venv (`make clients`: .venv-clients/1.10, 1.12 and 2.0, pinned
by requirements/clients/) and runs in its own python through a subprocess; pytest only asserts. The
servers are real processes on the in-memory dev database (or JOBTASK_TEST_MONGODB_URI), one per line
for the whole session: the 1.x one (`server_port`) seeded with tests/support/dataset.py, the 2.x one
(`server_2x_port`, SPACEONE_API=2) with the same tasks placed in two workspaces
(`expected.STORED_2X`). Every expectation is computed from the stored documents.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import pymongo
import pytest

from tests.e2e.clients import expected as x
from tests.support.dataset import DOMAIN, TASKS
from tests.support.processes import (
    ROOT,
    SERVING,
    free_port,
    server_environment,
    start_server,
    wait_health,
)

LINES = ("1.10", "1.12")  # requirements/clients/<line>.txt
LINE_2X = "2.0"  # requirements/clients/2.0.txt: the 2.x line's clients, one venv
DELETE_DOMAIN = (
    "domain-cccccccccccc"  # tasks the tier deletes, one per client run, out of the dataset
)
DRIVER = Path(__file__).parent / "driver.py"
# What the clients see: no deprecation chatter from their old stacks on stderr.
CLIENT_ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}


def client_bin(line: str, program: str) -> Path:
    """A program of the line's client venv; fails (never skips) when `make clients` has not run."""
    path = ROOT / ".venv-clients" / line / "bin" / program
    if not (ROOT / ".venv-clients" / line / ".installed").exists() or not path.exists():
        pytest.fail(f"{path} is missing: run `make clients` (make test builds it)")
    return path


def spacectl_runner(line: str, home: str) -> Callable[..., str]:
    """spacectl of the line in a HOME of its own: runs it with the given arguments, asserts it
    exited 0, returns its stdout."""
    program = client_bin(line, "spacectl")
    environment = {**CLIENT_ENV, "HOME": home}

    def run(*args: str) -> str:
        done = subprocess.run(
            [str(program), *args],
            capture_output=True,
            text=True,
            env=environment,
            timeout=50,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    return run


Spacectl = Callable[..., str]
# The 2.x scopes spacectl is configured with: its environment file's x_domain_id / x_workspace_id.
SCOPES_2X: Final[dict[str, dict[str, str]]] = {
    "domain": {"x_domain_id": DOMAIN},
    "workspace": {"x_domain_id": DOMAIN, "x_workspace_id": x.WORKSPACE},
    "deleting": {"x_domain_id": DELETE_DOMAIN, "x_workspace_id": x.WORKSPACE},
    "nobody": {},
}


@pytest.fixture(scope="session")
def spacectls(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mongodb_uri: str
) -> Callable[..., Spacectl]:
    """(line, scope="domain") -> spacectl of the line, configured for its line's server in a HOME
    of its own, made once, when first asked; it returns its stdout.

    1.x: `spacectl config init` and `config endpoint add inventory grpc://…`, as its README says
    (a 1.x request names its domain). 2.x: the scope (SCOPES_2X) is the environment file's
    x_domain_id / x_workspace_id, which spacectl 2.x sends as metadata: the file, with
    `endpoints.inventory`, is imported with `spacectl config init -e jobtask -f <file>` (JSON,
    which is YAML).

    A line's server starts when its spacectl is first asked for; `mongodb_uri` is named here so
    that the tests using spacectl are marked `database` (tests/conftest.py) as they reach it.
    """
    made: dict[tuple[str, str], Spacectl] = {}

    def spacectl(line: str, scope: str = "domain") -> Spacectl:
        if (line, scope) in made:
            return made[line, scope]
        home = tmp_path_factory.mktemp(f"home-{line}-{scope}")
        run = spacectl_runner(line, str(home))
        if line == LINE_2X:
            port = request.getfixturevalue("server_2x_port")
            environment = {"endpoints": {"inventory": f"grpc://127.0.0.1:{port}"}}
            (home / "jobtask.yml").write_text(json.dumps({**environment, **SCOPES_2X[scope]}))
            run("config", "init", "-e", "jobtask", "-f", str(home / "jobtask.yml"))
        else:
            port = request.getfixturevalue("server_port")
            run("config", "init", "-e", "jobtask")
            added = run("config", "endpoint", "add", "inventory", f"grpc://127.0.0.1:{port}")
            assert "endpoint has been added" in added
        made[line, scope] = run
        return run

    return spacectl


def presto_table(text: str) -> tuple[list[dict[str, str]], str]:
    """spacectl's table (tabulate's presto format) as rows of stripped cells, and the text after
    it (the count line)."""
    lines = text.rstrip("\n").split("\n")
    header = [cell.strip() for cell in lines[0].split("|")]
    assert set(lines[1]) <= {"-", "+"}, lines[1]
    rows, rest = [], lines[2:]
    while rest and rest[0].strip():
        rows.append(dict(zip(header, (c.strip() for c in rest.pop(0).split("|")), strict=True)))
    return rows, "\n".join(r for r in rest if r.strip()).strip()


def deletable_id(index: int) -> str:
    return f"job_task-de1e7e{index:06x}"


def deletable_tasks(workspace_id: str | None = None) -> list[dict[str, Any]]:
    """Copies of the first task in a domain of their own, one for each run that deletes (in
    `workspace_id` when given)."""
    tasks = []
    for index in range(8):
        task = copy.deepcopy(TASKS[0])
        task.update(job_task_id=deletable_id(index), domain_id=DELETE_DOMAIN)
        if workspace_id is not None:
            task["workspace_id"] = workspace_id
        tasks.append(task)
    return tasks


def kept_task() -> dict[str, Any]:
    """A task of DELETE_DOMAIN in OTHER_WORKSPACE, which WORKSPACE's callers cannot delete."""
    task = copy.deepcopy(TASKS[0])
    task.update(
        job_task_id=deletable_id(8), domain_id=DELETE_DOMAIN, workspace_id=x.OTHER_WORKSPACE
    )
    return task


@contextmanager
def _serving(mongodb_uri: str, tasks: list[dict[str, Any]], **overrides: str) -> Iterator[int]:
    """`python -m jobtask` on a free port over a database of its own holding `tasks`; its port."""
    name = f"test_clients_{uuid.uuid4().hex[:12]}"
    with pymongo.MongoClient[dict[str, Any]](mongodb_uri) as mongo:
        mongo[name]["job_task"].insert_many(copy.deepcopy(tasks))
    port = free_port()
    server = start_server(server_environment(mongodb_uri, name, port, **overrides))
    try:
        wait_health(port, SERVING, timeout=30)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=20)
        with pymongo.MongoClient[dict[str, Any]](mongodb_uri) as mongo:
            mongo.drop_database(name)


@pytest.fixture(scope="session")
def server_port(mongodb_uri: str) -> Iterator[int]:
    """The 1.x line's server over the dataset; its port."""
    with _serving(mongodb_uri, TASKS + deletable_tasks()) as port:
        yield port


@pytest.fixture(scope="session")
def server_2x_port(mongodb_uri: str) -> Iterator[int]:
    """The 2.x line's server (SPACEONE_API=2, no authentication: the scope is the caller's
    x_domain_id / x_workspace_id metadata) over `expected.STORED_2X`, DELETE_DOMAIN's tasks in
    WORKSPACE and one more there in OTHER_WORKSPACE (`kept_task`); its port."""
    tasks = x.STORED_2X + deletable_tasks(x.WORKSPACE) + [kept_task()]
    with _serving(mongodb_uri, tasks, SPACEONE_API="2") as port:
        yield port


def run_driver(line: str, plan: dict[str, Any]) -> dict[str, Any]:
    """tests/e2e/clients/driver.py in the line's client venv: the plan in, the answers out."""
    done = subprocess.run(
        [str(client_bin(line, "python")), str(DRIVER)],
        input=json.dumps(plan),
        capture_output=True,
        text=True,
        env=CLIENT_ENV,
        cwd=DRIVER.parent,
        timeout=50,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result
