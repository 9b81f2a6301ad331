"""The two SpaceONE lines as the CLI speaks them: which messages a JobTask call sends and answers,
and where the caller's domain and workspace go.

Both lines serve `spaceone.api.inventory.v1.JobTask` (get, list, stat, delete) under the same
names with other field numbers, so a process speaks one of them and the CLI must be told which
(`--spaceone-api` / JOBTASK_SPACEONE_API, default 1; why not asked of the server: docs/cli.md):

- 1.x (`spaceone.api.core.v1` queries, the generated stubs): `domain_id` is a request field;
  there are no workspaces.
- 2.x (`spaceone.api.core.v2` queries, the 2.x pool's classes of `jobtask.lines.v2.wire`): no
  request has a `domain_id`; the domain and workspace go as `x_domain_id` / `x_workspace_id`
  metadata, as SpaceONE's system callers send them (a token's own domain and workspace win on
  the server); `get` has no `only`.

What the commands give a line is line-neutral: a Query or StatisticsQuery as a dict (`parse`),
sorts as lists of `{"key", "desc"}`. The line shapes them (a 1.x sort is one key or `{"keys"}`,
a 2.x sort a list) and builds its classes; a document that does not fit is a ValueError (a usage
error). Pure: no gRPC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import Descriptor, MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message

from jobtask.lines.v2 import wire
from spaceone.api.inventory.v1 import job_task_pb2

SERVICE: Final = "spaceone.api.inventory.v1.JobTask"
APIS: Final = (1, 2)
Metadata = tuple[tuple[str, str], ...]


def _class(descriptor: Descriptor) -> type[Message]:
    """A message's class: the generated one (1.x) or its pool's (2.x); protobuf keeps one each."""
    return message_factory.GetMessageClass(descriptor)


@dataclass(frozen=True)
class Rpc:
    """One JobTask rpc of a line: its path, its request's class and its answer's (for the
    deserializer)."""

    name: str
    request: type[Message]
    answer: type[Message]

    @classmethod
    def of(cls, method: MethodDescriptor) -> Rpc:
        return cls(method.name, _class(method.input_type), _class(method.output_type))

    @property
    def path(self) -> str:
        return f"/{SERVICE}/{self.name}"

    def query(self, document: Mapping[str, Any]) -> Message:
        """`document` as the request's `query` (the line's core Query or StatisticsQuery); one
        that does not fit is a ValueError."""
        # A message field: never None (the stubs allow it for any field).
        descriptor = cast(Descriptor, self.request.DESCRIPTOR.fields_by_name["query"].message_type)
        try:
            return json_format.ParseDict(dict(document), _class(descriptor)())
        except (json_format.ParseError, TypeError, ValueError) as error:
            raise ValueError(f"not a {descriptor.name}: {error}") from None


@dataclass(frozen=True)
class Line:
    """How JobTask calls are made on one SpaceONE line (see the module); its rpcs' messages are
    read off the line's JobTask service (`of`)."""

    api: int
    get: Rpc
    list: Rpc
    stat: Rpc
    delete: Rpc

    @classmethod
    def of(cls, api: int, service: ServiceDescriptor) -> Line:
        rpc = {method.name: Rpc.of(method) for method in service.methods}
        return cls(api, get=rpc["get"], list=rpc["list"], stat=rpc["stat"], delete=rpc["delete"])

    @property
    def scoped_by_metadata(self) -> bool:
        """2.x: the domain and workspace are metadata, never request fields."""
        return self.api == 2

    def metadata(self, domain_id: str, workspace_id: str = "") -> Metadata:
        """What a read call sends beside its request: x_domain_id / x_workspace_id on 2.x."""
        if not self.scoped_by_metadata:
            return ()
        pairs = (("x_domain_id", domain_id), ("x_workspace_id", workspace_id))
        return tuple((key, value) for key, value in pairs if value)

    def _domain(self, domain_id: str) -> dict[str, str]:
        return {} if self.scoped_by_metadata else {"domain_id": domain_id}

    def get_message(self, task_id: str, domain_id: str, only: Sequence[str] = ()) -> Message:
        if self.scoped_by_metadata:
            if only:
                raise ValueError(
                    "--only: SpaceONE 2.x's get has no `only` "
                    "(jobtask list job_task_id=ID --only ... has)"
                )
            return self.get.request(job_task_id=task_id)
        return self.get.request(job_task_id=task_id, domain_id=domain_id, only=only)

    def list_message(
        self, domain_id: str, query: Mapping[str, Any], status: str | None = None
    ) -> Message:
        """A list request; `query` is a Query whose `sort`, if any, is a list of keys."""
        document = dict(query)
        if "sort" in document:
            document["sort"] = self._sort(sort_keys(document["sort"]))
        message = self.list.query(document)
        return self.list.request(query=message, status=status, **self._domain(domain_id))

    def stat_message(self, domain_id: str, query: Mapping[str, Any]) -> Message:
        """A stat request; an aggregate's `sort` may be given in either line's shape."""
        document = dict(query)
        stages = document.get("aggregate")
        if isinstance(stages, list):
            document["aggregate"] = [self._stage(stage) for stage in stages]
        return self.stat.request(query=self.stat.query(document), **self._domain(domain_id))

    def delete_message(self, task_id: str, domain_id: str) -> Message:
        return self.delete.request(job_task_id=task_id, **self._domain(domain_id))

    def _stage(self, stage: Any) -> Any:
        if isinstance(stage, Mapping) and "sort" in stage:
            return {**stage, "sort": self._sort(sort_keys(stage["sort"]))}
        return stage

    def _sort(self, keys: Any) -> Any:
        """A list of `{"key", "desc"}` in this line's shape: 2.x a list, 1.x one key or `keys`."""
        if self.api == 2 or not isinstance(keys, list):
            return keys
        return keys[0] if len(keys) == 1 else {"keys": keys}


def sort_keys(sort: Any) -> Any:
    """A sort in either line's shape (`{"key", "desc"}`, `{"keys": [...]}`, a list of keys) as a
    list of keys; anything else is left for the line's parser to refuse."""
    if isinstance(sort, Mapping):
        if "keys" in sort and len(sort) == 1:
            return sort["keys"]
        return [dict(sort)]
    return sort


# Each line's JobTask service: 1.x's generated module, 2.x's descriptor pool (`wire`).
V1: Final = Line.of(1, job_task_pb2.DESCRIPTOR.services_by_name["JobTask"])
V2: Final = Line.of(2, wire.SERVICE)
LINES: Final[Mapping[int, Line]] = {1: V1, 2: V2}


def line(api: int) -> Line:
    """The line of `--spaceone-api`: 1 or 2."""
    try:
        return LINES[api]
    except KeyError:
        raise ValueError(f"--spaceone-api: {api} is not a SpaceONE line (1 or 2)") from None
