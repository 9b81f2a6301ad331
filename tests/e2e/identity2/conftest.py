"""The identity 2.x tier: SpaceONE's own identity service 2.x (spaceone-identity 2.0.227, unchanged,
in .venv-identity2 built by `make identity`) as a process of its own on a free loopback port, on
mongomock with an in-process Redis, its own handlers asking itself with its system token
(identity_hooks.py). Domains, workspaces, projects, users of every role, apps and the tokens are
made through identity's own API (bootstrap.py, in identity's venv).
"""

from __future__ import annotations

import base64
import copy
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from tests.e2e.identity.conftest import (
    Service,
    identity_bin,
    identity_process,
    run_bootstrap,
    serving,
)
from tests.support.client_2x import JobTaskClient2x
from tests.support.dataset import TASKS
from tests.support.processes import ROOT

HERE = Path(__file__).parent
VENV = ROOT / ".venv-identity2"
# Identity's own handlers (core 2.x's: authentication asks identity itself, with its TOKEN), as
# SpaceONE deploys identity 2.x; its database in memory and its cache an in-process Redis.
CONFIG = """GLOBAL:
  DATABASES:
    default: {{engine: MongoModel, db: identity, host: "mongomock://localhost", username: mock}}
  CACHES:
    default: {{engine: RedisCache}}
  HANDLERS:
    authentication:
    - backend: identity_hooks:AuthenticationHandler
    authorization:
    - backend: spaceone.core.handler.authorization_handler:SpaceONEAuthorizationHandler
    mutation:
    - backend: spaceone.core.handler.mutation_handler:SpaceONEMutationHandler
  CONNECTORS:
    SpaceConnector:
      endpoints:
        identity: grpc://127.0.0.1:{port}
"""


def claims(token: str) -> dict[str, Any]:
    """A JWT's payload, unverified."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


@dataclass
class Tenants2:
    """What bootstrap.py made in identity 2.x, and the tasks stored for it."""

    endpoint: str
    system_token: str
    first: dict[str, Any]
    second: dict[str, Any]
    tasks: list[dict[str, Any]] = field(default_factory=list)
    database: str = ""  # the service's (service2)

    @property
    def domain_id(self) -> str:
        return str(self.first["domain_id"])

    def token(self, user: str) -> str:
        """The access token of `user` (admin, owner, member, grouped, bare, reader, stranger,
        nobody) of the first domain."""
        return str(self.first["tokens"][user])

    def app(self, name: str) -> str:
        """The client secret (2.x's API key) of app `name` (admin, member, spare, expired)."""
        return str(self.first["apps"][name]["client_secret"])

    def project(self, name: str) -> str:
        return str(self.first["projects"][name])

    def workspace(self, name: str) -> str:
        return str(self.first["workspaces"][name])

    def where(self, workspace: str, *projects: str | None) -> list[dict[str, Any]]:
        """The first domain's tasks of a workspace (`one`, `two`), of `projects` when named (None:
        the tasks of no project)."""
        wanted = {None if p is None else self.project(p) for p in projects}
        return [
            t
            for t in self.tasks
            if t["workspace_id"] == self.workspace(workspace)
            and (not projects or t["project_id"] in wanted)
        ]

    def call(self, service: str, method: str, params: dict[str, Any], **meta: str) -> Any:
        """One call of identity's API with the system token: {"ok": true} or {"error": code}."""
        plan = {"endpoint": self.endpoint, "system_token": self.system_token}
        return run_bootstrap({**plan, "call": [service, method, params, meta]}, VENV, HERE)


@pytest.fixture(scope="session")
def identity2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenants2]:
    """SpaceONE identity 2.x serving gRPC on a free loopback port, with the tier's tenants in it."""
    directory = tmp_path_factory.mktemp("identity2")
    token_file = directory / "system-token"
    command = [str(identity_bin("spaceone", VENV)), "run", "grpc-server", "spaceone.identity"]
    environment = {"IDENTITY_SYSTEM_TOKEN_FILE": str(token_file)}
    with identity_process(command, CONFIG, HERE, directory, **environment) as endpoint:
        plan = {"endpoint": endpoint, "token_file": str(token_file)}
        made = run_bootstrap(plan, VENV, HERE)
        yield Tenants2(endpoint, made["system_token"], made["first"], made["second"])


# Where the dataset's tasks go in the first domain, in turn: (workspace, project).
SLOTS = [("one", "a"), ("one", "b"), ("one", "c"), ("one", None), ("two", "d"), ("two", None)]


def tenant_tasks(tenants: Tenants2) -> list[dict[str, Any]]:
    """The dataset's tasks in identity's first domain, spread over its workspaces and projects
    (`SLOTS`); one in its second domain."""
    tasks = []
    for index, task in enumerate(TASKS):
        workspace, project = SLOTS[index % len(SLOTS)]
        copied = copy.deepcopy(task)
        copied.update(
            domain_id=tenants.domain_id,
            workspace_id=tenants.workspace(workspace),
            project_id=project and tenants.project(project),
        )
        tasks.append(copied)
    other = copy.deepcopy(TASKS[0])
    other.update(
        job_task_id="job_task-0the7d0ma1n0",
        domain_id=tenants.second["domain_id"],
        workspace_id="workspace-0f0the7d0ma1",
    )
    return [*tasks, other]


@pytest.fixture(scope="session")
def service2(identity2: Tenants2, mongodb_uri: str) -> Iterator[Service]:
    """`python -m jobtask` serving the 2.x line with AUTH_MODE=spaceone over the tenants' tasks,
    asking identity 2.x with its system token (IDENTITY_TOKEN), App.check on every call
    (IDENTITY_VERIFY_TTL_SECONDS=0: a disabled app shows at once)."""
    tasks = tenant_tasks(identity2)
    identity2.tasks = [t for t in tasks if t["domain_id"] == identity2.domain_id]
    identity2.database = f"test_identity2_{uuid.uuid4().hex[:12]}"
    with serving(
        mongodb_uri, identity2.database, tasks, identity2.endpoint, **line2(identity2)
    ) as ports:
        yield ports


def line2(identity2: Tenants2) -> dict[str, str]:
    """The settings of a 2.x process asking identity 2.x (App.check on every call)."""
    return {
        "SPACEONE_API": "2",
        "IDENTITY_TOKEN": identity2.system_token,
        "IDENTITY_VERIFY_TTL_SECONDS": "0",
    }


@pytest.fixture
def jobtask2(service2: Service) -> Iterator[JobTaskClient2x]:
    """A 2.x client of the service (its calls give their own metadata: `as_` below)."""
    with grpc.insecure_channel(f"127.0.0.1:{service2.grpc_port}") as channel:
        yield JobTaskClient2x(channel)


def as_(token: str | None, **scope: str) -> list[tuple[str, str]]:
    """A call's metadata: the token, and x_domain_id / x_workspace_id as `scope` names them."""
    metadata = [] if token is None else [("token", token)]
    return metadata + [(f"x_{key}", value) for key, value in scope.items()]
