"""`jobtask.bootstrap`'s writer, over mongomock: the ids it makes are the served line's."""

from __future__ import annotations

import re
from typing import Any

import mongomock
import pytest

from jobtask.bootstrap import build_writer
from jobtask.services.collector import NewTask
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository


@pytest.mark.parametrize(("line", "prefix"), [(1, "job_task-"), (2, "job-task-")])
def test_the_writer_names_a_new_task_as_the_served_line_does(line: int, prefix: str) -> None:
    collection: Any = mongomock.MongoClient()["inventory"]["job_task"]
    writer = build_writer(Settings(spaceone_api=line), MongoJobTaskRepository(collection))

    task = writer.create(NewTask(domain_id="domain-1", job_id="job-1"), timeout=None)

    assert task.job_task_id is not None
    assert re.fullmatch(rf"{prefix}[0-9a-f]{{12}}", task.job_task_id)
