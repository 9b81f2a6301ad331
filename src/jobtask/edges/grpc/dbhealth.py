"""The health service follows the database: NOT_SERVING while it does not answer a ping.

A background thread pings the database every DB_HEALTH_INTERVAL_SECONDS (each ping may take that
long) and flips "" and every served service between SERVING and NOT_SERVING, so that load
balancers and orchestrators route around an instance that cannot reach its database, and back
once it can. While it is down the pings follow each other without a pause (each waits up to the
interval), and calls fail at once with UNAVAILABLE (jobtask.storage.breaker), so worker threads stay
free for health checks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Protocol

from grpc_health.v1 import health, health_pb2

from jobtask.errors import JobTaskError

log = logging.getLogger(__name__)

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class Pingable(Protocol):
    def ping(self, *, timeout: float) -> None:
        """Return when the database answers within `timeout` seconds; raise JobTaskError if not."""


class DatabaseProbe:
    """Pings in a thread of its own between `start()` and `stop()`.

    `stop()` returns only once no status can be set any more, so a server that then enters its
    graceful shutdown (NOT_SERVING for good) is never turned back to SERVING by a late ping.
    """

    def __init__(
        self,
        database: Pingable,
        health_servicer: health.HealthServicer,
        services: Sequence[str],
        *,
        interval: float,
    ) -> None:
        self._database = database
        self._health = health_servicer
        self._services = tuple(services)
        self._interval = interval
        self._serving = True  # the server starts SERVING: it has just reached the database
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # orders a status change against stop()
        self._thread = threading.Thread(target=self._run, name="db-health", daemon=True)

    @property
    def serving(self) -> bool:
        return self._serving

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """No status is set after this returns; the thread ends after its ping (see `join`)."""
        with self._lock:
            self._stopping.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    def check(self) -> bool:
        """One ping; the health status follows it. True when the database answered."""
        try:
            self._database.ping(timeout=self._interval)
        except JobTaskError as error:
            self._follow(False, str(error))
            return False
        self._follow(True, "")
        return True

    def _follow(self, serving: bool, reason: str) -> None:
        with self._lock:
            if self._stopping.is_set() or serving == self._serving:
                return
            self._serving = serving
            for service in self._services:
                self._health.set(service, SERVING if serving else NOT_SERVING)
        if serving:
            log.info("the database answers again: health is SERVING")
        else:
            log.warning("the database does not answer (%s): health is NOT_SERVING", reason)

    def _run(self) -> None:
        while not self._stopping.is_set():
            started = time.monotonic()
            serving = self.check()
            # While the database is away, ping again at once (a failed ping took its `interval`
            # already): the waiting ping is what makes the driver look for the server every
            # half second, and what lets calls through again soon after it is back.
            pause = self._interval if serving else self._interval - (time.monotonic() - started)
            self._stopping.wait(max(0.0, pause))
