"""Authentication at the gRPC edge: one interceptor that, before any servicer runs, verifies the
call's token (`jobtask.auth`, or with AUTH_MODE=spaceone `jobtask.spaceone_auth`), checks the rpc's
permission and scopes the request to the token's domain (and a project-scoped caller's projects);
with mutual TLS it also keeps the writer service to callers holding a client certificate.

It sits inside the error mapping, so what it raises is answered through `api.status`'s one table.
The server's TLS credentials are built here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import grpc

from jobtask.api.calls import Behaviour, Call, UnaryInterceptor
from jobtask.auth import ADMIN, READ, WRITE, Caller, Security, TlsFiles, TokenVerifier
from jobtask.errors import PermissionDenied, Unauthenticated
from jobtask.scope import only_projects
from jobtask.spaceone_auth import PROJECT, Api, SpaceoneAuth, SpaceoneCaller
from jobtask_internal.v1 import job_task_writer_pb2
from spaceone.api.inventory.v1 import job_task_pb2

JOB_TASK: Final = job_task_pb2.DESCRIPTOR.services_by_name["JobTask"].full_name
WRITER: Final = job_task_writer_pb2.DESCRIPTOR.services_by_name["JobTaskWriter"].full_name


@dataclass(frozen=True)
class Rule:
    permission: str
    # Holding this too, the caller may name any domain, and an empty domain_id means all of them.
    every_domain: str | None = None


# Every guarded rpc needs a row: one without is denied (a test checks both services are covered).
RULES: Final[Mapping[str, Rule]] = {
    f"/{JOB_TASK}/get": Rule(READ),
    f"/{JOB_TASK}/list": Rule(READ),
    f"/{JOB_TASK}/stat": Rule(READ),
    f"/{JOB_TASK}/delete": Rule(WRITE),
    f"/{WRITER}/create": Rule(WRITE),
    f"/{WRITER}/start": Rule(WRITE),
    f"/{WRITER}/report": Rule(WRITE),
    f"/{WRITER}/finish": Rule(WRITE),
    f"/{WRITER}/cancel": Rule(WRITE),
    f"/{WRITER}/purge": Rule(WRITE, every_domain=ADMIN),
}


# AUTH_MODE=spaceone: each guarded rpc as SpaceONE's handlers name it, with the scope its service
# declares (inventory's JobTaskService: PROJECT for every rpc). The writer is this project's own:
# its rpcs are JobTask verbs of their own name, for callers of the whole domain only.
SPACEONE_APIS: Final[Mapping[str, Api]] = {
    path: Api("JobTask", path.rpartition("/")[2], PROJECT) for path in RULES
}


def token_of(metadata: Iterable[tuple[str, str | bytes]]) -> str:
    """The JWT of a call: SpaceONE clients' `token` metadata, or `authorization: Bearer <jwt>`."""
    tokens: set[str] = set()
    for key, value in metadata:
        if key not in {"token", "authorization"}:
            continue
        text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
        if key == "token":
            tokens.add(text.strip())
            continue
        scheme, _, credentials = text.strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise Unauthenticated("the authorization metadata must be 'Bearer <token>'")
        tokens.add(credentials.strip())
    if len(tokens) > 1:
        raise Unauthenticated("more than one token sent")
    return tokens.pop() if tokens else ""


def authorize(caller: Caller, path: str, request: Any) -> None:
    """Checks the rpc's permission, then fills or checks the request's `domain_id` in place."""
    rule = RULES.get(path)
    if rule is None:
        raise PermissionDenied(f"no permission is defined for {path}")
    caller.require(rule.permission)
    request.domain_id = caller.scoped(request.domain_id, every_domain=rule.every_domain)


def _requested_project(request: Any) -> str:
    fields = request.DESCRIPTOR.fields_by_name
    return str(request.project_id) if "project_id" in fields else ""


@contextmanager
def spaceone_authorized(
    auth: SpaceoneAuth,
    metadata: Iterable[tuple[str, str | bytes]],
    path: str,
    request: Any,
    caller: SpaceoneCaller | None = None,
) -> Iterator[None]:
    """AUTH_MODE=spaceone: authenticates the call's token (unless the edge did, giving `caller`),
    asks identity, scopes `request` to the caller's domain and, for a project-scoped caller, the
    block to its projects."""
    rule, api = RULES.get(path), SPACEONE_APIS.get(path)
    if rule is None or api is None:
        raise PermissionDenied(f"no permission is defined for {path}")
    token = token_of(metadata)
    if caller is None:
        caller = auth.authenticate(token)
    access = auth.authorize(token, caller, api, request.domain_id, _requested_project(request))
    if access.projects is not None and path.startswith(f"/{WRITER}/"):
        raise PermissionDenied("Permission denied. (the writer is for callers of a whole domain)")
    if not access.any_domain:
        request.domain_id = access.domain_id  # authorize refused any other one
    elif not request.domain_id and rule.every_domain is None:
        request.domain_id = access.domain_id  # SYSTEM names any domain; none: its own (purge: all)
    with only_projects(access.projects):
        yield


def _has_client_certificate(context: grpc.ServicerContext) -> bool:
    # Only the mutual-TLS port asks for certificates, and it accepts only verified ones.
    return bool(context.auth_context().get("x509_pem_cert"))


def _guarded(
    behaviour: Behaviour,
    call: Call,
    verifier: TokenVerifier | None,
    certificate_required: bool,
    spaceone: SpaceoneAuth | None = None,
) -> Behaviour:
    needs_certificate = certificate_required and call.service == WRITER

    def guarded(request: Any, context: grpc.ServicerContext) -> Any:
        if needs_certificate and not _has_client_certificate(context):
            raise Unauthenticated(
                "the writer service needs a client certificate: call it on WRITER_GRPC_PORT"
            )
        if spaceone is not None:
            metadata = context.invocation_metadata() or ()
            with spaceone_authorized(spaceone, metadata, call.path, request):
                return behaviour(request, context)
        if verifier is not None:
            caller = verifier.verify(token_of(context.invocation_metadata() or ()))
            authorize(caller, call.path, request)
        return behaviour(request, context)

    return guarded


def authentication_interceptor(
    service_prefixes: tuple[str, ...], security: Security
) -> UnaryInterceptor | None:
    """Guards every unary rpc of the given services (health and reflection stay open); None when
    there is nothing to enforce."""
    if security.verifier is None and security.spaceone is None and not security.mutual_tls:
        return None
    verifier, mutual, spaceone = security.verifier, security.mutual_tls, security.spaceone
    return UnaryInterceptor(
        service_prefixes,
        lambda behaviour, call: _guarded(behaviour, call, verifier, mutual, spaceone),
    )


def server_credentials(tls: TlsFiles, *, mutual: bool = False) -> grpc.ServerCredentials:
    """TLS for a port; `mutual` requires a client certificate signed by TLS_CLIENT_CA_FILE."""
    pairs = [(tls.private_key, tls.certificate_chain)]
    if not mutual:
        return grpc.ssl_server_credentials(pairs)
    return grpc.ssl_server_credentials(
        pairs, root_certificates=tls.client_ca, require_client_auth=True
    )
