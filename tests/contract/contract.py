"""The JobTask wire contract, transcribed from spec/wire.md without reading our proto/ or stubs.

Builds its own descriptors in a private DescriptorPool, so a drift in our protos shows up as a diff.
"""

from collections.abc import Iterable
from typing import Final

from google.protobuf import descriptor_pb2, descriptor_pool, empty_pb2, message_factory, struct_pb2
from google.protobuf.message import Message

CORE: Final = "spaceone.api.core.v1"
INVENTORY: Final = "spaceone.api.inventory.v1"
SERVICE: Final = f"{INVENTORY}.JobTask"
CORE_FILE: Final = "contract/spaceone_core_v1.proto"
INVENTORY_FILE: Final = "contract/spaceone_inventory_v1.proto"

# Declared inside each of these messages under the same name and values.
STATUS_ENUM_NAME: Final = "JobTaskStatus"
STATUS_ENUM_OWNERS: Final = ("JobTaskQuery", "JobTaskInfo")
JOB_TASK_STATUS: Final[tuple[tuple[str, int], ...]] = (
    ("JOB_TASK_STATE_NONE", 0),
    ("PENDING", 1),
    ("CANCELED", 2),
    ("IN_PROGRESS", 3),
    ("SUCCESS", 4),
    ("FAILURE", 5),
)

# One row per table row of wire.md: (message, field, number, type, oneof or "").
# A "repeated " prefix marks a repeated field; unqualified type names are relative to the package.
Row = tuple[str, str, int, str, str]

INVENTORY_ROWS: Final[tuple[Row, ...]] = (
    ("ErrorInfo", "error_code", 1, "string", ""),
    ("ErrorInfo", "message", 2, "string", ""),
    ("ErrorInfo", "additional", 3, "google.protobuf.Struct", ""),
    ("JobTaskRequest", "job_task_id", 1, "string", ""),
    ("JobTaskRequest", "domain_id", 2, "string", ""),
    ("GetJobTaskRequest", "job_task_id", 1, "string", ""),
    ("GetJobTaskRequest", "domain_id", 2, "string", ""),
    ("GetJobTaskRequest", "only", 3, "repeated string", ""),
    ("JobTaskQuery", "query", 1, "spaceone.api.core.v1.Query", ""),
    ("JobTaskQuery", "job_task_id", 2, "string", ""),
    ("JobTaskQuery", "status", 3, "JobTaskQuery.JobTaskStatus", ""),
    ("JobTaskQuery", "job_id", 4, "string", ""),
    ("JobTaskQuery", "secret_id", 5, "string", ""),
    ("JobTaskQuery", "provider", 6, "string", ""),
    ("JobTaskQuery", "service_account_id", 7, "string", ""),
    ("JobTaskQuery", "project_id", 8, "string", ""),
    ("JobTaskQuery", "domain_id", 9, "string", ""),
    ("JobTaskInfo", "job_task_id", 1, "string", ""),
    ("JobTaskInfo", "status", 2, "JobTaskInfo.JobTaskStatus", ""),
    ("JobTaskInfo", "created_count", 3, "int32", ""),
    ("JobTaskInfo", "updated_count", 4, "int32", ""),
    ("JobTaskInfo", "failure_count", 5, "int32", ""),
    ("JobTaskInfo", "deleted_count", 6, "int32", ""),
    ("JobTaskInfo", "disconnected_count", 7, "int32", ""),
    ("JobTaskInfo", "errors", 9, "repeated ErrorInfo", ""),
    ("JobTaskInfo", "job_id", 11, "string", ""),
    ("JobTaskInfo", "secret_id", 12, "string", ""),
    ("JobTaskInfo", "provider", 13, "string", ""),
    ("JobTaskInfo", "service_account_id", 14, "string", ""),
    ("JobTaskInfo", "project_id", 15, "string", ""),
    ("JobTaskInfo", "domain_id", 16, "string", ""),
    ("JobTaskInfo", "created_at", 21, "string", ""),
    ("JobTaskInfo", "started_at", 22, "string", ""),
    ("JobTaskInfo", "finished_at", 23, "string", ""),
    ("JobTasksInfo", "results", 1, "repeated JobTaskInfo", ""),
    ("JobTasksInfo", "total_count", 2, "int32", ""),
    ("JobTaskStatQuery", "query", 1, "spaceone.api.core.v1.StatisticsQuery", ""),
    ("JobTaskStatQuery", "domain_id", 2, "string", ""),
)

