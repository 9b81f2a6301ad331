"""Importing the CLI (as the demo does) leaves the process's environment alone; only the program
asks grpc for errors only."""

from __future__ import annotations

import os
import subprocess
import sys


def test_importing_the_cli_writes_no_environment_variable() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "GRPC_VERBOSITY"}
    script = (
        "import os, jobtask.cli, jobtask.cli.main, jobtask.cli.client\n"
        "print(os.environ.get('GRPC_VERBOSITY'))"
    )

    result = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None"
