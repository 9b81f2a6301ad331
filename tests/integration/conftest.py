"""A real gRPC server on port 0 over the database under test (tests/support/database.py), and
channels and clients of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import grpc
import pytest

from jobtask.auth.security import load_security
from jobtask.edges.grpc.server import RunningServer
from jobtask.services.collector import JobTaskWriter, WriterLimits
from jobtask.services.reads import JobTaskService
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository
from tests.support.edges import build_server
from tests.support.independent_client import IndependentJobTaskClient


@pytest.fixture
def server(settings: Settings, repository: MongoJobTaskRepository) -> Iterator[RunningServer]:
    running = build_server(
        settings,
        JobTaskService(repository, max_page_size=settings.max_page_size),
        security=load_security(settings),
    )
    running.start()
    yield running
    running.stop(grace=1)


ServeWithWriter = Callable[..., grpc.Channel]


def start_with_writer(
    settings: Settings, repository: MongoJobTaskRepository, limits: WriterLimits
) -> RunningServer:
    """A started server with the reads and the writer API over `repository`."""
    writer = JobTaskWriter(repository, limits=limits, clock=lambda: datetime.now(UTC))
    running = build_server(
        settings,
        JobTaskService(repository, max_page_size=50),
        writer,
        security=load_security(settings),
    )
    running.start()
    return running


@pytest.fixture
def serve_with_writer(
    settings: Settings, repository: MongoJobTaskRepository
) -> Iterator[ServeWithWriter]:
    """Starts a server with the writer API under the given limits (and settings, by default the
    test's); a channel to it. Each is stopped after the test."""
    started: list[tuple[RunningServer, grpc.Channel]] = []

    def serve(limits: WriterLimits, server_settings: Settings | None = None) -> grpc.Channel:
        running = start_with_writer(server_settings or settings, repository, limits)
        channel = grpc.insecure_channel(f"127.0.0.1:{running.port}")
        started.append((running, channel))
        return channel

    yield serve
    for running, channel in started:
        channel.close()
        running.stop(grace=1)


@pytest.fixture
def channel(server: RunningServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield channel


@pytest.fixture
def client(channel: grpc.Channel) -> IndependentJobTaskClient:
    """A client built from the wire contract, not from this project's stubs."""
    return IndependentJobTaskClient(channel)
