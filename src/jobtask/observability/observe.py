"""Call observation, for both edges: `Observation` measures each call (`metrics`) and logs its
line (`logs`). The edge that took the call hands it how the call ended, as a value (`Ended`), once:
the gRPC edge from the call's final status, the HTTP edge from what it answered; neither maps
errors again, and nothing below the edge writes into it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from jobtask.observability.call import Ended, Watch
from jobtask.rpcs import Rpc

if TYPE_CHECKING:
    from jobtask.observability.logs import CallLog
    from jobtask.observability.metrics import Metrics


class Observation:
    """Each call measured (metrics) and logged (call log), whichever edge it came over."""

    def __init__(self, metrics: Metrics | None = None, call_log: CallLog | None = None) -> None:
        self.metrics = metrics
        self.call_log = call_log

    @contextmanager
    def watching(
        self, rpc: Rpc, metadata: Iterable[tuple[str, Any]], unanswered: Ended | None = None
    ) -> Iterator[Watch]:
        """One call, which ends as the edge tells the `Watch` by the end of the block. Entered
        where the call begins: an HTTP worker thread's context is copied from it, so the
        service's database commands land in its call log."""
        watch = Watch(unanswered or Ended())
        with ExitStack() as stack:
            if self.metrics is not None:
                stack.enter_context(self.metrics.measuring(rpc, watch))
            if self.call_log is not None:
                stack.enter_context(self.call_log.watching(rpc, metadata, watch))
            yield watch
