"""Driver errors of the dev database that MongoDB reports with a code: mapped alike."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.errors import OperationFailure

from jobtask.domain import FindSpec
from jobtask.errors import InvalidParameter, StorageError
from jobtask.storage import MongoJobTaskRepository


class FailingCollection:
    def __init__(self, error: Exception) -> None:
        self._error = error

    def find(self, *args: Any, **kwargs: Any) -> Any:
        raise self._error

    def aggregate(self, *args: Any, **kwargs: Any) -> Any:
        raise self._error


def find_with(error: Exception) -> None:
    repository = MongoJobTaskRepository(FailingCollection(error))  # type: ignore[arg-type]
    repository.find({}, FindSpec({}, [], 0, 0), timeout=None)


def test_a_pattern_the_dev_databases_regex_engine_refuses_is_the_requests_fault() -> None:
    # mongo-java-server answers Java's PatternSyntaxException without a code.
    error = OperationFailure("Unknown error: Illegal repetition near index 12\na{\n  ^", None)

    with pytest.raises(InvalidParameter) as raised:
        find_with(error)

    # The reason is a fixed text; the driver's (the database's own) goes to the log only.
    assert raised.value.reason.endswith("a regular expression the database cannot compile")
    assert "Illegal repetition" not in raised.value.reason


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (
            OperationFailure("bad", 2, {"errmsg": "PlanExecutor error", "$err": "x"}),
            InvalidParameter,
        ),
        (OperationFailure("not primary", 10107, {"errmsg": "not primary"}), StorageError),
    ],
)
def test_no_message_carries_the_databases_error_document(error: Exception, kind: type) -> None:
    with pytest.raises(kind) as raised:
        find_with(error)

    for internal in ("full error", "$err", "errmsg", "PlanExecutor", "not primary", "bad"):
        assert internal not in str(raised.value)


def test_other_uncoded_failures_stay_the_databases() -> None:
    with pytest.raises(StorageError):
        find_with(OperationFailure("Unknown error: something else", None))


def aggregate_with(error: Exception) -> None:
    repository = MongoJobTaskRepository(FailingCollection(error))  # type: ignore[arg-type]
    repository.aggregate([], timeout=None)


@pytest.mark.parametrize(
    "error",
    [
        # MongoDB's $dateToString over a year past 9999; the dev database's (Java's) without a code.
        OperationFailure("Could not convert date to string: date component ... 37648", 18537),
        OperationFailure("Unknown error: Field Year cannot be printed as the value 37648", None),
    ],
    ids=["mongodb", "dev database"],
)
def test_a_date_a_stat_cannot_print_is_the_requests_to_filter_out(error: Exception) -> None:
    with pytest.raises(InvalidParameter) as raised:
        aggregate_with(error)

    assert "date_format met a date the database cannot convert" in raised.value.reason


def test_a_date_a_find_cannot_print_stays_the_databases() -> None:
    # Only a pipeline formats dates: elsewhere the uncoded error is not the request's.
    with pytest.raises(StorageError):
        find_with(
            OperationFailure("Unknown error: Field Year cannot be printed as the value", None)
        )
