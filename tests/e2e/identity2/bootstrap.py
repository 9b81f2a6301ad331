"""Runs in .venv-identity2: SpaceONE identity 2.x's own API, through spaceone-core 2.x's own gRPC
client. Nothing of this project is imported. Prints JSON on stdout.

    <venv>/bin/python bootstrap.py '{"endpoint": "127.0.0.1:PORT", "token_file": PATH}'
        System.init (identity's system token, written to `token_file` for identity's own handler,
        tests/e2e/identity2/identity_hooks.py), then, as SpaceONE's initializer does, everything
        else with that system token and x_domain_id / x_workspace_id metadata:
        domain `first` (its admin a DOMAIN_ADMIN) with workspaces `one` and `two`, private
        projects a, b, c in `one` (a and b in project group `group`) and d in `two`, and users:
        owner (WORKSPACE_OWNER of `one`), member (WORKSPACE_MEMBER of `one`, a user of project a),
        grouped (WORKSPACE_MEMBER of `one`, a user of `group`), bare (WORKSPACE_MEMBER of `one`,
        no project), reader (a WORKSPACE_OWNER role of `one` whose permissions are
        inventory:JobTask.read only), stranger (a WORKSPACE_OWNER role granting identity:
        only), nobody (no role: USER); apps (their client secrets are 2.x's API keys): admin
        (DOMAIN_ADMIN), member (WORKSPACE_MEMBER of project a), spare (DOMAIN_ADMIN, to be
        disabled), expired (DOMAIN_ADMIN, expired_at in 2020); domain `second` with its admin.
        Tokens: Token.issue, then Token.grant (DOMAIN for admins, WORKSPACE `one` for the others).
    <venv>/bin/python bootstrap.py '{"endpoint": ..., "call": [service, method, params, meta]}'
        one call with the system token (App.disable, ...): {"ok": true} or {"error": code}
"""

import json
import sys
import uuid
from pathlib import Path

from spaceone.core import error, pygrpc

PASSWORD = "Secret-P4ssword!"
ROOT = "root@example.com"
ADMIN = "admin@example.com"
WORKSPACE_USERS = ("owner", "member", "grouped", "bare", "reader", "stranger")
EXPIRED_AT = "2020-01-01 00:00:00"
# A language given: identity asks the config service for a domain's default one otherwise.
USER = {"reset_password": False, "language": "en"}
SYSTEM = object()  # the system token


class Identity:
    def __init__(self, endpoint, system_token=None):
        self._client = pygrpc.client(endpoint=endpoint)
        self.system_token = system_token

    def __call__(self, service, method, params, token=SYSTEM, **meta):
        """With identity's system token unless `token` says otherwise (None: no token)."""
        metadata = [(key, value) for key, value in meta.items() if value]
        token = self.system_token if token is SYSTEM else token
        if token:
            metadata.append(("token", token))
        return getattr(getattr(self._client, service), method)(params, metadata=metadata)

    def system(self, service, method, params, domain_id, workspace_id=None):
        return self(service, method, params, x_domain_id=domain_id, x_workspace_id=workspace_id)

    def issue(self, domain_id, user_id):
        credentials = {"user_id": user_id, "password": PASSWORD}
        params = {"credentials": credentials, "auth_type": "LOCAL", "domain_id": domain_id}
        return self("Token", "issue", params, token=None)

    def grant(self, domain_id, user_id, scope, workspace_id=None):
        issued = self.issue(domain_id, user_id)
        params = {"grant_type": "REFRESH_TOKEN", "token": issued.refresh_token, "scope": scope}
        params["timeout"] = 7200  # a long test session's: identity's default is 30 minutes
        if workspace_id:
            params["workspace_id"] = workspace_id
        return self("Token", "grant", params, token=None).access_token


def admin(user_id):
    return {"user_id": user_id, "password": PASSWORD, "name": user_id, **USER}


def create_domain(call, name, admin_id):
    params = {"name": f"{name}-{uuid.uuid4().hex[:8]}", "admin": admin(admin_id)}
    domain_id = call("Domain", "create", params).domain_id
    return {"domain_id": domain_id, "admin": call.grant(domain_id, admin_id, "DOMAIN")}


def create_workspaces(call, domain_id):
    def workspace(name):
        return call.system("Workspace", "create", {"name": name}, domain_id).workspace_id

    return {"one": workspace("one"), "two": workspace("two")}


