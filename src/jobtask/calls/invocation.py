"""What one call is to the call layer, whichever edge took it: what it brings besides its message
(`Invocation`: metadata or headers, deadline, client certificate), and how it ended (`Outcome`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from jobtask.auth.permissions import Metadata
from jobtask.calls.status import Code, Status


def header_of(metadata: Metadata, name: str) -> str:
    """The first text value of `name` in a call's metadata (or HTTP headers), or ""."""
    for key, value in metadata:
        if key == name and isinstance(value, str):
            return value
    return ""


@dataclass(frozen=True)
class Invocation:
    """What an rpc reads of its call besides the message: the gRPC metadata or HTTP headers
    (keys in lower case), the deadline, and whether a verified client certificate came with it."""

    metadata: Sequence[tuple[str, str | bytes]] = ()
    deadline: float | None = None  # time.monotonic() seconds
    client_certificate: bool = False

    @classmethod
    def within(cls, seconds: float | None, metadata: Metadata, **kwargs: Any) -> Invocation:
        """A call with `seconds` left from now (None: no deadline)."""
        deadline = None if seconds is None else time.monotonic() + seconds
        return cls(tuple(metadata), deadline, **kwargs)

    def remaining(self) -> float | None:
        """Seconds left before the deadline, which bounds the database work; None if none."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    def header(self, name: str) -> str:
        """The first text value of `name` the client sent, or ""."""
        return header_of(self.metadata, name)


@dataclass(frozen=True)
class Outcome:
    code: Code
    error_code: str | None  # SpaceONE's, when the call failed with one

    @classmethod
    def of(cls, status: Status) -> Outcome:
        return cls(status.code, status.error_code)


# How a call ended that raised an exception nobody mapped (grpc answers UNKNOWN).
UNMAPPED: Final = Outcome(Code.UNKNOWN, None)
OK: Final = Outcome(Code.OK, None)
