"""Call observation, for both edges: what an edge saw of one call (`Seen`), how it ended
(`Outcome`), and `Observation`, which measures it (`jobtask.rpc.metrics`) and logs its line
(`jobtask.rpc.logs`). The gRPC edge reads the outcome from the call's final status, the HTTP edge
from what it answered; neither maps errors again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from jobtask.rpc.calls import Rpc
from jobtask.rpc.status import Code, Status, status_of
from jobtask.scope import Scope

if TYPE_CHECKING:
    from jobtask.rpc.logs import CallLog
    from jobtask.rpc.metrics import Metrics


@dataclass(frozen=True)
class Outcome:
    code: Code
    error_code: str | None  # SpaceONE's, when the call failed with one


# How a call ended that raised an exception nobody mapped (grpc answers UNKNOWN).
UNMAPPED: Final = Outcome(Code.UNKNOWN, None)
OK: Final = Outcome(Code.OK, None)


@dataclass
class Seen:
    """What an edge saw of one call, filled in as it goes; until then, a failure nobody mapped."""

    outcome: Outcome = UNMAPPED
    request: Any = None
    response: Any = None
    scope: Scope | None = None  # once the access rules gave it
    http_status: int | None = None  # the HTTP edge's answer; None for a gRPC call

    def answered(self, response: Any) -> Any:
        """The call succeeded with `response`."""
        self.response = response
        self.outcome = OK
        return response

    def failed(self, error: BaseException, what: str) -> Status:
        """The call raised `error`: its answer (`jobtask.rpc.status`), noted as its outcome."""
        status = status_of(error, what)
        self.outcome = Outcome(status.code, status.error_code)
        return status


class Observation:
    """Each call measured (metrics) and logged (call log), whichever edge it came over."""

    def __init__(self, metrics: Metrics | None = None, call_log: CallLog | None = None) -> None:
        self.metrics = metrics
        self.call_log = call_log

    @property
    def enabled(self) -> bool:
        return self.metrics is not None or self.call_log is not None

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
