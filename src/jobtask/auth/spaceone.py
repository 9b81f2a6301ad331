"""AUTH_MODE=spaceone: SpaceONE identity tokens, checked as SpaceONE 1.x services check them.

As spaceone-core's AuthenticationGRPCHandler, AuthorizationGRPCHandler and SpaceONEMutationHandler
do (1.10-1.12): the token is an RS256 JWT whose `did` names the domain; it is verified with that
domain's public key (a JWK, from identity's Domain.get_public_key or a configured JWKS file); its
`aud` (user id), `user_type`, `cat`, `api_key_id` and optional `permissions` (fnmatch patterns over
`<service>.<resource>.<verb>`) describe the caller. Then identity's Authorization.verify (with the
caller's own token) answers a `role_type` and, for PROJECT, the projects the caller may see, which
scope the call (`jobtask.scope`). Domain owners are not asked (all of their domain), as in core.

No gRPC here: `jobtask.clients.identity` is the client that asks identity (`Identity`), and
`jobtask.auth.permissions` reads the token from the call and applies the `Access` decided here."""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import jwt

from jobtask.auth.caches import RateLimit, TtlCache, kept_verdict
from jobtask.errors import IdentityUnavailable, JobTaskError, PermissionDenied, Unauthenticated

SERVICE: Final = "inventory"  # the SpaceONE service this API belongs to
DOMAIN_OWNER: Final = "DOMAIN_OWNER"
API_KEY: Final = "API_KEY"


# SpaceONE's role types; SYSTEM may name any domain, PROJECT sees only its projects.
SYSTEM: Final = "SYSTEM"
DOMAIN: Final = "DOMAIN"
PROJECT: Final = "PROJECT"
USER: Final = "USER"
ROLE_TYPES: Final = frozenset({SYSTEM, DOMAIN, PROJECT, USER})


# Core's messages, so that SpaceONE's clients show what they show for SpaceONE's own services.
INVALID: Final = "Token is invalid or expired."
DENIED: Final = "Permission denied."


@dataclass(frozen=True)
class Api:
    """The api method of a call as SpaceONE names it: `inventory.JobTask.list`, and its scope."""

    resource: str
    verb: str
    scope: str  # the `authorization.scope` the rpc declares (PROJECT for JobTask's)

    @property
    def name(self) -> str:
        return f"{SERVICE}.{self.resource}.{self.verb}"


@dataclass(frozen=True)
class SpaceoneCaller:
    """The claims of a verified SpaceONE token, and the token (identity is asked with it)."""

    domain_id: str
    user_id: str
    user_type: str
    token_type: str  # `cat`: ACCESS_TOKEN, API_KEY, ...
    api_key_id: str
    permissions: tuple[str, ...] | None  # None: the token carries none (no restriction)
    token: str = field(default="", repr=False, compare=False)

    def check_permissions(self, api: Api) -> None:
        """core's _check_permissions: with a `permissions` claim, one pattern must match."""
        if self.permissions is None:
            return
        if not any(fnmatch.fnmatch(api.name, pattern) for pattern in self.permissions):
            raise PermissionDenied(DENIED)


@dataclass(frozen=True)
class Grant:
    """What identity's Authorization.verify answers."""

    role_type: str
    projects: frozenset[str]


@dataclass(frozen=True)
class Access:
    """What a verified, authorized call may touch."""

    domain_id: str  # "" for a SYSTEM caller that named no domain
    any_domain: bool  # SYSTEM: the request's domain_id stands as sent
    projects: frozenset[str] | None  # PROJECT: only these; None: the whole domain


class KeySource(Protocol):
    """Where a domain's public key comes from (identity 1.x or 2.x): IdentityUnavailable when
    identity cannot be reached or fails, Unauthenticated when it does not know the domain."""

    endpoint: str

    def public_key(self, domain_id: str) -> str:
        """Domain.get_public_key: the domain's JWK (JSON text)."""
        ...


class Identity(KeySource, Protocol):
    """SpaceONE identity 1.x, as `jobtask.clients.identity` asks it. Each raises
    IdentityUnavailable when identity cannot be reached or fails, Unauthenticated/PermissionDenied
    when it says no."""

    def verify(self, token: str, api: Api, domain_id: str, project_id: str) -> Grant:
        """Authorization.verify, sent with the caller's token."""
        ...

    def api_key_enabled(self, api_key_id: str, domain_id: str) -> bool:
        """APIKey.get: False when the key is deleted or disabled."""
        ...


