"""The database under test, for the integration and end-to-end tiers (a pytest plugin that the root
conftest loads): mongo-java-server in memory, started once per session, or the MongoDB that
JOBTASK_TEST_MONGODB_URI names, and a database of its own for each test.

JOBTASK_TEST_DATABASE names what that MongoDB is (`make integration-realdb` sets both for the real
engine): a test marked `gap(database, reason)` skips on that database, or with `xfail=True` must
fail there (strict), so each known difference (docs/compatibility.md: the database-differences
table) is named once. `mongodb_uri` is the only way a test reaches the database under test: the
root conftest marks each test that uses it `database`, the tests the real engine's run selects.

JOBTASK_TEST_SHARDED=1 (`make integration-sharded`, on ../shared/realdb/shardeddb.sh): each test's
database holds its `job_task` collection sharded by `{domain_id: "hashed"}` (the operator's
`shardCollection` on the empty collection), and the settings say MONGODB_SHARDED=true.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Final, TypeVar

import pymongo
import pytest
from pydantic import SecretStr
from pymongo.collection import Collection

from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository, connect, connect_with
from jobtask.storage.sharding import SHARD_KEY
from tests.support.dataset import TASKS
from tests.support.processes import JAR, ROOT, start_database

# What JOBTASK_TEST_DATABASE may name: the emulator, the real engine (PostgreSQL + DocumentDB
# behind its MongoDB gateway: ../shared/realdb), MongoDB itself.
DATABASES: Final = ("mongo-java-server", "documentdb", "mongodb")

Document = dict[str, Any]
T = TypeVar("T")


def sharded() -> bool:
    """Whether each test database's collection is sharded (JOBTASK_TEST_SHARDED=1)."""
    return os.environ.get("JOBTASK_TEST_SHARDED", "") == "1"


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
def database_name(
    request: pytest.FixtureRequest, dropping: dict[str, pymongo.MongoClient[Document]]
) -> Iterator[str]:
    """A database of the test's own. When the test uses the database under test (`mongodb_uri`),
    the database is dropped afterwards, after every fixture that used its name (a server over it
    has stopped by then): a long-lived engine (../shared/realdb) keeps nothing of a run."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    uri = request.getfixturevalue("mongodb_uri") if "mongodb_uri" in request.fixturenames else None
    yield name
    if uri is not None:
        if uri not in dropping:
            dropping[uri] = pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000)
        drop_database(dropping[uri], name)


@pytest.fixture(scope="session")
def dropping() -> Iterator[dict[str, pymongo.MongoClient[Document]]]:
    """The clients that drop the tests' databases, one per URI, closed with the session."""
    clients: dict[str, pymongo.MongoClient[Document]] = {}
    yield clients
    for client in clients.values():
        client.close()


# Code 112: the sharded engine (Citus) sometimes picks a DDL statement (a drop, a shardCollection,
# a createIndexes) as the victim of a distributed deadlock when another test process creates or
# drops a sharded collection at the same moment.
_DEADLOCK: Final = 112


def _deadlocked(error: BaseException) -> bool:
    cause = error if isinstance(error, pymongo.errors.OperationFailure) else error.__cause__
    return isinstance(cause, pymongo.errors.OperationFailure) and cause.code == _DEADLOCK


def again_after_deadlock(call: Callable[[], T], attempts: int = 5) -> T:
    """`call()`; on the sharded engine, again after a distributed deadlock (for test DDL)."""
    for attempt in range(1, attempts):
        try:
            return call()
        except Exception as error:
            if not _deadlocked(error):
                raise
            time.sleep(0.2 * attempt)
    return call()


def drop_database(client: pymongo.MongoClient[Any], name: str) -> None:
    """Drop a test's database (again after a distributed deadlock)."""
    again_after_deadlock(lambda: client.drop_database(name))


def server_settings_for(uri: str, database: str, **overrides: Any) -> Settings:
    """The settings of a test's server over `database` (ephemeral ports, short waits)."""
    return Settings(
        **{
            "mongodb_uri": SecretStr(uri),
            "mongodb_database": database,
            "mongodb_sharded": sharded(),
            "grpc_host": "127.0.0.1",
            "grpc_port": 0,
            "grpc_workers": 4,
            "max_page_size": 50,
            "shutdown_grace_seconds": 2,
            "mongodb_server_selection_timeout_ms": 3000,
            **overrides,
        }
    )


@pytest.fixture
def settings(mongodb_uri: str, database_name: str) -> Iterator[Settings]:
    if not sharded():
        yield server_settings_for(mongodb_uri, database_name)
        return
    # The collection exists from the start, sharded: the database is dropped afterwards even
    # when the test never wrote to it.
    with pymongo.MongoClient[Document](mongodb_uri) as client:
        command = {"shardCollection": f"{database_name}.job_task", "key": SHARD_KEY}
        again_after_deadlock(lambda: client.admin.command(command))
        try:
            yield server_settings_for(mongodb_uri, database_name)
        finally:
            drop_database(client, database_name)


@pytest.fixture
def repository(settings: Settings) -> Iterator[MongoJobTaskRepository]:
    client, repository = connect_with(settings)
    again_after_deadlock(lambda: repository.ensure_indexes(sharded=settings.mongodb_sharded))
    yield repository
    try:
        drop_database(client, settings.mongodb_database)
    finally:
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
