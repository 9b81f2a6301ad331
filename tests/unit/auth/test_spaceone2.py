"""AUTH_MODE=spaceone on the 2.x line (jobtask.auth.spaceone2), with a recording stand-in for
identity 2.x: tokens shaped as identity 2.0.227's KeyGenerator makes them, verified and scoped as
spaceone-core 2.x's handlers decide, without the reference's leaks. The real identity 2.x issues
and answers the same in tests/e2e/identity2."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from jobtask.auth.caches import RateLimit
from jobtask.auth.spaceone import KeyStore
from jobtask.auth.spaceone2 import AppGrant, Caller2, Spaceone2Auth
from jobtask.errors import IdentityUnavailable, PermissionDenied, RequiredParameter, Unauthenticated
from jobtask.rpcs import CREATE, DELETE, GET, LIST, PURGE, STAT
from jobtask.scope import Scope
from tests.support.tokens import SigningKey, rsa_key
from tests.unit.auth.conftest import Clock, FakeKeys

DOMAIN = "domain-111111111111"
OTHER = "domain-222222222222"
ROOT = "domain-root"
WORKSPACE = "workspace-111111111111"


@dataclass
class FakeIdentity(FakeKeys):
    """Answers as identity 2.x would to the service's system token, and counts the questions."""

    apps: dict[str, AppGrant] = field(default_factory=dict)
    app_checks: list[str] = field(default_factory=list)

    def check_app(self, client_id: str, domain_id: str) -> AppGrant:
        self.app_checks.append(client_id)
        if self.down:
            raise IdentityUnavailable(self.endpoint, "UNAVAILABLE")
        if client_id not in self.apps:
            raise PermissionDenied("Permission denied.")
        return self.apps[client_id]


def token(key: SigningKey, domain_id: str = DOMAIN, **claims: Any) -> str:
    """As identity 2.0.227's KeyGenerator: no kid, `ver` 2.0, optional claims only when set."""
    now = int(time.time())
    body = {
        "iss": "spaceone.identity",
        "typ": "ACCESS_TOKEN",
        "own": "USER",
        "did": domain_id,
        "aud": "user@example.com",
        "jti": "0123456789abcdef",
        "iat": now,
        "ver": "2.0",
        "exp": now + 1800,
    }
    body.update(claims)
    return key.sign({k: v for k, v in body.items() if v is not None})


def system_token(root: SigningKey) -> str:
    return token(root, ROOT, typ="SYSTEM_TOKEN", own="SYSTEM", aud="root@example.com", exp=None)


def make(identity: FakeIdentity, clock: Clock, *, app_ttl: float = 10) -> Spaceone2Auth:
    keys = KeyStore(
        identity,
        {},
        ttl=300,
        size=8,
        refresh_interval=10,
        rate=RateLimit(100, 100, clock),
        clock=clock,
    )
    return Spaceone2Auth(keys, identity, app_ttl=app_ttl, app_size=100, clock=clock)


@pytest.fixture(scope="session")
def root() -> SigningKey:
    return rsa_key()


@pytest.fixture
def identity(key: SigningKey, root: SigningKey, other_key: SigningKey) -> FakeIdentity:
    return FakeIdentity({DOMAIN: key, ROOT: root, OTHER: other_key})


@pytest.fixture
def auth(identity: FakeIdentity, clock: Clock) -> Spaceone2Auth:
    return make(identity, clock)


def caller(auth: Spaceone2Auth, key: SigningKey, **claims: Any) -> Caller2:
    return auth.authenticate(token(key, **claims))


# --- verification ---------------------------------------------------------------------------


def test_the_claims_become_the_caller(auth: Spaceone2Auth, key: SigningKey) -> None:
    found = caller(
        auth, key, rol="WORKSPACE_MEMBER", wid=WORKSPACE, projects=["p1"], permissions=["x:"]
    )

    assert found == Caller2(DOMAIN, "WORKSPACE_MEMBER", WORKSPACE, ("x:",), ("p1",))


def test_exp_has_sixty_seconds_of_leeway(auth: Spaceone2Auth, key: SigningKey) -> None:
    now = int(time.time())

    assert caller(auth, key, rol="DOMAIN_ADMIN", exp=now - 30).domain_id == DOMAIN
    with pytest.raises(Unauthenticated, match="invalid or expired"):
        caller(auth, key, rol="DOMAIN_ADMIN", exp=now - 120)


@pytest.mark.parametrize("version", ["1.0", None, 2.0])
def test_a_token_of_another_version_is_refused(
    auth: Spaceone2Auth, key: SigningKey, version: Any
) -> None:
    with pytest.raises(Unauthenticated, match="invalid token version"):
        caller(auth, key, rol="DOMAIN_ADMIN", ver=version)


