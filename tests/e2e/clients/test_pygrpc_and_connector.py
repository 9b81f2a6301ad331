"""spaceone-core's `pygrpc.client` and `SpaceConnector` (1.10, 1.12), unchanged, against the server.

Both build their stubs from reflection before the first call: each listed service from their own
spaceone-api modules, each type from the module of the file that declares it. So a listed service
they cannot load, or a type declared in another file than SpaceONE's, fails every test here.
"""

from __future__ import annotations

from typing import Any, Final

import pytest

from tests.e2e.clients import expected as x
from tests.e2e.clients.conftest import DELETE_DOMAIN, LINES, deletable_id, run_driver
from tests.support.dataset import DOMAIN

CLIENTS: Final = ("pygrpc", "connector")


def _only(tasks: list[dict[str, Any]], fields: list[str]) -> list[dict[str, Any]]:
    return [x.rendered(t, fields) for t in tasks]


def _calls(deleted: str) -> list[tuple[str, dict[str, Any], Any]]:
    """(method, params, expected answer): {"ok": ...} or {"error": error_code}."""
    aws = x.newest_first(x.by_provider("aws"))
    by_updated = sorted(x.MINE, key=lambda t: (t["updated_count"], t["job_task_id"]))
    either = x.azure_or_pending()
    failed = x.newest_first(t for t in x.MINE if t["status"] == "FAILURE")
    one = next(t for t in x.MINE if t["job_task_id"] == x.TASK)
    statuses = sorted(x.count_by(lambda t: t["status"]).items(), key=lambda kv: (-kv[1], kv[0]))
    days = sorted(x.count_by(lambda t: t["created_at"].strftime("%Y-%m-%d")).items())
    providers = {t["provider"] for t in x.MINE}
    ids = ["job_task_id"]
    return [
        (  # page 2 of 2-task pages, newest first
            "list",
            {
                "domain_id": DOMAIN,
                "query": {
                    "filter": [x.AWS],
                    "sort": {"key": "created_at", "desc": True},
                    "page": {"start": 3, "limit": 2},
                },
            },
            {"ok": {"results": [x.rendered(t) for t in aws[2:4]], "total_count": len(aws)}},
        ),
        (
            "list",
            {"domain_id": DOMAIN, "query": {"sort": {"key": "updated_count"}, "only": ids}},
            {"ok": {"results": _only(by_updated, ids), "total_count": len(x.MINE)}},
        ),
        (
            "list",
            {
                "domain_id": DOMAIN,
                "query": {
                    "filter_or": x.AZURE_OR_PENDING,
                    "only": ids,
                },
            },
            {"ok": {"results": _only(either, ids), "total_count": len(either)}},
        ),
        (
            "list",
            {
                "domain_id": DOMAIN,
                "query": {
                    "filter": [{"k": "status", "v": "FAILURE", "o": "eq"}],
                    "only": ["job_task_id", "provider", "errors.error_code"],
                },
            },
            {
                "ok": {
                    "results": _only(failed, ["job_task_id", "provider", "errors.error_code"]),
                    "total_count": len(failed),
                }
            },
        ),
        (
            "list",
            {
                "domain_id": DOMAIN,
                "query": {
                    "minimal": True,
                    "filter": [{"k": "job_task_id", "v": x.TASK, "o": "eq"}],
                },
            },
            {"ok": {"results": [x.rendered(one, x.MINIMAL)], "total_count": 1}},
        ),
        (
            "list",
            {"domain_id": DOMAIN, "query": {"count_only": True, "filter": [x.AWS]}},
            {"ok": {"total_count": len(aws)}},
        ),
        ("get", {"domain_id": DOMAIN, "job_task_id": x.TASK}, {"ok": x.rendered(one)}),
        (
            "get",
            {"domain_id": DOMAIN, "job_task_id": x.TASK, "only": ["status", "errors.error_code"]},
            {"ok": x.rendered(one, ["status", "errors.error_code"])},
        ),
        (
            "stat",
            {
                "domain_id": DOMAIN,
                "query": {
                    "aggregate": [
                        x.counting("status", "status"),
                        {"sort": {"keys": [{"key": "tasks", "desc": True}, {"key": "status"}]}},
                    ]
                },
            },
            {"ok": {"results": [{"status": s, "tasks": n} for s, n in statuses]}},
        ),
        (
            "stat",
            {"domain_id": DOMAIN, "query": {"distinct": "provider"}},
            {"ok": {"results": [None, *sorted(p for p in providers if p is not None)]}},
        ),
        (
            "stat",
            {
                "domain_id": DOMAIN,
                "query": {
                    "aggregate": [
                        x.counting("created_at", "day", "%Y-%m-%d"),
                        {"sort": {"key": "day"}},
                    ]
                },
            },
            {"ok": {"results": [{"day": d, "tasks": n} for d, n in days]}},
        ),
        ("delete", {"domain_id": DELETE_DOMAIN, "job_task_id": deleted}, {"ok": {}}),
        ("get", {"domain_id": DELETE_DOMAIN, "job_task_id": deleted}, {"error": "ERROR_NOT_FOUND"}),
        ("get", {"domain_id": DOMAIN, "job_task_id": x.MISSING}, {"error": "ERROR_NOT_FOUND"}),
        # INVALID_ARGUMENT, with the code SpaceONE's reference answers (spec §7 rows 1 and 4)
        ("list", {"query": {}}, {"error": "ERROR_REQUIRED_PARAMETER"}),
        (
            "list",
            {"domain_id": DOMAIN, "query": {"filter": [{"k": "status", "v": "A", "o": "in"}]}},
            {"error": "ERROR_OPERATOR_LIST_VALUE_TYPE"},
        ),
    ]


@pytest.fixture(scope="module", params=[(line, c) for line in LINES for c in CLIENTS], ids=str)
def answered(request: pytest.FixtureRequest, server_port: int) -> dict[str, Any]:
    """One run of the driver per client and line: every call of `_calls`, in order."""
    line, client = request.param
    deleted = deletable_id(LINES.index(line) * len(CLIENTS) + CLIENTS.index(client))
    calls = _calls(deleted)
    result = run_driver(
        line,
        {
            "client": client,
            "endpoint": f"127.0.0.1:{server_port}",
            "calls": [[method, params] for method, params, _ in calls],
            "reference_errors": [
                [
                    "ERROR_NOT_FOUND",
                    {"key": ["job_task_id", "domain_id"], "value": [x.MISSING, DOMAIN]},
                ],
                ["ERROR_REQUIRED_PARAMETER", {"key": "domain_id"}],
            ],
        },
    )
    return {"calls": calls, **result}


def test_the_client_builds_its_stubs_for_the_one_listed_service(answered: dict[str, Any]) -> None:
    # Reflection lists JobTask alone; each listed service becomes a resource with its rpcs.
    assert answered["api_resources"] == {"JobTask": ["delete", "get", "list", "stat"]}


def test_every_call_answers_as_spaceones_reference_would(answered: dict[str, Any]) -> None:
    got = [
        {"ok": a["ok"]} if "ok" in a else {"error": a["error"]["error_code"]}
        for a in answered["answers"]
    ]

    assert got == [want for _, _, want in answered["calls"]]


def test_errors_carry_spaceones_messages(answered: dict[str, Any]) -> None:
    not_found, required = answered["reference_errors"]
    messages = [a["error"]["message"] for a in answered["answers"] if "error" in a]

    assert not_found in messages
    assert required in messages
