"""The database under test, for the integration and end-to-end tiers (a pytest plugin that the root
conftest loads): mongo-java-server in memory, started once per session, or the MongoDB that
JOBTASK_TEST_MONGODB_URI names, and a database of its own for each test.

JOBTASK_TEST_DATABASE names what that MongoDB is (`make integration-realdb` sets both for the real
engine): a test marked `gap(database, reason)` skips on that database, or with `xfail=True` must
fail there (strict), so each known difference (README: the database-differences table) is named
once. `mongodb_uri` is the only way a test reaches the database under test: the root conftest
marks each test that uses it `database`, the tests the real engine's run selects.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any, Final

import pymongo
import pytest
from pydantic import SecretStr
from pymongo.collection import Collection

from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository, connect, connect_with
from tests.support.dataset import TASKS
from tests.support.processes import JAR, ROOT, start_database

# What JOBTASK_TEST_DATABASE may name: the emulator, the real engine (PostgreSQL + DocumentDB
# behind its MongoDB gateway: ../shared/realdb), MongoDB itself.
DATABASES: Final = ("mongo-java-server", "documentdb", "mongodb")

Document = dict[str, Any]


def database_under_test() -> str:
    """The database the integration tests run on: named, else the emulator unless a URI is set."""
    named = os.environ.get("JOBTASK_TEST_DATABASE", "")
    if named:
        if named not in DATABASES:
            raise pytest.UsageError(f"JOBTASK_TEST_DATABASE={named!r}: one of {DATABASES}")
        return named
    return "mongodb" if os.environ.get("JOBTASK_TEST_MONGODB_URI") else "mongo-java-server"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    database = database_under_test()
    for item in items:
        for gap in item.iter_markers("gap"):
            named, reason = gap.args
            if named not in DATABASES:
                raise pytest.UsageError(f"{item.nodeid}: gap on unknown database {named!r}")
            if named != database:
                continue
            if gap.kwargs.get("xfail"):
                item.add_marker(pytest.mark.xfail(reason=f"{named} {reason}", strict=True))
            else:
                item.add_marker(pytest.mark.skip(reason=f"{named} {reason}"))


@pytest.fixture(scope="session")
def mongodb_uri() -> Iterator[str]:
    """The in-memory dev server, started once per session and stopped with it."""
    if uri := os.environ.get("JOBTASK_TEST_MONGODB_URI"):
        yield uri
        return
    if not JAR.exists():
        subprocess.run([str(ROOT / "tools" / "devdb" / "devdb.sh"), "build"], check=True)
    database = start_database()
    try:
        yield database.uri
    finally:
        database.stop()


@pytest.fixture
def database_name() -> str:
    return f"test_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def settings(mongodb_uri: str, database_name: str) -> Settings:
    return Settings(
        mongodb_uri=SecretStr(mongodb_uri),
        mongodb_database=database_name,
        grpc_host="127.0.0.1",
        grpc_port=0,
        grpc_workers=4,
        max_page_size=50,
        shutdown_grace_seconds=2,
        mongodb_server_selection_timeout_ms=3000,
    )


@pytest.fixture
def repository(settings: Settings) -> Iterator[MongoJobTaskRepository]:
    client, repository = connect_with(settings)
    repository.ensure_indexes()
    yield repository
    client.drop_database(settings.mongodb_database)
    client.close()


@pytest.fixture
def unreachable_repository() -> Iterator[MongoJobTaskRepository]:
    """A repository over a database that is not there (port 9), giving up after 500 ms."""
    client, repository = connect(
        "mongodb://127.0.0.1:9",
        "x",
        connect_timeout_ms=500,
        server_selection_timeout_ms=500,
        operation_timeout_ms=2000,
        max_pool_size=2,
    )
    yield repository
    client.close()


@pytest.fixture
def raw_collection(
    settings: Settings, repository: MongoJobTaskRepository
) -> Iterator[Collection[Document]]:
    """The job_task collection through a plain driver client, to seed and inspect storage."""
    with pymongo.MongoClient[Document](settings.mongodb_uri.get_secret_value()) as client:
        yield client[settings.mongodb_database]["job_task"]


@pytest.fixture
def seeded(raw_collection: Collection[Document]) -> Collection[Document]:
    raw_collection.insert_many([dict(task) for task in TASKS])
    return raw_collection