def test_another_domains_key_does_not_verify_a_token(
    auth: Spaceone2Auth, identity: FakeIdentity
) -> None:
    with pytest.raises(Unauthenticated, match="invalid or expired"):
        auth.authenticate(token(identity.keys[OTHER], DOMAIN, rol="DOMAIN_ADMIN"))

    assert identity.key_lookups == [DOMAIN]  # just fetched: not again (1.x's refresh interval)


def test_an_unknown_domain_is_unauthenticated(auth: Spaceone2Auth) -> None:
    with pytest.raises(Unauthenticated):
        auth.authenticate(token(rsa_key(), "domain-unknown", rol="DOMAIN_ADMIN"))


@pytest.mark.parametrize(("claim", "value"), [("projects", "p1"), ("permissions", [1]), ("rol", 7)])
def test_a_claim_of_the_wrong_type_is_unauthenticated(
    auth: Spaceone2Auth, key: SigningKey, claim: str, value: Any
) -> None:
    with pytest.raises(Unauthenticated):
        caller(auth, key, **{claim: value})


def test_identity_unreachable_is_unavailable_then_recovers(
    auth: Spaceone2Auth, identity: FakeIdentity, key: SigningKey
) -> None:
    identity.down = True
    with pytest.raises(IdentityUnavailable):
        caller(auth, key, rol="DOMAIN_ADMIN")
    identity.down = False

    assert caller(auth, key, rol="DOMAIN_ADMIN").role_type == "DOMAIN_ADMIN"


# --- system tokens --------------------------------------------------------------------------


def test_a_system_token_takes_the_domain_and_workspace_the_call_names(
    auth: Spaceone2Auth, root: SigningKey
) -> None:
    found = auth.authenticate(system_token(root))

    assert found.system
    assert found.scope(LIST, domain_id=DOMAIN, workspace_id=WORKSPACE, required=True) == Scope(
        DOMAIN, workspace_id=WORKSPACE
    )
    assert found.scope(DELETE, domain_id=DOMAIN, project_id="anything") == Scope(DOMAIN)


def test_a_system_token_needs_a_domain_where_the_line_requires_one(
    auth: Spaceone2Auth, root: SigningKey
) -> None:
    found = auth.authenticate(system_token(root))

    with pytest.raises(RequiredParameter, match="domain_id"):
        found.scope(LIST, required=True)
    assert found.scope(PURGE) == Scope("")  # the writer's purge of every domain, as 1.x's SYSTEM


# --- roles ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"rol": "DOMAIN_ADMIN"}, Scope(DOMAIN)),
        ({"rol": "DOMAIN_ADMIN", "wid": "*"}, Scope(DOMAIN)),  # an admin app's `wid`
        ({"rol": "WORKSPACE_OWNER", "wid": WORKSPACE}, Scope(DOMAIN, workspace_id=WORKSPACE)),
        (
            {"rol": "WORKSPACE_MEMBER", "wid": WORKSPACE, "projects": ["p1", "p2"]},
            Scope(DOMAIN, frozenset({"p1", "p2"}), WORKSPACE),
        ),
        ({"rol": "WORKSPACE_MEMBER", "wid": WORKSPACE}, Scope(DOMAIN, frozenset(), WORKSPACE)),
    ],
)
def test_each_role_reads_its_scope_on_every_rpc(
    auth: Spaceone2Auth, key: SigningKey, claims: dict[str, Any], expected: Scope
) -> None:
    found = caller(auth, key, **claims)

    assert {found.scope(rpc) for rpc in (GET, LIST, STAT)} == {expected}


@pytest.mark.parametrize("role", ["WORKSPACE_OWNER", "WORKSPACE_MEMBER"])
def test_a_workspace_role_without_a_workspace_is_refused(
    auth: Spaceone2Auth, key: SigningKey, role: str
) -> None:
    with pytest.raises(PermissionDenied, match="names no workspace"):
        caller(auth, key, rol=role).scope(GET)


@pytest.mark.parametrize("role", ["USER", "", "SYSTEM_ADMIN", "WORKSPACE_MEMBER"])
def test_delete_needs_a_domain_admin_or_a_workspace_owner(
    auth: Spaceone2Auth, key: SigningKey, role: str
) -> None:
    with pytest.raises(PermissionDenied):
        caller(auth, key, rol=role or None, wid=WORKSPACE).scope(DELETE)


@pytest.mark.parametrize("role", ["USER", "", "SYSTEM_ADMIN"])
def test_a_user_or_no_role_reads_nothing(auth: Spaceone2Auth, key: SigningKey, role: str) -> None:
    found = caller(auth, key, rol=role or None, wid=WORKSPACE)

    for rpc in (GET, LIST, STAT):
        with pytest.raises(PermissionDenied):
            found.scope(rpc)


