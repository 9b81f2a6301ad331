"""One object over the `job_task` collection: both ports (reads for the service, writes for the
writer), index administration and the health probe's ping, sharing one breaker."""

from __future__ import annotations

import pymongo

from jobtask.storage import indexes, sharding
from jobtask.storage.driver import translated_errors
from jobtask.storage.reads import MongoReads
from jobtask.storage.writes import MongoWrites


class MongoJobTaskRepository(MongoReads, MongoWrites):
    """The service's TaskReads and the writer's JobTaskStore over a pymongo collection."""

    def ensure_indexes(
        self,
        *,
        retention_days: int | None = None,
        timeout: float | None = None,
        owner: bool = True,
        sharded: bool = False,
    ) -> list[str]:
        """Create the missing indexes; idempotent, and safe when replicas start at once (the
        database accepts the same createIndexes twice). A conflicting existing index is an
        error, not ignored.

        With a retention, finished tasks expire through a TTL index on finished_at (descending,
        so it never clashes with an ascending finished_at index an existing SpaceONE collection
        has). Only the `owner` of the indexes (INDEX_MANAGEMENT=owner) changes or drops it to
        match its retention; any other instance creates it when it is missing and otherwise
        leaves it as it is, since another instance's settings may rely on it.

        `sharded`: the indexes of a collection sharded by `{domain_id: "hashed"}`
        (SHARDED_INDEXES), never SpaceONE's unique `job_task_id_1`.
        """
        with self._within(timeout) as options, translated_errors():
            return indexes.ensure_indexes(
                self._collection,
                options,
                retention_days=retention_days,
                owner=owner,
                sharded=sharded,
            )

    def shard_collection(
        self, *, replace_spaceone_index: bool = False, timeout: float | None = None
    ) -> list[str]:
        """The operator's step that shards the collection by `{domain_id: "hashed"}`, empty or
        holding data (`sharding.shard_collection`); what was done, one line a step."""
        with self._within(timeout) as options, translated_errors():
            return sharding.shard_collection(
                self._collection, options, replace_spaceone_index=replace_spaceone_index
            )

    def ping(self, *, timeout: float) -> None:
        """Return once the database answers; StorageUnavailable (or StorageTimeout) when it does
        not within `timeout` seconds, server selection included (the health probe's question)."""
        # Never refused up front: the probe's ping is how the database is seen again. Bounded by
        # pymongo's timeout (maxTimeMS) even with MONGODB_SEND_MAX_TIME_MS=false: the probe must
        # stop waiting at its interval, and the engine's gateway answers a ping without the
        # statements maxTimeMS costs a query (docs/performance.md).
        with self._breaker.noting(), pymongo.timeout(timeout):
            self._collection.database.command("ping")
        self._breaker.reached()
