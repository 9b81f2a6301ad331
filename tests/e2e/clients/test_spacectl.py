"""spacectl 1.10.4.2, 1.12.2 and 2.0.10, unchanged, against the server of their line: set up as
its README says, every output format (table, json, yaml, csv), and errors as SpaceONE's messages.

spacectl needs no identity service for a static endpoint (conftest's `spacectls`: a 1.x request
names its domain, a 2.x call's scope is the environment file's x_domain_id). It prints a failure
as one `ERROR: <message>` line (dropping the code) and exits 0, so the messages are compared with
the ones SpaceONE's own spaceone-core renders for the same error. What every line does is tested
here on the three; what only 1.x has here, what only 2.x has in test_spacectl_2x.py.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import pytest
import yaml

from tests.e2e.clients import expected as x
from tests.e2e.clients.conftest import (
    DELETE_DOMAIN,
    LINE_2X,
    LINES,
    Spacectl,
    deletable_id,
    presto_table,
    run_driver,
)
from tests.support.dataset import DOMAIN

COLUMNS: Final = ["job_task_id", "status", "created_count"]


@dataclass(frozen=True)
class Line:
    """A client line as the tests below see it: its spacectl in the dataset's domain, the tasks
    stored there for its server, and how its requests say what they mean."""

    name: str
    spacectl: Spacectl
    mine: list[dict[str, Any]]

    def job_tasks(self, verb: str, params: dict[str, Any], *options: str) -> str:
        """`spacectl <verb> inventory.JobTask` in the dataset's domain, `params` as its -j JSON."""
        scoped = params if self.name == LINE_2X else {"domain_id": DOMAIN, **params}
        return self.spacectl(verb, "inventory.JobTask", "-j", json.dumps(scoped), *options)

    def stat(self, query: dict[str, Any], output: str) -> str:
        return self.job_tasks("stat", {"query": query}, "-o", output)

    def sort_stage(self, key: str) -> dict[str, Any]:
        """A stat stage sorting by `key`: 1.x a {key} message, 2.x a list of {key}."""
        return {"sort": [{"key": key}] if self.name == LINE_2X else {"key": key}}


@pytest.fixture(scope="module", params=[*LINES, LINE_2X])
def line(request: pytest.FixtureRequest, spacectls: Callable[..., Spacectl]) -> Line:
    name = str(request.param)
    return Line(name, spacectls(name), x.MINE_2X if name == LINE_2X else x.MINE)


@pytest.fixture(scope="module", params=LINES)
def line_1x(request: pytest.FixtureRequest, spacectls: Callable[..., Spacectl]) -> Line:
    return Line(str(request.param), spacectls(request.param), x.MINE)


def test_list_as_a_table_with_spacectls_sort_and_limit(line: Line) -> None:
    tasks = x.sorted_newest_first(x.by_provider("aws", line.mine), line.name)

    out = line.job_tasks(
        "list", {"query": {"filter": [x.AWS], "only": COLUMNS}},
        "-s", "-created_at", "-l", "3", "-o", "table",
    )  # fmt: skip

    rows, count = presto_table(out)
    assert rows == [x.cells(t, COLUMNS) for t in tasks[:3]]
    assert count == f"Count: 3 / {len(tasks)}"


def test_list_as_yaml_minimal(line: Line) -> None:
    tasks = x.newest_first(x.by_provider("google_cloud", line.mine))
    query = {"filter": [{"k": "provider", "v": "google_cloud", "o": "eq"}]}

    out = line.job_tasks("list", {"query": query}, "--minimal", "-o", "yaml")

    assert yaml.safe_load(out) == {
        "results": [x.rendered(t, x.MINIMAL) for t in tasks],
        "total_count": len(tasks),
    }


def test_list_as_csv_with_filter_or(line: Line) -> None:
    tasks = x.azure_or_pending(line.mine)
    query = {"filter_or": x.AZURE_OR_PENDING, "only": ["job_task_id", "status"]}

    out = line.job_tasks("list", {"query": query}, "-o", "csv")

    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows == [x.cells(t, ["job_task_id", "status"]) for t in tasks]


def test_count_only(line: Line) -> None:
    out = line.job_tasks("list", {"query": {"count_only": True}}, "-o", "json")

    assert json.loads(out) == {"total_count": len(line.mine)}


