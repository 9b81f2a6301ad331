"""The call layer's one decision of how a failed call is answered: code, SpaceONE error code,
message; what is INTERNAL is logged once, with its traceback, and an unexpected failure's message
never reaches the client."""

from __future__ import annotations

import logging

import pytest

from jobtask.calls.status import Code, Status, status_of
from jobtask.errors import NotFound, StorageError


def test_a_client_mistake_is_answered_as_it_is_and_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    error = NotFound({"job_task_id": "x"})

    with caplog.at_level(logging.INFO, logger="jobtask.calls.status"):
        status = status_of(error, "get")

    assert status == Status(Code.NOT_FOUND, "ERROR_NOT_FOUND", error.message)
    assert status.details == str(error)
    assert caplog.records == []


def test_an_internal_error_of_ours_keeps_its_code_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="jobtask.calls.status"):
        status = status_of(StorageError("disk"), "list")

    assert (status.code, status.error_code, status.message) == (
        Code.INTERNAL,
        "ERROR_DB_QUERY",
        "disk",
    )
    [record] = caplog.records
    assert record.levelno == logging.ERROR and record.exc_info is not None


def test_an_unexpected_failure_is_internal_with_a_generic_message_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="jobtask.calls.status"):
        status = status_of(RuntimeError("secret internals"), "stat")

    assert status.details == "ERROR_UNKNOWN: internal server error"
    assert status.code is Code.INTERNAL
    [record] = caplog.records
    assert record.exc_info is not None and "secret internals" in str(record.exc_info[1])
