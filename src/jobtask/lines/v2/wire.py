"""SpaceONE 2.x's JobTask wire (spaceone-api 2.0.435, trimmed), in a descriptor pool of its own.

2.x declares the same file names (`spaceone/api/inventory/v1/job_task.proto`) and full names
(`spaceone.api.inventory.v1.JobTaskInfo`, ...) as 1.x with other fields, so its generated modules
could not be imported beside 1.x's: both register in protobuf's default pool, which refuses a
second file of the same name. Instead `make proto` writes proto/v2's FileDescriptorSet, with every
import (`descriptors.binpb`, generated, never edited), and this module loads it into `POOL`, a
`DescriptorPool` nothing else shares, and makes the message classes from it. Why this and not
generated modules under another package: docs/spaceone-2x.md.

What lives here: the pool (what reflection serves to 2.x clients), the service descriptor (what
the gRPC edge binds), one class per message JobTask's rpcs take or answer, and typed views of the
requests: the classes are built at run time, so mypy sees `Message`; the Protocols below name the
fields each request has, with their types (tests/contract/test_spaceone_2x.py checks them against
the pool), and `job_task_request`, `job_task_query` and `job_task_stat_query` give a request as one.
Nothing here imports grpc, or anything of ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import Final, Protocol, cast

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


def _without_json_names(messages: Iterable[descriptor_pb2.DescriptorProto]) -> None:
    for message in messages:
        for field in (*message.field, *message.extension):
            field.ClearField("json_name")
        _without_json_names(message.nested_type)


def _pool(files: descriptor_pb2.FileDescriptorSet) -> descriptor_pool.DescriptorPool:
    """The files as generated `_pb2` modules hold them: protoc's Python generator leaves out each
    field's `json_name`, so SpaceONE's own 2.x server (and our 1.x) serves none by reflection, and
    grpcurl prints snake_case names; a descriptor set keeps them, and grpcurl would print
    camelCase. (json_format derives the same JSON names either way.)"""
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:  # protoc --include_imports writes each file after its imports
        _without_json_names(file.message_type)
        for extension in file.extension:
            extension.ClearField("json_name")
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


# --- typed views of the requests ---------------------------------------------------------------
# A field of google.protobuf.Value, ListValue or Struct is a `Message` (this pool's well-known
# types); status is the enum's number.


class _Message(Protocol):
    def HasField(self, field_name: str, /) -> bool: ...
    def WhichOneof(self, oneof_group: str, /) -> str | None: ...


class FilterMessage(_Message, Protocol):
    key: str
    k: str
    value: Message
    v: Message
    operator: str
    o: str


class SortMessage(_Message, Protocol):
    key: str
    desc: bool


class PageMessage(_Message, Protocol):
    start: int
    limit: int


class UnwindMessage(_Message, Protocol):
    path: str
    filter: Sequence[FilterMessage]


class QueryMessage(_Message, Protocol):
    filter: Sequence[FilterMessage]
    filter_or: Sequence[FilterMessage]
    sort: Sequence[SortMessage]
    page: PageMessage
    minimal: bool
    count_only: bool
    only: Sequence[str]
    keyword: str
    unwind: UnwindMessage
    lookup: Message
    add_fields: Message


class AggregateGroupKeyMessage(_Message, Protocol):
    key: str
    k: str
    name: str
    n: str
    date_format: str


class AggregateGroupSubFieldMessage(_Message, Protocol):
    key: str
    k: str
    name: str
    n: str


class AggregateSubConditionMessage(FilterMessage, Protocol):
    """The same fields as a Filter."""


class AggregateGroupFieldMessage(AggregateGroupSubFieldMessage, Protocol):
    operator: str
    o: str
    fields: Sequence[AggregateGroupSubFieldMessage]
    conditions: Sequence[AggregateSubConditionMessage]


class AggregateGroupMessage(_Message, Protocol):
    keys: Sequence[AggregateGroupKeyMessage]
    fields: Sequence[AggregateGroupFieldMessage]


class AggregateProjectFieldMessage(AggregateGroupSubFieldMessage, Protocol):
    operator: str
    o: str


class AggregateProjectMessage(_Message, Protocol):
    fields: Sequence[AggregateProjectFieldMessage]
    exclude_keys: bool


class AggregateCountMessage(_Message, Protocol):
    name: str


class StatisticsAggregateMessage(_Message, Protocol):
    """One stage: the member of the oneof `aggregate_alias` that is set."""

    unwind: UnwindMessage
    group: AggregateGroupMessage
    count: AggregateCountMessage
    sort: Message  # a ListValue of {key, desc}
    project: AggregateProjectMessage
    limit: int
    skip: int


class StatisticsQueryMessage(_Message, Protocol):
    filter: Sequence[FilterMessage]
    filter_or: Sequence[FilterMessage]
    aggregate: Sequence[StatisticsAggregateMessage]
    page: PageMessage
    distinct: str
    keyword: str


class JobTaskRequestMessage(_Message, Protocol):
    job_task_id: str


class JobTaskQueryMessage(_Message, Protocol):
    query: QueryMessage
    job_task_id: str
    status: int
    provider: str
    workspace_id: str
    project_id: str
    service_account_id: str
    job_id: str
    secret_id: str


class JobTaskStatQueryMessage(_Message, Protocol):
    query: StatisticsQueryMessage


# Each view and the message it views (the test checks every field's name, type and label).
VIEWS: Final[Mapping[type, str]] = {
    FilterMessage: f"{CORE}.Filter",
    SortMessage: f"{CORE}.Sort",
    PageMessage: f"{CORE}.Page",
    UnwindMessage: f"{CORE}.Unwind",
    QueryMessage: f"{CORE}.Query",
    AggregateGroupKeyMessage: f"{CORE}.AggregateGroupKey",
    AggregateGroupSubFieldMessage: f"{CORE}.AggregateGroupSubField",
    AggregateSubConditionMessage: f"{CORE}.AggregateSubCondition",
    AggregateGroupFieldMessage: f"{CORE}.AggregateGroupField",
    AggregateGroupMessage: f"{CORE}.AggregateGroup",
    AggregateProjectFieldMessage: f"{CORE}.AggregateProjectField",
    AggregateProjectMessage: f"{CORE}.AggregateProject",
    AggregateCountMessage: f"{CORE}.AggregateCount",
    StatisticsAggregateMessage: f"{CORE}.StatisticsAggregate",
    StatisticsQueryMessage: f"{CORE}.StatisticsQuery",
    JobTaskRequestMessage: f"{INVENTORY}.JobTaskRequest",
    JobTaskQueryMessage: f"{INVENTORY}.JobTaskQuery",
    JobTaskStatQueryMessage: f"{INVENTORY}.JobTaskStatQuery",
}


def _of(message: Message, cls: type[Message]) -> Message:
    if not isinstance(message, cls):  # another message, or 1.x's of the same name
        name = cls.DESCRIPTOR.full_name
        raise TypeError(f"{message.DESCRIPTOR.full_name} is not the 2.x pool's {name}")
    return message


def job_task_request(message: Message) -> JobTaskRequestMessage:
    """A get or delete request (of this pool's JobTaskRequest class) as its typed view."""
    return cast(JobTaskRequestMessage, _of(message, JobTaskRequest))


def job_task_query(message: Message) -> JobTaskQueryMessage:
    """A list request (of this pool's JobTaskQuery class) as its typed view."""
    return cast(JobTaskQueryMessage, _of(message, JobTaskQuery))


def job_task_stat_query(message: Message) -> JobTaskStatQueryMessage:
    """A stat request (of this pool's JobTaskStatQuery class) as its typed view."""
    return cast(JobTaskStatQueryMessage, _of(message, JobTaskStatQuery))
