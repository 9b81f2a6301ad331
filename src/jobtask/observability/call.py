"""One call under observation: how it ended (`Ended`), a value its edge builds, and the `Watch`
the edge hands it to once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobtask.calls.invocation import UNMAPPED, Outcome
from jobtask.scope import Scope


@dataclass(frozen=True)
class Ended:
    """How one call ended, as its edge saw it."""

    outcome: Outcome = UNMAPPED
    request: Any = None
    response: Any = None
    scope: Scope | None = None  # once the access rules gave it
    http_status: int | None = None  # the HTTP edge's answer; None for a gRPC call


class Watch:
    """One call under observation. Until its edge says how it ended (`end`), it ended as
    `unanswered` says: a failure nobody mapped."""

    def __init__(self, unanswered: Ended) -> None:
        self.ended = unanswered

    def end(self, ended: Ended) -> None:
        self.ended = ended
