"""`devdb.sh` and `make run` when the default port is taken or a dev database already runs.

devdb.sh keeps its state under <repo>/.data, so each test runs a copy of the script and the built
jar in a temporary tree: the developer's own dev database is never touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import JAR, ROOT, SERVING, free_port, wait_health


@pytest.fixture
def devdb(tmp_path: Path) -> Iterator[Path]:
    """A copy of devdb.sh (and its jar) in a tree of its own; its server is stopped afterwards."""
    script = tmp_path / "tools" / "devdb" / "devdb.sh"
    (script.parent / "target").mkdir(parents=True)
    shutil.copy2(ROOT / "tools" / "devdb" / "devdb.sh", script)
    shutil.copy2(JAR, script.parent / "target" / "devdb.jar")
    yield script
    subprocess.run([script, "stop"], capture_output=True, timeout=60, check=False)


def _run(script: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env}
    return subprocess.run(
        [script, *args], env=environment, capture_output=True, text=True, timeout=90, check=False
    )


def test_a_taken_port_is_one_line_that_says_how_to_pick_another(devdb: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run(devdb, "start", DEVDB_PORT=str(port))

    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert f"127.0.0.1:{port} is already in use" in line
    assert "DEVDB_PORT=" in line and "MONGODB_URI=" in line
    assert _run(devdb, "uri").returncode == 3


def test_the_uri_is_that_of_the_running_database_whatever_port_is_asked_next(devdb: Path) -> None:
    port = free_port()
    assert _run(devdb, "start", DEVDB_PORT=str(port)).returncode == 0
    uri = f"mongodb://127.0.0.1:{port}"
    assert _run(devdb, "uri").stdout.strip() == uri

    again = _run(devdb, "start", "--port", str(free_port()))
    assert again.returncode == 0
    assert f"already running on 127.0.0.1:{port}" in again.stdout
    assert _run(devdb, "uri").stdout.strip() == uri

    assert _run(devdb, "stop").returncode == 0
    assert _run(devdb, "uri").returncode == 3


def test_make_run_serves_from_the_dev_database_on_the_port_it_runs_on(devdb: Path) -> None:
    db_port, grpc_port = free_port(), free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"MONGODB_URI", "MAKEFLAGS", "MFLAGS"}
    }
    environment.update(
        GRPC_PORT=str(grpc_port), HTTP_ENABLED="false", METRICS_PORT="0", LOG_LEVEL="WARNING"
    )
    make = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"DEVDB={devdb}", f"DEVDB_PORT={db_port}"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        wait_health(grpc_port, SERVING, timeout=40)
    finally:
        os.killpg(make.pid, signal.SIGTERM)
        output, _ = make.communicate(timeout=15)
        print(output)
    assert f"jobtask: using the dev database at mongodb://127.0.0.1:{db_port}" in output
