"""Errors as HTTP answers: our error -> gRPC code by `jobtask.api.status` (the only such mapping),
then gRPC code -> HTTP status by the table here, with a JSON body

    {"error": {"code": "<SPACEONE_ERROR_CODE>", "message": "...", "status": "<GRPC_STATUS_NAME>"}}
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final

import grpc
from starlette.responses import JSONResponse

from jobtask.api.status import status_code
from jobtask.errors import JobTaskError

log = logging.getLogger(__name__)

# grpc-gateway's table, except FAILED_PRECONDITION: 412 says "the resource's state forbids it"
# better than its 400.
HTTP_STATUS: Final[Mapping[grpc.StatusCode, int]] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 412,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
    grpc.StatusCode.UNAUTHENTICATED: 401,
}

UNEXPECTED_MESSAGE: Final = "internal server error"


def error_response(
    code: str, message: str, status: grpc.StatusCode, *, http_status: int | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "status": status.name}}
    return JSONResponse(body, status_code=http_status or HTTP_STATUS[status])


def error_answer(error: JobTaskError, what: str) -> JSONResponse:
    """The answer to one of our errors; INTERNAL ones are logged (once) here, as gRPC does."""
    status = status_code(error)
    if status is grpc.StatusCode.INTERNAL:
        log.error("%s failed: %s", what, error, exc_info=error)
    return error_response(error.code, error.message, status)


def unexpected_answer(what: str) -> JSONResponse:
    """A bug or an unforeseen failure: logged once with its traceback, never sent to the client."""
    log.exception("%s failed unexpectedly", what)
    return error_response(JobTaskError.code, UNEXPECTED_MESSAGE, grpc.StatusCode.INTERNAL)
