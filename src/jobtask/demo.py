"""Demo data: realistic job task documents, stored exactly as SpaceONE's inventory stores them.

`python -m jobtask.demo --count 500` loads them into the configured database so the service can be
tried by hand; tests and the benchmark use `demo_documents` directly.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from jobtask.domain import JobTaskStatus
from jobtask.repository import connect
from jobtask.settings import Settings

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


def domain_ids(count: int) -> list[str]:
    return [f"domain-{index:012x}" for index in range(1, count + 1)]


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


def demo_document(rng: random.Random, domain_id: str, now: datetime, days: int) -> dict[str, Any]:
    """One stored task: nullable fields stored as null, dates as UTC at millisecond precision."""
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
    return {
        "job_task_id": _hex_id("job_task", rng),
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


def demo_documents(
    count: int, *, domains: int = 3, seed: int = 7, now: datetime | None = None, days: int = 60
) -> Iterator[dict[str, Any]]:
    """`count` tasks over `domains` domains and the last `days` days; reproducible by seed."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC).replace(tzinfo=None)
    ids = domain_ids(domains)
    for index in range(count):
        yield demo_document(rng, ids[index % len(ids)], now, days)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load demo job tasks into MONGODB_URI.")
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--domains", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.count < 1 or args.domains < 1:
        parser.error("--count and --domains must be at least 1")
    settings = Settings()
    client, repository = connect(
        settings.mongodb_uri.get_secret_value(),
        settings.mongodb_database,
        connect_timeout_ms=settings.mongodb_connect_timeout_ms,
        server_selection_timeout_ms=settings.mongodb_server_selection_timeout_ms,
        operation_timeout_ms=max(settings.mongodb_operation_timeout_ms, 60_000),
        max_pool_size=settings.mongodb_max_pool_size,
    )
    with client:
        repository.ensure_indexes()
        batch: list[dict[str, Any]] = []
        stored = 0
        for document in demo_documents(args.count, domains=args.domains, seed=args.seed):
            batch.append(document)
            if len(batch) == 1000:
                stored += repository.insert_many(batch)
                batch.clear()
        if batch:
            stored += repository.insert_many(batch)
    print(f"stored {stored} demo tasks in {settings.mongodb_database}.job_task for domains:")
    for domain_id in domain_ids(args.domains):
        print(f"  {domain_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
