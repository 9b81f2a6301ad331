"""The access rules of every rpc, for both edges: the permission table, where the token is read,
and the `Scope` a call is given (the token's domain, and a project-scoped caller's projects).

AUTH_MODE=jwt verifies the call's token (`jobtask.auth.jwt`); AUTH_MODE=spaceone authenticates it
and asks identity (`jobtask.auth.spaceone`); with mutual TLS the writer service is kept to callers
holding a client certificate. Without authentication a call's scope is the domain it names.

Where a call names its domain (and workspace) is its line's: a `Claim`, which the line reads off
the call (1.x: the request's `domain_id`; 2.x: the `x_domain_id` / `x_workspace_id` metadata) and
the rules here judge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from jobtask.auth.jwt import ADMIN, READ, WRITE, Caller
from jobtask.auth.security import Security
from jobtask.auth.spaceone import PROJECT, Api, SpaceoneAuth, SpaceoneCaller
from jobtask.auth.spaceone2 import Caller2
from jobtask.errors import PermissionDenied, RequiredParameter, Unauthenticated
from jobtask.rpcs import (
    CANCEL,
    CREATE,
    DELETE,
    FINISH,
    GET,
    LIST,
    PURGE,
    REPORT,
    START,
    STAT,
    Rpc,
)
from jobtask.scope import Scope

Metadata = Iterable[tuple[str, str | bytes]]
# Who calls, as each authentication mode names it (None: no authentication).
Authenticated = Caller | SpaceoneCaller | Caller2


@dataclass(frozen=True, slots=True)
class Claim:
    """The scope a call names for itself, before the access rules judge it: a domain ("" when it
    names none) and, on the 2.x line, a workspace (None: the whole domain). `required`: without
    authentication a call naming no domain is refused here, before its request is looked at (the
    2.x line's caller metadata), instead of by the service (the 1.x line's request field)."""

    domain_id: str
    workspace_id: str | None = None
    required: bool = False


@dataclass(frozen=True)
class Rule:
    permission: str
    # Holding this too, the caller may name any domain, and an empty domain_id means all of them.
    every_domain: str | None = None
    # The collector's (the writer service): for callers of a whole domain, and with mutual TLS
    # for callers holding a client certificate.
    collector: bool = False


_COLLECTOR: Final = Rule(WRITE, collector=True)

# Every guarded rpc needs a row: one without is denied (a test checks both services are covered).
RULES: Final[Mapping[str, Rule]] = {
    GET: Rule(READ),
    LIST: Rule(READ),
    STAT: Rule(READ),
    DELETE: Rule(WRITE),
    CREATE: _COLLECTOR,
    START: _COLLECTOR,
    REPORT: _COLLECTOR,
    FINISH: _COLLECTOR,
    CANCEL: _COLLECTOR,
    PURGE: Rule(WRITE, every_domain=ADMIN, collector=True),
}


# AUTH_MODE=spaceone: each guarded rpc as SpaceONE's handlers name it, with the scope its service
# declares (inventory's JobTaskService: PROJECT for every rpc). The writer is this project's own:
# its rpcs are JobTask verbs of their own name, for callers of the whole domain only.
SPACEONE_APIS: Final[Mapping[str, Api]] = {
    rpc: Api("JobTask", Rpc.parse(rpc).method, PROJECT) for rpc in RULES
}


def token_of(metadata: Metadata) -> str:
    """The JWT of a call: SpaceONE clients' `token` metadata, or `authorization: Bearer <jwt>`."""
    tokens: set[str] = set()
    for key, value in metadata:
        if key not in {"token", "authorization"}:
            continue
        text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
        if key == "token":
            tokens.add(text.strip())
            continue
        scheme, _, credentials = text.strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise Unauthenticated("the authorization metadata must be 'Bearer <token>'")
        tokens.add(credentials.strip())
    if len(tokens) > 1:
        raise Unauthenticated("more than one token sent")
    return tokens.pop() if tokens else ""


def authorize(caller: Caller, rpc: str, claim: Claim) -> Scope:
    """AUTH_MODE=jwt: checks the rpc's permission; the scope is the claimed domain (1.x: the
    request's `domain_id`) when the caller may name it, else the token's, narrowed to the claimed
    workspace when there is one."""
    rule = RULES.get(rpc)
    if rule is None:
        raise PermissionDenied(f"no permission is defined for {rpc}")
    caller.require(rule.permission)
    domain_id = caller.scoped(claim.domain_id, every_domain=rule.every_domain)
    return Scope(domain_id, workspace_id=claim.workspace_id)