def parse_jwks(text: str, where: str) -> list[jwt.PyJWK]:
    """A JWK (identity's answer) or a JWKS (`{"keys": [...]}`) of RSA public keys for RS256."""
    try:
        document = json.loads(text)
    except ValueError:
        raise ValueError(f"{where}: not JSON") from None
    entries = document.get("keys", [document]) if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{where}: not a JWK or a JWKS with keys")
    keys = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or "d" in entry:
            raise ValueError(f"{where}: every key must be an RSA public key")
        try:
            keys.append(jwt.PyJWK({**entry, "alg": "RS256"}))
        except jwt.PyJWTError as error:
            raise ValueError(f"{where}: not a usable JWK ({error})") from None
    return keys


@dataclass
class _DomainKeys:
    keys: list[jwt.PyJWK]
    fetched_at: float


class KeyStore:
    """The public keys of each domain: from the configured JWKS files, else from identity.

    Identity's answers are kept for `ttl` seconds in a map of at most `size` domains. A token whose
    `kid` none of them has, or whose signature they do not verify, fetches the domain's key again,
    but at most once every `refresh_interval` seconds per domain and `rate` times a second in all
    (a flood of bad tokens, or of made-up domains, costs identity that much and no more; beyond
    it the token is refused as it would be with the keys at hand). One fetch per domain at a time.
    """

    def __init__(
        self,
        identity: KeySource | None,
        files: Mapping[str, Sequence[jwt.PyJWK]],
        *,
        ttl: float,
        size: int,
        refresh_interval: float,
        rate: RateLimit,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._identity = identity
        self._files = {domain: list(keys) for domain, keys in files.items()}
        self._cache: TtlCache[str, _DomainKeys] = TtlCache(size, ttl, clock)
        self._refresh_interval = refresh_interval
        self._rate = rate
        self._clock = clock
        self._locks: TtlCache[str, threading.Lock] = TtlCache(size, max(ttl, 60.0), clock)
        self._locks_lock = threading.Lock()

    def keys(self, domain_id: str, *, stale: list[jwt.PyJWK] | None = None) -> list[jwt.PyJWK]:
        """The domain's keys; with `stale` (keys that failed), fetched again when allowed."""
        if domain_id in self._files:
            return self._files[domain_id]
        if self._identity is None:
            raise Unauthenticated(f"no public key is configured for domain {domain_id}")
        with self._lock_of(domain_id):
            held = self._cache.get(domain_id)
            if held is not None and (stale is None or held.keys is not stale):
                return held.keys  # fresh, or fetched again by another call meanwhile
            if held is not None and self._clock() - held.fetched_at < self._refresh_interval:
                return held.keys  # fetched again too recently: these are the keys
            if not self._rate.allow():
                if held is not None:
                    return held.keys
                raise IdentityUnavailable(
                    self._identity.endpoint, "too many public key lookups; retry later"
                )
            try:
                keys = parse_jwks(self._identity.public_key(domain_id), "identity's public key")
            except ValueError as error:
                raise IdentityUnavailable(self._identity.endpoint, str(error)) from None
            self._cache.put(domain_id, _DomainKeys(keys, self._clock()))
            return keys

    def _lock_of(self, domain_id: str) -> threading.Lock:
        with self._locks_lock:
            lock = self._locks.get(domain_id)
            if lock is None:
                lock = threading.Lock()
                self._locks.put(domain_id, lock)
            return lock


def _unverified_domain(token: str) -> str:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise Unauthenticated("Cannot decode token.") from None
    domain_id = claims.get("did")
    if not isinstance(domain_id, str) or not domain_id:
        raise Unauthenticated("Empty domain_id provided.")
    return domain_id


def _decode(token: str, keys: Sequence[jwt.PyJWK], leeway: float) -> dict[str, Any] | None:
    """The verified claims; None when no key's signature matches. Expired, not yet valid or
    otherwise invalid: Unauthenticated. As core (python-jose in 1.x, jwcrypto in 2.x): `aud` and
    `iat` are not checked, `exp` and `nbf` are when present, with `leeway` seconds."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Unauthenticated("Cannot decode token.") from None
    if header.get("alg") != "RS256":
        raise Unauthenticated(INVALID)
    kid = header.get("kid")
    candidates = [k for k in keys if kid is None or k.key_id in {None, kid}]
    for key in candidates:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                # As core calls its library: `iat` is not compared with the clock.
                options={"verify_aud": False, "verify_iat": False},
                leeway=leeway,
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError:
            raise Unauthenticated(INVALID) from None
        return claims
    return None


def verified_claims(keys: KeyStore, token: str, *, leeway: float = 0) -> dict[str, Any]:
    """The claims of a SpaceONE token signed by its domain's (`did`) key; the domain's key is
    fetched again (rate-limited) once when none verifies it. Unauthenticated when it is empty,
    malformed, altered, signed by another key, expired or not yet valid (past `leeway`)."""
    if not token:
        raise Unauthenticated("Empty token provided.")
    domain_id = _unverified_domain(token)
    held = keys.keys(domain_id)
    claims = _decode(token, held, leeway)
    if claims is None:  # rotated? the key is fetched again (rate-limited), once
        fresh = keys.keys(domain_id, stale=held)
        claims = None if fresh is held else _decode(token, fresh, leeway)
    if claims is None:
        raise Unauthenticated(INVALID)
    return claims


def text_claim(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Unauthenticated(INVALID)
    return value


def caller_of(claims: Mapping[str, Any]) -> SpaceoneCaller:
    permissions = claims.get("permissions")
    if permissions is not None and (
        not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions)
    ):
        raise Unauthenticated(INVALID)
    return SpaceoneCaller(
        domain_id=text_claim(claims, "did"),
        user_id=text_claim(claims, "aud"),
        user_type=text_claim(claims, "user_type"),
        token_type=text_claim(claims, "cat"),
        api_key_id=text_claim(claims, "api_key_id"),
        permissions=None if permissions is None else tuple(permissions),
    )


class SpaceoneAuth:
    """Authenticates a token and authorizes one api call of it, as SpaceONE's handlers do.

    Identity's verdicts (Authorization.verify, and APIKey.get for API keys), passes and refusals,
    are kept for `verify_ttl` seconds per token, api method and requested domain/project, at most
    `verify_size` of them; identity unreachable is IdentityUnavailable (not kept), never a pass.
    """

    def __init__(
        self,
        keys: KeyStore,
        identity: Identity | None,
        *,
        verify_ttl: float,
        verify_size: int,
        check_api_keys: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keys = keys
        self._identity = identity
        self._check_api_keys = check_api_keys
        self._verdicts: TtlCache[tuple[bytes, str, str, str], Access | JobTaskError] = TtlCache(
            verify_size, verify_ttl, clock
        )

    def authenticate(self, token: str) -> SpaceoneCaller:
        claims = verified_claims(self._keys, token)
        return dataclasses.replace(caller_of(claims), token=token)

    def authorize(
        self, token: str, caller: SpaceoneCaller, api: Api, domain_id: str, project_id: str
    ) -> Access:
        """What the call may touch; `domain_id` and `project_id` are the ones the request names."""
        caller.check_permissions(api)
        key = (hashlib.sha256(token.encode()).digest(), api.name, domain_id, project_id)
        return kept_verdict(
            self._verdicts, key, lambda: self._decide(token, caller, api, domain_id, project_id)
        )

    def _decide(
        self, token: str, caller: SpaceoneCaller, api: Api, domain_id: str, project_id: str
    ) -> Access:
        if self._identity is None:  # keys from files only: the token's own claims decide
            grant = Grant(DOMAIN, frozenset())
        else:
            api_key = self._check_api_keys and caller.token_type == API_KEY
            if api_key and not self._identity.api_key_enabled(caller.api_key_id, caller.domain_id):
                raise Unauthenticated(INVALID)
            if caller.user_type == DOMAIN_OWNER:
                grant = Grant(DOMAIN, frozenset())  # core passes domain owners unasked
            else:
                grant = self._identity.verify(token, api, domain_id, project_id)
        if grant.role_type not in ROLE_TYPES:
            raise PermissionDenied(DENIED)
        if grant.role_type == SYSTEM:
            return Access(domain_id or caller.domain_id, any_domain=True, projects=None)
        if domain_id and domain_id != caller.domain_id:
            raise PermissionDenied(DENIED)
        if grant.role_type == PROJECT and api.scope == PROJECT:
            if project_id and project_id not in grant.projects:
                raise PermissionDenied(DENIED)
            return Access(caller.domain_id, any_domain=False, projects=grant.projects)
        return Access(caller.domain_id, any_domain=False, projects=None)
