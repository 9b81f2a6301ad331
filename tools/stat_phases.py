"""Where one stat call's time goes, phase by phase, at one client (issue #28).

Runs the server (`python -m jobtask`, as `make bench` runs it) with timers around the phases of a
call, then one client alternates a stat (`--stat day`: failures per provider per day, the
default; `status`: tasks per status) over gRPC with the same command sent raw through pymongo
(the bench's "raw as sent" path), as `make bench` does at one client. Prints the client's p50
of both paths and, from the server, the p50 of each phase:

- the request's way in (the client's send to the gRPC worker starting the call) and the answer's
  way out (the worker done to the client holding the answer), on one monotonic clock: the
  client's send time travels in the call's metadata;
- inside the worker: waiting for the request message, the request -> `StatRequest`, the query on
  the engine (`MongoReads.aggregate`: pymongo's round trip, the same command the raw path sends),
  the service's own work around it (checks, plan, rows), the rows -> Struct, the call log's
  line, grpc serializing and sending the answer.

The timers wrap functions of grpcio's sync server (`grpc._server`, pinned in
requirements/dev.txt) and of this service; their own cost is a few microseconds per phase.
`--pin CPUS` runs the server under `taskset -c CPUS`. `--floor` measures gRPC's own round trip
instead: a grpcio server process, grpc-go (tools/floor, built by `make tools` into .tools/bin) and
a plain TCP socket, each answering 21 KB of bytes ready in advance (no service, no database), from
this one Python client (grpcio's, as SpaceONE's clients) in turns, back to back and with the raw
path's 10 ms between calls. Findings: docs/performance.md.

    .venv/bin/python tools/stat_phases.py --uri "$URI" --database bench_28_100k --calls 1000
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bench
import grpc
import pymongo
from google.protobuf import json_format

from spaceone.api.inventory.v1 import job_task_pb2, job_task_pb2_grpc

# Computed, not timed: service.stat's time less the engine's round trip inside it.
OWN = "service.stat less the engine's round trip"
# The phases in the order a call goes through them.
PHASES = (
    "waiting for the request message",
    "request -> StatRequest",
    "service.stat (all)",
    "the engine's round trip (aggregate)",
    OWN,
    "rows -> Struct",
    "the call log's line",
    "grpc serializes the answer",
    "grpc sends the answer (_status)",
)
STAMP = "x-phases-t0"  # the metadata key of the client's send time
OUT = "STAT_PHASES_OUT"  # the environment variable naming the server's phase file
WAY_IN, WAY_OUT = "request's way in (client send -> worker starts)", "answer's way out"


def serve() -> None:
    """The server with its phases timed: one JSON line per stamped call into $STAT_PHASES_OUT."""
    import grpc._server as grpc_server

    from jobtask.lines.v1 import answers, requests
    from jobtask.observability import logs
    from jobtask.services import reads
    from jobtask.storage import reads as storage_reads

    local = threading.local()

    def timed(owner: Any, name: str, phase: str) -> None:
        original = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                phases = getattr(local, "phases", None)
                if phases is not None:
                    phases[phase] = phases.get(phase, 0.0) + time.perf_counter() - started

        setattr(owner, name, wrapper)

    timed(grpc_server, "_status", "grpc sends the answer (_status)")
    timed(grpc_server, "_serialize_response", "grpc serializes the answer")
    timed(requests, "to_stat_request", "request -> StatRequest")
    timed(reads.JobTaskService, "stat", "service.stat (all)")
    timed(storage_reads.MongoReads, "aggregate", "the engine's round trip (aggregate)")
    timed(answers, "to_stat_struct", "rows -> Struct")
    timed(logs.CallLog, "_log", "the call log's line")

    unary_request = grpc_server._unary_request

    def request_thunk(*args: Any) -> Callable[[], Any]:
        thunk = unary_request(*args)

        def waited() -> Any:
            started = time.perf_counter()
            try:
                return thunk()
            finally:
                local.phases["waiting for the request message"] = time.perf_counter() - started

        return waited

    grpc_server._unary_request = request_thunk
    in_pool = grpc_server._unary_response_in_pool

    def call(rpc_event: Any, *args: Any) -> None:
        local.phases = {}
        started = time.perf_counter()
        try:
            in_pool(rpc_event, *args)
        finally:
            ended = time.perf_counter()
            sent = dict(rpc_event.invocation_metadata or ()).get(STAMP)
            if sent is not None:
                line = {"t0": sent, "start": started, "end": ended, "phases": local.phases}
                lines.append(json.dumps(line) + "\n")
            local.phases = None

    grpc_server._unary_response_in_pool = call
    lines: list[str] = []  # written when the server stops (SIGTERM), off the calls' path
    sys.argv = ["jobtask"]
    try:
        runpy.run_module("jobtask", run_name="__main__")
    finally:
        Path(os.environ[OUT]).write_text("".join(lines))


def measure(args: argparse.Namespace) -> None:
    bench.load(args.uri, args.database, args.count)
    domain = bench.domain_ids(bench.DOMAIN_COUNT)[0]
    collection = pymongo.MongoClient(args.uri)[args.database]["job_task"]
    with tempfile.TemporaryDirectory() as scratch:
        phases_file = Path(scratch) / "phases.jsonl"
        command: tuple[str, ...] = (sys.executable, str(Path(__file__).resolve()), "--serve")
        if args.pin:
            command = ("taskset", "-c", args.pin, *command)
        server, port = bench.start_server(
            args.uri,
            args.database,
            Path(scratch) / "server.log",
            settings={OUT: str(phases_file)},
            command=command,
        )
        try:
            client, raw, sent_at = _alternate(port, domain, collection, args.calls, args.stat)
        finally:
            server.terminate()
            server.wait()
        calls = [json.loads(line) for line in phases_file.read_text().splitlines()]
    _report(client, raw, sent_at, calls)


STATS = {
    "day": ("stat failures per provider per day", bench.PER_DAY),
    "status": ("stat tasks per status", bench.PER_STATUS),
}


def _alternate(
    port: int, domain: str, collection: Any, calls: int, stat: str
) -> tuple[list[float], list[float], dict[str, float]]:
    """The two paths called in turn, `calls` each (after 100 each to warm up)."""
    name, query = STATS[stat]
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    stub = job_task_pb2_grpc.JobTaskStub(channel)
    body = {"domain_id": domain, "query": query}
    message = json_format.ParseDict(body, job_task_pb2.JobTaskStatQuery())
    scenarios = bench.stat_scenarios(bench.Line1(channel, domain), collection, domain)
    raw_call = scenarios[name].via_raw
    for _ in range(100):
        stub.stat(message)
        raw_call(None)
    client: list[float] = []
    raw: list[float] = []
    received: dict[str, float] = {}
    for index in range(calls):
        for path in ("grpc", "raw") if index % 2 else ("raw", "grpc"):
            started = time.perf_counter()
            if path == "raw":
                raw_call(None)
                raw.append(time.perf_counter() - started)
                continue
            stub.stat(message, metadata=[(STAMP, repr(started))])
            received[repr(started)] = time.perf_counter()
            client.append(received[repr(started)] - started)
    channel.close()
    return client, raw, received


def _report(
    client: list[float], raw: list[float], received: dict[str, float], calls: list[Any]
) -> None:
    def p50(values: list[float]) -> float:
        return statistics.median(values) * 1000 if values else float("nan")

    stamped = [c for c in calls if c["t0"] in received]
    ways = {
        WAY_IN: [c["start"] - float(c["t0"]) for c in stamped],
        "the worker, in all": [c["end"] - c["start"] for c in stamped],
        WAY_OUT: [received[c["t0"]] - c["end"] for c in stamped],
    }
    seen = {name for c in stamped for name in c["phases"]}
    if not stamped or not seen.issuperset(set(PHASES) - {OWN}):
        # grpcio's internals moved (a new version), or the server's calls were not stamped.
        missing = sorted(set(PHASES) - {OWN} - seen)
        sys.exit(f"the server timed {len(stamped)} calls; phases never seen: {missing}")
    names = [name for name in PHASES if name in seen or name == OWN]
    names += sorted(seen - set(PHASES))
    phases = {
        name: [
            c["phases"].get("service.stat (all)", 0.0)
            - c["phases"].get("the engine's round trip (aggregate)", 0.0)
            if name == OWN
            else c["phases"].get(name, 0.0)
            for c in stamped
        ]
        for name in names
    }
    service, direct = p50(client), p50(raw)
    print(f"{len(client)} calls a path, alternating; p50 ms:")
    print(f"  stat over gRPC {service:8.3f}")
    ratio, on_top = service / direct, service - direct
    print(f"  raw as sent    {direct:8.3f}   ratio {ratio:.3f}, on top {on_top:.3f}")
    print("the call, p50 ms of each part (server clock = client clock):")
    for name, values in (*ways.items(), *phases.items()):
        print(f"  {name:<55}{p50(values):8.3f}")


# --floor: gRPC's own round trip, with nothing of this service in it.
FLOOR_ANSWER = b"x" * 21_000  # about the per-day stat's answer (300 rows)
GO_FLOOR = bench.ROOT / ".tools" / "bin" / "grpc-floor"  # the Makefile's $(GRPC_FLOOR)


def serve_floor(port: int) -> None:
    """A grpcio sync server whose one method answers FLOOR_ANSWER, serialized already."""
    from concurrent import futures

    def same(data: bytes) -> bytes:
        return data

    handler = grpc.unary_unary_rpc_method_handler(
        lambda request, context: FLOOR_ANSWER,
        request_deserializer=same,
        response_serializer=same,
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("floor.F", {"M": handler}),)
    )
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    server.wait_for_termination()


def serve_echo(port: int) -> None:
    """No gRPC: a TCP socket answering each read with FLOOR_ANSWER (what one more hop costs)."""
    with socket.create_server(("127.0.0.1", port)) as listener:
        connection, _ = listener.accept()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while connection.recv(64):
            connection.sendall(FLOOR_ANSWER)


def _tcp_call(port: int) -> Callable[[bytes], None]:
    """A call to serve_echo's socket, once it listens (it starts in a process of its own)."""
    for _ in range(300):
        try:
            connection = socket.create_connection(("127.0.0.1", port), timeout=30)
            break
        except ConnectionRefusedError:
            time.sleep(0.1)
    else:
        sys.exit(f"the socket server on port {port} did not start")
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def call(request: bytes) -> None:
        connection.sendall(b"?")
        received = 0
        while received < len(FLOOR_ANSWER):
            received += len(connection.recv(65536))

    return call


