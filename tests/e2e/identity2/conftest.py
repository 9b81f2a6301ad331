"""The identity 2.x tier: SpaceONE's own identity service 2.x (spaceone-identity 2.0.227, unchanged,
in .venv-identity2 built by `make identity`) as a process of its own on a free loopback port, on
mongomock with an in-process Redis, its own handlers asking itself with its system token
(identity_hooks.py). Domains, workspaces, projects, users of every role, apps and the tokens are
made through identity's own API (bootstrap.py, in identity's venv).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.identity.conftest import identity_bin, identity_process, run_bootstrap
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
