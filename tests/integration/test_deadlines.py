"""Every database operation of the repository is bounded by the call's deadline: each command the
driver sends carries `maxTimeMS` no larger than the time left, writes and counts included; with
MONGODB_SEND_MAX_TIME_MS=false none does."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobtask.domain import FindSpec, JobTask, JobTaskStatus, ProgressUpdate, StoredTask
from jobtask.services.collector import MAX_COUNT
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository, connect_with

DEADLINE = 5.0
# Driver housekeeping, the one write that cannot carry maxTimeMS (an index lookup), and the index
# step's listing of the indexes (start-up's, never a call's).
UNBOUNDED = frozenset(
    {
        *("insert", "listIndexes", "endSessions", "hello", "isMaster", "ismaster", "ping"),
        *("saslStart", "saslContinue"),
    }
)


class Commands:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Mapping[str, Any]]] = []

    def command_started(self, name: str, command: Mapping[str, Any]) -> None:
        self.sent.append((name, dict(command)))

    def command_finished(self, name: str, seconds: float, *, failed: bool) -> None:
        pass


@pytest.fixture(params=[True, False], ids=["sending maxTimeMS", "not sending maxTimeMS"])
def watched(
    settings: Settings, request: pytest.FixtureRequest
) -> Iterator[tuple[MongoJobTaskRepository, Commands, bool]]:
    commands = Commands()
    settings = settings.model_copy(update={"mongodb_send_max_time_ms": request.param})
    client, repository = connect_with(settings, observers=[commands])
    yield repository, commands, request.param
    client.drop_database(settings.mongodb_database)
    client.close()


def _task(job_task_id: str) -> StoredTask:
    now = datetime.now(UTC).replace(tzinfo=None)
    return StoredTask(
        JobTask(
            job_task_id=job_task_id,
            domain_id="domain-deadline01",
            status=JobTaskStatus.PENDING,
            created_at=now,
            errors=(),
            created_count=0,
        ),
        reported_error_count=0,  # None is stored as null, which $inc refuses
    )


def test_every_operation_carries_max_time_ms_within_the_deadline_unless_told_not_to(
    watched: tuple[MongoJobTaskRepository, Commands, bool],
) -> None:
    repository, commands, sending = watched
    scope = {"domain_id": "domain-deadline01"}
    repository.ensure_indexes(timeout=DEADLINE)
    for name in ("job_task-d1", "job_task-d2"):
        repository.insert(_task(name), timeout=DEADLINE)
    repository.find_one({**scope, "job_task_id": "job_task-d1"}, {"_id": 0}, timeout=DEADLINE)
    repository.find(scope, FindSpec({"_id": 0}, [("created_at", -1)], 0, 1), timeout=DEADLINE)
    repository.count(scope, timeout=DEADLINE)
    repository.aggregate([{"$match": scope}, {"$count": "n"}], timeout=DEADLINE)
    repository.find_stored("job_task-d1", "domain-deadline01", timeout=DEADLINE)
    started = repository.transition(
        "job_task-d1",
        "domain-deadline01",
        sources=[JobTaskStatus.PENDING],
        target=JobTaskStatus.IN_PROGRESS,
        stamp="started_at",
        now=datetime.now(UTC),
        timeout=DEADLINE,
    )
    progressed = repository.add_progress(
        "job_task-d1",
        "domain-deadline01",
        ProgressUpdate(
            JobTaskStatus.IN_PROGRESS,
            counts={"created_count": 1},
            errors=[],
            max_errors=10,
            max_count=MAX_COUNT,
        ),
        timeout=DEADLINE,
    )
    deleted = repository.delete_one({**scope, "job_task_id": "job_task-d2"}, timeout=DEADLINE)
    purged = repository.delete_finished(
        before=datetime.now(UTC) + timedelta(days=1),
        statuses=[JobTaskStatus.IN_PROGRESS],
        domain_id="domain-deadline01",
        timeout=DEADLINE,
    )

    assert started is not None and progressed is not None
    assert (deleted, purged) == (True, 0)
    bounded = [(name, command) for name, command in commands.sent if name not in UNBOUNDED]
    names = {name for name, _ in bounded}
    assert {"createIndexes", "find", "aggregate", "findAndModify", "delete"} <= names
    if sending:
        for name, command in bounded:
            assert 0 < command.get("maxTimeMS", 0) <= DEADLINE * 1000, (name, command)
    else:
        for name, command in commands.sent:
            assert "maxTimeMS" not in command, (name, command)
