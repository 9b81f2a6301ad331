"""Authentication over real gRPC: every way a token fails, key rotation, open health and
reflection, and no rpc reaching another domain or past the token's permissions."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import pymongo
import pytest
from google.protobuf import json_format
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from jobtask.auth.security import load_security
from jobtask.demo import domain_ids
from jobtask.demo import main as demo_main
from jobtask.services.collector import JobTaskWriter, WriterLimits
from jobtask.services.reads import JobTaskService
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository
from jobtask_internal.v1 import job_task_writer_pb2 as w
from jobtask_internal.v1 import job_task_writer_pb2_grpc
from tests.support.dataset import DOMAIN, OTHER_DOMAIN, ids, tasks_in
from tests.support.edges import build_server
from tests.support.independent_client import IndependentJobTaskClient
from tests.support.tokens import (
    ADMIN,
    READ,
    WRITE,
    SigningKey,
    claims,
    ec_key,
    hs256_token,
    rsa_key,
    unsigned_token,
    write_jwks,
    write_pem,
)

OWN_TASK = "job_task-aaaa00000001"
OTHERS_TASK = "job_task-bbbb00000001"


@dataclass(frozen=True)
class Keys:
    rsa: SigningKey  # kid "rsa-2024", in one JWKS file
    ec: SigningKey  # kid "ec-2025", in another
    unlisted: SigningKey


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(rsa_key("rsa-2024"), ec_key("ec-2025"), rsa_key("rsa-2024"))


Serve = Callable[[list[Path]], grpc.Channel]


@pytest.fixture
def serve(settings: Settings, serve_with_writer: Callable[..., grpc.Channel]) -> Serve:
    """Starts a server with the writer, authentication on and the given key files."""

    def start(key_files: list[Path]) -> grpc.Channel:
        auth = Settings(
            **{
                **settings.model_dump(),
                "auth_enabled": True,
                "auth_public_keys": ",".join(str(p) for p in key_files),
            }
        )
        return serve_with_writer(WriterLimits(retention_days=7), auth)

    return start


@pytest.fixture
def channel(serve: Serve, keys: Keys, tmp_path: Path) -> grpc.Channel:
    return serve(
        [write_jwks(tmp_path / "rsa.json", keys.rsa), write_jwks(tmp_path / "ec.json", keys.ec)]
    )


@pytest.fixture
def reader(channel: grpc.Channel) -> IndependentJobTaskClient:
    return IndependentJobTaskClient(channel)


@pytest.fixture
def writer(channel: grpc.Channel) -> job_task_writer_pb2_grpc.JobTaskWriterStub:
    return job_task_writer_pb2_grpc.JobTaskWriterStub(channel)


def _as(key: SigningKey, *permissions: str, domain_id: str = DOMAIN) -> list[tuple[str, str]]:
    return [("token", key.sign(claims(domain_id, permissions)))]


def _refused(call: Callable[..., Any], *args: Any, **kwargs: Any) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call(*args, timeout=10, **kwargs)
    return raised.value


def _dict(message: Any) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


# -- authentication -----------------------------------------------------------------------------


def _bad_tokens(keys: Keys) -> dict[str, tuple[str, str]]:
    """Each failure: the token, and the reason after `ERROR_AUTHENTICATE_FAILURE: `."""
    rsa = keys.rsa
    return {
        "malformed": ("not.a.token", "malformed token"),
        "bad signature": (keys.unlisted.sign(claims(DOMAIN)), "bad signature"),
        "expired": (rsa.sign(claims(DOMAIN, expires_in=-300)), "token expired"),
        "wrong audience": (rsa.sign(claims(DOMAIN, audience="other")), "another audience"),
        "no exp": (rsa.sign(claims(DOMAIN, expires_in=None)), "token has no 'exp' claim"),
        "alg none": (unsigned_token(claims(DOMAIN)), "algorithm 'none' is not accepted"),
        "HS256 keyed with the public key": (
            hs256_token(rsa.public_pem(), claims(DOMAIN)),
            "algorithm 'HS256' is not accepted",
        ),
        "unknown kid": (
            SigningKey(rsa.private, "RS256", "rsa-1999").sign(claims(DOMAIN)),
            "unknown key id 'rsa-1999'",
        ),
        "no domain": (rsa.sign(claims("")), "token has no domain ('did' claim)"),
    }


BAD_TOKENS = [
    "malformed",
    "bad signature",
    "expired",
    "wrong audience",
    "no exp",
    "alg none",
    "HS256 keyed with the public key",
    "unknown kid",
    "no domain",
]


@pytest.mark.parametrize("carrier", ["token", "authorization"])
@pytest.mark.parametrize("case", BAD_TOKENS)
def test_a_bad_token_is_unauthenticated_with_its_reason(
    reader: IndependentJobTaskClient, keys: Keys, case: str, carrier: str
) -> None:
    token, reason = _bad_tokens(keys)[case]
    value = token if carrier == "token" else f"Bearer {token}"

    error = _refused(reader.list, {"domain_id": DOMAIN}, metadata=[(carrier, value)])

    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error.details().startswith("ERROR_AUTHENTICATE_FAILURE: ")
    assert reason in error.details()


@pytest.mark.parametrize(
    "metadata",
    [[], [("authorization", "Basic dXNlcjpwYXNz")], [("token", "")]],
    ids=["none", "basic", "empty"],
)
def test_a_call_without_a_usable_token_is_unauthenticated(
    reader: IndependentJobTaskClient, metadata: list[tuple[str, str]]
) -> None:
    error = _refused(reader.list, {"domain_id": DOMAIN}, metadata=metadata)

    assert error.code() is grpc.StatusCode.UNAUTHENTICATED


def test_every_rpc_needs_a_token(
    reader: IndependentJobTaskClient, writer: job_task_writer_pb2_grpc.JobTaskWriterStub
) -> None:
    calls: list[tuple[Callable[..., Any], Any]] = [
        (reader.get, {"job_task_id": OWN_TASK, "domain_id": DOMAIN}),
        (reader.list, {"domain_id": DOMAIN}),
        (reader.delete, {"job_task_id": OWN_TASK, "domain_id": DOMAIN}),
        (reader.stat, {"domain_id": DOMAIN, "query": {"distinct": "status"}}),
        (writer.create, w.CreateJobTaskRequest(domain_id=DOMAIN, job_id="job-1")),
        (writer.start, w.JobTaskRef(job_task_id=OWN_TASK, domain_id=DOMAIN)),
        (writer.report, w.ReportProgressRequest(job_task_id=OWN_TASK, domain_id=DOMAIN)),
        (writer.finish, w.FinishJobTaskRequest(job_task_id=OWN_TASK, domain_id=DOMAIN)),
        (writer.cancel, w.JobTaskRef(job_task_id=OWN_TASK, domain_id=DOMAIN)),
        (writer.purge, w.PurgeRequest()),
    ]

    codes = {_refused(call, request).code() for call, request in calls}

    assert codes == {grpc.StatusCode.UNAUTHENTICATED}


@pytest.mark.parametrize("carrier", ["token", "authorization"])
def test_a_valid_token_of_either_key_is_accepted_in_either_carrier(
    reader: IndependentJobTaskClient,
    seeded: pymongo.collection.Collection,
    keys: Keys,
    carrier: str,
) -> None:
    for key in (keys.rsa, keys.ec):
        token = key.sign(claims(DOMAIN, [READ]))
        value = token if carrier == "token" else f"Bearer {token}"

        answer = reader.list({"domain_id": DOMAIN}, metadata=[(carrier, value)], timeout=10)

        assert {t["job_task_id"] for t in answer["results"]} == ids(tasks_in(DOMAIN))


def test_rotation_tokens_of_both_listed_pem_keys_verify_and_a_third_does_not(
    serve: Serve, tmp_path: Path, seeded: pymongo.collection.Collection
) -> None:
    old, new, third = rsa_key(), ec_key(), ec_key()
    channel = serve([write_pem(tmp_path / "old.pem", old), write_pem(tmp_path / "new.pem", new)])
    reader = IndependentJobTaskClient(channel)
    request = {"domain_id": DOMAIN, "query": {"count_only": True}}

    for key in (old, new):
        assert reader.list(request, metadata=_as(key, READ), timeout=10)["total_count"] == len(
            tasks_in(DOMAIN)
        )
    error = _refused(reader.list, request, metadata=_as(third, READ))
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error.details() == "ERROR_AUTHENTICATE_FAILURE: bad signature"


def test_health_and_reflection_stay_open_without_a_token(channel: grpc.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    [answer] = list(reflection.ServerReflectionInfo(iter([request]), timeout=10))

    assert health.status == health_pb2.HealthCheckResponse.SERVING
    names = [s.name for s in answer.list_services_response.service]
    assert names == ["spaceone.api.inventory.v1.JobTask"]


# -- tenants ------------------------------------------------------------------------------------


def _denied(call: Callable[..., Any], request: Any, metadata: Any) -> None:
    error = _refused(call, request, metadata=metadata)
    assert error.code() is grpc.StatusCode.PERMISSION_DENIED, error.details()
    assert error.details().startswith("ERROR_PERMISSION_DENIED: ")


def _not_found(call: Callable[..., Any], request: Any, metadata: Any) -> None:
    error = _refused(call, request, metadata=metadata)
    assert error.code() is grpc.StatusCode.NOT_FOUND, error.details()


def test_get_reaches_only_the_tokens_domain(
    reader: IndependentJobTaskClient, seeded: pymongo.collection.Collection, keys: Keys
) -> None:
    token = _as(keys.rsa, READ)

    _denied(reader.get, {"job_task_id": OTHERS_TASK, "domain_id": OTHER_DOMAIN}, token)
    _not_found(reader.get, {"job_task_id": OTHERS_TASK}, token)
    own = reader.get({"job_task_id": OWN_TASK}, metadata=token, timeout=10)
    assert (own["job_task_id"], own["domain_id"]) == (OWN_TASK, DOMAIN)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"filter": [{"k": "domain_id", "v": OTHER_DOMAIN, "o": "eq"}]},
        {"filter_or": [{"k": "domain_id", "v": OTHER_DOMAIN, "o": "eq"}]},
        {
            "filter_or": [
                {"k": "domain_id", "v": OTHER_DOMAIN, "o": "eq"},
                {"k": "job_task_id", "v": OTHERS_TASK, "o": "eq"},
                {"k": "domain_id", "v": [DOMAIN, OTHER_DOMAIN], "o": "in"},
            ]
        },
        {"keyword": "bbbb"},
        {"filter_or": [{"k": "domain_id", "v": OTHER_DOMAIN, "o": "eq"}], "keyword": "bbbb"},
    ],
    ids=["plain", "filter", "filter_or", "filter_or wide", "keyword", "filter_or and keyword"],
)
def test_list_without_domain_id_sees_only_the_tokens_domain(
    reader: IndependentJobTaskClient,
    seeded: pymongo.collection.Collection,
    keys: Keys,
    query: dict[str, Any],
) -> None:
    answer = reader.list({"query": query}, metadata=_as(keys.rsa, READ), timeout=10)

    domains = {t["domain_id"] for t in answer.get("results", [])}
    assert domains <= {DOMAIN}


def test_list_naming_another_domain_is_denied(
    reader: IndependentJobTaskClient, seeded: pymongo.collection.Collection, keys: Keys
) -> None:
    query = {"filter_or": [{"k": "domain_id", "v": OTHER_DOMAIN, "o": "eq"}], "keyword": "bbbb"}

    _denied(reader.list, {"domain_id": OTHER_DOMAIN, "query": query}, _as(keys.rsa, READ))


def test_delete_reaches_only_the_tokens_domain(
    reader: IndependentJobTaskClient, seeded: pymongo.collection.Collection, keys: Keys
) -> None:
    token = _as(keys.rsa, READ, WRITE)

    _denied(reader.delete, {"job_task_id": OTHERS_TASK, "domain_id": OTHER_DOMAIN}, token)
    _not_found(reader.delete, {"job_task_id": OTHERS_TASK}, token)
    reader.delete({"job_task_id": OWN_TASK}, metadata=token, timeout=10)

    remaining = {d["job_task_id"] for d in seeded.find({}, {"job_task_id": 1})}
    assert OTHERS_TASK in remaining and OWN_TASK not in remaining


@pytest.mark.parametrize(
    "query",
    [
        {"distinct": "domain_id"},
        {"distinct": "domain_id", "filter_or": [{"k": "domain_id", "v": OTHER_DOMAIN, "o": "eq"}]},
        {
            "filter_or": [
                {"k": "domain_id", "v": OTHER_DOMAIN, "o": "eq"},
                {"k": "domain_id", "v": DOMAIN, "o": "eq"},
            ],
            "aggregate": [
                {
                    "group": {
                        "keys": [{"key": "domain_id", "name": "domain"}],
                        "fields": [{"operator": "count", "name": "tasks"}],
                    }
                }
            ],
        },
    ],
    ids=["distinct", "distinct with filter_or", "group with filter_or"],
)
def test_stat_without_domain_id_sees_only_the_tokens_domain(
    reader: IndependentJobTaskClient,
    seeded: pymongo.collection.Collection,
    keys: Keys,
    query: dict[str, Any],
) -> None:
    answer = reader.stat({"query": query}, metadata=_as(keys.rsa, READ), timeout=10)

    results = answer["results"]
    if "distinct" in query and "filter_or" in query:
        assert results == []
    elif "distinct" in query:
        assert results == [DOMAIN]
    else:
        assert results == [{"domain": DOMAIN, "tasks": len(tasks_in(DOMAIN))}]


def test_stat_naming_another_domain_is_denied(
    reader: IndependentJobTaskClient, seeded: pymongo.collection.Collection, keys: Keys
) -> None:
    request = {"domain_id": OTHER_DOMAIN, "query": {"distinct": "domain_id"}}

    _denied(reader.stat, request, _as(keys.rsa, READ))


def _writer_calls(
    writer: job_task_writer_pb2_grpc.JobTaskWriterStub, task_id: str, domain_id: str
) -> dict[str, tuple[Callable[..., Any], Any]]:
    ref: dict[str, Any] = {"job_task_id": task_id, "domain_id": domain_id}
    return {
        "create": (writer.create, w.CreateJobTaskRequest(domain_id=domain_id, job_id="job-1")),
        "start": (writer.start, w.JobTaskRef(**ref)),
        "report": (writer.report, w.ReportProgressRequest(**ref, created_count=1)),
        "finish": (
            writer.finish,
            w.FinishJobTaskRequest(**ref, status=w.FinishJobTaskRequest.SUCCESS),
        ),
        "cancel": (writer.cancel, w.JobTaskRef(**ref)),
        "purge": (writer.purge, w.PurgeRequest(domain_id=domain_id)),
    }


WRITER_RPCS = ["create", "start", "report", "finish", "cancel", "purge"]


@pytest.mark.parametrize("rpc", WRITER_RPCS)
def test_every_writer_rpc_naming_another_domain_is_denied(
    writer: job_task_writer_pb2_grpc.JobTaskWriterStub,
    seeded: pymongo.collection.Collection,
    keys: Keys,
    rpc: str,
) -> None:
    before = list(seeded.find({}, {"_id": 0}).sort("job_task_id"))
    call, request = _writer_calls(writer, "job_task-aaaa00000004", OTHER_DOMAIN)[rpc]

    _denied(call, request, _as(keys.rsa, WRITE))

    assert list(seeded.find({}, {"_id": 0}).sort("job_task_id")) == before


@pytest.mark.parametrize("rpc", ["start", "report", "finish", "cancel"])
def test_a_writer_rpc_without_domain_id_cannot_reach_another_domains_task(
    writer: job_task_writer_pb2_grpc.JobTaskWriterStub,
    raw_collection: pymongo.collection.Collection,
    keys: Keys,
    rpc: str,
) -> None:
    others = writer.create(
        w.CreateJobTaskRequest(job_id="job-1"), metadata=_as(keys.ec, WRITE, domain_id=OTHER_DOMAIN)
    )
    call, request = _writer_calls(writer, others.job_task_id, "")[rpc]

    _not_found(call, request, _as(keys.rsa, WRITE))

    stored = raw_collection.find_one({"job_task_id": others.job_task_id})
    assert stored is not None and stored["status"] == "PENDING"


def test_create_without_domain_id_creates_in_the_tokens_domain(
    writer: job_task_writer_pb2_grpc.JobTaskWriterStub, keys: Keys
) -> None:
    task = writer.create(
        w.CreateJobTaskRequest(job_id="job-1"), metadata=_as(keys.rsa, WRITE), timeout=10
    )

    assert task.domain_id == DOMAIN


def _finished_ids(collection: pymongo.collection.Collection) -> set[str]:
    return {
        d["job_task_id"]
        for d in collection.find({"status": {"$in": ["SUCCESS", "FAILURE", "CANCELED"]}})
    }


def test_purge_without_domain_id_is_scoped_unless_the_token_is_admin(
    writer: job_task_writer_pb2_grpc.JobTaskWriterStub,
    seeded: pymongo.collection.Collection,
    keys: Keys,
) -> None:
    finished_elsewhere = _finished_ids(seeded) - ids(tasks_in(DOMAIN))

    scoped = writer.purge(w.PurgeRequest(), metadata=_as(keys.rsa, WRITE), timeout=10)

    assert _finished_ids(seeded) == finished_elsewhere
    assert scoped.deleted_count == len(_finished_ids_of(tasks_in(DOMAIN)))
    everywhere = writer.purge(w.PurgeRequest(), metadata=_as(keys.rsa, WRITE, ADMIN), timeout=10)
    assert everywhere.deleted_count == len(finished_elsewhere)
    assert _finished_ids(seeded) == set()


def _finished_ids_of(tasks: list[dict[str, Any]]) -> set[str]:
    return {t["job_task_id"] for t in tasks if t["status"] in {"SUCCESS", "FAILURE", "CANCELED"}}


def test_an_admin_may_purge_another_named_domain(
    writer: job_task_writer_pb2_grpc.JobTaskWriterStub,
    seeded: pymongo.collection.Collection,
    keys: Keys,
) -> None:
    purged = writer.purge(
        w.PurgeRequest(domain_id=OTHER_DOMAIN), metadata=_as(keys.rsa, WRITE, ADMIN), timeout=10
    )

    assert purged.deleted_count == len(_finished_ids_of(tasks_in(OTHER_DOMAIN)))
    assert _finished_ids(seeded) == _finished_ids_of(tasks_in(DOMAIN))


# -- permissions --------------------------------------------------------------------------------


def test_a_read_token_reads_but_cannot_delete_or_write(
    reader: IndependentJobTaskClient,
    writer: job_task_writer_pb2_grpc.JobTaskWriterStub,
    seeded: pymongo.collection.Collection,
    keys: Keys,
) -> None:
    token = _as(keys.rsa, READ)

    assert reader.get({"job_task_id": OWN_TASK}, metadata=token, timeout=10)
    assert reader.stat({"query": {"distinct": "status"}}, metadata=token, timeout=10)
    _denied(reader.delete, {"job_task_id": OWN_TASK}, token)
    for rpc in WRITER_RPCS:
        call, request = _writer_calls(writer, "job_task-aaaa00000004", "")[rpc]
        _denied(call, request, token)
    assert seeded.count_documents({}) == len(tasks_in(DOMAIN)) + len(tasks_in(OTHER_DOMAIN))


def test_a_write_token_deletes_and_writes_but_does_not_read(
    reader: IndependentJobTaskClient,
    writer: job_task_writer_pb2_grpc.JobTaskWriterStub,
    seeded: pymongo.collection.Collection,
    keys: Keys,
) -> None:
    token = _as(keys.ec, WRITE)

    reader.delete({"job_task_id": OWN_TASK}, metadata=token, timeout=10)
    task = writer.create(w.CreateJobTaskRequest(job_id="job-1"), metadata=token, timeout=10)
    ref = w.JobTaskRef(job_task_id=task.job_task_id)
    assert _dict(writer.start(ref, metadata=token, timeout=10))["status"] == "IN_PROGRESS"
    _denied(reader.list, {}, token)


@pytest.mark.parametrize("granted", ["inventory.JobTask.*", "inventory.*", "*"])
def test_a_wildcard_permission_allows_reading_and_writing(
    reader: IndependentJobTaskClient,
    writer: job_task_writer_pb2_grpc.JobTaskWriterStub,
    seeded: pymongo.collection.Collection,
    keys: Keys,
    granted: str,
) -> None:
    token = _as(keys.rsa, granted)

    assert reader.list({"query": {"count_only": True}}, metadata=token, timeout=10)
    task = writer.create(w.CreateJobTaskRequest(job_id="job-1"), metadata=token, timeout=10)
    assert _dict(task)["domain_id"] == DOMAIN


def test_a_token_without_permissions_is_denied_everything(
    reader: IndependentJobTaskClient, seeded: pymongo.collection.Collection, keys: Keys
) -> None:
    error = _refused(reader.list, {}, metadata=_as(keys.rsa))

    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    assert error.details() == (
        "ERROR_PERMISSION_DENIED: the token lacks the permission inventory.JobTask.read"
    )


# -- start-up -----------------------------------------------------------------------------------


def test_an_unusable_key_file_stops_start_up_with_one_clear_line(tmp_path: Path) -> None:
    private = tmp_path / "signing.pem"
    private.write_bytes(rsa_key().private_pem())
    env = {**os.environ, "AUTH_ENABLED": "true", "AUTH_PUBLIC_KEYS": str(private)}

    result = subprocess.run(
        [sys.executable, "-m", "jobtask"], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"jobtask: invalid AUTH_PUBLIC_KEYS='{private}': a private key: give the public key only"
    ]


def test_authentication_without_keys_stops_start_up_with_one_clear_line() -> None:
    env = {**os.environ, "AUTH_ENABLED": "true", "AUTH_PUBLIC_KEYS": ""}

    result = subprocess.run(
        [sys.executable, "-m", "jobtask"], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("jobtask: invalid AUTH_PUBLIC_KEYS='': ")
    assert line.endswith("AUTH_ENABLED=true needs at least one public key file")


# -- the demo, a client of an authenticated server ---------------------------------------------


@pytest.mark.parametrize("with_token", [True, False], ids=["token", "no-token"])
def test_the_demo_sends_jobtask_token_like_the_cli(
    settings: Settings,
    repository: MongoJobTaskRepository,
    raw_collection: Any,
    keys: Keys,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    with_token: bool,
) -> None:
    auth = settings.model_copy(
        update={
            "auth_enabled": True,
            "auth_public_keys": str(write_jwks(tmp_path / "rsa.json", keys.rsa)),
        }
    )
    writer = JobTaskWriter(repository, limits=WriterLimits(), clock=lambda: datetime.now(UTC))
    running = build_server(
        auth, JobTaskService(repository, max_page_size=50), writer, security=load_security(auth)
    )
    running.start()
    [domain] = domain_ids(1)
    token = keys.rsa.sign(claims(domain, (READ, WRITE))) if with_token else ""
    monkeypatch.setenv("JOBTASK_TOKEN", token)
    try:
        exit_code = demo_main(
            [
                "--server",
                f"127.0.0.1:{running.port}",
                "--count",
                "6",
                "--domains",
                "1",
                "--seed",
                "3",
            ]
        )
    finally:
        running.stop(grace=1)

    stored = raw_collection.count_documents({"domain_id": domain})
    if with_token:
        assert (exit_code, stored) == (0, 6)
    else:
        assert (exit_code, stored) == (1, 0)
        assert "UNAUTHENTICATED" in capsys.readouterr().err
