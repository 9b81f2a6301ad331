"""The reachability breaker: once the database could not be reached, operations fail at once until
the driver sees a server again (the health probe's ping keeps looking), so an outage does not hold
every worker thread for the server selection timeout."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from jobtask.errors import StorageUnavailable
from jobtask.storage.driver import QUERY_REJECTIONS, translated_errors


class Breaker:
    """Open (refusing) from an operation that could not reach the database (a server selection
    that timed out, or a connection that failed) until `server_known` says the driver's monitor
    knows a server again, or a ping answers.

    (A dropped connection to a healthy server is not refused for long: the driver's monitor
    checks it again at once, and a known server closes the breaker.)
    """

    def __init__(self, server_known: Callable[[], bool]) -> None:
        self._server_known = server_known
        # Set when the database last could not be reached.
        self._unreachable = False

    @contextmanager
    def noting(
        self, rejected: Mapping[int, str] = QUERY_REJECTIONS, *, time_limit_ms: int | None = None
    ) -> Iterator[None]:
        """`translated_errors`, remembering that the database could not be reached."""
        try:
            with translated_errors(rejected, time_limit_ms=time_limit_ms):
                yield
        except StorageUnavailable:
            self._unreachable = True
            raise

    @contextmanager
    def reaching(
        self, rejected: Mapping[int, str] = QUERY_REJECTIONS, *, time_limit_ms: int | None = None
    ) -> Iterator[None]:
        """An operation: refused at once while the database is known to be unreachable (the last
        attempt could not reach it and the driver has seen no server since), else translated."""
        if self._unreachable:
            if not self._server_known():
                raise StorageUnavailable(
                    "the database is unreachable: no server has answered since the last attempt "
                    "failed; calls fail at once until one does"
                )
            self._unreachable = False
        with self.noting(rejected, time_limit_ms=time_limit_ms):
            yield

    def reached(self) -> None:
        """The database answered (a ping): operations go through again."""
        self._unreachable = False
