"""jobtask-healthcheck (the image's HEALTHCHECK) against a real server: /healthz when HTTP is on
(HTTPS with TLS, the certificate not verified), the gRPC health service when it is off."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from jobtask.auth.security import load_security
from jobtask.edges.grpc.healthcheck import main as healthcheck
from jobtask.services.reads import JobTaskService
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository
from tests.support.edges import build_http_server, build_server
from tests.support.processes import free_port
from tests.support.tokens import make_pki, self_signed_server

Start = Callable[..., None]


@pytest.fixture
def start(
    settings: Settings,
    repository: MongoJobTaskRepository,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Start]:
    """Start a server as the container would, and put its settings in the environment."""
    with ExitStack() as stack:

        def run(*, http: bool, tls: tuple[Path, Path] | None = None, healthy: bool = True) -> None:
            grpc_port, http_port = free_port(), free_port()
            environment = {
                "GRPC_PORT": str(grpc_port),
                "HTTP_ENABLED": str(http).lower(),
                "HTTP_PORT": str(http_port),
                "TLS_CERT_FILE": str(tls[0]) if tls else "",
                "TLS_KEY_FILE": str(tls[1]) if tls else "",
            }
            for name, value in environment.items():
                monkeypatch.setenv(name, value)
            served = settings.model_copy(
                update={
                    "grpc_host": "127.0.0.1",
                    "grpc_port": grpc_port,
                    "http_host": "127.0.0.1",
                    "http_port": http_port,
                    "tls_cert_file": str(tls[0]) if tls else "",
                    "tls_key_file": str(tls[1]) if tls else "",
                }
            )
            service = JobTaskService(repository, max_page_size=50)
            running = build_server(served, service, security=load_security(served))
            running.start()
            stack.callback(running.stop, 1)
            if http:
                server = build_http_server(
                    served, service, healthy=lambda: healthy, security=load_security(served)
                )
                server.start()
                stack.callback(server.stop, 1)

        yield run


@pytest.mark.parametrize("tls", [False, True], ids=["plaintext", "tls"])
def test_a_serving_server_is_healthy_over_http(
    start: Start, tmp_path: Path, tls: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    pki = make_pki(tmp_path)
    start(http=True, tls=(pki.server_cert, pki.server_key) if tls else None)

    assert healthcheck() == 0, capsys.readouterr().err


def test_healthz_not_serving_is_unhealthy(start: Start, capsys: pytest.CaptureFixture[str]) -> None:
    start(http=True, healthy=False)  # the database probe says the database does not answer

    assert healthcheck() == 1
    assert capsys.readouterr().err.endswith("/healthz answered 503\n")


def test_with_http_off_the_grpc_health_service_is_asked(
    start: Start, capsys: pytest.CaptureFixture[str]
) -> None:
    start(http=False)

    assert healthcheck() == 0, capsys.readouterr().err


@pytest.mark.parametrize("issued_by", ["itself", "a CA"])
def test_with_http_off_and_tls_the_servers_own_certificate_is_trusted(
    start: Start, tmp_path: Path, issued_by: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if issued_by == "itself":
        tls = self_signed_server(tmp_path)
    else:
        pki = make_pki(tmp_path)
        tls = (pki.server_cert, pki.server_key)
    start(http=False, tls=tls)

    assert healthcheck() == 0, capsys.readouterr().err


def test_with_http_off_and_tls_a_certificate_that_is_not_the_servers_fails_with_a_hint(
    start: Start,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pki = make_pki(tmp_path)
    start(http=False, tls=(pki.server_cert, pki.server_key))
    monkeypatch.setenv("TLS_CERT_FILE", str(pki.stranger_cert))  # what the check would trust
    monkeypatch.setenv("TLS_KEY_FILE", str(pki.stranger_key))

    assert healthcheck() == 1
    assert "HTTP_ENABLED=true lets the check use /healthz" in capsys.readouterr().err


def test_nothing_listening_is_unhealthy_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HTTP_PORT", str(free_port()))

    assert healthcheck() == 1
    err = capsys.readouterr().err
    assert err.startswith("unhealthy: http://127.0.0.1:") and err.count("\n") == 1