CORE_ROWS: Final[tuple[Row, ...]] = (
    ("Filter", "key", 1, "string", "key_alias"),
    ("Filter", "k", 2, "string", "key_alias"),
    ("Filter", "value", 3, "google.protobuf.Value", "value_alias"),
    ("Filter", "v", 4, "google.protobuf.Value", "value_alias"),
    ("Filter", "operator", 5, "string", "operator_alias"),
    ("Filter", "o", 6, "string", "operator_alias"),
    ("SortKey", "key", 1, "string", ""),
    ("SortKey", "desc", 2, "bool", ""),
    ("Sort", "key", 1, "string", ""),
    ("Sort", "desc", 2, "bool", ""),
    ("Sort", "keys", 3, "repeated SortKey", ""),
    ("Page", "start", 1, "uint32", ""),
    ("Page", "limit", 2, "uint32", ""),
    ("Query", "filter", 1, "repeated Filter", ""),
    ("Query", "filter_or", 2, "repeated Filter", ""),
    ("Query", "sort", 3, "Sort", ""),
    ("Query", "page", 4, "Page", ""),
    ("Query", "minimal", 5, "bool", ""),
    ("Query", "count_only", 6, "bool", ""),
    ("Query", "only", 7, "repeated string", ""),
    ("Query", "keyword", 8, "string", ""),
    ("AggregateGroupKey", "key", 1, "string", "key_alias"),
    ("AggregateGroupKey", "k", 2, "string", "key_alias"),
    ("AggregateGroupKey", "name", 3, "string", "name_alias"),
    ("AggregateGroupKey", "n", 4, "string", "name_alias"),
    ("AggregateGroupKey", "date_format", 5, "string", ""),
    ("AggregateGroupSubField", "key", 1, "string", "key_alias"),
    ("AggregateGroupSubField", "k", 2, "string", "key_alias"),
    ("AggregateGroupSubField", "name", 3, "string", "name_alias"),
    ("AggregateGroupSubField", "n", 4, "string", "name_alias"),
    ("AggregateSubCondition", "key", 1, "string", "key_alias"),
    ("AggregateSubCondition", "k", 2, "string", "key_alias"),
    ("AggregateSubCondition", "value", 3, "google.protobuf.Value", "value_alias"),
    ("AggregateSubCondition", "v", 4, "google.protobuf.Value", "value_alias"),
    ("AggregateSubCondition", "operator", 5, "string", "operator_alias"),
    ("AggregateSubCondition", "o", 6, "string", "operator_alias"),
    ("AggregateGroupField", "key", 1, "string", "key_alias"),
    ("AggregateGroupField", "k", 2, "string", "key_alias"),
    ("AggregateGroupField", "name", 3, "string", "name_alias"),
    ("AggregateGroupField", "n", 4, "string", "name_alias"),
    ("AggregateGroupField", "operator", 5, "string", "operator_alias"),
    ("AggregateGroupField", "o", 6, "string", "operator_alias"),
    ("AggregateGroupField", "fields", 7, "repeated AggregateGroupSubField", ""),
    ("AggregateGroupField", "conditions", 8, "repeated AggregateSubCondition", ""),
    ("AggregateGroup", "keys", 1, "repeated AggregateGroupKey", ""),
    ("AggregateGroup", "fields", 2, "repeated AggregateGroupField", ""),
    ("AggregateProjectField", "key", 1, "string", "key_alias"),
    ("AggregateProjectField", "k", 2, "string", "key_alias"),
    ("AggregateProjectField", "name", 3, "string", "name_alias"),
    ("AggregateProjectField", "n", 4, "string", "name_alias"),
    ("AggregateProjectField", "operator", 5, "string", "operator_alias"),
    ("AggregateProjectField", "o", 6, "string", "operator_alias"),
    ("AggregateProject", "fields", 1, "repeated AggregateProjectField", ""),
    ("AggregateProject", "exclude_keys", 2, "bool", ""),
    ("AggregateUnwind", "path", 1, "string", ""),
    ("AggregateCount", "name", 1, "string", ""),
    ("AggregateSort", "key", 1, "string", ""),
    ("AggregateSort", "desc", 2, "bool", ""),
    ("AggregateSort", "keys", 3, "repeated SortKey", ""),
    ("StatisticsAggregate", "unwind", 1, "AggregateUnwind", "aggregate_alias"),
    ("StatisticsAggregate", "group", 2, "AggregateGroup", "aggregate_alias"),
    ("StatisticsAggregate", "count", 3, "AggregateCount", "aggregate_alias"),
    ("StatisticsAggregate", "sort", 4, "AggregateSort", "aggregate_alias"),
    ("StatisticsAggregate", "project", 5, "AggregateProject", "aggregate_alias"),
    ("StatisticsAggregate", "limit", 6, "int32", "aggregate_alias"),
    ("StatisticsAggregate", "skip", 7, "int32", "aggregate_alias"),
    ("StatisticsQuery", "filter", 1, "repeated Filter", ""),
    ("StatisticsQuery", "filter_or", 2, "repeated Filter", ""),
    ("StatisticsQuery", "aggregate", 3, "repeated StatisticsAggregate", ""),
    ("StatisticsQuery", "page", 4, "Page", ""),
    ("StatisticsQuery", "distinct", 5, "string", ""),
    ("StatisticsQuery", "keyword", 6, "string", ""),
)

