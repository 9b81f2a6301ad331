"""TLS over real gRPC, with certificates made at test time: server TLS on GRPC_PORT, and mutual TLS
for the writer on a port of its own (WRITER_GRPC_PORT) when TLS_CLIENT_CA_FILE is set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from typer.testing import CliRunner, Result

from jobtask.auth.security import load_security
from jobtask.cli.main import app as cli_app
from jobtask.edges.grpc.server import RunningServer
from jobtask.services.collector import JobTaskWriter, WriterLimits
from jobtask.services.reads import JobTaskService
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository
from jobtask_internal.v1 import job_task_writer_pb2 as w
from jobtask_internal.v1 import job_task_writer_pb2_grpc
from tests.support.dataset import DOMAIN
from tests.support.edges import build_server
from tests.support.independent_client import IndependentJobTaskClient
from tests.support.processes import free_port
from tests.support.tokens import Pki, make_pki

CREATE = w.CreateJobTaskRequest(domain_id=DOMAIN, job_id="job-000000000001")


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path)


Serve = Callable[..., RunningServer]


@pytest.fixture
def serve(settings: Settings, repository: MongoJobTaskRepository, pki: Pki) -> Iterator[Serve]:
    """Starts a server with the writer and TLS; `mutual=True` adds the client CA."""
    started: list[RunningServer] = []

    def start(*, mutual: bool = False) -> RunningServer:
        tls = Settings(
            **{
                **settings.model_dump(),
                "tls_cert_file": str(pki.server_cert),
                "tls_key_file": str(pki.server_key),
                "tls_client_ca_file": str(pki.ca_cert) if mutual else "",
                "writer_grpc_port": 0,
            }
        )
        writer = JobTaskWriter(repository, limits=WriterLimits(), clock=lambda: datetime.now(UTC))
        running = build_server(
            tls, JobTaskService(repository, max_page_size=50), writer, security=load_security(tls)
        )
        running.start()
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop(grace=1)


def _secure(
    port: int, pki: Pki, *, certificate: tuple[Path, Path] | None = None, ca: Path | None = None
) -> grpc.Channel:
    key, chain = (None, None) if certificate is None else (p.read_bytes() for p in certificate)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=(ca or pki.ca_cert).read_bytes(), private_key=key, certificate_chain=chain
    )
    return grpc.secure_channel(f"127.0.0.1:{port}", credentials)


def _refused(call: Callable[..., Any], request: Any) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call(request, timeout=5)
    return raised.value


def _client_certificate(pki: Pki) -> tuple[Path, Path]:
    return (pki.client_key, pki.client_cert)


# -- server TLS ---------------------------------------------------------------------------------


def test_a_tls_client_that_trusts_the_ca_is_served(serve: Serve, pki: Pki) -> None:
    running = serve()

    with _secure(running.port, pki) as channel:
        created = job_task_writer_pb2_grpc.JobTaskWriterStub(channel).create(CREATE, timeout=10)
        found = IndependentJobTaskClient(channel).list({"domain_id": DOMAIN}, timeout=10)

    assert [t["job_task_id"] for t in found["results"]] == [created.job_task_id]
    assert running.writer_port is None


def test_a_plaintext_client_cannot_talk_to_a_tls_port(serve: Serve) -> None:
    running = serve()

    with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        error = _refused(IndependentJobTaskClient(channel).list, {"domain_id": DOMAIN})

    assert error.code() is grpc.StatusCode.UNAVAILABLE


def test_a_client_that_does_not_trust_the_servers_ca_is_refused(serve: Serve, pki: Pki) -> None:
    running = serve()

    with _secure(running.port, pki, ca=pki.stranger_cert) as channel:
        error = _refused(IndependentJobTaskClient(channel).list, {"domain_id": DOMAIN})

    assert error.code() is grpc.StatusCode.UNAVAILABLE


# -- mutual TLS for the writer ------------------------------------------------------------------


def test_the_writer_port_serves_a_client_certificate_from_the_ca(serve: Serve, pki: Pki) -> None:
    running = serve(mutual=True)
    assert running.writer_port is not None and running.writer_port != running.port

    with _secure(running.writer_port, pki, certificate=_client_certificate(pki)) as channel:
        task = job_task_writer_pb2_grpc.JobTaskWriterStub(channel).create(CREATE, timeout=10)

    assert task.domain_id == DOMAIN


@pytest.mark.parametrize("certificate", ["none", "another CA's"])
def test_the_writer_port_refuses_a_client_without_a_certificate_from_the_ca(
    serve: Serve, pki: Pki, certificate: str
) -> None:
    running = serve(mutual=True)
    assert running.writer_port is not None
    presented = None if certificate == "none" else (pki.stranger_key, pki.stranger_cert)

    with _secure(running.writer_port, pki, certificate=presented) as channel:
        error = _refused(job_task_writer_pb2_grpc.JobTaskWriterStub(channel).create, CREATE)

    assert error.code() is grpc.StatusCode.UNAVAILABLE


def test_with_mutual_tls_the_writer_is_refused_on_the_public_port(
    serve: Serve, pki: Pki, raw_collection: Any
) -> None:
    running = serve(mutual=True)

    with _secure(running.port, pki) as channel:
        error = _refused(job_task_writer_pb2_grpc.JobTaskWriterStub(channel).create, CREATE)

    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error.details() == (
        "ERROR_AUTHENTICATE_FAILURE: the writer service needs a client certificate: "
        "call it on WRITER_GRPC_PORT"
    )
    assert raw_collection.count_documents({}) == 0


def test_with_mutual_tls_reads_and_health_need_no_client_certificate(
    serve: Serve, pki: Pki
) -> None:
    running = serve(mutual=True)

    with _secure(running.port, pki) as channel:
        found = IndependentJobTaskClient(channel).list({"domain_id": DOMAIN}, timeout=10)
        health = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=10
        )

    assert found == {}
    assert health.status == health_pb2.HealthCheckResponse.SERVING


# -- the jobtask CLI ------------------------------------------------------------------------------


def _cli(port: int, *args: str, **environment: str) -> Result:
    """`jobtask ARGS --server 127.0.0.1:PORT --domain DOMAIN` with only these JOBTASK_* set."""
    names = ("TOKEN", "CA_FILE", "TLS", "CERT_FILE", "KEY_FILE", "TLS_SERVER_NAME", "SERVER")
    env: dict[str, str | None] = {f"JOBTASK_{name}": None for name in names}
    env.update(environment)
    command = [*args, "--server", f"127.0.0.1:{port}", "--domain", DOMAIN]
    return CliRunner().invoke(cli_app, command, env=env)


def test_the_cli_talks_tls_to_a_server_whose_ca_it_is_given(serve: Serve, pki: Pki) -> None:
    running = serve()

    created = _cli(
        running.port,
        "create",
        "--job-id",
        "job-000000000001",
        "--json",
        JOBTASK_CA_FILE=str(pki.ca_cert),
    )
    # --limit: this server's MAX_PAGE_SIZE (50) is below the CLI's default page (100)
    listed = _cli(running.port, "list", "--limit", "10", "--json", JOBTASK_CA_FILE=str(pki.ca_cert))

    assert created.exit_code == 0, created.output
    assert listed.exit_code == 0, listed.output
    task_id = json.loads(created.stdout)["job_task_id"]
    assert [t["job_task_id"] for t in json.loads(listed.stdout)["results"]] == [task_id]


@pytest.mark.parametrize(
    ("environment", "says"),
    [
        ({}, "cannot reach 127.0.0.1:"),  # plaintext to a TLS port
        ({"JOBTASK_TLS": "true"}, "over TLS"),  # the system's roots do not hold the test CA
        ({"JOBTASK_CA_FILE": "stranger"}, "over TLS"),  # another CA
    ],
    ids=["plaintext", "system-roots", "another-ca"],
)
def test_the_cli_says_in_one_line_when_tls_does_not_connect(
    serve: Serve, pki: Pki, environment: dict[str, str], says: str
) -> None:
    running = serve()
    if environment.get("JOBTASK_CA_FILE") == "stranger":
        environment = {"JOBTASK_CA_FILE": str(pki.stranger_cert)}

    result = _cli(running.port, "list", "--timeout", "3", **environment)

    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("jobtask: ") and says in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize(("name", "exit_code"), [("localhost", 0), ("db.example", 1)])
def test_the_cli_checks_the_certificate_against_the_server_name_it_is_given(
    serve: Serve, pki: Pki, name: str, exit_code: int
) -> None:
    running = serve()  # its certificate names localhost and 127.0.0.1

    result = _cli(
        running.port,
        "list",
        "--limit",
        "10",
        "--timeout",
        "3",
        JOBTASK_CA_FILE=str(pki.ca_cert),
        JOBTASK_TLS_SERVER_NAME=name,
    )

    assert result.exit_code == exit_code, result.output


def test_the_cli_process_prints_one_line_when_the_tls_handshake_fails(serve: Serve) -> None:
    running = serve()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("JOBTASK_", "GRPC_"))}

    result = subprocess.run(
        [sys.executable, "-m", "jobtask.cli", "list", "--server", f"127.0.0.1:{running.port}"],
        env={**environment, "JOBTASK_TLS": "true", "JOBTASK_DOMAIN_ID": DOMAIN},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr  # gRPC's own handshake log stays quiet
    assert result.stderr.startswith("jobtask: cannot reach") and "over TLS" in result.stderr


def test_the_cli_presents_its_certificate_on_the_writers_mutual_tls_port(
    serve: Serve, pki: Pki
) -> None:
    running = serve(mutual=True)
    assert running.writer_port is not None
    tls = {"JOBTASK_CA_FILE": str(pki.ca_cert)}
    certificate = {
        "JOBTASK_CERT_FILE": str(pki.client_cert),
        "JOBTASK_KEY_FILE": str(pki.client_key),
    }

    with_certificate = _cli(
        running.writer_port, "create", "--job-id", "job-000000000001", **tls, **certificate
    )
    without = _cli(
        running.writer_port, "create", "--job-id", "job-000000000001", "--timeout", "3", **tls
    )

    assert with_certificate.exit_code == 0, with_certificate.output
    assert without.exit_code == 1 and "over TLS" in without.stderr


@pytest.mark.parametrize(
    ("environment", "says"),
    [
        ({"JOBTASK_CA_FILE": "/nonexistent/ca.pem"}, "cannot read JOBTASK_CA_FILE=/nonexistent"),
        ({"JOBTASK_CERT_FILE": "client"}, "JOBTASK_CERT_FILE and JOBTASK_KEY_FILE go together"),
        ({"JOBTASK_TLS": "maybe"}, "JOBTASK_TLS='maybe': use true or false"),
        ({"JOBTASK_TLS_SERVER_NAME": "db.example"}, "JOBTASK_TLS_SERVER_NAME needs TLS"),
    ],
    ids=["unreadable-ca", "cert-without-key", "bad-flag", "name-without-tls"],
)
def test_unusable_connection_settings_are_one_line_and_exit_2(
    pki: Pki, environment: dict[str, str], says: str
) -> None:
    if environment.get("JOBTASK_CERT_FILE") == "client":
        environment = {"JOBTASK_CERT_FILE": str(pki.client_cert)}

    result = _cli(free_port(), "list", **environment)

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"jobtask: {says}") and result.stderr.count("\n") == 1


# -- the process --------------------------------------------------------------------------------


def _tls_environment(pki: Pki, **overrides: str) -> dict[str, str]:
    return {
        **os.environ,
        "METRICS_PORT": "0",
        "HTTP_PORT": "0",
        "LOG_LEVEL": "WARNING",
        "TLS_CERT_FILE": str(pki.server_cert),
        "TLS_KEY_FILE": str(pki.server_key),
        "TLS_CLIENT_CA_FILE": str(pki.ca_cert),
        **overrides,
    }


@pytest.mark.parametrize(
    ("variable", "reason"),
    [
        ("TLS_CERT_FILE", "No such file or directory"),
        ("TLS_KEY_FILE", "No such file or directory"),
        ("TLS_CLIENT_CA_FILE", "No such file or directory"),
    ],
)
def test_a_missing_tls_file_stops_start_up_with_one_clear_line(
    pki: Pki, tmp_path: Path, variable: str, reason: str
) -> None:
    missing = str(tmp_path / "absent.pem")
    env = _tls_environment(pki, **{variable: missing})

    result = subprocess.run(
        [sys.executable, "-m", "jobtask"], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"jobtask: invalid {variable}='{missing}': {reason}"
    ]


def test_the_process_serves_tls_and_the_writers_mutual_tls_port(
    mongodb_uri: str, database_name: str, pki: Pki
) -> None:
    port, writer_port = free_port(), free_port()
    env = _tls_environment(
        pki,
        MONGODB_URI=mongodb_uri,
        MONGODB_DATABASE=database_name,
        GRPC_PORT=str(port),
        WRITER_GRPC_PORT=str(writer_port),
    )
    process = subprocess.Popen([sys.executable, "-m", "jobtask"], env=env, text=True)
    try:
        with _secure(writer_port, pki, certificate=_client_certificate(pki)) as channel:
            grpc.channel_ready_future(channel).result(timeout=30)  # the server is starting
            created = job_task_writer_pb2_grpc.JobTaskWriterStub(channel).create(CREATE, timeout=10)
        with _secure(port, pki) as channel:
            found = IndependentJobTaskClient(channel).list({"domain_id": DOMAIN}, timeout=10)
    finally:
        process.terminate()
        process.wait(timeout=20)

    assert [t["job_task_id"] for t in found["results"]] == [created.job_task_id]
    assert process.returncode == 0
