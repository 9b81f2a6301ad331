"""Logs: one JSON line per call with exact keys, no metadata ever, redacted query shapes."""

from __future__ import annotations

import json
import logging
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from google.protobuf import empty_pb2, struct_pb2

from jobtask.edges.grpc.servicer import observed
from jobtask.errors import NotFound
from jobtask.observability.logs import (
    FIELDS,
    CallLog,
    JsonFormatter,
    TextFormatter,
    command_shape,
    redact,
    result_count,
)
from jobtask.observability.observe import Observation
from jobtask.rpcs import Rpc
from jobtask.scope import Scope
from spaceone.api.inventory.v1 import job_task_pb2
from tests.support.grpc_context import Aborted, FakeContext

SERVICE = "spaceone.api.inventory.v1.JobTask"
DOMAIN = "domain-aaaaaaaaaaaa"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.dG9rZW4"


class Lines(logging.Handler):
    """Formats what the call log writes, as the process would."""

    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def json(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines(JsonFormatter())
    yield handler
    handler.close()


def make_logger(handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger(f"test.calls.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    return logger


def call(
    call_log: CallLog,
    method: str,
    behaviour: Callable[[Any, Any], Any],
    request: Any = None,
    metadata: tuple[tuple[str, str], ...] = (),
) -> Any:
    """One call through the gRPC edge's observed behaviour, as grpc makes it."""
    rpc = Rpc(SERVICE, method)
    serve = observed(
        Observation(call_log=call_log), rpc, lambda r, context, _: behaviour(r, context)
    )
    return serve(request, FakeContext(metadata))


def listing(count: int) -> Callable[[Any, Any], Any]:
    results = [job_task_pb2.JobTaskInfo(job_task_id=f"job_task-{i}") for i in range(count)]
    return lambda request, context: job_task_pb2.JobTasksInfo(results=results, total_count=9)


def test_a_call_is_one_json_line_with_exactly_these_keys(lines: Lines) -> None:
    call_log = CallLog(logger=make_logger(lines), new_request_id=lambda: "generated-1")

    call(call_log, "list", listing(3), job_task_pb2.JobTaskQuery(domain_id=DOMAIN))

    [line] = lines.json()
    assert set(line) == {
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "transport",
        "service",
        "method",
        "code",
        "latency_ms",
        "domain_id",
        "result_count",
    }
    assert line["level"] == "INFO"
    assert line["transport"] == "grpc"
    assert line["request_id"] == "generated-1"
    assert (line["service"], line["method"], line["code"]) == (SERVICE, "list", "OK")
    assert line["domain_id"] == DOMAIN
    assert line["result_count"] == 3
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] >= 0
    assert line["time"].endswith("Z")


def test_a_failed_call_names_its_status_and_spaceone_error_code(lines: Lines) -> None:
    call_log = CallLog(logger=make_logger(lines))

    def not_found(request: Any, context: Any) -> Any:
        raise NotFound({"job_task_id": "x"})

    with pytest.raises(Aborted):
        call(call_log, "get", not_found, job_task_pb2.GetJobTaskRequest(domain_id=DOMAIN))

    [line] = lines.json()
    assert set(line) - {"time", "level", "logger", "message", "latency_ms", "request_id"} == {
        "transport",
        "service",
        "method",
        "code",
        "error_code",
        "domain_id",
    }
    assert (line["code"], line["error_code"]) == ("NOT_FOUND", "ERROR_NOT_FOUND")


def test_a_call_names_the_domain_it_was_scoped_to_when_it_named_none(lines: Lines) -> None:
    call_log = CallLog(logger=make_logger(lines))

    def scoped(request: Any, context: Any, note: Callable[[Scope], None]) -> Any:
        note(Scope(DOMAIN))  # as the edge notes it from the call layer (the token's domain)
        return job_task_pb2.JobTaskInfo()

    serve = observed(Observation(call_log=call_log), Rpc(SERVICE, "get"), scoped)
    serve(job_task_pb2.GetJobTaskRequest(), FakeContext())

    [line] = lines.json()
    assert line["domain_id"] == DOMAIN


def test_a_call_without_domain_or_results_has_neither_key(lines: Lines) -> None:
    call_log = CallLog(logger=make_logger(lines))

    call(call_log, "delete", lambda r, c: empty_pb2.Empty(), job_task_pb2.JobTaskRequest())

    [line] = lines.json()
    assert "domain_id" not in line and "result_count" not in line


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ((("x-request-id", "3f2a-77b1"),), "3f2a-77b1"),
        ((("x-request-id", "req:abc/1=+@._"),), "req:abc/1=+@._"),
        ((), "generated"),
        ((("x-request-id", ""),), "generated"),
        ((("x-request-id", "a b"),), "generated"),
        ((("x-request-id", 'x"}\n{"level": "ERROR'),), "generated"),
        ((("x-request-id", "x" * 129),), "generated"),
    ],
)
def test_the_request_id_is_the_clients_when_plain_else_generated(
    lines: Lines, metadata: tuple[tuple[str, str], ...], expected: str
) -> None:
    call_log = CallLog(logger=make_logger(lines), new_request_id=lambda: "generated")

    call(call_log, "get", lambda r, c: job_task_pb2.JobTaskInfo(), metadata=metadata)

    assert lines.json()[0]["request_id"] == expected


