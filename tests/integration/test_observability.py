"""Metrics, call logs and tracing of a real server, over real gRPC, against the wire database.

The metrics are scraped over HTTP as Prometheus would; the logs are the lines the process writes.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from jobtask.auth.security import load_security
from jobtask.observability.logs import CallLog, JsonFormatter
from jobtask.observability.metrics import Metrics, serve_metrics
from jobtask.observability.tracing import Tracing, TracingUnavailable, start_tracing
from jobtask.services.reads import JobTaskService
from jobtask.settings import Settings
from jobtask.storage import CommandObserver, connect_with
from tests.support.dataset import DOMAIN
from tests.support.edges import build_http_server, build_server
from tests.support.independent_client import IndependentJobTaskClient
from tests.support.processes import SERVING, free_port, wait_health

pytestmark = pytest.mark.usefixtures("seeded")

SERVICE = "spaceone.api.inventory.v1.JobTask"
TASK_ID = "job_task-3f9c0a1b2c4d"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.dG9rZW4"
UNKNOWN_OPERATOR = {
    "domain_id": DOMAIN,
    "query": {"filter": [{"k": "status", "v": "x", "o": "nope"}]},
}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@dataclass
class Served:
    client: IndependentJobTaskClient
    metrics_port: int
    http: httpx.Client  # the HTTP/JSON edge of the same server, observed by the same metrics/log

    def scrape(self) -> Samples:
        return scrape(self.metrics_port)


def scrape(port: int) -> Samples:
    """GET /metrics as Prometheus does: every sample by name and labels."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


@pytest.fixture
def serve(settings: Settings) -> Iterator[Callable[..., Served]]:
    """Start a server observed by fresh metrics and a call log (and tracing, if given)."""
    with ExitStack() as stack:

        def start(*, slow_call_ms: float | None = None, tracing: Tracing | None = None) -> Served:
            metrics = Metrics(CollectorRegistry())
            call_log = CallLog(slow_call_ms=slow_call_ms)
            observers: list[CommandObserver] = [metrics, call_log]
            mongo, repository = connect_with(settings, observers=observers)
            stack.callback(mongo.close)
            service = JobTaskService(repository, max_page_size=settings.max_page_size)
            running = build_server(
                settings,
                service,
                metrics=metrics,
                call_log=call_log,
                tracing=tracing,
                security=load_security(settings),
            )
            running.start()
            stack.callback(running.stop, 1)
            endpoint = serve_metrics(metrics.registry, "127.0.0.1", 0)
            stack.callback(endpoint.stop)
            channel = stack.enter_context(grpc.insecure_channel(f"127.0.0.1:{running.port}"))
            local = settings.model_copy(update={"http_host": "127.0.0.1", "http_port": 0})
            http_server = build_http_server(
                local, service, metrics=metrics, call_log=call_log, security=load_security(local)
            )
            http_server.start()
            stack.callback(http_server.stop, 1)
            http = stack.enter_context(
                httpx.Client(base_url=f"http://127.0.0.1:{http_server.port}", timeout=15)
            )
            return Served(IndependentJobTaskClient(channel), endpoint.port, http)

        yield start


@pytest.fixture
def call_lines(caplog: pytest.LogCaptureFixture) -> Callable[[], list[dict[str, Any]]]:
    """The call log's lines so far, formatted as the process writes them."""
    caplog.set_level(logging.INFO, logger="jobtask.calls")
    formatter = JsonFormatter()

    def lines() -> list[dict[str, Any]]:
        return [
            json.loads(formatter.format(record))
            for record in caplog.records
            if record.name == "jobtask.calls"
        ]

    return lines


def _fails(call: Callable[[], Any]) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    code: grpc.StatusCode = raised.value.code()
    return code


