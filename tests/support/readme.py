"""The shell examples of the README and of docs/, each document as one bash script, run in order
as a reader pastes them.

`DOCUMENTS` are run in that order against one database: the README first (its `make demo` loads
the tasks the others read), then each page of docs/ that has examples. A document assumes what
the README's "Try it" set up (the server, its demo tasks, grpcurl on PATH), and nothing that
another page of docs/ did: each runs in a bash process of its own, and starts against a server
with the test's default settings (the one running, when the document before left it so; else one
started afresh).

Conventions (an HTML comment on the line right above a ```sh fence; readers do not see it):

- every ```sh block of a document runs, in order, in ONE bash process, so a variable set by one
  block (`ID=$(...)`) is there in the next; other fences (```, ```python, ```yaml...) never run;
- `<!-- readme-test: skip (why) -->`: the block is not run (`make run` in terminal 1, docker);
- `<!-- readme-test: serve VAR=value ... -->`: the block is not run; it is a `make run` variant
  (e.g. `AUTH_ENABLED=true ... make run`), so at that point the test restarts ITS server with
  those variables added;
- a command expected to fail carries, on its one line, a comment naming the gRPC code it fails
  with (`jobtask cancel $ID   # FAILED_PRECONDITION: ...`): it must exit non-zero; every other
  command must exit 0 (curl runs with --fail-with-body, so an HTTP error status fails it).

The script keeps each block at its line numbers, so a failure names `docs/cli.md:<line>`.
`localhost:50051` and `localhost:8080` in the examples become the test server's ports.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Final

# The documents whose examples run, in this order (tests/e2e/test_readme_harness.py checks that
# every page of docs/ with a block to run is here).
DOCUMENTS: Final = (
    "README.md",
    "docs/queries.md",
    "docs/collector.md",
    "docs/cli.md",
    "docs/http.md",
    "docs/auth.md",
    "docs/spaceone-2x.md",
)
GRPC_CODES: Final = (
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
)
_FENCE: Final = re.compile(r"^```(\S*)\s*$")
_MARKER: Final = re.compile(r"^<!--\s*readme-test:\s*(skip|serve)\b(.*?)-->\s*$")
_EXPECTED_FAILURE: Final = re.compile(r"#\s*(" + "|".join(GRPC_CODES) + r")\b")


@dataclass
class Block:
    first_line: int  # README line number of the block's first line of code
    lines: list[str]
    action: str = "run"  # run, skip or serve
    environment: dict[str, str] = field(default_factory=dict)


def blocks(readme: str) -> list[Block]:
    """Every ```sh block with what its marker (if any) says to do with it."""
    found: list[Block] = []
    lines = readme.splitlines()
    number = 0
    while number < len(lines):
        fence = _FENCE.match(lines[number])
        if fence is None:
            number += 1
            continue
        end = next(i for i in range(number + 1, len(lines)) if lines[i].startswith("```"))
        if fence.group(1) == "sh":
            marker = _MARKER.match(lines[number - 1]) if number else None
            block = Block(first_line=number + 2, lines=lines[number + 1 : end])
            if marker is not None:
                block.action = marker.group(1)
                if block.action == "serve":
                    block.environment = dict(
                        word.split("=", 1) for word in shlex.split(marker.group(2))
                    )
            found.append(block)
        number = end + 1
    return found


def expected_failures(found: list[Block]) -> list[int]:
    """Line numbers of the commands that must fail."""
    return [
        block.first_line + offset
        for block in found
        if block.action == "run"
        for offset, line in enumerate(block.lines)
        if _EXPECTED_FAILURE.search(line)
    ]


def script(readme: str, *, grpc_port: int, http_port: int, document: str = "README.md") -> str:
    """A bash script: line 1 sources the harness (`readme_harness.sh`, beside it) and starts the
    server, then every block to run at its own line of `document`, and `__serve ...` where a
    serve block stands."""
    found = blocks(readme)
    out = [""] * (len(readme.splitlines()) + 2)
    failing = " ".join(str(n) for n in expected_failures(found))
    out[0] = (
        f'source "$(dirname "$0")/readme_harness.sh"; __DOC={shlex.quote(document)}; '
        f'__EXPECTED=" {failing} "; __serve'
    )
    for block in found:
        if block.action == "serve":
            settings = " ".join(f"{k}={shlex.quote(v)}" for k, v in block.environment.items())
            out[block.first_line - 1] = f"__serve {settings}"
        elif block.action == "run":
            for offset, line in enumerate(block.lines):
                line = line.replace("localhost:50051", f"localhost:{grpc_port}")
                out[block.first_line - 1 + offset] = line.replace(
                    "localhost:8080", f"localhost:{http_port}"
                )
    out[-1] = "__done"
    return "\n".join(out) + "\n"


HARNESS: Final = r"""# Sourced by each document's script (tests/support/readme.py): the trap that
# names a failed example, the server the examples talk to, and curl that fails on an HTTP error.
set -E -o pipefail
__FAILED=" "
__on_error() {
    local line=$1
    if [[ "$__EXPECTED" == *" $line "* ]]; then
        __FAILED="$__FAILED$line "
        return 0
    fi
    echo "$__DOC:$line: this example failed: $BASH_COMMAND" >&2
    exit 1
}
trap '__on_error $LINENO' ERR
curl() { command curl --fail-with-body -sS "$@" || return; echo; }
# The server outlives a document's script, for the next one: $__SERVER_STATE holds its pid, then
# the settings it was started with. `__serve VAR=value...` keeps it when those are the settings
# asked for, else stops it and starts one with them.
__alive() {  # not gone, nor a zombie (an earlier script, its parent, may have gone and left it)
    [[ -e /proc/$1 && "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]]
}
__stop() {
    local pid=$1 tenths=0
    kill -TERM "$pid" 2>/dev/null || return 0
    while __alive "$pid"; do
        (( tenths++ < 600 )) || { kill -KILL "$pid" 2>/dev/null; break; }
        sleep 0.1
    done
}
__serve() {
    [[ -n "${__NO_SERVER:-}" ]] && return 0  # tests of this harness itself
    local pid=""
    if [[ -s "$__SERVER_STATE" ]]; then
        pid=$(head -n 1 "$__SERVER_STATE")
        if [[ "$(tail -n +2 "$__SERVER_STATE")" == "$*" ]] && __alive "$pid"; then
            return 0
        fi
    fi
    trap - ERR
    [[ -n "$pid" ]] && __stop "$pid"
    # A session of its own, so that the end of this script (its process group) spares it.
    setsid env "$@" "$__PYTHON" -m jobtask >>"$__SERVER_LOG" 2>&1 </dev/null &
    printf '%s\n%s\n' "$!" "$*" >"$__SERVER_STATE"
    "$__PYTHON" -c 'import sys; from tests.support.processes import wait_health, SERVING
wait_health(int(sys.argv[1]), SERVING, timeout=60)' "$GRPC_PORT" || {
        echo "the server did not start ($*); end of its log:" >&2; tail -n 20 "$__SERVER_LOG" >&2
        exit 1
    }
    trap '__on_error $LINENO' ERR
}
__done() {
    trap - ERR
    local line
    for line in $__EXPECTED; do
        if [[ "$__FAILED" != *" $line "* ]]; then
            echo "$__DOC:$line: this example should fail (its comment says so) but did not" >&2
            exit 1
        fi
    done
    echo "$__DOC: all examples ran"
}
"""
