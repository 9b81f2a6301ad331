"""The call layer's dispatch, line-agnostic: `Calls` applies an rpc's access rules
(`jobtask.auth.permissions`), then hands the request and the call's `Scope` to the rpc's handler,
which a line (`jobtask.lines.v1.rpcs`) supplies. The edges decode the request, encode the answer
and map what is raised (`jobtask.calls.status`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message

from jobtask.auth.jwt import Caller
from jobtask.auth.permissions import Access
from jobtask.auth.spaceone import SpaceoneCaller
from jobtask.calls.invocation import Invocation
from jobtask.domain import Limits
from jobtask.errors import NotImplementedYet
from jobtask.scope import Scope

if TYPE_CHECKING:
    from jobtask.calls.invocation import Seen


Handler = Callable[[Scope, Any, Invocation], Message]


class Calls:
    """The rpcs an edge serves (JobTask; the writer too when given), behind the access rules."""

    def __init__(
        self,
        access: Access,
        handlers: Mapping[str, Handler],
        services: tuple[ServiceDescriptor, ...],
        limits: Limits,
    ) -> None:
        """`handlers`: each served rpc's, by path; `services`: what they belong to (the edges
        register and describe them); `limits`: the query limits an edge checks early."""
        self.access = access
        self.limits = limits
        self.services = services
        self._handlers = handlers

    def authenticate(self, path: str, call: Invocation) -> Caller | SpaceoneCaller | None:
        """Who calls, before anything of the request is read (see `Access.authenticate`)."""
        return self.access.authenticate(
            path, call.metadata, client_certificate=call.client_certificate
        )

    def serve(
        self,
        path: str,
        request: Any,
        call: Invocation,
        caller: Caller | SpaceoneCaller | None,
        seen: Seen,
    ) -> Message:
        """The rpc's answer to the decoded request of an authenticated caller; the call's scope
        is noted in `seen` (its observation) once decided."""
        handler = self._handlers.get(path)
        if handler is None:
            raise NotImplementedYet(f"{path} is not served here")
        scope = self.access.scope(path, request, call.metadata, caller)
        seen.scope = scope
        return handler(scope, request, call)

    def call(self, path: str, request: Any, call: Invocation, seen: Seen) -> Message:
        """Authenticate and serve at once (the gRPC edge, whose request is decoded first)."""
        return self.serve(path, request, call, self.authenticate(path, call), seen)
