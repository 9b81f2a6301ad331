"""The operator's shard-collection step over mongomock: what it refuses, the order of its steps,
idempotence. (The real `shardCollection` and routing: tests/integration/test_sharded.py.)"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any
from unittest import mock

import mongomock
import pytest

from jobtask import __main__ as entry
from jobtask.errors import FailedPrecondition
from jobtask.storage import INDEXES, MongoJobTaskRepository
from jobtask.storage.sharding import SHARD_KEY

NAMESPACE = "inventory.job_task"


@pytest.fixture
def client() -> mongomock.MongoClient:
    return mongomock.MongoClient()


@pytest.fixture
def commands() -> Iterator[list[dict[str, Any]]]:
    """The admin commands sent (mongomock has no shardCollection)."""
    sent: list[dict[str, Any]] = []
    with mock.patch.object(
        mongomock.Database, "command", lambda _db, command, **_: sent.append(command)
    ):
        yield sent


def _repository(client: mongomock.MongoClient) -> MongoJobTaskRepository:
    return MongoJobTaskRepository(client["inventory"]["job_task"])


def _unique(client: mongomock.MongoClient) -> list[Any]:
    information = client["inventory"]["job_task"].index_information()
    return [list(index["key"]) for index in information.values() if index.get("unique")]


def test_an_empty_collection_gets_the_sharded_indexes_then_is_sharded(
    client: mongomock.MongoClient, commands: list[dict[str, Any]]
) -> None:
    done = _repository(client).shard_collection()

    assert commands == [{"shardCollection": NAMESPACE, "key": SHARD_KEY}]
    assert _unique(client) == [[("domain_id", 1), ("job_task_id", 1)]]
    assert "domain_id_hashed" in client["inventory"]["job_task"].index_information()
    assert done[-1] == f"sharded {NAMESPACE} by {SHARD_KEY}"


def test_spaceones_global_index_is_refused_and_nothing_changes(
    client: mongomock.MongoClient, commands: list[dict[str, Any]]
) -> None:
    client["inventory"]["job_task"].create_indexes(list(INDEXES))
    before = client["inventory"]["job_task"].index_information()

    with pytest.raises(FailedPrecondition) as refused:
        _repository(client).shard_collection()

    assert "job_task_id_1" in str(refused.value)
    assert "--replace-spaceone-index" in str(refused.value)
    assert client["inventory"]["job_task"].index_information() == before
    assert commands == []


def test_replacing_spaceones_index_creates_the_new_unique_one_first(
    client: mongomock.MongoClient, commands: list[dict[str, Any]]
) -> None:
    client["inventory"]["job_task"].create_indexes(list(INDEXES))

    done = _repository(client).shard_collection(replace_spaceone_index=True)

    assert _unique(client) == [[("domain_id", 1), ("job_task_id", 1)]]
    assert [step.split(" ")[0] for step in done] == ["indexes:", "dropped", "sharded"]
    assert len(commands) == 1


def test_another_unique_index_is_refused_even_when_replacing(
    client: mongomock.MongoClient, commands: list[dict[str, Any]]
) -> None:
    client["inventory"]["job_task"].create_index("job_id", unique=True)

    with pytest.raises(FailedPrecondition, match="job_id_1"):
        _repository(client).shard_collection(replace_spaceone_index=True)
    assert commands == []


def test_a_collection_sharded_by_this_key_is_left_as_it_is(
    client: mongomock.MongoClient, commands: list[dict[str, Any]]
) -> None:
    client["config"]["collections"].insert_one({"_id": NAMESPACE, "key": SHARD_KEY})

    done = _repository(client).shard_collection()

    assert commands == []
    assert done[-1] == f"{NAMESPACE} was sharded by {SHARD_KEY} already"


def test_a_collection_sharded_by_another_key_is_an_error_naming_it(
    client: mongomock.MongoClient, commands: list[dict[str, Any]]
) -> None:
    other = {"job_task_id": "hashed"}
    client["config"]["collections"].insert_one({"_id": NAMESPACE, "key": other})

    with pytest.raises(
        FailedPrecondition, match=re.escape("sharded by {'job_task_id': 'hashed'} already")
    ):
        _repository(client).shard_collection()
    assert commands == []


def test_the_entry_prints_each_step_or_the_refusal(
    client: mongomock.MongoClient,
    commands: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MONGODB_DATABASE", "inventory")
    monkeypatch.setattr(entry, "connect_with", lambda _settings: (client, _repository(client)))
    client["inventory"]["job_task"].create_indexes(list(INDEXES))
    monkeypatch.setattr(sys, "argv", ["jobtask", "shard-collection"])

    assert entry.main() == 1
    assert "jobtask: " in capsys.readouterr().err

    assert entry.shard_collection(["--replace-spaceone-index"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1] == f"jobtask: sharded {NAMESPACE} by {SHARD_KEY}"
    with pytest.raises(SystemExit):
        entry.shard_collection(["--no-such-option"])
