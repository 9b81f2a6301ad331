"""Our domain values -> SpaceONE 2.x wire answers: JobTaskInfo (with `workspace_id`),
JobTasksInfo and stat's Struct, each a message of the 2.x pool (`jobtask.lines.v2.wire`), rendered
by the same rules as the 1.x line's (`jobtask.lines.v1.answers`). A field a task was not loaded
with (left out by `only`, or by `minimal`) is not set: never a default such as `status: PENDING`."""

from __future__ import annotations

from typing import Final, cast

from google.protobuf import struct_pb2
from google.protobuf.message import Message

from jobtask.domain import JobTask
from jobtask.lines.v1 import answers as v1
from jobtask.lines.v2 import wire
from jobtask.query.stat_plan import StatResult
from spaceone.api.inventory.v1 import job_task_pb2

_SCALARS: Final = v1.scalars_of(2)
# The 2.x pool's classes, which the 1.x line's renderers fill as they fill 1.x's (the same field
# names; 2.x's JobTaskInfo has workspace_id too: `_SCALARS`).
_INFO: Final = cast(type[job_task_pb2.JobTaskInfo], wire.JobTaskInfo)
_INFOS: Final = cast(type[job_task_pb2.JobTasksInfo], wire.JobTasksInfo)
_STRUCT: Final = cast(type[struct_pb2.Struct], wire.Struct)


def to_task_info(task: JobTask) -> Message:
    return v1.to_task_info(task, _INFO, _SCALARS)


def to_tasks_info(results: list[JobTask], total_count: int) -> Message:
    """The page, each task built in place in the answer (as the 1.x line's)."""
    return v1.to_tasks_info(results, total_count, _INFOS, _SCALARS)


def to_stat_struct(result: StatResult) -> Message:
    """{results, total_count?} as the 2.x pool's Struct (the 1.x line's rules)."""
    return cast(Message, v1.to_stat_struct(result, _STRUCT))
