"""The examples' runner (tests/support/readme.py) catches a broken example and names its line,
and runs every document that has examples."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.readme import DOCUMENTS, HARNESS, blocks, script

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


ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())


def _run(
    tmp_path: Path, last: str, document: str = "README.md"
) -> subprocess.CompletedProcess[str]:
    text = README.format(last=last)
    (tmp_path / "readme.sh").write_text(script(text, grpc_port=1, http_port=2, document=document))
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
        assert result.stdout.strip() == "README.md: all examples ran"
    else:
        assert result.returncode == 1
        assert message in result.stderr


def test_a_failure_names_the_document_it_is_in(tmp_path: Path) -> None:
    result = _run(tmp_path, "false", document="docs/cli.md")
    assert result.returncode == 1
    assert "docs/cli.md:21: this example failed: false" in result.stderr


def test_every_document_with_examples_to_run_is_run() -> None:
    def runs(path: Path) -> bool:
        return any(block.action != "skip" for block in blocks(path.read_text()))

    pages = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("**/*.md"))
    assert [page for page in pages if runs(ROOT / page) and page not in DOCUMENTS] == []
    assert [d for d in DOCUMENTS if not runs(ROOT / d)] == []
    assert DOCUMENTS[0] == "README.md"  # its `make demo` loads what the others read
