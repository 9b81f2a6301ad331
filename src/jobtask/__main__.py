"""python -m jobtask: Settings and security -> `bootstrap.build` (storage, services, both edges)
-> serve till a signal."""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Callable

from pydantic import ValidationError

from jobtask import bootstrap
from jobtask.auth.files import ConfigurationError
from jobtask.auth.security import load_security
from jobtask.observability.logs import configure_logging
from jobtask.observability.tracing import TracingUnavailable, start_tracing
from jobtask.settings import Settings

log = logging.getLogger("jobtask")


def load_settings() -> Settings | None:
    """Settings from the environment, or None after one clear line per bad variable."""
    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            name = str(problem["loc"][0]).upper() if problem["loc"] else "configuration"
            shown = "(hidden)" if name == "MONGODB_URI" else repr(problem.get("input"))
            print(f"jobtask: invalid {name}={shown}: {problem['msg']}", file=sys.stderr)
        return None


def on_stop_signals(poll_seconds: float = 0.05) -> Callable[[], int]:
    """Notes SIGTERM and SIGINT from now on; returns the wait for the first of them (its number).

    The handlers only append to a list. A handler runs on the main thread between two bytecodes,
    so one that takes a lock, as `threading.Event.set` does, deadlocks when a signal lands while
    that thread holds the lock: inside `Event.wait`, or inside the handler of a signal just before
    (`make run` forwards SIGTERM to the server beside the one a process group gets). Such a
    server never stopped."""
    received: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, _frame: received.append(number))

    def wait() -> int:
        while not received:
            time.sleep(poll_seconds)
        return received[0]

    return wait


def main() -> int:
    settings = load_settings()
    if settings is None:
        return 2
    try:
        security = load_security(settings, bootstrap.identity_client(settings))
    except ConfigurationError as error:
        print(f"jobtask: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        tracing = start_tracing(settings.otel_exporter) if settings.otel_enabled else None
    except TracingUnavailable as error:
        print(f"jobtask: {error}", file=sys.stderr)
        return 2
    try:
        app = bootstrap.build(settings, security, tracing)
    except OSError as error:
        log.error("cannot start: %s", error)
        return 1
    if not app.prepare_indexes():
        app.close_unstarted()
        return 1
    wait_for_stop = on_stop_signals()
    app.start()
    wait_for_stop()
    app.stop()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
