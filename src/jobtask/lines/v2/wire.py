"""SpaceONE 2.x's JobTask wire (spaceone-api 2.0.435, trimmed), in a descriptor pool of its own.

2.x declares the same file names (`spaceone/api/inventory/v1/job_task.proto`) and full names
(`spaceone.api.inventory.v1.JobTaskInfo`, ...) as 1.x with other fields, so its generated modules
could not be imported beside 1.x's: both register in protobuf's default pool, which refuses a
second file of the same name. Instead `make proto` writes proto/v2's FileDescriptorSet, with every
import (`descriptors.binpb`, generated, never edited), and this module loads it into `POOL`, a
`DescriptorPool` nothing else shares, and makes the message classes from it. Why this and not
generated modules under another package: docs/spaceone-2x.md.

What lives here: the pool (what reflection serves to 2.x clients), the service descriptor (what
the gRPC edge binds), and one class per message JobTask's rpcs take or answer. Nothing here
imports grpc, or anything of ours.
"""

from __future__ import annotations

from importlib import resources
from typing import Final

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import FileDescriptor, ServiceDescriptor
from google.protobuf.message import Message

DESCRIPTOR_SET: Final = "descriptors.binpb"  # written by `make proto` beside this module
SERVICE_NAME: Final = "spaceone.api.inventory.v1.JobTask"
SERVICE_FILE: Final = "spaceone/api/inventory/v1/job_task.proto"
INVENTORY: Final = "spaceone.api.inventory.v1"
CORE: Final = "spaceone.api.core.v2"


def load_files() -> descriptor_pb2.FileDescriptorSet:
    """The generated FileDescriptorSet: proto/v2's files after everything they import."""
    data = resources.files(__package__).joinpath(DESCRIPTOR_SET).read_bytes()
    return descriptor_pb2.FileDescriptorSet.FromString(data)


def _pool(files: descriptor_pb2.FileDescriptorSet) -> descriptor_pool.DescriptorPool:
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:  # protoc --include_imports writes each file after its imports
        pool.AddSerializedFile(file.SerializeToString())
    return pool


POOL: Final = _pool(load_files())
SERVICE: Final[ServiceDescriptor] = POOL.FindServiceByName(SERVICE_NAME)
FILE: Final[FileDescriptor] = SERVICE.file


def message_class(full_name: str) -> type[Message]:
    """The class of a message of the 2.x pool (one class per descriptor, cached by protobuf)."""
    return message_factory.GetMessageClass(POOL.FindMessageTypeByName(full_name))


# The rpcs' requests and answers (delete answers google.protobuf.Empty, stat a Struct: both from
# this pool too, so that every message of a 2.x call is of one pool).
JobTaskRequest: Final = message_class(f"{INVENTORY}.JobTaskRequest")
JobTaskQuery: Final = message_class(f"{INVENTORY}.JobTaskQuery")
JobTaskStatQuery: Final = message_class(f"{INVENTORY}.JobTaskStatQuery")
JobTaskInfo: Final = message_class(f"{INVENTORY}.JobTaskInfo")
JobTasksInfo: Final = message_class(f"{INVENTORY}.JobTasksInfo")
ErrorInfo: Final = message_class(f"{INVENTORY}.ErrorInfo")
Empty: Final = message_class("google.protobuf.Empty")
Struct: Final = message_class("google.protobuf.Struct")
