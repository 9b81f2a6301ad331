"""The HTTP app over real HTTP with a stub or mongomock service: what only the edge decides —
unexpected failures, routing errors, bodies, headers, health, draining, tokens, TLS."""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from jobtask.auth.jwt import TokenVerifier, load_public_keys
from jobtask.auth.security import Security, load_security
from jobtask.edges.http.server import HttpServer, listen
from jobtask.errors import StorageError
from jobtask.query.limits import DEFAULT_LIMITS
from jobtask.services.reads import JobTaskService, ListResult, StatRequest
from jobtask.settings import Settings
from tests.integration.http.conftest import Serve, http_app
from tests.support.dataset import DOMAIN, OTHER_DOMAIN, tasks_in
from tests.support.edges import build_http_server
from tests.support.tokens import READ, claims, make_pki, rsa_key, write_pem

LIST = "/inventory/v1/job-tasks"
SEARCH = "/inventory/v1/job-tasks/search"
STAT = "/inventory/v1/job-tasks/stat"
ERROR_LOGGER = "jobtask.calls.status"


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


# -- what a body may be: JSON, declared so or not declared at all (issue 26) -------------------

_DOCUMENT = b'{"domain_id": "%s", "query": {"count_only": true}}' % DOMAIN.encode()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"content-type": "application/json"},
        {"content-type": "application/json; charset=utf-8"},
        {"content-type": "Application/JSON;charset=UTF-8"},
        {"content-type": "application/json; charset=latin-1"},
    ],
    ids=["not declared", "json", "json utf-8", "json in capitals", "json latin-1"],
)
def test_a_json_body_is_read_declared_or_not(http: httpx.Client, headers: dict[str, str]) -> None:
    response = http.post(SEARCH, content=_DOCUMENT, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"total_count": len(tasks_in(DOMAIN))}


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "text/plain"},
        {"content-type": "application/x-www-form-urlencoded"},
        {"content-type": "multipart/form-data; boundary=x"},
        {"content-type": "application/jsonl"},
        {"content-type": ""},
        {"origin": "https://elsewhere.example"},
    ],
    ids=["text", "form", "multipart", "another type", "empty", "undeclared from a browser"],
)
def test_a_body_of_another_declared_type_or_from_a_browser_undeclared_is_415(
    http: httpx.Client, headers: dict[str, str]
) -> None:
    # What a page can post across sites without a preflight never reaches a call.
    response = http.post(SEARCH, content=_DOCUMENT, headers=headers)

    assert response.status_code == 415
    assert _error(response)["status"] == "INVALID_ARGUMENT"
    assert "application/json" in _error(response)["message"]


_QUERY = b'{"domain_id": "' + DOMAIN.encode() + b'", "query": %s}'
# Each body, and the key and the words its 400 names.
MALFORMED_BODIES = [
    ("malformed", b'{"domain_id": ', "body", "not valid JSON"),
    ("truncated", b'{"domain_id": "d"', "body", "not valid JSON"),
    ("trailing", b'{"domain_id": "d"} x', "body", "not valid JSON"),
    ("NaN", _QUERY % b'{"filter": [{"k": "provider", "v": NaN, "o": "eq"}]}', "body", "NaN"),
    (
        "Infinity",
        _QUERY % b'{"filter": [{"k": "provider", "v": Infinity, "o": "eq"}]}',
        "body",
        "Infinity",
    ),
    (
        "1e400",
        _QUERY % b'{"filter": [{"k": "provider", "v": 1e400, "o": "eq"}]}',
        "query.filter[0].value",
        "finite",
    ),
    (
        "-1e400 in a list",
        _QUERY % b'{"filter": [{"k": "created_count", "v": [-1e400], "o": "in"}]}',
        "query.filter[0].value",
        "finite",
    ),
    ("negative limit", _QUERY % b'{"page": {"limit": -1}}', "body", "limit"),
    ("overflowing limit", _QUERY % b'{"page": {"limit": 4294967296}}', "body", "limit"),
    ("1e400 limit", _QUERY % b'{"page": {"limit": 1e400}}', "body", "limit"),
    ("array", b'["domain_id"]', "body", "must be a JSON object, not an array"),
    ("string", b'"domain_id"', "body", "must be a JSON object, not a string"),
    ("number", b"1", "body", "must be a JSON object, not a number"),
    ("null", b"null", "body", "must be a JSON object, not null"),
    ("boolean", b"true", "body", "must be a JSON object, not a boolean"),
    ("invalid UTF-8", b'{"domain_id": "\xff\xfe"}', "body", "not valid JSON"),
    (
        "duplicate key",
        b'{"domain_id": "a", "domain_id": "b"}',
        "body",
        "'domain_id' is given twice",
    ),
    (
        "duplicate nested key",
        _QUERY % b'{"page": {"limit": 1, "limit": 2}}',
        "body",
        "'limit' is given twice",
    ),
]


