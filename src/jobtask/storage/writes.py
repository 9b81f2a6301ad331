"""The collector side's writes (jobtask.services.collector's port, JobTaskStore) over the
collection: each one atomic, conditional on the task's status where the status machine says so.

The writer hands domain values (StoredTask, TaskError) and gets them back; the documents they
are stored as are made here alone, from domain's field catalogue (`to_task` reads them back)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, Final

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from jobtask.domain import (
    ERROR_FIELD_KINDS,
    FIELD_KINDS,
    RETURNED_FIELDS,
    STORED_ONLY_FIELDS,
    FieldKind,
    JobTask,
    JobTaskStatus,
    ProgressUpdate,
    StoredTask,
    TaskError,
    to_task,
)
from jobtask.errors import StorageError
from jobtask.storage.base import CollectionAccess

_RETURNED: Final[dict[str, int]] = {"_id": 0, **dict.fromkeys(RETURNED_FIELDS, 1)}


def stored_document(stored: StoredTask) -> dict[str, Any]:
    """The document of a stored task: every field, a null for each None (as SpaceONE stores
    them), statuses as their strings, errors as sub-documents."""
    task = stored.task
    return {
        **{name: _stored_value(name, getattr(task, name)) for name in RETURNED_FIELDS},
        **{name: getattr(stored, name) for name in STORED_ONLY_FIELDS},
    }


def _stored_value(name: str, value: Any) -> Any:
    if value is not None and FIELD_KINDS[name] is FieldKind.ERRORS:
        return [error_document(error) for error in value]
    return value.value if isinstance(value, Enum) else value  # a status: its string


def error_document(error: TaskError) -> dict[str, Any]:
    """An element of `errors`: error_code, message, additional (a plain object, or null)."""
    document = {name: getattr(error, name) for name in ERROR_FIELD_KINDS}
    if document["additional"] is not None:
        document["additional"] = dict(document["additional"])
    return document


def stored_task(document: Mapping[str, Any]) -> StoredTask:
    """A stored document (all of it) as a StoredTask; values as stored, as `to_task` keeps them."""
    return StoredTask(to_task(document), **{n: document.get(n) for n in STORED_ONLY_FIELDS})


class MongoWrites(CollectionAccess):
    def insert_many(self, documents: Sequence[dict[str, Any]]) -> int:
        """Store documents as they are (demo data, fixtures); the public API never inserts."""
        with self._reaching():
            return len(self._collection.insert_many(list(documents), ordered=False).inserted_ids)

    def insert(self, stored: StoredTask, *, timeout: float | None) -> bool:
        """Store a new task; False when its job_task_id exists already. (An insert cannot carry
        maxTimeMS; it is one index lookup, bounded by the driver within short deadlines.)"""
        document = stored_document(stored)
        with self._within(timeout), self._reaching():
            try:
                self._collection.insert_one(document)
            except DuplicateKeyError:
                return False
        return True

    def find_stored(
        self, job_task_id: str, domain_id: str, *, timeout: float | None
    ) -> StoredTask | None:
        """The stored task with that id in that domain (to compare a retried create)."""
        query = {"job_task_id": job_task_id, "domain_id": domain_id}
        document = self._find_one(query, {"_id": 0}, timeout)
        return None if document is None else stored_task(document)

    def find_status(
        self, job_task_id: str, domain_id: str, *, timeout: float | None
    ) -> JobTaskStatus | None:
        query = {"job_task_id": job_task_id, "domain_id": domain_id}
        document = self._find_one(query, {"_id": 0, "status": 1}, timeout)
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
        self, job_task_id: str, domain_id: str, update: ProgressUpdate, *, timeout: float | None
    ) -> JobTask | None:
        """$inc the counters and $push the errors, keeping the first `max_errors` of them; how many
        were reported in all is counted, so dropped = reported_error_count - len(errors).

        The update applies only while every total stays at most `max_count` (a guard in the same
        conditional update, so concurrent reporters cannot overshoot it either); None when the
        task is not there, not in `status`, or a total would pass it."""
        increments = {**update.counts, "reported_error_count": len(update.errors)}
        change: dict[str, Any] = {"$inc": increments}
        if update.errors:
            each = [error_document(error) for error in update.errors]
            change["$push"] = {"errors": {"$each": each, "$slice": update.max_errors}}
        query: dict[str, Any] = {
            "job_task_id": job_task_id,
            "domain_id": domain_id,
            "status": update.status.value,
        }
        # "Not above the most it may be before": also matches a counter an existing document
        # lacks ($inc starts it from the increment). One flat condition per counter: the real
        # engine (DocumentDB) crashed once under concurrent reports with an $and of $or guards.
        query.update(
            {
                name: {"$not": {"$gt": update.max_count - by}}
                for name, by in increments.items()
                if by
            }
        )
        return self._update(query, change, timeout)

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
