"""Workspaces through a SpaceONE 2.x server: tasks the writer created in workspaces, read by 2.x
callers whose `x_workspace_id` metadata scopes them to one (no query widens it), or who name a
workspace as an ordinary filter of their domain; `workspace_id` rendered in full answers only."""

from __future__ import annotations

from typing import Any, Final

import grpc
import pytest

from jobtask_internal.v1 import job_task_writer_pb2, job_task_writer_pb2_grpc
from tests.support.client_2x import JobTaskClient2x, scope_metadata

DOMAIN: Final = "domain-workspace0001"
HERE, THERE = "workspace-here", "workspace-there"
# (job_task_id, workspace, provider); "" no workspace (as 1.x's tasks).
TASKS: Final = (
    ("job_task-000000000001", HERE, "aws"),
    ("job_task-000000000002", HERE, "azure"),
    ("job_task-000000000003", THERE, "aws"),
    ("job_task-000000000004", "", "aws"),
)
HERE_ONLY: Final = scope_metadata(DOMAIN, HERE)


def _ids(workspace: str | None = None, provider: str | None = None) -> set[str]:
    return {i for i, w, p in TASKS if workspace in (None, w) and provider in (None, p)}


@pytest.fixture
def client(channel_2x: grpc.Channel) -> JobTaskClient2x:
    writer = job_task_writer_pb2_grpc.JobTaskWriterStub(channel_2x)
    for job_task_id, workspace_id, provider in TASKS:
        request = job_task_writer_pb2.CreateJobTaskRequest(
            job_task_id=job_task_id,
            domain_id=DOMAIN,
            workspace_id=workspace_id,
            provider=provider,
            job_id="job-1",
        )
        writer.create(request, timeout=5)
    return JobTaskClient2x(channel_2x, scope_metadata(DOMAIN))


def _listed(answer: dict[str, Any]) -> set[str]:
    return {t["job_task_id"] for t in answer.get("results", [])}


def test_a_domain_caller_sees_every_workspace_and_may_filter_by_one(
    client: JobTaskClient2x,
) -> None:
    assert _listed(client.list({})) == _ids()
    assert _listed(client.list({"workspace_id": THERE})) == _ids(THERE)


def test_x_workspace_id_scopes_list_stat_and_count(client: JobTaskClient2x) -> None:
    widening = {
        "filter_or": [
            {"k": "workspace_id", "v": THERE, "o": "eq"},
            {"k": "provider", "v": "aws", "o": "eq"},
        ]
    }
    stat = {
        "aggregate": [
            {
                "group": {
                    "keys": [{"key": "workspace_id", "name": "workspace"}],
                    "fields": [{"key": "job_task_id", "name": "n", "operator": "count"}],
                }
            }
        ]
    }

    assert _listed(client.list({}, HERE_ONLY)) == _ids(HERE)
    assert _listed(client.list({"query": widening}, HERE_ONLY)) == _ids(HERE, "aws")
    assert _listed(client.list({"workspace_id": THERE}, HERE_ONLY)) == set()
    assert client.list({"query": {"count_only": True}}, HERE_ONLY) == {"total_count": 2}
    assert client.stat({"query": stat}, HERE_ONLY) == {"results": [{"workspace": HERE, "n": 2.0}]}


@pytest.mark.parametrize("rpc", ["get", "delete"])
def test_another_workspaces_task_is_not_found_naming_the_workspace(
    client: JobTaskClient2x, rpc: str
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        client.call(rpc, {"job_task_id": "job_task-000000000003"}, HERE_ONLY)

    assert raised.value.code() is grpc.StatusCode.NOT_FOUND
    assert raised.value.details() == (
        "ERROR_NOT_FOUND: Resource cannot be found or access is denied. "
        "(job_task_id = 'job_task-000000000003', "
        f"domain_id = '{DOMAIN}', workspace_id = '{HERE}')"
    )
    assert client.get({"job_task_id": "job_task-000000000003"})["workspace_id"] == THERE


def test_delete_within_the_workspace(client: JobTaskClient2x) -> None:
    assert client.delete({"job_task_id": "job_task-000000000001"}, HERE_ONLY) == {}

    assert _listed(client.list({})) == _ids() - {"job_task-000000000001"}


def test_workspace_id_is_rendered_in_full_answers_only(client: JobTaskClient2x) -> None:
    full = client.get({"job_task_id": "job_task-000000000001"}, HERE_ONLY)
    minimal = client.list({"query": {"minimal": True}, "job_task_id": "job_task-000000000001"})
    only = client.list({"query": {"only": ["workspace_id"]}, "provider": "azure"})

    assert full["workspace_id"] == HERE
    assert "workspace_id" not in minimal["results"][0]
    assert only["results"] == [{"workspace_id": HERE}]
