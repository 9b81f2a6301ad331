"""A SpaceONE 2.x server (SPACEONE_API=2) on port 0 over the database under test, with the writer,
and 2.x clients of it (`tests.support.client_2x`)."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from jobtask.edges.grpc.server import RunningServer
from jobtask.services.collector import WriterLimits
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository
from tests.integration.conftest import start_with_writer
from tests.support.client_2x import JobTaskClient2x, scope_metadata
from tests.support.dataset import DOMAIN


@pytest.fixture
def settings_2x(settings: Settings) -> Settings:
    return settings.model_copy(update={"spaceone_api": 2})


@pytest.fixture
def server_2x(settings_2x: Settings, repository: MongoJobTaskRepository) -> Iterator[RunningServer]:
    running = start_with_writer(settings_2x, repository, WriterLimits())
    yield running
    running.stop(grace=1)


@pytest.fixture
def channel_2x(server_2x: RunningServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{server_2x.port}") as channel:
        yield channel


@pytest.fixture
def client_2x(channel_2x: grpc.Channel) -> JobTaskClient2x:
    """A 2.x client of DOMAIN, scoped by its x_domain_id metadata."""
    return JobTaskClient2x(channel_2x, scope_metadata(DOMAIN))
