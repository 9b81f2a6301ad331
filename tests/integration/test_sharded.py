"""On a collection sharded by {domain_id: "hashed"}: every rpc is routed to one shard, the unique
index holds across shards, the operator's `shard-collection` step, and errors that do not depend
on sharding. Runs in the sharded tier only (`make integration-sharded`: JOBTASK_TEST_SHARDED=1 on
../shared/realdb/shardeddb.sh, DocumentDB distributed by Citus over 8 shards on two workers).

Routing is read from the engine's `explain` of the very commands the service sent (recorded by
a command listener on its client). The engine explains a query sent to one shard either as a
`SINGLE_SHARD` stage with `shardCount: 1`, or, when Citus routes the whole command to the shard,
as that shard's plan alone; a query sent to every shard always shows a `SHARD_MERGE` stage or a
`splitPipeline` with `shardCount: 8` (the scatter test below is the control). The engine has no
explain for `findAndModify`, `delete` or `insert`: for those the filter they carry is explained
as a `find` (an insert: its document's shard key), and a single-document write that did not name
the shard key would have been refused (the refusal test).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import grpc
import pymongo
import pytest
from pymongo import monitoring

from jobtask.demo import demo_documents, domain_ids
from jobtask.services.collector import WriterLimits
from jobtask.storage import INDEXES, MongoJobTaskRepository
from jobtask.storage.sharding import SHARD_KEY
from jobtask_internal.v1 import job_task_writer_pb2 as w
from jobtask_internal.v1 import job_task_writer_pb2_grpc
from tests.integration.conftest import start_with_writer
from tests.support.database import (
    again_after_deadlock,
    drop_database,
    server_settings_for,
    sharded,
)
from tests.support.independent_client import IndependentJobTaskClient
from tests.support.processes import ROOT

pytestmark = pytest.mark.skipif(
    not sharded(), reason="the sharded tier's (JOBTASK_TEST_SHARDED=1, make integration-sharded)"
)

DOMAINS: Final = domain_ids(8)
DOMAIN: Final = DOMAINS[0]
SHARDS: Final = 8
RETENTION_DAYS: Final = 7
ROUTED: Final = ("find", "aggregate", "findAndModify", "delete", "insert")


class Recorder(monitoring.CommandListener):
    """The data commands the service's client sent, and the codes of those that failed."""

    def __init__(self) -> None:
        self.commands: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in ROUTED:
            self.commands.append(dict(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@dataclass
class Cluster:
    database: pymongo.database.Database[dict[str, Any]]
    recorder: Recorder
    reader: IndependentJobTaskClient
    writer: job_task_writer_pb2_grpc.JobTaskWriterStub


def _serve(uri: str, *, is_sharded: bool) -> Iterator[Cluster]:
    """The service and the writer over a database of its own holding 400 demo tasks across 8
    domains: its collection sharded by SHARD_KEY before anything is in it, or not sharded."""
    name = f"test_sharded_{uuid.uuid4().hex[:12]}"
    recorder = Recorder()
    with pymongo.MongoClient[dict[str, Any]](uri, event_listeners=[recorder]) as client:
        if is_sharded:
            command = {"shardCollection": f"{name}.job_task", "key": SHARD_KEY}
            again_after_deadlock(lambda: client.admin.command(command))
        repository = MongoJobTaskRepository(client[name]["job_task"])
        again_after_deadlock(
            lambda: repository.ensure_indexes(retention_days=RETENTION_DAYS, sharded=is_sharded)
        )
        client[name]["job_task"].insert_many(demo_documents(400, domains=len(DOMAINS), seed=5))
        settings = server_settings_for(uri, name, mongodb_sharded=is_sharded)
        limits = WriterLimits(max_errors=10, retention_days=RETENTION_DAYS)
        running = start_with_writer(settings, repository, limits)
        try:
            with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
                yield Cluster(
                    client[name],
                    recorder,
                    IndependentJobTaskClient(channel),
                    job_task_writer_pb2_grpc.JobTaskWriterStub(channel),
                )
        finally:
            running.stop(grace=1)
            drop_database(client, name)


@pytest.fixture(scope="module")
def cluster(mongodb_uri: str) -> Iterator[Cluster]:
    yield from _serve(mongodb_uri, is_sharded=True)


@pytest.fixture(scope="module")
def unsharded(mongodb_uri: str) -> Iterator[Cluster]:
    yield from _serve(mongodb_uri, is_sharded=False)


# ---------------------------------------------------------------------------------------------
# Routing, from the engine's explain


def _nodes(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        yield value
        for inner in value.values():
            yield from _nodes(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _nodes(inner)


def shards_answering(explained: Mapping[str, Any]) -> int:
    """How many shards the engine's explain says a query goes to (see the module)."""
    nodes = list(_nodes(explained))
    counts = [int(node["shardCount"]) for node in nodes if "shardCount" in node]
    scatter = any(node.get("stage") == "SHARD_MERGE" for node in nodes)
    if scatter or "splitPipeline" in explained:
        return max(counts, default=SHARDS)
    return max(counts, default=1)


def _explainable(command: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The queries a recorded command ran, as commands the engine explains."""
    if "find" in command:
        keys = ("find", "filter", "sort", "skip", "limit", "projection")
        return [{key: command[key] for key in keys if key in command}]
    if "aggregate" in command:
        return [{"aggregate": command["aggregate"], "pipeline": command["pipeline"], "cursor": {}}]
    if "findAndModify" in command:
        return [{"find": command["findAndModify"], "filter": command["query"]}]
    if "delete" in command:
        return [{"find": command["delete"], "filter": d["q"]} for d in command["deletes"]]
    return [
        {"find": command["insert"], "filter": {"domain_id": document["domain_id"]}}
        for document in command["documents"]
    ]


def routing(cluster: Cluster) -> list[tuple[str, int]]:
    """Each command the service sent since the recorder was cleared, with its shard count."""
    answer = []
    for command in cluster.recorder.commands:
        name = next(iter(command))
        for query in _explainable(command):
            explained = cluster.database.command("explain", query, verbosity="queryPlanner")
            answer.append((name, shards_answering(explained)))
    return answer


def _ref(task_id: str, domain_id: str = DOMAIN) -> w.JobTaskRef:
    return w.JobTaskRef(job_task_id=task_id, domain_id=domain_id)


def _create(cluster: Cluster, domain_id: str = DOMAIN, **fields: Any) -> str:
    defaults = {"job_id": "job-1", "provider": "aws", "service_account_id": "sa-1"}
    request = w.CreateJobTaskRequest(domain_id=domain_id, **{**defaults, **fields})
    return str(cluster.writer.create(request, timeout=10).job_task_id)


def _existing(cluster: Cluster) -> str:
    document = cluster.database["job_task"].find_one({"domain_id": DOMAIN}, {"job_task_id": 1})
    assert document is not None
    return str(document["job_task_id"])


STAT_QUERY: Final = {
    "aggregate": [
        {
            "group": {
                "keys": [{"key": "status", "name": "status"}],
                "fields": [{"name": "n", "operator": "count"}],
            }
        }
    ]
}


def _call(cluster: Cluster, rpc: str) -> None:
    """One call of `rpc` scoped to DOMAIN, on a task made ready for it beforehand; the recorder
    holds the commands of that call alone."""
    reader, writer = cluster.reader, cluster.writer
    task_id = _existing(cluster) if rpc == "get" else ""
    if rpc in ("delete", "start", "report", "finish", "cancel"):
        task_id = _create(cluster)
    if rpc in ("report", "finish"):
        writer.start(_ref(task_id), timeout=10)
    cluster.recorder.commands.clear()
    if rpc in ("get", "delete"):
        getattr(reader, rpc)({"job_task_id": task_id, "domain_id": DOMAIN}, timeout=10)
    elif rpc == "list":
        query = {"filter": [{"k": "status", "v": "SUCCESS", "o": "eq"}], "page": {"limit": 5}}
        reader.list({"domain_id": DOMAIN, "query": query}, timeout=10)
    elif rpc == "stat":
        reader.stat({"domain_id": DOMAIN, "query": STAT_QUERY}, timeout=10)
    elif rpc == "create":
        _create(cluster)
    elif rpc == "purge":
        writer.purge(w.PurgeRequest(domain_id=DOMAIN), timeout=10)
    elif rpc == "report":
        writer.report(w.ReportProgressRequest(job_task_id=task_id, domain_id=DOMAIN), timeout=10)
    elif rpc == "finish":
        success = w.FinishJobTaskRequest.SUCCESS
        request = w.FinishJobTaskRequest(job_task_id=task_id, domain_id=DOMAIN, status=success)
        writer.finish(request, timeout=10)
    else:
        getattr(writer, rpc)(_ref(task_id), timeout=10)


RPCS: Final = (
    "get",
    "list",
    "stat",
    "delete",
    "create",
    "start",
    "report",
    "finish",
    "cancel",
    "purge",
)


@pytest.mark.parametrize("rpc", RPCS)
def test_a_call_scoped_to_one_domain_is_answered_by_one_shard(cluster: Cluster, rpc: str) -> None:
    _call(cluster, rpc)

    routed = routing(cluster)

    assert routed, f"{rpc} sent no command"
    assert all(shards == 1 for _, shards in routed), routed


def test_the_system_purge_is_scatter_gather(cluster: Cluster) -> None:
    """A purge without a domain (the retention's, across domains) goes to every shard, and
    deletes in each: the one call that must span domains."""
    aged = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=RETENTION_DAYS + 1)
    finished = w.FinishJobTaskRequest.SUCCESS
    for domain in DOMAINS:
        task_id = _create(cluster, domain)
        cluster.writer.start(_ref(task_id, domain), timeout=10)
        request = w.FinishJobTaskRequest(job_task_id=task_id, domain_id=domain, status=finished)
        cluster.writer.finish(request, timeout=10)
        cluster.database["job_task"].update_one(
            {"domain_id": domain, "job_task_id": task_id}, {"$set": {"finished_at": aged}}
        )
    cluster.recorder.commands.clear()

    purged = cluster.writer.purge(w.PurgeRequest(), timeout=10)

    assert purged.deleted_count >= len(DOMAINS)
    assert routing(cluster) == [("delete", SHARDS)]


def test_data_really_lies_on_several_shards(cluster: Cluster) -> None:
    """The control for the routing tests: the domains are spread, a query across them is not
    routed to one shard."""
    query = {"find": "job_task", "filter": {"status": "SUCCESS"}}
    explained = cluster.database.command("explain", query, verbosity="queryPlanner")

    assert shards_answering(explained) == SHARDS


# ---------------------------------------------------------------------------------------------
# Single-document writes name the shard key; uniqueness across shards


@pytest.mark.parametrize(
    "write",
    [
        lambda c: c.find_one_and_update({"job_task_id": "x"}, {"$set": {"status": "SUCCESS"}}),
        lambda c: c.update_one({"job_task_id": "x"}, {"$set": {"status": "SUCCESS"}}),
        lambda c: c.delete_one({"job_task_id": "x"}),
        lambda c: c.update_one({"job_task_id": "x"}, {"$set": {"a": 1}}, upsert=True),
    ],
    ids=["findAndModify", "updateOne", "deleteOne", "upsert"],
)
def test_a_single_document_write_without_the_shard_key_is_refused(
    cluster: Cluster, write: Any
) -> None:
    """Why the routing of the service's writes is as explained: the engine (as sharded MongoDB
    before 7.0) refuses one that does not name domain_id; every one the service sends does."""
    with pytest.raises(pymongo.errors.OperationFailure) as refused:
        write(cluster.database["job_task"])

    assert refused.value.code in (2, 61, 115)


def test_the_unique_index_holds_across_shards(cluster: Cluster) -> None:
    """{domain_id: 1, job_task_id: 1} unique: a taken id in the caller's domain is refused
    wherever it lies; the same id in a domain on another shard is another task (no query of
    this service reaches across domains)."""
    task_id = _create(cluster, DOMAIN)

    with pytest.raises(grpc.RpcError) as taken:
        _create(cluster, DOMAIN, job_task_id=task_id, provider="google_cloud")
    assert taken.value.code() is grpc.StatusCode.ALREADY_EXISTS
    # The same id in each other domain, on whichever shard each lies (several: the control).
    assert {_create(cluster, d, job_task_id=task_id) for d in DOMAINS[1:]} == {task_id}
    with pytest.raises(pymongo.errors.DuplicateKeyError):
        cluster.database["job_task"].insert_one({"domain_id": DOMAIN, "job_task_id": task_id})


def test_a_unique_index_the_shard_key_does_not_prefix_is_per_shard_only(
    mongodb_uri: str,
) -> None:
    """Why MONGODB_SHARDED=true never creates SpaceONE's job_task_id_1: this engine accepts it on
    a sharded collection (MongoDB refuses) and then keeps it unique within each shard only."""
    name = f"test_sharded_{uuid.uuid4().hex[:12]}"
    with pymongo.MongoClient[dict[str, Any]](mongodb_uri) as client:
        try:
            command = {"shardCollection": f"{name}.job_task", "key": SHARD_KEY}
            again_after_deadlock(lambda: client.admin.command(command))
            collection = client[name]["job_task"]
            collection.create_index("job_task_id", unique=True)
            for domain in DOMAINS:
                with contextlib.suppress(pymongo.errors.DuplicateKeyError):
                    collection.insert_one({"domain_id": domain, "job_task_id": "y"})

            # Kept unique, it would hold one; it holds one per shard the 8 domains lie on.
            assert collection.count_documents({"job_task_id": "y"}) > 1
        finally:
            drop_database(client, name)


# ---------------------------------------------------------------------------------------------
# A caller's error does not depend on sharding


BAD_CALLS: Final = {
    "get of an unknown id": lambda c: c.reader.get(
        {"job_task_id": "job_task-nothere", "domain_id": DOMAIN}, timeout=10
    ),
    "get without a domain": lambda c: c.reader.get({"job_task_id": "x"}, timeout=10),
    "list with an operator as a key": lambda c: c.reader.list(
        {"domain_id": DOMAIN, "query": {"filter": [{"k": "$where", "v": "1", "o": "eq"}]}},
        timeout=10,
    ),
    "list with a domain that is an operator": lambda c: c.reader.list(
        {"domain_id": "$gt", "query": {"filter": [{"k": "domain_id", "v": {"$ne": 1}, "o": "eq"}]}},
        timeout=10,
    ),
    "stat with an unknown operator": lambda c: c.reader.stat(
        {
            "domain_id": DOMAIN,
            "query": {"aggregate": [{"group": {"fields": [{"name": "n", "operator": "$where"}]}}]},
        },
        timeout=10,
    ),
    "delete of an unknown id": lambda c: c.reader.delete(
        {"job_task_id": "job_task-nothere", "domain_id": DOMAIN}, timeout=10
    ),
    "start of an unknown id": lambda c: c.writer.start(_ref("job_task-nothere"), timeout=10),
    "report without a domain": lambda c: c.writer.report(
        w.ReportProgressRequest(job_task_id="x"), timeout=10
    ),
    "report on a pending task": lambda c: c.writer.report(
        w.ReportProgressRequest(job_task_id=_create(c), domain_id=DOMAIN), timeout=10
    ),
    "cancel twice": lambda c: [c.writer.cancel(_ref(t), timeout=10) for t in [_create(c)] * 2],
}


def _outcome(call: Any, cluster: Cluster) -> tuple[str, str]:
    try:
        call(cluster)
    except grpc.RpcError as error:
        # Ids the service chose differ between the two databases; the rest must not.
        details = str(error.details())
        return error.code().name, details.split("job_task-")[0]
    return "OK", ""


def test_a_callers_error_is_the_same_sharded_or_not(cluster: Cluster, unsharded: Cluster) -> None:
    on_sharded = {name: _outcome(call, cluster) for name, call in BAD_CALLS.items()}
    on_unsharded = {name: _outcome(call, unsharded) for name, call in BAD_CALLS.items()}

    assert on_sharded == on_unsharded
    assert all(code not in ("OK", "INTERNAL", "UNKNOWN") for code, _ in on_sharded.values())


# ---------------------------------------------------------------------------------------------
# The operator's step: python -m jobtask shard-collection


def _shard_collection(uri: str, database: str, *options: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "MONGODB_URI": uri, "MONGODB_DATABASE": database}
    return subprocess.run(
        [sys.executable, "-m", "jobtask", "shard-collection", *options],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


def _key(client: pymongo.MongoClient[Any], database: str) -> Any:
    entry = client["config"]["collections"].find_one({"_id": f"{database}.job_task"})
    return None if entry is None else entry["key"]


def test_shard_collection_shards_a_spaceone_collection_holding_data(mongodb_uri: str) -> None:
    """A collection as SpaceONE (or this service without MONGODB_SHARDED) made it: its global
    job_task_id_1 must go first; the step says so, then with --replace-spaceone-index does it,
    and every task is there afterwards, readable by its domain on one shard."""
    name = f"test_sharded_{uuid.uuid4().hex[:12]}"
    documents = list(demo_documents(300, domains=len(DOMAINS), seed=7))
    with pymongo.MongoClient[dict[str, Any]](mongodb_uri) as client:
        try:
            collection = client[name]["job_task"]
            collection.create_indexes(list(INDEXES))
            collection.insert_many([dict(d) for d in documents])

            refused = _shard_collection(mongodb_uri, name)
            assert refused.returncode == 1, refused
            assert "job_task_id_1" in refused.stderr
            assert "--replace-spaceone-index" in refused.stderr
            assert _key(client, name) is None

            done = _shard_collection(mongodb_uri, name, "--replace-spaceone-index")
            assert done.returncode == 0, done
            assert _key(client, name) == SHARD_KEY
            unique = [i["key"] for i in collection.index_information().values() if i.get("unique")]
            assert unique == [[("domain_id", 1), ("job_task_id", 1)]]
            assert collection.count_documents({}) == len(documents)
            again = _shard_collection(mongodb_uri, name)
            assert again.returncode == 0, again
            assert "already" in again.stdout

            query = {"find": "job_task", "filter": {"domain_id": DOMAIN}}
            explained = client[name].command("explain", query, verbosity="queryPlanner")
            assert shards_answering(explained) == 1
            mine = [d for d in documents if d["domain_id"] == DOMAIN]
            assert collection.count_documents({"domain_id": DOMAIN}) == len(mine)
        finally:
            drop_database(client, name)


def test_shard_collection_on_an_empty_database_and_another_key(mongodb_uri: str) -> None:
    name = f"test_sharded_{uuid.uuid4().hex[:12]}"
    with pymongo.MongoClient[dict[str, Any]](mongodb_uri) as client:
        try:
            assert _shard_collection(mongodb_uri, name).returncode == 0
            assert _key(client, name) == SHARD_KEY

            drop_database(client, name)
            other = {"job_task_id": "hashed"}
            command = {"shardCollection": f"{name}.job_task", "key": other}
            again_after_deadlock(lambda: client.admin.command(command))
            refused = _shard_collection(mongodb_uri, name)
            assert refused.returncode == 1
            assert "sharded by {'job_task_id': 'hashed'} already" in refused.stderr
        finally:
            drop_database(client, name)
