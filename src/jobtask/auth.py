"""Who is calling: RS256/ES256 JWTs verified with configured public keys, the caller they name
(domain and permissions), and the TLS files, each checked once at start-up.

No gRPC here: `jobtask.rpc.access` reads the token from the call and applies what this decides.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from jobtask.errors import PermissionDenied, Unauthenticated
from jobtask.settings import Settings
from jobtask.spaceone_auth import Identity, KeyStore, RateLimit, SpaceoneAuth, parse_jwks

Algorithm = Literal["RS256", "ES256"]
ALGORITHMS: Final[tuple[Algorithm, ...]] = ("RS256", "ES256")
MIN_RSA_BITS: Final = 2048

READ: Final = "inventory.JobTask.read"
WRITE: Final = "inventory.JobTask.write"
ADMIN: Final = "inventory.JobTask.admin"
DOMAIN_CLAIM: Final = "did"  # the claim SpaceONE's own tokens carry the domain in
PERMISSIONS_CLAIM: Final = "permissions"


class ConfigurationError(ValueError):
    """A configured key, certificate or path that cannot be used; stops the server at start-up."""

    def __init__(self, variable: str, value: str, reason: str) -> None:
        super().__init__(f"invalid {variable}={value!r}: {reason}")


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
        data = _read(path, variable)
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


def _read(path: str, variable: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ConfigurationError(variable, path, error.strerror or "cannot be read") from None


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


@dataclass(frozen=True)
class TlsFiles:
    """PEM bytes as gRPC takes them, checked to parse and to belong together."""

    certificate_chain: bytes
    private_key: bytes
    client_ca: bytes | None = None  # set: the writer's port requires certificates it signed


def load_tls(cert_file: str, key_file: str, client_ca_file: str = "") -> TlsFiles:
    chain = _read(cert_file, "TLS_CERT_FILE")
    certificates = _certificates(chain, "TLS_CERT_FILE", cert_file)
    private_key = _read(key_file, "TLS_KEY_FILE")
    try:
        key = serialization.load_pem_private_key(private_key, password=None)
    except TypeError:
        raise ConfigurationError("TLS_KEY_FILE", key_file, "encrypted: give it decrypted") from None
    except ValueError:
        raise ConfigurationError("TLS_KEY_FILE", key_file, "not a PEM private key") from None
    if _spki(key.public_key()) != _spki(certificates[0].public_key()):
        raise ConfigurationError(
            "TLS_KEY_FILE", key_file, f"not the key of the certificate in {cert_file}"
        )
    client_ca = None
    if client_ca_file:
        client_ca = _read(client_ca_file, "TLS_CLIENT_CA_FILE")
        _certificates(client_ca, "TLS_CLIENT_CA_FILE", client_ca_file)
    return TlsFiles(chain, private_key, client_ca)


def _certificates(data: bytes, variable: str, path: str) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        raise ConfigurationError(variable, path, "not a PEM certificate") from None


def _spki(key: Any) -> bytes:
    encoded: bytes = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return encoded


@dataclass(frozen=True)
class Security:
    """What the server enforces: tokens when a verifier is set (AUTH_MODE=jwt) or SpaceONE's when
    `spaceone` is (AUTH_MODE=spaceone), TLS when files are."""

    verifier: TokenVerifier | None = None
    tls: TlsFiles | None = None
    spaceone: SpaceoneAuth | None = None

    @property
    def mutual_tls(self) -> bool:
        return self.tls is not None and self.tls.client_ca is not None


def load_spaceone(settings: Settings, identity: Identity | None) -> SpaceoneAuth:
    """AUTH_MODE=spaceone: the JWKS files read and checked, identity (when configured) asked."""
    if settings.identity_endpoint and identity is None:
        # Never silently weaker: without the client, calls would skip Authorization.verify.
        raise ConfigurationError(
            "IDENTITY_ENDPOINT", settings.identity_endpoint, "no identity client was given"
        )
    files = {}
    for domain_id, path in settings.identity_jwks_files.items():
        try:
            files[domain_id] = parse_jwks(_read(path, "IDENTITY_JWKS").decode(), path)
        except (ValueError, UnicodeDecodeError) as error:
            raise ConfigurationError("IDENTITY_JWKS", path, str(error)) from None
    rate = RateLimit(
        settings.identity_lookups_per_second, max(1, int(settings.identity_lookups_per_second))
    )
    keys = KeyStore(
        identity,
        files,
        ttl=settings.identity_key_ttl_seconds,
        size=settings.identity_key_cache_size,
        refresh_interval=settings.identity_key_refresh_seconds,
        rate=rate,
    )
    return SpaceoneAuth(
        keys,
        identity,
        verify_ttl=settings.identity_verify_ttl_seconds,
        verify_size=settings.identity_verify_cache_size,
        check_api_keys=settings.identity_check_api_keys,
    )


def load_security(settings: Settings, identity: Identity | None = None) -> Security:
    """Reads and checks each configured key and certificate; ConfigurationError names a bad one.

    `identity`: the client AUTH_MODE=spaceone asks (`jobtask.api.identity` makes it)."""
    spaceone = None
    if settings.auth_enabled and settings.auth_mode == "spaceone":
        spaceone = load_spaceone(settings, identity)
    verifier = None
    if settings.auth_enabled and spaceone is None:
        verifier = TokenVerifier(
            load_public_keys(settings.auth_public_key_files),
            audience=settings.auth_audience,
            issuer=settings.auth_issuer,
            leeway_seconds=settings.auth_leeway_seconds,
        )
    tls = None
    if settings.tls_cert_file:
        tls = load_tls(settings.tls_cert_file, settings.tls_key_file, settings.tls_client_ca_file)
    return Security(verifier, tls, spaceone)
