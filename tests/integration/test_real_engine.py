"""What only a real query engine can show: time limits, index use, TTL deletion.

mongo-java-server ignores `maxTimeMS`, has no `explain` (and scans every collection), and never
deletes through a TTL index, so these tests skip there (docs/compatibility.md: the
database-differences table); on the real engine (`make integration-realdb`) or a MongoDB they
run for real.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import grpc
import pymongo
import pytest
from pymongo import monitoring
from pymongo.errors import ExecutionTimeout

from jobtask.auth.security import load_security
from jobtask.demo import demo_documents, domain_ids
from jobtask.errors import StorageTimeout
from jobtask.services.reads import JobTaskService
from jobtask.settings import Settings
from jobtask.storage import INDEXES, MongoJobTaskRepository, connect_with
from tests.support.dataset import TASKS
from tests.support.edges import build_server
from tests.support.independent_client import IndependentJobTaskClient

EMULATOR: Final = "mongo-java-server"
DOMAIN: Final = domain_ids(10)[0]
TASK_COUNT: Final = 5000
# A pattern without a literal the engine could look for first, whose backtracking costs about
# the cube of a message of x's: some milliseconds per message of 150, a second or more over the
# domain's tasks (measured on the engine: 0.86 s for 5,000 messages of 60).
SLOW_PATTERN: Final = "(x|y)*(x|y)*[^xy]"
LIMIT_MS: Final = 100

Command = dict[str, Any]


class Recorder(monitoring.CommandListener):
    """The commands a client sent and the error codes the server answered with."""

    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.failure_codes: list[int | None] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in ("find", "aggregate", "count"):
            self.commands.append(dict(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self.failure_codes.append(event.failure.get("code"))


@pytest.fixture(scope="module")
def engine_database(mongodb_uri: str) -> Iterator[str]:
    """A database of demo tasks across 10 domains, made once for the module; every error
    message is x's, the input SLOW_PATTERN is slow on."""
    name = f"test_engine_{uuid.uuid4().hex[:12]}"
    documents = []
    for document in demo_documents(TASK_COUNT, domains=10, seed=3):
        for error in document["errors"]:
            error["message"] = "x" * 150
        documents.append(document)
    with pymongo.MongoClient[dict[str, Any]](mongodb_uri) as client:
        collection = client[name]["job_task"]
        MongoJobTaskRepository(collection).ensure_indexes()
        collection.insert_many(documents)  # within the engine's 25,000 per batch
        yield name
        client.drop_database(name)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def serve(
    settings: Settings, database: str, recorder: Recorder, *, limit_ms: int
) -> Iterator[IndependentJobTaskClient]:
    """The service over `database`, every query limited to `limit_ms`, its commands recorded."""
    settings = settings.model_copy(update={"mongodb_database": database})
    # The socket timeout stays well past the limit: an answer in time is the server's own.
    with pymongo.MongoClient[dict[str, Any]](
        settings.mongodb_uri.get_secret_value(), socketTimeoutMS=20_000, event_listeners=[recorder]
    ) as client:
        repository = MongoJobTaskRepository(
            client[database]["job_task"], operation_timeout=limit_ms / 1000
        )
        service = JobTaskService(repository, max_page_size=50, stat_max_time=limit_ms / 1000)
        running = build_server(settings, service, security=load_security(settings))
        running.start()
        try:
            with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
                yield IndependentJobTaskClient(channel)
        finally:
            running.stop(grace=1)


@pytest.fixture
def limited(
    settings: Settings, engine_database: str, recorder: Recorder
) -> Iterator[IndependentJobTaskClient]:
    yield from serve(settings, engine_database, recorder, limit_ms=LIMIT_MS)


@pytest.fixture
def unlimited(
    settings: Settings, engine_database: str, recorder: Recorder
) -> Iterator[IndependentJobTaskClient]:
    yield from serve(settings, engine_database, recorder, limit_ms=60_000)


# ---------------------------------------------------------------------------------------------
# maxTimeMS: a genuinely slow query is stopped by the database, and the caller told so

