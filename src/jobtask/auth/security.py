"""What the server enforces (`Security`), loaded once from the settings by `load_security`:
JWT verification, SpaceONE identity, TLS; each configured file checked at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from jobtask.auth.caches import RateLimit
from jobtask.auth.files import ConfigurationError, read_configured
from jobtask.auth.jwt import TokenVerifier, load_public_keys
from jobtask.auth.spaceone import Identity, KeySource, KeyStore, SpaceoneAuth, parse_jwks
from jobtask.auth.spaceone2 import Identity2, Spaceone2Auth
from jobtask.auth.tls import TlsFiles, load_tls
from jobtask.settings import Settings


@dataclass(frozen=True)
class Security:
    """What the server enforces: tokens when a verifier is set (AUTH_MODE=jwt) or SpaceONE's when
    `spaceone` (AUTH_MODE=spaceone) or, on the 2.x line, `spaceone2` is; TLS when files are."""

    verifier: TokenVerifier | None = None
    tls: TlsFiles | None = None
    spaceone: SpaceoneAuth | None = None
    spaceone2: Spaceone2Auth | None = None

    @property
    def mutual_tls(self) -> bool:
        return self.tls is not None and self.tls.client_ca is not None


def load_key_store(settings: Settings, identity: KeySource | None) -> KeyStore:
    """AUTH_MODE=spaceone's domain keys (either line's): the JWKS files read and checked,
    identity (when configured) asked."""
    if settings.identity_endpoint and identity is None:
        # Never silently weaker: without the client, calls would skip Authorization.verify.
        raise ConfigurationError(
            "IDENTITY_ENDPOINT", settings.identity_endpoint, "no identity client was given"
        )
    files = {}
    for domain_id, path in settings.identity_jwks_files.items():
        try:
            files[domain_id] = parse_jwks(read_configured(path, "IDENTITY_JWKS").decode(), path)
        except (ValueError, UnicodeDecodeError) as error:
            raise ConfigurationError("IDENTITY_JWKS", path, str(error)) from None
    rate = RateLimit(
        settings.identity_lookups_per_second, max(1, int(settings.identity_lookups_per_second))
    )
    return KeyStore(
        identity,
        files,
        ttl=settings.identity_key_ttl_seconds,
        size=settings.identity_key_cache_size,
        refresh_interval=settings.identity_key_refresh_seconds,
        rate=rate,
    )


def load_security(settings: Settings, identity: Identity | Identity2 | None = None) -> Security:
    """Reads and checks each configured key and certificate; ConfigurationError names a bad one.

    `identity`: the client AUTH_MODE=spaceone asks (`jobtask.clients.identity` makes the one of
    the line served)."""
    spaceone = spaceone2 = None
    if settings.auth_enabled and settings.auth_mode == "spaceone":
        # Either line: the same key store, and identity's verdicts (1.x's Authorization.verify,
        # 2.x's App.check) kept as long and as many. `identity` is the line's client
        # (`jobtask.bootstrap.identity_client`).
        keys = load_key_store(settings, identity)
        ttl, size = settings.identity_verify_ttl_seconds, settings.identity_verify_cache_size
        if settings.spaceone_api == 2:
            spaceone2 = Spaceone2Auth(
                keys, cast("Identity2 | None", identity), app_ttl=ttl, app_size=size
            )
        else:
            spaceone = SpaceoneAuth(
                keys,
                cast("Identity | None", identity),
                verify_ttl=ttl,
                verify_size=size,
                check_api_keys=settings.identity_check_api_keys,
            )
    verifier = None
    if settings.auth_enabled and settings.auth_mode == "jwt":
        verifier = TokenVerifier(
            load_public_keys(settings.auth_public_key_files),
            audience=settings.auth_audience,
            issuer=settings.auth_issuer,
            leeway_seconds=settings.auth_leeway_seconds,
        )
    tls = None
    if settings.tls_cert_file:
        tls = load_tls(settings.tls_cert_file, settings.tls_key_file, settings.tls_client_ca_file)
    return Security(verifier, tls, spaceone, spaceone2)
