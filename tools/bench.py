"""make bench: the service over real gRPC beside the same queries done directly with pymongo.

Starts an in-memory wire-protocol database (or uses the MongoDB at `--uri` / BENCH_MONGODB_URI,
in a database of its own that it drops afterwards) and the server (`python -m jobtask`, production
defaults: metrics on, one log line per call) on free ports, loads demo tasks, then runs each
scenario at each concurrency for a fixed time. At one client the gRPC and the pymongo path
alternate call by call on the same drawn id or page; at more, they take turns in short rounds
drawing the same seeded ids and pages (so machine noise falls on both alike). No assertions: it
prints a table and writes JSON under bench/results/.

Beside each scenario whose first path is one of the servers (ours, or SpaceONE's reference) and
whose second is raw pymongo, `cpu ms`: the CPU those servers spent per call answered, less their
idle background (tools/bench_cpu.py): the service's own work, which the p50 ratios show only
through the engine's noise.

`--compare BEFORE.json AFTER.json` prints the p50, requests/s and CPU per call of two runs side
by side: how a change is justified.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import bench_reference
import grpc
import pymongo
from bench_cpu import CpuMeter
from google.protobuf import json_format
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tests.support.client_2x import scope_metadata, stubs

from jobtask.demo import demo_documents, domain_ids
from jobtask.domain import to_task
from jobtask.lines.v1 import answers, requests
from jobtask.lines.v2 import requests as requests_2x
from jobtask.lines.v2 import wire
from jobtask.scope import Scope
from jobtask.services.reads import JobTaskService, StatRequest
from jobtask.storage import INDEXES, MongoJobTaskRepository
from jobtask.storage.indexes import SHARDED_INDEXES
from jobtask.storage.reads import AGGREGATE_BATCH
from jobtask.storage.sharding import SHARD_KEY
from spaceone.api.inventory.v1 import job_task_pb2, job_task_pb2_grpc

ROOT = Path(__file__).resolve().parents[1]
# The width of the scenario column.
NAME = 62
DOMAIN_COUNT = 10
# Documents per insert: within what every target takes (the real engine: at most 25,000).
BATCH = 20_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_database() -> tuple[subprocess.Popen[str], str]:
    subprocess.run([str(ROOT / "tools/devdb/devdb.sh"), "build"], check=True)
    process = subprocess.Popen(
        [
            "java",
            "-Xmx4g",
            "-jar",
            str(ROOT / "tools/devdb/target/devdb.jar"),
            "--memory",
            "--port",
            "0",
            "--exit-on-stdin-eof",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("READY "):
        sys.exit(f"the database did not start: {line!r}")
    return process, f"mongodb://{line.removeprefix('READY ')}"


# --shard-key: the collection sharded before it is loaded (on a sharded cluster): by the domain
# (the service's key, MONGODB_SHARDED=true, a domain on one shard) or by the task (a domain spread
# over every shard; SpaceONE's unique job_task_id_1 is then prefixed by the key and kept).
SHARD_KEYS: dict[str, dict[str, str]] = {
    "domain": dict(SHARD_KEY),
    "task": {"job_task_id": "hashed"},
}


@dataclass(frozen=True)
class Mode:
    """A set of servers: the SpaceONE line they serve (SPACEONE_API), more settings, and whether
    every scenario runs against them or only the stat ones."""

    line: int
    settings: dict[str, str] = field(default_factory=dict)
    stat_only: bool = False


# The servers' modes, each with server processes of its own; its name follows each scenario's
# ("" is the default: line 1 as deployed). ", no maxTimeMS": MONGODB_SEND_MAX_TIME_MS=false, for
# engines where maxTimeMS costs (issue #28). ", 2.x": the SpaceONE 2.x line (issue #23), every
# scenario, so that its ratios to the same raw paths compare with line 1's.
NO_MAX_TIME: Final = ", no maxTimeMS"
LINE_2: Final = ", 2.x"
# Two sets of servers against each other, the same calls interleaved: the scenario's prefix ->
# (the first mode, in the service's place; the second, in the raw path's; what the rows call
# them; which calls). 2.x against 1.x: issue #23's "2.x costs no more than 1.x per call"; no
# maxTimeMS against sending: what MONGODB_SEND_MAX_TIME_MS=false saves a stat (issue #28).
LINES_AGAINST: Final = "2.x against 1.x: "
MAX_TIME_AGAINST: Final = "no maxTimeMS against sending: "
STATS: Final = ("stat tasks per status", "stat failures per provider per day")
AGAINST: Final[dict[str, tuple[str, str, tuple[str, str], tuple[str, ...]]]] = {
    LINES_AGAINST: (LINE_2, "", ("2.x", "1.x"), ("get by id", "list first page of 100", *STATS)),
    MAX_TIME_AGAINST: (NO_MAX_TIME, "", ("without", "with"), STATS),
}
MODES: Final[dict[str, Mode]] = {
    "": Mode(line=1),
    NO_MAX_TIME: Mode(line=1, settings={"MONGODB_SEND_MAX_TIME_MS": "false"}, stat_only=True),
    LINE_2: Mode(line=2, settings={"SPACEONE_API": "2"}),
}


def _documents(count: int, skewed: bool) -> Any:
    """`count` demo tasks across DOMAIN_COUNT domains; `skewed`: the first domain holds half
    of them (4/9 of them added to it alone, on top of an even spread of the other 5/9)."""
    extra = count * 4 // 9 if skewed else 0
    yield from demo_documents(count - extra, domains=DOMAIN_COUNT, seed=1)
    yield from demo_documents(extra, domains=1, seed=2)


def load(uri: str, database: str, count: int, shard_key: str = "", skewed: bool = False) -> None:
    """`count` demo tasks in `database`, unless it holds them already from an earlier run (its
    `bench_meta` document says how many, from which seed): a loaded database is reused. The
    documents go in first, in batches of BATCH, and the indexes are built afterwards (one
    pass over the data instead of an index update per document)."""
    indexes = list(SHARDED_INDEXES if shard_key == "domain" else INDEXES)
    with pymongo.MongoClient(uri) as client:
        db = client[database]
        wanted = {"_id": "load", "count": count, "domains": DOMAIN_COUNT, "seed": 1}
        if shard_key or skewed:
            wanted |= {"shard_key": shard_key, "skewed": skewed}
        if db["bench_meta"].find_one({"_id": "load"}) == wanted:
            db["job_task"].create_indexes(indexes)
            print(f"reusing {database}: {count} tasks loaded by an earlier run")
            return
        client.drop_database(database)
        collection = db["job_task"]
        if shard_key:
            key = SHARD_KEYS[shard_key]
            client.admin.command({"shardCollection": collection.full_name, "key": key})
        batch: list[dict[str, Any]] = []
        started = time.monotonic()
        for index, document in enumerate(_documents(count, skewed), 1):
            batch.append(document)
            if len(batch) == BATCH or index == count:
                collection.insert_many(batch, ordered=False)
                batch.clear()
                _progress("loading", index, count, started)
        print()
        indexing = time.monotonic()
        collection.create_indexes(indexes)
        print(f"indexes built in {time.monotonic() - indexing:.1f}s")
        db["bench_meta"].insert_one(wanted)


def _progress(what: str, done: int, total: int, started: float) -> None:
    """A progress bar on a terminal, a line per step elsewhere."""
    bar = "#" * int(done / total * 40)
    elapsed = time.monotonic() - started
    rate = done / elapsed if elapsed else 0.0
    end = "" if sys.stdout.isatty() else "\n"
    line = f"{what} [{bar:<40}] {done}/{total} ({elapsed:.0f}s, {rate:.0f}/s)"
    print(f"\r{line}", end=end, flush=True)


def start_server(
    uri: str,
    database: str,
    log: Path,
    *,
    sharded: bool = False,
    settings: dict[str, str],
    command: tuple[str, ...] = (sys.executable, "-m", "jobtask"),
) -> tuple[subprocess.Popen[bytes], int]:
    """The server as deployed (metrics, call log at INFO), its log lines going to `log`;
    `sharded`: MONGODB_SHARDED=true (the collection sharded by the domain); `settings`: more
    environment (a mode of MODES); `command`: what runs it (tools/stat_phases.py: with timers)."""
    port = free_port()
    env = {
        **os.environ,
        "MONGODB_SHARDED": "true" if sharded else "false",
        "MONGODB_URI": uri,
        "MONGODB_DATABASE": database,
        "GRPC_PORT": str(port),
        "METRICS_PORT": str(free_port()),
        "HTTP_PORT": str(free_port()),
        "MONGODB_OPERATION_TIMEOUT_MS": "60000",
        **settings,
    }
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=env, stderr=sink)
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for _ in range(600):
            try:
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                    return process, port
            except grpc.RpcError:
                time.sleep(0.1)
    sys.exit("the server did not become healthy")


class Line1:
    """The 1.x wire (the generated stubs): the domain in each request."""

    def __init__(self, channel: grpc.Channel, domain: str) -> None:
        self._stub = job_task_pb2_grpc.JobTaskStub(channel)
        self.domain = domain

    def get(self, task_id: str) -> Any:
        return self._stub.get(
            job_task_pb2.GetJobTaskRequest(job_task_id=task_id, domain_id=self.domain)
        )

    def list(self, query: dict[str, Any]) -> Any:
        body = {"domain_id": self.domain, "query": query}
        return self._stub.list(json_format.ParseDict(body, job_task_pb2.JobTaskQuery()))

    def stat_request(self, query: dict[str, Any]) -> tuple[Callable[[], Any], StatRequest]:
        """The call (its request built once) and the request as the service reads it."""
        body = {"domain_id": self.domain, "query": query}
        message = json_format.ParseDict(body, job_task_pb2.JobTaskStatQuery())
        return lambda: self._stub.stat(message), requests.to_stat_request(message)


class Line2:
    """The 2.x wire (the 2.x pool's message classes, jobtask.lines.v2.wire): the domain in the
    caller's `x_domain_id` metadata, as a 2.x caller without a token names it."""

    def __init__(self, channel: grpc.Channel, domain: str) -> None:
        self._calls = stubs(channel)
        self._metadata = scope_metadata(domain)
        self.domain = domain

    def get(self, task_id: str) -> Any:
        request = wire.JobTaskRequest(job_task_id=task_id)
        return self._calls["get"](request, metadata=self._metadata)

    def list(self, query: dict[str, Any]) -> Any:
        message = json_format.ParseDict({"query": as_2x(query)}, wire.JobTaskQuery())
        return self._calls["list"](message, metadata=self._metadata)

    def stat_request(self, query: dict[str, Any]) -> tuple[Callable[[], Any], StatRequest]:
        message = json_format.ParseDict({"query": as_2x(query)}, wire.JobTaskStatQuery())
        call = self._calls["stat"]
        return lambda: call(message, metadata=self._metadata), requests_2x.to_stat_request(message)


LINES: Final = {1: Line1, 2: Line2}


def as_2x(query: dict[str, Any]) -> dict[str, Any]:
    """A 1.x query as 2.x writes it: a list's sort is a list of {key, desc}, a stat sort stage
    the list of its keys."""
    written = dict(query)
    if isinstance(written.get("sort"), dict):
        written["sort"] = [written["sort"]]
    if "aggregate" in written:
        written["aggregate"] = [
            {"sort": stage["sort"]["keys"]} if "sort" in stage else stage
            for stage in written["aggregate"]
        ]
    return written


def _nothing(rng: random.Random) -> None:
    return None


@dataclass(frozen=True)
class Scenario:
    """One query both ways; `draw` picks its variable part (an id, a page) and both paths take
    what it drew, so that they ask the same questions."""

    via_grpc: Callable[[Any], Any]
    via_raw: Callable[[Any], Any]
    draw: Callable[[random.Random], Any] = _nothing
    # What the rows call the two paths (the ratio is the first's p50 over the second's).
    via: tuple[str, str] = ("grpc", "pymongo")
    # Whose servers the first path calls, beside a raw path (a key of MODES, or REFERENCE): the
    # CPU they spend per call is measured (tools/bench_cpu.py). None: two servers' paths.
    mode: str | None = None


def scenarios(
    channels: dict[str, grpc.Channel], collection: Any, task_ids: list[str], domain: str
) -> dict[str, Scenario]:
    """name -> the call over gRPC and the same query with pymongo, for each server mode (MODES,
    each mode's servers on its own channel, the mode's name after the scenario's)."""
    found: dict[str, Scenario] = {}
    for mode, channel in channels.items():
        line = LINES[MODES[mode].line](channel, domain)
        mine: dict[str, Scenario] = {}
        if mode == "":
            mine["floor: health check / ping"] = floor(channel, collection)
        if not MODES[mode].stat_only:
            mine |= {f"{name}{mode}": s for name, s in read_scenarios(line, collection, task_ids)}
        mine |= stat_scenarios(line, collection, domain, mode=mode)
        found |= {name: dataclasses.replace(s, mode=mode) for name, s in mine.items()}
    return found | mode_against_mode(channels, domain, task_ids)


def mode_against_mode(
    channels: dict[str, grpc.Channel], domain: str, task_ids: list[str]
) -> dict[str, Scenario]:
    """The same calls on two sets of servers, interleaved as a service and its raw path are
    (AGAINST: what each pair measures and which calls; the ratio is the first's p50 over the
    second's)."""
    found: dict[str, Scenario] = {}
    for prefix, (first_mode, second_mode, via, names) in AGAINST.items():
        if first_mode not in channels or second_mode not in channels:
            continue
        first, second = (
            LINES[MODES[mode].line](channels[mode], domain) for mode in (first_mode, second_mode)
        )
        paths = {
            name: Scenario(a, b, draw, via=via)
            for name, a, b, draw in _same_calls(first, second, task_ids)
            if name in names
        }
        found |= {f"{prefix}{name}": scenario for name, scenario in paths.items()}
    return found


def _same_calls(
    first: Line1 | Line2, second: Line1 | Line2, task_ids: list[str]
) -> list[tuple[str, Callable[[Any], Any], Callable[[Any], Any], Callable[[random.Random], Any]]]:
    """get, the first page and both stats, on `first` and on `second`."""
    page = {"page": {"start": 1, "limit": 100}}
    per_status, per_day = (
        tuple(line.stat_request(query)[0] for line in (first, second))
        for query in (PER_STATUS, PER_DAY)
    )
    return [
        ("get by id", first.get, second.get, lambda rng: rng.choice(task_ids)),
        (
            "list first page of 100",
            lambda _: first.list(page),
            lambda _: second.list(page),
            _nothing,
        ),
        ("stat tasks per status", lambda _: per_status[0](), lambda _: per_status[1](), _nothing),
        (
            "stat failures per provider per day",
            lambda _: per_day[0](),
            lambda _: per_day[1](),
            _nothing,
        ),
    ]


def floor(channel: grpc.Channel, collection: Any) -> Scenario:
    """What any call costs at the least: an rpc that does no work, a command that does none."""
    health = health_pb2_grpc.HealthStub(channel)
    check = health_pb2.HealthCheckRequest()
    return Scenario(lambda _: health.Check(check), lambda _: collection.database.command("ping"))


def read_scenarios(
    line: Line1 | Line2, collection: Any, task_ids: list[str]
) -> list[tuple[str, Scenario]]:
    """get and the lists, each beside the same query with pymongo."""
    domain = line.domain
    sort = [("created_at", -1), ("job_task_id", -1)]
    # What the service sends for the whole view: no projection (jobtask.query.options).
    projection = None
    filtered = {"domain_id": domain, "status": "FAILURE", "provider": "aws"}

    def raw_get(task_id: str) -> Any:
        return collection.find_one({"job_task_id": task_id, "domain_id": domain}, projection)

    def grpc_page(page: int) -> Any:
        return line.list({"page": {"start": page * 100 + 1, "limit": 100}})

    def raw_page(page: int) -> Any:
        collection.count_documents({"domain_id": domain})
        return list(
            collection.find(
                {"domain_id": domain}, projection, sort=sort, skip=page * 100, limit=100
            )
        )

    def grpc_filtered(_: None) -> Any:
        query = {
            "filter": [
                {"k": "status", "v": "FAILURE", "o": "eq"},
                {"k": "provider", "v": "aws", "o": "eq"},
            ],
            "sort": {"key": "created_at", "desc": True},
            "page": {"limit": 100},
        }
        return line.list(query)

    def raw_filtered(_: None) -> Any:
        collection.count_documents(filtered)
        return list(collection.find(filtered, projection, sort=sort, limit=100))

    return [
        ("get by id", Scenario(line.get, raw_get, lambda rng: rng.choice(task_ids))),
        (
            "list page of 100 + total_count",
            Scenario(grpc_page, raw_page, lambda rng: rng.randint(0, 50)),
        ),
        ("list first page of 100", Scenario(grpc_page, raw_page, lambda rng: 0)),
        ("list page 50 deep (start 5001)", Scenario(grpc_page, raw_page, lambda rng: 50)),
        ("list status+provider, newest first", Scenario(grpc_filtered, raw_filtered)),
    ]


PER_STATUS: dict[str, Any] = {
    "aggregate": [
        {
            "group": {
                "keys": [{"key": "status", "name": "status"}],
                "fields": [{"operator": "count", "name": "tasks"}],
            }
        },
    ]
}
PER_DAY: dict[str, Any] = {
    "filter": [{"k": "status", "v": "FAILURE", "o": "eq"}],
    "aggregate": [
        {
            "group": {
                "keys": [
                    {"key": "provider", "name": "provider"},
                    {"key": "created_at", "name": "day", "date_format": "%Y-%m-%d"},
                ],
                "fields": [{"operator": "count", "name": "failures"}],
            }
        },
        {"sort": {"keys": [{"key": "day"}, {"key": "provider"}]}},
    ],
}


def sent_pipeline(domain: str, request: StatRequest) -> tuple[list[dict[str, Any]], int]:
    """The pipeline and maxTimeMS the service sends for `request` (as deployed: STAT_MAX_TIME_MS
    10 s), taken from the service itself so that the raw path cannot drift from it."""
    sent: list[tuple[list[dict[str, Any]], float | None]] = []

    class Capture:
        def aggregate(self, pipeline: Any, *, timeout: float | None) -> list[dict[str, Any]]:
            sent.append((list(pipeline), timeout))
            return []

    service = JobTaskService(Capture(), max_page_size=1000)  # type: ignore[arg-type]
    service.stat(Scope(domain), request)
    pipeline, timeout = sent[0]
    return pipeline, int((timeout or 0) * 1000)


def stat_scenarios(
    line: Line1 | Line2, collection: Any, domain: str, *, mode: str = ""
) -> dict[str, Scenario]:
    """Tasks per status, and failures per provider per day: stat beside two raw paths. The
    first sends what the service sends (its pipeline, with the row cap's `$limit`, the first
    batch's size and `maxTimeMS` unless the servers' `mode` sends none): the service's own
    cost. The second sends the pipeline as SpaceONE's reference does (`aggregate(pipeline)`: no
    `$limit`, no options): the figure to be no slower than (issue #28). `mode` (a key of MODES)
    follows the query's name."""
    settings = MODES[mode].settings
    reference_per_status, reference_per_day = reference_pipelines(domain)

    def as_sent(query: dict[str, Any]) -> Callable[[Any], Any]:
        pipeline, max_time_ms = sent_pipeline(domain, line.stat_request(query)[1])
        sent = {"batchSize": AGGREGATE_BATCH}
        if settings.get("MONGODB_SEND_MAX_TIME_MS", "true") == "true":
            sent["maxTimeMS"] = max_time_ms
        return lambda _: list(collection.aggregate(pipeline, **sent))

    def as_reference(pipeline: list[dict[str, Any]]) -> Callable[[Any], Any]:
        return raw_as_reference(collection, pipeline)

    (status_sent, status_reference), (day_sent, day_reference) = stat_names(mode).values()
    return {
        status_sent: Scenario(stat_call(line, PER_STATUS), as_sent(PER_STATUS)),
        status_reference: Scenario(stat_call(line, PER_STATUS), as_reference(reference_per_status)),
        day_sent: Scenario(stat_call(line, PER_DAY), as_sent(PER_DAY)),
        day_reference: Scenario(stat_call(line, PER_DAY), as_reference(reference_per_day)),
    }


def stat_call(line: Line1 | Line2, query: dict[str, Any]) -> Callable[[Any], Any]:
    """A scenario's path calling stat with `query` (the request built once)."""
    call, _ = line.stat_request(query)
    return lambda _: call()


def reference_pipelines(domain: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """PER_STATUS's and PER_DAY's pipelines as SpaceONE's reference sends them."""
    per_status = [
        {"$match": {"domain_id": domain}},
        {"$group": {"_id": {"status": "$status"}, "tasks": {"$sum": 1}}},
    ]
    per_day = [
        {"$match": {"domain_id": domain, "status": "FAILURE"}},
        {
            "$group": {
                "_id": {
                    "provider": "$provider",
                    "day": {
                        "$dateToString": {
                            "format": "%Y-%m-%d",
                            "date": "$created_at",
                            "timezone": "UTC",
                        }
                    },
                },
                "failures": {"$sum": 1},
            }
        },
        {"$sort": {"_id.day": 1, "_id.provider": 1}},
    ]
    return per_status, per_day


def raw_as_reference(collection: Any, pipeline: list[dict[str, Any]]) -> Callable[[Any], Any]:
    """The pipeline run as the reference runs it: `aggregate(pipeline)`, no options."""
    return lambda _: list(collection.aggregate(pipeline))


# SpaceONE's own inventory server (tools/bench_reference.py): its scenarios' names end so.
REFERENCE: Final = ", reference server"


def reference_scenarios(
    ours: Line1, reference: Line1, collection: Any, task_ids: list[str]
) -> dict[str, Scenario]:
    """Our server against SpaceONE's reference server over the same collection, the same calls
    interleaved (get, the first page, both stats; the ratio is ours over the reference's: issue
    #28's "never slower than the reference"); and the reference's stats beside their pipelines
    run raw (where the reference server stands against its own query)."""
    found = {
        f"{name}{REFERENCE}": Scenario(a, b, draw, via=("ours", "ref"))
        for name, a, b, draw in _same_calls(ours, reference, task_ids)
    }
    for name, query, pipeline in zip(
        STATS, (PER_STATUS, PER_DAY), reference_pipelines(ours.domain), strict=True
    ):
        found[f"{name}{REFERENCE}, raw"] = Scenario(
            stat_call(reference, query),
            raw_as_reference(collection, pipeline),
            via=("ref", "pymongo"),
            mode=REFERENCE,
        )
    return found


def stat_names(mode: str) -> dict[str, tuple[str, str]]:
    """Each stat query's two scenarios in a mode: (beside the command as sent, beside the
    pipeline as the reference sends it)."""
    return {
        "per status": (
            f"stat tasks per status{mode}",
            f"stat tasks per status{mode}, raw as the reference",
        ),
        "per provider per day": (
            f"stat failures per provider per day{mode}",
            f"stat per provider per day{mode}, raw as the reference",
        ),
    }


# Issue #28's targets: stat's p50 within 1.1x of raw pymongo sending the same command, and no more
# than the reference's pipeline run raw (the floor of SpaceONE's reference server over it).
WITHIN_RAW: Final = 1.1
WITHIN_REFERENCE: Final = 1.0


def print_stat_targets(rows: list[dict[str, Any]]) -> None:
    """Each stat query's p50 ratios against issue #28's targets, per mode and concurrency."""
    p50 = {(r["scenario"], r["clients"], r["via"]): r["p50_ms"] for r in rows}

    def ratio(name: str, clients: int) -> float | None:
        raw = p50.get((name, clients, "pymongo"))
        return p50[(name, clients, "grpc")] / raw if raw else None

    def verdict(value: float | None, target: float) -> str:
        if value is None:
            return f"{'-':>6}{'':<8}"
        return f"{value:>6.2f} {'met' if value <= target else 'MISSED':<7}"

    levels = sorted({r["clients"] for r in rows})
    print(
        f"\nissue #28's targets (p50 ratios): stat / raw as sent <= {WITHIN_RAW}, "
        f"stat / raw as the reference <= {WITHIN_REFERENCE}"
    )
    for mode in MODES:
        for query, (sent, reference) in stat_names(mode).items():
            for clients in levels:
                as_sent, as_reference = ratio(sent, clients), ratio(reference, clients)
                if as_sent is None and as_reference is None:
                    continue
                shown = mode.removeprefix(", ") or "sending maxTimeMS"
                print(
                    f"  {query:<22}{shown:<20}{clients:>4} clients"
                    f"{verdict(as_sent, WITHIN_RAW)}{verdict(as_reference, WITHIN_REFERENCE)}"
                )
    print_max_time_saving(p50, levels)
    print_reference_verdict(rows, levels)


def print_reference_verdict(rows: list[dict[str, Any]], levels: list[int]) -> None:
    """Issue #28's "never slower than the reference", against SpaceONE's reference server itself
    (the two servers called interleaved): p50 and requests/s, ours over the reference's."""
    figures = {(r["scenario"], r["clients"], r["via"]): r for r in rows}
    for name in STATS:
        for clients in levels:
            ours = figures.get((name + REFERENCE, clients, "ours"))
            reference = figures.get((name + REFERENCE, clients, "ref"))
            if not ours or not reference or not reference["p50_ms"] or not reference["rps"]:
                continue
            ratio = ours["p50_ms"] / reference["p50_ms"]
            print(
                f"  {name:<36}{clients:>4} clients: service / reference server <= "
                f"{WITHIN_REFERENCE}: p50 {ours['p50_ms']:.1f} / {reference['p50_ms']:.1f} ms = "
                f"{ratio:.2f} {'met' if ratio <= WITHIN_REFERENCE else 'MISSED'}; "
                f"req/s {ours['rps']:.1f} / {reference['rps']:.1f} = "
                f"{ours['rps'] / reference['rps']:.2f}"
            )


def print_max_time_saving(p50: dict[tuple[str, int, str], float], levels: list[int]) -> None:
    """Each stat's p50 on the servers not sending maxTimeMS over the ones sending it, called
    interleaved (what MONGODB_SEND_MAX_TIME_MS=false saves)."""
    for name in STATS:
        for clients in levels:
            without = p50.get((MAX_TIME_AGAINST + name, clients, "without"))
            with_ = p50.get((MAX_TIME_AGAINST + name, clients, "with"))
            if without and with_:
                print(
                    f"  {name}, {clients} clients: the servers not sending maxTimeMS / sending it, "
                    f"interleaved: {without / with_:.2f}"
                )


def print_line_comparison(rows: list[dict[str, Any]]) -> None:
    """Each scenario's p50 ratio to raw pymongo on line 1 beside the same on line 2 (issue #23:
    2.x costs no more than 1.x per call)."""
    p50 = {(r["scenario"], r["clients"], r["via"]): r["p50_ms"] for r in rows}
    pairs = [
        (key[0], key[1])
        for key in p50
        if key[2] == "grpc" and (key[0] + LINE_2, key[1], "grpc") in p50
    ]
    if not pairs:
        return
    print(
        "\nthe two lines: p50 ratio to raw pymongo on 1.x, on 2.x, the two's ratio, and 2.x's "
        "p50 over 1.x's called interleaved (2.x against 1.x)"
    )
    for name, clients in pairs:
        one, two = (
            p50[(n, clients, "grpc")] / p50[(n, clients, "pymongo")]
            if p50[(n, clients, "pymongo")]
            else float("nan")
            for n in (name, name + LINE_2)
        )
        against = LINES_AGAINST + name
        direct = (
            f"{p50[(against, clients, '2.x')] / p50[(against, clients, '1.x')]:>7.2f}"
            if p50.get((against, clients, "1.x"))
            else f"{'-':>7}"
        )
        print(
            f"  {name:<{NAME - 2}}{clients:>4} clients{one:>7.2f}{two:>7.2f}{two / one:>7.2f}"
            f"{direct}"
        )


def rendering_ms(collection: Any, domain: str, repeat: int = 200) -> dict[str, float]:
    """In-process CPU of building answers (median ms): what the service adds beyond the query."""
    filtered = {"domain_id": domain, "status": "FAILURE"}
    documents = list(collection.find(filtered, {"_id": 0}).limit(100))
    service = JobTaskService(MongoJobTaskRepository(collection), max_page_size=1000)
    request = json_format.ParseDict(
        {"domain_id": domain, "query": PER_DAY}, job_task_pb2.JobTaskStatQuery()
    )
    stat = service.stat(Scope(domain), requests.to_stat_request(request))

    def median_ms(render: Callable[[], Any]) -> float:
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            render()
            timings.append(time.perf_counter() - started)
        return statistics.median(timings) * 1000

    tasks = [to_task(d) for d in documents]
    return {
        f"page of {len(documents)} failed tasks -> JobTasksInfo": median_ms(
            lambda: answers.to_tasks_info([to_task(d) for d in documents], len(documents))
        ),
        # The two halves of the line above, and what gRPC then does with the answer.
        f"  {len(documents)} documents -> JobTask (to_task)": median_ms(
            lambda: [to_task(d) for d in documents]
        ),
        f"  {len(documents)} JobTask -> JobTasksInfo bytes": median_ms(
            lambda: answers.to_tasks_info(tasks, len(tasks)).SerializeToString()
        ),
        f"stat of {len(stat.results)} rows -> Struct": median_ms(
            lambda: answers.to_stat_struct(stat)
        ),
    }


def resident_mb(pid: int) -> float:
    """The process's resident set size (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Sample:
    """Latencies (s) and failures of one path, gathered over rounds."""

    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0

    def figures(self) -> dict[str, Any]:
        quantiles = (
            statistics.quantiles(self.latencies, n=100) if len(self.latencies) > 1 else [0.0] * 99
        )
        return {
            "count": len(self.latencies),
            "rps": len(self.latencies) / self.elapsed if self.elapsed else 0.0,
            "p50_ms": quantiles[49] * 1000,
            "p90_ms": quantiles[89] * 1000,
            "p99_ms": quantiles[98] * 1000,
            "errors": self.errors,
        }


def _failure(error: Exception) -> str:
    return error.code().name if isinstance(error, grpc.RpcError) else type(error).__name__


def run_for(call: Callable[[], Any], clients: int, seconds: float, into: Sample) -> None:
    """`clients` threads calling back to back for `seconds`; their figures added to `into`."""
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker() -> None:
        mine: list[float] = []
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                call()
            except Exception as error:
                with lock:
                    name = _failure(error)
                    into.errors[name] = into.errors.get(name, 0) + 1
                continue
            mine.append(time.perf_counter() - started)
        with lock:
            into.latencies.extend(mine)

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        for _ in range(clients):
            pool.submit(worker)
    into.elapsed += time.monotonic() - started


def _timed(call: Callable[[Any], Any], drawn: Any, into: Sample) -> None:
    started = time.perf_counter()
    try:
        call(drawn)
    except Exception as error:
        name = _failure(error)
        into.errors[name] = into.errors.get(name, 0) + 1
    else:
        into.latencies.append(time.perf_counter() - started)
    into.elapsed += time.perf_counter() - started


def measure_pair(
    scenario: Scenario, clients: int, seconds: float, rounds: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both paths for `seconds` each. One client alternates call by call, both paths taking the
    same draw (the order swapping each time); more clients take turns in `rounds` slices, each
    path drawing from its own generator with the same seed."""
    service, direct = Sample(), Sample()
    if clients == 1:
        rng = random.Random(3)
        paths = ((scenario.via_grpc, service), (scenario.via_raw, direct))
        deadline = time.monotonic() + 2 * seconds
        while time.monotonic() < deadline:
            drawn = scenario.draw(rng)
            for call, sample in paths:
                _timed(call, drawn, sample)
            paths = paths[::-1]
        return service.figures(), direct.figures()
    grpc_rng, raw_rng = random.Random(3), random.Random(3)
    for _ in range(rounds):
        run_for(
            lambda: scenario.via_grpc(scenario.draw(grpc_rng)), clients, seconds / rounds, service
        )
        run_for(lambda: scenario.via_raw(scenario.draw(raw_rng)), clients, seconds / rounds, direct)
    return service.figures(), direct.figures()


def compare(before_path: Path, after_path: Path) -> None:
    """p50 and requests/s of two result files, row by row, with the change in p50."""
    before, after = (json.loads(path.read_text()) for path in (before_path, after_path))

    def keyed(run: dict[str, Any]) -> dict[tuple[str, int, str], dict[str, Any]]:
        return {(r["scenario"], r["clients"], r["via"]): r for r in run["rows"]}

    old, new = keyed(before), keyed(after)
    print(f"before: {before_path} ({before.get('label') or before['date']})")
    print(f"after:  {after_path} ({after.get('label') or after['date']})\n")
    header = f"{'scenario':<{NAME}}{'clients':>8}{'via':>8}"
    columns = f"{'p50 before':>12}{'p50 after':>11}{'change':>8}{'rps before':>12}{'rps after':>11}"
    print(header + columns + f"{'cpu before':>12}{'cpu after':>11}")
    for key, row in new.items():
        if key not in old:
            continue
        was = old[key]
        change = (row["p50_ms"] / was["p50_ms"] - 1) * 100 if was["p50_ms"] else 0.0
        cpu = "".join(
            f"{'' if ms is None else f'{ms:.2f}':>{width}}"
            for ms, width in ((was.get("server_cpu_ms"), 12), (row.get("server_cpu_ms"), 11))
        )
        print(
            f"{key[0]:<{NAME}}{key[1]:>8}{key[2]:>8}{was['p50_ms']:>12.2f}{row['p50_ms']:>11.2f}"
            f"{change:>+7.0f}%{was['rps']:>12.1f}{row['rps']:>11.1f}{cpu}"
        )
    rendered_before = before.get("rendering_ms", {})
    for what, ms in after.get("rendering_ms", {}).items():
        if what in rendered_before:
            was_ms = rendered_before[what]
            print(f"building {what:<45}{was_ms:>12.2f}{ms:>11.2f}{(ms / was_ms - 1) * 100:>+7.0f}%")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000, help="demo tasks to load")
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="per scenario, concurrency, path"
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="turns the two paths take (more than one client)"
    )
    parser.add_argument("--clients", default="1,8,32", help="comma-separated concurrency levels")
    parser.add_argument(
        "--servers", type=int, default=1, help="server processes, the calls spread over them"
    )
    parser.add_argument(
        "--only",
        default="",
        help="run the scenarios whose name contains this (or one of 'a|b|...')",
    )
    parser.add_argument("--label", default="", help="a note stored with the results")
    parser.add_argument(
        "--uri",
        default=os.environ.get("BENCH_MONGODB_URI", ""),
        help="this MongoDB (default: BENCH_MONGODB_URI; else an in-memory dev database)",
    )
    parser.add_argument(
        "--database",
        default="",
        help="keep the tasks in this database and reuse them when a later run asks for the same "
        "count (default: a database of the run's own, dropped afterwards)",
    )
    parser.add_argument(
        "--shard-key",
        choices=sorted(SHARD_KEYS),
        default="",
        help="on a sharded cluster: shard the collection by the domain or by the task (hashed)",
    )
    parser.add_argument(
        "--skewed", action="store_true", help="one domain (the one measured) holds half the tasks"
    )
    parser.add_argument(
        "--reference",
        choices=("auto", "on", "off"),
        default="auto",
        help="SpaceONE's own inventory server beside ours (tools/bench_reference.py): auto runs "
        "it when .venv-reference is built ('make reference') and says it is skipped otherwise",
    )
    parser.add_argument(
        "--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"), help="compare two results"
    )
    return parser.parse_args()


