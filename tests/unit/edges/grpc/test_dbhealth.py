"""The database probe: health follows pings, and never turns SERVING once shutdown has begun."""

from __future__ import annotations

import threading

from grpc_health.v1 import health, health_pb2

from jobtask.edges.grpc.dbhealth import DatabaseProbe
from jobtask.errors import StorageUnavailable

SERVICES = ("", "spaceone.api.inventory.v1.JobTask")
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class Database:
    """Answers pings while `up`; counts them; can hold a ping until released."""

    def __init__(self) -> None:
        self.up = True
        self.pings = 0
        self.pinged = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def ping(self, *, timeout: float) -> None:
        self.pings += 1
        self.pinged.set()
        self.release.wait(timeout=10)
        if not self.up:
            raise StorageUnavailable("the database is unreachable")


def statuses(servicer: health.HealthServicer) -> set[int]:
    return {servicer._server_status.get(name) for name in SERVICES}


def serving_health() -> health.HealthServicer:
    servicer = health.HealthServicer()
    for name in SERVICES:
        servicer.set(name, SERVING)
    return servicer


def test_health_follows_the_pings() -> None:
    database, servicer = Database(), serving_health()
    probe = DatabaseProbe(database, servicer, SERVICES, interval=1)

    database.up = False
    assert probe.check() is False
    assert statuses(servicer) == {NOT_SERVING}

    database.up = True
    assert probe.check() is True
    assert statuses(servicer) == {SERVING}


def test_stop_before_start_is_harmless() -> None:
    probe = DatabaseProbe(Database(), serving_health(), SERVICES, interval=1)

    probe.stop()
    probe.join()


class Pauses:
    """Stands in for the probe's stop event: records each pause, stops after `rounds`."""

    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        self.pauses: list[float] = []

    def is_set(self) -> bool:
        return len(self.pauses) >= self.rounds

    def set(self) -> None:
        self.rounds = 0

    def wait(self, timeout: float) -> bool:
        self.pauses.append(timeout)
        return self.is_set()


class SlowlyFailing(Database):
    """Down, and each ping takes `seconds` to fail, as a server selection does."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.up = False
        self.seconds = seconds

    def ping(self, *, timeout: float) -> None:
        threading.Event().wait(self.seconds)
        super().ping(timeout=timeout)


def _pauses(database: Database, interval: float, rounds: int = 3) -> list[float]:
    probe = DatabaseProbe(database, serving_health(), SERVICES, interval=interval)
    probe._stopping = Pauses(rounds)  # type: ignore[assignment]
    probe._run()
    return probe._stopping.pauses  # type: ignore[attr-defined]


def test_pings_are_an_interval_apart_while_the_database_answers() -> None:
    assert _pauses(Database(), interval=0.5) == [0.5, 0.5, 0.5]


def test_while_it_is_away_a_failed_ping_is_followed_by_the_next_at_once() -> None:
    # Each failed ping took its interval already: the driver keeps looking for the server.
    assert _pauses(SlowlyFailing(seconds=0.5), interval=0.5) == [0.0, 0.0, 0.0]


def test_pings_that_fail_at_once_are_still_an_interval_apart() -> None:
    database = Database()
    database.up = False

    assert all(0.25 < pause <= 0.5 for pause in _pauses(database, interval=0.5))
