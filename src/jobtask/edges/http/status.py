"""Errors as HTTP answers: the call layer's outcome (`jobtask.calls.status`, the only decision of
code, error code and message) -> HTTP status by the table here, with a JSON body

    {"error": {"code": "<SPACEONE_ERROR_CODE>", "message": "...", "status": "<CODE_NAME>"}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from starlette.responses import JSONResponse

from jobtask.calls.status import Code, Status, status_of

# grpc-gateway's table, except FAILED_PRECONDITION: 412 says "the resource's state forbids it"
# better than its 400.
HTTP_STATUS: Final[Mapping[Code, int]] = {
    Code.OK: 200,
    Code.CANCELLED: 499,
    Code.UNKNOWN: 500,
    Code.INVALID_ARGUMENT: 400,
    Code.DEADLINE_EXCEEDED: 504,
    Code.NOT_FOUND: 404,
    Code.ALREADY_EXISTS: 409,
    Code.PERMISSION_DENIED: 403,
    Code.RESOURCE_EXHAUSTED: 429,
    Code.FAILED_PRECONDITION: 412,
    Code.ABORTED: 409,
    Code.OUT_OF_RANGE: 400,
    Code.UNIMPLEMENTED: 501,
    Code.INTERNAL: 500,
    Code.UNAVAILABLE: 503,
    Code.DATA_LOSS: 500,
    Code.UNAUTHENTICATED: 401,
}


def error_response(
    code: str, message: str, status: Code, *, http_status: int | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "status": status.name}}
    return JSONResponse(body, status_code=http_status or HTTP_STATUS[status])


def status_response(status: Status) -> JSONResponse:
    return error_response(status.error_code, status.message, status.code)


def error_answer(error: BaseException, what: str) -> JSONResponse:
    """The answer to an exception a call raised (logged, when it must be, by the call layer)."""
    return status_response(status_of(error, what))
