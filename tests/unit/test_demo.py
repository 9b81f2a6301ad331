"""Demo data is stored exactly as SpaceONE stores job tasks, and is reproducible."""

from __future__ import annotations

from datetime import datetime

from jobtask.demo import demo_documents, domain_ids, workspace_ids

NOW = datetime(2023, 3, 1)
STORED_KEYS = {
    "job_task_id", "status", "created_count", "updated_count", "deleted_count",
    "disconnected_count", "failure_count", "total_count", "errors", "job_id", "secret_id",
    "collector_id", "provider", "service_account_id", "project_id", "domain_id", "created_at",
    "started_at", "finished_at",
}  # fmt: skip


def test_demo_documents_have_spaceones_stored_shape() -> None:
    for document in demo_documents(300, now=NOW):
        assert set(document) == STORED_KEYS
        assert document["job_task_id"].startswith("job_task-")
        assert len(document["job_task_id"]) == len("job_task-") + 12
        assert document["created_at"].microsecond % 1000 == 0
        assert 0 <= len(document["errors"]) <= 5
        assert document["failure_count"] == len(document["errors"])


def test_demo_lifecycles_are_consistent() -> None:
    for document in demo_documents(500, now=NOW):
        status, started, finished = (
            document["status"],
            document["started_at"],
            document["finished_at"],
        )
        assert (started is None) == (status == "PENDING")
        assert (finished is None) == (status in ("PENDING", "IN_PROGRESS"))
        if finished is not None:
            assert document["created_at"] <= started <= finished <= NOW.replace(year=2024)


def test_demo_spreads_over_domains_and_sixty_days_reproducibly() -> None:
    first = list(demo_documents(200, domains=4, now=NOW))

    assert first == list(demo_documents(200, domains=4, now=NOW))
    assert {d["domain_id"] for d in first} == set(domain_ids(4))
    assert {d["status"] for d in first} == {
        "PENDING",
        "IN_PROGRESS",
        "SUCCESS",
        "FAILURE",
        "CANCELED",
    }
    ages = [(NOW - d["created_at"]).days for d in first]
    assert min(ages) >= 0 and max(ages) < 60


def test_2x_demo_documents_are_in_workspaces_of_their_domain() -> None:
    documents = list(demo_documents(300, domains=3, now=NOW, workspaces=2))

    for document in documents:
        assert set(document) == {*STORED_KEYS, "workspace_id"}
        assert document["job_task_id"].startswith("job-task-")
        assert document["workspace_id"] in workspace_ids(document["domain_id"], 3)
    assert len({d["workspace_id"] for d in documents}) == 6


def test_workspaces_are_unique_across_domains() -> None:
    first, second = domain_ids(2)
    assert workspace_ids(first, 2) == ["workspace-000000000001", "workspace-000000000002"]
    assert workspace_ids(second, 2) == ["workspace-000000000003", "workspace-000000000004"]
    assert workspace_ids(second, 2, workspaces=3)[0] == "workspace-000000000004"
