"""MONGODB_SEND_MAX_TIME_MS: with it (the default) every operation of the repository carries
`maxTimeMS` and, within short deadlines, pymongo's own timeout; without it none does, and pymongo's
timeout (which sends `maxTimeMS` too) is never entered. Over a collection stub that records each
driver call's keyword options. (The commands as the driver sends them:
tests/integration/test_deadlines.py.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Final

import pymongo
import pytest

from jobtask.domain import FindSpec, JobTask, JobTaskStatus, ProgressUpdate, StoredTask
from jobtask.errors import StorageTimeout
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository, connection

DEADLINE: Final = 1.0
DOMAIN: Final = "domain-maxtime01"
NOW: Final = datetime(2024, 3, 1, tzinfo=UTC)
# The driver's keywords that become maxTimeMS in the command.
MAX_TIME_KEYWORDS: Final = ("maxTimeMS", "max_time_ms")

Call = tuple[str, dict[str, Any], bool]  # method, keyword options, inside pymongo.timeout


class Recorder:
    """Stands for the collection, its database, client and admin database alike: each driver
    method records its keyword options and whether pymongo's timeout was active, and answers
    what an empty collection would."""

    name = "job_task"
    full_name = "inventory.job_task"

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.in_timeout = False

    @property
    def database(self) -> Recorder:
        return self

    @property
    def client(self) -> Recorder:
        return self

    @property
    def admin(self) -> Recorder:
        return self

    def __getitem__(self, _: str) -> Recorder:
        return self

    def _answer(self, method: str, answer: Any, options: dict[str, Any]) -> Any:
        self.calls.append((method, options, self.in_timeout))
        return answer

    def find(self, *_: Any, **options: Any) -> Any:
        return self._answer("find", [], options)

    def find_one(self, *_: Any, **options: Any) -> Any:
        return self._answer("find_one", None, options)

    def count_documents(self, *_: Any, **options: Any) -> Any:
        return self._answer("count_documents", 0, options)

    def find_one_and_delete(self, *_: Any, **options: Any) -> Any:
        return self._answer("find_one_and_delete", None, options)

    def find_one_and_update(self, *_: Any, **options: Any) -> Any:
        return self._answer("find_one_and_update", None, options)

    def aggregate(self, *_: Any, **options: Any) -> Any:
        return self._answer("aggregate", [], options)

    def insert_one(self, *_: Any, **options: Any) -> Any:
        return self._answer("insert_one", None, options)

    def create_indexes(self, *_: Any, **options: Any) -> Any:
        return self._answer("create_indexes", [], options)

    def create_index(self, *_: Any, **options: Any) -> Any:
        return self._answer("create_index", "domain_id_hashed", options)

    def index_information(self, *_: Any, **options: Any) -> Any:
        return self._answer("index_information", {}, options)

    def command(self, name: Any, *_: Any, **options: Any) -> Any:
        method = f"command {next(iter(name)) if isinstance(name, dict) else name}"
        return self._answer(method, {"n": 0, "ok": 1}, options)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    entered = pymongo.timeout

    @contextmanager
    def timeout(seconds: float | None) -> Iterator[None]:
        with entered(seconds):
            recorder.in_timeout = True
            try:
                yield
            finally:
                recorder.in_timeout = False

    monkeypatch.setattr(pymongo, "timeout", timeout)
    return recorder


def _task() -> StoredTask:
    task = JobTask(
        job_task_id="job_task-m1", domain_id=DOMAIN, status=JobTaskStatus.PENDING, errors=()
    )
    return StoredTask(task, reported_error_count=0)


SCOPE: Final = {"domain_id": DOMAIN}
# Each operation of the repository, called with the call's deadline; the driver method that
# sends its command (the one that must carry maxTimeMS when it is sent).
OPERATIONS: Final[dict[str, tuple[Callable[[MongoJobTaskRepository], Any], str]]] = {
    "get": (lambda r: r.find_one(SCOPE, {"_id": 0}, timeout=DEADLINE), "find_one"),
    "list": (
        lambda r: r.find(SCOPE, FindSpec({}, [("created_at", -1)], 0, 1), timeout=DEADLINE),
        "find",
    ),
    "count": (lambda r: r.count(SCOPE, timeout=DEADLINE), "count_documents"),
    "delete": (lambda r: r.delete_one(SCOPE, timeout=DEADLINE), "find_one_and_delete"),
    "stat": (lambda r: r.aggregate([{"$match": SCOPE}], timeout=DEADLINE), "aggregate"),
    "create": (lambda r: r.insert(_task(), timeout=DEADLINE), "insert_one"),
    "find stored": (
        lambda r: r.find_stored("job_task-m1", DOMAIN, timeout=DEADLINE),
        "find_one",
    ),
    "find status": (
        lambda r: r.find_status("job_task-m1", DOMAIN, timeout=DEADLINE),
        "find_one",
    ),
    "transition": (
        lambda r: r.transition(
            "job_task-m1",
            DOMAIN,
            sources=[JobTaskStatus.PENDING],
            target=JobTaskStatus.IN_PROGRESS,
            stamp="started_at",
            now=NOW,
            timeout=DEADLINE,
        ),
        "find_one_and_update",
    ),
    "add progress": (
        lambda r: r.add_progress(
            "job_task-m1",
            DOMAIN,
            ProgressUpdate(
                JobTaskStatus.IN_PROGRESS,
                counts={"created_count": 1},
                errors=[],
                max_errors=10,
                max_count=100,
            ),
            timeout=DEADLINE,
        ),
        "find_one_and_update",
    ),
    "purge": (
        lambda r: r.delete_finished(
            before=NOW, statuses=[JobTaskStatus.SUCCESS], domain_id=DOMAIN, timeout=DEADLINE
        ),
        "command delete",
    ),
    "ensure indexes": (lambda r: r.ensure_indexes(timeout=DEADLINE), "create_indexes"),
    "shard collection": (
        lambda r: r.shard_collection(timeout=DEADLINE),
        "command shardCollection",
    ),
}


def _repository(recorder: Recorder, *, send_max_time_ms: bool) -> MongoJobTaskRepository:
    return MongoJobTaskRepository(
        recorder,  # type: ignore[arg-type]
        operation_timeout=10.0,
        selection_timeout=5.0,
        send_max_time_ms=send_max_time_ms,
    )


def _max_time(options: dict[str, Any]) -> Any:
    return next((options[k] for k in MAX_TIME_KEYWORDS if options.get(k) is not None), None)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_by_default_every_operation_carries_max_time_ms(recorder: Recorder, operation: str) -> None:
    call, sender = OPERATIONS[operation]

    call(_repository(recorder, send_max_time_ms=True))

    sent = [(options, timed) for method, options, timed in recorder.calls if method == sender]
    assert sent, recorder.calls
    for options, timed in sent:
        # Within the server selection timeout pymongo's own timeout bounds the call as well.
        assert timed
        # An insert cannot carry maxTimeMS: pymongo's timeout sends it for it.
        assert _max_time(options) == (None if sender == "insert_one" else 1000), options


@pytest.mark.parametrize("operation", OPERATIONS)
def test_without_max_time_ms_no_operation_carries_it(recorder: Recorder, operation: str) -> None:
    call, sender = OPERATIONS[operation]

    call(_repository(recorder, send_max_time_ms=False))

    assert sender in [method for method, _, _ in recorder.calls]
    for method, options, timed in recorder.calls:
        assert _max_time(options) is None, (method, options)
        assert not timed, f"{method} ran inside pymongo.timeout, which sends maxTimeMS"


def test_without_max_time_ms_a_passed_deadline_is_still_never_sent(recorder: Recorder) -> None:
    repository = _repository(recorder, send_max_time_ms=False)

    with pytest.raises(StorageTimeout):
        repository.aggregate([{"$match": SCOPE}], timeout=0)

    assert recorder.calls == []


@pytest.mark.parametrize(("variable", "sent"), [(None, True), ("true", True), ("false", False)])
def test_the_setting_reaches_the_repository(
    monkeypatch: pytest.MonkeyPatch, recorder: Recorder, variable: str | None, sent: bool
) -> None:
    if variable is not None:
        monkeypatch.setenv("MONGODB_SEND_MAX_TIME_MS", variable)
    monkeypatch.setattr(pymongo, "MongoClient", lambda *_, **__: recorder)

    _, repository = connection.connect_with(Settings())
    repository.aggregate([{"$match": SCOPE}], timeout=DEADLINE)

    [(_, options, _)] = recorder.calls
    assert ("maxTimeMS" in options) is sent
