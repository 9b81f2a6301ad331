"""What the AUTH_MODE=spaceone tests of both lines share: a clock they move by hand, a key, and
identity's public keys (either line's Domain.get_public_key)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from jobtask.errors import IdentityUnavailable, Unauthenticated
from tests.support.tokens import SigningKey, rsa_key


@dataclass
class FakeKeys:
    """Answers Domain.get_public_key as identity would, and counts what it was asked."""

    keys: dict[str, SigningKey]
    down: bool = False
    endpoint: str = "grpc://identity:50051"
    key_lookups: list[str] = field(default_factory=list)

    def public_key(self, domain_id: str) -> str:
        self.key_lookups.append(domain_id)
        if self.down:
            raise IdentityUnavailable(self.endpoint, "UNAVAILABLE")
        if domain_id not in self.keys:
            raise Unauthenticated("Token is invalid or expired.")
        entry = self.keys[domain_id].jwk()
        del entry["alg"], entry["use"]  # identity's JWKs carry neither (nor a kid)
        return json.dumps(entry)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


# A key is a value no test changes (one that rotates makes another): generated once per session,
# as RSA's key generation is most of these tests' time.
@pytest.fixture(scope="session")
def key() -> SigningKey:
    return rsa_key()


@pytest.fixture(scope="session")
def other_key() -> SigningKey:
    return rsa_key()
