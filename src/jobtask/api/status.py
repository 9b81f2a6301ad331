"""Our errors -> gRPC status codes: the only mapping, applied by one interceptor.

Details are SpaceONE's `"<ERROR_CODE>: <message>"`. Anything unexpected is logged once with its
traceback and answered INTERNAL with a generic message (never a stack trace to the client).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

import grpc

from jobtask.api.calls import Behaviour, UnaryInterceptor
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

# Looked up most-specific-first along the error's MRO.
STATUS_CODES: Final[Mapping[type[JobTaskError], grpc.StatusCode]] = {
    InvalidRequest: grpc.StatusCode.INVALID_ARGUMENT,
    NotFound: grpc.StatusCode.NOT_FOUND,
    AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    StorageUnavailable: grpc.StatusCode.UNAVAILABLE,
    IdentityUnavailable: grpc.StatusCode.UNAVAILABLE,
    StorageTimeout: grpc.StatusCode.DEADLINE_EXCEEDED,
    StorageError: grpc.StatusCode.INTERNAL,
    NotImplementedYet: grpc.StatusCode.UNIMPLEMENTED,
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    JobTaskError: grpc.StatusCode.INTERNAL,
}


def status_code(error: JobTaskError) -> grpc.StatusCode:
    for cls in type(error).__mro__:
        if cls in STATUS_CODES:
            return STATUS_CODES[cls]
    return grpc.StatusCode.INTERNAL  # unreachable: JobTaskError is in the table


def _mapped(behaviour: Behaviour, method: str) -> Behaviour:
    def call(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return behaviour(request, context)
        except JobTaskError as error:
            code = status_code(error)
            if code is grpc.StatusCode.INTERNAL:
                log.error("%s failed: %s", method, error, exc_info=error)
            context.abort(code, str(error))
        except Exception:
            log.exception("%s failed unexpectedly", method)
            context.abort(grpc.StatusCode.INTERNAL, "ERROR_UNKNOWN: internal server error")

    return call


def error_mapping_interceptor(service_prefixes: tuple[str, ...]) -> UnaryInterceptor:
    """Turns our errors into status codes for every unary rpc of the services it guards."""
    return UnaryInterceptor(service_prefixes, lambda behaviour, call: _mapped(behaviour, call.path))
