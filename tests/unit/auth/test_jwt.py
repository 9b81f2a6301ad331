"""Token verification, the caller's permissions and domain, and the key and TLS files (no gRPC)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import ValidationError

from jobtask.auth.files import ConfigurationError
from jobtask.auth.jwt import Caller, PublicKey, TokenVerifier, load_public_keys
from jobtask.auth.security import load_security
from jobtask.auth.tls import load_tls
from jobtask.errors import PermissionDenied, Unauthenticated
from jobtask.settings import Settings
from tests.support.tokens import (
    ADMIN,
    READ,
    WRITE,
    SigningKey,
    claims,
    ec_key,
    hs256_token,
    make_pki,
    rsa_key,
    unsigned_token,
    write_jwks,
    write_pem,
)

DOMAIN = "domain-000000000001"


@pytest.fixture(scope="module")
def rsa_signer() -> SigningKey:
    return rsa_key()


@pytest.fixture(scope="module")
def ec_signer() -> SigningKey:
    return ec_key()


@pytest.fixture(scope="module")
def stranger() -> SigningKey:
    return rsa_key()


@pytest.fixture(scope="module")
def key_files(
    tmp_path_factory: pytest.TempPathFactory, rsa_signer: SigningKey, ec_signer: SigningKey
) -> list[str]:
    directory = tmp_path_factory.mktemp("keys")
    return [
        str(write_pem(directory / "rsa.pem", rsa_signer)),
        str(write_pem(directory / "ec.pem", ec_signer)),
    ]


@pytest.fixture(scope="module")
def verifier(key_files: list[str]) -> TokenVerifier:
    return TokenVerifier(load_public_keys(key_files), audience="spaceone", leeway_seconds=30)


def _reason(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as raised:
        verifier.verify(token)
    assert str(raised.value).startswith("ERROR_AUTHENTICATE_FAILURE: ")
    return raised.value.message


# -- verification -------------------------------------------------------------------------------


@pytest.mark.parametrize("signer", ["rsa_signer", "ec_signer"])
def test_a_valid_token_names_its_domain_and_permissions(
    verifier: TokenVerifier, signer: str, request: pytest.FixtureRequest
) -> None:
    key: SigningKey = request.getfixturevalue(signer)

    caller = verifier.verify(key.sign(claims(DOMAIN, [READ])))

    assert caller == Caller(DOMAIN, frozenset({READ}))


def _forged(rsa_signer: SigningKey, stranger: SigningKey) -> dict[str, Callable[[], str]]:
    return {
        "": lambda: "",
        "not a jwt": lambda: "not-a-jwt",
        "three dots of garbage": lambda: "a.b.c",
        "signed by an unknown key": lambda: stranger.sign(claims(DOMAIN)),
        "expired beyond the leeway": lambda: rsa_signer.sign(claims(DOMAIN, expires_in=-120)),
        "without exp": lambda: rsa_signer.sign(claims(DOMAIN, expires_in=None)),
        "for another audience": lambda: rsa_signer.sign(claims(DOMAIN, audience="elsewhere")),
        "without aud": lambda: rsa_signer.sign(claims(DOMAIN, audience=None)),
        "not valid before an hour": lambda: rsa_signer.sign(
            claims(DOMAIN, nbf=int(time.time()) + 3600)
        ),
        "alg none": lambda: unsigned_token(claims(DOMAIN)),
        "HS256 keyed with the public key": lambda: hs256_token(
            rsa_signer.public_pem(), claims(DOMAIN)
        ),
        "without a domain": lambda: rsa_signer.sign(claims("")),
        "permissions not a list": lambda: rsa_signer.sign(
            {**claims(DOMAIN), "permissions": "inventory.JobTask.read"}
        ),
        "a kid that is not a string": lambda: ".".join(
            base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
            for part in ({"alg": "RS256", "kid": 7}, claims(DOMAIN), "signature")
        ),
        "a signed payload that is not JSON": lambda: jwt.PyJWS().encode(
            b"not json", rsa_signer.private, algorithm="RS256"
        ),
    }


EXPECTED_REASONS = {
    "": "no token: send it as 'token' metadata or as 'authorization: Bearer <token>'",
    "not a jwt": "malformed token",
    "three dots of garbage": "malformed token",
    "signed by an unknown key": "bad signature",
    "expired beyond the leeway": "token expired",
    "without exp": "token has no 'exp' claim",
    "for another audience": "token is for another audience",
    "without aud": "token has no 'aud' claim",
    "not valid before an hour": "token not valid yet",
    "alg none": "algorithm 'none' is not accepted (RS256 or ES256)",
    "HS256 keyed with the public key": "algorithm 'HS256' is not accepted (RS256 or ES256)",
    "without a domain": "token has no domain ('did' claim)",
    "permissions not a list": "claim 'permissions' must be a list of strings",
    "a kid that is not a string": "malformed token",
    "a signed payload that is not JSON": "malformed token",
}


@pytest.mark.parametrize("case", sorted(EXPECTED_REASONS))
def test_each_bad_token_is_unauthenticated_with_its_reason(
    verifier: TokenVerifier, rsa_signer: SigningKey, stranger: SigningKey, case: str
) -> None:
    token = _forged(rsa_signer, stranger)[case]()

    assert _reason(verifier, token) == EXPECTED_REASONS[case]


def test_an_expired_token_within_the_leeway_still_verifies(
    verifier: TokenVerifier, rsa_signer: SigningKey
) -> None:
    assert verifier.verify(rsa_signer.sign(claims(DOMAIN, expires_in=-10))).domain_id == DOMAIN


def test_the_issuer_is_checked_only_when_configured(
    key_files: list[str], rsa_signer: SigningKey
) -> None:
    strict = TokenVerifier(load_public_keys(key_files), audience="spaceone", issuer="identity")

    assert strict.verify(rsa_signer.sign(claims(DOMAIN, iss="identity"))).domain_id == DOMAIN
    assert _reason(strict, rsa_signer.sign(claims(DOMAIN, iss="other"))) == (
        "token is from another issuer"
    )
    assert _reason(strict, rsa_signer.sign(claims(DOMAIN))) == "token has no 'iss' claim"


def test_an_audience_list_holding_ours_verifies(
    verifier: TokenVerifier, rsa_signer: SigningKey
) -> None:
    token = rsa_signer.sign(claims(DOMAIN, audience=None, aud=["console", "spaceone"]))

    assert verifier.verify(token).domain_id == DOMAIN


# -- rotation and key ids -----------------------------------------------------------------------


def test_rotation_any_listed_key_verifies_and_no_other(tmp_path: Path) -> None:
    old, new, unlisted = rsa_key(), ec_key(), rsa_key()
    files = [str(write_pem(tmp_path / "old.pem", old)), str(write_pem(tmp_path / "new.pem", new))]
    verifier = TokenVerifier(load_public_keys(files), audience="spaceone")

    assert verifier.verify(old.sign(claims(DOMAIN))).domain_id == DOMAIN
    assert verifier.verify(new.sign(claims(DOMAIN))).domain_id == DOMAIN
    assert _reason(verifier, unlisted.sign(claims(DOMAIN))) == "bad signature"


def test_a_jwks_picks_the_key_by_kid(tmp_path: Path) -> None:
    first, second = rsa_key("2024-01"), ec_key("2024-02")
    keys = load_public_keys([str(write_jwks(tmp_path / "jwks.json", first, second))])
    verifier = TokenVerifier(keys, audience="spaceone")

    assert [(k.kid, k.algorithm) for k in keys] == [("2024-01", "RS256"), ("2024-02", "ES256")]
    assert verifier.verify(first.sign(claims(DOMAIN))).domain_id == DOMAIN
    assert verifier.verify(second.sign(claims(DOMAIN))).domain_id == DOMAIN
    impostor = SigningKey(rsa_key().private, "RS256", "2024-01")
    assert _reason(verifier, impostor.sign(claims(DOMAIN))) == "bad signature"


def test_a_kid_no_key_has_is_unauthenticated(tmp_path: Path) -> None:
    known = rsa_key("known")
    verifier = TokenVerifier(
        load_public_keys([str(write_jwks(tmp_path / "jwks.json", known))]), audience="spaceone"
    )
    unknown = SigningKey(known.private, "RS256", "unknown")

    assert _reason(verifier, unknown.sign(claims(DOMAIN))) == "unknown key id 'unknown'"


def test_a_pem_key_has_no_kid_and_verifies_tokens_with_any(tmp_path: Path) -> None:
    key = ec_key()
    verifier = TokenVerifier(
        load_public_keys([str(write_pem(tmp_path / "k.pem", key))]), audience="spaceone"
    )

    token = key.sign(claims(DOMAIN), headers={"kid": "whatever"})

    assert verifier.verify(token).domain_id == DOMAIN


def test_a_token_whose_algorithm_no_key_uses_fails_its_signature(tmp_path: Path) -> None:
    rsa_only = TokenVerifier(
        load_public_keys([str(write_pem(tmp_path / "k.pem", rsa_key()))]), audience="spaceone"
    )

    assert _reason(rsa_only, ec_key().sign(claims(DOMAIN))) == "bad signature"


# -- permissions and domains --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("granted", "needed", "allowed"),
    [
        ({READ}, READ, True),
        ({READ}, WRITE, False),
        ({WRITE}, READ, False),
        ({"inventory.JobTask.*"}, WRITE, True),
        ({"inventory.JobTask.*"}, ADMIN, True),
        ({"inventory.*"}, READ, True),
        ({"*"}, ADMIN, True),
        ({"inventory.JobTask.readonly"}, READ, False),
        ({"inventory.Job.*"}, READ, False),
        ({"inventory.JobTask"}, READ, False),
        (set(), READ, False),
    ],
)
def test_a_permission_is_granted_exactly_or_by_a_wildcard(
    granted: set[str], needed: str, allowed: bool
) -> None:
    assert Caller(DOMAIN, frozenset(granted)).may(needed) is allowed


def test_a_missing_permission_is_denied_by_name() -> None:
    with pytest.raises(PermissionDenied) as raised:
        Caller(DOMAIN, frozenset({READ})).require(WRITE)

    assert str(raised.value) == (
        "ERROR_PERMISSION_DENIED: the token lacks the permission inventory.JobTask.write"
    )


@pytest.mark.parametrize(
    ("requested", "scoped"), [("", DOMAIN), (DOMAIN, DOMAIN)], ids=["none", "its own"]
)
def test_a_request_is_scoped_to_the_tokens_domain(requested: str, scoped: str) -> None:
    assert Caller(DOMAIN, frozenset()).scoped(requested) == scoped


def test_a_request_naming_another_domain_is_denied() -> None:
    with pytest.raises(PermissionDenied, match="domain-other is not the token's domain"):
        Caller(DOMAIN, frozenset({ADMIN})).scoped("domain-other")


@pytest.mark.parametrize(
    ("permissions", "requested", "scoped"),
    [
        ({WRITE}, "", DOMAIN),
        ({WRITE, ADMIN}, "", ""),
        ({WRITE, ADMIN}, "domain-other", "domain-other"),
        ({"*"}, "", ""),
    ],
)
def test_every_domain_needs_the_admin_permission(
    permissions: set[str], requested: str, scoped: str
) -> None:
    caller = Caller(DOMAIN, frozenset(permissions))

    assert caller.scoped(requested, every_domain=ADMIN) == scoped


def test_without_admin_naming_another_domain_to_purge_is_denied() -> None:
    with pytest.raises(PermissionDenied):
        Caller(DOMAIN, frozenset({WRITE})).scoped("domain-other", every_domain=ADMIN)


# -- key files ----------------------------------------------------------------------------------


def _jwks(*entries: dict[str, Any]) -> str:
    return json.dumps({"keys": list(entries)})


BAD_KEY_FILES: dict[str, tuple[Callable[[], str | bytes], str]] = {
    "private pem": (lambda: rsa_key().private_pem(), "a private key: give the public key only"),
    "garbage": (
        lambda: "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n",
        "not a PEM public key or a JWKS",
    ),
    "small rsa": (lambda: rsa_key(bits=1024).public_pem(), "a 1024-bit RSA key; at least 2048"),
    "p-384": (
        lambda: SigningKey(ec.generate_private_key(ec.SECP384R1()), "ES384").public_pem(),
        "not an RSA or EC P-256 public key",
    ),
    "bad json": (lambda: "{", "not valid JSON"),
    "no keys": (lambda: '{"keys": []}', 'a JWKS needs a non-empty "keys" list'),
    "private jwk": (lambda: _jwks({**rsa_key().jwk(), "d": "x"}), "a private key"),
    "hs256 jwk": (
        lambda: _jwks({"kty": "oct", "k": "c2VjcmV0", "alg": "HS256"}),
        "alg HS256 is not RS256 or ES256",
    ),
    "oct jwk": (lambda: _jwks({"kty": "oct", "k": "c2VjcmV0"}), "not an RSA or EC P-256"),
    "encryption jwk": (lambda: _jwks({**rsa_key().jwk(), "use": "enc"}), "not a signing key"),
    "broken jwk": (lambda: _jwks({"kty": "RSA", "n": "x"}), "not a usable JWK"),
    "kid not a string": (lambda: _jwks({**ec_key().jwk(), "kid": 7}), "kid is not a string"),
    "jwk not an object": (lambda: '{"keys": ["x"]}', "a JWK is a JSON object"),
}


@pytest.mark.parametrize("case", sorted(BAD_KEY_FILES))
def test_an_unusable_key_file_stops_start_up_naming_it(tmp_path: Path, case: str) -> None:
    make, reason = BAD_KEY_FILES[case]
    content = make()
    path = tmp_path / "key"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())

    with pytest.raises(ConfigurationError) as raised:
        load_public_keys([str(path)])

    assert str(raised.value).startswith(f"invalid AUTH_PUBLIC_KEYS='{path}")
    assert reason in str(raised.value)


def test_a_missing_key_file_stops_start_up_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "absent.pem"

    with pytest.raises(ConfigurationError) as raised:
        load_public_keys([str(path)])

    assert str(raised.value) == f"invalid AUTH_PUBLIC_KEYS='{path}': No such file or directory"


def test_public_keys_load_from_pem_and_jwks_files_together(tmp_path: Path) -> None:
    files = [
        str(write_pem(tmp_path / "a.pem", rsa_key())),
        str(write_jwks(tmp_path / "b.json", ec_key("b1"), rsa_key("b2"))),
    ]

    keys = load_public_keys(files)

    assert [(k.algorithm, k.kid) for k in keys] == [
        ("RS256", None),
        ("ES256", "b1"),
        ("RS256", "b2"),
    ]
    assert all(isinstance(k, PublicKey) for k in keys)


# -- TLS files ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return make_pki(tmp_path_factory.mktemp("pki"))


def test_tls_files_that_belong_together_load(pki: Any) -> None:
    tls = load_tls(str(pki.server_cert), str(pki.server_key), str(pki.ca_cert))

    assert tls.certificate_chain == pki.server_cert.read_bytes()
    assert tls.private_key == pki.server_key.read_bytes()
    assert tls.client_ca == pki.ca_cert.read_bytes()


def test_a_key_of_another_certificate_is_refused(pki: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"TLS_KEY_FILE=.*not the key of the certificate"):
        load_tls(str(pki.server_cert), str(pki.client_key))


@pytest.mark.parametrize(
    ("files", "variable", "reason"),
    [
        (("absent.pem", "server-key.pem", ""), "TLS_CERT_FILE", "No such file"),
        (("server-key.pem", "server-key.pem", ""), "TLS_CERT_FILE", "not a PEM certificate"),
        (("server.pem", "server.pem", ""), "TLS_KEY_FILE", "not a PEM private key"),
        (("server.pem", "server-key.pem", "server-key.pem"), "TLS_CLIENT_CA_FILE", "certificate"),
        (("server.pem", "server-key.pem", "absent.pem"), "TLS_CLIENT_CA_FILE", "No such file"),
    ],
)
def test_an_unusable_tls_file_stops_start_up_naming_it(
    pki: Any, files: tuple[str, str, str], variable: str, reason: str
) -> None:
    directory = pki.ca_cert.parent
    paths = [str(directory / name) if name else "" for name in files]

    with pytest.raises(ConfigurationError) as raised:
        load_tls(*paths)

    assert str(raised.value).startswith(f"invalid {variable}=")
    assert reason in str(raised.value)


def test_an_encrypted_tls_key_is_refused(pki: Any, tmp_path: Path) -> None:
    key = serialization.load_pem_private_key(pki.server_key.read_bytes(), password=None)
    encrypted = tmp_path / "encrypted.pem"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )

    with pytest.raises(ConfigurationError, match="encrypted"):
        load_tls(str(pki.server_cert), str(encrypted))


# -- settings -----------------------------------------------------------------------------------


def test_security_is_off_by_default() -> None:
    security = load_security(Settings())

    assert (security.verifier, security.tls, security.mutual_tls) == (None, None, False)


def test_security_loads_what_the_settings_name(key_files: list[str], pki: Any) -> None:
    settings = Settings(
        auth_enabled=True,
        auth_public_keys=" , ".join(key_files),
        tls_cert_file=str(pki.server_cert),
        tls_key_file=str(pki.server_key),
        tls_client_ca_file=str(pki.ca_cert),
    )

    security = load_security(settings)

    assert security.verifier is not None and security.verifier.key_count == 2
    assert security.mutual_tls


@pytest.mark.parametrize(
    ("fields", "variable"),
    [
        ({"auth_enabled": True}, "auth_public_keys"),
        ({"auth_enabled": True, "auth_public_keys": " , "}, "auth_public_keys"),
        ({"tls_cert_file": "c.pem"}, "tls_key_file"),
        ({"tls_key_file": "k.pem"}, "tls_key_file"),
        ({"tls_client_ca_file": "ca.pem"}, "tls_client_ca_file"),
        (
            {
                "tls_cert_file": "c.pem",
                "tls_key_file": "k.pem",
                "tls_client_ca_file": "ca.pem",
                "grpc_port": 7000,
                "writer_grpc_port": 7000,
            },
            "writer_grpc_port",
        ),
        ({"auth_leeway_seconds": -1}, "auth_leeway_seconds"),
        ({"auth_audience": ""}, "auth_audience"),
    ],
)
def test_settings_that_do_not_fit_together_are_refused(
    fields: dict[str, Any], variable: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(**fields)

    assert [error["loc"][0] for error in raised.value.errors()] == [variable]
