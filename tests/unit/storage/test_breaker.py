"""Once the database could not be reached, operations fail at once until the driver sees a server
again."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.errors import AutoReconnect, OperationFailure, ServerSelectionTimeoutError

from jobtask.errors import JobTaskError, StorageUnavailable
from jobtask.storage import MongoJobTaskRepository
from jobtask.storage.breaker import Breaker

DOCUMENT = {"job_task_id": "job_task-1", "domain_id": "domain-1"}


class Topology:
    def __init__(self) -> None:
        self.server_known = True

    def has_writable_server(self) -> bool:
        return self.server_known


class Database:
    def __init__(self, collection: Collection) -> None:
        self.client = type("Client", (), {"topology_description": collection.topology})()
        self._collection = collection

    def command(self, name: str) -> dict[str, Any]:
        self._collection.attempts += 1
        self._collection.answer()
        return {"ok": 1}


class Collection:
    """A collection whose server can go away (selection times out) and come back."""

    def __init__(self) -> None:
        self.topology = Topology()
        self.attempts = 0
        self.error: Exception | None = None
        self.database = Database(self)

    def answer(self) -> None:
        if self.error is not None:
            raise self.error

    def find_one(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.attempts += 1
        self.answer()
        return DOCUMENT

    def go_away(self) -> None:
        self.error = ServerSelectionTimeoutError("No servers found yet")
        self.topology.server_known = False

    def come_back(self) -> None:
        self.error = None
        self.topology.server_known = True


def find(repository: MongoJobTaskRepository) -> Any:
    return repository.find_one(DOCUMENT, {"_id": 0}, timeout=None)


@pytest.fixture
def collection() -> Collection:
    return Collection()


@pytest.fixture
def repository(collection: Collection) -> MongoJobTaskRepository:
    return MongoJobTaskRepository(collection)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "failure",
    [ServerSelectionTimeoutError("No servers found yet"), AutoReconnect("connection reset")],
    ids=["a-timed-out-selection", "a-dropped-connection"],
)
def test_once_unreachable_calls_fail_without_asking_the_driver_again(
    collection: Collection, repository: MongoJobTaskRepository, failure: Exception
) -> None:
    collection.go_away()
    collection.error = failure
    with pytest.raises(StorageUnavailable):
        find(repository)
    assert collection.attempts == 1

    for _ in range(3):
        with pytest.raises(StorageUnavailable, match="fail at once"):
            find(repository)

    assert collection.attempts == 1


def test_calls_go_through_again_once_the_driver_knows_a_server(
    collection: Collection, repository: MongoJobTaskRepository
) -> None:
    collection.go_away()
    with pytest.raises(StorageUnavailable):
        find(repository)

    collection.come_back()

    assert find(repository) is not None
    assert collection.attempts == 2


def test_the_health_ping_always_asks_and_its_answer_reopens_the_way(
    collection: Collection, repository: MongoJobTaskRepository
) -> None:
    collection.go_away()
    with pytest.raises(StorageUnavailable):
        find(repository)
    with pytest.raises(StorageUnavailable):
        repository.ping(timeout=1)  # asked, not refused up front
    assert collection.attempts == 2

    collection.error = None  # the server answers before the driver's monitor has seen it
    repository.ping(timeout=1)

    assert find(repository) is not None
    assert collection.attempts == 4


@pytest.mark.parametrize(
    "error",
    [
        OperationFailure("boom", code=8000),
        ServerSelectionTimeoutError("gone"),
        AutoReconnect("connection reset by peer"),
    ],
    ids=["a-failed-command", "a-failed-selection", "a-dropped-connection"],
)
def test_while_the_driver_knows_a_server_nothing_is_refused_up_front(
    collection: Collection, repository: MongoJobTaskRepository, error: Exception
) -> None:
    collection.error = error  # the driver's monitor still (or again) knows a server
    with pytest.raises(JobTaskError):
        find(repository)

    collection.error = None

    assert find(repository) is not None
    assert collection.attempts == 2


# ---------------------------------------------------------------------------------------------
# The breaker on its own: no collection, a server the test says is known or not


def test_the_breaker_opens_on_an_unreachable_database_and_closes_when_a_server_is_known() -> None:
    known = [False]
    breaker = Breaker(lambda: known[0])
    ran: list[str] = []

    with pytest.raises(StorageUnavailable), breaker.reaching():
        raise ServerSelectionTimeoutError("No servers found yet")
    with pytest.raises(StorageUnavailable, match="fail at once"), breaker.reaching():
        ran.append("refused")  # never runs
    known[0] = True
    with breaker.reaching():
        ran.append("asked")

    assert ran == ["asked"]


def test_a_ping_that_answers_closes_the_breaker_while_no_server_is_known() -> None:
    breaker = Breaker(lambda: False)
    with pytest.raises(StorageUnavailable), breaker.noting():
        raise AutoReconnect("connection reset")

    breaker.reached()
    with breaker.reaching():
        pass


def test_a_rejection_leaves_the_breaker_closed() -> None:
    breaker = Breaker(lambda: False)
    with pytest.raises(JobTaskError), breaker.reaching():
        raise OperationFailure("bad regex", code=51091)

    with breaker.reaching():
        pass
