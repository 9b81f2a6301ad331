"""The image's runtime without a Docker engine: the console scripts of .venv-image (built by
`make image-venv` as the Dockerfile builds the image: the pins of requirements/runtime.txt, then
the package without dependencies) run as a non-root user against the dev database.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import (
    ROOT,
    SERVING,
    free_port,
    start_database,
    wait_health,
)

IMAGE_BIN = ROOT / ".venv-image" / "bin"
# The image runs as uid 10001; here any account but root will do.
NOBODY = 65534


def _non_root() -> dict[str, Any]:
    """Popen arguments that run the command as `nobody` when the tests run as root."""
    return {"user": NOBODY, "group": NOBODY, "extra_groups": []} if os.geteuid() == 0 else {}


def _pins(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, version = line.split("==", 1)
            pins[name.strip().lower().replace("_", "-")] = version.split()[0]
    return pins


@pytest.fixture(scope="module")
def image_bin() -> Path:
    if not (IMAGE_BIN / "jobtask-server").exists():
        pytest.fail("no .venv-image: `make image-venv` builds it (make test does)")
    try:
        subprocess.run([IMAGE_BIN / "python", "-c", "pass"], check=True, cwd="/", **_non_root())
    except PermissionError:
        pytest.fail(
            f"{(IMAGE_BIN / 'python').resolve()} cannot be run by a non-root user: rebuild with "
            "a Python 3.11 outside /root (rm -rf .venv-image; make image-venv IMAGE_PYTHON=...)"
        )
    return IMAGE_BIN


def test_the_runtime_holds_exactly_the_tested_pins(image_bin: Path) -> None:
    frozen = subprocess.run(
        [image_bin / "python", "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installed = {k: v for k, v in _pins(frozen).items() if k not in {"jobtask", "pip"}}
    runtime = _pins((ROOT / "requirements" / "runtime.txt").read_text())
    dev = _pins((ROOT / "requirements" / "dev.txt").read_text())

    assert installed == runtime
    assert {name: dev.get(name) for name in runtime} == runtime, "runtime pins are the dev pins"


@pytest.fixture
def served(image_bin: Path, tmp_path: Path) -> Iterator[dict[str, str]]:
    with _serving(image_bin, tmp_path / "server.log") as environment:
        yield environment


@contextmanager
def _serving(image_bin: Path, log_path: Path, **settings: str) -> Iterator[dict[str, str]]:
    """jobtask-server from the image's runtime, as a non-root user, on the dev database, with
    `settings` added to its environment and its output in `log_path`."""
    database = start_database()
    grpc_port, http_port = free_port(), free_port()
    environment = {
        "PATH": f"{image_bin}:/usr/bin:/bin",
        "HOME": "/tmp",
        "MONGODB_URI": database.uri,
        "MONGODB_DATABASE": "image_check",
        "GRPC_PORT": str(grpc_port),
        "HTTP_PORT": str(http_port),
        "METRICS_PORT": "0",
        "JOBTASK_SERVER": f"127.0.0.1:{grpc_port}",
        "JOBTASK_DOMAIN_ID": "domain-000000000001",
        **settings,
    }
    log = log_path.open("wb")
    server = subprocess.Popen(
        [image_bin / "jobtask-server"],
        env=environment,
        cwd="/",
        stdout=log,
        stderr=subprocess.STDOUT,
        **_non_root(),
    )
    try:
        wait_health(grpc_port, SERVING, timeout=60)
        uid = next(
            line.split()[1]
            for line in Path(f"/proc/{server.pid}/status").read_text().splitlines()
            if line.startswith("Uid:")
        )
        assert uid != "0", "the server must run as a non-root user, as in the image"
        yield environment
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        database.stop()
    assert server.returncode == 0, log_path.read_text()


def _run(environment: dict[str, str], *command: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        env=environment,
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
        **_non_root(),
        check=False,
    )


def test_the_console_scripts_serve_check_health_and_call(
    served: dict[str, str], image_bin: Path
) -> None:
    health = _run(served, image_bin / "jobtask-healthcheck")
    assert health.returncode == 0, health.stderr

    created = _run(served, image_bin / "jobtask", "create", "--job-id", "job-1", "--json")
    assert created.returncode == 0, created.stderr
    task_id = json.loads(created.stdout)["job_task_id"]

    listed = _run(served, image_bin / "jobtask", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [t["job_task_id"] for t in json.loads(listed.stdout)["results"]] == [task_id]

    version = _run(served, image_bin / "jobtask", "--version")
    assert version.stdout.startswith("jobtask ")


def test_tracing_works_in_the_image(image_bin: Path, tmp_path: Path) -> None:
    # The image holds the otel extra: OTEL_ENABLED=true starts, and each call is a server span
    # with its MongoDB commands as children (printed by the console exporter).
    log_path = tmp_path / "server.log"
    with _serving(image_bin, log_path, OTEL_ENABLED="true", OTEL_EXPORTER="console") as served:
        listed = _run(served, image_bin / "jobtask", "list", "--json")
        assert listed.returncode == 0, listed.stderr
    spans = _json_objects(log_path.read_text())

    [call] = [s for s in spans if s.get("name") == "/spaceone.api.inventory.v1.JobTask/list"]
    database = [s for s in spans if s.get("attributes", {}).get("db.system") == "mongodb"]
    assert call["kind"] == "SpanKind.SERVER"
    assert call["context"]["trace_id"] in {s["context"]["trace_id"] for s in database}


def _json_objects(text: str) -> list[dict[str, Any]]:
    """The JSON objects in `text` (the console exporter prints each span over several lines)."""
    decoder = json.JSONDecoder()
    objects, position = [], 0
    while (start := text.find("{", position)) != -1:
        try:
            value, position = decoder.raw_decode(text, start)
        except ValueError:
            position = start + 1
            continue
        if isinstance(value, dict):
            objects.append(value)
    return objects