SLOW_FILTER: Final = [{"key": "errors.message", "value": SLOW_PATTERN, "operator": "regex"}]


def _deadline_exceeded(call: Any, recorder: Recorder) -> str:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    assert raised.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert raised.value.details().startswith("ERROR_DB_TIMEOUT: ")
    # The database stopped it (MaxTimeMSExpired), not the driver's socket timeout.
    assert 50 in recorder.failure_codes
    return str(raised.value.details())


@pytest.mark.gap(EMULATOR, "ignores maxTimeMS")
def test_a_slow_list_is_stopped_by_the_database_time_limit(
    limited: IndependentJobTaskClient, recorder: Recorder
) -> None:
    request = {"domain_id": DOMAIN, "query": {"filter": SLOW_FILTER}}

    _deadline_exceeded(lambda: limited.list(request, timeout=60), recorder)


@pytest.mark.gap(EMULATOR, "ignores maxTimeMS")
def test_a_slow_stat_is_stopped_by_the_database_time_limit(
    limited: IndependentJobTaskClient, recorder: Recorder
) -> None:
    query = {
        "filter": SLOW_FILTER,
        "aggregate": [{"group": {"keys": [{"key": "status", "name": "status"}]}}],
    }

    details = _deadline_exceeded(
        lambda: limited.stat({"domain_id": DOMAIN, "query": query}, timeout=60), recorder
    )
    assert f"time limit of {LIMIT_MS} ms" in details


@pytest.mark.gap(EMULATOR, "ignores maxTimeMS")
def test_the_slow_query_answers_without_the_limit(
    unlimited: IndependentJobTaskClient, recorder: Recorder
) -> None:
    """The control: the same query is merely slow (nothing matches), not broken."""
    answer = unlimited.list({"domain_id": DOMAIN, "query": {"filter": SLOW_FILTER}}, timeout=60)

    assert answer.get("results", []) == []
    assert recorder.failure_codes == []


# MONGODB_SEND_MAX_TIME_MS: the setting, as a process reads it, decides whether the database stops
# a long aggregation (a stat's pipeline over the slow pattern: a second or more on the engine).

SLOW_PIPELINE: Final[list[dict[str, Any]]] = [
    {"$match": {"domain_id": DOMAIN, "errors.message": {"$regex": SLOW_PATTERN}}},
    {"$group": {"_id": {"status": "$status"}, "tasks": {"$sum": 1}}},
]


class Sent:
    """A CommandObserver keeping each aggregate command as sent."""

    def __init__(self) -> None:
        self.aggregates: list[Command] = []

    def command_started(self, name: str, command: Mapping[str, Any]) -> None:
        if name == "aggregate":
            self.aggregates.append(dict(command))

    def command_finished(self, name: str, seconds: float, *, failed: bool) -> None:
        pass


def _repository_of(
    settings: Settings, database: str, sent: Sent, **overrides: Any
) -> tuple[pymongo.MongoClient[dict[str, Any]], MongoJobTaskRepository]:
    configured = settings.model_copy(update={"mongodb_database": database, **overrides})
    return connect_with(configured, observers=[sent])


@pytest.mark.gap(EMULATOR, "ignores maxTimeMS")
def test_sending_max_time_ms_a_long_aggregation_is_stopped_by_the_database(
    settings: Settings, engine_database: str
) -> None:
    sent = Sent()
    client, repository = _repository_of(
        settings,
        engine_database,
        sent,
        mongodb_send_max_time_ms=True,
        mongodb_operation_timeout_ms=LIMIT_MS,
    )
    with client, pytest.raises(StorageTimeout) as raised:
        repository.aggregate(SLOW_PIPELINE, timeout=None)

    # The database stopped it (MaxTimeMSExpired), not the driver's socket timeout.
    cause = raised.value.__cause__
    assert isinstance(cause, ExecutionTimeout) and cause.code == 50
    assert [command["maxTimeMS"] for command in sent.aggregates] == [LIMIT_MS]


