"""The identity tier: SpaceONE's own identity service (spaceone-identity 1.10.4, unchanged, in
.venv-identity built by `make identity`) as a process of its own on a free loopback port, on
mongomock with a fakeredis cache (identity's own test set-up), and `python -m jobtask` with
AUTH_MODE=spaceone asking it. Tenants, roles, API keys and tokens are made through identity's own
API (tests/e2e/identity/bootstrap.py, in identity's venv); the tasks of the dataset are copied
into its domains and projects, and every expectation is computed from them.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pymongo
import pytest
from tests.support.dataset import TASKS
from tests.support.processes import (
    ROOT,
    SERVING,
    free_port,
    server_environment,
    start_server,
    wait_health,
)

HERE = Path(__file__).parent
VENV = ROOT / ".venv-identity"
IDENTITY_ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}
CONFIG = """GLOBAL:
  DATABASES:
    default: {{db: identity, host: "mongomock://localhost"}}
  CACHES:
    default: {{backend: fake_cache.FakeRedisCache}}
  HANDLERS:
    authentication:
    - backend: spaceone.core.handler.authentication_handler.AuthenticationGRPCHandler
      uri: grpc://127.0.0.1:{port}/v1/Domain/get_public_key
    authorization:
    - backend: spaceone.core.handler.authorization_handler.AuthorizationGRPCHandler
      uri: grpc://127.0.0.1:{port}/v1/Authorization/verify
    mutation:
    - backend: spaceone.core.handler.mutation_handler.SpaceONEMutationHandler
"""


def identity_bin(program: str, venv: Path = VENV) -> Path:
    """A program of identity's venv; fails (never skips) when `make identity` has not run."""
    path = venv / "bin" / program
    if not (venv / ".installed").exists() or not path.exists():
        pytest.fail(f"{path} is missing: run `make identity` (make test builds it)")
    return path


