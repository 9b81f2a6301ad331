"""A request's body over HTTP: refused as early and cheaply as possible (415, 413, 408), its counts
of conditions and stages and the length of each condition's list checked before protobuf converts
its values, and decoded into the rpc's request message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import anyio
from google.protobuf.message import Message
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from jobtask.calls.status import Code
from jobtask.domain import Limits
from jobtask.edges.http.routes import Binding
from jobtask.edges.http.status import error_response
from jobtask.edges.http.transcode import BODY, query_document, read_json, to_message
from jobtask.errors import InvalidParameter
from jobtask.query.limits import check_counts, check_list_lengths


class Refused(Exception):
    """A request refused by the HTTP edge itself, with an HTTP status gRPC has no code for."""

    def __init__(self, http_status: int, status: Code, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.status = status
        self.message = message

    def response(self) -> Response:
        return error_response(
            InvalidParameter.code, self.message, self.status, http_status=self.http_status
        )


class Disconnected(Exception):
    """The client hung up before its request was read: nobody is left to answer."""


# How a disconnect is counted (nginx's "client closed request"); nothing is sent.
CLIENT_CLOSED: Final = 499


def require_json(request: Request) -> None:
    """A body is read as JSON: declared `application/json` (any parameters, such as a charset) or
    not declared at all, as SpaceONE's gateway reads it. Any other declared type is 415, and so is
    an undeclared body from a browser (it sends `Origin`): what a page can post across sites
    without asking first (forms, text/plain, raw bytes) never reaches a call. A request without a
    body need not say anything."""
    kind = request.headers.get("content-type")
    if kind is None:
        declared = request.headers.get("content-length", "0")
        empty = declared == "0" and "transfer-encoding" not in request.headers
        if empty or "origin" not in request.headers:
            return
        raise Refused(
            415,
            Code.INVALID_ARGUMENT,
            "body: a request from a browser (it has an Origin) must be sent as application/json",
        )
    media = kind.split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise Refused(
            415,
            Code.INVALID_ARGUMENT,
            f"body: send it as application/json (Content-Type was {kind[:80]!r})",
        )


def _too_large(limit: int) -> Refused:
    return Refused(413, Code.RESOURCE_EXHAUSTED, f"body: larger than the maximum of {limit} bytes")


async def read_body(request: Request, limit: int, read_timeout: float) -> bytes:
    """The body, refused as soon as it is known to be too large (Content-Length, then as it
    streams); a client that stops sending it is cut off after `read_timeout` seconds."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        with anyio.fail_after(read_timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                chunks.append(chunk)
    except ClientDisconnect:
        raise Disconnected from None
    except TimeoutError:
        raise Refused(
            408,
            Code.DEADLINE_EXCEEDED,
            f"body: not received within {read_timeout:g} seconds",
        ) from None
    return b"".join(chunks)


def _items(value: Any, where: str) -> Iterator[tuple[str, Any]]:
    """The items of a JSON list, each with where it is; nothing for anything else."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield f"{where}[{index}]", item


def _member(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else None


def _list_lengths(query: dict[str, Any]) -> Iterator[tuple[str, int]]:
    """The length of each condition value that is a list (filter, filter_or, a stat group's
    field conditions; 2.x's unwind filters, of a list query or a stat stage), by the condition's
    `v` or `value`."""
    conditions = [
        condition
        for name in ("filter", "filter_or")
        for condition in _items(query.get(name), f"query.{name}")
    ]
    conditions.extend(_items(_member(query.get("unwind"), "filter"), "query.unwind.filter"))
    for at, stage in _items(query.get("aggregate"), "query.aggregate"):
        for field_at, field in _items(
            _member(_member(stage, "group"), "fields"), f"{at}.group.fields"
        ):
            conditions.extend(_items(_member(field, "conditions"), f"{field_at}.conditions"))
        unwind_filter = _member(_member(stage, "unwind"), "filter")
        conditions.extend(_items(unwind_filter, f"{at}.unwind.filter"))
    for where, condition in conditions:
        for key in ("v", "value"):
            value = _member(condition, key)
            if isinstance(value, list):
                yield f"{where}.value", len(value)


def check_document_counts(document: Any, limits: Limits) -> None:
    """A JSON body's counts of conditions and stages, and the length of each condition's list,
    before protobuf converts its values."""
    query = document.get("query") if isinstance(document, dict) else None
    if not isinstance(query, dict):
        return

    def count(name: str) -> int:
        value = query.get(name)
        return len(value) if isinstance(value, list) else 0

    check_counts(count("filter"), count("filter_or"), count("aggregate"), limits)
    check_list_lengths(_list_lengths(query), limits)


def request_message(
    binding: Binding,
    request: Request,
    body: bytes | None,
    limits: Limits,
) -> Message:
    """The rpc's request message from the path, and the JSON body or the query parameters
    (on a worker thread: decoding a large body takes CPU)."""
    path = {name: request.path_params[name] for name in binding.path_fields}
    if body is not None:
        document = read_json(body, BODY)
        check_document_counts(document, limits)
        if isinstance(document, dict):
            document.update(path)
        return to_message(document, binding.request, BODY)
    document = query_document(
        binding.request_descriptor,
        request.query_params.multi_items(),
        path_fields=binding.path_fields,
    )
    check_document_counts(document, limits)
    return to_message({**document, **path}, binding.request, "query parameters")
