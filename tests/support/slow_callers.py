"""Callers that try to hold the server rather than crash it: a stat whose regex backtracks for
long, and HTTP requests sent by halves. Used by tests/e2e/test_hostile_runtime.py and by
`make reliability` (tools/hostile_load.py).
"""

from __future__ import annotations

from typing import Any, Final

# Nine characters that backtrack for long over a run of a's ending in "!": PCRE (the real
# engine) over 41 characters (it skips shorter strings by the pattern's minimum length), Java's
# engine (the dev database) over 23 (about 0.4 s a task; centuries over 41).
SLOW_PATTERN: Final = "(.*a){41}"
PCRE_SLOW_LENGTH: Final = 40
JAVA_SLOW_LENGTH: Final = 22

# Headers and the start of a body that says it has 100 bytes: the rest never comes.
HALF_SENT: Final = (
    b"POST /inventory/v1/job-tasks/search HTTP/1.1\r\nHost: x\r\n"
    b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"domain_id"'
)


def slow_documents(domain_id: str, count: int, length: int) -> list[dict[str, Any]]:
    """Tasks whose collector_id (an unindexed field: over an index the engine checks a pattern
    another way) SLOW_PATTERN takes long over."""
    return [
        {
            "job_task_id": f"job_task-slow{i:07d}",
            "domain_id": domain_id,
            "collector_id": "a" * length + "!",
        }
        for i in range(count)
    ]


def slow_stat(domain_id: str) -> dict[str, Any]:
    """A JobTaskStatQuery (proto JSON) that runs SLOW_PATTERN over every task of the domain."""
    return {
        "domain_id": domain_id,
        "query": {
            "filter": [{"k": "collector_id", "v": SLOW_PATTERN, "o": "regex"}],
            "aggregate": [{"count": {"name": "n"}}],
        },
    }