def measure_all(
    channels: dict[str, grpc.Channel],
    collection: Any,
    task_ids: list[str],
    domain: str,
    args: Any,
    more: dict[str, Scenario],
    meter: CpuMeter,
) -> list[dict[str, Any]]:
    """Every chosen scenario (and `more`) at every concurrency, printed as it is measured; with
    the CPU its servers spent per call answered (`cpu ms`), where its first path is a server's
    beside a raw path."""
    levels = [int(c) for c in args.clients.split(",")]
    rows = []
    header = f"{'scenario':<{NAME}}{'clients':>8}{'via':>8}{'count':>8}{'req/s':>9}"
    print(f"\n{header}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'ratio':>7}{'cpu ms':>8}  errors")
    every = scenarios(channels, collection, task_ids, domain) | more
    for name, scenario in every.items():
        if not any(part in name for part in args.only.split("|")):
            continue
        for clients in levels:
            with meter.measuring(scenario.mode) as used:
                service, direct = measure_pair(scenario, clients, args.seconds, args.rounds)
            service["server_cpu_ms"] = used.per_call_ms(service["count"])
            ratio = service["p50_ms"] / direct["p50_ms"] if direct["p50_ms"] else 0.0
            for via, figures in zip(scenario.via, (service, direct), strict=True):
                rows.append({"scenario": name, "clients": clients, "via": via, **figures})
                shown = ratio if figures is service else None
                print(_row(name, clients, via, figures, shown), flush=True)
    return rows