def _requested_project(request: Any) -> str:
    fields = request.DESCRIPTOR.fields_by_name
    return str(request.project_id) if "project_id" in fields else ""


def spaceone_scope(auth: SpaceoneAuth, rpc: str, request: Any, caller: SpaceoneCaller) -> Scope:
    """AUTH_MODE=spaceone: asks identity about the authenticated `caller` (its token read and
    verified once, by `Access.authenticate`), and scopes the call to the caller's domain and, for
    a project-scoped caller, its projects."""
    rule, api = RULES.get(rpc), SPACEONE_APIS.get(rpc)
    if rule is None or api is None:
        raise PermissionDenied(f"no permission is defined for {rpc}")
    access = auth.authorize(
        caller.token, caller, api, request.domain_id, _requested_project(request)
    )
    if access.projects is not None and rule.collector:
        raise PermissionDenied("Permission denied. (the writer is for callers of a whole domain)")
    domain_id = request.domain_id
    if not access.any_domain:
        domain_id = access.domain_id  # authorize refused any other one
    elif not domain_id and rule.every_domain is None:
        domain_id = access.domain_id  # SYSTEM names any domain; none: its own (purge: all)
    return Scope(domain_id, access.projects)


def spaceone2_scope(rpc: str, request: Any, caller: Caller2, claim: Claim) -> Scope:
    """AUTH_MODE=spaceone on the 2.x line: the token's own claims (identity is not asked), of
    what the call names (`claim`: a system token's domain and workspace)."""
    return caller.scope(
        rpc,
        project_id=_requested_project(request),
        domain_id=claim.domain_id,
        workspace_id=claim.workspace_id,
        required=claim.required,
    )


def _collector(rpc: str) -> bool:
    rule = RULES.get(rpc)
    return rule is not None and rule.collector


class Access:
    """The access rules as one edge applies them to a call: `authenticate` (before the request
    is read: who calls), then `scope` (of the decoded request: what it may touch)."""

    def __init__(self, security: Security) -> None:
        self._verifier = security.verifier
        self._spaceone = security.spaceone
        self._spaceone2 = security.spaceone2
        self._mutual_tls = security.mutual_tls

    @property
    def may_block(self) -> bool:
        """Whether authenticating may wait on the network (AUTH_MODE=spaceone asks identity for a
        domain's key, and 2.x for an app's grant): an event loop runs it on a worker thread."""
        return self._spaceone is not None or self._spaceone2 is not None

    def authenticate(
        self, rpc: str, metadata: Metadata, *, client_certificate: bool = False
    ) -> Authenticated | None:
        """The caller its token names; None without authentication. With mutual TLS a writer
        call must come with a (verified) client certificate."""
        if self._mutual_tls and _collector(rpc) and not client_certificate:
            raise Unauthenticated(
                "the writer service needs a client certificate: call it on WRITER_GRPC_PORT"
            )
        if self._spaceone is not None:  # may ask identity for the domain's key
            return self._spaceone.authenticate(token_of(metadata))
        if self._spaceone2 is not None:  # the same, and App.check for an app
            return self._spaceone2.authenticate(token_of(metadata))
        if self._verifier is not None:
            return self._verifier.verify(token_of(metadata))
        return None

    def scope(
        self,
        rpc: str,
        request: Any,
        caller: Authenticated | None,
        claim: Claim,
    ) -> Scope:
        """What the call may touch, of what it `claim`s (the line says where the call names its
        domain and workspace; identity's verdict needs the request's domain and project)."""
        if isinstance(caller, SpaceoneCaller) and self._spaceone is not None:
            return spaceone_scope(self._spaceone, rpc, request, caller)
        if isinstance(caller, Caller2):
            return spaceone2_scope(rpc, request, caller, claim)
        if isinstance(caller, Caller):
            return authorize(caller, rpc, claim)
        if claim.required and not claim.domain_id:
            raise RequiredParameter("domain_id")
        return Scope(claim.domain_id, workspace_id=claim.workspace_id)
