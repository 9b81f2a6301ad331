"""Every shell example of the README and of docs/, run in order as pasted, against a real server
process.

See tests/support/readme.py for the conventions (which documents run and in what order, which
blocks run, how a block that stands for `make run` restarts the test's server, how an example says
it is meant to fail). The examples need grpcurl (`make tools` builds the pinned one into
.tools/bin), curl, jq, openssl and SpaceONE's spacectl (`make clients`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pymongo
import pytest

from tests.support.processes import ROOT, free_port
from tests.support.readme import DOCUMENTS, HARNESS, script

TOOLS = ROOT / ".tools" / "bin"
SPACECTL = ROOT / ".venv-clients" / "1.12" / "bin"
SPACECTL_2X = ROOT / ".venv-clients" / "2.0" / "bin"  # SpaceONE 2.x's, for the 2.x examples
# What the examples find in their working directory: the checkout, less its state (.data) and
# history, so that the files they write (keys, query.yaml) land in a temporary directory.
SHARED = (
    ".venv",
    ".venv-clients",
    ".tools",
    "Makefile",
    "pyproject.toml",
    "requirements",
    "src",
    "proto",
    "tools",
)
# Bounds of all the documents together and of each one: a hung example fails the test, named.
TIMEOUT = 900
EACH = 300


@pytest.mark.timeout(TIMEOUT)
def test_the_readme_and_docs_examples_run_as_pasted(
    tmp_path: Path, mongodb_uri: str, database_name: str
) -> None:
    path = os.pathsep.join([str(TOOLS), os.environ.get("PATH", "")])
    missing = [
        tool for tool in ("grpcurl", "curl", "jq", "openssl") if not shutil.which(tool, path=path)
    ]
    assert not missing, f"the README examples need {missing}: `make tools` (grpcurl, jq)"
    for spacectl in (SPACECTL, SPACECTL_2X):
        assert (spacectl / "spacectl").exists(), "the spacectl examples need `make clients`"
    work = tmp_path / "checkout"
    work.mkdir()
    for name in SHARED:
        (work / name).symlink_to(ROOT / name)
    (tmp_path / "home").mkdir()  # spacectl's configuration goes there, not into the user's
    (work / "readme_harness.sh").write_text(HARNESS)
    log = tmp_path / "server.log"
    grpc_port, http_port = free_port(), free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("JOBTASK_", "MONGODB_"))},
        "PATH": path,
        "HOME": str(tmp_path / "home"),
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
        "__SERVER_STATE": str(tmp_path / "server.state"),
    }
    try:
        for number, document in enumerate(DOCUMENTS):
            text = (ROOT / document).read_text()
            name = f"examples-{number}.sh"
            (work / name).write_text(
                script(text, grpc_port=grpc_port, http_port=http_port, document=document)
            )
            _run(work, name, environment, document, log)
    finally:
        _stop_server(tmp_path / "server.state")
        with pymongo.MongoClient[dict[str, Any]](mongodb_uri) as client:
            client.drop_database(database_name)


def _stop_server(state: Path) -> None:
    """The server the last document left running (its pid is the state file's first line)."""
    if not state.exists():
        return
    pid = int(state.read_text().split()[0])
    with contextlib.suppress(ProcessLookupError, FileNotFoundError):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        # Until it is gone, or a zombie (its parent, a document's script, has ended).
        while Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z":
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                return
            time.sleep(0.1)


def _run(work: Path, name: str, environment: dict[str, str], document: str, log: Path) -> None:
    """One document's script, to its end, whatever way it ends (the server it leaves running
    serves the next document)."""
    # A session of its own: whatever way the script ends (a timeout, an interrupted run), its
    # process group goes with it, the server it started in the background included.
    script_run = subprocess.Popen(
        ["bash", name],
        cwd=work,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = script_run.communicate(timeout=EACH)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(script_run.pid, signal.SIGKILL)
        script_run.communicate()
    server_log = log.read_text() if log.exists() else ""
    assert script_run.returncode == 0, (
        f"{stderr[-3000:]}\n--- stdout (end)\n{stdout[-3000:]}\n"
        f"--- server log (end)\n{server_log[-2000:]}"
    )
    assert stdout.rstrip().endswith(f"{document}: all examples ran")
