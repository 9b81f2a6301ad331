"""The driver's errors and deadlines, in one place: what a pymongo error becomes (ours, with a fixed
text for the client and the driver's own words for the log), and the bounds an operation carries.

Every operation (reads, counts, aggregations, updates, deletes, index creation) carries
`maxTimeMS` (the call's remaining deadline capped by the configured limit), and a deadline no
longer than the server selection timeout is also enforced by the driver (`within`), which stops
waiting and drops the connection when it passes, so an engine that ignores `maxTimeMS` (the dev
database) cannot hold a worker past the deadline. (pymongo's `timeout()` is not used for longer
deadlines: with it an unreachable database is waited for until the whole deadline is spent, where
callers need UNAVAILABLE after server selection.)

With MONGODB_SEND_MAX_TIME_MS=false (`send_max_time_ms=False`) no operation carries `maxTimeMS`
and pymongo's `timeout()` (which sends it too) is not used: on engines where it costs (DocumentDB's
gateway runs two more PostgreSQL statements per command; docs/performance.md) the engine's own
statement timeout then bounds a query, and the service's wait is bounded by the client's
socketTimeoutMS (MONGODB_OPERATION_TIMEOUT_MS + 1 s). A call whose deadline has passed is still
never sent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

import pymongo
from pymongo.errors import (
    ConnectionFailure,
    ExecutionTimeout,
    NetworkTimeout,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
    WTimeoutError,
)

from jobtask.errors import (
    InvalidParameter,
    JobTaskError,
    StorageError,
    StorageTimeout,
    StorageUnavailable,
)

log = logging.getLogger("jobtask.storage")

# What the client is told when MongoDB rejects a request: the query itself (bad regex, bad
# $options, a type mismatch), or what a statistics pipeline can only learn from the data while
# it runs. The driver's own text (the server's error document) goes to the log only. Codes not
# here are the database's failure, not the request's.
_TYPE: Final = "a value of a type the database cannot use there (a type mismatch)"
_PATTERN: Final = "a regular expression the database cannot compile"
QUERY_REJECTIONS: Final[Mapping[int, str]] = {
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
_DATE_NOT_PRINTABLE: Final = 18537
_DATE_RANGE: Final = (
    "date_format met a date the database cannot convert (out of its range): filter it out"
)
PIPELINE_REJECTIONS: Final[Mapping[int, str]] = {
    **QUERY_REJECTIONS,
    16006: "date_format needs dates: a value of that key is not a date",
    # The real engine (DocumentDB) cannot take a stored date far beyond year 9999 apart, and
    # MongoDB's $dateToString cannot print one (18537).
    **dict.fromkeys((15, _DATE_NOT_PRINTABLE), _DATE_RANGE),
    **dict.fromkeys(range(18533, 18537), "date_format is not a format the database accepts"),
    40485: "the time zone is not one the database knows",
    40517: "the time zone is not one the database knows",
    17124: "the project operator size ($size) needs arrays: a value is not one",
    **dict.fromkeys((*range(40386, 40399), 4940400, 4940401), _ARRAY_OBJECT),
    40400: "merge_objects needs objects: a value is not one",
    292: "a stage needs more memory than the database allows: narrow the filter or page",
    10334: "a result row is larger than 16 MB: group or project less into one row",
    # add_fields' expressions ($add & co. on a value of another type, $in on a non-array,
    # $toLower / $toUpper on an array or object: 16007).
    **dict.fromkeys(
        (16007, 16554, 16555, 16556, 16702, 28765, 40081),
        "an add_fields expression met a value of a type it cannot take",
    ),
    # ... and one whose operator is given other arguments than it takes ($eq with one, $cond
    # without then, ...), which the database finds only when it parses the pipeline.
    **dict.fromkeys(
        (16020, *range(17080, 17084)),
        "an add_fields expression gives its operator other arguments than it takes",
    ),
}
# The dev database (mongo-java-server) rejects a pattern its Java regex engine cannot compile
# without a code, as "... near index N"; MongoDB's regex errors carry 51091 (above).
_UNCODED_PATTERN_ERROR: Final = re.compile(r" near index \d+")
# ... and a date its Java formatter cannot print (a year past 9999) as "Field Year cannot be
# printed as the value ...".
_UNCODED_DATE_ERROR: Final = re.compile(r"Field \w+ cannot be printed as the value")


@contextmanager
def translated_errors(
    rejected: Mapping[int, str] = QUERY_REJECTIONS, *, time_limit_ms: int | None = None
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
    if error.code is None and _UNCODED_DATE_ERROR.search(str(error)):
        return rejected.get(_DATE_NOT_PRINTABLE)  # the dev database's uncoded 18537
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


def max_time_ms(timeout: float | None, operation_timeout: float | None) -> int | None:
    """The call's remaining deadline capped by the configured per-operation limit, in ms."""
    if timeout is not None and timeout <= 0:
        raise StorageTimeout("the call's deadline passed before the database was asked")
    candidates = [t for t in (timeout, operation_timeout) if t is not None]
    return max(1, int(min(candidates) * 1000)) if candidates else None


@contextmanager
def within(
    timeout: float | None,
    *,
    operation_timeout: float | None,
    selection_timeout: float | None,
    send_max_time_ms: bool = True,
) -> Iterator[dict[str, Any]]:
    """One operation bounded by the call's remaining `timeout`: yields the `maxTimeMS` option
    to send (empty when there is no bound). When the call has a deadline no longer than the
    server selection timeout, pymongo's own timeout enforces it as well: the driver stops
    waiting at the deadline and closes the connection, so a database that ignores maxTimeMS
    does not keep the worker (the bound never makes an outage wait longer than selection).

    `send_max_time_ms=False`: nothing to send and no pymongo timeout (see the module); a
    deadline that has passed is refused all the same."""
    bound = max_time_ms(timeout, operation_timeout)
    if not send_max_time_ms:
        yield {}
        return
    options: dict[str, Any] = {"maxTimeMS": bound} if bound else {}
    limit = selection_timeout
    if timeout is None or bound is None or limit is None or bound > limit * 1000:
        yield options
        return
    with pymongo.timeout(bound / 1000):
        yield options
