"""Property-based fuzzing of a SpaceONE 2.x process's HTTP interface (SPACEONE_API=2) with
schemathesis, from its OpenAPI document, as test_http_fuzz.py fuzzes 1.x's: generated bodies of
the 2.x messages (core.v2 queries: sort lists, unwind, add_fields, lookup, stat stages) and
headers, valid and invalid; none may be answered 5xx, and each answer must match the document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis

from jobtask.auth.security import load_security
from jobtask.edges.http.app import api_document
from jobtask.edges.http.server import HttpServer
from jobtask.lines.v2 import wire
from jobtask.services.reads import JobTaskService
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository
from tests.integration.test_http_fuzz import CHECKS, FUZZED, settle_deadlines
from tests.support.dataset import DOMAIN
from tests.support.edges import build_http_server


@pytest.fixture
def base_url(settings: Settings, repository: MongoJobTaskRepository, seeded: Any) -> Iterator[str]:
    local = settings.model_copy(
        update={"spaceone_api": 2, "http_host": "127.0.0.1", "http_port": 0}
    )
    server: HttpServer = build_http_server(
        local, JobTaskService(repository, max_page_size=50), security=load_security(local)
    )
    server.start()
    yield f"http://127.0.0.1:{server.port}"
    server.stop(grace=1)


# Pure, so had at collection time (see test_http_fuzz.py); the first test checks it is served.
DOCUMENT = api_document((wire.SERVICE,))
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_fuzzed_document_is_the_served_one(base_url: str) -> None:
    assert httpx.get(f"{base_url}/openapi.json", timeout=10).json() == DOCUMENT


@schema.parametrize()
@FUZZED
def test_no_request_is_answered_with_a_server_error(case: Any, base_url: str) -> None:
    settle_deadlines(case)
    # Without the seeded domain a call stops at "domain_id is required" or finds nothing; with
    # it, the generated queries and stages reach the database. The workspace header is left as
    # generated.
    headers = dict(case.headers or {})
    if case.path.startswith("/inventory/") and isinstance(headers.get("x_domain_id", ""), str):
        headers["x_domain_id"] = DOMAIN
    case.headers = headers
    case.call_and_validate(base_url=base_url, checks=CHECKS, timeout=15)
