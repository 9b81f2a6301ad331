"""SpaceONE's own inventory server (spaceone-inventory 1.12, built by `make reference` into
.venv-reference) over the bench's database: the reference issue #28 compares stat with.

`start_reference` writes tools/reference/inventory.yaml with the run's URI and database beside
the run's log and starts `spaceone grpc spaceone.inventory` on a free port, as SpaceONE's images
do, waiting until its health service answers. The 1.x wire is the same as ours, so the bench
calls it with our 1.x stubs (tools/bench.py's Line1). `same_answers` checks, before anything is
timed, that it answers the bench's queries as our server does.
"""

from __future__ import annotations

import json
import os
import string
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[1]
# BENCH_REFERENCE_VENV: another build of it (another Python, say).
VENV = Path(os.environ.get("BENCH_REFERENCE_VENV", ROOT / ".venv-reference"))
TEMPLATE = ROOT / "tools" / "reference" / "inventory.yaml"
# How long the reference may take to import its services and answer (a busy machine: ~5-15 s).
START_SECONDS = 120


def missing() -> str:
    """Why the reference server cannot run here ("" when it can)."""
    if not (VENV / ".installed").exists():
        return f"{VENV} is not built ('make reference' builds it)"
    return ""


def describe() -> str:
    """What the reference runs on: its versions, its Python and protobuf's implementation (the
    C++ one, as in SpaceONE's 1.12 images on Python 3.8, or pure Python, as on 3.11 where
    protobuf 3.20.3 has no wheel)."""
    packages = ("spaceone-inventory", "spaceone-core", "protobuf", "grpcio", "pymongo")
    script = (
        "import sys; from importlib.metadata import version; "
        "from google.protobuf.internal import api_implementation; "
        f"print(sys.version.split()[0], api_implementation.Type(), *map(version, {packages}))"
    )
    found = subprocess.run(
        [str(VENV / "bin" / "python"), "-c", script], capture_output=True, text=True, check=True
    )
    python, implementation, *versions = found.stdout.split()
    named = dict(zip(packages, versions, strict=True))
    named["protobuf"] += f" ({implementation})"
    return f"Python {python}, " + ", ".join(f"{name} {v}" for name, v in named.items())


def start_reference(uri: str, database: str, log: Path, port: int) -> subprocess.Popen[bytes]:
    """The reference inventory server on `port` over `database`, its log going to `log`; returns
    once its gRPC health check answers SERVING (or exits if it never does)."""
    log = log.resolve()
    config = log.with_suffix(".yaml")
    config.write_text(string.Template(TEMPLATE.read_text()).substitute(uri=uri, database=database))
    command = [str(VENV / "bin" / "spaceone"), "grpc", "spaceone.inventory"]
    with log.open("wb") as sink:
        # Its working directory goes on its sys.path (spaceone-core's command.py): not our tree.
        process = subprocess.Popen(
            [*command, "--port", str(port), "--config-file", str(config)],
            cwd=log.parent,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + START_SECONDS
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                    return process
            except grpc.RpcError:
                time.sleep(0.2)
    process.terminate()
    process.wait(timeout=30)
    raise SystemExit(f"the reference server did not start: see {log}")


def _shown(answer: Any) -> dict[str, Any]:
    """An answer as a dict, its rows (`results`) in a stable order: the per-status groups come
    in the engine's order from both servers (neither sorts them); the page of a list is the same
    page when its rows are the same. A row's keys are in no order (a Struct's are a map's: the
    C++ protobuf gives them otherwise than the pure-Python one)."""
    shown = json_format.MessageToDict(answer, preserving_proto_field_name=True)
    if "results" in shown:
        shown["results"] = sorted(shown["results"], key=lambda row: json.dumps(row, sort_keys=True))
    return shown


def same_answers(calls: dict[str, tuple[Callable[[], Any], Callable[[], Any]]]) -> list[str]:
    """name -> (our call, the reference's): the names whose answers differ, each with both."""
    differ = []
    for name, (ours, reference) in calls.items():
        mine, theirs = _shown(ours()), _shown(reference())
        if mine != theirs:
            differ.append(
                f"{name}:\n  ours:      {mine}"[:2000] + f"\n  reference: {theirs}"[:2000]
            )
    return differ
