"""The HTTP bindings of the served rpcs, read from their service descriptors' `google.api.http`
annotations: 1.x's from the generated modules, 2.x's from the 2.x pool (`jobtask.lines.v2.wire`),
whichever line the call layer serves.

Paths, methods and bodies are the proto's, so the served routes, the OpenAPI document and the API
document cannot disagree. Only plain `{field}` path variables and a body of `""` or `"*"` are
supported (all SpaceONE's JobTask bindings, of both lines, are of that form); anything else fails
when the app is built.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from google.api import annotations_pb2, http_pb2
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message

from jobtask.rpcs import Rpc

_VARIABLE = re.compile(r"\{([^}]*)\}")
_PLAIN_VARIABLE = re.compile(r"[a-z_][a-z0-9_]*")
_PATTERNS: Final = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class Binding:
    """One HTTP method and path of an rpc."""

    rpc: str  # the rpc's name, e.g. "get"
    target: Rpc  # the rpc it calls, e.g. /spaceone.api.inventory.v1.JobTask/get
    method: str  # upper case, e.g. "GET"
    path: str  # the template, e.g. /inventory/v1/job-task/{job_task_id}
    body: bool  # True: the request message is the JSON body; False: query parameters
    path_fields: tuple[str, ...]
    request: type[Message]
    response: type[Message]
    request_descriptor: Descriptor
    response_descriptor: Descriptor


def _binding(method: MethodDescriptor, rule: http_pb2.HttpRule) -> Binding:
    pattern = rule.WhichOneof("pattern")
    if pattern not in _PATTERNS:
        raise ValueError(f"{method.full_name}: unsupported HTTP pattern {pattern!r}")
    path = getattr(rule, pattern)
    variables = tuple(_VARIABLE.findall(path))
    request_fields = method.input_type.fields_by_name
    for name in variables:
        if not _PLAIN_VARIABLE.fullmatch(name) or name not in request_fields:
            raise ValueError(f"{method.full_name}: unsupported path variable {{{name}}}")
    if rule.body not in ("", "*"):
        raise ValueError(f"{method.full_name}: unsupported body {rule.body!r}")
    return Binding(
        rpc=method.name,
        target=Rpc(method.containing_service.full_name, method.name),
        method=pattern.upper(),
        path=path,
        body=rule.body == "*",
        path_fields=variables,
        request=message_factory.GetMessageClass(method.input_type),
        response=message_factory.GetMessageClass(method.output_type),
        request_descriptor=method.input_type,
        response_descriptor=method.output_type,
    )


def bindings_of(service: ServiceDescriptor) -> tuple[Binding, ...]:
    """Every binding of every rpc, additional bindings after the main one, in the proto's order."""
    found: list[Binding] = []
    for method in service.methods:
        rule = method.GetOptions().Extensions[annotations_pb2.http]
        if rule.WhichOneof("pattern") is None:
            continue
        found.append(_binding(method, rule))
        found.extend(_binding(method, extra) for extra in rule.additional_bindings)
    return tuple(found)


def served_bindings(services: Iterable[ServiceDescriptor]) -> tuple[Binding, ...]:
    """The bindings of every service, in order; a service without any (the writer's) adds none."""
    return tuple(binding for service in services for binding in bindings_of(service))
