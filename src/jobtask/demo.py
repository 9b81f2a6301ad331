"""Demo data: realistic job tasks, so the service can be tried by hand.

`python -m jobtask.demo --count 200` drives tasks through the running server's writer API the way
collectors do (create, start, report progress and errors, finish, cancel), leaving some failed,
some still running. `--direct` instead stores documents spread over 60 days straight into the
configured database, exactly as SpaceONE's inventory stores them (the benchmark does that too).

For a server of the SpaceONE 2.x line (`SPACEONE_API=2`, which `make demo SPACEONE_API=2` passes on
as it does to `make run`), each task also belongs to one of WORKSPACES workspaces of its domain,
as SpaceONE 2.x stores them (`workspace_id`; stored ids `job-task-…`).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc

from jobtask.cli.client import Connection, ConnectionSetupError
from jobtask.domain import COUNTERS, IDENTITY_FIELDS, JobTaskStatus
from jobtask.services.collector import ID_PREFIXES
from jobtask.settings import Settings
from jobtask.storage import connect_with
from jobtask_internal.v1 import job_task_writer_pb2 as writer_pb2
from jobtask_internal.v1 import job_task_writer_pb2_grpc
from spaceone.api.inventory.v1 import collector_pb2

PROVIDERS = ("aws", "google_cloud", "azure", "oci", "alibaba_cloud")
ERROR_CODES = ("ERROR_PLUGIN", "ERROR_AUTHENTICATION", "ERROR_TIMEOUT", "ERROR_QUOTA_EXCEEDED")
ERROR_MESSAGES = (
    "timeout while listing buckets",
    "AccessDenied: not authorized to perform ec2:DescribeInstances",
    "rate exceeded for ListClusters",
    "the secret has expired",
)
# Mostly finished, some failed, a few still running or waiting.
STATUS_WEIGHTS = {
    JobTaskStatus.SUCCESS: 70,
    JobTaskStatus.FAILURE: 15,
    JobTaskStatus.IN_PROGRESS: 6,
    JobTaskStatus.PENDING: 5,
    JobTaskStatus.CANCELED: 4,
}


# Workspaces per domain on the 2.x line.
WORKSPACES = 2


def domain_ids(count: int) -> list[str]:
    return [f"domain-{index:012x}" for index in range(1, count + 1)]


def workspace_ids(domain_id: str, domains: int, workspaces: int = WORKSPACES) -> list[str]:
    """The workspaces of the `domain_ids(domains)` domain `domain_id`: unique across domains, as
    SpaceONE's are (domain 1 has workspace-…001 and …002, domain 2 …003 and …004)."""
    first = domain_ids(domains).index(domain_id) * workspaces + 1
    return [f"workspace-{index:012x}" for index in range(first, first + workspaces)]


def _hex_id(prefix: str, rng: random.Random) -> str:
    return f"{prefix}-{rng.getrandbits(48):012x}"


def _ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _errors(status: JobTaskStatus, provider: str, rng: random.Random) -> list[dict[str, Any]]:
    if status is not JobTaskStatus.FAILURE and rng.random() > 0.1:
        return []
    return [
        {
            "error_code": rng.choice(ERROR_CODES),
            "message": rng.choice(ERROR_MESSAGES),
            "additional": {"resource_type": "inventory.CloudService", "provider": provider},
        }
        for _ in range(rng.randint(1, 5))
    ]


