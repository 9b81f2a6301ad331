"""Each SpaceONE 2.x rpc of JobTask: the 2.x request (`requests`) -> the service, given the call's
`Scope` -> the 2.x answer (`answers`), every message of the 2.x pool (`wire`).

2.x requests name no domain: the caller does (`claim`). Without authentication that is the
`x_domain_id` metadata (required) and `x_workspace_id` (optional), as SpaceONE's handlers take
them from a system caller; with AUTH_MODE=jwt the token's domain, as on the 1.x line, which those
keys may name again (another domain is refused) and narrow to a workspace. A 2.x process serves
our writer too, with its own (1.x-pool) messages and the 1.x line's claim (`served`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message

from jobtask.auth.permissions import Claim, Metadata
from jobtask.calls.handlers import ClaimOf, Served
from jobtask.calls.invocation import Invocation, header_of
from jobtask.errors import NotFound, OperatorValueType
from jobtask.lines.v1 import rpcs as v1
from jobtask.lines.v2 import answers, requests, wire
from jobtask.rpcs import Rpc
from jobtask.scope import Scope
from jobtask.services.collector import JobTaskWriter
from jobtask.services.reads import JobTaskService

# The metadata (HTTP: headers) a 2.x call names its domain and workspace in; SpaceONE reads these
# spellings only (dashed forms are not the same key).
X_DOMAIN_ID: Final = "x_domain_id"
X_WORKSPACE_ID: Final = "x_workspace_id"


def claim(request: object, metadata: Metadata) -> Claim:
    """Where a 2.x call names its scope: its caller's metadata, never the request."""
    workspace_id = header_of(metadata, X_WORKSPACE_ID).strip() or None
    return Claim(header_of(metadata, X_DOMAIN_ID).strip(), workspace_id, required=True)


@contextmanager
def _worded() -> Iterator[None]:
    """Errors worded as the 2.x line words them: never the Python reprs SpaceONE 1.x's messages
    carry (which the 1.x line repeats byte for byte): NOT_FOUND names each key beside its value,
    a condition of the wrong shape is shown as JSON."""
    try:
        yield
    except NotFound as error:
        raise NotFound(error.looked_up, tuples=False) from None
    except OperatorValueType as error:
        raise type(error)(error.operator, error.condition, as_json=True) from None


class JobTaskRpcs:
    """spaceone.api.inventory.v1.JobTask, 2.x."""

    def __init__(self, service: JobTaskService) -> None:
        self._service = service

    def get(self, scope: Scope, request: Message, call: Invocation) -> Message:
        job_task_id = requests.to_job_task_id(request)
        with _worded():
            task = self._service.get(scope, job_task_id, timeout=call.remaining())
        return answers.to_task_info(task)

    def list(self, scope: Scope, request: Message, call: Invocation) -> Message:
        service = self._service
        with _worded():
            list_request = requests.to_list_request(
                request, service.limits, max_page_size=service.max_page_size
            )
            result = service.list(scope, list_request, timeout=call.remaining())
        return answers.to_tasks_info(result.results, result.total_count)

    def delete(self, scope: Scope, request: Message, call: Invocation) -> Message:
        job_task_id = requests.to_job_task_id(request)
        with _worded():
            self._service.delete(scope, job_task_id, timeout=call.remaining())
        return wire.Empty()

    def stat(self, scope: Scope, request: Message, call: Invocation) -> Message:
        with _worded():
            stat_request = requests.to_stat_request(
                request, timezone=call.header(v1.TIMEZONE), limits=self._service.limits
            )
            result = self._service.stat(scope, stat_request, timeout=call.remaining())
        return answers.to_stat_struct(result)


def served(
    service: JobTaskService, writer: JobTaskWriter | None = None
) -> tuple[dict[Rpc, Served], tuple[ServiceDescriptor, ...]]:
    """The 2.x rpcs of JobTask (`wire.SERVICE`), and the writer's when given, and their services
    (`jobtask.bootstrap` builds the call layer over them)."""
    rpcs: list[tuple[ServiceDescriptor, object, ClaimOf]] = [
        (wire.SERVICE, JobTaskRpcs(service), claim)
    ]
    if writer is not None:
        rpcs.append(v1.writer_rpcs(writer))
    return v1.by_rpc(rpcs)
