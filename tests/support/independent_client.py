"""A JobTask gRPC client built only from the independent wire contract, never from our stubs.

Requests and responses are plain dicts, shaped as SpaceONE clients see them (proto field names).
"""

from collections.abc import Sequence
from typing import Any, Final

import grpc
from google.protobuf import json_format

from tests.contract import contract

Metadata = Sequence[tuple[str, str | bytes]]

_SERVICE_PATH: Final = f"/{contract.SERVICE}"


class IndependentJobTaskClient:
    """Calls `spaceone.api.inventory.v1.JobTask` over `channel`; grpc.RpcError propagates as is."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._calls = {
            rpc: channel.unary_unary(
                f"{_SERVICE_PATH}/{rpc}",
                request_serializer=lambda message: message.SerializeToString(),
                response_deserializer=contract.message_class(response).FromString,
            )
            for rpc, (_, response, _) in contract.RPCS.items()
        }

    def get(
        self,
        request_dict: dict[str, Any],
        *,
        metadata: Metadata | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Call `get` with a GetJobTaskRequest; return the JobTaskInfo."""
        return self._call("get", request_dict, metadata, timeout)

    def list(
        self,
        request_dict: dict[str, Any],
        *,
        metadata: Metadata | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Call `list` with a JobTaskQuery; return the JobTasksInfo."""
        return self._call("list", request_dict, metadata, timeout)

    def delete(
        self,
        request_dict: dict[str, Any],
        *,
        metadata: Metadata | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Call `delete` with a JobTaskRequest; return the (empty) response."""
        return self._call("delete", request_dict, metadata, timeout)

    def stat(
        self,
        request_dict: dict[str, Any],
        *,
        metadata: Metadata | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Call `stat` with a JobTaskStatQuery; return the result Struct as a dict."""
        return self._call("stat", request_dict, metadata, timeout)

    def _call(
        self,
        rpc: str,
        request_dict: dict[str, Any],
        metadata: Metadata | None,
        timeout: float | None,
    ) -> dict[str, Any]:
        request = json_format.ParseDict(
            request_dict, contract.message_class(contract.RPCS[rpc][0])()
        )
        response = self._calls[rpc](request, metadata=metadata, timeout=timeout)
        return json_format.MessageToDict(response, preserving_proto_field_name=True)
