"""Call observation, for both edges: `Observation` measures each call (`metrics`) and logs its
line (`logs`) from what the edge saw of it (`jobtask.calls.invocation.Seen`).
The gRPC edge reads the outcome from the call's final status, the HTTP edge from what it
answered; neither maps errors again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from jobtask.calls.invocation import Rpc, Seen

if TYPE_CHECKING:
    from jobtask.observability.logs import CallLog
    from jobtask.observability.metrics import Metrics


class Observation:
    """Each call measured (metrics) and logged (call log), whichever edge it came over."""

    def __init__(self, metrics: Metrics | None = None, call_log: CallLog | None = None) -> None:
        self.metrics = metrics
        self.call_log = call_log

    @contextmanager
    def watching(self, rpc: Rpc, metadata: Iterable[tuple[str, Any]], seen: Seen) -> Iterator[None]:
        """One call, which ends as `seen` says by the end of the block. Entered where the call
        begins: an HTTP worker thread's context is copied from it, so the service's database
        commands land in its call log."""
        with ExitStack() as stack:
            if self.metrics is not None:
                stack.enter_context(self.metrics.measuring(rpc, seen))
            if self.call_log is not None:
                stack.enter_context(self.call_log.watching(rpc, metadata, seen))
            yield
