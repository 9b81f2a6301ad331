"""Property-based fuzzing of the HTTP interface with schemathesis, from its OpenAPI document.

Every documented operation gets generated requests, valid and invalid (wrong types, missing or
unknown fields, odd strings); none may be answered 5xx, and each answer must match the document.
Bounded: a few examples per operation, no Hypothesis database, well under a minute in all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

import httpx
import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jobtask.auth.security import load_security
from jobtask.edges.http.app import api_document
from jobtask.edges.http.server import HttpServer
from jobtask.lines.v1.rpcs import JOB_TASK_DESCRIPTOR
from jobtask.services.reads import JobTaskService
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository
from tests.support.dataset import DOMAIN
from tests.support.edges import build_http_server


@pytest.fixture
def fuzzed_server(
    settings: Settings, repository: MongoJobTaskRepository, seeded: Any
) -> Iterator[HttpServer]:
    local = settings.model_copy(update={"http_host": "127.0.0.1", "http_port": 0})
    server = build_http_server(
        local, JobTaskService(repository, max_page_size=50), security=load_security(local)
    )
    server.start()
    yield server
    server.stop(grace=1)


@pytest.fixture
def base_url(fuzzed_server: HttpServer) -> str:
    return f"http://127.0.0.1:{fuzzed_server.port}"


# A few examples per operation, no Hypothesis database: well under a minute in all.
FUZZED: Final = hypothesis.settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
# None may be a 5xx; each answer as documented.
CHECKS: Final = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def settle_deadlines(case: Any) -> None:
    """A deadline shorter than the call is answered 504 by design: the header's format is fuzzed,
    its valid values are set to one that no call reaches."""
    timeout = (case.headers or {}).get("grpc-timeout")
    if timeout is not None and timeout[-1:] in ("H", "M", "S", "m", "u", "n"):
        case.headers["grpc-timeout"] = "10S"
    seconds = (case.headers or {}).get("x-request-timeout")
    if seconds is not None and re.fullmatch(r"[0-9]{1,8}(\.[0-9]{1,6})?", seconds):
        case.headers["x-request-timeout"] = "10"


# The document is pure (generated from the descriptors), so it can be had at collection time
# (schemathesis' lazy fixture loader does not work with pytest 9); the first test checks that the
# server serves exactly this one.
DOCUMENT = api_document((JOB_TASK_DESCRIPTOR,))
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_fuzzed_document_is_the_served_one(base_url: str) -> None:
    assert httpx.get(f"{base_url}/openapi.json", timeout=10).json() == DOCUMENT


@schema.parametrize()
@FUZZED
def test_no_request_is_answered_with_a_server_error(case: Any, base_url: str) -> None:
    settle_deadlines(case)
    # A request without the seeded domain stops at "domain_id is required" or finds nothing;
    # with it, the generated filters, sorts, pages and stages reach the database.
    if case.path.startswith("/inventory/"):
        if case.method != "POST" and case.query is None:
            case.query = {}
        fields = case.body if case.method == "POST" else case.query
        if isinstance(fields, dict) and isinstance(fields.get("domain_id", ""), str):
            fields["domain_id"] = DOMAIN
    case.call_and_validate(base_url=base_url, checks=CHECKS, timeout=15)