# rpc name -> (request full name, response full name, [(HTTP method, path), ...]); first is primary.
RPCS: Final[dict[str, tuple[str, str, list[tuple[str, str]]]]] = {
    "delete": (
        f"{INVENTORY}.JobTaskRequest",
        "google.protobuf.Empty",
        [("DELETE", "/inventory/v1/job-task/{job_task_id}")],
    ),
    "get": (
        f"{INVENTORY}.GetJobTaskRequest",
        f"{INVENTORY}.JobTaskInfo",
        [("GET", "/inventory/v1/job-task/{job_task_id}")],
    ),
    "list": (
        f"{INVENTORY}.JobTaskQuery",
        f"{INVENTORY}.JobTasksInfo",
        [("GET", "/inventory/v1/job-tasks"), ("POST", "/inventory/v1/job-tasks/search")],
    ),
    "stat": (
        f"{INVENTORY}.JobTaskStatQuery",
        "google.protobuf.Struct",
        [("POST", "/inventory/v1/job-tasks/stat")],
    ),
}
# The `body` of each HTTP binding; bindings not listed here carry no body.
HTTP_BODIES: Final[dict[tuple[str, str], str]] = {
    ("POST", "/inventory/v1/job-tasks/search"): "*",
    ("POST", "/inventory/v1/job-tasks/stat"): "*",
}

_FDP = descriptor_pb2.FieldDescriptorProto
_SCALARS: Final[dict[str, descriptor_pb2.FieldDescriptorProto.Type.ValueType]] = {
    "string": _FDP.TYPE_STRING,
    "int32": _FDP.TYPE_INT32,
    "uint32": _FDP.TYPE_UINT32,
    "bool": _FDP.TYPE_BOOL,
}
STATUS_ENUMS: Final = frozenset(
    f"{INVENTORY}.{owner}.{STATUS_ENUM_NAME}" for owner in STATUS_ENUM_OWNERS
)
MESSAGES: Final[tuple[str, ...]] = tuple(
    dict.fromkeys(
        [f"{CORE}.{row[0]}" for row in CORE_ROWS]
        + [f"{INVENTORY}.{row[0]}" for row in INVENTORY_ROWS]
    )
)


