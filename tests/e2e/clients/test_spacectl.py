"""spacectl 1.10.4.2 and 1.12.2, unchanged, against the server: set up as its README says, every
output format (table, json, yaml, csv), and errors as SpaceONE's messages.

spacectl needs no identity service for a static endpoint: `spacectl config init` and `spacectl
config endpoint add inventory grpc://…`, in a HOME of its own. It prints a failure as one
`ERROR: <message>` line (dropping the code) and exits 0, so the messages are compared with the
ones SpaceONE's own spaceone-core renders for the same error.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any, Final

import pytest
import yaml

from tests.e2e.clients import expected as x
from tests.e2e.clients.conftest import (
    DELETE_DOMAIN,
    LINES,
    deletable_id,
    run_driver,
    spacectl_runner,
)
from tests.support.dataset import DOMAIN

Spacectl = Callable[..., str]
AWS: Final = {"k": "provider", "v": "aws", "o": "eq"}
TASK: Final = "job_task-3f9c0a1b2c4d"
MISSING: Final = "job_task-000000000000"
COLUMNS: Final = ["job_task_id", "status", "created_count"]


@pytest.fixture(scope="module", params=LINES)
def line(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def spacectl(line: str, server_port: int, tmp_path_factory: pytest.TempPathFactory) -> Spacectl:
    """spacectl of the line, configured in a HOME of its own; returns its stdout."""
    run = spacectl_runner(line, str(tmp_path_factory.mktemp(f"home-{line}")))
    run("config", "init", "-e", "jobtask")
    added = run("config", "endpoint", "add", "inventory", f"grpc://127.0.0.1:{server_port}")
    assert "endpoint has been added" in added
    return run


def _job_tasks(spacectl: Spacectl, verb: str, params: dict[str, Any], *options: str) -> str:
    """`spacectl <verb> inventory.JobTask` in the dataset's domain with `params` as its -j JSON."""
    return spacectl(
        verb, "inventory.JobTask", "-j", json.dumps({"domain_id": DOMAIN, **params}), *options
    )


def _aws_ascending() -> list[dict[str, Any]]:
    return sorted(x.by_provider("aws"), key=lambda t: (t["created_at"], t["job_task_id"]))


def _table(text: str) -> tuple[list[dict[str, str]], str]:
    """tabulate's presto table as rows of stripped cells, and the line after it (the count)."""
    lines = text.rstrip("\n").split("\n")
    header = [cell.strip() for cell in lines[0].split("|")]
    assert set(lines[1]) <= {"-", "+"}, lines[1]
    rows, rest = [], lines[2:]
    while rest and rest[0].strip():
        rows.append(dict(zip(header, (c.strip() for c in rest.pop(0).split("|")), strict=True)))
    return rows, "\n".join(r for r in rest if r.strip()).strip()


def _cells(task: dict[str, Any], columns: list[str]) -> dict[str, str]:
    shown = x.rendered(task, columns)
    return {c: str(shown.get(c, "")) for c in columns}


def test_list_as_a_table_with_spacectls_sort_and_limit(spacectl: Spacectl) -> None:
    tasks = x.newest_first(x.by_provider("aws"))

    out = _job_tasks(
        spacectl, "list", {"query": {"filter": [AWS], "only": COLUMNS}},
        "-s", "-created_at", "-l", "3", "-o", "table",
    )  # fmt: skip

    rows, count = _table(out)
    assert rows == [_cells(t, COLUMNS) for t in tasks[:3]]
    assert count == f"Count: 3 / {len(tasks)}"


def test_list_as_json_with_page_and_only(spacectl: Spacectl) -> None:
    tasks = _aws_ascending()
    query = {"filter": [AWS], "only": COLUMNS, "sort": {"key": "created_at"}}
    query["page"] = {"start": 2, "limit": 2}

    out = _job_tasks(spacectl, "list", {"query": query}, "-o", "json")

    assert json.loads(out) == {
        "results": [x.rendered(t, COLUMNS) for t in tasks[1:3]],
        "total_count": len(tasks),
    }


def test_list_as_yaml_minimal(spacectl: Spacectl) -> None:
    tasks = x.newest_first(x.by_provider("google_cloud"))
    query = {"filter": [{"k": "provider", "v": "google_cloud", "o": "eq"}]}

    out = _job_tasks(spacectl, "list", {"query": query}, "--minimal", "-o", "yaml")

    assert yaml.safe_load(out) == {
        "results": [x.rendered(t, x.MINIMAL) for t in tasks],
        "total_count": len(tasks),
    }


def test_list_as_csv_with_filter_or(spacectl: Spacectl) -> None:
    tasks = x.newest_first(
        t for t in x.MINE if t["provider"] == "azure" or t["status"] == "PENDING"
    )
    either = [
        {"k": "provider", "v": "azure", "o": "eq"},
        {"k": "status", "v": "PENDING", "o": "eq"},
    ]
    query = {"filter_or": either, "only": ["job_task_id", "status"]}

    out = _job_tasks(spacectl, "list", {"query": query}, "-o", "csv")

    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows == [_cells(t, ["job_task_id", "status"]) for t in tasks]


