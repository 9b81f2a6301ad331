"""Throwaway signing keys, JWTs and a small PKI for the authentication and TLS tests.

Everything is generated at test time with `cryptography` into a tmp dir: no private key is ever
committed. Forged tokens (`alg: none`, HS256 keyed with a public key) are built by hand, since
PyJWT rightly refuses to make them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

AUDIENCE = "spaceone"
READ = "inventory.JobTask.read"
WRITE = "inventory.JobTask.write"
ADMIN = "inventory.JobTask.admin"


@dataclass(frozen=True)
class SigningKey:
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    algorithm: str  # RS256 or ES256
    kid: str | None = None

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def private_pem(self) -> bytes:
        """For the tests that check a private key is refused where a public one belongs."""
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def jwk(self) -> dict[str, Any]:
        """The public half as a JWK, with `kid`, `alg` and `use`."""
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        entry: dict[str, Any] = json.loads(algorithm.to_jwk(self.private.public_key()))
        entry.update(alg=self.algorithm, use="sig")
        if self.kid is not None:
            entry["kid"] = self.kid
        return entry

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        header = {"kid": self.kid} if self.kid is not None else {}
        header.update(headers or {})
        return jwt.encode(claims, self.private, algorithm=self.algorithm, headers=header or None)


def rsa_key(kid: str | None = None, *, bits: int = 2048) -> SigningKey:
    return SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=bits), "RS256", kid)


def ec_key(kid: str | None = None) -> SigningKey:
    return SigningKey(ec.generate_private_key(ec.SECP256R1()), "ES256", kid)


def claims(
    domain_id: str,
    permissions: Iterable[str] = (READ, WRITE),
    *,
    audience: str | None = AUDIENCE,
    expires_in: float | None = 300,
    **extra: Any,
) -> dict[str, Any]:
    """SpaceONE-like claims: `did` the domain, `permissions` a list; `None` leaves a claim out."""
    now = int(time.time())
    body: dict[str, Any] = {"did": domain_id, "permissions": list(permissions), "iat": now}
    if audience is not None:
        body["aud"] = audience
    if expires_in is not None:
        body["exp"] = now + int(expires_in)
    return {**body, **extra}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _segments(header: dict[str, Any], body: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(body).encode())}"


def unsigned_token(body: dict[str, Any]) -> str:
    """`alg: none`, no signature."""
    return _segments({"alg": "none", "typ": "JWT"}, body) + "."


def hs256_token(secret: bytes, body: dict[str, Any]) -> str:
    """HS256 keyed with `secret` (the classic attack keys it with the server's public key)."""
    signing_input = _segments({"alg": "HS256", "typ": "JWT"}, body)
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def write_pem(path: Path, key: SigningKey) -> Path:
    path.write_bytes(key.public_pem())
    return path


def write_jwks(path: Path, *keys: SigningKey) -> Path:
    path.write_text(json.dumps({"keys": [key.jwk() for key in keys]}))
    return path


# -- certificates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pki:
    """A CA, a server certificate for localhost/127.0.0.1, a client certificate from the CA, and a
    client certificate from another CA. Paths of PEM files."""

    ca_cert: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    stranger_cert: Path
    stranger_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    common_name: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[str, ec.EllipticCurvePrivateKey] | None = None,
    *,
    server: bool = False,
) -> x509.Certificate:
    issuer_name, issuer_key = issuer if issuer is not None else (common_name, key)
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(issuer_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if server:
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, certificate: x509.Certificate) -> Path:
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def make_pki(directory: Path) -> Pki:
    ca_key, other_ca_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    keys = {name: ec.generate_private_key(ec.SECP256R1()) for name in ("server", "client", "x")}
    ca = ("test CA", ca_key)
    return Pki(
        ca_cert=_write(directory / "ca.pem", _certificate("test CA", ca_key)),
        server_cert=_write(
            directory / "server.pem", _certificate("localhost", keys["server"], ca, server=True)
        ),
        server_key=_write_key(directory / "server-key.pem", keys["server"]),
        client_cert=_write(directory / "client.pem", _certificate("collector", keys["client"], ca)),
        client_key=_write_key(directory / "client-key.pem", keys["client"]),
        stranger_cert=_write(
            directory / "stranger.pem",
            _certificate("stranger", keys["x"], ("other CA", other_ca_key)),
        ),
        stranger_key=_write_key(directory / "stranger-key.pem", keys["x"]),
    )


def self_signed_server(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost/127.0.0.1 and its key (certificate, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = _certificate("localhost", key, server=True)
    return (
        _write(directory / "self-signed.pem", certificate),
        _write_key(directory / "self-signed-key.pem", key),
    )
