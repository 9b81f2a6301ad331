"""The JSON the HTTP edge answers and `jobtask --json` prints (jobtask.protojson)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.protobuf import struct_pb2

from jobtask import protojson
from jobtask_internal.v1 import job_task_writer_pb2 as writer_pb2
from spaceone.api.inventory.v1 import job_task_pb2


def _struct(document: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(document)
    return struct


@pytest.mark.parametrize(
    ("number", "printed"),
    [
        (44, "44"),
        (0, "0"),
        (-3, "-3"),
        (2.5, "2.5"),
        (2**53, str(2**53)),
        # past 2**53 a double does not hold every integer: it stays a float
        (2.0**60, "1.152921504606847e+18"),
        (1e300, "1e+300"),
    ],
)
def test_integral_struct_numbers_print_as_integers_when_exact(number: float, printed: str) -> None:
    document = protojson.to_dict(_struct({"results": [{"n": number}]}))
    assert json.dumps(document) == f'{{"results": [{{"n": {printed}}}]}}'


def test_an_answers_count_is_printed_even_when_zero_but_a_tasks_zero_fields_are_not() -> None:
    assert protojson.to_dict(job_task_pb2.JobTasksInfo()) == {"total_count": 0}
    assert protojson.to_dict(writer_pb2.PurgeResponse()) == {"deleted_count": 0}
    task = job_task_pb2.JobTaskInfo(job_task_id="job_task-1", updated_count=2)
    answer = protojson.to_dict(job_task_pb2.JobTasksInfo(results=[task]))
    assert answer == {
        "results": [{"job_task_id": "job_task-1", "updated_count": 2}],
        "total_count": 0,
    }
    assert protojson.to_dict(task) == {"job_task_id": "job_task-1", "updated_count": 2}
