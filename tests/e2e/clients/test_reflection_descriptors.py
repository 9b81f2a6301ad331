"""When the chart routes /spaceone.api.inventory.v1.JobTask/* here, server reflection still comes
from SpaceONE's inventory, which serves the JobTask descriptors of its own spaceone-api package.
Clients (spacectl, pygrpc, SpaceConnector) build their stubs from those and send the calls here,
so for each line the gRPC shape must be the one this server speaks: every message, enum and
dependency, and each rpc's name, request and answer types. Only the google.api.http options
(HTTP transcoding, which no gRPC caller uses) and file options such as go_package may differ.
"""

from __future__ import annotations

import subprocess

import pytest
from google.protobuf import descriptor_pb2

from spaceone.api.inventory.v1 import job_task_pb2
from tests.e2e.clients.conftest import LINES
from tests.support.processes import ROOT

DUMP = (
    "import sys\nfrom spaceone.api.inventory.v1 import job_task_pb2\n"
    "sys.stdout.buffer.write(job_task_pb2.DESCRIPTOR.serialized_pb)"
)


def grpc_shape(file: descriptor_pb2.FileDescriptorProto) -> dict[str, object]:
    return {
        "name": file.name,
        "package": file.package,
        "dependency": list(file.dependency),
        "message_type": list(file.message_type),
        "enum_type": list(file.enum_type),
        "service": [
            (
                service.name,
                [
                    (m.name, m.input_type, m.output_type, m.client_streaming, m.server_streaming)
                    for m in service.method
                ],
            )
            for service in file.service
        ],
    }


@pytest.mark.parametrize("line", LINES)
def test_spaceone_inventory_reflects_the_job_task_this_server_speaks(line: str) -> None:
    python = ROOT / ".venv-clients" / line / "bin" / "python"
    theirs = subprocess.run([str(python), "-c", DUMP], capture_output=True, check=True).stdout
    ours = descriptor_pb2.FileDescriptorProto.FromString(job_task_pb2.DESCRIPTOR.serialized_pb)
    assert grpc_shape(descriptor_pb2.FileDescriptorProto.FromString(theirs)) == grpc_shape(ours)
