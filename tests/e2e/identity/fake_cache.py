"""Loaded by SpaceONE identity (in .venv-identity, `spaceone grpc -m tests/e2e/identity`): its Redis
cache backend on fakeredis, an in-process Redis, as the cache of the identity tier's server."""

import fakeredis
from spaceone.core.cache.redis_cache import RedisCache

_SERVER = fakeredis.FakeServer()


class FakeRedisCache(RedisCache):
    def _get_connection(self, pool):
        return fakeredis.FakeRedis(server=_SERVER)
