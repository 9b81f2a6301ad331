"""Every error the service raises on purpose, each carrying SpaceONE's error code.

    JobTaskError                    (ERROR_UNKNOWN)
    ├── InvalidRequest              client mistakes          -> INVALID_ARGUMENT
    │   ├── RequiredParameter       ERROR_REQUIRED_PARAMETER
    │   ├── InvalidParameter        ERROR_INVALID_PARAMETER  (bad key, value, page, only, sort, ...)
    │   ├── UnsupportedOperator     ERROR_UNSUPPORTED_OPERATOR
    │   └── OperatorValueType       ERROR_OPERATOR_VALUE_TYPE and its three siblings
    ├── NotFound                    ERROR_NOT_FOUND          -> NOT_FOUND
    ├── AlreadyExists               ERROR_SAVE_UNIQUE_VALUES -> ALREADY_EXISTS
    ├── FailedPrecondition          ERROR_INVALID_STATE      -> FAILED_PRECONDITION
    ├── StorageUnavailable          ERROR_DB_UNAVAILABLE     -> UNAVAILABLE
    ├── StorageTimeout              ERROR_DB_TIMEOUT         -> DEADLINE_EXCEEDED
    ├── StorageError                ERROR_DB_QUERY           -> INTERNAL (the database failed)
    ├── NotImplementedYet           ERROR_NOT_IMPLEMENTED    -> UNIMPLEMENTED
    ├── IdentityUnavailable         ERROR_GRPC_CONNECTION    -> UNAVAILABLE (AUTH_MODE=spaceone)
    ├── Unauthenticated             ERROR_AUTHENTICATE_FAILURE -> UNAUTHENTICATED
    └── PermissionDenied            ERROR_PERMISSION_DENIED  -> PERMISSION_DENIED

This module imports nothing of ours; the gRPC mapping lives in `jobtask.edges.grpc.status`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Final

# A value a client sent is echoed in a message at most this long (repr, then cut), and a whole
# message at most MAX_MESSAGE_CHARS: details travel in a gRPC trailer, which clients refuse past
# 8 KiB (RESOURCE_EXHAUSTED), so an echoed 20 KB id must not turn NOT_FOUND into that.
MAX_SHOWN_CHARS: Final = 80
MAX_MESSAGE_CHARS: Final = 1000
# ... and at most this many bytes of UTF-8: the trailer percent-encodes every non-ASCII byte.
MAX_MESSAGE_BYTES: Final = 2000


def _cut(text: str, limit: int) -> str:
    """`text`, cut to about `limit` characters with how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


def shown(value: Any, limit: int = MAX_SHOWN_CHARS) -> str:
    """`repr(value)`, cut to about `limit` characters with how long it was."""
    return _cut(repr(value), limit)


def shown_json(value: Any, limit: int = MAX_SHOWN_CHARS) -> str:
    """`value` as JSON (anything JSON has no type for as its text), cut as `shown` cuts."""
    return _cut(json.dumps(value, ensure_ascii=False, default=str), limit)


def _bounded(message: str) -> str:
    if len(message) <= MAX_MESSAGE_CHARS and len(message.encode()) <= MAX_MESSAGE_BYTES:
        return message
    cut = message[:MAX_MESSAGE_CHARS]
    while len(cut.encode()) > MAX_MESSAGE_BYTES:
        cut = cut[: len(cut) * 3 // 4]
    return f"{cut}… (cut)"


class JobTaskError(Exception):
    """Base for every error raised on purpose."""

    code: ClassVar[str] = "ERROR_UNKNOWN"

    def __init__(self, message: str) -> None:
        message = _bounded(message)
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidRequest(JobTaskError):
    """The request cannot be served as sent; the client must change it."""

    code = "ERROR_INVALID_ARGUMENT"


class RequiredParameter(InvalidRequest):
    code = "ERROR_REQUIRED_PARAMETER"

    def __init__(self, key: str) -> None:
        super().__init__(f"Required parameter. (key = {key})")
        self.key = key


def require(**parameters: str) -> None:
    """Each parameter given, in order: SpaceONE reports the first missing one."""
    for key, value in parameters.items():
        if not value:
            raise RequiredParameter(key)


class InvalidParameter(InvalidRequest):
    code = "ERROR_INVALID_PARAMETER"

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"Invalid parameter. (key = {key}, reason = {reason})")
        self.key = key
        self.reason = reason


class UnsupportedOperator(InvalidRequest):
    code = "ERROR_UNSUPPORTED_OPERATOR"

    def __init__(self, operator: str, supported: list[str], *, key: str = "") -> None:
        named = shown(operator) if operator else "none given"
        where = f"key = {key}, " if key else ""
        super().__init__(
            f"Unsupported operator {named}. ({where}supported = {', '.join(supported)})"
        )
        self.operator = operator
        self.key = key