def test_scraped_metrics_count_calls_by_code_time_them_and_count_error_codes(
    serve: Callable[..., Served],
) -> None:
    served = serve()
    client = served.client

    client.list({"domain_id": DOMAIN})
    client.list({"domain_id": DOMAIN, "query": {"page": {"limit": 2}}})
    client.get({"job_task_id": TASK_ID, "domain_id": DOMAIN})
    assert _fails(lambda: client.get({"job_task_id": "job_task-0", "domain_id": DOMAIN})) is (
        grpc.StatusCode.NOT_FOUND
    )
    assert _fails(lambda: client.list(UNKNOWN_OPERATOR)) is grpc.StatusCode.INVALID_ARGUMENT
    samples = served.scrape()

    def calls(method: str, code: str) -> float | None:
        return value(
            samples, "jobtask_grpc_requests_total", service=SERVICE, method=method, code=code
        )

    def timed(method: str, code: str) -> float | None:
        return value(
            samples,
            "jobtask_grpc_request_duration_seconds_count",
            service=SERVICE,
            method=method,
            code=code,
        )

    def errors(method: str, error_code: str) -> float | None:
        return value(
            samples, "jobtask_errors_total", service=SERVICE, method=method, error_code=error_code
        )

    assert (calls("list", "OK"), calls("get", "OK")) == (2, 1)
    assert (calls("get", "NOT_FOUND"), calls("list", "INVALID_ARGUMENT")) == (1, 1)
    assert (timed("list", "OK"), timed("get", "NOT_FOUND"), timed("list", "INVALID_ARGUMENT")) == (
        2,
        1,
        1,
    )
    assert errors("get", "ERROR_NOT_FOUND") == 1
    assert errors("list", "ERROR_UNSUPPORTED_OPERATOR") == 1
    assert not [name for (name, labels) in samples if name == "jobtask_errors_total"][2:]
    in_flight = "jobtask_grpc_requests_in_flight"
    assert value(samples, in_flight, service=SERVICE, method="list") == 0
    # Every list and get read the collection (the rejected list never reached it).
    finds = value(samples, "jobtask_db_command_duration_seconds_count", command="find")
    assert finds is not None and finds >= 4
    spent = value(samples, "jobtask_db_command_duration_seconds_sum", command="find")
    assert spent is not None and spent > 0


