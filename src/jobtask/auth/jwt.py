"""AUTH_MODE=jwt: RS256/ES256 JWTs verified with configured public keys, and the caller they name
(domain and permissions). No gRPC here: `permissions` reads the token from the call."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from jobtask.auth.files import ConfigurationError, read_configured
from jobtask.errors import PermissionDenied, Unauthenticated

Algorithm = Literal["RS256", "ES256"]
ALGORITHMS: Final[tuple[Algorithm, ...]] = ("RS256", "ES256")
MIN_RSA_BITS: Final = 2048
READ: Final = "inventory.JobTask.read"
WRITE: Final = "inventory.JobTask.write"
ADMIN: Final = "inventory.JobTask.admin"
DOMAIN_CLAIM: Final = "did"  # the claim SpaceONE's own tokens carry the domain in
PERMISSIONS_CLAIM: Final = "permissions"


@dataclass(frozen=True)
class Caller:
    """The verified identity of one call."""

    domain_id: str
    permissions: frozenset[str]

    def may(self, permission: str) -> bool:
        """`*` grants everything; `inventory.JobTask.*` (or `inventory.*`) everything below it."""
        return any(
            granted in {permission, "*"}
            or (granted.endswith(".*") and permission.startswith(granted[:-1]))
            for granted in self.permissions
        )

    def require(self, permission: str) -> None:
        if not self.may(permission):
            raise PermissionDenied(f"the token lacks the permission {permission}")

    def scoped(self, domain_id: str, *, every_domain: str | None = None) -> str:
        """The domain a request may act on: its own `domain_id`, or the token's when it names none.

        With `every_domain` (purge), a caller holding that permission may name any domain, or none
        for all of them.
        """
        if every_domain is not None and self.may(every_domain):
            return domain_id
        if domain_id and domain_id != self.domain_id:
            raise PermissionDenied(f"domain_id {domain_id} is not the token's domain")
        return self.domain_id


@dataclass(frozen=True)
class PublicKey:
    key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey
    algorithm: Algorithm
    kid: str | None  # PEM files carry none: such a key is tried whatever the token's kid
    source: str


def _public_key(key: Any, kid: str | None, variable: str, source: str) -> PublicKey:
    """The algorithm follows from the key: RSA (2048 bits or more) is RS256, EC P-256 is ES256."""
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise ConfigurationError(
                variable, source, f"a {key.key_size}-bit RSA key; at least {MIN_RSA_BITS}"
            )
        return PublicKey(key, "RS256", kid, source)
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return PublicKey(key, "ES256", kid, source)
    raise ConfigurationError(variable, source, "not an RSA or EC P-256 public key (RS256, ES256)")


def _pem_key(data: bytes, variable: str, source: str) -> PublicKey:
    if b"PRIVATE KEY" in data:
        raise ConfigurationError(variable, source, "a private key: give the public key only")
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise ConfigurationError(variable, source, "not a PEM public key or a JWKS") from None
    return _public_key(key, None, variable, source)


def _jwk(entry: Any, variable: str, source: str) -> PublicKey:
    where = f"{source} key {entry.get('kid', '?') if isinstance(entry, dict) else '?'}"
    if not isinstance(entry, dict):
        raise ConfigurationError(variable, where, "a JWK is a JSON object")
    if "d" in entry:
        raise ConfigurationError(variable, where, "a private key: give public keys only")
    if entry.get("use", "sig") != "sig":
        raise ConfigurationError(variable, where, "not a signing key (use is not 'sig')")
    if entry.get("alg", "RS256" if entry.get("kty") == "RSA" else "ES256") not in ALGORITHMS:
        raise ConfigurationError(variable, where, f"alg {entry['alg']} is not RS256 or ES256")
    kid = entry.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise ConfigurationError(variable, where, "kid is not a string")
    try:
        key = jwt.PyJWK(entry).key
    except jwt.PyJWTError as error:
        raise ConfigurationError(variable, where, f"not a usable JWK ({error})") from None
    return _public_key(key, kid, variable, where)


def load_public_keys(paths: Sequence[str], variable: str = "AUTH_PUBLIC_KEYS") -> list[PublicKey]:
    """Every key of every file: a PEM public key, or a JWKS (`{"keys": [...]}`) JSON file."""
    keys: list[PublicKey] = []
    for path in paths:
        data = read_configured(path, variable)
        if not data.lstrip().startswith(b"{"):
            keys.append(_pem_key(data, variable, path))
            continue
        try:
            document = json.loads(data)
        except ValueError as error:
            raise ConfigurationError(variable, path, f"not valid JSON ({error})") from None
        entries = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(entries, list) or not entries:
            raise ConfigurationError(variable, path, 'a JWKS needs a non-empty "keys" list')
        keys.extend(_jwk(entry, variable, path) for entry in entries)
    if not keys:
        raise ConfigurationError(variable, ",".join(paths), "no public key given")
    return keys


# Why a token that was signed by a configured key still fails, most specific first.
_CLAIM_FAILURES: Final[Sequence[tuple[type[jwt.PyJWTError], Callable[[Any], str]]]] = (
    (jwt.ExpiredSignatureError, lambda _: "token expired"),
    (jwt.ImmatureSignatureError, lambda _: "token not valid yet"),
    (jwt.MissingRequiredClaimError, lambda error: f"token has no '{error.claim}' claim"),
    (jwt.InvalidAudienceError, lambda _: "token is for another audience"),
    (jwt.InvalidIssuerError, lambda _: "token is from another issuer"),
    (jwt.DecodeError, lambda _: "malformed token"),
)


class TokenVerifier:
    """Verifies a JWT against the configured keys and returns the caller it names."""

    def __init__(
        self,
        keys: Sequence[PublicKey],
        *,
        audience: str,
        issuer: str = "",
        leeway_seconds: float = 30,
    ) -> None:
        self._keys = tuple(keys)
        self._audience = audience
        self._issuer = issuer or None
        self._leeway = leeway_seconds

    @property
    def key_count(self) -> int:
        return len(self._keys)

    def verify(self, token: str) -> Caller:
        if not token:
            raise Unauthenticated(
                "no token: send it as 'token' metadata or as 'authorization: Bearer <token>'"
            )
        for key in self._candidates(token):
            try:
                claims = jwt.decode(
                    token,
                    key.key,
                    algorithms=[key.algorithm],
                    audience=self._audience,
                    issuer=self._issuer,
                    leeway=self._leeway,
                    options={"require": ["exp"]},
                )
            except jwt.InvalidSignatureError:
                continue  # rotation: another configured key may have signed it
            except jwt.PyJWTError as error:
                raise Unauthenticated(_reason(error)) from None
            return _caller(claims)
        raise Unauthenticated("bad signature")

    def _candidates(self, token: str) -> list[PublicKey]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("malformed token") from None
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in ALGORITHMS:
            raise Unauthenticated(f"algorithm {algorithm!r} is not accepted (RS256 or ES256)")
        if kid is not None and not isinstance(kid, str):
            raise Unauthenticated("malformed token")
        known = [k for k in self._keys if kid is None or k.kid in {None, kid}]
        if not known:
            raise Unauthenticated(f"unknown key id {kid!r}")
        return [k for k in known if k.algorithm == algorithm]


def _reason(error: jwt.PyJWTError) -> str:
    for kind, reason in _CLAIM_FAILURES:
        if isinstance(error, kind):
            return reason(error)
    return "invalid token"


def _caller(claims: Mapping[str, Any]) -> Caller:
    domain_id = claims.get(DOMAIN_CLAIM)
    if not isinstance(domain_id, str) or not domain_id:
        raise Unauthenticated(f"token has no domain ('{DOMAIN_CLAIM}' claim)")
    permissions = claims.get(PERMISSIONS_CLAIM, [])
    if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
        raise Unauthenticated(f"claim '{PERMISSIONS_CLAIM}' must be a list of strings")
    return Caller(domain_id, frozenset(permissions))