def _row(name: str, clients: int, via: str, figures: dict[str, Any], ratio: float | None) -> str:
    """One line of the table; the ratio and the CPU per call on the service's line."""
    cpu = figures.get("server_cpu_ms")
    return (
        f"{name:<{NAME}}{clients:>8}{via:>8}{figures['count']:>8}"
        f"{figures['rps']:>9.1f}{figures['p50_ms']:>9.2f}"
        f"{figures['p90_ms']:>9.2f}{figures['p99_ms']:>9.2f}"
        f"{'' if ratio is None else f'{ratio:.2f}':>7}{'' if cpu is None else f'{cpu:.2f}':>8}"
        f"  {figures['errors'] or '-'}"
    )


def main() -> int:
    args = _arguments()
    if args.compare:
        compare(*args.compare)
        return 0
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")

    started, uri = start_database() if not args.uri else (None, args.uri)
    database_name = args.database or ("bench" if started else f"bench_{stamp.lower()}")
    servers: list[subprocess.Popen[bytes]] = []
    # SpaceONE's reference server: none or one.
    references: list[subprocess.Popen[bytes]] = []
    try:
        load(uri, database_name, args.count, args.shard_key, args.skewed)
        targets: dict[str, str] = {}
        pids: dict[str, list[int]] = {}  # each mode's servers' process ids
        for number, mode in enumerate(MODES):
            ports = []
            for index in range(args.servers):
                server, port = start_server(
                    uri,
                    database_name,
                    out / f"server-{stamp}-{number}-{index}.log",
                    sharded=args.shard_key == "domain",
                    settings=MODES[mode].settings,
                )
                servers.append(server)
                ports.append(port)
                pids.setdefault(mode, []).append(server.pid)
            # More than one server: one channel spreading the calls over them in turn.
            targets[mode] = "ipv4:" + ",".join(f"127.0.0.1:{port}" for port in ports)
        log = out / f"reference-{stamp}.log"
        skipped = reference_server(args.reference, uri, database_name, log, references, targets)
        pids[REFERENCE] = [reference.pid for reference in references]
        meter = CpuMeter(pids)
        print(meter.describe())
        domain = domain_ids(DOMAIN_COUNT)[0]
        options = [("grpc.lb_policy_name", "round_robin")]
        with contextlib.ExitStack() as stack, pymongo.MongoClient(uri) as raw:
            channels = {
                mode: stack.enter_context(grpc.insecure_channel(target, options=options))
                for mode, target in targets.items()
            }
            collection = raw[database_name]["job_task"]
            task_ids = [
                d["job_task_id"]
                for d in collection.find({"domain_id": domain}, {"job_task_id": 1}).limit(2000)
            ]
            more, differ = with_reference(channels, collection, task_ids, domain, skipped)
            rows = measure_all(channels, collection, task_ids, domain, args, more, meter)
            rendering = rendering_ms(collection, domain)
        print_stat_targets(rows)
        print_line_comparison(rows)
        print("\nbuilding answers in-process (median):")
        for what, ms in rendering.items():
            print(f"  {what:<44}{ms:>7.2f} ms")
        rss_mb = max(resident_mb(server.pid) for server in servers)
        print(f"\nserver resident memory after the run: {rss_mb:.0f} MB")
        print_reference_memory(references)
        path = out / f"bench-{stamp}.json"
        path.write_text(
            json.dumps(
                {
                    "date": stamp,
                    "label": args.label,
                    "database": _database(uri) if args.uri else "mongo-java-server (in memory)",
                    "tasks": args.count,
                    "servers": args.servers,
                    "shard_key": SHARD_KEYS.get(args.shard_key),
                    "skewed": args.skewed,
                    "domains": DOMAIN_COUNT,
                    "seconds": args.seconds,
                    "rounds": args.rounds,
                    "server_rss_mb": rss_mb,
                    "rendering_ms": rendering,
                    "reference_server": skipped or bench_reference.describe(),
                    "rows": rows,
                },
                indent=2,
            )
        )
        print(f"\nwritten {path.relative_to(ROOT)}")
        invalid = why_invalid(rows, differ)
        if invalid:
            print(f"bench: {invalid}: the run is not valid")
            return 1
    finally:
        for server in servers + references:
            server.terminate()
        for server in servers + references:
            server.wait(timeout=30)
        if started is None:
            if not args.database:
                with pymongo.MongoClient(uri) as client:
                    client.drop_database(database_name)
        else:
            assert started.stdin is not None
            started.stdin.close()
            started.terminate()
            started.wait(timeout=30)
    return 0


