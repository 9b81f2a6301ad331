"""The HTTP app over real HTTP with a stub or mongomock service: what only the edge decides —
unexpected failures, routing errors, bodies, headers, health, draining, tokens, TLS."""

from __future__ import annotations

import logging
import ssl
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from jobtask.auth import Security, TokenVerifier, load_public_keys, load_security
from jobtask.errors import StorageError
from jobtask.http.server import HttpServer, build_http_server, listen
from jobtask.query.limits import DEFAULT_LIMITS
from jobtask.service import JobTaskService, ListResult, StatRequest
from jobtask.settings import Settings
from tests.integration.http.conftest import Serve, http_app
from tests.support.dataset import DOMAIN, OTHER_DOMAIN, tasks_in
from tests.support.tokens import READ, claims, make_pki, rsa_key, write_pem

LIST = "/inventory/v1/job-tasks"
SEARCH = "/inventory/v1/job-tasks/search"
STAT = "/inventory/v1/job-tasks/stat"
ERROR_LOGGER = "jobtask.rpc.status"


class Stub:
    """Stands in for JobTaskService: records what reached it, answers or raises as told."""

    limits = DEFAULT_LIMITS

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls: list[tuple[str, Any, float | None]] = []
        self.release = threading.Event()
        self.release.set()
        self.entered = threading.Event()

    def list(self, scope: Any, request: Any, *, timeout: float | None = None) -> ListResult:
        self.calls.append(("list", request, timeout))
        self.entered.set()
        self.release.wait(10)
        if self.error is not None:
            raise self.error
        return ListResult([], 0)

    def stat(self, scope: Any, request: StatRequest, *, timeout: float | None = None) -> Any:
        self.calls.append(("stat", request, timeout))
        raise StorageError("stat is not stubbed")


def _error(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def test_an_unexpected_failure_is_500_generic_and_logged_once_with_its_traceback(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    http = serve(Stub(RuntimeError("secret internals")))

    with caplog.at_level(logging.ERROR):
        response = http.get(LIST, params={"domain_id": DOMAIN})

    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "code": "ERROR_UNKNOWN",
            "message": "internal server error",
            "status": "INTERNAL",
        }
    }
    assert "secret" not in response.text
    records = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(records) == 1
    assert records[0].name == ERROR_LOGGER
    assert records[0].exc_info is not None
    assert "secret internals" in str(records[0].exc_info[1])


def test_a_database_failure_is_500_with_its_code_and_logged_once(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    http = serve(Stub(StorageError("database query failed (reason = disk)")))

    with caplog.at_level(logging.ERROR):
        response = http.get(LIST, params={"domain_id": DOMAIN})

    assert response.status_code == 500
    assert _error(response) == {
        "code": "ERROR_DB_QUERY",
        "message": "database query failed (reason = disk)",
        "status": "INTERNAL",
    }
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1


def test_an_unknown_path_is_404_and_an_unserved_method_405_in_the_error_shape(
    http: httpx.Client,
) -> None:
    missing = http.get("/inventory/v1/job-taskz")
    wrong = http.put("/inventory/v1/job-task/job_task-1")
    slash = http.get(LIST + "/")

    assert missing.status_code == 404
    assert _error(missing) == {
        "code": "ERROR_NOT_FOUND",
        "message": "no such path: GET /inventory/v1/job-taskz",
        "status": "NOT_FOUND",
    }
    assert wrong.status_code == 405
    assert _error(wrong)["status"] == "UNIMPLEMENTED"
    assert set(wrong.headers["allow"].split(", ")) >= {"GET", "DELETE"}
    assert slash.status_code == 404  # no redirects: paths are the proto's, exactly


def test_a_body_path_takes_no_query_parameters(http: httpx.Client) -> None:
    response = http.post(SEARCH, params={"domain_id": DOMAIN}, json={})

    assert response.status_code == 400
    assert _error(response)["code"] == "ERROR_INVALID_PARAMETER"


def test_an_empty_body_is_an_empty_request(http: httpx.Client) -> None:
    response = http.post(SEARCH)

    assert response.status_code == 400
    assert _error(response) == {
        "code": "ERROR_REQUIRED_PARAMETER",
        "message": "Required parameter. (key = domain_id)",
        "status": "INVALID_ARGUMENT",
    }


def test_a_body_over_the_limit_is_refused_before_it_is_parsed(
    serve: Serve, service: JobTaskService
) -> None:
    http = serve(service, max_body_bytes=100)

    declared = http.post(SEARCH, json={"domain_id": DOMAIN, "query": {"keyword": "x" * 200}})
    streamed = http.post(
        SEARCH,
        content=iter([b'{"domain_id": "', b"x" * 200, b'"}']),
        headers={"content-type": "application/json"},
    )

    for response in (declared, streamed):
        assert response.status_code == 413
        assert "larger than the maximum of 100 bytes" in _error(response)["message"]


def test_the_grpc_timeout_header_is_the_calls_deadline(serve: Serve) -> None:
    stub = Stub()
    http = serve(stub)

    assert http.get(LIST, params={"domain_id": DOMAIN}).status_code == 200
    answer = http.get(LIST, params={"domain_id": DOMAIN}, headers={"grpc-timeout": "5S"}).json()
    assert answer == {"total_count": 0}
    bad = http.get(LIST, params={"domain_id": DOMAIN}, headers={"grpc-timeout": "soon"})

    (_, _, no_deadline), (_, _, deadline) = stub.calls
    # Without a header the call gets the server's maximum (HTTP_MAX_DEADLINE_SECONDS, 30).
    assert no_deadline is not None and 29 < no_deadline <= 30
    assert deadline is not None and 4 < deadline <= 5
    assert bad.status_code == 400
    assert "grpc-timeout" in _error(bad)["message"]


def test_the_timezone_header_reaches_stat_as_the_metadata_does(serve: Serve) -> None:
    stub = Stub()
    http = serve(stub)
    body = {"domain_id": DOMAIN, "query": {"distinct": "provider"}}

    http.post(STAT, json=body, headers={"timezone": "Asia/Seoul"})
    http.post(STAT, json=body)

    assert [call[1].timezone for call in stub.calls] == ["Asia/Seoul", ""]


def test_health_is_serving_then_not_serving_once_shutdown_begins(
    serve: Serve, service: JobTaskService
) -> None:
    app = http_app(service)
    server = HttpServer(app, listen("127.0.0.1", 0), grace=2)
    server.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=5) as http:
            assert http.get("/healthz").json() == {"status": "SERVING"}
            app.serving = False
            response = http.get("/healthz")
    finally:
        server.stop(grace=2)

    assert response.status_code == 503
    assert response.json() == {"status": "NOT_SERVING"}