def run_bootstrap(plan: dict[str, Any], venv: Path = VENV, folder: Path = HERE) -> dict[str, Any]:
    """`folder`'s bootstrap.py run with `plan` in identity's `venv`: its JSON answer."""
    done = subprocess.run(
        [str(identity_bin("python", venv)), str(folder / "bootstrap.py"), json.dumps(plan)],
        capture_output=True,
        text=True,
        env=IDENTITY_ENV,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@dataclass
class Tenants:
    """What bootstrap.py made in identity, and the tasks stored for it."""

    endpoint: str
    first: dict[str, Any]
    second: dict[str, Any]
    tasks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def domain_id(self) -> str:
        return str(self.first["domain_id"])

    def token(self, user: str) -> str:
        return str(self.first["tokens"][f"{user}@example.com"])

    def project(self, name: str) -> str:
        return str(self.first["projects"][name])

    def in_projects(self, *names: str) -> list[dict[str, Any]]:
        wanted = {self.project(n) for n in names}
        return [t for t in self.tasks if t["project_id"] in wanted]

    def revoke(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        call = ["APIKey", method, params, self.first["owner_token"]]
        return run_bootstrap({"endpoint": self.endpoint, "call": call})


@contextlib.contextmanager
def identity_process(
    command: list[str], config: str, folder: Path, directory: Path, **environment: str
) -> Iterator[str]:
    """SpaceONE identity (`command` of its venv's `spaceone`, then `-p PORT -c CONFIG -m FOLDER`)
    serving gRPC on a free loopback port, with `config` (its `{port}` filled in) and its log in
    `directory`: its endpoint."""
    port = free_port()
    path = directory / "identity.yml"
    path.write_text(config.format(port=port))
    log = (path.parent / "identity.log").open("w")
    process = subprocess.Popen(
        [*command, "-p", str(port), "-c", str(path), "-m", str(folder)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**IDENTITY_ENV, **environment},
        cwd=path.parent,
    )
    try:
        wait_health(port, SERVING, timeout=90)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture(scope="session")
def identity(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenants]:
    """SpaceONE identity serving gRPC on a free loopback port, with the tier's tenants in it."""
    command = [str(identity_bin("spaceone")), "grpc", "spaceone.identity"]
    with identity_process(command, CONFIG, HERE, tmp_path_factory.mktemp("identity")) as endpoint:
        made = run_bootstrap({"endpoint": endpoint})
        yield Tenants(endpoint, made["first"], made["second"])


def tenant_tasks(tenants: Tenants) -> list[dict[str, Any]]:
    """The dataset's tasks in identity's first domain, spread over its projects a, b and c (and
    none); one in its second domain."""
    projects = [tenants.project("a"), tenants.project("b"), tenants.project("c"), None]
    tasks = []
    for index, task in enumerate(TASKS):
        copied = copy.deepcopy(task)
        copied.update(domain_id=tenants.domain_id, project_id=projects[index % len(projects)])
        tasks.append(copied)
    other = copy.deepcopy(TASKS[0])
    other.update(job_task_id="job_task-0the7d0ma1n0", domain_id=tenants.second["domain_id"])
    return [*tasks, other]


@dataclass
class Service:
    grpc_port: int
    http_port: int


def start_jobtask(uri: str, name: str, identity_endpoint: str, **overrides: str) -> Any:
    grpc_port, http_port = free_port(), free_port()
    environment = server_environment(
        uri,
        name,
        grpc_port,
        AUTH_ENABLED="true",
        AUTH_MODE="spaceone",
        IDENTITY_ENDPOINT=f"grpc://{identity_endpoint}",
        HTTP_ENABLED="true",
        HTTP_HOST="127.0.0.1",
        HTTP_PORT=str(http_port),
        GRPC_HOST="127.0.0.1",
        **overrides,
    )
    process = start_server(environment)
    wait_health(grpc_port, SERVING, timeout=30)
    return process, Service(grpc_port, http_port)


@contextlib.contextmanager
def serving(
    uri: str, name: str, tasks: list[dict[str, Any]], identity_endpoint: str, **overrides: str
) -> Iterator[Service]:
    """`start_jobtask` over a database of its own (`name`) holding `tasks`, dropped when done."""
    with pymongo.MongoClient[dict[str, Any]](uri) as mongo:
        mongo[name]["job_task"].insert_many([dict(t) for t in tasks])
    process, ports = start_jobtask(uri, name, identity_endpoint, **overrides)
    try:
        yield ports
    finally:
        process.terminate()
        process.wait(timeout=20)
        with pymongo.MongoClient[dict[str, Any]](uri) as mongo:
            mongo.drop_database(name)


@pytest.fixture(scope="session")
def service(identity: Tenants, mongodb_uri: str) -> Iterator[Service]:
    """`python -m jobtask` with AUTH_MODE=spaceone over the tenants' tasks, asking identity on
    every call (IDENTITY_VERIFY_TTL_SECONDS=0: a revocation shows at once)."""
    tasks = tenant_tasks(identity)
    identity.tasks = [t for t in tasks if t["domain_id"] == identity.domain_id]
    ttl = {"IDENTITY_VERIFY_TTL_SECONDS": "0"}
    name = f"test_identity_{uuid.uuid4().hex[:12]}"
    with serving(mongodb_uri, name, tasks, identity.endpoint, **ttl) as ports:
        yield ports


def until_recovered(call: Callable[[], Any], expected: Any, *, timeout: float = 30) -> None:
    """Calls until `call()` answers `expected`, each failure meanwhile UNAVAILABLE (the channel
    to identity reconnects by itself, within its capped backoff)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            assert call() == expected
            return
        except grpc.RpcError as error:
            assert error.code() is grpc.StatusCode.UNAVAILABLE
            assert time.monotonic() < deadline, f"no recovery within {timeout} s"
            time.sleep(0.2)


class Cut:
    """A loopback TCP relay in front of identity that can be cut (every connection closed, new
    ones refused) and restored on the same port: identity unreachable, and back."""

    def __init__(self, target: str) -> None:
        host, _, port = target.rpartition(":")
        self._target = (host, int(port))
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self.restore()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            if self._listener is not None:
                _shutdown(self._listener)  # wakes the accepting thread (close alone does not)
                self._listener.close()
                self._listener = None
            for sock in self._sockets:
                _shutdown(sock)
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._target)
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def channel(port: int) -> grpc.Channel:
    return grpc.insecure_channel(f"127.0.0.1:{port}")
