"""MONGODB_SHARDED: the indexes of a collection sharded by {domain_id: "hashed"}.

MongoDB refuses a unique index on a sharded collection unless the shard key is its prefix (and
DocumentDB on Citus keeps one unique per shard only), so there the unique index is
{domain_id: 1, job_task_id: 1}, instead of SpaceONE's `job_task_id_1` (docs/scale-out.md). On the
emulator and the single-node engine: the index set the service asks for, and that it keeps
job_task_id unique within a domain; in the sharded tier (`make integration-sharded`) the same on
a sharded collection (and tests/integration/test_sharded.py across shards).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pymongo
import pytest

from jobtask.domain import JobTask, StoredTask
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository
from jobtask.storage.indexes import INDEXES, SHARDED_INDEXES
from tests.support.database import drop_database

UNIQUE_KEY = [("domain_id", 1), ("job_task_id", 1)]


@pytest.fixture
def sharded_collection(settings: Settings) -> Iterator[pymongo.collection.Collection[Any]]:
    with pymongo.MongoClient[dict[str, Any]](settings.mongodb_uri.get_secret_value()) as client:
        yield client[settings.mongodb_database]["job_task"]
        drop_database(client, settings.mongodb_database)


def _unique_keys(collection: pymongo.collection.Collection[Any]) -> list[list[tuple[str, Any]]]:
    return [
        [(field, int(order)) for field, order in index["key"]]
        for index in collection.index_information().values()
        if index.get("unique")
    ]


def test_the_sharded_layout_has_only_the_shard_keys_unique_index(
    sharded_collection: pymongo.collection.Collection[Any],
) -> None:
    names = MongoJobTaskRepository(sharded_collection).ensure_indexes(sharded=True)

    assert "job_task_id_1" not in names
    assert _unique_keys(sharded_collection) == [UNIQUE_KEY]
    # Every other index has domain_id as its prefix, as each shard serves its part of a domain.
    assert {str(i.document["name"]) for i in SHARDED_INDEXES} <= set(names)
    assert all(next(iter(i.document["key"])) == "domain_id" for i in SHARDED_INDEXES)


def test_the_default_layout_is_spaceones(
    sharded_collection: pymongo.collection.Collection[Any],
) -> None:
    names = MongoJobTaskRepository(sharded_collection).ensure_indexes()

    assert set(names) == {str(i.document["name"]) for i in INDEXES}
    assert _unique_keys(sharded_collection) == [[("job_task_id", 1)]]


def test_a_job_task_id_stays_unique_within_its_domain(
    sharded_collection: pymongo.collection.Collection[Any],
) -> None:
    repository = MongoJobTaskRepository(sharded_collection)
    repository.ensure_indexes(sharded=True)

    def document(domain: str) -> StoredTask:
        return StoredTask(
            JobTask(job_task_id="job_task-000000000001", domain_id=domain, job_id="job-1")
        )

    assert repository.insert(document("domain-a"), timeout=10) is True
    assert repository.insert(document("domain-a"), timeout=10) is False  # a retried create
    # Another domain may hold the same id: no query of this service reaches across domains.
    assert repository.insert(document("domain-b"), timeout=10) is True