def test_the_token_never_reaches_a_line_even_when_sent(lines: Lines) -> None:
    call_log = CallLog(slow_call_ms=0, logger=make_logger(lines))
    metadata = (("token", TOKEN), ("authorization", f"Bearer {TOKEN}"), ("x-request-id", "r1"))

    def querying(request: Any, context: Any) -> Any:
        call_log.command_started("find", {"find": "job_task", "filter": {"token": TOKEN}})
        call_log.command_finished("find", 0.001, failed=False)
        return job_task_pb2.JobTasksInfo()

    call(call_log, "list", querying, job_task_pb2.JobTaskQuery(domain_id=DOMAIN), metadata)

    [text] = lines.lines
    assert TOKEN not in text
    assert "authorization" not in text.lower()


def test_a_slow_call_is_a_warning_with_each_commands_redacted_shape(lines: Lines) -> None:
    call_log = CallLog(slow_call_ms=0, logger=make_logger(lines))

    def querying(request: Any, context: Any) -> Any:
        call_log.command_started(
            "find",
            {
                "find": "job_task",
                "filter": {"domain_id": DOMAIN, "status": {"$in": ["FAILURE", "SUCCESS"]}},
                "limit": 10,
                "lsid": {"id": b"\x01"},
                "$db": "inventory",
            },
        )
        call_log.command_finished("find", 0.0123, failed=False)
        call_log.command_started("aggregate", {"aggregate": "job_task", "pipeline": []})
        call_log.command_finished("aggregate", 0.5, failed=True)
        return job_task_pb2.JobTasksInfo()

    call(call_log, "list", querying, job_task_pb2.JobTaskQuery(domain_id=DOMAIN))

    [line] = lines.json()
    assert line["level"] == "WARNING"
    assert line["slow"] is True
    assert line["db_commands"] == [
        {
            "command": "find",
            "shape": {
                "find": "job_task",
                "filter": {"domain_id": "?", "status": {"$in": ["?"]}},
                "limit": "?",
            },
            "ms": 12.3,
        },
        {
            "command": "aggregate",
            "shape": {"aggregate": "job_task", "pipeline": []},
            "ms": 500.0,
            "failed": True,
        },
    ]
    assert DOMAIN not in lines.lines[0].split('"db_commands"')[1]


def test_a_call_under_the_threshold_is_info_without_commands(lines: Lines) -> None:
    call_log = CallLog(slow_call_ms=60_000, logger=make_logger(lines))

    call(call_log, "get", lambda r, c: job_task_pb2.JobTaskInfo())

    [line] = lines.json()
    assert line["level"] == "INFO"
    assert "slow" not in line and "db_commands" not in line


def test_commands_outside_a_call_are_not_collected(lines: Lines) -> None:
    call_log = CallLog(slow_call_ms=0, logger=make_logger(lines))

    call_log.command_started("createIndexes", {"createIndexes": "job_task"})
    call_log.command_finished("createIndexes", 0.1, failed=False)
    call(call_log, "get", lambda r, c: job_task_pb2.JobTaskInfo())

    assert lines.json()[0]["db_commands"] == []


