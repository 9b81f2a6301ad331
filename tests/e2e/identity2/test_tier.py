"""The identity 2.x tier itself: the tokens SpaceONE identity 2.0.227 issued for each role carry
the claims the 2.x line decides on (spec: "Who the caller is"), and identity answers what the line
asks it with the system token only."""

from __future__ import annotations

import pytest
from tests.e2e.identity2.conftest import Tenants2, claims

# The first test starts identity 2.x and fills it (about 20 s, more on a busy machine).
pytestmark = pytest.mark.timeout(300)


def test_the_system_token_is_identitys_own(identity2: Tenants2) -> None:
    token = claims(identity2.system_token)

    assert (token["typ"], token["own"], token["did"]) == ("SYSTEM_TOKEN", "SYSTEM", "domain-root")
    assert "exp" not in token


@pytest.mark.parametrize(
    ("user", "role", "workspace", "projects"),
    [
        ("admin", "DOMAIN_ADMIN", None, None),
        ("owner", "WORKSPACE_OWNER", "one", None),
        ("member", "WORKSPACE_MEMBER", "one", ("a",)),
        ("grouped", "WORKSPACE_MEMBER", "one", ("a", "b")),
        ("bare", "WORKSPACE_MEMBER", "one", None),
        ("nobody", "USER", None, None),
    ],
)
def test_each_user_token_carries_its_role(
    identity2: Tenants2,
    user: str,
    role: str,
    workspace: str | None,
    projects: tuple[str, ...] | None,
) -> None:
    token = claims(identity2.token(user))

    assert (token["typ"], token["own"], token["ver"]) == ("ACCESS_TOKEN", "USER", "2.0")
    assert token["did"] == identity2.domain_id
    assert token["rol"] == role
    assert token.get("wid") == (workspace and identity2.workspace(workspace))
    wanted = None if projects is None else sorted(identity2.project(p) for p in projects)
    assert (sorted(token["projects"]) if "projects" in token else None) == wanted


def test_custom_roles_carry_their_permissions(identity2: Tenants2) -> None:
    assert claims(identity2.token("reader"))["permissions"] == ["inventory:JobTask.read"]
    assert claims(identity2.token("stranger"))["permissions"] == ["identity:"]


def test_apps_carry_their_client_id_and_role(identity2: Tenants2) -> None:
    admin, member = claims(identity2.app("admin")), claims(identity2.app("member"))

    assert (admin["typ"], admin["own"], admin["rol"]) == ("CLIENT_SECRET", "APP", "DOMAIN_ADMIN")
    assert admin["jti"].startswith("client-")
    assert (member["rol"], member["wid"]) == ("WORKSPACE_MEMBER", identity2.workspace("one"))
    assert "projects" not in member  # App.check gives them
    assert claims(identity2.app("expired"))["exp"] < admin["iat"]


def test_identity_answers_app_check_to_the_system_token_only(identity2: Tenants2) -> None:
    client_id = claims(identity2.app("member"))["jti"]
    check = {"client_id": client_id, "domain_id": identity2.domain_id}

    assert identity2.call("App", "check", check) == {"ok": True}
    assert identity2.call("Domain", "get_public_key", {"domain_id": identity2.domain_id}) == {
        "ok": True
    }
