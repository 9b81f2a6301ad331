"""Storage of job tasks in the `job_task` collection: the only module that speaks pymongo.

Driver errors become ours in one place (`_translated_errors`), the way a transport maps its
library's errors. Every operation (reads, counts, aggregations, updates, deletes) carries
`maxTimeMS` (the call's remaining deadline capped by the configured limit), and a deadline no
longer than the server selection timeout is also enforced by the driver (`_within`), which stops
waiting and drops the connection when it passes, so an engine that ignores `maxTimeMS` (the dev
database) cannot hold a worker past the deadline. (pymongo's `timeout()` is not used for longer
deadlines: with it an unreachable database is waited for until the whole deadline is spent, where
callers need UNAVAILABLE after server selection.)
Once the database could not be reached, operations fail at once until the driver sees a server again
(the health probe's ping keeps looking), so an outage does not hold every worker thread.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Final, Protocol

import pymongo
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument, monitoring
from pymongo.collection import Collection
from pymongo.errors import (
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    NetworkTimeout,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
    WTimeoutError,
)

from jobtask.domain import RETURNED_FIELDS, JobTask, JobTaskStatus, to_task
from jobtask.errors import (
    InvalidParameter,
    JobTaskError,
    StorageError,
    StorageTimeout,
    StorageUnavailable,
)
from jobtask.settings import Settings

log = logging.getLogger(__name__)

COLLECTION: Final[str] = "job_task"

# The queries people run are always within one domain: by time, job, status, provider, account...
_SCOPED_INDEXES: Final[tuple[IndexModel, ...]] = (
    # Serves the default order (newest first) with the tie-breaker, so a page is an index walk.
    IndexModel(
        [("domain_id", ASCENDING), ("created_at", DESCENDING), ("job_task_id", DESCENDING)],
        name="domain_id_1_created_at_-1_job_task_id_-1",
    ),
    *(
        IndexModel([("domain_id", ASCENDING), (field, ASCENDING)], name=f"domain_id_1_{field}_1")
        for field in (
            "job_id",
            "status",
            "provider",
            "secret_id",
            "service_account_id",
            "project_id",
        )
    ),
)
# SpaceONE's: job_task_id unique across domains.
INDEXES: Final[tuple[IndexModel, ...]] = (
    IndexModel([("job_task_id", ASCENDING)], unique=True, name="job_task_id_1"),
    *_SCOPED_INDEXES,
)
# On a cluster sharded by {domain_id: 1, job_task_id: 1} (MONGODB_SHARDED): MongoDB enforces a
# unique index of a sharded collection only when the shard key is its prefix (and refuses to
# create job_task_id_1 there), so the shard key's own index is the unique one: job_task_id is
# unique within a domain, which is all any query can see (docs/performance.md, sharded clusters).
SHARDED_INDEXES: Final[tuple[IndexModel, ...]] = (
    IndexModel(
        [("domain_id", ASCENDING), ("job_task_id", ASCENDING)],
        unique=True,
        name="domain_id_1_job_task_id_1",
    ),
    *_SCOPED_INDEXES,
)

TTL_INDEX: Final[str] = "finished_at_ttl"
# A pipeline's rows in its first batch (at most 16 MB all the same), not the driver's 101: a stat
# answer of a few hundred rows is one round trip instead of two (per provider per day, 302
# rows, on the real engine: 9.25 -> 8.69 ms in process). STAT_MAX_ROWS' default, plus one.
_AGGREGATE_BATCH: Final[int] = 10_001
_RETURNED: Final[dict[str, int]] = {"_id": 0, **dict.fromkeys(RETURNED_FIELDS, 1)}

# What the client is told when MongoDB rejects a request: the query itself (bad regex, bad
# $options, a type mismatch), or what a statistics pipeline can only learn from the data while
# it runs. The driver's own text (the server's error document) goes to the log only. Codes not
# here are the database's failure, not the request's.
_TYPE: Final = "a value of a type the database cannot use there (a type mismatch)"
_PATTERN: Final = "a regular expression the database cannot compile"
_QUERY_REJECTIONS: Final[Mapping[int, str]] = {
    2: _TYPE,
    9: _TYPE,
    14: _TYPE,
    51091: _PATTERN,
    51108: _PATTERN,
}
_ARRAY_OBJECT: Final = (
    "array_to_object needs arrays of [key, value] pairs or of {k, v} objects, and "
    "object_to_array an object: a value is not one"
)
_PIPELINE_REJECTIONS: Final[Mapping[int, str]] = {
    **_QUERY_REJECTIONS,
    16006: "date_format needs dates: a value of that key is not a date",
    # The real engine (DocumentDB) cannot take a stored date far beyond year 9999 apart.
    15: "date_format met a date the database cannot convert (out of its range): filter it out",
    **dict.fromkeys(range(18533, 18537), "date_format is not a format the database accepts"),
    40485: "the time zone is not one the database knows",
    40517: "the time zone is not one the database knows",
    17124: "the project operator size ($size) needs arrays: a value is not one",
    **dict.fromkeys((*range(40386, 40399), 4940400, 4940401), _ARRAY_OBJECT),
    40400: "merge_objects needs objects: a value is not one",
    292: "a stage needs more memory than the database allows: narrow the filter or page",
    10334: "a result row is larger than 16 MB: group or project less into one row",
}
# IndexOptionsConflict, IndexKeySpecsConflict; IndexNotFound.
_INDEX_CONFLICT_CODES: Final[frozenset[int]] = frozenset({85, 86})
_INDEX_NOT_FOUND: Final = 27
# The dev database (mongo-java-server) rejects a pattern its Java regex engine cannot compile
# without a code, as "... near index N"; MongoDB's regex errors carry 51091 (above).
_UNCODED_PATTERN_ERROR: Final = re.compile(r" near index \d+")


class JobTaskRepository(Protocol):
    """What the service needs from storage. Filters come from `jobtask.query`."""

    def find_one(
        self, query: Mapping[str, Any], projection: Mapping[str, int], *, timeout: float | None
    ) -> JobTask | None: ...

    def find(
        self,
        query: Mapping[str, Any],
        projection: Mapping[str, int],
        *,
        sort: Sequence[tuple[str, int]],
        skip: int,
        limit: int,
        timeout: float | None,
    ) -> list[JobTask]: ...

    def count(self, query: Mapping[str, Any], *, timeout: float | None) -> int: ...

    def delete_one(self, query: Mapping[str, Any], *, timeout: float | None) -> bool: ...

    def aggregate(
        self, pipeline: Sequence[Mapping[str, Any]], *, timeout: float | None
    ) -> list[dict[str, Any]]: ...


@contextmanager
def _translated_errors(
    rejected: Mapping[int, str] = _QUERY_REJECTIONS, *, time_limit_ms: int | None = None
) -> Iterator[None]:
    """Turn the driver's errors into ours; codes in `rejected` are the request's fault.

    Messages are fixed texts: the driver's (server addresses, the server's error document) is
    logged, never sent.
    """
    try:
        yield
    except ServerSelectionTimeoutError as error:
        # The driver's reason (servers tried, why each failed) is for operators, never for
        # clients: see failure_detail; the health probe logs the outage once.
        raise StorageUnavailable("the database is unreachable") from error
    except (ExecutionTimeout, NetworkTimeout, WTimeoutError) as error:
        raise _timeout(error, time_limit_ms) from error
    except ConnectionFailure as error:
        log.warning("database connection failed: %s", _first_line(error))
        raise StorageUnavailable("the database connection failed") from error
    except PyMongoError as error:
        if error.timeout:
            raise _timeout(error, time_limit_ms) from error
        reason = _rejection(error, rejected)
        if reason is not None:
            log.info("the database rejected a request: %s", _first_line(error))
            raise InvalidParameter("query", f"the database rejected it: {reason}") from error
        code = error.code if isinstance(error, OperationFailure) else None
        log.error("database operation failed: %s", _first_line(error))
        raise StorageError(
            f"the database failed the operation (code = {code})"
            if code is not None
            else "the database failed the operation"
        ) from error


def _rejection(error: PyMongoError, rejected: Mapping[int, str]) -> str | None:
    """The clear reason for a rejection that is the request's fault, or None."""
    if not isinstance(error, OperationFailure):
        return None
    if error.code is None and _UNCODED_PATTERN_ERROR.search(str(error)):
        return _PATTERN
    return rejected.get(error.code) if error.code is not None else None


def _timeout(error: PyMongoError, time_limit_ms: int | None) -> StorageTimeout:
    log.info("database timeout: %s", _first_line(error))
    if time_limit_ms is None:
        return StorageTimeout("the database did not answer in time")
    return StorageTimeout(
        f"the query ran past its time limit of {time_limit_ms} ms (the smallest of the "
        "configured limits and the call's deadline): narrow the filter or simplify the "
        "pipeline"
    )


def _first_line(error: Exception | str) -> str:
    return str(error).split("\n", 1)[0][:300]


# pymongo's server selection error is "<host: reason>,... , Timeout: 5.0s, Topology Description:
# <a dump of every server>"; each reason also repeats the client's configured timeouts.
_TOPOLOGY: Final = re.compile(r", Timeout: .*", re.DOTALL)
_CONFIGURED: Final = re.compile(r" \(configured timeouts: [^)]*\)")


def _unreachable(error: ServerSelectionTimeoutError) -> str:
    """Which servers were tried and why each failed, without the topology dump."""
    return _first_line(_CONFIGURED.sub("", _TOPOLOGY.sub("", str(error))))


def failure_detail(error: JobTaskError) -> str:
    """What the driver said of a storage failure, in one line: for operators (start-up, logs),
    never for a client's answer. Empty when the error did not come from the driver."""
    cause = error.__cause__
    if isinstance(cause, ServerSelectionTimeoutError):
        return _unreachable(cause)
    return _first_line(cause) if isinstance(cause, PyMongoError) else ""


class MongoJobTaskRepository:
    """JobTaskRepository over a pymongo collection (or one with its interface, e.g. mongomock)."""

    def __init__(
        self,
        collection: Collection[dict[str, Any]],
        *,
        operation_timeout: float | None = None,
        selection_timeout: float | None = None,
    ) -> None:
        self._collection = collection
        self._operation_timeout = operation_timeout
        # Deadlines up to this long are enforced by the driver too (see `_within`).
        self._selection_timeout = selection_timeout
        # Set when the database last could not be reached; while the driver knows no server since,
        # every operation fails at once instead of holding its caller for the selection timeout.
        # (A dropped connection to a healthy server is not refused for long: the driver's monitor
        # checks it again at once, and a known server opens the way.)
        self._unreachable = False

    def _server_known(self) -> bool:
        """Whether the driver's monitor currently knows a server to send operations to."""
        client = getattr(getattr(self._collection, "database", None), "client", None)
        description = getattr(client, "topology_description", None)
        return description is None or bool(description.has_writable_server())

    @contextmanager
    def _noting_reachability(
        self, rejected: Mapping[int, str] = _QUERY_REJECTIONS, *, time_limit_ms: int | None = None
    ) -> Iterator[None]:
        """`_translated_errors`, remembering that the database could not be reached (a server
        selection that timed out, or a connection that failed)."""
        try:
            with _translated_errors(rejected, time_limit_ms=time_limit_ms):
                yield
        except StorageUnavailable:
            self._unreachable = True
            raise

    @contextmanager
    def _reaching(
        self, rejected: Mapping[int, str] = _QUERY_REJECTIONS, *, time_limit_ms: int | None = None
    ) -> Iterator[None]:
        """An operation: refused at once while the database is known to be unreachable (the last
        attempt could not reach it and the driver has seen no server since), else translated."""
        if self._unreachable:
            if not self._server_known():
                raise StorageUnavailable(
                    "the database is unreachable: no server has answered since the last attempt "
                    "failed; calls fail at once until one does"
                )
            self._unreachable = False
        with self._noting_reachability(rejected, time_limit_ms=time_limit_ms):
            yield

    def _max_time_ms(self, timeout: float | None) -> int | None:
        """The call's remaining deadline capped by the configured per-operation limit, in ms."""
        if timeout is not None and timeout <= 0:
            raise StorageTimeout("the call's deadline passed before the database was asked")
        candidates = [t for t in (timeout, self._operation_timeout) if t is not None]
        return max(1, int(min(candidates) * 1000)) if candidates else None

    @contextmanager
    def _within(self, timeout: float | None) -> Iterator[dict[str, Any]]:
        """One operation bounded by the call's remaining `timeout`: yields the `maxTimeMS` option
        to send (empty when there is no bound). When the call has a deadline no longer than the
        server selection timeout, pymongo's own timeout enforces it as well: the driver stops
        waiting at the deadline and closes the connection, so a database that ignores maxTimeMS
        does not keep the worker (the bound never makes an outage wait longer than selection)."""
        max_time_ms = self._max_time_ms(timeout)
        options: dict[str, Any] = {"maxTimeMS": max_time_ms} if max_time_ms else {}
        limit = self._selection_timeout
        if timeout is None or max_time_ms is None or limit is None or max_time_ms > limit * 1000:
            yield options
            return
        with pymongo.timeout(max_time_ms / 1000):
            yield options

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

        `sharded`: the indexes of a collection sharded by `{domain_id: 1, job_task_id: 1}`
        (SHARDED_INDEXES), never SpaceONE's unique `job_task_id_1`.
        """
        indexes = SHARDED_INDEXES if sharded else INDEXES
        with self._within(timeout) as options, _translated_errors():
            names = self._collection.create_indexes(list(indexes), **options)
            existing = self._collection.index_information().get(TTL_INDEX)
            seconds = None if retention_days is None else retention_days * 86_400
            if existing is None and seconds is not None:
                self._create_ttl(seconds)
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
                    self._drop_ttl()
                else:
                    self._collection.database.command(
                        "collMod",
                        self._collection.name,
                        index={"name": TTL_INDEX, "expireAfterSeconds": seconds},
                    )
            present = seconds is not None or (existing is not None and not owner)
            return [*names, TTL_INDEX] if present else names

    def _create_ttl(self, seconds: int) -> None:
        try:
            self._collection.create_index(
                [("finished_at", DESCENDING)], name=TTL_INDEX, expireAfterSeconds=seconds
            )
        except OperationFailure as error:
            # Another replica created it at the same moment with another retention.
            if error.code not in _INDEX_CONFLICT_CODES:
                raise
            log.warning("the TTL index %s was created meanwhile by another instance", TTL_INDEX)

    def _drop_ttl(self) -> None:
        try:
            self._collection.drop_index(TTL_INDEX)
        except OperationFailure as error:
            if error.code != _INDEX_NOT_FOUND:  # another owner dropped it at the same moment
                raise

    def ping(self, *, timeout: float) -> None:
        """Return once the database answers; StorageUnavailable (or StorageTimeout) when it does
        not within `timeout` seconds, server selection included (the health probe's question)."""
        # Never refused up front: the probe's ping is how the database is seen again.
        with self._noting_reachability(), pymongo.timeout(timeout):
            self._collection.database.command("ping")
        self._unreachable = False

    def find_one(
        self, query: Mapping[str, Any], projection: Mapping[str, int], *, timeout: float | None
    ) -> JobTask | None:
        with self._within(timeout) as options, self._reaching():
            document = self._collection.find_one(
                query, projection, max_time_ms=options.get("maxTimeMS")
            )
        return None if document is None else to_task(document)

    def find(
        self,
        query: Mapping[str, Any],
        projection: Mapping[str, int],
        *,
        sort: Sequence[tuple[str, int]],
        skip: int,
        limit: int,
        timeout: float | None,
    ) -> list[JobTask]:
        with self._within(timeout) as options, self._reaching():
            cursor = self._collection.find(
                query,
                projection,
                sort=list(sort),
                skip=skip,
                limit=limit,
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
            with self._reaching(_PIPELINE_REJECTIONS, time_limit_ms=time_limit_ms):
                return list(
                    self._collection.aggregate(
                        list(pipeline), batchSize=_AGGREGATE_BATCH, **options
                    )
                )

    def insert_many(self, documents: Sequence[dict[str, Any]]) -> int:
        """Store documents as they are (demo data, fixtures); the public API never inserts."""
        with self._reaching():
            return len(self._collection.insert_many(list(documents), ordered=False).inserted_ids)

    # -- writes of the collector side (jobtask.writer) ---------------------------------------

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
        task = self.find_one(
            {"job_task_id": job_task_id, "domain_id": domain_id},
            {"_id": 0, "status": 1},
            timeout=timeout,
        )
        return None if task is None else task.status

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


class CommandObserver(Protocol):
    """Told of each database command in the thread that runs it (metrics, the slow-call log).

    `command` holds the request's values: an observer that keeps or logs it redacts them.
    """

    def command_started(self, name: str, command: Mapping[str, Any]) -> None: ...

    def command_finished(self, name: str, seconds: float, *, failed: bool) -> None: ...


class _CommandListener(monitoring.CommandListener):
    def __init__(self, observer: CommandObserver) -> None:
        self._observer = observer

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self._observer.command_started(event.command_name, event.command)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._observer.command_finished(
            event.command_name, event.duration_micros / 1e6, failed=False
        )

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._observer.command_finished(
            event.command_name, event.duration_micros / 1e6, failed=True
        )


def connect(
    uri: str,
    database: str,
    *,
    connect_timeout_ms: int,
    server_selection_timeout_ms: int,
    operation_timeout_ms: int,
    max_pool_size: int,
    observers: Sequence[CommandObserver] = (),
) -> tuple[pymongo.MongoClient[dict[str, Any]], MongoJobTaskRepository]:
    """A client (no I/O until first use) and the repository over its `job_task` collection."""
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        uri,
        connectTimeoutMS=connect_timeout_ms,
        serverSelectionTimeoutMS=server_selection_timeout_ms,
        # A hung server or network must not hold a call forever (reads also carry maxTimeMS).
        socketTimeoutMS=operation_timeout_ms + 1000,
        maxPoolSize=max_pool_size,
        appname="jobtask",
        # A stored document must never fail to decode: a date beyond Python's range comes back
        # as a DatetimeMS, a string that is not UTF-8 with replacement characters (both are then
        # rendered by the API's one rendering path, jobtask.api.convert).
        datetime_conversion="DATETIME_AUTO",
        unicode_decode_error_handler="replace",
        event_listeners=[_CommandListener(observer) for observer in observers],
    )
    collection = client[database][COLLECTION]
    repository = MongoJobTaskRepository(
        collection,
        operation_timeout=operation_timeout_ms / 1000,
        selection_timeout=server_selection_timeout_ms / 1000,
    )
    return client, repository


def connect_with(
    settings: Settings, *, observers: Sequence[CommandObserver] = ()
) -> tuple[pymongo.MongoClient[dict[str, Any]], MongoJobTaskRepository]:
    """`connect` configured by the MONGODB_* settings."""
    return connect(
        settings.mongodb_uri.get_secret_value(),
        settings.mongodb_database,
        connect_timeout_ms=settings.mongodb_connect_timeout_ms,
        server_selection_timeout_ms=settings.mongodb_server_selection_timeout_ms,
        operation_timeout_ms=settings.mongodb_operation_timeout_ms,
        max_pool_size=settings.mongodb_max_pool_size,
        observers=observers,
    )
