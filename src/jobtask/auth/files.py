"""Files the configuration names (keys, certificates, JWKS), read once at start-up, and the error
that names the variable of one that cannot be used."""

from __future__ import annotations

from pathlib import Path


class ConfigurationError(ValueError):
    """A configured key, certificate or path that cannot be used; stops the server at start-up."""

    def __init__(self, variable: str, value: str, reason: str) -> None:
        super().__init__(f"invalid {variable}={value!r}: {reason}")


def read_configured(path: str, variable: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ConfigurationError(variable, path, error.strerror or "cannot be read") from None
