"""Runs in .venv-identity: SpaceONE identity's own API, through spaceone-core's own gRPC client.
Nothing of this project is imported. Prints JSON on stdout.

    <venv>/bin/python bootstrap.py '{"endpoint": "127.0.0.1:PORT"}'
        creates the tenants of the identity tier and prints their ids and tokens:
        two domains (each with its owner); in the first a project group `group` with projects a
        and b, project c in another group, a custom policy granting inventory.JobTask.*, a DOMAIN
        and a PROJECT role on it, and users: admin (DOMAIN role), member (PROJECT role on project
        a), grouped (PROJECT role on the group), nobody (no role), reader (DOMAIN role, a token
        issued with a 1-second timeout: expired when used); two API keys of admin
    <venv>/bin/python bootstrap.py '{"endpoint": ..., "call": [service, method, params, token]}'
        one call, as the domain owner would make it (APIKey.disable, ...): {"ok": true} or the error
"""

import json
import sys
import uuid

from spaceone.core import error, pygrpc

PASSWORD = "Secret-P4ssword!"
ADMIN, MEMBER, GROUPED, NOBODY, READER = (
    f"{name}@example.com" for name in ("admin", "member", "grouped", "nobody", "reader")
)


class Identity:
    def __init__(self, endpoint):
        self._client = pygrpc.client(endpoint=endpoint, version="v1")

    def __call__(self, service, method, params, token=None):
        metadata = (("token", token),) if token else ()
        return getattr(getattr(self._client, service), method)(params, metadata=metadata)

    def token(self, domain_id, user_id, **extra):
        params = {"user_id": user_id, "credentials": {"password": PASSWORD}}
        return self("Token", "issue", {**params, "domain_id": domain_id, **extra}).access_token


def create_domain(call, name):
    domain_id = call("Domain", "create", {"name": f"{name}-{uuid.uuid4().hex[:8]}"}).domain_id
    owner = {"owner_id": "owner", "password": PASSWORD, "domain_id": domain_id}
    call("DomainOwner", "create", owner)
    owner_token = call.token(domain_id, "owner", user_type="DOMAIN_OWNER")
    return {"domain_id": domain_id, "owner_token": owner_token}


def create_projects(call, domain_id, owner):
    def project(name, group_id):
        params = {"name": name, "project_group_id": group_id, "domain_id": domain_id}
        return call("Project", "create", params, owner).project_id

    group = call("ProjectGroup", "create", {"name": "group", "domain_id": domain_id}, owner)
    other = call("ProjectGroup", "create", {"name": "other", "domain_id": domain_id}, owner)
    projects = {
        "a": project("project-a", group.project_group_id),
        "b": project("project-b", group.project_group_id),
        "c": project("project-c", other.project_group_id),
    }
    return group.project_group_id, projects


def create_roles(call, domain_id, owner):
    policy = {"name": "job-tasks", "permissions": ["inventory.JobTask.*"], "domain_id": domain_id}
    policy_id = call("Policy", "create", policy, owner).policy_id
    roles = {}
    for role_type in ("DOMAIN", "PROJECT"):
        params = {
            "name": f"{role_type.lower()}-role",
            "role_type": role_type,
            "policies": [{"policy_type": "CUSTOM", "policy_id": policy_id}],
            "domain_id": domain_id,
        }
        roles[role_type] = call("Role", "create", params, owner).role_id
    return roles


def bootstrap(call):
    first, second = create_domain(call, "first"), create_domain(call, "second")
    domain_id, owner = first["domain_id"], first["owner_token"]
    group_id, projects = create_projects(call, domain_id, owner)
    roles = create_roles(call, domain_id, owner)
    for user_id in (ADMIN, MEMBER, GROUPED, NOBODY, READER):
        params = {"user_id": user_id, "password": PASSWORD, "backend": "LOCAL"}
        call("User", "create", {**params, "domain_id": domain_id}, owner)
    bindings = [
        (ADMIN, roles["DOMAIN"], {}),
        (READER, roles["DOMAIN"], {}),
        (MEMBER, roles["PROJECT"], {"project_id": projects["a"]}),
        (GROUPED, roles["PROJECT"], {"project_group_id": group_id}),
    ]
    for user_id, role_id, where in bindings:
        params = {"resource_type": "identity.User", "resource_id": user_id, "role_id": role_id}
        call("RoleBinding", "create", {**params, "domain_id": domain_id, **where}, owner)
    expired = call.token(domain_id, READER, timeout=1)  # the calls below take longer than that
    tokens = {user_id: call.token(domain_id, user_id) for user_id in (ADMIN, MEMBER, GROUPED)}
    tokens[NOBODY] = call.token(domain_id, NOBODY)
    keys = [
        call("APIKey", "create", {"user_id": ADMIN, "domain_id": domain_id}, owner)
        for _ in range(2)
    ]
    first.update(
        projects=projects,
        project_group_id=group_id,
        tokens=tokens,
        expired_token=expired,
        api_keys=[{"api_key_id": k.api_key_id, "api_key": k.api_key} for k in keys],
    )
    return {"first": first, "second": second}


def main():
    plan = json.loads(sys.argv[1])
    call = Identity(plan["endpoint"])
    if "call" not in plan:
        json.dump(bootstrap(call), sys.stdout)
        return
    service, method, params, token = plan["call"]
    try:
        call(service, method, params, token)
    except error.ERROR_BASE as failure:
        json.dump({"error": failure.error_code}, sys.stdout)
        return
    json.dump({"ok": True}, sys.stdout)


if __name__ == "__main__":
    main()