@pytest.mark.gap(EMULATOR, "ignores maxTimeMS")
def test_not_sending_max_time_ms_the_engine_runs_it_to_its_end(
    settings: Settings, engine_database: str
) -> None:
    """The call's deadline no longer reaches the database: the same aggregation with a deadline
    of LIMIT_MS answers, whole (the engine's statement timeout alone could stop it)."""
    sent = Sent()
    client, repository = _repository_of(
        settings,
        engine_database,
        sent,
        mongodb_send_max_time_ms=False,
        mongodb_operation_timeout_ms=60_000,
    )
    with client:
        rows = repository.aggregate(SLOW_PIPELINE, timeout=LIMIT_MS / 1000)

    assert rows == []  # nothing matches the pattern: merely slow
    assert [command.get("maxTimeMS") for command in sent.aggregates] == [None]


# ---------------------------------------------------------------------------------------------
# explain: list, get and stat use the indexes this service creates

INDEX_NAMES: Final = frozenset(str(index.document["name"]) for index in INDEXES)
NEWEST_FIRST: Final = "domain_id_1_created_at_-1_job_task_id_-1"


def _scanned_indexes(plan: Any) -> tuple[set[str], set[str]]:
    """(index names scanned, stage names) anywhere in an explain answer."""
    indexes: set[str] = set()
    stages: set[str] = set()
    if isinstance(plan, Mapping):
        if isinstance(plan.get("stage"), str):
            stages.add(plan["stage"])
            if plan["stage"] == "IXSCAN":
                indexes.add(str(plan.get("indexName")))
        values: Any = plan.values()
    elif isinstance(plan, list):
        values = plan
    else:
        values = ()
    for value in values:
        inner_indexes, inner_stages = _scanned_indexes(value)
        indexes |= inner_indexes
        stages |= inner_stages
    return indexes, stages


def _explained(client: pymongo.MongoClient[Any], database: str, command: Command) -> set[str]:
    """The indexes the planner picks for a command as the service sent it."""
    sent = {k: v for k, v in command.items() if not k.startswith("$") and k not in ("lsid",)}
    sent.pop("maxTimeMS", None)
    plan = client[database].command("explain", sent, verbosity="queryPlanner")
    indexes, stages = _scanned_indexes(plan)
    assert indexes or "COLLSCAN" in stages, f"no plan in {plan}"
    return indexes


def _plans(
    mongodb_uri: str, database: str, recorder: Recorder, call: Any
) -> list[tuple[str, set[str]]]:
    recorder.commands.clear()
    call()
    assert recorder.commands
    with pymongo.MongoClient[dict[str, Any]](mongodb_uri) as client:
        return [(next(iter(c)), _explained(client, database, c)) for c in recorder.commands]


NO_EXPLAIN: Final = pytest.mark.gap(EMULATOR, "has no explain command (and ignores these indexes)")


def _some_task_id(mongodb_uri: str, database: str) -> str:
    with pymongo.MongoClient[dict[str, Any]](mongodb_uri) as client:
        stored = client[database]["job_task"].find_one({"domain_id": DOMAIN})
    assert stored is not None
    return str(stored["job_task_id"])


BY_STATUS: Final = [{"key": "status", "value": "FAILURE", "operator": "eq"}]
PER_STATUS: Final = [{"group": {"keys": [{"key": "status", "name": "status"}]}}]
CALLS: Final = {
    "get": lambda c, task_id: c.get({"job_task_id": task_id, "domain_id": DOMAIN}),
    "list newest first": lambda c, _: c.list(
        {"domain_id": DOMAIN, "query": {"page": {"limit": 20}}}
    ),
    "list by status": lambda c, _: c.list(
        {"domain_id": DOMAIN, "query": {"filter": BY_STATUS, "page": {"limit": 20}}}
    ),
    "stat per status": lambda c, _: c.stat(
        {"domain_id": DOMAIN, "query": {"aggregate": PER_STATUS}}
    ),
}


