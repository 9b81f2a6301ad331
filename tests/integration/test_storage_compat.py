"""A document exactly as SpaceONE's inventory stores it (spec §1.1) is served exactly as SpaceONE
renders it (spec §1.5): an existing `job_task` collection works unchanged."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from tests.support.dataset import SPACEONE_EXAMPLE
from tests.support.independent_client import IndependentJobTaskClient

DOMAIN = SPACEONE_EXAMPLE["domain_id"]
STORED: dict[str, Any] = {"_id": ObjectId("64a0c0ffee0000000000a001"), **SPACEONE_EXAMPLE}
FULL_VIEW = {
    "job_task_id": "job_task-3f9c0a1b2c4d",
    "status": "FAILURE",
    "updated_count": 12,
    "failure_count": 2,
    "disconnected_count": 1,
    "errors": [
        {
            "error_code": "ERROR_PLUGIN",
            "message": "timeout while listing buckets",
            "additional": {"resource_type": "inventory.CloudService", "provider": "aws"},
        }
    ],
    "job_id": "job-5b1e2d3c4f60",
    "secret_id": "secret-aa11bb22cc33",
    "provider": "aws",
    "service_account_id": "sa-112233445566",
    "project_id": "project-665544332211",
    "domain_id": DOMAIN,
    "created_at": "2023-01-05T09:00:00.120Z",
    "started_at": "2023-01-05T09:00:00.450Z",
    "finished_at": "2023-01-05T09:03:11.007Z",
}
MINIMAL_VIEW = {
    "job_task_id": "job_task-3f9c0a1b2c4d",
    "status": "FAILURE",
    "updated_count": 12,
    "failure_count": 2,
    "disconnected_count": 1,
    "job_id": "job-5b1e2d3c4f60",
    "created_at": "2023-01-05T09:00:00.120Z",
    "started_at": "2023-01-05T09:00:00.450Z",
    "finished_at": "2023-01-05T09:03:11.007Z",
}


def test_a_spaceone_stored_task_renders_as_spaceone_renders_it(
    client: IndependentJobTaskClient, raw_collection: Any
) -> None:
    raw_collection.insert_one(dict(STORED))

    got = client.get({"job_task_id": "job_task-3f9c0a1b2c4d", "domain_id": DOMAIN})
    listed = client.list({"domain_id": DOMAIN})
    minimal = client.list({"domain_id": DOMAIN, "query": {"minimal": True}})

    assert got == FULL_VIEW
    assert listed == {"results": [FULL_VIEW], "total_count": 1}
    assert minimal == {"results": [MINIMAL_VIEW], "total_count": 1}


def test_stored_only_fields_filter_but_never_show(
    client: IndependentJobTaskClient, raw_collection: Any
) -> None:
    raw_collection.insert_one(dict(STORED))

    by_collector = client.list(
        {
            "domain_id": DOMAIN,
            "query": {"filter": [{"k": "collector_id", "v": "collector-0a1b2c3d4e5f", "o": "eq"}]},
        }
    )

    assert by_collector["total_count"] == 1
    assert "collector_id" not in by_collector["results"][0]
    assert "total_count" not in by_collector["results"][0]


def test_nulls_stored_by_spaceone_are_unset_fields(
    client: IndependentJobTaskClient, raw_collection: Any
) -> None:
    pending = {
        **STORED,
        "_id": ObjectId(),
        "job_task_id": "job_task-000000000001",
        "status": "PENDING",
        "provider": None,
        "service_account_id": None,
        "project_id": None,
        "collector_id": None,
        "started_at": None,
        "finished_at": None,
        "errors": [],
        "updated_count": 0,
        "failure_count": 0,
        "disconnected_count": 0,
    }
    raw_collection.insert_one(pending)

    got = client.get({"job_task_id": "job_task-000000000001", "domain_id": DOMAIN})

    assert got == {
        "job_task_id": "job_task-000000000001",
        "status": "PENDING",
        "job_id": "job-5b1e2d3c4f60",
        "secret_id": "secret-aa11bb22cc33",
        "domain_id": DOMAIN,
        "created_at": "2023-01-05T09:00:00.120Z",
    }
