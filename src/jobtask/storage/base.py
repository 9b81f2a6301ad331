"""What every operation on the collection shares: its bounds (`driver.within`) and the breaker."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from pymongo.collection import Collection

from jobtask.storage.breaker import Breaker
from jobtask.storage.driver import QUERY_REJECTIONS, within


class CollectionAccess:
    """A pymongo collection (or one with its interface, e.g. mongomock), with the configured
    per-operation limit and the server selection timeout (deadlines up to this long are
    enforced by the driver too: see `driver.within`); `send_max_time_ms=False`: no operation
    carries maxTimeMS (MONGODB_SEND_MAX_TIME_MS)."""

    def __init__(
        self,
        collection: Collection[dict[str, Any]],
        *,
        operation_timeout: float | None = None,
        selection_timeout: float | None = None,
        send_max_time_ms: bool = True,
    ) -> None:
        self._collection = collection
        self._operation_timeout = operation_timeout
        self._selection_timeout = selection_timeout
        self._send_max_time_ms = send_max_time_ms
        self._breaker = Breaker(self._server_known)

    def _server_known(self) -> bool:
        """Whether the driver's monitor currently knows a server to send operations to."""
        client = getattr(getattr(self._collection, "database", None), "client", None)
        description = getattr(client, "topology_description", None)
        return description is None or bool(description.has_writable_server())

    def _within(self, timeout: float | None) -> AbstractContextManager[dict[str, Any]]:
        return within(
            timeout,
            operation_timeout=self._operation_timeout,
            selection_timeout=self._selection_timeout,
            send_max_time_ms=self._send_max_time_ms,
        )

    def _find_one(
        self, query: Mapping[str, Any], projection: Mapping[str, int], timeout: float | None
    ) -> dict[str, Any] | None:
        """The first document matching `query`, projected, bounded by `timeout` (find_one takes
        maxTimeMS by its own keyword)."""
        with self._within(timeout) as options, self._reaching():
            return self._collection.find_one(
                query, projection, max_time_ms=options.get("maxTimeMS")
            )

    def _reaching(
        self, rejected: Mapping[int, str] = QUERY_REJECTIONS, *, time_limit_ms: int | None = None
    ) -> AbstractContextManager[None]:
        return self._breaker.reaching(rejected, time_limit_ms=time_limit_ms)