def why_invalid(rows: list[dict[str, Any]], differ: list[str]) -> str:
    """Why the run's figures do not stand ("" when they do): figures over failed calls measure
    the failure, not the service; a reference server answering otherwise is no reference."""
    failed = sum(sum(row["errors"].values()) for row in rows)
    if failed:
        return f"{failed} call(s) failed (the errors column)"
    if differ:
        return f"the reference server answers {len(differ)} call(s) otherwise than ours"
    return ""


def print_reference_memory(references: list[subprocess.Popen[bytes]]) -> None:
    """The reference server's resident memory (none printed when it did not run)."""
    for reference in references:
        print(f"the reference server's resident memory: {resident_mb(reference.pid):.0f} MB")


def reference_server(
    wanted: str,
    uri: str,
    database: str,
    log: Path,
    into: list[subprocess.Popen[bytes]],
    targets: dict[str, str],
) -> str:
    """SpaceONE's reference server over `database` as `--reference` wants it, its process added
    to `into` and its address to `targets` (as REFERENCE); returns why it does not run ("" when
    it runs)."""
    skipped = "--reference off" if wanted == "off" else bench_reference.missing()
    if skipped and wanted == "on":
        sys.exit(f"--reference on: {skipped}")
    if skipped:
        return skipped
    port = free_port()
    into.append(bench_reference.start_reference(uri, database, log, port))
    targets[REFERENCE] = f"127.0.0.1:{port}"
    print(f"reference server: {bench_reference.describe()}")
    return ""