def floor(pin: str, calls: int, go_floor: Path) -> None:
    """The same trivial call to a grpcio server, to grpc-go (`go_floor`, when built) and to a
    TCP socket, from this one Python process (grpcio's client, as SpaceONE's clients), in turns:
    back to back, then with 10 ms after each call (the raw path's time at one client in the
    bench, when the server sits idle)."""
    self_command = [sys.executable, str(Path(__file__).resolve())]
    ports = {name: bench.free_port() for name in ("grpcio", "grpc-go", "tcp")}
    commands = {
        "grpcio": [*self_command, "--serve-floor", str(ports["grpcio"])],
        "tcp": [*self_command, "--serve-echo", str(ports["tcp"])],
    }
    if go_floor.exists():
        commands["grpc-go"] = [str(go_floor), str(ports["grpc-go"])]
    else:
        print(f"grpc-go: {go_floor} is not built (make tools), not measured")
    pinned = ["taskset", "-c", pin] if pin else []
    servers = [subprocess.Popen([*pinned, *command]) for command in commands.values()]
    channels = []
    try:
        paths: dict[str, Callable[[bytes], Any]] = {}
        for name in ("grpcio", "grpc-go"):
            if name in commands:
                channel = grpc.insecure_channel(f"127.0.0.1:{ports[name]}")
                channels.append(channel)
                grpc.channel_ready_future(channel).result(timeout=30)
                paths[f"{name} server"] = channel.unary_unary("/floor.F/M")
        paths["TCP socket, no gRPC"] = _tcp_call(ports["tcp"])
        _in_turns(paths, calls)
    finally:
        for channel in channels:
            channel.close()
        for server in servers:
            server.terminate()
            server.wait()


