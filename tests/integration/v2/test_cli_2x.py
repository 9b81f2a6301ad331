"""The `jobtask` CLI, in-process, against a SpaceONE 2.x server (SPACEONE_API=2, port 0): tasks
it creates in workspaces through the writer, read, counted and deleted over the 2.x line with the
scope as x_domain_id / x_workspace_id metadata."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

import pytest
from typer.testing import CliRunner, Result

from jobtask.cli.main import app
from jobtask.edges.grpc.server import RunningServer

DOMAIN: Final = "domain-cli2x0000001"
HERE, THERE = "workspace-cli-here", "workspace-cli-there"
# (workspace, provider) of each task the CLI creates.
TASKS: Final = ((HERE, "aws"), (HERE, "azure"), (THERE, "aws"))
Run = Callable[..., Result]


@pytest.fixture
def cli(server_2x: RunningServer) -> Run:
    """`cli("list", "--json", workspace=HERE)`: the 2.x line, DOMAIN, the server's address."""
    runner = CliRunner()

    def run(*args: str, workspace: str | None = None, api: str = "2") -> Result:
        env = {
            "JOBTASK_SERVER": f"127.0.0.1:{server_2x.port}",
            "JOBTASK_DOMAIN_ID": DOMAIN,
            "JOBTASK_SPACEONE_API": api,
            "JOBTASK_WORKSPACE_ID": workspace,
            "JOBTASK_TOKEN": None,
        }
        return runner.invoke(app, list(args), env=env)

    return run


@pytest.fixture
def created(cli: Run) -> dict[str, tuple[str, str]]:
    """The tasks, created in the workspace of --workspace (JOBTASK_WORKSPACE_ID): id -> TASKS'."""
    ids = {}
    for workspace, provider in TASKS:
        result = cli(
            "create", "--job-id", "job-1", "--provider", provider, "--json", workspace=workspace
        )
        ids[_json(result)["job_task_id"]] = (workspace, provider)
    return ids


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _ids(answer: dict[str, Any]) -> set[str]:
    return {task["job_task_id"] for task in answer.get("results", [])}


def test_list_covers_the_domain_or_one_workspace(
    cli: Run, created: dict[str, tuple[str, str]]
) -> None:
    everything = _json(cli("list", "--json"))
    assert _ids(everything) == set(created)
    assert {t["workspace_id"] for t in everything["results"]} == {HERE, THERE}

    here = _json(cli("list", "provider=aws", "--sort", "-created_at", "--json", workspace=HERE))
    assert _ids(here) == {i for i, task in created.items() if task == (HERE, "aws")}
    assert here["total_count"] == 1


def test_the_table_shows_the_workspace(cli: Run, created: dict[str, tuple[str, str]]) -> None:
    result = cli("list", "--only", "job_task_id,workspace_id", workspace=THERE)
    assert result.exit_code == 0, result.output
    assert THERE in result.stdout
    assert HERE not in result.stdout


def test_get_reads_within_the_workspace_only(cli: Run, created: dict[str, tuple[str, str]]) -> None:
    there = next(i for i, (w, _) in created.items() if w == THERE)
    assert _json(cli("get", there, "--json"))["workspace_id"] == THERE

    outside = cli("get", there, workspace=HERE)
    assert outside.exit_code == 1
    assert outside.stderr.startswith("jobtask: NOT_FOUND: ERROR_NOT_FOUND: ")

    refused = cli("get", there, "--only", "status")
    assert refused.exit_code == 2
    assert "get has no `only`" in refused.stderr


def test_stat_by_workspace_with_a_stage_sort_of_either_shape(
    cli: Run, created: dict[str, tuple[str, str]], tmp_path: Any
) -> None:
    counts = _json(cli("stat", "--by", "workspace_id", "--json"))["results"]
    assert sorted((r["workspace_id"], r["count"]) for r in counts) == [(HERE, 2), (THERE, 1)]

    query = tmp_path / "query.yaml"  # a 1.x-shaped sort, sent as 2.x's list
    query.write_text(
        "aggregate:\n"
        "  - group: {keys: [{key: provider, name: provider}],"
        " fields: [{operator: count, name: n}]}\n"
        "  - sort: {key: provider, desc: true}\n"
    )
    rows = _json(cli("stat", "--file", str(query), "--json", workspace=HERE))["results"]
    assert rows == [{"provider": "azure", "n": 1}, {"provider": "aws", "n": 1}]

    distinct = _json(cli("stat", "--distinct", "workspace_id", "--json"))["results"]
    assert distinct == [HERE, THERE]


def test_delete_within_the_workspace(cli: Run, created: dict[str, tuple[str, str]]) -> None:
    there = next(i for i, (w, _) in created.items() if w == THERE)
    refused = cli("delete", there, "--yes", workspace=HERE)
    assert refused.exit_code == 1
    assert "NOT_FOUND" in refused.stderr

    assert cli("delete", there, "--yes").exit_code == 0
    assert there not in _ids(_json(cli("list", "--json")))


def test_a_1x_call_to_a_2x_server_is_refused_with_a_hint(
    cli: Run, created: dict[str, tuple[str, str]]
) -> None:
    result = cli("list", api="1")
    assert result.exit_code == 1
    assert result.stderr.startswith("jobtask: INVALID_ARGUMENT: ERROR_REQUIRED_PARAMETER")
    assert result.stderr.endswith("(does the server speak SpaceONE 2.x? --spaceone-api 2)\n")
