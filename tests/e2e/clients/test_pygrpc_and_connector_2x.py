"""spaceone-core 2.0.144's `pygrpc.client` and `SpaceConnector`, unchanged, against a 2.x process.

SPACEONE_API=2 without authentication: the caller's scope is its `x_domain_id` / `x_workspace_id`
metadata (pygrpc: the call's metadata; SpaceConnector: `dispatch`'s keyword arguments of those
names), never a request field. Both clients build their stubs from reflection (v1alpha) before the
first call and fill requests with ParseDict against the served descriptors, so this tier fails if
the 2.x process serves anything else than SpaceONE 2.x's wire.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Final

import pytest

from tests.e2e.clients import expected as x
from tests.e2e.clients.conftest import (
    DELETE_DOMAIN,
    LINE_2X,
    deletable_id,
    kept_task,
    run_driver,
)
from tests.support.dataset import DOMAIN

CLIENTS: Final = ("pygrpc", "connector")
IDS: Final = ["job_task_id"]
# Scopes, as SpaceONE's system callers send them
IN_DOMAIN: Final = {"x_domain_id": DOMAIN}
IN_WORKSPACE: Final = {"x_domain_id": DOMAIN, "x_workspace_id": x.WORKSPACE}
DELETING: Final = {"x_domain_id": DELETE_DOMAIN, "x_workspace_id": x.WORKSPACE}
NOT_FOUND: Final = {"error": ["ERROR_NOT_FOUND", "NOT_FOUND"]}

Call = tuple[str, dict[str, Any], dict[str, str], Any]


def _shown(tasks: list[dict[str, Any]], fields: Any = x.FIELDS_2X) -> list[dict[str, Any]]:
    return [x.rendered(t, fields) for t in tasks]


def _listed(tasks: list[dict[str, Any]], fields: Any = x.FIELDS_2X) -> dict[str, Any]:
    """A list's answer: `{}` when nothing matched (protobuf's JSON drops empty and zero fields)."""
    shown = _shown(tasks, fields)
    return {"ok": {"results": shown, "total_count": len(shown)} if shown else {}}


def _group_by_status(tasks: list[dict[str, Any]]) -> dict[str, Any]:
    counts = x.count_by(lambda t: t["status"], tasks)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {"ok": {"results": [{"status": s, "tasks": n} for s, n in ranked]}}


STATUS_COUNTS: Final = {
    "aggregate": [
        x.counting("status", "status"),
        {"sort": [{"key": "tasks", "desc": True}, {"key": "status"}]},  # 2.x: a list of keys
    ]
}


def _lists() -> list[Call]:
    """list in the domain: the query's parts, and the request's fields as equality filters."""
    mine = x.MINE_2X
    aws = x.newest_first(x.by_provider("aws", mine))
    by_provider = sorted(
        mine, key=lambda t: (t["provider"] is not None, t["provider"] or "", -t["updated_count"])
    )
    failed = x.newest_first(t for t in mine if t["status"] == "FAILURE")
    one = [t for t in mine if t["job_task_id"] == x.TASK]
    errors = ["job_task_id", "provider", "errors.error_code"]
    newest = [{"key": "created_at", "desc": True}, {"key": "job_task_id", "desc": True}]
    return [
        (  # page 2 of 2-task pages, by a sort list that orders every task
            "list",
            {"query": {"filter": [x.AWS], "sort": newest, "page": {"start": 3, "limit": 2}}},
            IN_DOMAIN,
            {"ok": {"results": _shown(aws[2:4]), "total_count": len(aws)}},
        ),
        (  # nulls first, then each provider's most updated first
            "list",
            {
                "query": {
                    "sort": [{"key": "provider"}, {"key": "updated_count", "desc": True}],
                    "only": ["job_task_id", "provider", "updated_count"],
                }
            },
            IN_DOMAIN,
            _listed(by_provider, ["job_task_id", "provider", "updated_count"]),
        ),
        (
            "list",
            {
                "query": {
                    "filter_or": x.AZURE_OR_PENDING,
                    "only": IDS,
                }
            },
            IN_DOMAIN,
            _listed(x.azure_or_pending(mine), IDS),
        ),
        (
            "list",
            {"query": {"filter": [{"k": "status", "v": "FAILURE", "o": "eq"}], "only": errors}},
            IN_DOMAIN,
            _listed(failed, errors),
        ),
        (
            "list",
            {"query": {"minimal": True, "filter": [{"k": "job_task_id", "v": x.TASK, "o": "eq"}]}},
            IN_DOMAIN,
            _listed(one, x.MINIMAL),
        ),
        (
            "list",
            {"query": {"count_only": True, "filter": [x.AWS]}},
            IN_DOMAIN,
            {"ok": {"total_count": len(aws)}},
        ),
        (  # job_task_id contains any of the words
            "list",
            {"query": {"keyword": "3f9c0a ABCD", "only": IDS}},
            IN_DOMAIN,
            _listed(
                x.newest_first(
                    t for t in mine if "3f9c0a" in t["job_task_id"] or "ABCD" in t["job_task_id"]
                ),
                IDS,
            ),
        ),
        (  # a keyword narrows filter_or (the reference widens it)
            "list",
            {
                "query": {
                    "keyword": "3f9c",
                    "filter_or": [
                        {"k": "provider", "v": "azure", "o": "eq"},
                        {"k": "status", "v": "FAILURE", "o": "eq"},
                    ],
                    "only": IDS,
                }
            },
            IN_DOMAIN,
            _listed(one, IDS),
        ),
        (  # the request's fields (an enum among them) are equality filters
            "list",
            {"provider": "google_cloud", "status": "FAILURE", "query": {"only": IDS}},
            IN_DOMAIN,
            _listed(
                [t for t in mine if t["provider"] == "google_cloud" and t["status"] == "FAILURE"],
                IDS,
            ),
        ),
        (  # in the whole domain, workspace_id is an ordinary filter
            "list",
            {"workspace_id": x.OTHER_WORKSPACE, "query": {"only": ["job_task_id", "workspace_id"]}},
            IN_DOMAIN,
            _listed(
                x.newest_first(t for t in mine if t["workspace_id"] == x.OTHER_WORKSPACE),
                ["job_task_id", "workspace_id"],
            ),
        ),
    ]


def _reads() -> list[Call]:
    """get and stat in the domain."""
    mine = x.MINE_2X
    one = next(t for t in mine if t["job_task_id"] == x.TASK)
    days = sorted(x.count_by(lambda t: t["created_at"].strftime("%Y-%m-%d"), mine).items())
    return [
        ("get", {"job_task_id": x.TASK}, IN_DOMAIN, {"ok": x.rendered(one, x.FIELDS_2X)}),
        ("stat", {"query": STATUS_COUNTS}, IN_DOMAIN, _group_by_status(mine)),
        (
            "stat",
            {"query": {"distinct": "status"}},
            IN_DOMAIN,
            {"ok": {"results": sorted({t["status"] for t in mine})}},
        ),
        (
            "stat",
            {
                "query": {
                    "aggregate": [
                        x.counting("created_at", "day", "%Y-%m-%d"),
                        {"sort": [{"key": "day"}]},
                    ]
                }
            },
            IN_DOMAIN,
            {"ok": {"results": [{"day": d, "tasks": n} for d, n in days]}},
        ),
    ]


def _in_a_workspace(deleted: str) -> list[Call]:
    """x_workspace_id narrows every rpc to the workspace; delete, and what it cannot reach."""
    ours = [t for t in x.MINE_2X if t["workspace_id"] == x.WORKSPACE]
    theirs = next(t for t in x.MINE_2X if t["workspace_id"] == x.OTHER_WORKSPACE)
    kept = kept_task()
    return [
        ("list", {"query": {"only": IDS}}, IN_WORKSPACE, _listed(x.newest_first(ours), IDS)),
        ("list", {"workspace_id": x.OTHER_WORKSPACE, "query": {}}, IN_WORKSPACE, {"ok": {}}),
        ("get", {"job_task_id": theirs["job_task_id"]}, IN_WORKSPACE, NOT_FOUND),
        ("stat", {"query": STATUS_COUNTS}, IN_WORKSPACE, _group_by_status(ours)),
        ("delete", {"job_task_id": deleted}, DELETING, {"ok": {}}),
        ("get", {"job_task_id": deleted}, DELETING, NOT_FOUND),
        ("delete", {"job_task_id": kept["job_task_id"]}, DELETING, NOT_FOUND),
        (
            "get",
            {"job_task_id": kept["job_task_id"]},
            {"x_domain_id": DELETE_DOMAIN},
            {"ok": x.rendered(kept, x.FIELDS_2X)},
        ),
    ]


BROKEN: Final = {"if": {"__gt": ["$failure_count", 0]}, "then": "broken", "else": "$provider"}


def _pipelines() -> list[Call]:
    """core.v2's unwind and add_fields in list, and stat's Unwind stage."""
    mine = x.MINE_2X
    unwound = sorted(
        ((e["error_code"], t["job_task_id"]) for t in mine for e in t["errors"]),
    )
    codes = Counter(e["error_code"] for t in mine for e in t["errors"])
    broken = [
        {**t, "provider": "broken" if t["failure_count"] > 0 else t["provider"]}
        for t in x.newest_first(mine)
    ]
    return [
        (  # one row per error, a list of one, ordered by the error's code
            "list",
            {
                "query": {
                    "unwind": {"path": "errors"},
                    "only": ["job_task_id", "errors.error_code"],
                    "sort": [{"key": "errors.error_code"}],
                }
            },
            IN_DOMAIN,
            {
                "ok": {
                    "results": [
                        {"job_task_id": i, "errors": [{"error_code": c}]} for c, i in unwound
                    ],
                    "total_count": len(unwound),
                }
            },
        ),
        (
            "list",
            {"query": {"add_fields": {"provider": BROKEN}, "only": ["job_task_id", "provider"]}},
            IN_DOMAIN,
            _listed(broken, ["job_task_id", "provider"]),
        ),
        (
            "stat",
            {
                "query": {
                    "aggregate": [
                        {"unwind": {"path": "errors"}},
                        x.counting("errors.error_code", "code"),
                        {"sort": [{"key": "code"}]},
                    ]
                }
            },
            IN_DOMAIN,
            {"ok": {"results": [{"code": c, "tasks": n} for c, n in sorted(codes.items())]}},
        ),
    ]


def _mistakes() -> list[Call]:
    """Answers the client reports as SpaceONE's ERROR_* codes, and a 1.x request it refuses."""
    return [
        ("get", {"job_task_id": x.MISSING}, IN_DOMAIN, NOT_FOUND),
        ("list", {"query": {}}, {}, {"error": ["ERROR_REQUIRED_PARAMETER", "INVALID_ARGUMENT"]}),
        (
            "list",
            {"query": {"filter": [{"k": "status", "v": "A", "o": "in"}]}},
            IN_DOMAIN,
            {"error": ["ERROR_OPERATOR_LIST_VALUE_TYPE", "INVALID_ARGUMENT"]},
        ),
        (  # lookup joins another collection, outside the caller's scope
            "list",
            {"query": {"lookup": [{"from": "job"}]}},
            IN_DOMAIN,
            {"error": ["ERROR_INVALID_PARAMETER", "INVALID_ARGUMENT"]},
        ),
        (  # the reference answers INTERNAL
            "list",
            {"query": {"unwind": {"path": "errors"}}},
            IN_DOMAIN,
            {"error": ["ERROR_INVALID_PARAMETER", "INVALID_ARGUMENT"]},
        ),
        (  # the reference accepts it silently
            "list",
            {"query": {"sort": [{"key": "no_such_field"}]}},
            IN_DOMAIN,
            {"error": ["ERROR_INVALID_PARAMETER", "INVALID_ARGUMENT"]},
        ),
        (
            "stat",
            {"query": {}},
            IN_DOMAIN,
            {"error": ["ERROR_REQUIRED_PARAMETER", "INVALID_ARGUMENT"]},
        ),
        (  # 2.x requests have no domain_id: ParseDict fails in the client, nothing is sent
            "list",
            {"domain_id": DOMAIN, "query": {}},
            IN_DOMAIN,
            {"error": ["ParseError", None]},
        ),
    ]


