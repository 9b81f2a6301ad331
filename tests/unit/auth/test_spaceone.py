"""AUTH_MODE=spaceone's decisions (jobtask.auth.spaceone), with a recording stand-in for identity:
what is cached and for how long, what a flood of bad tokens costs identity, and how each role
type scopes a call. The real identity answers the same questions in tests/e2e/identity."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from jobtask.auth.caches import RateLimit, TtlCache
from jobtask.auth.spaceone import PROJECT, Api, Grant, KeyStore, SpaceoneAuth, parse_jwks
from jobtask.errors import IdentityUnavailable, PermissionDenied, Unauthenticated
from tests.support.tokens import SigningKey, hs256_token, rsa_key, unsigned_token
from tests.unit.auth.conftest import Clock, FakeKeys

DOMAIN = "domain-111111111111"
LIST = Api("JobTask", "list", PROJECT)
DELETE = Api("JobTask", "delete", PROJECT)


@dataclass
class FakeIdentity(FakeKeys):
    """Answers as identity would, and counts what it was asked."""

    grant: Grant = field(default_factory=lambda: Grant("DOMAIN", frozenset()))
    api_key_ok: bool = True
    refuse: bool = False
    verifies: list[tuple[str, str, str]] = field(default_factory=list)

    def verify(self, token: str, api: Api, domain_id: str, project_id: str) -> Grant:
        self.verifies.append((api.name, domain_id, project_id))
        if self.down:
            raise IdentityUnavailable(self.endpoint, "UNAVAILABLE")
        if self.refuse:
            raise PermissionDenied("Permission denied.")
        return self.grant

    def api_key_enabled(self, api_key_id: str, domain_id: str) -> bool:
        return self.api_key_ok


def token(key: SigningKey, domain_id: str = DOMAIN, **claims: Any) -> str:
    body = {"did": domain_id, "aud": "user@example.com", "user_type": "USER", "cat": "ACCESS_TOKEN"}
    return key.sign({**body, **claims})


def make(
    identity: FakeIdentity | None,
    clock: Clock,
    *,
    files: dict[str, list[Any]] | None = None,
    verify_ttl: float = 10,
    refresh: float = 10,
    rate: float = 100,
) -> SpaceoneAuth:
    keys = KeyStore(
        identity,
        files or {},
        ttl=300,
        size=2,
        refresh_interval=refresh,
        rate=RateLimit(rate, int(rate), clock),
        clock=clock,
    )
    return SpaceoneAuth(keys, identity, verify_ttl=verify_ttl, verify_size=100, clock=clock)


def test_the_claims_become_the_caller(key: SigningKey, clock: Clock) -> None:
    auth = make(FakeIdentity({DOMAIN: key}), clock)

    caller = auth.authenticate(token(key, cat="API_KEY", api_key_id="api-key-1", permissions=["*"]))

    assert (caller.domain_id, caller.user_id, caller.user_type) == (
        DOMAIN,
        "user@example.com",
        "USER",
    )
    assert (caller.token_type, caller.api_key_id, caller.permissions) == (
        "API_KEY",
        "api-key-1",
        ("*",),
    )


def test_the_key_is_fetched_once_and_kept_for_its_ttl(key: SigningKey, clock: Clock) -> None:
    identity = FakeIdentity({DOMAIN: key})
    auth = make(identity, clock)

    for _ in range(5):
        auth.authenticate(token(key))
    clock.now += 301
    auth.authenticate(token(key))

    assert identity.key_lookups == [DOMAIN, DOMAIN]


def test_a_rotated_key_is_fetched_again_at_once(key: SigningKey, clock: Clock) -> None:
    identity = FakeIdentity({DOMAIN: key})
    auth = make(identity, clock, refresh=0)
    auth.authenticate(token(key))
    identity.keys[DOMAIN] = rotated = rsa_key()

    auth.authenticate(token(rotated))

    assert identity.key_lookups == [DOMAIN, DOMAIN]


def test_a_flood_of_bad_signatures_costs_one_lookup_per_interval(
    key: SigningKey, clock: Clock
) -> None:
    identity = FakeIdentity({DOMAIN: key})
    auth = make(identity, clock, refresh=10)
    auth.authenticate(token(key))
    forger = rsa_key()

    for _ in range(50):
        with pytest.raises(Unauthenticated):
            auth.authenticate(token(forger))
    clock.now += 11
    with pytest.raises(Unauthenticated):
        auth.authenticate(token(forger))

    assert identity.key_lookups == [DOMAIN, DOMAIN]  # the first, and one after the interval


def test_made_up_domains_are_rate_limited(key: SigningKey, clock: Clock) -> None:
    identity = FakeIdentity({DOMAIN: key})
    auth = make(identity, clock, rate=3)
    failures = []

    for index in range(20):
        with pytest.raises((Unauthenticated, IdentityUnavailable)) as raised:
            auth.authenticate(token(key, domain_id=f"domain-{index}"))
        failures.append(type(raised.value))

    assert len(identity.key_lookups) == 3
    assert failures.count(IdentityUnavailable) == 17


def test_the_key_cache_is_bounded(key: SigningKey, clock: Clock) -> None:
    domains = [f"domain-{i}" for i in range(3)]
    identity = FakeIdentity(dict.fromkeys(domains, key))
    auth = make(identity, clock)  # size=2

    for domain_id in [*domains, domains[0]]:
        auth.authenticate(token(key, domain_id=domain_id))

    assert identity.key_lookups == [*domains, domains[0]]


@pytest.mark.parametrize(
    "bad",
    ["", "not-a-jwt", "a.b.c"],
)
def test_garbage_is_unauthenticated(key: SigningKey, clock: Clock, bad: str) -> None:
    auth = make(FakeIdentity({DOMAIN: key}), clock)
    with pytest.raises(Unauthenticated):
        auth.authenticate(bad)


def test_expired_unsigned_hs256_and_domainless_tokens_are_refused(
    key: SigningKey, clock: Clock
) -> None:
    auth = make(FakeIdentity({DOMAIN: key}), clock)
    body = {"did": DOMAIN, "aud": "user@example.com"}
    public = key.public_pem()

    for bad in (
        token(key, exp=1),
        unsigned_token(body),
        hs256_token(public, body),
        key.sign({"aud": "user@example.com"}),
    ):
        with pytest.raises(Unauthenticated):
            auth.authenticate(bad)


def test_identity_down_is_unavailable_never_a_pass(key: SigningKey, clock: Clock) -> None:
    identity = FakeIdentity({DOMAIN: key}, down=True)
    auth = make(identity, clock)

    with pytest.raises(IdentityUnavailable, match="ERROR_GRPC_CONNECTION"):
        auth.authenticate(token(key))
    identity.down = False
    caller = auth.authenticate(token(key))
    identity.down = True
    with pytest.raises(IdentityUnavailable):
        auth.authorize(token(key), caller, LIST, "", "")


def test_verdicts_are_cached_per_token_and_api_for_their_ttl(key: SigningKey, clock: Clock) -> None:
    identity = FakeIdentity({DOMAIN: key})
    auth = make(identity, clock, verify_ttl=10)
    jwt = token(key)
    caller = auth.authenticate(jwt)

    for _ in range(3):
        auth.authorize(jwt, caller, LIST, "", "")
    auth.authorize(jwt, caller, DELETE, "", "")
    clock.now += 11
    auth.authorize(jwt, caller, LIST, "", "")

    assert [v[0] for v in identity.verifies] == [LIST.name, DELETE.name, LIST.name]


def test_a_zero_ttl_asks_identity_every_time(key: SigningKey, clock: Clock) -> None:
    identity = FakeIdentity({DOMAIN: key})
    auth = make(identity, clock, verify_ttl=0)
    jwt = token(key)
    caller = auth.authenticate(jwt)

    for _ in range(3):
        auth.authorize(jwt, caller, LIST, "", "")

    assert len(identity.verifies) == 3


def test_project_role_is_scoped_to_its_projects(key: SigningKey, clock: Clock) -> None:
    identity = FakeIdentity({DOMAIN: key}, grant=Grant("PROJECT", frozenset({"project-a"})))
    auth = make(identity, clock)
    jwt = token(key)
    caller = auth.authenticate(jwt)

    access = auth.authorize(jwt, caller, LIST, "", "")
    assert (access.domain_id, access.projects, access.any_domain) == (
        DOMAIN,
        frozenset({"project-a"}),
        False,
    )
    with pytest.raises(PermissionDenied):
        auth.authorize(jwt, caller, LIST, "", "project-c")


@pytest.mark.parametrize("role_type", ["DOMAIN", "USER"])
def test_domain_roles_see_the_domain_and_only_it(
    key: SigningKey, clock: Clock, role_type: str
) -> None:
    auth = make(FakeIdentity({DOMAIN: key}, grant=Grant(role_type, frozenset())), clock)
    jwt = token(key)
    caller = auth.authenticate(jwt)

    assert auth.authorize(jwt, caller, LIST, DOMAIN, "").projects is None
    with pytest.raises(PermissionDenied):
        auth.authorize(jwt, caller, LIST, "domain-other", "")


def test_system_role_may_name_any_domain(key: SigningKey, clock: Clock) -> None:
    auth = make(FakeIdentity({DOMAIN: key}, grant=Grant("SYSTEM", frozenset())), clock)
    jwt = token(key)
    caller = auth.authenticate(jwt)

    access = auth.authorize(jwt, caller, LIST, "domain-other", "")

    assert (access.domain_id, access.any_domain, access.projects) == ("domain-other", True, None)


def test_an_unknown_role_type_is_denied(key: SigningKey, clock: Clock) -> None:
    auth = make(FakeIdentity({DOMAIN: key}, grant=Grant("", frozenset())), clock)
    jwt = token(key)
    with pytest.raises(PermissionDenied):
        auth.authorize(jwt, auth.authenticate(jwt), LIST, "", "")


def test_domain_owners_are_not_asked(key: SigningKey, clock: Clock) -> None:
    identity = FakeIdentity({DOMAIN: key})
    auth = make(identity, clock)
    jwt = token(key, user_type="DOMAIN_OWNER")

    access = auth.authorize(jwt, auth.authenticate(jwt), LIST, "", "")

    assert access.projects is None and identity.verifies == []


@pytest.mark.parametrize(
    ("patterns", "allowed"),
    [
        (["inventory.JobTask.*"], True),
        (["inventory.*"], True),
        (["inventory.JobTask.list"], True),
        (["inventory.JobTask.get", "identity.*"], False),
        ([], False),
    ],
)
def test_the_permissions_claim_is_fnmatched(
    key: SigningKey, clock: Clock, patterns: list[str], allowed: bool
) -> None:
    identity = FakeIdentity({DOMAIN: key})
    auth = make(identity, clock)
    jwt = token(key, permissions=patterns)
    caller = auth.authenticate(jwt)

    if allowed:
        auth.authorize(jwt, caller, LIST, "", "")
    else:
        with pytest.raises(PermissionDenied):
            auth.authorize(jwt, caller, LIST, "", "")
        assert identity.verifies == []  # refused before identity is asked


def test_a_revoked_api_key_is_unauthenticated(key: SigningKey, clock: Clock) -> None:
    identity = FakeIdentity({DOMAIN: key}, api_key_ok=False)
    auth = make(identity, clock)
    jwt = token(key, cat="API_KEY", api_key_id="api-key-1")

    with pytest.raises(Unauthenticated):
        auth.authorize(jwt, auth.authenticate(jwt), LIST, "", "")


def test_jwks_files_serve_their_domains_without_identity(key: SigningKey, clock: Clock) -> None:
    files = {DOMAIN: parse_jwks(json.dumps({"keys": [key.jwk()]}), "file")}
    auth = make(None, clock, files=files)
    jwt = token(key)

    access = auth.authorize(jwt, auth.authenticate(jwt), LIST, "", "")

    assert (access.domain_id, access.projects) == (DOMAIN, None)
    with pytest.raises(Unauthenticated):
        auth.authenticate(token(key, domain_id="domain-elsewhere"))


@pytest.mark.parametrize(
    "document",
    ["[]", '{"keys": []}', '{"kty": "EC"}', "not json"],
)
def test_unusable_jwks_are_refused(document: str) -> None:
    with pytest.raises(ValueError):
        parse_jwks(document, "file")


def test_private_jwks_are_refused(key: SigningKey) -> None:
    with pytest.raises(ValueError, match="public"):
        parse_jwks(json.dumps({**key.jwk(), "d": "x"}), "file")


def test_ttl_cache_expires_and_evicts(clock: Clock) -> None:
    cache: TtlCache[str, int] = TtlCache(2, 5, clock)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)  # evicts b, the least recently used
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    clock.now += 6
    assert cache.get("a") is None and len(cache) == 1


def test_iat_is_not_compared_with_the_clock_as_in_core(key: SigningKey, clock: Clock) -> None:
    auth = make(FakeIdentity({DOMAIN: key}), clock)

    caller = auth.authenticate(token(key, iat=4_000_000_000))  # identity's clock ahead of ours

    assert caller.domain_id == DOMAIN


def test_refusals_are_cached_too_but_outages_are_not(key: SigningKey, clock: Clock) -> None:
    identity = FakeIdentity({DOMAIN: key}, refuse=True)
    auth = make(identity, clock, verify_ttl=10)
    jwt = token(key)
    caller = auth.authenticate(jwt)

    for _ in range(3):
        with pytest.raises(PermissionDenied, match="Permission denied"):
            auth.authorize(jwt, caller, LIST, "", "")
    identity.refuse, identity.down = False, True
    for _ in range(2):
        with pytest.raises(IdentityUnavailable):
            auth.authorize(jwt, caller, DELETE, "", "")
    identity.down = False
    auth.authorize(jwt, caller, DELETE, "", "")

    assert [v[0] for v in identity.verifies] == [LIST.name, DELETE.name, DELETE.name, DELETE.name]
