"""A SpaceONE 2.x JobTask gRPC client over the 2.x pool's message classes
(`jobtask.lines.v2.wire`): requests and answers as dicts of proto field names, as SpaceONE 2.x's
clients (`ParseDict` / `MessageToDict`) see them; the caller's scope in `x_domain_id` /
`x_workspace_id` metadata."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from jobtask.lines.v2 import wire

Metadata = Sequence[tuple[str, str]]

RPCS: Final[dict[str, tuple[type[Message], type[Message]]]] = {
    "get": (wire.JobTaskRequest, wire.JobTaskInfo),
    "delete": (wire.JobTaskRequest, wire.Empty),
    "list": (wire.JobTaskQuery, wire.JobTasksInfo),
    "stat": (wire.JobTaskStatQuery, wire.Struct),
}


def scope_metadata(domain_id: str | None = None, workspace_id: str | None = None) -> Metadata:
    """The metadata a 2.x caller without a token names its scope in."""
    pairs = [("x_domain_id", domain_id), ("x_workspace_id", workspace_id)]
    return [(key, value) for key, value in pairs if value is not None]


class JobTaskClient2x:
    """Calls `spaceone.api.inventory.v1.JobTask` (2.x) over `channel`; grpc.RpcError propagates.
    `metadata`: every call's, unless a call gives its own."""

    def __init__(self, channel: grpc.Channel, metadata: Metadata = ()) -> None:
        self.metadata = metadata
        self._calls = {
            rpc: channel.unary_unary(
                f"/{wire.SERVICE_NAME}/{rpc}",
                request_serializer=lambda message: message.SerializeToString(),
                response_deserializer=response.FromString,
            )
            for rpc, (_, response) in RPCS.items()
        }

    def call(
        self, rpc: str, request: dict[str, Any], metadata: Metadata | None = None
    ) -> dict[str, Any]:
        message = json_format.ParseDict(request, RPCS[rpc][0]())
        answer = self._calls[rpc](
            message, metadata=self.metadata if metadata is None else metadata, timeout=10
        )
        return json_format.MessageToDict(answer, preserving_proto_field_name=True)

    def get(self, request: dict[str, Any], metadata: Metadata | None = None) -> dict[str, Any]:
        return self.call("get", request, metadata)

    def list(self, request: dict[str, Any], metadata: Metadata | None = None) -> dict[str, Any]:
        return self.call("list", request, metadata)

    def delete(self, request: dict[str, Any], metadata: Metadata | None = None) -> dict[str, Any]:
        return self.call("delete", request, metadata)

    def stat(self, request: dict[str, Any], metadata: Metadata | None = None) -> dict[str, Any]:
        return self.call("stat", request, metadata)
