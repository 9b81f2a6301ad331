"""Driver errors of the dev database that MongoDB reports with a code: mapped alike."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.errors import OperationFailure

from jobtask.errors import InvalidParameter, StorageError
from jobtask.repository import MongoJobTaskRepository


class FailingCollection:
    def __init__(self, error: Exception) -> None:
        self._error = error

    def find(self, *args: Any, **kwargs: Any) -> Any:
        raise self._error


def find_with(error: Exception) -> None:
    repository = MongoJobTaskRepository(FailingCollection(error))  # type: ignore[arg-type]
    repository.find({}, {}, sort=[], skip=0, limit=0, timeout=None)


def test_a_pattern_the_dev_databases_regex_engine_refuses_is_the_requests_fault() -> None:
    # mongo-java-server answers Java's PatternSyntaxException without a code.
    error = OperationFailure("Unknown error: Illegal repetition near index 12\na{\n  ^", None)

    with pytest.raises(InvalidParameter) as raised:
        find_with(error)

    assert "Illegal repetition near index 12" in raised.value.reason


def test_other_uncoded_failures_stay_the_databases() -> None:
    with pytest.raises(StorageError):
        find_with(OperationFailure("Unknown error: something else", None))
