"""python -m jobtask: Settings and security -> `bootstrap.build` (storage, services, both edges)
-> serve till a signal. Two operator steps on MONGODB_DATABASE's job_task collection, each run
alone: `python -m jobtask ensure-indexes` (the index step the server runs at start, as
INDEX_MANAGEMENT says; the Helm chart's index Job) and `python -m jobtask shard-collection
[--replace-spaceone-index]` (docs/scale-out.md)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from collections.abc import Callable, Sequence

from pydantic import ValidationError

from jobtask import bootstrap
from jobtask.auth.files import ConfigurationError
from jobtask.auth.security import load_security
from jobtask.errors import JobTaskError
from jobtask.observability.logs import configure_logging
from jobtask.observability.tracing import TracingUnavailable, start_tracing
from jobtask.settings import Settings, variable
from jobtask.storage import MongoJobTaskRepository, connect_with, failure_detail

log = logging.getLogger("jobtask")


def load_settings() -> Settings | None:
    """Settings from the environment, or None after one clear line per bad variable."""
    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            name = variable(problem["loc"])
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


def _run_step(
    settings: Settings, step: Callable[[MongoJobTaskRepository], Sequence[str]], failed: str = ""
) -> int:
    """An operator's step on the collection of the settings' database: prints each line of what
    was done (0), or `failed` and the error (1)."""
    client, repository = connect_with(settings)
    try:
        done = step(repository)
    except JobTaskError as error:
        detail = failure_detail(error)
        print(f"jobtask: {failed}{error}{f' ({detail})' if detail else ''}", file=sys.stderr)
        return 1
    finally:
        client.close()
    for line in done:
        print(f"jobtask: {line}")
    return 0


def ensure_indexes(argv: list[str]) -> int:
    """`ensure-indexes`: the job_task collection's indexes as the server would prepare them at
    start (`bootstrap.ensure_indexes`), then exit; run alone by the chart's index Job."""
    argparse.ArgumentParser(
        prog="python -m jobtask ensure-indexes",
        description="Create the job_task collection's indexes as the server does at start "
        "(INDEX_MANAGEMENT=owner also brings the TTL index in line), then exit.",
    ).parse_args(argv)
    settings = load_settings()
    if settings is None:
        return 2
    where = f"{settings.mongodb_database}.job_task"
    return _run_step(
        settings,
        lambda repository: [
            f"indexes on {where}: {', '.join(bootstrap.ensure_indexes(settings, repository))}"
        ],
        failed="cannot prepare the job_task collection's indexes: ",
    )


def shard_collection(argv: list[str]) -> int:
    """`shard-collection`: shard the job_task collection by {domain_id: "hashed"} (the database
    of MONGODB_URI and MONGODB_DATABASE, as the server would use); prints each step done."""
    parser = argparse.ArgumentParser(
        prog="python -m jobtask shard-collection",
        description="Shard the job_task collection by {domain_id: 'hashed'}, empty or holding "
        "data: creates the indexes of MONGODB_SHARDED=true, then runs shardCollection. "
        "Idempotent.",
    )
    parser.add_argument(
        "--replace-spaceone-index",
        action="store_true",
        help="drop SpaceONE's unique job_task_id_1 (after creating the unique "
        "{domain_id: 1, job_task_id: 1}): a sharded collection cannot keep it unique",
    )
    arguments = parser.parse_args(argv)
    settings = load_settings()
    if settings is None:
        return 2
    return _run_step(
        settings,
        lambda repository: repository.shard_collection(
            replace_spaceone_index=arguments.replace_spaceone_index
        ),
    )


def main() -> int:
    if sys.argv[1:2] == ["ensure-indexes"]:
        return ensure_indexes(sys.argv[2:])
    if sys.argv[1:2] == ["shard-collection"]:
        return shard_collection(sys.argv[2:])
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
