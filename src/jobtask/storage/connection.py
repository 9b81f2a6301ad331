"""Connecting: a pymongo client configured by the MONGODB_* settings, the repository over its
`job_task` collection, and the observers told of each database command."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol

import pymongo
from pymongo import monitoring

from jobtask.settings import Settings
from jobtask.storage.repository import MongoJobTaskRepository

COLLECTION: Final[str] = "job_task"


class CommandObserver(Protocol):
    """Told of each database command in the thread that runs it (metrics, the slow-call log).

    `command` holds the request's values: an observer that keeps or logs it redacts them.
    """

    def command_started(self, name: str, command: Mapping[str, Any]) -> None: ...

    def command_finished(self, name: str, seconds: float, *, failed: bool) -> None: ...


class _CommandListener(monitoring.CommandListener):
    def __init__(self, observer: CommandObserver) -> None:
        self._observer = observer

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self._observer.command_started(event.command_name, event.command)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._observer.command_finished(
            event.command_name, event.duration_micros / 1e6, failed=False
        )

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._observer.command_finished(
            event.command_name, event.duration_micros / 1e6, failed=True
        )


def connect(
    uri: str,
    database: str,
    *,
    connect_timeout_ms: int,
    server_selection_timeout_ms: int,
    operation_timeout_ms: int,
    max_pool_size: int,
    send_max_time_ms: bool = True,
    observers: Sequence[CommandObserver] = (),
) -> tuple[pymongo.MongoClient[dict[str, Any]], MongoJobTaskRepository]:
    """A client (no I/O until first use) and the repository over its `job_task` collection;
    `send_max_time_ms=False`: no operation carries maxTimeMS (`driver.within`)."""
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        uri,
        connectTimeoutMS=connect_timeout_ms,
        serverSelectionTimeoutMS=server_selection_timeout_ms,
        # A hung server or network must not hold a call forever (operations also carry maxTimeMS,
        # unless MONGODB_SEND_MAX_TIME_MS=false: then this alone bounds the wait for an answer).
        socketTimeoutMS=operation_timeout_ms + 1000,
        maxPoolSize=max_pool_size,
        appname="jobtask",
        # A stored document must never fail to decode: a date beyond Python's range comes back
        # as a DatetimeMS, a string that is not UTF-8 with replacement characters (both are then
        # rendered by the API's one rendering path, jobtask.lines.v1.requests).
        datetime_conversion="DATETIME_AUTO",
        unicode_decode_error_handler="replace",
        event_listeners=[_CommandListener(observer) for observer in observers],
    )
    collection = client[database][COLLECTION]
    repository = MongoJobTaskRepository(
        collection,
        operation_timeout=operation_timeout_ms / 1000,
        selection_timeout=server_selection_timeout_ms / 1000,
        send_max_time_ms=send_max_time_ms,
    )
    return client, repository


def connect_with(
    settings: Settings, *, observers: Sequence[CommandObserver] = ()
) -> tuple[pymongo.MongoClient[dict[str, Any]], MongoJobTaskRepository]:
    """`connect` configured by the MONGODB_* settings."""
    return connect(
        settings.mongodb_uri.get_secret_value(),
        settings.mongodb_database,
        connect_timeout_ms=settings.mongodb_connect_timeout_ms,
        server_selection_timeout_ms=settings.mongodb_server_selection_timeout_ms,
        operation_timeout_ms=settings.mongodb_operation_timeout_ms,
        max_pool_size=settings.mongodb_max_pool_size,
        send_max_time_ms=settings.mongodb_send_max_time_ms,
        observers=observers,
    )
