"""The call layer's dispatch, line-agnostic: `Calls` applies an rpc's access rules
(`jobtask.auth.permissions`) and hands the request and the call's `Scope` to the rpc's handler.
A line (`jobtask.lines.v1.rpcs`, `jobtask.lines.v2.rpcs`) supplies each rpc as `Served`: its
handler, and where a call names its scope (the line's `Claim`). Built once (`jobtask.bootstrap`)
and served by both edges, which decode the request, encode the answer and map what is raised
(`jobtask.calls.status`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message

from jobtask.auth.jwt import Caller
from jobtask.auth.permissions import Access, Claim, Metadata
from jobtask.auth.spaceone import SpaceoneCaller
from jobtask.calls.invocation import Invocation
from jobtask.domain import Limits
from jobtask.errors import NotImplementedYet
from jobtask.rpcs import Rpc
from jobtask.scope import Scope

Handler = Callable[[Scope, Any, Invocation], Message]
# Where a call names its scope, read off its request and metadata (the line's rule).
ClaimOf = Callable[[Any, Metadata], Claim]


@dataclass(frozen=True, slots=True)
class Served:
    """One rpc as its line serves it."""

    handle: Handler
    claim: ClaimOf


class Calls:
    """The rpcs served (JobTask's; the writer's too when given), behind the access rules. An
    edge calls, in order: `authenticate` (before it reads the request), `scope` (of the decoded
    request), `handle`; each returns a value and keeps nothing of the call."""

    def __init__(
        self,
        access: Access,
        rpcs: Mapping[Rpc, Served],
        services: tuple[ServiceDescriptor, ...],
        limits: Limits,
    ) -> None:
        """`rpcs`: each served rpc's handler and claim; `services`: what they belong to (the
        edges register and describe them); `limits`: the query limits an edge checks early."""
        self.access = access
        self.limits = limits
        self.services = services
        self._rpcs = rpcs

    def serves(self, service_name: str) -> bool:
        return any(service.full_name == service_name for service in self.services)

    def authenticate(self, rpc: Rpc, call: Invocation) -> Caller | SpaceoneCaller | None:
        """Who calls, before anything of the request is read (see `Access.authenticate`)."""
        return self.access.authenticate(
            rpc, call.metadata, client_certificate=call.client_certificate
        )

    def scope(
        self, rpc: Rpc, request: Any, caller: Caller | SpaceoneCaller | None, call: Invocation
    ) -> Scope:
        """What the decoded request of an authenticated caller may touch, of what the call claims
        (its line's rule); an rpc not served here is refused first."""
        served = self._rpcs.get(rpc)
        if served is None:
            raise NotImplementedYet(f"{rpc} is not served here")
        return self.access.scope(rpc, request, caller, served.claim(request, call.metadata))

    def handle(self, rpc: Rpc, scope: Scope, request: Any, call: Invocation) -> Message:
        """The rpc's answer to the request, within `scope`."""
        return self._rpcs[rpc].handle(scope, request, call)
