"""Every shell example of the README, run in order as pasted, against a real server process.

See tests/support/readme.py for the conventions (which blocks run, how a block that stands for
`make run` restarts the test's server, how an example says it is meant to fail). The examples
need grpcurl (`make tools` builds the pinned one into .tools/bin), curl and jq.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pymongo
import pytest

from tests.support.processes import ROOT, free_port
from tests.support.readme import HARNESS, script

TOOLS = ROOT / ".tools" / "bin"
# What the examples find in their working directory: the checkout, less its state (.data) and
# history, so that the files they write (keys, query.yaml) land in a temporary directory.
SHARED = (".venv", ".tools", "Makefile", "pyproject.toml", "requirements", "src", "proto", "tools")


@pytest.mark.timeout(600)
def test_the_readme_examples_run_as_pasted(
    tmp_path: Path, mongodb_uri: str, database_name: str
) -> None:
    path = os.pathsep.join([str(TOOLS), os.environ.get("PATH", "")])
    missing = [
        tool for tool in ("grpcurl", "curl", "jq", "openssl") if not shutil.which(tool, path=path)
    ]
    assert not missing, f"the README examples need {missing}: `make tools` (grpcurl, jq)"
    work = tmp_path / "checkout"
    work.mkdir()
    for name in SHARED:
        (work / name).symlink_to(ROOT / name)
    grpc_port, http_port = free_port(), free_port()
    (work / "readme.sh").write_text(
        script((ROOT / "README.md").read_text(), grpc_port=grpc_port, http_port=http_port)
    )
    (work / "readme_harness.sh").write_text(HARNESS)
    log = tmp_path / "server.log"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("JOBTASK_", "MONGODB_"))},
        "PATH": path,
        "PYTHONPATH": str(ROOT),
        "MONGODB_URI": mongodb_uri,
        "MONGODB_DATABASE": database_name,
        "GRPC_PORT": str(grpc_port),
        "HTTP_PORT": str(http_port),
        "METRICS_PORT": "0",
        "LOG_LEVEL": "WARNING",
        "JOBTASK_SERVER": f"localhost:{grpc_port}",
        "__PYTHON": sys.executable,
        "__SERVER_LOG": str(log),
    }
    # A session of its own: whatever way the script ends (a timeout, an interrupted run), its
    # process group goes with it, the server it started in the background included.
    script_run = subprocess.Popen(
        ["bash", "readme.sh"],
        cwd=work,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = script_run.communicate(timeout=540)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(script_run.pid, signal.SIGKILL)
        script_run.communicate()
        with pymongo.MongoClient[dict[str, Any]](mongodb_uri) as client:
            client.drop_database(database_name)
    server_log = log.read_text() if log.exists() else ""
    assert script_run.returncode == 0, (
        f"{stderr[-3000:]}\n--- stdout (end)\n{stdout[-3000:]}\n"
        f"--- server log (end)\n{server_log[-2000:]}"
    )
    assert stdout.rstrip().endswith("README examples: all ran")
