"""A small, hand-made set of stored job tasks in two domains, shaped as SpaceONE stores them.

Tests compute what they expect from these documents with plain Python, never with the code
under test.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

DOMAIN = "domain-aaaaaaaaaaaa"
OTHER_DOMAIN = "domain-bbbbbbbbbbbb"


def _task(
    suffix: str,
    status: str,
    created_at: datetime,
    *,
    domain_id: str = DOMAIN,
    provider: str | None = "aws",
    created: int = 0,
    updated: int = 0,
    failure: int = 0,
    errors: list[dict[str, Any]] | None = None,
    job_id: str = "job-000000000001",
    project_id: str | None = "project-000000000001",
    started: bool = True,
    finished: bool = True,
) -> dict[str, Any]:
    return {
        "job_task_id": f"job_task-{suffix}",
        "status": status,
        "created_count": created,
        "updated_count": updated,
        "deleted_count": 0,
        "disconnected_count": 1 if failure else 0,
        "failure_count": failure,
        "total_count": 0,
        "errors": errors or [],
        "job_id": job_id,
        "secret_id": "secret-000000000001",
        "collector_id": None,
        "provider": provider,
        "service_account_id": "sa-000000000001",
        "project_id": project_id,
        "domain_id": domain_id,
        "created_at": created_at,
        "started_at": created_at.replace(second=5) if started else None,
        "finished_at": created_at.replace(minute=30) if finished else None,
    }


def _error(code: str, message: str, **additional: Any) -> dict[str, Any]:
    return {"error_code": code, "message": message, "additional": additional}


TASKS: list[dict[str, Any]] = [
    _task(
        "3f9c0a1b2c4d",
        "FAILURE",
        datetime(2023, 1, 5, 9, 0, 0, 120_000),
        failure=2,
        updated=12,
        errors=[
            _error("ERROR_PLUGIN", "timeout while listing buckets", provider="aws"),
            _error("ERROR_AUTH", "Access Denied (ec2.*)", provider="aws"),
        ],
    ),
    _task("aaaa00000001", "SUCCESS", datetime(2023, 1, 5, 10), created=5, updated=55),
    _task(
        "aaaa00000002",
        "SUCCESS",
        datetime(2023, 1, 6, 10),
        created=2,
        updated=1921,
        provider="google_cloud",
        job_id="job-000000000002",
    ),
    _task(
        "aaaa00000003", "IN_PROGRESS", datetime(2023, 1, 7, 10), provider="azure", finished=False
    ),
    _task(
        "aaaa00000004",
        "PENDING",
        datetime(2023, 1, 7, 11),
        provider=None,
        project_id=None,
        started=False,
        finished=False,
    ),
    _task(
        "ABCD00000005",
        "CANCELED",
        datetime(2023, 1, 8, 10),
        provider="aws",
        created=3,
        finished=True,
    ),
    _task(
        "aaaa00000006",
        "FAILURE",
        datetime(2023, 1, 8, 10),
        failure=1,
        provider="google_cloud",
        errors=[_error("ERROR_QUOTA", "rate exceeded", provider="google_cloud", retry=3)],
        job_id="job-000000000002",
    ),
    # Same created_at as the one above: only the tie-breaker orders them.
    _task("aaaa00000007", "SUCCESS", datetime(2023, 1, 8, 10), created=7, updated=3),
    _task("bbbb00000001", "SUCCESS", datetime(2023, 1, 5, 10), domain_id=OTHER_DOMAIN, created=9),
    _task(
        "bbbb00000002",
        "FAILURE",
        datetime(2023, 1, 9, 10),
        domain_id=OTHER_DOMAIN,
        failure=4,
        errors=[_error("ERROR_PLUGIN", "timeout", provider="aws")],
    ),
]


def tasks_in(domain_id: str = DOMAIN) -> list[dict[str, Any]]:
    return [t for t in TASKS if t["domain_id"] == domain_id]


def ids(tasks: list[dict[str, Any]]) -> set[str]:
    return {t["job_task_id"] for t in tasks}


# The stored example of SpaceONE's spec (query-semantics §1.1), as an existing collection holds it.
SPACEONE_EXAMPLE: dict[str, Any] = {
    "job_task_id": "job_task-3f9c0a1b2c4d",
    "status": "FAILURE",
    "created_count": 0,
    "updated_count": 12,
    "deleted_count": 0,
    "disconnected_count": 1,
    "failure_count": 2,
    "total_count": 0,
    "errors": [
        {
            "error_code": "ERROR_PLUGIN",
            "message": "timeout while listing buckets",
            "additional": {"resource_type": "inventory.CloudService", "provider": "aws"},
        }
    ],
    "job_id": "job-5b1e2d3c4f60",
    "secret_id": "secret-aa11bb22cc33",
    "collector_id": "collector-0a1b2c3d4e5f",
    "provider": "aws",
    "service_account_id": "sa-112233445566",
    "project_id": "project-665544332211",
    "domain_id": "domain-abcdef123456",
    "created_at": datetime(2023, 1, 5, 9, 0, 0, 120_000),
    "started_at": datetime(2023, 1, 5, 9, 0, 0, 450_000),
    "finished_at": datetime(2023, 1, 5, 9, 3, 11, 7_000),
}


# How SpaceONE renders TASKS[0] (the full view of get and list), written out by hand.
FULL_VIEW_OF_FIRST: dict[str, Any] = {
    "job_task_id": "job_task-3f9c0a1b2c4d",
    "status": "FAILURE",
    "updated_count": 12,
    "failure_count": 2,
    "disconnected_count": 1,
    "errors": [
        {
            "error_code": "ERROR_PLUGIN",
            "message": "timeout while listing buckets",
            "additional": {"provider": "aws"},
        },
        {
            "error_code": "ERROR_AUTH",
            "message": "Access Denied (ec2.*)",
            "additional": {"provider": "aws"},
        },
    ],
    "job_id": "job-000000000001",
    "secret_id": "secret-000000000001",
    "provider": "aws",
    "service_account_id": "sa-000000000001",
    "project_id": "project-000000000001",
    "domain_id": DOMAIN,
    "created_at": "2023-01-05T09:00:00.120Z",
    "started_at": "2023-01-05T09:00:05.120Z",
    "finished_at": "2023-01-05T09:30:00.120Z",
}