def test_count_only(spacectl: Spacectl) -> None:
    out = _job_tasks(spacectl, "list", {"query": {"count_only": True}}, "-o", "json")

    assert json.loads(out) == {"total_count": len(x.MINE)}


def test_get_with_only(spacectl: Spacectl) -> None:
    task = next(t for t in x.MINE if t["job_task_id"] == TASK)
    only = ["status", "failure_count", "errors.error_code"]
    out = _job_tasks(spacectl, "get", {"job_task_id": TASK, "only": only}, "-o", "json")

    assert json.loads(out) == x.rendered(task, only)


def _stat(spacectl: Spacectl, query: dict[str, Any], output: str) -> str:
    return _job_tasks(spacectl, "stat", {"query": query}, "-o", output)


def test_stat_group_as_a_table(spacectl: Spacectl) -> None:
    group = {
        "keys": [{"key": "provider", "name": "provider"}],
        "fields": [{"operator": "sum", "key": "updated_count", "name": "updated"}],
    }
    sums: dict[str, int] = {}
    for task in x.MINE:
        if task["provider"] is not None:
            sums[task["provider"]] = sums.get(task["provider"], 0) + task["updated_count"]
    query = {
        "filter": [{"k": "provider", "v": None, "o": "not"}],
        "aggregate": [{"group": group}, {"sort": {"key": "provider"}}],
    }

    rows, count = _table(_stat(spacectl, query, "table"))

    assert rows == [{"provider": p, "updated": str(n)} for p, n in sorted(sums.items())]
    assert count == ""


def test_stat_distinct_and_date_format_as_json_and_csv(spacectl: Spacectl) -> None:
    days = sorted(x.count_by(lambda t: t["created_at"].strftime("%Y-%m")).items())
    by_month = {
        "aggregate": [
            {
                "group": {
                    "keys": [{"key": "created_at", "name": "month", "date_format": "%Y-%m"}],
                    "fields": [{"operator": "count", "name": "tasks"}],
                }
            },
            {"sort": {"key": "month"}},
        ]
    }

    months = json.loads(_stat(spacectl, by_month, "json"))
    distinct = list(csv.reader(io.StringIO(_stat(spacectl, {"distinct": "job_id"}, "csv"))))

    assert months == {"results": [{"month": m, "tasks": n} for m, n in days]}
    assert distinct == [["Values"]] + [[j] for j in sorted({t["job_id"] for t in x.MINE})]


def _deleted(line: str) -> str:
    return deletable_id(6 + LINES.index(line))  # 0..3: test_pygrpc_and_connector


@pytest.fixture(scope="module")
def reference(line: str) -> dict[str, str]:
    """SpaceONE's own messages for the errors below, from the line's spaceone-core."""
    key = ["job_task_id", "domain_id"]
    errors = {
        "deleted": ["ERROR_NOT_FOUND", {"key": key, "value": [_deleted(line), DELETE_DOMAIN]}],
        "missing": ["ERROR_NOT_FOUND", {"key": key, "value": [MISSING, DOMAIN]}],
        "no domain": ["ERROR_REQUIRED_PARAMETER", {"key": "domain_id"}],
    }
    result = run_driver(line, {"client": None, "reference_errors": list(errors.values())})
    return dict(zip(errors, result["reference_errors"], strict=True))


def test_delete_then_not_found(spacectl: Spacectl, line: str, reference: dict[str, str]) -> None:
    params = ["-p", f"domain_id={DELETE_DOMAIN}", "-p", f"job_task_id={_deleted(line)}"]

    gone = spacectl("exec", "delete", "inventory.JobTask", *params, "-o", "json")
    again = spacectl("get", "inventory.JobTask", *params)

    assert gone.strip() == ""  # an Empty answer: spacectl prints nothing for {}
    assert again.strip() == f"ERROR: {reference['deleted']}"


def test_a_missing_task_and_a_missing_domain_are_spaceones_errors(
    spacectl: Spacectl, reference: dict[str, str]
) -> None:
    missing = _job_tasks(spacectl, "get", {"job_task_id": MISSING})
    no_domain = spacectl("list", "inventory.JobTask", "-o", "json")

    assert missing.strip() == f"ERROR: {reference['missing']}"
    assert no_domain.strip() == f"ERROR: {reference['no domain']}"


def test_api_resources_are_the_job_task_service_alone(spacectl: Spacectl) -> None:
    rows, _ = _table(spacectl("api-resources"))

    assert rows == [
        {
            "Service": "inventory",
            "Resource": "JobTask",
            "Short Names": "",
            "Verb": "delete, get, list, stat",
        }
    ]
