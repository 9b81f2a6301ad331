"""The read side of the API (get, list, delete, stat): the service's port
(jobtask.services.reads.TaskReads) over the collection. Filters, projections, sorts and pipelines
come from jobtask.query."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from jobtask.domain import FindSpec, JobTask, to_task
from jobtask.storage.base import CollectionAccess
from jobtask.storage.driver import PIPELINE_REJECTIONS

# A pipeline's rows in its first batch (at most 16 MB all the same), not the driver's 101: a stat
# answer of a few hundred rows is one round trip instead of two (measured: docs/performance.md).
# STAT_MAX_ROWS' default, plus one.
AGGREGATE_BATCH: Final[int] = 10_001


class MongoReads(CollectionAccess):
    def find_one(
        self, query: Mapping[str, Any], projection: Mapping[str, int], *, timeout: float | None
    ) -> JobTask | None:
        document = self._find_one(query, projection, timeout)
        return None if document is None else to_task(document)

    def find(
        self, query: Mapping[str, Any], page: FindSpec, *, timeout: float | None
    ) -> list[JobTask]:
        with self._within(timeout) as options, self._reaching():
            cursor = self._collection.find(
                query,
                page.projection,
                sort=list(page.sort),
                skip=page.skip,
                limit=page.limit,
                max_time_ms=options.get("maxTimeMS"),
            )
            return [to_task(document) for document in cursor]

    def count(self, query: Mapping[str, Any], *, timeout: float | None) -> int:
        with self._within(timeout) as options, self._reaching():
            return self._collection.count_documents(query, **options)

    def delete_one(self, query: Mapping[str, Any], *, timeout: float | None) -> bool:
        # findAndModify, because delete_one cannot carry maxTimeMS.
        with self._within(timeout) as options, self._reaching():
            return self._collection.find_one_and_delete(query, {"_id": 1}, **options) is not None

    def aggregate(
        self, pipeline: Sequence[Mapping[str, Any]], *, timeout: float | None
    ) -> list[dict[str, Any]]:
        """Run a pipeline with a server-side time limit; allowDiskUse is left to the server."""
        with self._within(timeout) as options:
            time_limit_ms = options.get("maxTimeMS")
            with self._reaching(PIPELINE_REJECTIONS, time_limit_ms=time_limit_ms):
                return list(
                    self._collection.aggregate(list(pipeline), batchSize=AGGREGATE_BATCH, **options)
                )