def _in_turns(paths: dict[str, Callable[[bytes], Any]], calls: int) -> None:
    """Each path called in turn, `calls` times (after 200 to warm up), without and with 10 ms
    after each call; prints each one's p50."""
    for _ in range(200):
        for call in paths.values():
            call(b"")
    for gap in (0.0, 0.010):
        latencies: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(calls):
            for name, call in paths.items():
                started = time.perf_counter()
                call(b"")
                latencies[name].append(time.perf_counter() - started)
                time.sleep(gap)
        between = f"{gap * 1000:.0f} ms between calls"
        for name, values in latencies.items():
            median = statistics.median(values) * 1000
            print(f"round trip, 21 KB answer, {between}, {name:<20}: p50 {median:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-floor", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--serve-echo", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument(
        "--floor", action="store_true", help="gRPC's own round trip (no database, no service)"
    )
    parser.add_argument(
        "--go-floor",
        type=Path,
        default=None,
        help=f"grpc-go's floor server, which must be there (default: {GO_FLOOR}, when built)",
    )
    parser.add_argument("--uri", default=os.environ.get("BENCH_MONGODB_URI", ""))
    parser.add_argument("--database", default="bench_stat_phases")
    parser.add_argument("--count", type=int, default=100_000, help="demo tasks to load")
    parser.add_argument("--calls", type=int, default=1000, help="calls a path")
    parser.add_argument("--stat", choices=sorted(STATS), default="day", help="which stat")
    parser.add_argument("--pin", default="", help="run the server under taskset -c PIN")
    args = parser.parse_args()
    if args.serve:
        serve()
    elif args.serve_floor:
        serve_floor(args.serve_floor)
    elif args.serve_echo:
        serve_echo(args.serve_echo)
    elif args.floor:
        if args.go_floor is not None and not args.go_floor.exists():
            sys.exit(f"--go-floor {args.go_floor}: not there (make tools builds it)")
        floor(args.pin, args.calls, args.go_floor or GO_FLOOR)
    elif not args.uri:
        sys.exit("--uri (or BENCH_MONGODB_URI): the engine to measure on")
    else:
        measure(args)


if __name__ == "__main__":
    main()
