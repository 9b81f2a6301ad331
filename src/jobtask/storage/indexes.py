"""The collection's indexes and the TTL index of the retention: what start-up creates
(INDEX_MANAGEMENT=create), and brings in line when this instance owns them (=owner)."""

from __future__ import annotations

import logging
from typing import Any, Final

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.errors import OperationFailure

from jobtask.domain import INDEX_KEYS

log = logging.getLogger("jobtask.storage")

# The queries people run are always within one domain: by time, job, status, provider, account...
_SCOPED_INDEXES: Final[tuple[IndexModel, ...]] = (
    # Serves the default order (newest first) with the tie-breaker, so a page is an index walk.
    IndexModel(
        [("domain_id", ASCENDING), ("created_at", DESCENDING), ("job_task_id", DESCENDING)],
        name="domain_id_1_created_at_-1_job_task_id_-1",
    ),
    # One per indexed field (domain.INDEX_KEYS): (domain_id, field), or for workspace_id
    # SpaceONE 2.x's (domain_id, workspace_id, project_id).
    *(
        IndexModel(
            [("domain_id", ASCENDING), *((key, ASCENDING) for key in keys)],
            name="_".join(f"{key}_1" for key in ("domain_id", *keys)),
        )
        for keys in INDEX_KEYS
    ),
)
# SpaceONE's: job_task_id unique across domains.
INDEXES: Final[tuple[IndexModel, ...]] = (
    IndexModel([("job_task_id", ASCENDING)], unique=True, name="job_task_id_1"),
    *_SCOPED_INDEXES,
)
# On a collection sharded by {domain_id: "hashed"} (MONGODB_SHARDED, storage.sharding): a unique
# index is enforced across shards only when the shard key prefixes it (MongoDB refuses to create
# job_task_id_1 there; DocumentDB on Citus accepts it and enforces it per shard), so the unique
# index is {domain_id: 1, job_task_id: 1}: job_task_id is unique within a domain, which is all any
# query can see (docs/scale-out.md).
SHARDED_INDEXES: Final[tuple[IndexModel, ...]] = (
    IndexModel(
        [("domain_id", ASCENDING), ("job_task_id", ASCENDING)],
        unique=True,
        name="domain_id_1_job_task_id_1",
    ),
    *_SCOPED_INDEXES,
)

TTL_INDEX: Final[str] = "finished_at_ttl"

# IndexOptionsConflict, IndexKeySpecsConflict; IndexNotFound.
_INDEX_CONFLICT_CODES: Final[frozenset[int]] = frozenset({85, 86})
_INDEX_NOT_FOUND: Final = 27


def ensure_indexes(
    collection: Collection[dict[str, Any]],
    options: dict[str, Any],
    *,
    retention_days: int | None,
    owner: bool,
    sharded: bool = False,
) -> list[str]:
    """Create the missing indexes (with the operation's `options`, maxTimeMS); the names of those
    there afterwards. Driver errors are the caller's to translate. See
    MongoJobTaskRepository.ensure_indexes."""
    names = collection.create_indexes(list(SHARDED_INDEXES if sharded else INDEXES), **options)
    existing = collection.index_information().get(TTL_INDEX)
    seconds = None if retention_days is None else retention_days * 86_400
    if existing is None and seconds is not None:
        _create_ttl(collection, seconds)
    elif existing is not None and existing.get("expireAfterSeconds") != seconds:
        if not owner:
            log.warning(
                "the TTL index %s expires tasks after %s s, not after this instance's "
                "JOB_TASK_RETENTION_DAYS (%s): left as it is (only INDEX_MANAGEMENT=owner "
                "changes it)",
                TTL_INDEX,
                existing.get("expireAfterSeconds"),
                retention_days,
            )
        elif seconds is None:
            _drop_ttl(collection)
        else:
            collection.database.command(
                "collMod",
                collection.name,
                index={"name": TTL_INDEX, "expireAfterSeconds": seconds},
            )
    present = seconds is not None or (existing is not None and not owner)
    return [*names, TTL_INDEX] if present else names


def _create_ttl(collection: Collection[dict[str, Any]], seconds: int) -> None:
    try:
        collection.create_index(
            [("finished_at", DESCENDING)], name=TTL_INDEX, expireAfterSeconds=seconds
        )
    except OperationFailure as error:
        # Another replica created it at the same moment with another retention.
        if error.code not in _INDEX_CONFLICT_CODES:
            raise
        log.warning("the TTL index %s was created meanwhile by another instance", TTL_INDEX)


def _drop_ttl(collection: Collection[dict[str, Any]]) -> None:
    try:
        collection.drop_index(TTL_INDEX)
    except OperationFailure as error:
        if error.code != _INDEX_NOT_FOUND:  # another owner dropped it at the same moment
            raise