def test_each_call_is_one_json_log_line_without_the_token(
    serve: Callable[..., Served], call_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    client = serve().client
    metadata = (("x-request-id", "req-7f3a"), ("token", TOKEN), ("authorization", TOKEN))

    client.list({"domain_id": DOMAIN, "query": {"page": {"limit": 3}}}, metadata=metadata)
    _fails(lambda: client.get({"job_task_id": "job_task-0", "domain_id": DOMAIN}))
    _fails(lambda: client.list(UNKNOWN_OPERATOR))

    listed, missing, rejected = call_lines()
    base = {"time", "level", "logger", "message", "request_id", "transport", "service", "method"}
    base |= {"code"}
    assert set(listed) == base | {"latency_ms", "domain_id", "result_count"}
    assert listed["request_id"] == "req-7f3a"
    assert {line["transport"] for line in (listed, missing, rejected)} == {"grpc"}
    assert (listed["method"], listed["code"], listed["result_count"]) == ("list", "OK", 3)
    assert listed["domain_id"] == DOMAIN
    assert set(missing) == base | {"latency_ms", "domain_id", "error_code"}
    assert (missing["method"], missing["code"], missing["error_code"]) == (
        "get",
        "NOT_FOUND",
        "ERROR_NOT_FOUND",
    )
    assert (rejected["code"], rejected["error_code"]) == (
        "INVALID_ARGUMENT",
        "ERROR_UNSUPPORTED_OPERATOR",
    )
    assert missing["request_id"] != rejected["request_id"]
    assert all(line["level"] == "INFO" and line["service"] == SERVICE for line in call_lines())
    assert TOKEN not in json.dumps(call_lines())


def test_http_calls_are_measured_by_rpc_and_http_status_and_count_their_error_codes(
    serve: Callable[..., Served],
) -> None:
    served = serve()
    http = served.http

    assert http.get(f"/inventory/v1/job-task/{TASK_ID}", params={"domain_id": DOMAIN}).is_success
    assert http.post("/inventory/v1/job-tasks/search", json={"domain_id": DOMAIN}).is_success
    missing = http.get("/inventory/v1/job-task/job_task-0", params={"domain_id": DOMAIN})
    rejected = http.post("/inventory/v1/job-tasks/search", json=UNKNOWN_OPERATOR)
    unreadable = http.post(
        "/inventory/v1/job-tasks/search",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert (missing.status_code, rejected.status_code, unreadable.status_code) == (404, 400, 400)
    served.client.get({"job_task_id": TASK_ID, "domain_id": DOMAIN})  # and one over gRPC
    samples = served.scrape()

    def calls(method: str, status: str) -> float | None:
        return value(
            samples, "jobtask_http_requests_total", service=SERVICE, method=method, status=status
        )

    assert (calls("get", "200"), calls("get", "404")) == (1, 1)
    assert (calls("list", "200"), calls("list", "400")) == (1, 2)
    timed = "jobtask_http_request_duration_seconds_count"
    assert value(samples, timed, service=SERVICE, method="list", status="400") == 2
    in_flight = "jobtask_http_requests_in_flight"
    assert value(samples, in_flight, service=SERVICE, method="list") == 0
    # Failures by SpaceONE error code count both edges; each edge counts its own calls.
    errors = "jobtask_errors_total"
    assert value(samples, errors, service=SERVICE, method="get", error_code="ERROR_NOT_FOUND") == 1
    for error_code in ("ERROR_INVALID_PARAMETER", "ERROR_UNSUPPORTED_OPERATOR"):
        assert value(samples, errors, service=SERVICE, method="list", error_code=error_code) == 1
    grpc_calls = "jobtask_grpc_requests_total"
    assert value(samples, grpc_calls, service=SERVICE, method="get", code="OK") == 1


def test_each_http_call_is_one_log_line_like_a_grpc_one(
    serve: Callable[..., Served], call_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    http = serve().http
    headers = {"x-request-id": "req-http-1", "authorization": f"Bearer {TOKEN}", "token": TOKEN}

    http.post(
        "/inventory/v1/job-tasks/search",
        json={"domain_id": DOMAIN, "query": {"page": {"limit": 3}}},
        headers=headers,
    )
    http.get("/inventory/v1/job-task/job_task-0", params={"domain_id": DOMAIN})
    http.post(
        "/inventory/v1/job-tasks/search",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )

    listed, missing, unreadable = call_lines()
    base = {"time", "level", "logger", "message", "request_id", "transport", "service", "method"}
    base |= {"code", "http_status", "latency_ms"}
    assert set(listed) == base | {"domain_id", "result_count"}
    assert (listed["transport"], listed["request_id"], listed["http_status"]) == (
        "http",
        "req-http-1",
        200,
    )
    assert (listed["service"], listed["method"], listed["code"]) == (SERVICE, "list", "OK")
    assert (listed["domain_id"], listed["result_count"]) == (DOMAIN, 3)
    assert set(missing) == base | {"domain_id", "error_code"}
    assert (missing["method"], missing["code"], missing["http_status"]) == ("get", "NOT_FOUND", 404)
    assert missing["error_code"] == "ERROR_NOT_FOUND"
    assert missing["request_id"] != listed["request_id"]
    # A body that is not JSON never became a request: no domain, still one line.
    assert set(unreadable) == base | {"error_code"}
    assert (unreadable["code"], unreadable["http_status"]) == ("INVALID_ARGUMENT", 400)
    assert TOKEN not in json.dumps(call_lines())


def test_a_slow_http_call_shows_its_redacted_query_shapes(
    serve: Callable[..., Served], call_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    http = serve(slow_call_ms=0).http
    query = {"filter": [{"k": "status", "v": ["FAILURE", "SUCCESS"], "o": "in"}]}

    http.post("/inventory/v1/job-tasks/search", json={"domain_id": DOMAIN, "query": query})

    [line] = call_lines()
    assert (line["transport"], line["level"], line["slow"]) == ("http", "WARNING", True)
    [find] = [c for c in line["db_commands"] if c["command"] == "find"]
    assert find["shape"]["filter"] == {"domain_id": "?", "status": {"$in": ["?"]}}
    logged = json.dumps(line["db_commands"])
    assert DOMAIN not in logged and "FAILURE" not in logged


def test_a_zero_threshold_logs_each_call_with_its_redacted_query_shapes(
    serve: Callable[..., Served], call_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    client = serve(slow_call_ms=0).client
    query = {"filter": [{"k": "status", "v": ["FAILURE", "SUCCESS"], "o": "in"}]}

    client.list({"domain_id": DOMAIN, "query": query})

    [line] = call_lines()
    assert line["level"] == "WARNING" and line["slow"] is True
    finds = [c for c in line["db_commands"] if c["command"] == "find"]
    assert len(finds) == 1
    assert finds[0]["shape"]["find"] == "job_task"
    assert finds[0]["shape"]["filter"] == {"domain_id": "?", "status": {"$in": ["?"]}}
    assert finds[0]["ms"] >= 0
    logged = json.dumps(line["db_commands"])
    assert DOMAIN not in logged and "FAILURE" not in logged and "lsid" not in logged


def test_traces_cover_the_call_and_its_database_commands(
    serve: Callable[..., Served], capfd: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("opentelemetry.sdk")
    tracing = start_tracing("console")
    try:
        client = serve(tracing=tracing).client
        client.get({"job_task_id": TASK_ID, "domain_id": DOMAIN})
    finally:
        tracing.shutdown()

    spans = _json_objects(capfd.readouterr().out)
    [call] = [s for s in spans if s["name"] == f"/{SERVICE}/get"]
    database = [s for s in spans if s["attributes"].get("db.system") == "mongodb"]
    assert call["kind"] == "SpanKind.SERVER"
    assert call["resource"]["attributes"]["service.name"] == "jobtask"
    assert database, "no pymongo span"
    assert {s["context"]["trace_id"] for s in database} == {call["context"]["trace_id"]}


def test_tracing_without_the_otel_extra_fails_with_one_clear_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.instrumentation.pymongo", None)

    with pytest.raises(TracingUnavailable) as raised:
        start_tracing("otlp")

    assert "OTEL_ENABLED=true" in str(raised.value)
    assert "pip install 'jobtask[otel]'" in str(raised.value)


def test_the_process_fails_start_up_when_tracing_is_asked_for_but_not_installed() -> None:
    hide_otel = (
        "import sys; sys.modules['opentelemetry.instrumentation.pymongo'] = None; "
        "from jobtask.__main__ import main; sys.exit(main())"
    )
    result = subprocess.run(
        [sys.executable, "-c", hide_otel],
        env={**os.environ, "OTEL_ENABLED": "true", "METRICS_PORT": "0"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("jobtask: OTEL_ENABLED=true needs the optional tracing packages")


def test_the_process_serves_metrics_and_writes_json_call_lines(
    mongodb_uri: str, database_name: str
) -> None:
    grpc_port, metrics_port, http_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "MONGODB_URI": mongodb_uri,
        "MONGODB_DATABASE": database_name,
        "GRPC_PORT": str(grpc_port),
        "METRICS_HOST": "127.0.0.1",
        "METRICS_PORT": str(metrics_port),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(http_port),
        "LOG_LEVEL": "INFO",
        "SLOW_CALL_MS": "0",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "jobtask"], env=env, text=True, stderr=subprocess.PIPE
    )
    try:
        wait_health(grpc_port, SERVING, timeout=30)
        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            IndependentJobTaskClient(channel).list({"domain_id": DOMAIN})
        searched = httpx.post(
            f"http://127.0.0.1:{http_port}/inventory/v1/job-tasks/search",
            json={"domain_id": DOMAIN},
            timeout=15,
        )
        assert searched.is_success
        samples = scrape(metrics_port)
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=20)

    labels = {"service": SERVICE, "method": "list", "code": "OK"}
    assert value(samples, "jobtask_grpc_requests_total", **labels) == 1
    http_labels = {"service": SERVICE, "method": "list", "status": "200"}
    assert value(samples, "jobtask_http_requests_total", **http_labels) == 1
    finds = value(samples, "jobtask_db_command_duration_seconds_count", command="find")
    assert finds is not None and finds >= 2
    assert server.returncode == 0
    lines = [json.loads(line) for line in stderr.splitlines()]
    calls = [line for line in lines if line["logger"] == "jobtask.calls"]
    assert [call["transport"] for call in calls] == ["grpc", "http"]
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]  # one line a call
    for call in calls:
        assert (call["method"], call["code"], call["slow"]) == ("list", "OK", True)
        assert any(c["command"] == "find" for c in call["db_commands"])


def _json_objects(text: str) -> list[dict[str, Any]]:
    """The console exporter's spans: pretty-printed JSON objects, one after another."""
    decoder, objects, index = json.JSONDecoder(), [], 0
    while (start := text.find("{", index)) != -1:
        found, index = decoder.raw_decode(text, start)
        objects.append(found)
    return objects
