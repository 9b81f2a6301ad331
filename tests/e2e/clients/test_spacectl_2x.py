"""spacectl 2.0.10, unchanged, against a 2.x process: what only the 2.x line has (test_spacectl.py
runs what every line does, 2.0 included).

Without authentication a 2.x process takes the caller's scope from the `x_domain_id` /
`x_workspace_id` metadata, which spacectl 2.x sends from the keys of those names in its
environment file: each scope here (conftest's SCOPES_2X) is one such file. Sort is a list of keys
(`-s [-]key` sends a one-key list), get has no `only`, and requests have no `domain_id`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

import pytest
import yaml

from tests.e2e.clients import expected as x
from tests.e2e.clients.conftest import (
    DELETE_DOMAIN,
    LINE_2X,
    Spacectl,
    deletable_id,
    kept_task,
    run_driver,
)
from tests.support.dataset import DOMAIN

COLUMNS: Final = ["job_task_id", "status", "created_count"]
DELETED: Final = deletable_id(len(("pygrpc", "connector")))  # 0, 1: test_pygrpc_and_connector_2x
THEIRS: Final = next(t for t in x.MINE_2X if t["workspace_id"] == x.OTHER_WORKSPACE)
KEPT: Final = kept_task()


@pytest.fixture(scope="module")
def scoped(spacectls: Callable[..., Spacectl]) -> Callable[[str], Spacectl]:
    """scope (conftest's SCOPES_2X) -> spacectl 2.0.10 configured with it."""
    return lambda scope: spacectls(LINE_2X, scope)


def _job_tasks(spacectl: Spacectl, verb: str, params: dict[str, Any], *options: str) -> str:
    """`spacectl <verb> inventory.JobTask` with `params` as its -j JSON."""
    return spacectl(verb, "inventory.JobTask", "-j", json.dumps(params), *options)


def test_list_as_json_with_a_sort_list_page_and_only(scoped: Callable[[str], Spacectl]) -> None:
    tasks = sorted(
        x.by_provider("aws", x.MINE_2X), key=lambda t: (t["created_at"], t["job_task_id"])
    )
    query = {
        "filter": [x.AWS],
        "only": COLUMNS,
        "sort": [{"key": "created_at"}, {"key": "job_task_id"}],
        "page": {"start": 2, "limit": 2},
    }

    out = _job_tasks(scoped("domain"), "list", {"query": query}, "-o", "json")

    assert json.loads(out) == {
        "results": [x.rendered(t, COLUMNS) for t in tasks[1:3]],
        "total_count": len(tasks),
    }


def test_count_only_with_a_keyword_and_a_request_field(scoped: Callable[[str], Spacectl]) -> None:
    words = ("aaaa", "ABCD")
    matching = [
        t
        for t in x.MINE_2X
        if t["status"] == "SUCCESS" and any(w in t["job_task_id"] for w in words)
    ]
    params = {"status": "SUCCESS", "query": {"count_only": True, "keyword": " ".join(words)}}

    out = _job_tasks(scoped("domain"), "list", params, "-o", "json")

    assert json.loads(out) == {"total_count": len(matching)}


def test_get_as_yaml(scoped: Callable[[str], Spacectl]) -> None:
    task = next(t for t in x.MINE_2X if t["job_task_id"] == x.TASK)

    out = scoped("domain")("get", "inventory.JobTask", "-p", f"job_task_id={x.TASK}", "-o", "yaml")

    assert yaml.safe_load(out) == x.rendered(task, x.FIELDS_2X)


@pytest.fixture(scope="module")
def no_domain() -> str:
    """SpaceONE 2.x's own message for a call naming no domain, from spaceone-core 2.0.144."""
    errors = [["ERROR_REQUIRED_PARAMETER", {"key": "domain_id"}]]
    [message] = run_driver(LINE_2X, {"client": None, "reference_errors": errors})[
        "reference_errors"
    ]
    return str(message)


def test_a_workspace_scope_reads_its_workspace_alone(scoped: Callable[[str], Spacectl]) -> None:
    ours = x.newest_first(t for t in x.MINE_2X if t["workspace_id"] == x.WORKSPACE)
    columns = ["job_task_id", "workspace_id"]
    spacectl = scoped("workspace")

    listed = _job_tasks(spacectl, "list", {"query": {"only": columns}}, "-o", "json")
    other = spacectl("get", "inventory.JobTask", "-p", f"job_task_id={THEIRS['job_task_id']}")

    assert json.loads(listed) == {
        "results": [x.rendered(t, columns) for t in ours],
        "total_count": len(ours),
    }
    assert other.strip() == f"ERROR: {x.not_found_2x(THEIRS['job_task_id'], DOMAIN, x.WORKSPACE)}"


def test_delete_then_not_found_and_another_workspaces_task_is_refused(
    scoped: Callable[[str], Spacectl],
) -> None:
    spacectl = scoped("deleting")
    task = ("inventory.JobTask", "-p", f"job_task_id={DELETED}")

    gone = spacectl("exec", "delete", *task)
    again = spacectl("get", *task)
    refused = spacectl(
        "exec", "delete", "inventory.JobTask", "-p", f"job_task_id={KEPT['job_task_id']}"
    )

    assert gone.strip() == ""  # an Empty answer: spacectl prints nothing for {}
    assert again.strip() == f"ERROR: {x.not_found_2x(DELETED, DELETE_DOMAIN, x.WORKSPACE)}"
    assert (
        refused.strip()
        == f"ERROR: {x.not_found_2x(KEPT['job_task_id'], DELETE_DOMAIN, x.WORKSPACE)}"
    )


def test_a_missing_task_and_a_missing_domain_are_spaceones_errors(
    scoped: Callable[[str], Spacectl], no_domain: str
) -> None:
    missing = scoped("domain")("get", "inventory.JobTask", "-p", f"job_task_id={x.MISSING}")
    nobody = scoped("nobody")("list", "inventory.JobTask", "-o", "json")

    assert missing.strip() == f"ERROR: {x.not_found_2x(x.MISSING, DOMAIN)}"
    assert nobody.strip() == f"ERROR: {no_domain}"
