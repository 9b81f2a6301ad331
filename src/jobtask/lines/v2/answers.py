"""Our domain values -> SpaceONE 2.x wire answers: JobTaskInfo (with `workspace_id`),
JobTasksInfo and stat's Struct, each a message of the 2.x pool (`jobtask.lines.v2.wire`), rendered
by the same rules as the 1.x line's (`jobtask.lines.v1.answers`). A field a task was not loaded
with (left out by `only`, or by `minimal`) is not set: never a default such as `status: PENDING`."""

from __future__ import annotations

from typing import Any, Final, cast

from google.protobuf import struct_pb2
from google.protobuf.message import Message

from jobtask.domain import JobTask
from jobtask.lines.v1 import answers as v1
from jobtask.lines.v2 import wire
from jobtask.query.stat_plan import StatResult

_SCALARS: Final = v1.scalars_of(2)
_STRUCT: Final = cast(type[struct_pb2.Struct], wire.Struct)


def to_task_info(task: JobTask) -> Message:
    info: Any = wire.JobTaskInfo(**v1.task_fields(task, _SCALARS))
    if task.errors:
        v1.add_errors(info, task.errors)
    return cast(Message, info)


def to_tasks_info(results: list[JobTask], total_count: int) -> Message:
    """The page, each task built in place in the answer (as the 1.x line's)."""
    answer: Any = wire.JobTasksInfo(total_count=total_count)
    add = answer.results.add
    for task in results:
        info = add(**v1.task_fields(task, _SCALARS))
        if task.errors:
            v1.add_errors(info, task.errors)
    return cast(Message, answer)


def to_stat_struct(result: StatResult) -> Message:
    """{results, total_count?} as the 2.x pool's Struct (the 1.x line's rules)."""
    return cast(Message, v1.to_stat_struct(result, _STRUCT))