@pytest.mark.parametrize(
    ("permissions", "read", "write"),
    [
        (["inventory:JobTask.read"], True, False),
        (["inventory:JobTask"], True, True),
        (["inventory:"], True, True),
        (["identity:", "inventory:JobTask.write"], False, True),
        (["inventory:JobTask.*"], False, False),  # a prefix, not a pattern
        ([], True, True),  # none: no restriction
    ],
)
def test_the_permissions_claim_grants_by_prefix(
    auth: Spaceone2Auth, key: SigningKey, permissions: list[str], read: bool, write: bool
) -> None:
    found = caller(auth, key, rol="WORKSPACE_OWNER", wid=WORKSPACE, permissions=permissions)

    for rpc, allowed in ((LIST, read), (DELETE, write)):
        if allowed:
            found.scope(rpc)
        else:
            with pytest.raises(PermissionDenied):
                found.scope(rpc)


def test_a_named_project_must_be_one_of_the_tokens(auth: Spaceone2Auth, key: SigningKey) -> None:
    member = caller(auth, key, rol="WORKSPACE_MEMBER", wid=WORKSPACE, projects=["p1"])
    owner = caller(auth, key, rol="WORKSPACE_OWNER", wid=WORKSPACE)

    assert member.scope(LIST, project_id="p1").projects == frozenset({"p1"})
    with pytest.raises(PermissionDenied):
        member.scope(LIST, project_id="p2")
    assert owner.scope(LIST, project_id="p2") == Scope(DOMAIN, workspace_id=WORKSPACE)


def test_a_token_names_no_other_domain_or_workspace(auth: Spaceone2Auth, key: SigningKey) -> None:
    admin = caller(auth, key, rol="DOMAIN_ADMIN")
    owner = caller(auth, key, rol="WORKSPACE_OWNER", wid=WORKSPACE)

    assert admin.scope(CREATE, domain_id=DOMAIN) == Scope(DOMAIN)
    assert admin.scope(LIST, workspace_id=WORKSPACE) == Scope(DOMAIN, workspace_id=WORKSPACE)
    assert owner.scope(LIST, domain_id=DOMAIN, workspace_id=WORKSPACE) == Scope(
        DOMAIN, workspace_id=WORKSPACE
    )
    with pytest.raises(PermissionDenied, match="not the token's domain"):
        admin.scope(CREATE, domain_id=OTHER)
    with pytest.raises(PermissionDenied, match="not the token's"):
        owner.scope(LIST, workspace_id="workspace-other")


def test_the_writer_is_a_domain_admins(auth: Spaceone2Auth, key: SigningKey) -> None:
    assert caller(auth, key, rol="DOMAIN_ADMIN").scope(PURGE) == Scope(DOMAIN)
    with pytest.raises(PermissionDenied):
        caller(auth, key, rol="WORKSPACE_OWNER", wid=WORKSPACE).scope(CREATE, domain_id=DOMAIN)


# --- apps -----------------------------------------------------------------------------------


def app_token(key: SigningKey, client_id: str, **claims: Any) -> str:
    return token(key, typ="CLIENT_SECRET", own="APP", jti=client_id, aud="app-1", **claims)


def test_an_apps_permissions_and_projects_come_from_app_check(
    auth: Spaceone2Auth, identity: FakeIdentity, key: SigningKey
) -> None:
    identity.apps["client-1"] = AppGrant(("inventory:",), ("p1",))
    secret = app_token(key, "client-1", rol="WORKSPACE_MEMBER", wid=WORKSPACE, projects=["p9"])

    found = auth.authenticate(secret)

    assert (found.permissions, found.projects) == (("inventory:",), ("p1",))
    assert found.scope(LIST) == Scope(DOMAIN, frozenset({"p1"}), WORKSPACE)


def test_app_check_answers_are_kept_briefly_refusals_too(
    auth: Spaceone2Auth, identity: FakeIdentity, key: SigningKey, clock: Clock
) -> None:
    identity.apps["client-1"] = AppGrant((), ())
    for _ in range(3):
        auth.authenticate(app_token(key, "client-1", rol="DOMAIN_ADMIN"))
        with pytest.raises(PermissionDenied):
            auth.authenticate(app_token(key, "client-2", rol="DOMAIN_ADMIN"))
    del identity.apps["client-1"]  # disabled
    clock.now += 11
    with pytest.raises(PermissionDenied):
        auth.authenticate(app_token(key, "client-1", rol="DOMAIN_ADMIN"))

    assert identity.app_checks == ["client-1", "client-2", "client-1"]


def test_an_outage_of_app_check_is_not_kept(
    auth: Spaceone2Auth, identity: FakeIdentity, key: SigningKey
) -> None:
    identity.apps["client-1"] = AppGrant((), ())
    caller(auth, key, rol="DOMAIN_ADMIN")  # the domain's key is at hand
    identity.down = True
    with pytest.raises(IdentityUnavailable):
        auth.authenticate(app_token(key, "client-1", rol="DOMAIN_ADMIN"))
    identity.down = False

    assert auth.authenticate(app_token(key, "client-1", rol="DOMAIN_ADMIN")).role_type == (
        "DOMAIN_ADMIN"
    )
    assert identity.app_checks == ["client-1", "client-1"]
