"""How a call ends: our errors -> one transport-neutral `Code`, SpaceONE's error code and the
message, decided once here. Each edge maps the code in a table of its own
(`jobtask.edges.grpc.status`: the gRPC status code, `jobtask.edges.http.status`: the HTTP status).

Anything unexpected is logged once with its traceback and answered INTERNAL with a generic message
(never a stack trace to the client); an INTERNAL error of ours is logged once too.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from jobtask.errors import (
    AlreadyExists,
    FailedPrecondition,
    IdentityUnavailable,
    InvalidRequest,
    JobTaskError,
    NotFound,
    NotImplementedYet,
    PermissionDenied,
    StorageError,
    StorageTimeout,
    StorageUnavailable,
    Unauthenticated,
)

log = logging.getLogger(__name__)


class Code(enum.Enum):
    """The outcome of a call, by the names gRPC gives them (metrics and call logs show these)."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


# Looked up most-specific-first along the error's MRO.
CODES: Final[Mapping[type[JobTaskError], Code]] = {
    InvalidRequest: Code.INVALID_ARGUMENT,
    NotFound: Code.NOT_FOUND,
    AlreadyExists: Code.ALREADY_EXISTS,
    FailedPrecondition: Code.FAILED_PRECONDITION,
    StorageUnavailable: Code.UNAVAILABLE,
    IdentityUnavailable: Code.UNAVAILABLE,
    StorageTimeout: Code.DEADLINE_EXCEEDED,
    StorageError: Code.INTERNAL,
    NotImplementedYet: Code.UNIMPLEMENTED,
    Unauthenticated: Code.UNAUTHENTICATED,
    PermissionDenied: Code.PERMISSION_DENIED,
    JobTaskError: Code.INTERNAL,
}

UNEXPECTED_MESSAGE: Final = "internal server error"


def code_of(error: JobTaskError) -> Code:
    for cls in type(error).__mro__:
        if cls in CODES:
            return CODES[cls]
    return Code.INTERNAL  # unreachable: JobTaskError is in the table


@dataclass(frozen=True, slots=True)
class Status:
    """A failed call's answer: its code, SpaceONE's error code and the message."""

    code: Code
    error_code: str
    message: str

    @property
    def details(self) -> str:
        """SpaceONE's `"<ERROR_CODE>: <message>"`, as gRPC sends it."""
        return f"{self.error_code}: {self.message}"


def status_of(error: BaseException, what: str) -> Status:
    """The answer to an exception a call raised; `what` names the call in the one log line of an
    INTERNAL one (ours, with its traceback; anything else, as unexpected)."""
    if isinstance(error, JobTaskError):
        code = code_of(error)
        if code is Code.INTERNAL:
            log.error("%s failed: %s", what, error, exc_info=error)
        return Status(code, error.code, error.message)
    log.error("%s failed unexpectedly", what, exc_info=error)
    return Status(Code.INTERNAL, JobTaskError.code, UNEXPECTED_MESSAGE)
