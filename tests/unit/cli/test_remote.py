"""cli.remote.command: a body's own parameters, then the options every command shares."""

from __future__ import annotations

from typing import Annotated

import typer
from typer.testing import CliRunner

from jobtask.cli.remote import Remote, command

TaskId = Annotated[str, typer.Argument()]


def test_a_command_has_its_own_options_then_the_shared_ones_given_as_one_remote() -> None:
    app = typer.Typer()
    seen: list[tuple[str, Remote]] = []

    @command(app, "show")
    def show(task_id: TaskId, *, remote: Remote) -> None:
        """Show it."""
        seen.append((task_id, remote))

    result = CliRunner().invoke(
        app, ["t-1", "--server", "h:1", "--domain", "d", "--timeout", "2", "--json"]
    )

    assert result.exit_code == 0, result.output
    assert seen == [("t-1", Remote(server="h:1", domain="d", timeout=2.0, as_json=True))]