def with_reference(
    channels: dict[str, grpc.Channel],
    collection: Any,
    task_ids: list[str],
    domain: str,
    skipped: str,
) -> tuple[dict[str, Scenario], list[str]]:
    """The reference server's scenarios (when it runs: `channels` has REFERENCE, taken out of
    them) and the calls it answers otherwise than ours, checked before anything is timed (no
    rows then: a faster wrong answer is no reference)."""
    reference_channel = channels.pop(REFERENCE, None)
    if reference_channel is None:
        print(f"\nreference server rows: SKIPPED, {skipped}")
        return {}, []
    ours, reference = Line1(channels[""], domain), Line1(reference_channel, domain)
    differ = bench_reference.same_answers(
        {
            name: (functools.partial(a, drawn), functools.partial(b, drawn))
            for name, a, b, draw in _same_calls(ours, reference, task_ids)
            for drawn in [draw(random.Random(3))]
        }
    )
    if differ:
        print("\nreference server rows: NOT MEASURED, its answers differ from ours:")
        print("\n".join(differ))
        return {}, differ
    print("\nreference server: the same answers as ours to get, the first page and both stats")
    return reference_scenarios(ours, reference, collection, task_ids), []


def _database(uri: str) -> str:
    """What the run was against, without credentials: the server's version at its address."""
    with pymongo.MongoClient(uri) as client:
        version = client.server_info().get("version", "?")
        host, port = client.address or ("?", 0)
    return f"MongoDB {version} wire protocol at {host}:{port}"


if __name__ == "__main__":
    sys.exit(main())
