"""A real uvicorn server on a free port around an HttpApp, and an httpx client for it.

The service is JobTaskService over mongomock (or a stub of it); no database, no gRPC server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import mongomock
import pytest

from jobtask.auth.permissions import Access
from jobtask.auth.security import Security
from jobtask.edges.http.app import HttpApp
from jobtask.edges.http.server import HttpServer, listen
from jobtask.services.reads import JobTaskService
from jobtask.storage import MongoJobTaskRepository
from tests.support.dataset import TASKS
from tests.support.edges import calls_over as Calls

Serve = Callable[..., httpx.Client]


@pytest.fixture
def collection() -> Any:
    collection: Any = mongomock.MongoClient()["inventory"]["job_task"]
    collection.insert_many([dict(t) for t in TASKS])
    return collection


@pytest.fixture
def service(collection: Any) -> JobTaskService:
    return JobTaskService(MongoJobTaskRepository(collection), max_page_size=20)


def http_app(service: JobTaskService, security: Security | None = None, **options: Any) -> HttpApp:
    """The app over the service's rpcs, enforcing `security` (by default: nothing)."""
    return HttpApp(Calls(service, Access(security or Security())), **options)


@pytest.fixture
def serve() -> Iterator[Serve]:
    """serve(service, security=None, **HttpApp options) -> a client of that app on a real port."""
    running: list[tuple[HttpServer, httpx.Client]] = []

    def start(service: JobTaskService, **options: Any) -> httpx.Client:
        server = HttpServer(http_app(service, **options), listen("127.0.0.1", 0), grace=2)
        server.start()
        client = httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=10)
        running.append((server, client))
        return client

    yield start
    for server, client in running:
        client.close()
        server.stop(grace=2)


@pytest.fixture
def http(serve: Serve, service: JobTaskService) -> httpx.Client:
    return serve(service)


@pytest.fixture
def document(http: httpx.Client) -> dict[str, Any]:
    """The OpenAPI document the `http` client's server serves (a module may serve another)."""
    response = http.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body
