"""Helpers of the scope tests (a Scope with projects or a workspace): a service over mongomock
holding given documents, and the check that neither get nor delete reaches a task."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import mongomock
import pytest

from jobtask.errors import NotFound
from jobtask.scope import Scope
from jobtask.services.reads import JobTaskService
from jobtask.storage import MongoJobTaskRepository


def service_holding(documents: Iterable[dict[str, Any]]) -> JobTaskService:
    """A service over a mongomock collection holding copies of `documents`."""
    collection: Any = mongomock.MongoClient()["inventory"]["job_task"]
    collection.insert_many([dict(d) for d in documents])
    return JobTaskService(
        MongoJobTaskRepository(collection), max_page_size=50, clock=lambda: datetime(2024, 1, 1)
    )


def assert_out_of_reach(service: JobTaskService, scope: Scope, job_task_id: str) -> None:
    """Neither get nor delete finds the task for `scope` (NotFound, as a missing one)."""
    with pytest.raises(NotFound):
        service.get(scope, job_task_id)
    with pytest.raises(NotFound):
        service.delete(scope, job_task_id)
