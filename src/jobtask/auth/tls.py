"""The TLS files (certificate chain, key, client CA), checked to parse and to belong together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from jobtask.auth.files import ConfigurationError, read_configured


@dataclass(frozen=True)
class TlsFiles:
    """PEM bytes as gRPC takes them, checked to parse and to belong together."""

    certificate_chain: bytes
    private_key: bytes
    client_ca: bytes | None = None  # set: the writer's port requires certificates it signed


def load_tls(cert_file: str, key_file: str, client_ca_file: str = "") -> TlsFiles:
    chain = read_configured(cert_file, "TLS_CERT_FILE")
    certificates = _certificates(chain, "TLS_CERT_FILE", cert_file)
    private_key = read_configured(key_file, "TLS_KEY_FILE")
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
        client_ca = read_configured(client_ca_file, "TLS_CLIENT_CA_FILE")
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
