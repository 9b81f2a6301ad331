"""compose.yaml without the public key: one clear failure before the server, not a restart loop."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KEYS = "/etc/jobtask/keys"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return document


def _check(compose: dict[str, Any], keys: Path) -> subprocess.CompletedProcess[str]:
    """The `keys` service's command, run by sh on `keys` instead of the mounted directory."""
    service = compose["services"]["keys"]
    [script] = service["command"]
    return subprocess.run(
        [*service["entrypoint"], script.replace(KEYS, str(keys))],
        env={"PATH": "/usr/bin:/bin"},  # no JOBTASK_KEYS_DIR: the default ./keys
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_server_starts_only_after_the_key_check_succeeded(compose: dict[str, Any]) -> None:
    server = compose["services"]["jobtask"]
    assert server["environment"]["AUTH_PUBLIC_KEYS"] == f"{KEYS}/jwt-public.pem"
    assert server["depends_on"]["keys"] == {"condition": "service_completed_successfully"}
    assert compose["services"]["keys"]["restart"] == "no"
    assert compose["services"]["keys"]["user"].split(":")[0] == "10001"


def test_no_key_is_one_line_saying_what_to_create(compose: dict[str, Any], tmp_path: Path) -> None:
    result = _check(compose, tmp_path)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert "no readable jwt-public.pem in ./keys: create it" in line


def test_a_key_passes(compose: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "jwt-public.pem").write_text("-----BEGIN PUBLIC KEY-----\n")
    assert _check(compose, tmp_path).returncode == 0
