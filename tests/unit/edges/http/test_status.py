"""Errors over HTTP: the call layer's one error -> code table, then code -> HTTP status."""

from __future__ import annotations

import json

import pytest

from jobtask.calls.status import CODES, Code, code_of
from jobtask.edges.http.status import HTTP_STATUS, error_answer
from jobtask.errors import (
    AlreadyExists,
    FailedPrecondition,
    IdentityUnavailable,
    InvalidParameter,
    InvalidRequest,
    JobTaskError,
    NotFound,
    NotImplementedYet,
    OperatorListValueType,
    PermissionDenied,
    RequiredParameter,
    StorageError,
    StorageTimeout,
    StorageUnavailable,
    Unauthenticated,
    UnsupportedOperator,
)

# One instance of every row of the code table (and a few subclasses), with its HTTP status.
CASES = [
    (InvalidRequest("bad"), 400),
    (RequiredParameter("domain_id"), 400),
    (InvalidParameter("k", "r"), 400),
    (UnsupportedOperator("x", ["eq"]), 400),
    (OperatorListValueType("in", {}), 400),
    (NotFound({"job_task_id": "x"}), 404),
    (AlreadyExists("job_task_id", "x"), 409),
    (FailedPrecondition("the task is FAILURE"), 412),
    (StorageUnavailable("down"), 503),
    (IdentityUnavailable("grpc://identity:50051", "UNAVAILABLE"), 503),
    (StorageTimeout("slow"), 504),
    (StorageError("boom"), 500),
    (NotImplementedYet("later"), 501),
    (Unauthenticated("no token"), 401),
    (PermissionDenied("not yours"), 403),
    (JobTaskError("?"), 500),
]


def test_every_code_has_an_http_status() -> None:
    assert set(HTTP_STATUS) == set(Code)


def test_the_cases_cover_every_row_of_the_code_table() -> None:
    assert {type(error) for error, _ in CASES} >= set(CODES)


@pytest.mark.parametrize(("error", "http_status"), CASES)
def test_each_error_answers_the_http_status_of_its_code(
    error: JobTaskError, http_status: int
) -> None:
    response = error_answer(error, "test")

    assert response.status_code == http_status
    assert json.loads(bytes(response.body)) == {
        "error": {"code": error.code, "message": error.message, "status": code_of(error).name}
    }
