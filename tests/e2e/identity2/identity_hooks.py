"""Loaded by SpaceONE identity 2.0.227 (in .venv-identity2, `-m tests/e2e/identity2`) as its own
authentication handler, imported with the handlers before any call's work: spaceone-core's
SpaceONEAuthenticationHandler, unchanged, given identity's system token once System.init has made
it; and core's Redis cache on fakeredis, an in-process Redis (core 2.x takes no cache backend class
from the configuration, only its engine, so the connection is replaced here).

Identity 2.x checks every authenticated call by asking itself (`Domain.get_public_key`, `App.check`)
with its configured system token (`TOKEN`), which only `System.init` can make. A deployment runs
System.init, writes the token into identity's configuration and restarts it; the tier's identity
keeps its data in memory (mongomock), so instead of a restart this handler reads the token from the
file the bootstrap writes it to (IDENTITY_SYSTEM_TOKEN_FILE), once, into the same `TOKEN` setting.
"""

import os
from pathlib import Path

import fakeredis
from spaceone.core import config
from spaceone.core.cache.redis_cache import RedisCache
from spaceone.core.handler.authentication_handler import SpaceONEAuthenticationHandler

_SERVER = fakeredis.FakeServer()
RedisCache._get_connection = lambda self, pool: fakeredis.FakeRedis(server=_SERVER)


class AuthenticationHandler(SpaceONEAuthenticationHandler):
    def verify(self, params: dict) -> None:
        if not config.get_global("TOKEN"):
            path = Path(os.environ["IDENTITY_SYSTEM_TOKEN_FILE"])
            if path.exists():
                config.set_global(TOKEN=path.read_text().strip())
        super().verify(params)