@pytest.mark.parametrize("declared", [False, True], ids=["not declared", "application/json"])
@pytest.mark.parametrize(
    ("body", "key", "reason"),
    [case[1:] for case in MALFORMED_BODIES],
    ids=[case[0] for case in MALFORMED_BODIES],
)
def test_a_malformed_body_is_400_naming_its_field_declared_or_not(
    http: httpx.Client, body: bytes, key: str, reason: str, declared: bool
) -> None:
    headers = {"content-type": "application/json"} if declared else {}

    response = http.post(SEARCH, content=body, headers=headers)

    assert response.status_code == 400, response.text
    error = _error(response)
    assert (error["code"], error["status"]) == ("ERROR_INVALID_PARAMETER", "INVALID_ARGUMENT")
    assert f"(key = {key}, reason = " in error["message"]
    assert reason in error["message"]


def test_an_empty_body_from_a_browser_is_an_empty_request_as_before(http: httpx.Client) -> None:
    response = http.post(SEARCH, headers={"origin": "https://elsewhere.example"})

    assert response.status_code == 400
    assert _error(response)["code"] == "ERROR_REQUIRED_PARAMETER"


# -- framing: one request, one way to read its length (RFC 9112 section 6.1) --------------------


def _exchange(port: int, data: bytes) -> bytes:
    """What the server sends back until it closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


@pytest.mark.parametrize(
    "framing",
    [
        b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
        b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
        b"content-length: 5\r\ntransfer-encoding: chunked\r\n",
    ],
    ids=["chunked first", "length first", "lower case"],
)
def test_a_request_framed_both_ways_is_400_and_its_connection_closed_unread(
    serve: Serve, framing: bytes
) -> None:
    stub = Stub()
    port = serve(stub).base_url.port
    assert port is not None
    # Read by its length, the body is `0\r\n\r\n`; read as chunked, a second request follows it.
    smuggled = (
        b"GET /inventory/v1/job-tasks?domain_id="
        + DOMAIN.encode()
        + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    request = (
        b"POST /inventory/v1/job-tasks/search HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/json\r\n" + framing + b"\r\n0\r\n\r\n" + smuggled
    )

    answer = _exchange(port, request)

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"connection: close" in head.lower()
    assert json.loads(body)["error"] == {
        "code": "ERROR_INVALID_PARAMETER",
        "message": "request: Transfer-Encoding and Content-Length cannot both be sent",
        "status": "INVALID_ARGUMENT",
    }
    assert answer.count(b"HTTP/1.1 ") == 1  # the smuggled request was never answered
    assert stub.calls == []  # nor did the call layer see either


def test_a_request_framed_one_way_is_served_as_before(serve: Serve) -> None:
    stub = Stub()
    port = serve(stub).base_url.port
    assert port is not None
    body = b'{"domain_id": "' + DOMAIN.encode() + b'"}'
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    head = b"POST /inventory/v1/job-tasks/search HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"

    by_length = _exchange(port, head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    by_chunks = _exchange(port, head + b"Transfer-Encoding: chunked\r\n\r\n" + chunked)

    assert by_length.startswith(b"HTTP/1.1 200 ")
    assert by_chunks.startswith(b"HTTP/1.1 200 ")
    assert [name for name, _, _ in stub.calls] == ["list", "list"]


# -- size: one list past MAX_LIST_VALUES is refused before its values are converted -------------

_LONG = [f"p{i}" for i in range(1001)]  # one past MAX_LIST_VALUES' default, 1000


@pytest.mark.parametrize(
    ("path", "query", "where"),
    [
        (SEARCH, {"filter": [{"k": "provider", "v": _LONG, "o": "in"}]}, "query.filter[0]"),
        (
            SEARCH,
            {
                "filter_or": [
                    {"k": "a", "v": 1, "o": "eq"},
                    {"key": "b", "value": _LONG, "o": "not_in"},
                ]
            },
            "query.filter_or[1]",
        ),
        (
            STAT,
            {
                "aggregate": [
                    {
                        "group": {
                            "fields": [
                                {
                                    "operator": "count",
                                    "name": "n",
                                    "conditions": [
                                        {"k": "provider", "v": _LONG, "o": "contain_in"}
                                    ],
                                }
                            ]
                        }
                    }
                ]
            },
            "query.aggregate[0].group.fields[0].conditions[0]",
        ),
    ],
    ids=["filter in", "filter_or not_in", "stat group condition contain_in"],
)
def test_a_list_past_max_list_values_is_400_before_the_body_becomes_a_message(
    http: httpx.Client,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    query: dict[str, Any],
    where: str,
) -> None:
    converted: list[Any] = []
    monkeypatch.setattr("jobtask.edges.http.body.to_message", lambda *a: converted.append(a))

    response = http.post(path, json={"domain_id": DOMAIN, "query": query})

    assert response.status_code == 400
    assert _error(response)["message"] == (
        f"Invalid parameter. (key = {where}.value, reason = 1001 values in a list; "
        "at most 1000 are allowed)"
    )
    assert converted == []


def test_a_list_of_max_list_values_is_served(http: httpx.Client) -> None:
    query = {"filter": [{"k": "provider", "v": _LONG[:1000], "o": "in"}], "count_only": True}

    response = http.post(SEARCH, json={"domain_id": DOMAIN, "query": query})

    assert response.status_code == 200, response.text
