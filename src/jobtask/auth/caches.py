"""The bounded caches of AUTH_MODE=spaceone: a TTL'd least-recently-used map (keys, verdicts) and
the token bucket that limits identity lookups."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from jobtask.errors import JobTaskError, PermissionDenied, Unauthenticated

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """A bounded least-recently-used map whose entries expire `ttl` seconds after being put."""

    def __init__(self, size: int, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._size = size
        self._ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: K, value: V) -> None:
        if self._ttl <= 0 or self._size <= 0:
            return
        with self._lock:
            self._entries[key] = (self._clock() + self._ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def kept_verdict(cache: TtlCache[K, V | JobTaskError], key: K, decide: Callable[[], V]) -> V:
    """Identity's verdict on `key`: the one `cache` keeps, else `decide()`'s, then kept. A refusal
    (PermissionDenied, Unauthenticated) is kept too, so that a refused token or app cannot make
    identity busy either, and is raised afresh each time; anything else `decide` raises (identity
    unreachable) is not kept."""
    verdict = cache.get(key)
    if verdict is None:
        try:
            verdict = decide()
        except (PermissionDenied, Unauthenticated) as refusal:
            verdict = refusal
        cache.put(key, verdict)
    if isinstance(verdict, JobTaskError):
        raise type(verdict)(verdict.message)
    return verdict


class RateLimit:
    """A token bucket: `rate` lookups a second, bursts of `burst`."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._at = clock()
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
            self._at = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True