def demo_document(
    rng: random.Random,
    domain_id: str,
    now: datetime,
    days: int,
    workspaces: list[str] | None = None,
) -> dict[str, Any]:
    """One stored task: nullable fields stored as null, dates as UTC at millisecond precision;
    with `workspaces`, a 2.x task in one of them."""
    status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
    provider = rng.choice(PROVIDERS)
    created_at = _ms(now - timedelta(seconds=rng.uniform(0, days * 86_400)))
    started = status is not JobTaskStatus.PENDING
    finished = status in (JobTaskStatus.SUCCESS, JobTaskStatus.FAILURE, JobTaskStatus.CANCELED)
    started_at = _ms(created_at + timedelta(seconds=rng.uniform(0.1, 30))) if started else None
    finished_at = (
        _ms(started_at + timedelta(seconds=rng.uniform(5, 900)))
        if finished and started_at
        else None
    )
    errors = _errors(status, provider, rng)
    document = {
        "job_task_id": _hex_id(ID_PREFIXES[2 if workspaces else 1], rng),
        "status": status.value,
        "created_count": rng.randint(0, 50) if started else 0,
        "updated_count": rng.randint(0, 2000) if started else 0,
        "deleted_count": rng.randint(0, 10) if started else 0,
        "disconnected_count": rng.randint(0, 5) if started else 0,
        "failure_count": len(errors),
        "total_count": 0,
        "errors": errors,
        "job_id": f"job-{rng.getrandbits(12):012x}",
        "secret_id": f"secret-{rng.getrandbits(10):012x}",
        "collector_id": f"collector-{rng.getrandbits(4):012x}",
        "provider": provider,
        "service_account_id": f"sa-{rng.getrandbits(10):012x}",
        "project_id": f"project-{rng.getrandbits(6):012x}",
        "domain_id": domain_id,
        "created_at": created_at,
        "started_at": started_at,
        "finished_at": finished_at,
    }
    if workspaces:
        document["workspace_id"] = rng.choice(workspaces)
    return document