def test_a_warning_threshold_logger_drops_ordinary_calls_but_keeps_slow_ones(lines: Lines) -> None:
    logger = make_logger(lines)
    logger.setLevel(logging.WARNING)

    call(CallLog(slow_call_ms=60_000, logger=logger), "get", lambda r, c: None)
    call(CallLog(slow_call_ms=0, logger=logger), "get", lambda r, c: None)

    assert [line["level"] for line in lines.json()] == ["WARNING"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("domain-1", "?"),
        (42, "?"),
        (None, "?"),
        (True, "?"),
        (b"\x00", "?"),
        ({"domain_id": "d"}, {"domain_id": "?"}),
        ({"status": {"$in": ["A", "B", "C"]}}, {"status": {"$in": ["?"]}}),
        ({"k": {"$in": []}}, {"k": {"$in": []}}),
        ({"k": {"$in": ["a", {"x": 1}, "b"]}}, {"k": {"$in": ["?", {"x": "?"}]}}),
        (
            {"$and": [{"domain_id": "d"}, {"$or": [{"a": 1}, {"b": {"$gte": 2}}]}]},
            {"$and": [{"domain_id": "?"}, {"$or": [{"a": "?"}, {"b": {"$gte": "?"}}]}]},
        ),
        ({"$or": [{"a": 1}, {"a": 2}]}, {"$or": [{"a": "?"}]}),
        (
            {"errors": {"$elemMatch": {"error_code": {"$regex": "^Q", "$options": "i"}}}},
            {"errors": {"$elemMatch": {"error_code": {"$regex": "?", "$options": "?"}}}},
        ),
        (
            [{"$match": {"d": 1}}, {"$group": {"_id": "$status", "n": {"$sum": 1}}}],
            [{"$match": {"d": "?"}}, {"$group": {"_id": "?", "n": {"$sum": "?"}}}],
        ),
        (("a", "b"), ["?"]),
        (list(range(100)), ["?"]),
    ],
)
def test_redact_keeps_keys_and_operators_and_hides_every_value(value: Any, expected: Any) -> None:
    assert redact(value) == expected


def test_redact_bounds_depth_and_distinct_shapes() -> None:
    deep: Any = "v"
    for _ in range(40):
        deep = {"a": deep}
    many = [{f"k{i}": i} for i in range(100)]

    assert "v" not in json.dumps(redact(deep))
    assert len(redact(many)) == 20


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            {"find": "job_task", "filter": {"job_task_id": "x"}, "maxTimeMS": 10, "$db": "db"},
            {"find": "job_task", "filter": {"job_task_id": "?"}},
        ),
        (
            {"delete": "job_task", "deletes": [{"q": {"domain_id": "d"}, "limit": 1}]},
            {"delete": "job_task", "deletes": [{"q": {"domain_id": "?"}, "limit": "?"}]},
        ),
        (
            {"getMore": 123456789, "collection": "job_task", "lsid": {"id": "s"}},
            {"getMore": "?", "collection": "?"},
        ),
        (
            {
                "findAndModify": "job_task",
                "query": {"status": {"$in": ["PENDING"]}},
                "update": {"$set": {"status": "CANCELED"}},
                "writeConcern": {"w": "majority"},
                "txnNumber": 3,
            },
            {
                "findAndModify": "job_task",
                "query": {"status": {"$in": ["?"]}},
                "update": {"$set": {"status": "?"}},
            },
        ),
    ],
)
def test_command_shape_drops_driver_plumbing_and_keeps_the_collection(
    command: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert command_shape(command) == expected


def test_result_count_reads_list_results_and_stat_results() -> None:
    stat = struct_pb2.Struct()
    stat.update({"results": [{"n": 1}, {"n": 2}], "total_count": 2})
    no_results = struct_pb2.Struct()
    no_results.update({"total_count": 2})

    assert result_count(listing(4)(None, None)) == 4
    assert result_count(stat) == 2
    assert result_count(no_results) is None
    assert result_count(job_task_pb2.JobTaskInfo()) is None
    assert result_count(None) is None


def test_the_json_format_carries_exceptions_and_keeps_its_own_keys() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        failure = sys.exc_info()
    record = logging.LogRecord("jobtask", logging.ERROR, __file__, 1, "failed %s", ("x",), failure)
    setattr(record, FIELDS, {"message": "not this", "extra_key": 1})

    line = json.loads(JsonFormatter().format(record))

    assert line["message"] == "failed x"
    assert line["extra_key"] == 1
    assert "ValueError: boom" in line["exception"]


def test_the_text_format_appends_the_fields_as_key_value_pairs() -> None:
    record = logging.LogRecord("jobtask.calls", logging.INFO, __file__, 1, "get OK", (), None)
    setattr(record, FIELDS, {"code": "OK", "latency_ms": 1.5, "db_commands": [{"command": "f"}]})

    text = TextFormatter().format(record)

    assert text.endswith(
        'INFO jobtask.calls: get OK code=OK latency_ms=1.5 db_commands=[{"command": "f"}]'
    )
