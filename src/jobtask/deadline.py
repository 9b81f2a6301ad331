"""A call's deadline as the several database operations of one use case see it."""

from __future__ import annotations

import time
from collections.abc import Callable


def countdown(timeout: float | None) -> Callable[[], float | None]:
    """The seconds left of a call's `timeout` each time it is asked (None: no deadline), so that
    a use case of several database operations is bounded as a whole, not each one afresh."""
    if timeout is None:
        return lambda: None
    deadline = time.monotonic() + timeout
    return lambda: deadline - time.monotonic()
