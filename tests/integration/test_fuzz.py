"""Hostile clients over real gRPC: random and adversarial queries, undecodable and oversized
requests, every limit; the server answers each within its deadline, never INTERNAL, never with
another domain's data, and is healthy afterwards.

Derandomized, `JOBTASK_FUZZ_EXAMPLES` (default 300) examples per property; `make reliability`
runs the same properties thousands of times with a random seed (tools/reliability.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any, Final

import grpc
import pymongo
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from jobtask.auth.security import load_security
from jobtask.edges.grpc.server import RunningServer
from jobtask.services.reads import JobTaskService
from jobtask.settings import Settings
from jobtask.storage import connect_with
from tests.support import hostile
from tests.support.dataset import DOMAIN, tasks_in
from tests.support.edges import build_server
from tests.support.hostile import FUZZ
from tests.support.independent_client import IndependentJobTaskClient

MAX_MESSAGE_BYTES: Final = 256 * 1024
LIST: Final = "/spaceone.api.inventory.v1.JobTask/list"


@pytest.fixture(scope="module")
def fuzz_settings(mongodb_uri: str) -> Settings:
    return Settings(
        mongodb_uri=SecretStr(mongodb_uri),
        mongodb_database=f"fuzz_{uuid.uuid4().hex[:12]}",
        grpc_host="127.0.0.1",
        grpc_port=0,
        grpc_workers=4,
        grpc_max_message_bytes=MAX_MESSAGE_BYTES,
        mongodb_server_selection_timeout_ms=3000,
    )


@pytest.fixture(scope="module")
def fuzz_server(fuzz_settings: Settings) -> Iterator[RunningServer]:
    client, repository = connect_with(fuzz_settings)
    repository.ensure_indexes()
    client[fuzz_settings.mongodb_database]["job_task"].insert_many(hostile.fuzz_documents())
    running = build_server(
        fuzz_settings,
        JobTaskService(repository, max_page_size=50),
        security=load_security(fuzz_settings),
    )
    running.start()
    yield running
    running.stop(grace=1)
    client.drop_database(fuzz_settings.mongodb_database)
    client.close()


@pytest.fixture(scope="module")
def fuzz_channel(fuzz_server: RunningServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{fuzz_server.port}") as channel:
        yield channel


@pytest.fixture(scope="module")
def fuzz_client(fuzz_channel: grpc.Channel) -> IndependentJobTaskClient:
    return IndependentJobTaskClient(fuzz_channel)


@pytest.fixture(scope="module", autouse=True)
def still_healthy_afterwards(
    fuzz_settings: Settings, fuzz_channel: grpc.Channel, fuzz_client: IndependentJobTaskClient
) -> Iterator[None]:
    """After every hostile call of the module: SERVING, answering, the other domain intact."""
    yield
    health = health_pb2_grpc.HealthStub(fuzz_channel)
    assert health.Check(health_pb2.HealthCheckRequest(), timeout=5).status == 1
    listed = fuzz_client.list({"domain_id": DOMAIN, "query": {"count_only": True}}, timeout=5)
    assert listed["total_count"] == len(tasks_in(DOMAIN)) + len(hostile.POISONED_TASKS)
    with pymongo.MongoClient[dict[str, Any]](
        fuzz_settings.mongodb_uri.get_secret_value()
    ) as client:
        stored = client[fuzz_settings.mongodb_database]["job_task"]
        assert stored.count_documents({"domain_id": hostile.OTHER_DOMAIN}) == len(
            hostile.OTHER_TASKS
        )


# ---------------------------------------------------------------------------------------------
# The properties


@FUZZ
@given(request=hostile.list_requests)
def test_list_answers_every_hostile_query_cleanly(
    fuzz_client: IndependentJobTaskClient, request: dict[str, Any]
) -> None:
    hostile.fuzz_call(fuzz_client, "list", request)


@FUZZ
@given(request=hostile.stat_requests, timezone=hostile.timezones)
def test_stat_answers_every_hostile_query_cleanly(
    fuzz_client: IndependentJobTaskClient, request: dict[str, Any], timezone: str
) -> None:
    metadata = [("timezone", timezone)] if timezone else []
    hostile.fuzz_call(fuzz_client, "stat", request, metadata=metadata)


@FUZZ
@given(
    rpc=st.sampled_from(("get", "delete")),
    job_task_id=hostile.job_task_ids,
    only=st.lists(hostile.paths, max_size=3),
)
def test_get_and_delete_never_reach_the_other_domain(
    fuzz_client: IndependentJobTaskClient, rpc: str, job_task_id: str, only: list[str]
) -> None:
    request: dict[str, Any] = {"job_task_id": job_task_id, "domain_id": DOMAIN}
    if rpc == "get":
        request["only"] = only
    code = hostile.fuzz_call(fuzz_client, rpc, request)
    if rpc == "delete":
        # The fuzz deletes nothing of its own domain: only other ids are generated.
        assert code is not grpc.StatusCode.OK


# ---------------------------------------------------------------------------------------------
# Requests that do not decode, or are too big


def varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)


def field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field, encoded by hand (our stubs refuse such messages)."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def nested_filter_request(depth: int) -> bytes:
    """JobTaskQuery{domain_id, query.filter[0] = provider eq [[[... "x" ...]]]}."""
    value = field(3, b"x")  # Value.string_value
    for _ in range(depth):
        value = field(6, field(1, value))  # Value.list_value.values[0]
    condition = field(1, b"provider") + field(3, value) + field(5, b"eq")
    return field(1, field(1, condition)) + field(9, DOMAIN.encode())


def raw_list(channel: grpc.Channel, request: bytes) -> grpc.RpcError:
    call = channel.unary_unary(
        LIST, request_serializer=lambda b: b, response_deserializer=lambda b: b
    )
    with pytest.raises(grpc.RpcError) as raised:
        call(request, timeout=5)
    return raised.value


@pytest.mark.parametrize(
    "request_",
    [b"\xff\xff\xff\xff", b"\x0a\x05ab", nested_filter_request(60), nested_filter_request(500)],
    ids=["garbage", "truncated", "nested-60", "nested-500"],
)
def test_a_request_that_does_not_decode_is_invalid_argument(
    fuzz_channel: grpc.Channel, request_: bytes
) -> None:
    error = raw_list(fuzz_channel, request_)

    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("ERROR_INVALID_PARAMETER: ")
    assert "does not decode" in error.details()


def test_a_value_nested_past_the_limit_is_invalid_argument(fuzz_channel: grpc.Channel) -> None:
    error = raw_list(fuzz_channel, nested_filter_request(9))

    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "query.filter[0].value" in error.details()
    assert "nested more than 8 levels" in error.details()


def test_a_request_over_the_message_size_is_refused_by_grpc(
    fuzz_client: IndependentJobTaskClient,
) -> None:
    keyword = "x" * (MAX_MESSAGE_BYTES + 1)

    with pytest.raises(grpc.RpcError) as raised:
        fuzz_client.list({"domain_id": DOMAIN, "query": {"keyword": keyword}}, timeout=5)

    assert raised.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED


def conditions(count: int, **condition: Any) -> list[dict[str, Any]]:
    return [{"k": "provider", "v": "aws", "o": "eq", **condition}] * count


@pytest.mark.parametrize(
    ("rpc", "query", "named"),
    [
        ("list", {"filter": conditions(30), "filter_or": conditions(21)}, "(key = query.filter,"),
        ("list", {"filter": conditions(1, o="regex", v="a" * 513)}, "at most 512"),
        ("list", {"filter": conditions(1, o="in", v=["a"] * 1001)}, "at most 1000"),
        ("list", {"only": ["status"] * 51}, "(key = query.only,"),
        ("list", {"keyword": "a" * 513}, "(key = query.keyword,"),
        ("stat", {"aggregate": [{"limit": 1}] * 21}, "21 stages; at most 20"),
        (
            "stat",
            {"aggregate": [{"group": {"fields": [{"operator": "count", "name": "n"}] * 101}}]},
            "(key = query.aggregate[0].group,",
        ),
    ],
)
def test_a_query_past_a_limit_is_invalid_argument_naming_it(
    fuzz_client: IndependentJobTaskClient, rpc: str, query: dict[str, Any], named: str
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        getattr(fuzz_client, rpc)({"domain_id": DOMAIN, "query": query}, timeout=5)

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details().startswith("ERROR_INVALID_PARAMETER: ")
    assert named in raised.value.details()