def demo_documents(
    count: int,
    *,
    domains: int = 3,
    seed: int = 7,
    now: datetime | None = None,
    days: int = 60,
    workspaces: int = 0,
) -> Iterator[dict[str, Any]]:
    """`count` tasks over `domains` domains and the last `days` days; reproducible by seed. With
    `workspaces` (2.x), each task is in one of that many workspaces of its domain."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC).replace(tzinfo=None)
    ids = domain_ids(domains)
    for index in range(count):
        domain = ids[index % len(ids)]
        spaces = workspace_ids(domain, domains, workspaces) if workspaces else None
        yield demo_document(rng, domain, now, days, spaces)


def drive(
    stub: job_task_writer_pb2_grpc.JobTaskWriterStub,
    count: int,
    domains: int,
    seed: int,
    workspaces: int = 0,
) -> Counter[str]:
    """Create `count` tasks through the writer API and take each through a realistic life (in
    `workspaces` workspaces per domain, for a 2.x server)."""
    rng = random.Random(seed)
    ids = domain_ids(domains)
    outcomes: Counter[str] = Counter()
    for index in range(count):
        domain = ids[index % len(ids)]
        spaces = workspace_ids(domain, domains, workspaces) if workspaces else None
        shape = demo_document(rng, domain, datetime.now(UTC), days=1, workspaces=spaces)
        status = JobTaskStatus(shape["status"])
        created = stub.create(
            writer_pb2.CreateJobTaskRequest(**{k: shape.get(k) or "" for k in IDENTITY_FIELDS}),
            timeout=10,
        )
        ref = writer_pb2.JobTaskRef(job_task_id=created.job_task_id, domain_id=shape["domain_id"])
        if status is JobTaskStatus.CANCELED and rng.random() < 0.5:
            stub.cancel(ref, timeout=10)
        elif status is not JobTaskStatus.PENDING:
            stub.start(ref, timeout=10)
            _report(stub, ref, shape, rng)
            if status is JobTaskStatus.CANCELED:
                stub.cancel(ref, timeout=10)
            elif status is not JobTaskStatus.IN_PROGRESS:
                stub.finish(
                    writer_pb2.FinishJobTaskRequest(
                        job_task_id=ref.job_task_id, domain_id=ref.domain_id, status=status.value
                    ),
                    timeout=10,
                )
        outcomes[status.value] += 1
    return outcomes


def _report(
    stub: job_task_writer_pb2_grpc.JobTaskWriterStub,
    ref: writer_pb2.JobTaskRef,
    shape: dict[str, Any],
    rng: random.Random,
) -> None:
    """Progress in one to three reports, the errors with the last one."""
    parts = rng.randint(1, 3)
    for part in range(parts):
        last = part == parts - 1
        counts = {
            name: shape[name] // parts + (shape[name] % parts if last else 0) for name in COUNTERS
        }
        errors = [collector_pb2.ErrorInfo(**e) for e in shape["errors"]] if last else []
        stub.report(
            writer_pb2.ReportProgressRequest(
                job_task_id=ref.job_task_id, domain_id=ref.domain_id, errors=errors, **counts
            ),
            timeout=10,
        )


def store_directly(count: int, domains: int, seed: int, workspaces: int = 0) -> int:
    settings = Settings()
    # Bulk inserts take longer than a call's operation limit.
    timeout_ms = max(settings.mongodb_operation_timeout_ms, 60_000)
    client, repository = connect_with(
        settings.model_copy(update={"mongodb_operation_timeout_ms": timeout_ms})
    )
    with client:
        repository.ensure_indexes()
        batch: list[dict[str, Any]] = []
        stored = 0
        for document in demo_documents(count, domains=domains, seed=seed, workspaces=workspaces):
            batch.append(document)
            if len(batch) == 1000:
                stored += repository.insert_many(batch)
                batch.clear()
        if batch:
            stored += repository.insert_many(batch)
    print(f"stored {stored} demo tasks in {settings.mongodb_database}.job_task")
    return stored


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    parser = argparse.ArgumentParser(description="Load demo job tasks.")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--domains", type=int, default=3)
    parser.add_argument("--seed", type=int, default=None, help="default: a new one each run")
    parser.add_argument(
        "--server",
        default=f"localhost:{settings.grpc_port}",
        help="the running server whose writer API creates the tasks",
    )
    parser.add_argument(
        "--spaceone-api",
        type=int,
        choices=(1, 2),
        default=settings.spaceone_api,
        help="the line the server speaks (default: SPACEONE_API); 2: tasks in workspaces",
    )
    parser.add_argument(
        "--direct",
        action="store_true",
        help="store documents over 60 days straight into MONGODB_URI instead",
    )
    args = parser.parse_args(argv)
    if args.count < 1 or args.domains < 1:
        parser.error("--count and --domains must be at least 1")
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    workspaces = WORKSPACES if args.spaceone_api == 2 else 0
    if args.direct:
        store_directly(args.count, args.domains, seed, workspaces)
    elif (failed := _drive_server(args.server, args.count, args.domains, seed, workspaces)) != 0:
        return failed
    domains = domain_ids(args.domains)
    print("domains:", " ".join(domains))
    if workspaces:
        for domain in domains:
            print(f"workspaces of {domain}:", " ".join(workspace_ids(domain, args.domains)))
    return 0


def _drive_server(server: str, count: int, domains: int, seed: int, workspaces: int) -> int:
    """`drive` through the server's writer API; the exit code (a failure printed)."""
    try:
        # The CLI's conventions: JOBTASK_TOKEN, JOBTASK_CA_FILE, ... (jobtask.cli.client).
        connection = Connection.from_environment(server)
    except ConnectionSetupError as error:
        print(f"jobtask-demo: {error}", file=sys.stderr)
        return 2
    with connection.channel() as channel:
        stub = job_task_writer_pb2_grpc.JobTaskWriterStub(channel)
        try:
            outcomes = drive(stub, count, domains, seed, workspaces)
        except grpc.RpcError as error:
            print(
                f"jobtask-demo: {server}: {error.code().name}: {error.details()}", file=sys.stderr
            )
            return 1
    shown = ", ".join(f"{n} {status}" for status, n in sorted(outcomes.items()))
    print(f"drove {count} tasks through {server}: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
