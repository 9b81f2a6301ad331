"""Sharding the `job_task` collection: the operator's step, `python -m jobtask shard-collection`.

The shard key is `{domain_id: "hashed"}`: every call of the service names one domain, so each is
answered by the one shard that holds that domain (docs/scale-out.md). The step, on an empty
collection or one holding data, in this order:

1. refuse while a unique index the shard key does not prefix is there (SpaceONE's `job_task_id_1`):
   MongoDB refuses to shard such a collection, and an engine that accepts it (DocumentDB on Citus)
   then enforces it within each shard only. With `replace_spaceone_index` the step drops
   `job_task_id_1` itself, after step 2 has created the unique index that replaces it;
2. create the indexes of MONGODB_SHARDED=true (SHARDED_INDEXES: the unique
   `{domain_id: 1, job_task_id: 1}` first), which a sharded collection keeps unique across shards,
   and the shard key's own `{domain_id: "hashed"}` (MongoDB wants it before it shards a collection
   holding data; on an empty one it would create it itself);
3. `shardCollection` with the key. Run again, it changes nothing; a collection sharded by
   another key is an error naming that key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pymongo.collection import Collection

from jobtask.errors import FailedPrecondition
from jobtask.storage import indexes

SHARD_KEY: Final[dict[str, str]] = {"domain_id": "hashed"}
SHARD_KEY_INDEX: Final[str] = "domain_id_hashed"
SPACEONE_UNIQUE_INDEX: Final[str] = "job_task_id_1"


def shard_key(collection: Collection[dict[str, Any]]) -> dict[str, Any] | None:
    """The collection's shard key as the cluster records it (config.collections), None when it
    is not sharded."""
    entry = collection.database.client["config"]["collections"].find_one(
        {"_id": collection.full_name, "dropped": {"$ne": True}}, {"key": 1}
    )
    return None if entry is None else dict(entry["key"])


def _unprefixed_unique(information: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The unique indexes the shard key does not prefix (a sharded cluster cannot keep them)."""
    return sorted(
        name
        for name, index in information.items()
        if index.get("unique") and name != "_id_" and next(iter(index["key"]))[0] not in SHARD_KEY
    )


def shard_collection(
    collection: Collection[dict[str, Any]],
    options: dict[str, Any],
    *,
    replace_spaceone_index: bool,
) -> list[str]:
    """Shard the collection by SHARD_KEY (see the module); what was done, one line a step.
    FailedPrecondition when it cannot be done as asked; driver errors are the caller's."""
    key = shard_key(collection)
    if key is not None and key != SHARD_KEY:
        raise FailedPrecondition(
            f"{collection.full_name} is sharded by {key} already, not by {SHARD_KEY}"
        )
    blocking = _unprefixed_unique(collection.index_information())
    replaced = replace_spaceone_index and SPACEONE_UNIQUE_INDEX in blocking
    if [name for name in blocking if not (replaced and name == SPACEONE_UNIQUE_INDEX)]:
        raise FailedPrecondition(
            f"{collection.full_name} has unique indexes the shard key {SHARD_KEY} does not "
            f"prefix: {', '.join(blocking)}. A sharded collection cannot keep them unique; "
            f"drop them first (SpaceONE's {SPACEONE_UNIQUE_INDEX}: pass "
            "--replace-spaceone-index, which creates the unique {domain_id: 1, job_task_id: 1} "
            "before it drops it)"
        )
    names = indexes.ensure_indexes(
        collection, options, retention_days=None, owner=False, sharded=True
    )
    names.append(collection.create_index(list(SHARD_KEY.items()), name=SHARD_KEY_INDEX))
    done = [f"indexes: {', '.join(names)}"]
    if replaced:
        collection.drop_index(SPACEONE_UNIQUE_INDEX)
        done.append(f"dropped {SPACEONE_UNIQUE_INDEX} (job_task_id is unique within a domain)")
    if key is None:
        collection.database.client.admin.command(
            {"shardCollection": collection.full_name, "key": SHARD_KEY}, **options
        )
        done.append(f"sharded {collection.full_name} by {SHARD_KEY}")
    else:
        done.append(f"{collection.full_name} was sharded by {SHARD_KEY} already")
    return done