def _field_proto(
    package: str, row: Row, oneofs: dict[str, int]
) -> descriptor_pb2.FieldDescriptorProto:
    _, name, number, type_text, oneof = row
    repeated = type_text.startswith("repeated ")
    type_name = type_text.removeprefix("repeated ")
    field = _FDP(
        name=name,
        number=number,
        label=_FDP.LABEL_REPEATED if repeated else _FDP.LABEL_OPTIONAL,
    )
    if type_name in _SCALARS:
        field.type = _SCALARS[type_name]
    else:
        qualified = type_name.startswith(("google.", "spaceone."))
        full_name = type_name if qualified else f"{package}.{type_name}"
        field.type = _FDP.TYPE_ENUM if full_name in STATUS_ENUMS else _FDP.TYPE_MESSAGE
        field.type_name = f".{full_name}"
    if oneof:
        field.oneof_index = oneofs.setdefault(oneof, len(oneofs))
    return field


def _message_protos(package: str, rows: Iterable[Row]) -> list[descriptor_pb2.DescriptorProto]:
    messages: dict[str, descriptor_pb2.DescriptorProto] = {}
    oneofs: dict[str, dict[str, int]] = {}
    for row in rows:
        message = messages.setdefault(row[0], descriptor_pb2.DescriptorProto(name=row[0]))
        message.field.append(_field_proto(package, row, oneofs.setdefault(row[0], {})))
    for name, message in messages.items():
        message.oneof_decl.extend(
            descriptor_pb2.OneofDescriptorProto(name=oneof) for oneof in oneofs[name]
        )
        if package == INVENTORY and name in STATUS_ENUM_OWNERS:
            message.enum_type.add(name=STATUS_ENUM_NAME).value.extend(
                descriptor_pb2.EnumValueDescriptorProto(name=value, number=number)
                for value, number in JOB_TASK_STATUS
            )
    return list(messages.values())


def _service_proto() -> descriptor_pb2.ServiceDescriptorProto:
    service = descriptor_pb2.ServiceDescriptorProto(name=SERVICE.rsplit(".", 1)[1])
    for rpc, (request, response, _) in RPCS.items():
        service.method.add(name=rpc, input_type=f".{request}", output_type=f".{response}")
    return service


def build_file_protos() -> tuple[descriptor_pb2.FileDescriptorProto, ...]:
    """Return the contract's two files, core first because inventory imports it."""
    core = descriptor_pb2.FileDescriptorProto(
        name=CORE_FILE,
        package=CORE,
        syntax="proto3",
        dependency=["google/protobuf/struct.proto"],
        message_type=_message_protos(CORE, CORE_ROWS),
    )
    inventory = descriptor_pb2.FileDescriptorProto(
        name=INVENTORY_FILE,
        package=INVENTORY,
        syntax="proto3",
        dependency=["google/protobuf/struct.proto", "google/protobuf/empty.proto", CORE_FILE],
        message_type=_message_protos(INVENTORY, INVENTORY_ROWS),
        service=[_service_proto()],
    )
    return core, inventory


def _build_pool() -> descriptor_pool.DescriptorPool:
    pool = descriptor_pool.DescriptorPool()
    for well_known in (struct_pb2.DESCRIPTOR, empty_pb2.DESCRIPTOR):
        file_proto = descriptor_pb2.FileDescriptorProto()
        well_known.CopyToProto(file_proto)
        pool.Add(file_proto)
    for file_proto in build_file_protos():
        pool.Add(file_proto)
    return pool


POOL: Final = _build_pool()


def message_class(full_name: str) -> type[Message]:
    """Return the contract's message class for a full name such as `spaceone.api.core.v1.Query`."""
    return message_factory.GetMessageClass(POOL.FindMessageTypeByName(full_name))
