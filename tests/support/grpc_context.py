"""A stand-in for grpc's ServicerContext, for unit tests of the gRPC edge's handlers."""

from __future__ import annotations

import grpc


class Aborted(Exception):
    """What abort() raises (grpc raises a bare Exception)."""


class FakeContext:
    """What the handlers read of grpc's ServicerContext; abort() records, then raises."""

    def __init__(self, metadata: tuple[tuple[str, str], ...] = ()) -> None:
        self._metadata = metadata
        self._code: grpc.StatusCode | None = None
        self._details = b""

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        self._code, self._details = code, details.encode()
        raise Aborted()

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def details(self) -> bytes:
        return self._details

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata
