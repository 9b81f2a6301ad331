"""A bounded load generator: processes x threads of clients, each process with its own channel.

Every client loops until the plan's time is up, calling a weighted mix of get, list and stat and
the writer's create → start → report → finish, each call with a deadline. It records every call
(what, status code, when it started, how long it took) for the caller to judge; it never asserts.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import grpc
from google.protobuf import struct_pb2

from jobtask_internal.v1 import job_task_writer_pb2 as w
from jobtask_internal.v1 import job_task_writer_pb2_grpc
from spaceone.api.core.v1 import query_pb2
from spaceone.api.inventory.v1 import job_task_pb2, job_task_pb2_grpc

STATUSES: Final = ("PENDING", "IN_PROGRESS", "SUCCESS", "FAILURE", "CANCELED")
# Reads dominate, as in SpaceONE's console; one writer step in four calls.
MIX: Final = (("get", 30), ("list", 30), ("stat", 15), ("write", 25))
BACKOFF: Final = 0.05  # seconds a client waits after UNAVAILABLE


@dataclass(frozen=True)
class LoadPlan:
    address: str
    processes: int
    threads: int  # clients per process
    seconds: float
    known: tuple[tuple[str, str], ...]  # (domain_id, job_task_id) that exist, for get
    timeout: float = 10.0  # every call's deadline
    seed: int = 1

    @property
    def clients(self) -> int:
        return self.processes * self.threads

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(sorted({domain for domain, _ in self.known}))


@dataclass(frozen=True)
class Call:
    kind: str
    code: str  # grpc.StatusCode name
    started: float  # time.time()
    seconds: float
    request_id: str  # sent as x-request-id: the server's call log names the calls it served


def percentile(values: list[float], fraction: float) -> float:
    """The value at `fraction` of the sorted `values` (nan when there are none)."""
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(fraction * len(values)))]


@dataclass
class LoadResult:
    calls: list[Call] = field(default_factory=list)
    created: list[tuple[str, str]] = field(default_factory=list)  # acknowledged creates
    elapsed: float = 0.0

    def codes(self) -> Counter[str]:
        return Counter(call.code for call in self.calls)

    def errors(self) -> Counter[str]:
        return Counter(call.code for call in self.calls if call.code != "OK")

    def latencies(self, kind: str | None = None) -> list[float]:
        return sorted(c.seconds for c in self.calls if kind is None or c.kind == kind)

    def percentile(self, fraction: float, kind: str | None = None) -> float:
        return percentile(self.latencies(kind), fraction)

    @property
    def throughput(self) -> float:
        return len(self.calls) / self.elapsed if self.elapsed else 0.0


class _Client:
    """One simulated client: a thread with its own random stream and its own task in progress."""

    def __init__(self, plan: LoadPlan, channel: grpc.Channel, seed: int) -> None:
        self.plan = plan
        self.name = f"load-{seed}"
        self.rng = random.Random(seed)
        self.reader = job_task_pb2_grpc.JobTaskStub(channel)
        self.writer = job_task_writer_pb2_grpc.JobTaskWriterStub(channel)
        self.calls: list[Call] = []
        self.created: list[tuple[str, str]] = []
        self.task: tuple[str, str, str] | None = None  # (domain, id, status)

    def run(self, until: float) -> None:
        kinds = [kind for kind, _ in MIX]
        weights = [weight for _, weight in MIX]
        while time.monotonic() < until:
            getattr(self, f"_{self.rng.choices(kinds, weights)[0]}")()

    def _timed(self, kind: str, rpc: Any, request: Any) -> Any:
        request_id = f"{self.name}-{len(self.calls)}"
        started, clock = time.time(), time.perf_counter()
        try:
            metadata = (("x-request-id", request_id),)
            response = rpc(request, timeout=self.plan.timeout, metadata=metadata)
            code = "OK"
        except grpc.RpcError as error:
            response, code = None, error.code().name
        self.calls.append(Call(kind, code, started, time.perf_counter() - clock, request_id))
        if code == "UNAVAILABLE":
            time.sleep(BACKOFF)  # as a client's retry policy would, instead of spinning
        return response

    def _get(self) -> None:
        domain, job_task_id = self.rng.choice(self.plan.known)
        request = job_task_pb2.GetJobTaskRequest(job_task_id=job_task_id, domain_id=domain)
        self._timed("get", self.reader.get, request)

    def _list(self) -> None:
        query = query_pb2.Query(
            sort=query_pb2.Sort(key="created_at", desc=True),
            page=query_pb2.Page(start=self.rng.randint(1, 40), limit=20),
        )
        if self.rng.random() < 0.5:
            status = self.rng.choice(STATUSES)
            query.filter.append(query_pb2.Filter(k="status", o="eq", v=_value(status)))
        request = job_task_pb2.JobTaskQuery(
            domain_id=self.rng.choice(self.plan.domains), query=query
        )
        self._timed("list", self.reader.list, request)

    def _stat(self) -> None:
        group = query_pb2.AggregateGroup(
            keys=[query_pb2.AggregateGroupKey(key="status", name="status")],
            fields=[query_pb2.AggregateGroupField(operator="count", name="tasks")],
        )
        query = query_pb2.StatisticsQuery(aggregate=[query_pb2.StatisticsAggregate(group=group)])
        domain = self.rng.choice(self.plan.domains)
        self._timed(
            "stat", self.reader.stat, job_task_pb2.JobTaskStatQuery(domain_id=domain, query=query)
        )

    def _write(self) -> None:
        """The next step of this client's own task: create, start, report, then finish."""
        if self.task is None:
            domain = self.rng.choice(self.plan.domains)
            request = w.CreateJobTaskRequest(
                domain_id=domain, job_id="job-load00000001", provider="aws", secret_id="secret-1"
            )
            task = self._timed("create", self.writer.create, request)
            if task is not None:
                self.created.append((domain, task.job_task_id))
                self.task = (domain, task.job_task_id, "PENDING")
            return
        domain, job_task_id, status = self.task
        ref = w.JobTaskRef(job_task_id=job_task_id, domain_id=domain)
        if status == "PENDING":
            answered = self._timed("start", self.writer.start, ref)
            # Unanswered, the step may or may not have happened: leave that task alone.
            self.task = None if answered is None else (domain, job_task_id, "IN_PROGRESS")
        elif self.rng.random() < 0.6:
            progress = w.ReportProgressRequest(
                job_task_id=job_task_id, domain_id=domain, created_count=1, updated_count=2
            )
            if self._timed("report", self.writer.report, progress) is None:
                self.task = None
        else:
            finish = w.FinishJobTaskRequest(
                job_task_id=job_task_id, domain_id=domain, status=w.FinishJobTaskRequest.SUCCESS
            )
            self._timed("finish", self.writer.finish, finish)
            self.task = None