class OperatorValueType(InvalidRequest):
    """A filter value has the wrong shape for its operator."""

    code = "ERROR_OPERATOR_VALUE_TYPE"
    expected: ClassVar[str] = "must not be a list"

    def __init__(self, operator: str, condition: dict[str, Any], *, as_json: bool = False) -> None:
        """`as_json`: the condition as JSON (the 2.x line), not SpaceONE 1.x's Python repr."""
        limit = 4 * MAX_SHOWN_CHARS
        sent = shown_json(condition, limit) if as_json else shown(condition, limit)
        super().__init__(
            f"Value of operator {shown(operator)} {self.expected}. (condition = {sent})"
        )
        self.operator = operator
        self.condition = condition


class OperatorListValueType(OperatorValueType):
    code = "ERROR_OPERATOR_LIST_VALUE_TYPE"
    expected = "must be a non-empty list"


class OperatorBooleanType(OperatorValueType):
    code = "ERROR_OPERATOR_BOOLEAN_TYPE"
    expected = "must be a boolean"


class OperatorDictValueType(OperatorValueType):
    code = "ERROR_OPERATOR_DICT_VALUE_TYPE"
    expected = "must be an object"


# SpaceONE 2.x's ERROR_NOT_FOUND (spaceone-core 2.x's error.py), for a lookup that finds nothing
# in the caller's scope.
_NOT_FOUND_2X: Final = "Resource cannot be found or access is denied."


class NotFound(JobTaskError):
    """No job task with that id in the caller's domain (another domain's task looks the same)."""

    code = "ERROR_NOT_FOUND"

    def __init__(self, looked_up: Mapping[str, str], *, tuples: bool = True) -> None:
        """`looked_up`: what was looked up by name (job_task_id, domain_id, and for a
        workspace-scoped caller its workspace_id), named in the message. `tuples`: SpaceONE
        1.x's wording of a lookup by id and domain (False: the 2.x line's, always `plain`)."""
        self.looked_up: Final = dict(looked_up)
        if tuples and tuple(looked_up) == ("job_task_id", "domain_id"):
            # SpaceONE 1.x's bytes: its tuples of keys and values, which 1.x clients may match.
            keys, values = tuple(looked_up), ", ".join(shown(v) for v in looked_up.values())
            super().__init__(f"Value not found. ({keys} = ({values}))")
        else:
            super().__init__(self.plain)

    @property
    def plain(self) -> str:
        """SpaceONE 2.x's wording, without its tuples: `Resource cannot be found or access is
        denied. (job_task_id = 'x', domain_id = 'd')`
        (for a line that does not repeat them: the 2.x reference's tuple reprs are a defect)."""
        named = ", ".join(f"{key} = {shown(value)}" for key, value in self.looked_up.items())
        return _bounded(f"{_NOT_FOUND_2X} ({named})")


class AlreadyExists(JobTaskError):
    """A task with that id exists with other content (the same content is a safe retry)."""

    code = "ERROR_SAVE_UNIQUE_VALUES"

    def __init__(self, key: str, value: str) -> None:
        super().__init__(f"Duplicated value. ({key} = {shown(value)})")


class FailedPrecondition(JobTaskError):
    """The task's status (or the server's configuration) does not allow the operation."""

    code = "ERROR_INVALID_STATE"


class StorageUnavailable(JobTaskError):
    """The database cannot be reached right now; retrying later may succeed."""

    code = "ERROR_DB_UNAVAILABLE"


class StorageTimeout(JobTaskError):
    """The database did not answer within the call's deadline or the configured time limit."""

    code = "ERROR_DB_TIMEOUT"


class StorageError(JobTaskError):
    """The database failed the operation for a reason that is not the client's."""

    code = "ERROR_DB_QUERY"


class NotImplementedYet(JobTaskError):
    """An rpc of the API that this release does not serve yet."""

    code = "ERROR_NOT_IMPLEMENTED"


class IdentityUnavailable(JobTaskError):
    """SpaceONE identity (AUTH_MODE=spaceone) cannot be asked right now: the call is refused, never
    let through unchecked; retrying later may succeed."""

    code = "ERROR_GRPC_CONNECTION"

    def __init__(self, endpoint: str, message: str) -> None:
        super().__init__(f"Server is unavailable. (channel = {endpoint}, message = {message})")


class Unauthenticated(JobTaskError):
    """No token, or one that does not verify: missing, malformed, expired, wrongly signed, ..."""

    code = "ERROR_AUTHENTICATE_FAILURE"


class PermissionDenied(JobTaskError):
    """A verified caller asked for another domain, or for an rpc its permissions do not allow."""

    code = "ERROR_PERMISSION_DENIED"
