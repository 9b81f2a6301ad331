"""Each test's tier is its folder, and the marker of that name is set here, once:

- tests/unit: mirrors src/jobtask; no socket, no process, no database (mongomock is fine);
- tests/integration: a database, or a server on port 0;
- tests/e2e: processes: `python -m jobtask`, the CLI, SpaceONE's own clients and identity, the
  README's examples, the image's install;
- tests/contract: the wire, against a transcription of SpaceONE's published contract.

`pytest -m unit` (or a folder) selects a tier. A test that reaches the database under test (the
`mongodb_uri` fixture of tests/support/database.py) is also marked `database`: those are the tests
the real engine's run selects, the others would only repeat there what the emulator's run showed.
In tests/unit, a socket that connects or binds, or a process started, fails the test.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest

pytest_plugins = ["tests.support.database"]

HERE: Final = Path(__file__).parent
TIERS: Final = ("unit", "integration", "e2e", "contract")
# The fixture of tests/support/database.py through which a test reaches the database under test.
DATABASE_FIXTURE: Final = "mongodb_uri"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = item.path.relative_to(HERE).parts[0]
        if tier not in TIERS:
            raise pytest.UsageError(f"{item.nodeid}: a test lives in tests/<tier>, one of {TIERS}")
        item.add_marker(tier)
        if DATABASE_FIXTURE in getattr(item, "fixturenames", ()):
            item.add_marker("database")


def _refused(what: str) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"a unit test {what}: it belongs in tests/integration or tests/e2e")

    return refuse


@pytest.fixture(autouse=True)
def _unit_isolation(request: pytest.FixtureRequest) -> Iterator[None]:
    """In tests/unit: no socket that connects or binds, no process, no gRPC server."""
    if request.node.get_closest_marker("unit") is None:
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        for method in ("connect", "connect_ex", "bind"):
            patch.setattr(socket.socket, method, _refused("opened a socket"))
        patch.setattr(subprocess.Popen, "__init__", _refused("started a process"))
        if grpc := sys.modules.get("grpc"):
            patch.setattr(grpc, "server", _refused("started a gRPC server"))
        yield
