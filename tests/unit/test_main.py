"""`python -m jobtask ensure-indexes`, the index step alone (the Helm chart's index Job), over
mongomock: what it prints, its refusal, its exit codes. (Run as a process from the chart's
rendered Job: tests/e2e/test_chart_config.py.)"""

from __future__ import annotations

from typing import Any

import mongomock
import pytest

from jobtask import __main__ as entry
from jobtask.errors import StorageUnavailable
from jobtask.storage import MongoJobTaskRepository


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> mongomock.MongoClient:
    client: mongomock.MongoClient = mongomock.MongoClient()
    monkeypatch.setenv("MONGODB_DATABASE", "inventory")
    monkeypatch.setattr(
        entry,
        "connect_with",
        lambda _settings: (client, MongoJobTaskRepository(client["inventory"]["job_task"])),
    )
    return client


def test_ensure_indexes_creates_them_and_prints_their_names(
    client: mongomock.MongoClient, capsys: pytest.CaptureFixture[str]
) -> None:
    assert entry.ensure_indexes([]) == 0

    [line] = capsys.readouterr().out.splitlines()
    created = set(client["inventory"]["job_task"].index_information()) - {"_id_"}
    assert line.startswith("jobtask: indexes on inventory.job_task: ")
    assert set(line.rsplit(": ", 1)[1].split(", ")) == created
    assert "job_task_id_1" in created


def test_ensure_indexes_that_fail_print_one_line_and_exit_1(
    client: mongomock.MongoClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def unavailable(*_args: Any, **_kwargs: Any) -> list[str]:
        raise StorageUnavailable("database unavailable")

    monkeypatch.setattr(MongoJobTaskRepository, "ensure_indexes", unavailable)

    assert entry.ensure_indexes([]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("jobtask: cannot prepare the job_task collection's indexes: ")


def test_ensure_indexes_with_a_bad_setting_exits_2(
    client: mongomock.MongoClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRPC_PORT", "99999")

    assert entry.ensure_indexes([]) == 2


def test_ensure_indexes_refuses_an_unknown_option(client: mongomock.MongoClient) -> None:
    with pytest.raises(SystemExit):
        entry.ensure_indexes(["--no-such-option"])
