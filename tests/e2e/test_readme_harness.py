"""The README runner (tests/support/readme.py) catches a broken example and names its line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.readme import HARNESS, blocks, script

README = """# Title

<!-- readme-test: skip (terminal 1) -->
```sh
exit 7
```

```sh
X=$(echo one)
test "$X" = one
false   # FAILED_PRECONDITION: meant to fail
```
<!-- readme-test: serve A=1 B='two words' -->
```sh
A=1 make run
```
```python
raise SystemExit(1)
```
```sh
{last}
```
"""


def _run(tmp_path: Path, last: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "readme.sh").write_text(script(README.format(last=last), grpc_port=1, http_port=2))
    (tmp_path / "readme_harness.sh").write_text(HARNESS)
    environment = {**os.environ, "__NO_SERVER": "1"}
    return subprocess.run(
        ["bash", "readme.sh"], cwd=tmp_path, env=environment, capture_output=True, text=True
    )


def test_blocks_and_their_markers() -> None:
    found = blocks(README.format(last="true"))
    assert [(b.first_line, b.action) for b in found] == [
        (5, "skip"),
        (9, "run"),
        (15, "serve"),
        (21, "run"),
    ]
    assert found[2].environment == {"A": "1", "B": "two words"}


@pytest.mark.parametrize(
    ("last", "message"),
    [
        ("true", None),
        ("echo a | grep -q b", "README.md:21: this example failed: grep -q b"),
        ("Y=$(false)", "README.md:21: this example failed"),
        ("true   # NOT_FOUND: but it does not fail", "README.md:21: this example should fail"),
    ],
)
def test_a_broken_example_fails_naming_its_readme_line(
    tmp_path: Path, last: str, message: str | None
) -> None:
    result = _run(tmp_path, last)
    if message is None:
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "README examples: all ran"
    else:
        assert result.returncode == 1
        assert message in result.stderr
