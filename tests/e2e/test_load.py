"""A short load run against `python -m jobtask`: 8 clients (2 processes x 4 threads) for 3 s of
mixed get, list, stat and writer calls, and not one error. `make reliability` runs 64 for 30 s."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pymongo
import pytest

from jobtask.demo import demo_documents
from tests.support.load import LoadPlan, run_load
from tests.support.processes import (
    SERVING,
    free_port,
    server_environment,
    start_server,
    wait_health,
)

TASKS = 2000
DOMAINS = 3


@pytest.fixture
def address(mongodb_uri: str, database_name: str) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    documents = list(demo_documents(TASKS, domains=DOMAINS, seed=3))
    with pymongo.MongoClient[dict[str, Any]](mongodb_uri) as client:
        client[database_name]["job_task"].insert_many(documents)
        port = free_port()
        server = start_server(server_environment(mongodb_uri, database_name, port))
        try:
            wait_health(port, SERVING, timeout=30)
            known = [(d["domain_id"], d["job_task_id"]) for d in documents]
            yield f"127.0.0.1:{port}", random.Random(1).sample(known, 200)
            server.terminate()
            assert server.wait(timeout=20) == 0
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
            client.drop_database(database_name)


def test_eight_clients_for_three_seconds_see_no_errors(
    address: tuple[str, list[tuple[str, str]]],
) -> None:
    target, known = address
    plan = LoadPlan(target, processes=2, threads=4, seconds=3, known=tuple(known))

    result = run_load(plan)

    assert result.errors() == {}
    kinds = {call.kind for call in result.calls}
    assert kinds >= {"get", "list", "stat", "create", "start", "report"}
    assert len(result.calls) >= 100
    assert result.created, "the writer acknowledged creates"