def _value(text: str) -> struct_pb2.Value:
    return struct_pb2.Value(string_value=text)


def run_process(plan: LoadPlan, index: int, start_at: float) -> LoadResult:
    """One process's clients (the multiprocessing target): its own channel, `plan.threads`
    threads, all starting together at wall time `start_at`."""
    with grpc.insecure_channel(plan.address) as channel:
        clients = [
            _Client(plan, channel, plan.seed * 1_000_003 + index * 1000 + number)
            for number in range(plan.threads)
        ]
        time.sleep(max(0.0, start_at - time.time()))
        until = time.monotonic() + plan.seconds
        threads = [threading.Thread(target=c.run, args=(until,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    result = LoadResult(elapsed=plan.seconds)
    for client in clients:
        result.calls.extend(client.calls)
        result.created.extend(client.created)
    return result


class Load:
    """A plan running in its processes; `wait()` merges what they recorded."""

    def __init__(self, plan: LoadPlan, *, warm_up: float = 1.5) -> None:
        self.plan = plan
        # spawn: the parent runs gRPC threads, which must not be forked.
        self._pool = multiprocessing.get_context("spawn").Pool(plan.processes)
        self.started_at = time.time() + warm_up  # every process is up by then
        arguments = [(plan, index, self.started_at) for index in range(plan.processes)]
        self._pending = self._pool.starmap_async(run_process, arguments)

    def wait(self) -> LoadResult:
        results: Sequence[LoadResult] = self._pending.get(timeout=self.plan.seconds + 120)
        self._pool.close()
        self._pool.join()
        merged = LoadResult(elapsed=self.plan.seconds)
        for result in results:
            merged.calls.extend(result.calls)
            merged.created.extend(result.created)
        return merged


def run_load(plan: LoadPlan) -> LoadResult:
    return Load(plan).wait()
