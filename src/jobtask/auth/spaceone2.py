"""AUTH_MODE=spaceone on the SpaceONE 2.x line: identity 2.x's tokens, checked as spaceone-core
2.x's SpaceONEAuthenticationHandler, SpaceONEAuthorizationHandler and SpaceONEMutationHandler
check them (core 2.0.144), without their defects (docs/spaceone-2x.md).

The token is an RS256 JWT whose `did` names the domain, verified with that domain's public key
(identity v2 `Domain.get_public_key`, asked with the service's own system token; the 1.x mode's
`KeyStore`: cache, refresh on an unknown kid or a bad signature, rate limit) with 60 seconds of
leeway on `exp`. A SYSTEM_TOKEN (identity's own, signed by `domain-root`'s key) names no caller's
domain: the `x_domain_id` / `x_workspace_id` metadata do, and no authorization applies. Any other
token must be of `ver` "2.0"; its `rol` (role type), `wid` (workspace), `permissions` and
`projects` decide the call, an APP token's permissions and projects coming from identity's
`App.check` instead (kept briefly, a refusal too, an outage never). There is no
Authorization.verify in 2.x: nothing else is asked.

No gRPC here: `jobtask.clients.identity` asks identity, `jobtask.auth.permissions` applies this.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from jobtask.auth.caches import TtlCache, kept_verdict
from jobtask.auth.spaceone import DENIED, INVALID, KeySource, KeyStore, text_claim, verified_claims
from jobtask.errors import JobTaskError, PermissionDenied, RequiredParameter, Unauthenticated
from jobtask.rpcs import CANCEL, CREATE, DELETE, FINISH, GET, LIST, PURGE, REPORT, START, STAT
from jobtask.scope import Scope

LEEWAY_SECONDS: Final = 60  # jwcrypto's default, which core 2.x's JWTUtil.decode keeps
VERSION: Final = "2.0"
SYSTEM_TOKEN: Final = "SYSTEM_TOKEN"  # `typ` of identity's system token
APP: Final = "APP"  # `own` of an app's client secret
DOMAIN_ADMIN: Final = "DOMAIN_ADMIN"
WORKSPACE_OWNER: Final = "WORKSPACE_OWNER"
WORKSPACE_MEMBER: Final = "WORKSPACE_MEMBER"
READ: Final = "inventory:JobTask.read"
WRITE: Final = "inventory:JobTask.write"


@dataclass(frozen=True)
class Rule:
    """What an rpc asks of a 2.x caller (inventory 2.x's `@transaction(permission, role_types)`);
    `collector`: the writer's, whose requests name their domain."""

    permission: str
    role_types: frozenset[str]
    collector: bool = False


_READERS: Final = frozenset({DOMAIN_ADMIN, WORKSPACE_OWNER, WORKSPACE_MEMBER})
_COLLECTOR: Final = Rule(WRITE, frozenset({DOMAIN_ADMIN}), collector=True)
RULES: Final[Mapping[str, Rule]] = {
    GET: Rule(READ, _READERS),
    LIST: Rule(READ, _READERS),
    STAT: Rule(READ, _READERS),
    DELETE: Rule(WRITE, frozenset({DOMAIN_ADMIN, WORKSPACE_OWNER})),
    **{rpc: _COLLECTOR for rpc in (CREATE, START, REPORT, FINISH, CANCEL, PURGE)},
}


@dataclass(frozen=True)
class AppGrant:
    """What identity's App.check answers for an app's client secret."""

    permissions: tuple[str, ...]
    projects: tuple[str, ...]


class Identity2(KeySource, Protocol):
    """SpaceONE identity 2.x, as `jobtask.clients.identity` asks it with the service's system
    token: IdentityUnavailable when it cannot be reached or fails, Unauthenticated when it does not
    know the domain, PermissionDenied when it refuses the app."""

    def check_app(self, client_id: str, domain_id: str) -> AppGrant:
        """App.check: the permissions and projects of an enabled app of the domain."""
        ...


@dataclass(frozen=True)
class Caller2:
    """A verified 2.x token: its domain, role, workspace, permissions and projects (empty: none);
    or a system token (`system`), which names no domain of its own."""

    domain_id: str
    role_type: str  # `rol`; "" when the token carries none
    workspace_id: str
    permissions: tuple[str, ...]
    projects: tuple[str, ...]
    system: bool = False

    def authorize(self, rpc: str, project_id: str = "") -> Rule:
        """core's authorization handler: the rpc's role types, a non-empty `permissions` holding
        a prefix of the rpc's permission, a named `project_id` among non-empty `projects`.
        A system token skips it all. No role, or one the rpc does not allow: PermissionDenied."""
        rule = RULES.get(rpc)
        if rule is None:
            raise PermissionDenied(f"no permission is defined for {rpc}")
        if self.system:
            return rule
        if self.role_type not in rule.role_types:
            raise PermissionDenied(DENIED)
        if self.permissions and not any(rule.permission.startswith(p) for p in self.permissions):
            raise PermissionDenied(DENIED)
        if self.projects and project_id and project_id != "*" and project_id not in self.projects:
            raise PermissionDenied(DENIED)
        return rule

    def scope(
        self,
        rpc: str,
        *,
        project_id: str = "",
        domain_id: str = "",
        workspace_id: str | None = None,
        required: bool = False,
    ) -> Scope:
        """What the call may touch (core's mutation handler, without the reference's leaks), of
        what the call names (its line's claim: `domain_id`, `workspace_id`; `required`: a domain
        must be named): a system token exactly that; a DOMAIN_ADMIN its own domain (another one
        refused), narrowed to a named workspace; a workspace role its workspace (none, or another
        one named: refused) and a member only its projects, on every rpc."""
        self.authorize(rpc, project_id)
        if self.system:
            if required and not domain_id:
                raise RequiredParameter("domain_id")
            return Scope(domain_id, workspace_id=workspace_id)
        if domain_id and domain_id != self.domain_id:
            raise PermissionDenied(f"{DENIED} (domain_id {domain_id} is not the token's domain)")
        if self.role_type == DOMAIN_ADMIN:
            return Scope(self.domain_id, workspace_id=workspace_id)
        if not self.workspace_id:
            raise PermissionDenied(f"{DENIED} (a {self.role_type} token names no workspace)")
        if workspace_id and workspace_id != self.workspace_id:
            raise PermissionDenied(f"{DENIED} (workspace_id {workspace_id} is not the token's)")
        projects = frozenset(self.projects) if self.role_type == WORKSPACE_MEMBER else None
        return Scope(self.domain_id, projects, self.workspace_id)


def _texts(claims: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = claims.get(name)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Unauthenticated(INVALID)
    return tuple(value)


class Spaceone2Auth:
    """Authenticates a 2.x token as core 2.x does. App.check's answers, grants and refusals, are
    kept `app_ttl` seconds per client id (at most `app_size`); identity unreachable is
    IdentityUnavailable, never kept and never a pass."""

    def __init__(
        self,
        keys: KeyStore,
        identity: Identity2 | None,
        *,
        app_ttl: float,
        app_size: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keys = keys
        self._identity = identity
        self._apps: TtlCache[tuple[str, str], AppGrant | JobTaskError] = TtlCache(
            app_size, app_ttl, clock
        )

    def authenticate(self, token: str) -> Caller2:
        """The caller of `token` (a system token's domain is what its calls name)."""
        claims = verified_claims(self._keys, token, leeway=LEEWAY_SECONDS)
        if text_claim(claims, "typ") == SYSTEM_TOKEN:
            return Caller2("", "", "", (), (), system=True)
        if claims.get("ver") != VERSION:
            raise Unauthenticated("invalid token version.")
        domain_id = text_claim(claims, "did")
        permissions, projects = _texts(claims, "permissions"), _texts(claims, "projects")
        if text_claim(claims, "own") == APP:
            grant = self._check_app(text_claim(claims, "jti"), domain_id)
            permissions, projects = grant.permissions, grant.projects
        role_type, workspace_id = text_claim(claims, "rol"), text_claim(claims, "wid")
        return Caller2(domain_id, role_type, workspace_id, permissions, projects)

    def _check_app(self, client_id: str, domain_id: str) -> AppGrant:
        identity = self._identity
        if identity is None:  # keys from files only: nobody to ask about the app
            raise Unauthenticated("app tokens need IDENTITY_ENDPOINT (identity's App.check)")
        key = (client_id, domain_id)
        return kept_verdict(self._apps, key, lambda: identity.check_app(client_id, domain_id))