def test_health_follows_the_database_probe_when_given_one(
    serve: Serve, service: JobTaskService
) -> None:
    answers = [True]
    http = serve(service, healthy=lambda: answers[-1])

    up = http.get("/healthz")
    answers.append(False)
    down = http.get("/healthz")

    assert (up.status_code, up.json()) == (200, {"status": "SERVING"})
    assert (down.status_code, down.json()) == (503, {"status": "NOT_SERVING"})


def test_shutdown_lets_an_in_flight_request_finish_and_takes_no_new_ones() -> None:
    stub = Stub()
    stub.release.clear()
    server = HttpServer(http_app(stub), listen("127.0.0.1", 0), grace=5)  # type: ignore[arg-type]
    server.start()
    url = f"http://127.0.0.1:{server.port}"
    answers: list[httpx.Response] = []
    request = threading.Thread(
        target=lambda: answers.append(httpx.get(f"{url}{LIST}?domain_id={DOMAIN}", timeout=10))
    )
    request.start()
    assert stub.entered.wait(5)

    server.shutdown()
    with pytest.raises(httpx.ConnectError):
        for _ in range(50):  # uvicorn closes its listener within its next tick
            httpx.get(f"{url}/healthz", timeout=1)
            threading.Event().wait(0.05)
    stub.release.set()
    server.wait(grace=5)
    request.join(5)

    assert [a.status_code for a in answers] == [200]


# -- authentication and TLS, as on the gRPC port ---------------------------------------------


@pytest.fixture
def signing_key() -> Any:
    return rsa_key()


@pytest.fixture
def guarded(
    serve: Serve, service: JobTaskService, signing_key: Any, tmp_path: Path
) -> httpx.Client:
    keys = load_public_keys([str(write_pem(tmp_path / "jwt.pem", signing_key))])
    return serve(service, security=Security(TokenVerifier(keys, audience="spaceone")))


def test_with_authentication_a_call_without_a_token_is_401(guarded: httpx.Client) -> None:
    response = guarded.get(LIST, params={"domain_id": DOMAIN})

    assert response.status_code == 401
    assert _error(response)["code"] == "ERROR_AUTHENTICATE_FAILURE"
    assert _error(response)["status"] == "UNAUTHENTICATED"


def test_with_authentication_another_domain_is_403_and_no_domain_is_the_tokens(
    guarded: httpx.Client, signing_key: Any
) -> None:
    token = signing_key.sign(claims(DOMAIN, [READ]))

    other = guarded.get(LIST, params={"domain_id": OTHER_DOMAIN}, headers={"token": token})
    own = guarded.get(LIST, headers={"authorization": f"Bearer {token}"})
    no_permission = guarded.delete(
        "/inventory/v1/job-task/job_task-aaaa00000001", headers={"token": token}
    )

    assert other.status_code == 403
    assert _error(other)["code"] == "ERROR_PERMISSION_DENIED"
    assert own.status_code == 200
    assert own.json()["total_count"] == len(tasks_in(DOMAIN))
    assert {t["domain_id"] for t in own.json()["results"]} == {DOMAIN}
    assert no_permission.status_code == 403


def test_with_authentication_health_and_the_document_stay_open(guarded: httpx.Client) -> None:
    assert guarded.get("/healthz").status_code == 200
    assert guarded.get("/openapi.json").status_code == 200


def test_with_tls_configured_http_is_served_over_tls_with_the_same_certificate(
    service: JobTaskService, tmp_path: Path
) -> None:
    pki = make_pki(tmp_path)
    settings = Settings(
        http_host="127.0.0.1",
        http_port=0,
        tls_cert_file=str(pki.server_cert),
        tls_key_file=str(pki.server_key),
        shutdown_grace_seconds=1,
    )
    server = build_http_server(settings, service, security=load_security(settings))
    server.start()
    try:
        context = ssl.create_default_context(cafile=str(pki.ca_cert))
        with httpx.Client(verify=context, timeout=5) as client:
            response = client.get(f"https://localhost:{server.port}/healthz")
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=5)
    finally:
        server.stop(grace=1)

    assert response.json() == {"status": "SERVING"}
