"""The database probe's own thread: it pings until stopped, and a ping answered once shutdown has
begun does not turn health SERVING. The rest, without a thread:
tests/unit/edges/grpc/test_dbhealth.py."""

from __future__ import annotations

import threading

from jobtask.edges.grpc.dbhealth import DatabaseProbe
from tests.unit.edges.grpc.test_dbhealth import (
    NOT_SERVING,
    SERVICES,
    Database,
    serving_health,
    statuses,
)


def test_the_thread_pings_until_stopped_and_then_ends() -> None:
    database, servicer = Database(), serving_health()
    probe = DatabaseProbe(database, servicer, SERVICES, interval=0.01)

    probe.start()
    database.pinged.wait(timeout=5)
    probe.stop()
    probe.join(timeout=5)

    assert database.pings >= 1
    assert not probe._thread.is_alive()


def test_a_ping_answered_after_shutdown_began_does_not_turn_health_serving() -> None:
    database, servicer = Database(), serving_health()
    probe = DatabaseProbe(database, servicer, SERVICES, interval=0.01)
    database.up = False
    probe.check()
    database.up, database.pinged = True, threading.Event()
    database.release.clear()  # the next ping hangs until released

    probe.start()
    database.pinged.wait(timeout=5)
    probe.stop()
    servicer.enter_graceful_shutdown()
    database.release.set()  # the database answers now, during the shutdown
    probe.join(timeout=5)

    assert statuses(servicer) == {NOT_SERVING}
    assert probe.serving is False