def _calls(deleted: str) -> list[Call]:
    """(method, params, metadata, expected answer): {"ok": ...} or {"error": [code, status]}."""
    return _lists() + _reads() + _pipelines() + _in_a_workspace(deleted) + _mistakes()


@pytest.fixture(scope="module", params=CLIENTS)
def answered(request: pytest.FixtureRequest, server_2x_port: int) -> dict[str, Any]:
    """One run of the driver per client: every call of `_calls`, in order."""
    calls = _calls(deletable_id(CLIENTS.index(request.param)))
    result = run_driver(
        LINE_2X,
        {
            "client": request.param,
            "endpoint": f"127.0.0.1:{server_2x_port}",
            "calls": [[method, params, metadata] for method, params, metadata, _ in calls],
            "reference_errors": [
                ["ERROR_REQUIRED_PARAMETER", {"key": "domain_id"}],
                ["ERROR_REQUIRED_PARAMETER", {"key": "aggregate"}],
            ],
        },
    )
    return {"calls": calls, **result}


def test_the_client_builds_its_stubs_for_the_one_listed_service(answered: dict[str, Any]) -> None:
    assert answered["api_resources"] == {"JobTask": ["delete", "get", "list", "stat"]}


def test_every_call_answers_as_spaceones_reference_would(answered: dict[str, Any]) -> None:
    got = [
        {"ok": a["ok"]}
        if "ok" in a
        else {"error": [a["error"]["error_code"] or a["error"]["type"], a["error"]["status_code"]]}
        for a in answered["answers"]
    ]

    assert got == [want for *_, want in answered["calls"]]


def _error(answered: dict[str, Any], method: str, params: dict[str, Any]) -> dict[str, Any]:
    """The error the client raised for the call of `method` with `params`."""
    calls = answered["calls"]
    [error] = [
        a["error"]
        for (m, p, *_), a in zip(calls, answered["answers"], strict=True)
        if (m, p) == (method, params)
    ]
    return dict(error)


def test_errors_carry_spaceones_messages(answered: dict[str, Any]) -> None:
    no_domain, no_aggregate = answered["reference_errors"]

    assert _error(answered, "list", {"query": {}})["message"] == no_domain
    assert _error(answered, "stat", {"query": {}})["message"] == no_aggregate
    assert _error(answered, "get", {"job_task_id": x.MISSING})["message"] == x.not_found_2x(
        x.MISSING, DOMAIN
    )
    assert (
        'has no field named "domain_id"'
        in _error(answered, "list", {"domain_id": DOMAIN, "query": {}})["message"]
    )