def test_stat_group_as_a_table(line: Line) -> None:
    group = {
        "keys": [{"key": "provider", "name": "provider"}],
        "fields": [{"operator": "sum", "key": "updated_count", "name": "updated"}],
    }
    sums = x.updated_by_provider(line.mine)
    query = {
        "filter": [{"k": "provider", "v": None, "o": "not"}],
        "aggregate": [{"group": group}, line.sort_stage("provider")],
    }

    rows, count = presto_table(line.stat(query, "table"))

    assert rows == [{"provider": p, "updated": str(n)} for p, n in sorted(sums.items())]
    assert count == ""


def test_stat_distinct_and_date_format_as_json_and_csv(line: Line) -> None:
    months = sorted(x.count_by(lambda t: t["created_at"].strftime("%Y-%m"), line.mine).items())
    by_month = {"aggregate": [x.counting("created_at", "month", "%Y-%m"), line.sort_stage("month")]}

    got = json.loads(line.stat(by_month, "json"))
    distinct = list(csv.reader(io.StringIO(line.stat({"distinct": "job_id"}, "csv"))))

    assert got == {"results": [{"month": m, "tasks": n} for m, n in months]}
    assert distinct == [["Values"]] + [[j] for j in sorted({t["job_id"] for t in line.mine})]


def test_api_resources_are_the_job_task_service_alone(line: Line) -> None:
    rows, _ = presto_table(line.spacectl("api-resources"))

    assert rows == [
        {
            "Service": "inventory",
            "Resource": "JobTask",
            "Short Names": "",
            "Verb": "delete, get, list, stat",
        }
    ]


# 1.x alone: a sort message, get's only, and the domain named in the request


def test_list_as_json_with_page_and_only(line_1x: Line) -> None:
    tasks = sorted(x.by_provider("aws"), key=lambda t: (t["created_at"], t["job_task_id"]))
    query = {"filter": [x.AWS], "only": COLUMNS, "sort": {"key": "created_at"}}
    query["page"] = {"start": 2, "limit": 2}

    out = line_1x.job_tasks("list", {"query": query}, "-o", "json")

    assert json.loads(out) == {
        "results": [x.rendered(t, COLUMNS) for t in tasks[1:3]],
        "total_count": len(tasks),
    }


def test_get_with_only(line_1x: Line) -> None:
    task = next(t for t in x.MINE if t["job_task_id"] == x.TASK)
    only = ["status", "failure_count", "errors.error_code"]
    out = line_1x.job_tasks("get", {"job_task_id": x.TASK, "only": only}, "-o", "json")

    assert json.loads(out) == x.rendered(task, only)


def _deleted(line: str) -> str:
    return deletable_id(6 + LINES.index(line))  # 0..3: test_pygrpc_and_connector


@pytest.fixture(scope="module")
def reference(line_1x: Line) -> dict[str, str]:
    """SpaceONE's own messages for the errors below, from the line's spaceone-core."""
    key = ["job_task_id", "domain_id"]
    errors = {
        "deleted": [
            "ERROR_NOT_FOUND",
            {"key": key, "value": [_deleted(line_1x.name), DELETE_DOMAIN]},
        ],
        "missing": ["ERROR_NOT_FOUND", {"key": key, "value": [x.MISSING, DOMAIN]}],
        "no domain": ["ERROR_REQUIRED_PARAMETER", {"key": "domain_id"}],
    }
    result = run_driver(line_1x.name, {"client": None, "reference_errors": list(errors.values())})
    return dict(zip(errors, result["reference_errors"], strict=True))


def test_delete_then_not_found(line_1x: Line, reference: dict[str, str]) -> None:
    params = ["-p", f"domain_id={DELETE_DOMAIN}", "-p", f"job_task_id={_deleted(line_1x.name)}"]

    gone = line_1x.spacectl("exec", "delete", "inventory.JobTask", *params, "-o", "json")
    again = line_1x.spacectl("get", "inventory.JobTask", *params)

    assert gone.strip() == ""  # an Empty answer: spacectl prints nothing for {}
    assert again.strip() == f"ERROR: {reference['deleted']}"


def test_a_missing_task_and_a_missing_domain_are_spaceones_errors(
    line_1x: Line, reference: dict[str, str]
) -> None:
    missing = line_1x.job_tasks("get", {"job_task_id": x.MISSING})
    no_domain = line_1x.spacectl("list", "inventory.JobTask", "-o", "json")

    assert missing.strip() == f"ERROR: {reference['missing']}"
    assert no_domain.strip() == f"ERROR: {reference['no domain']}"
