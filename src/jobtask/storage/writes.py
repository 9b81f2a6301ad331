"""The collector side's writes (jobtask.writer's port, JobTaskStore) over the collection: each one
atomic, conditional on the task's status where the status machine says so."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from jobtask.domain import RETURNED_FIELDS, JobTask, JobTaskStatus, to_task
from jobtask.errors import StorageError
from jobtask.storage.base import CollectionAccess

_RETURNED: Final[dict[str, int]] = {"_id": 0, **dict.fromkeys(RETURNED_FIELDS, 1)}


class MongoWrites(CollectionAccess):
    def insert_many(self, documents: Sequence[dict[str, Any]]) -> int:
        """Store documents as they are (demo data, fixtures); the public API never inserts."""
        with self._reaching():
            return len(self._collection.insert_many(list(documents), ordered=False).inserted_ids)

    def insert(self, document: dict[str, Any], *, timeout: float | None) -> bool:
        """Store a new task; False when its job_task_id exists already. (An insert cannot carry
        maxTimeMS; it is one index lookup, bounded by the driver within short deadlines.)"""
        with self._within(timeout), self._reaching():
            try:
                self._collection.insert_one(document)
            except DuplicateKeyError:
                return False
        return True

    def find_stored(
        self, job_task_id: str, domain_id: str, *, timeout: float | None
    ) -> dict[str, Any] | None:
        """The stored document with that id in that domain (to compare a retried create)."""
        with self._within(timeout) as options, self._reaching():
            return self._collection.find_one(
                {"job_task_id": job_task_id, "domain_id": domain_id},
                {"_id": 0},
                max_time_ms=options.get("maxTimeMS"),
            )

    def find_status(
        self, job_task_id: str, domain_id: str, *, timeout: float | None
    ) -> JobTaskStatus | None:
        with self._within(timeout) as options, self._reaching():
            document = self._collection.find_one(
                {"job_task_id": job_task_id, "domain_id": domain_id},
                {"_id": 0, "status": 1},
                max_time_ms=options.get("maxTimeMS"),
            )
        return None if document is None else to_task(document).status

    def _update(
        self, query: dict[str, Any], update: dict[str, Any], timeout: float | None
    ) -> JobTask | None:
        """One atomic conditional update; the task as it is afterwards, or None if none matched."""
        with self._within(timeout) as options, self._reaching():
            document = self._collection.find_one_and_update(
                query, update, projection=_RETURNED, return_document=ReturnDocument.AFTER, **options
            )
        return None if document is None else to_task(document)

    def transition(
        self,
        job_task_id: str,
        domain_id: str,
        *,
        sources: Iterable[JobTaskStatus],
        target: JobTaskStatus,
        stamp: str,
        now: datetime,
        timeout: float | None,
    ) -> JobTask | None:
        query = {
            "job_task_id": job_task_id,
            "domain_id": domain_id,
            "status": {"$in": sorted(s.value for s in sources)},
        }
        return self._update(query, {"$set": {"status": target.value, stamp: now}}, timeout)

    def add_progress(
        self,
        job_task_id: str,
        domain_id: str,
        *,
        status: JobTaskStatus,
        counts: Mapping[str, int],
        errors: Sequence[dict[str, Any]],
        max_errors: int,
        max_count: int,
        timeout: float | None,
    ) -> JobTask | None:
        """$inc the counters and $push the errors, keeping the first `max_errors` of them; how many
        were reported in all is counted, so dropped = reported_error_count - len(errors).

        The update applies only while every total stays at most `max_count` (a guard in the same
        conditional update, so concurrent reporters cannot overshoot it either); None when the
        task is not there, not in `status`, or a total would pass it."""
        increments = {**counts, "reported_error_count": len(errors)}
        update: dict[str, Any] = {"$inc": increments}
        if errors:
            update["$push"] = {"errors": {"$each": list(errors), "$slice": max_errors}}
        query: dict[str, Any] = {
            "job_task_id": job_task_id,
            "domain_id": domain_id,
            "status": status.value,
        }
        # "Not above the most it may be before": also matches a counter an existing document
        # lacks ($inc starts it from the increment). One flat condition per counter: the real
        # engine (DocumentDB) crashed once under concurrent reports with an $and of $or guards.
        query.update(
            {name: {"$not": {"$gt": max_count - by}} for name, by in increments.items() if by}
        )
        return self._update(query, update, timeout)

    def delete_finished(
        self,
        *,
        before: datetime,
        statuses: Iterable[JobTaskStatus],
        domain_id: str | None,
        timeout: float | None,
    ) -> int:
        query: dict[str, Any] = {
            "status": {"$in": sorted(s.value for s in statuses)},
            "finished_at": {"$lt": before},
        }
        if domain_id:
            query["domain_id"] = domain_id
        # The delete command itself, because delete_many cannot carry maxTimeMS.
        with self._within(timeout) as options, self._reaching():
            answer = self._collection.database.command(
                "delete", self._collection.name, deletes=[{"q": query, "limit": 0}], **options
            )
        if answer.get("writeErrors"):
            raise StorageError(f"database delete failed ({answer['writeErrors'][0]})")
        return int(answer.get("n", 0))
