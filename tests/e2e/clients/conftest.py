"""The real-client tier: SpaceONE's own clients, unchanged, against `python -m jobtask`.

Each client stack lives in its own venv (`make clients`: .venv-clients/1.10 and 1.12, pinned by
requirements/clients/) and runs in its own python through a subprocess; pytest only asserts. The
server is a real process on the in-memory dev database (or JOBTASK_TEST_MONGODB_URI), seeded with
tests/support/dataset.py, from which every expectation is computed.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pymongo
import pytest

from tests.support.dataset import TASKS
from tests.support.processes import (
    ROOT,
    SERVING,
    free_port,
    server_environment,
    start_server,
    wait_health,
)

LINES = ("1.10", "1.12")  # requirements/clients/<line>.txt
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


def deletable_id(index: int) -> str:
    return f"job_task-de1e7e{index:06x}"


def deletable_tasks() -> list[dict[str, Any]]:
    """Copies of the first task in a domain of their own, one for each run that deletes."""
    tasks = []
    for index in range(8):
        task = copy.deepcopy(TASKS[0])
        task.update(job_task_id=deletable_id(index), domain_id=DELETE_DOMAIN)
        tasks.append(task)
    return tasks


@pytest.fixture(scope="session")
def server_port(mongodb_uri: str) -> Iterator[int]:
    """`python -m jobtask` on a free port over a seeded database; its port."""
    name = f"test_clients_{uuid.uuid4().hex[:12]}"
    with pymongo.MongoClient[dict[str, Any]](mongodb_uri) as mongo:
        mongo[name]["job_task"].insert_many([dict(t) for t in TASKS] + deletable_tasks())
    port = free_port()
    server = start_server(server_environment(mongodb_uri, name, port))
    try:
        wait_health(port, SERVING, timeout=30)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=20)
        with pymongo.MongoClient[dict[str, Any]](mongodb_uri) as mongo:
            mongo.drop_database(name)


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