@NO_EXPLAIN
@pytest.mark.parametrize("call", list(CALLS))
def test_every_query_is_served_by_an_index_of_the_service(
    mongodb_uri: str,
    engine_database: str,
    unlimited: IndependentJobTaskClient,
    recorder: Recorder,
    call: str,
) -> None:
    """Each command get, list and stat send (find; count's and stat's aggregate) is planned as
    a scan of one of the indexes this service creates, never of the whole collection."""
    task_id = _some_task_id(mongodb_uri, engine_database)

    plans = _plans(mongodb_uri, engine_database, recorder, lambda: CALLS[call](unlimited, task_id))

    for command, indexes in plans:
        assert indexes, f"{command} scans the collection"
        assert indexes <= INDEX_NAMES, f"{command} scans {indexes}"
        if call != "get":
            assert all(i.startswith("domain_id_1_") for i in indexes)


@NO_EXPLAIN
@pytest.mark.gap(
    "documentdb", "plans get over a domain_id index, not the unique job_task_id one", xfail=True
)
def test_get_uses_the_unique_job_task_id_index(
    mongodb_uri: str,
    engine_database: str,
    unlimited: IndependentJobTaskClient,
    recorder: Recorder,
) -> None:
    task_id = _some_task_id(mongodb_uri, engine_database)

    plans = _plans(mongodb_uri, engine_database, recorder, lambda: CALLS["get"](unlimited, task_id))

    assert plans == [("find", {"job_task_id_1"})]


@NO_EXPLAIN
@pytest.mark.gap(
    "documentdb", "does not plan an index to give a sort's order (it sorts)", xfail=True
)
def test_list_newest_first_walks_the_created_at_index(
    mongodb_uri: str,
    engine_database: str,
    unlimited: IndependentJobTaskClient,
    recorder: Recorder,
) -> None:
    """The default order (newest first, then job_task_id) is the compound index's own."""
    plans = dict(
        _plans(
            mongodb_uri,
            engine_database,
            recorder,
            lambda: CALLS["list newest first"](unlimited, ""),
        )
    )

    assert plans["find"] == {NEWEST_FIRST}


@NO_EXPLAIN
def test_a_query_without_the_domain_scans_the_collection(
    mongodb_uri: str, engine_database: str
) -> None:
    """The control: the check above can fail, for a query that no index serves."""
    with pymongo.MongoClient[dict[str, Any]](mongodb_uri) as client:
        indexes = _explained(
            client, engine_database, {"find": "job_task", "filter": {"created_count": 3}}
        )

    assert indexes == set()


# ---------------------------------------------------------------------------------------------
# TTL: the retention index deletes finished tasks by itself

TTL_WAIT_SECONDS: Final = 150  # the engine's TTL job runs about once a minute


@pytest.mark.gap(EMULATOR, "never deletes through TTL indexes (purge is what runs there)")
@pytest.mark.timeout(TTL_WAIT_SECONDS + 30)
def test_the_retention_index_deletes_expired_finished_tasks(
    repository: MongoJobTaskRepository, raw_collection: pymongo.collection.Collection
) -> None:
    repository.ensure_indexes(retention_days=1)
    recent = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
    raw_collection.insert_many([dict(task) for task in TASKS])
    raw_collection.insert_one(
        {**TASKS[1], "job_task_id": "job_task-recent000001", "finished_at": recent}
    )
    # Finished in 2023, past a day's retention; unfinished (finished_at null) and recent stay.
    kept = {t["job_task_id"] for t in TASKS if t["finished_at"] is None}
    kept.add("job_task-recent000001")

    deadline = time.monotonic() + TTL_WAIT_SECONDS
    remaining = {d["job_task_id"] for d in raw_collection.find({}, {"job_task_id": 1})}
    while remaining != kept and time.monotonic() < deadline:
        time.sleep(2)
        remaining = {d["job_task_id"] for d in raw_collection.find({}, {"job_task_id": 1})}

    assert remaining == kept