def create_projects(call, domain_id, workspaces):
    one, two = workspaces["one"], workspaces["two"]
    group = call.system("ProjectGroup", "create", {"name": "group"}, domain_id, one)
    group_id = group.project_group_id

    def project(name, workspace_id, group_id=None):
        params = {"name": f"project-{name}", "project_type": "PRIVATE"}
        if group_id:
            params["project_group_id"] = group_id
        made = call.system("Project", "create", params, domain_id, workspace_id)
        return made.project_id

    projects = {
        "a": project("a", one, group_id),
        "b": project("b", one, group_id),
        "c": project("c", one),
        "d": project("d", two),
    }
    return group_id, projects


def create_roles(call, domain_id):
    def role(name, permissions):
        params = {"name": name, "role_type": "WORKSPACE_OWNER", "permissions": permissions}
        return call.system("Role", "create", params, domain_id).role_id

    return {
        "reader": role("job-task-reader", ["inventory:JobTask.read"]),
        "stranger": role("identity-only", ["identity:"]),
    }


def create_users(call, domain_id, workspaces, roles):
    one = workspaces["one"]
    role_of = {
        "owner": "managed-workspace-owner",
        "member": "managed-workspace-member",
        "grouped": "managed-workspace-member",
        "bare": "managed-workspace-member",
        "reader": roles["reader"],
        "stranger": roles["stranger"],
    }
    for name in (*WORKSPACE_USERS, "nobody"):
        params = {"user_id": f"{name}@example.com", "password": PASSWORD, "auth_type": "LOCAL"}
        params.update(USER)
        call.system("User", "create", params, domain_id)
    for name, role_id in role_of.items():
        params = {"user_id": f"{name}@example.com", "role_id": role_id}
        params.update(resource_group="WORKSPACE", workspace_id=one)
        call.system("RoleBinding", "create", params, domain_id, one)


def create_apps(call, domain_id, workspaces, projects):
    def app(name, role_id, resource_group, **extra):
        params = {"name": name, "role_id": role_id, "resource_group": resource_group, **extra}
        made = call.system("App", "create", params, domain_id, extra.get("workspace_id"))
        return {"app_id": made.app_id, "client_secret": made.client_secret}

    admin_role = "managed-domain-admin"
    member = {"workspace_id": workspaces["one"], "project_id": projects["a"]}
    return {
        "admin": app("admin", admin_role, "DOMAIN"),
        "member": app("member", "managed-workspace-member", "PROJECT", **member),
        "spare": app("spare", admin_role, "DOMAIN"),
        "expired": app("expired", admin_role, "DOMAIN", expired_at=EXPIRED_AT),
    }


def bootstrap(call, token_file):
    init = call("System", "init", {"admin": admin(ROOT)}, token=None)
    call.system_token = init.system_token
    Path(token_file).write_text(init.system_token)  # identity's own TOKEN (identity_hooks.py)
    first, second = create_domain(call, "first", ADMIN), create_domain(call, "second", ADMIN)
    domain_id = first["domain_id"]
    workspaces = create_workspaces(call, domain_id)
    group_id, projects = create_projects(call, domain_id, workspaces)
    roles = create_roles(call, domain_id)
    create_users(call, domain_id, workspaces, roles)
    one = workspaces["one"]
    params = {"project_id": projects["a"], "users": ["member@example.com"]}
    call.system("Project", "add_users", params, domain_id, one)
    params = {"project_group_id": group_id, "users": ["grouped@example.com"]}
    call.system("ProjectGroup", "add_users", params, domain_id, one)
    tokens = {
        name: call.grant(domain_id, f"{name}@example.com", "WORKSPACE", workspaces["one"])
        for name in WORKSPACE_USERS
    }
    tokens["admin"] = first.pop("admin")
    tokens["nobody"] = call.issue(domain_id, "nobody@example.com").access_token
    first.update(
        workspaces=workspaces,
        projects=projects,
        project_group_id=group_id,
        tokens=tokens,
        apps=create_apps(call, domain_id, workspaces, projects),
    )
    return {"system_token": init.system_token, "first": first, "second": second}


def main():
    plan = json.loads(sys.argv[1])
    call = Identity(plan["endpoint"], plan.get("system_token"))
    if "call" not in plan:
        json.dump(bootstrap(call, plan["token_file"]), sys.stdout)
        return
    service, method, params, meta = plan["call"]
    try:
        call(service, method, params, **meta)
    except error.ERROR_BASE as failure:
        json.dump({"error": failure.error_code}, sys.stdout)
        return
    json.dump({"ok": True}, sys.stdout)


if __name__ == "__main__":
    main()
