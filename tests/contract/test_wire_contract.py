"""Our generated JobTask descriptors against the independent wire contract in `contract.py`.

Checks names, numbers, types, oneofs, enums, rpcs and HTTP bindings, then real bytes both ways.
"""

from collections.abc import Callable, Iterable
from typing import Any, Final

import pytest
from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from google.protobuf.descriptor import (
    Descriptor,
    EnumDescriptor,
    FieldDescriptor,
    FileDescriptor,
    MethodDescriptor,
)
from google.protobuf.message import Message

from spaceone.api.core.v1 import query_pb2
from spaceone.api.inventory.v1 import job_task_pb2
from tests.contract import contract

OURS: Final = job_task_pb2.DESCRIPTOR.pool
_TYPE_NAMES: Final[dict[int, str]] = {
    number: name for name, number in descriptor_pb2.FieldDescriptorProto.Type.items()
}


# --- the checker -------------------------------------------------------------------------------


def field_shape(field: FieldDescriptor) -> dict[str, object]:
    """Everything about a field that a client built from other protos depends on."""
    referenced = field.message_type or field.enum_type
    return {
        "number": field.number,
        "type": _TYPE_NAMES[field.type],
        "repeated": field.is_repeated,
        "type_name": referenced.full_name if referenced else "",
        "oneof": field.containing_oneof.name if field.containing_oneof else "",
        "json_name": field.json_name,
    }


def diff_message(expected: Descriptor, actual: Descriptor) -> list[str]:
    """Describe each way `actual` differs from the contract's `expected` message."""
    where = expected.full_name
    problems: list[str] = []
    if actual.full_name != where:
        problems.append(f"{where}: ours is named {actual.full_name}")
    for name, field in expected.fields_by_name.items():
        ours = actual.fields_by_name.get(name)
        if ours is None:
            problems.append(f"{where}.{name}: missing")
            continue
        want, got = field_shape(field), field_shape(ours)
        problems += [
            f"{where}.{name}: {key} is {got[key]!r}, contract says {value!r}"
            for key, value in want.items()
            if got[key] != value
        ]
    problems += [
        f"{where}.{name}: not in the contract"
        for name in actual.fields_by_name
        if name not in expected.fields_by_name
    ]
    return problems


def diff_enum(expected: EnumDescriptor, actual: EnumDescriptor) -> list[str]:
    """Describe how the values of `actual` differ from the contract's enum."""
    want = {value.name: value.number for value in expected.values}
    got = {value.name: value.number for value in actual.values}
    return [] if want == got else [f"{expected.full_name}: values are {got}, contract says {want}"]


def http_bindings(method: MethodDescriptor) -> list[tuple[str, str, str]]:
    """The method's `google.api.http` rule as (HTTP method, path, body), primary binding first."""
    rule = method.GetOptions().Extensions[annotations_pb2.http]
    return [_binding(each) for each in (rule, *rule.additional_bindings)]


def _binding(rule: http_pb2.HttpRule) -> tuple[str, str, str]:
    kind = rule.WhichOneof("pattern")
    if kind is None:
        return ("", "", rule.body)
    if kind == "custom":
        return (rule.custom.kind.upper(), rule.custom.path, rule.body)
    return (kind.upper(), str(getattr(rule, kind)), rule.body)


def expected_bindings(rpc: str) -> list[tuple[str, str, str]]:
    """The contract's HTTP bindings of one rpc, with their bodies."""
    return [
        (method, path, contract.HTTP_BODIES.get((method, path), ""))
        for method, path in contract.RPCS[rpc][2]
    ]


def diff_rpc(rpc: str, method: MethodDescriptor) -> list[str]:
    """Describe how one of our rpcs differs from the contract in types or HTTP bindings."""
    request, response, _ = contract.RPCS[rpc]
    got = (method.input_type.full_name, method.output_type.full_name, http_bindings(method))
    want = (request, response, expected_bindings(rpc))
    return [] if got == want else [f"rpc {rpc}: ours is {got}, contract says {want}"]


def diff_service(pool: descriptor_pool.DescriptorPool) -> list[str]:
    """Describe how the JobTask service in `pool` differs from the contract."""
    try:
        methods = pool.FindServiceByName(contract.SERVICE).methods_by_name
    except KeyError:
        return [f"{contract.SERVICE}: missing"]
    problems = [f"rpc {name}: not in the contract" for name in methods if name not in contract.RPCS]
    for rpc in contract.RPCS:
        if rpc in methods:
            problems += diff_rpc(rpc, methods[rpc])
        else:
            problems.append(f"rpc {rpc}: missing")
    return problems


def diff_contract(pool: descriptor_pool.DescriptorPool) -> list[str]:
    """Every difference between the messages, enums and service in `pool` and the contract."""
    problems: list[str] = []
    for name in contract.MESSAGES:
        try:
            ours = pool.FindMessageTypeByName(name)
        except KeyError:
            problems.append(f"{name}: missing")
            continue
        problems += diff_message(contract.POOL.FindMessageTypeByName(name), ours)
    for name in sorted(contract.STATUS_ENUMS):
        try:
            ours_enum = pool.FindEnumTypeByName(name)
        except KeyError:
            problems.append(f"{name}: missing")
            continue
        problems += diff_enum(contract.POOL.FindEnumTypeByName(name), ours_enum)
    return problems + diff_service(pool)


# --- descriptors -------------------------------------------------------------------------------


def _ours_message(full_name: str) -> Descriptor:
    try:
        return OURS.FindMessageTypeByName(full_name)
    except KeyError:
        pytest.fail(f"{full_name} is not defined by our protos")


def _short(full_name: str) -> str:
    return full_name.removeprefix(f"{contract.CORE}.").removeprefix(f"{contract.INVENTORY}.")


def test_generated_files_declare_the_contract_packages() -> None:
    assert (query_pb2.DESCRIPTOR.package, job_task_pb2.DESCRIPTOR.package) == (
        contract.CORE,
        contract.INVENTORY,
    )


@pytest.mark.parametrize("full_name", contract.MESSAGES, ids=_short)
def test_message_fields_match_contract(full_name: str) -> None:
    expected = contract.POOL.FindMessageTypeByName(full_name)
    assert diff_message(expected, _ours_message(full_name)) == []


@pytest.mark.parametrize("owner", contract.STATUS_ENUM_OWNERS)
def test_job_task_status_enum_matches_contract(owner: str) -> None:
    full_name = f"{contract.INVENTORY}.{owner}.{contract.STATUS_ENUM_NAME}"
    ours = _ours_message(f"{contract.INVENTORY}.{owner}").enum_types_by_name.get(
        contract.STATUS_ENUM_NAME
    )
    assert ours is not None, f"{full_name} is not defined by our protos"
    assert ours.full_name == full_name
    assert diff_enum(contract.POOL.FindEnumTypeByName(full_name), ours) == []


def test_service_is_declared_under_contract_name() -> None:
    service = job_task_pb2.DESCRIPTOR.services_by_name.get("JobTask")
    assert service is not None
    assert service.full_name == contract.SERVICE


def test_service_has_exactly_the_four_lower_case_rpcs() -> None:
    methods = OURS.FindServiceByName(contract.SERVICE).methods_by_name
    assert sorted(methods) == ["delete", "get", "list", "stat"] == sorted(contract.RPCS)


@pytest.mark.parametrize("rpc", sorted(contract.RPCS))
def test_rpc_request_and_response_types_match_contract(rpc: str) -> None:
    method = OURS.FindServiceByName(contract.SERVICE).methods_by_name[rpc]
    request, response, _ = contract.RPCS[rpc]
    assert (method.input_type.full_name, method.output_type.full_name) == (request, response)


@pytest.mark.parametrize("rpc", sorted(contract.RPCS))
def test_rpc_http_annotation_matches_contract(rpc: str) -> None:
    method = OURS.FindServiceByName(contract.SERVICE).methods_by_name[rpc]
    assert http_bindings(method) == expected_bindings(rpc)


# --- the checker catches drift -----------------------------------------------------------------


def _field(
    file: descriptor_pb2.FileDescriptorProto, message: str, name: str
) -> descriptor_pb2.FieldDescriptorProto:
    found = next(each for each in file.message_type if each.name == message)
    return next(each for each in found.field if each.name == name)


def _rename_query_provider(file: descriptor_pb2.FileDescriptorProto) -> None:
    _field(file, "JobTaskQuery", "provider").name = "provider_name"


def _renumber_info_job_id(file: descriptor_pb2.FileDescriptorProto) -> None:
    _field(file, "JobTaskInfo", "job_id").number = 10


def _widen_created_count(file: descriptor_pb2.FileDescriptorProto) -> None:
    field = _field(file, "JobTaskInfo", "created_count")
    field.type = descriptor_pb2.FieldDescriptorProto.TYPE_INT64


def _repeat_query_job_id(file: descriptor_pb2.FileDescriptorProto) -> None:
    field = _field(file, "JobTaskQuery", "job_id")
    field.label = descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED


def _take_k_out_of_its_oneof(file: descriptor_pb2.FileDescriptorProto) -> None:
    _field(file, "Filter", "k").ClearField("oneof_index")


def _renumber_failure_status(file: descriptor_pb2.FileDescriptorProto) -> None:
    info = next(each for each in file.message_type if each.name == "JobTaskInfo")
    next(each for each in info.enum_type[0].value if each.name == "FAILURE").number = 6


def _capitalise_get_rpc(file: descriptor_pb2.FileDescriptorProto) -> None:
    next(each for each in file.service[0].method if each.name == "get").name = "Get"


def _drop_search_binding(file: descriptor_pb2.FileDescriptorProto) -> None:
    method = next(each for each in file.service[0].method if each.name == "list")
    method.options.Extensions[annotations_pb2.http].ClearField("additional_bindings")


Mutation = Callable[[descriptor_pb2.FileDescriptorProto], None]
MUTATIONS: Final[list[tuple[FileDescriptor, Mutation, str]]] = [
    (job_task_pb2.DESCRIPTOR, _rename_query_provider, "JobTaskQuery.provider: missing"),
    (job_task_pb2.DESCRIPTOR, _rename_query_provider, "provider_name: not in the contract"),
    (job_task_pb2.DESCRIPTOR, _renumber_info_job_id, "job_id: number is 10, contract says 11"),
    (job_task_pb2.DESCRIPTOR, _widen_created_count, "created_count: type is 'TYPE_INT64'"),
    (job_task_pb2.DESCRIPTOR, _repeat_query_job_id, "JobTaskQuery.job_id: repeated is True"),
    (query_pb2.DESCRIPTOR, _take_k_out_of_its_oneof, "Filter.k: oneof is ''"),
    (job_task_pb2.DESCRIPTOR, _renumber_failure_status, "'FAILURE': 6"),
    (job_task_pb2.DESCRIPTOR, _capitalise_get_rpc, "rpc get: missing"),
    (job_task_pb2.DESCRIPTOR, _drop_search_binding, "rpc list: ours is"),
]


def _files_in_import_order(file: FileDescriptor, seen: set[str]) -> Iterable[FileDescriptor]:
    if file.name in seen:
        return
    seen.add(file.name)
    for dependency in file.dependencies:
        yield from _files_in_import_order(dependency, seen)
    yield file


def rebuild_ours(target: FileDescriptor, mutate: Mutation) -> descriptor_pool.DescriptorPool:
    """A fresh pool holding copies of our files, with `mutate` applied to the copy of `target`."""
    pool = descriptor_pool.DescriptorPool()
    for file in _files_in_import_order(job_task_pb2.DESCRIPTOR, set()):
        file_proto = descriptor_pb2.FileDescriptorProto()
        file.CopyToProto(file_proto)
        if file.name == target.name:
            mutate(file_proto)
        pool.Add(file_proto)
    return pool


def test_checker_finds_nothing_in_an_unmodified_copy_of_our_protos() -> None:
    assert diff_contract(rebuild_ours(job_task_pb2.DESCRIPTOR, lambda _: None)) == []


@pytest.mark.parametrize(
    ("target", "mutate", "expected"),
    MUTATIONS,
    ids=[f"{mutate.__name__.strip('_')}-{i}" for i, (_, mutate, _) in enumerate(MUTATIONS)],
)
def test_checker_reports_drift_in_a_mutated_copy_of_our_protos(
    target: FileDescriptor, mutate: Mutation, expected: str
) -> None:
    problems = diff_contract(rebuild_ours(target, mutate))
    assert any(expected in problem for problem in problems), problems


# --- bytes on the wire -------------------------------------------------------------------------

SAMPLES: Final[dict[str, dict[str, Any]]] = {
    f"{contract.INVENTORY}.JobTaskQuery": {
        "query": {
            "filter": [
                {"k": "status", "v": ["FAILURE", "SUCCESS"], "o": "in"},
                {"key": "created_count", "value": 3, "operator": "gte"},
            ],
            "filter_or": [{"key": "provider", "value": "aws", "operator": "eq"}],
            "sort": {"key": "created_at", "desc": True, "keys": [{"key": "job_id", "desc": True}]},
            "page": {"start": 2, "limit": 10},
            "minimal": True,
            "count_only": True,
            "only": ["job_task_id", "status"],
            "keyword": "collector",
        },
        "job_task_id": "job-task-1",
        "status": "FAILURE",
        "job_id": "job-1",
        "secret_id": "secret-1",
        "provider": "aws",
        "service_account_id": "sa-1",
        "project_id": "project-1",
        "domain_id": "domain-1",
    },
    f"{contract.INVENTORY}.JobTasksInfo": {
        "results": [
            {
                "job_task_id": "job-task-1",
                "status": "FAILURE",
                "created_count": 1,
                "updated_count": 2,
                "failure_count": 3,
                "deleted_count": 4,
                "disconnected_count": 5,
                "errors": [
                    {
                        "error_code": "ERROR_COLLECT",
                        "message": "timeout",
                        "additional": {"retry": 2.5, "tags": ["a", None], "nested": {"ok": False}},
                    }
                ],
                "job_id": "job-1",
                "secret_id": "secret-1",
                "provider": "aws",
                "service_account_id": "sa-1",
                "project_id": "project-1",
                "domain_id": "domain-1",
                "created_at": "2024-01-02T03:04:05.000Z",
                "started_at": "2024-01-02T03:04:06.000Z",
                "finished_at": "2024-01-02T03:04:07.000Z",
            },
            {"job_task_id": "job-task-2", "status": "IN_PROGRESS"},
        ],
        "total_count": 2,
    },
    f"{contract.INVENTORY}.JobTaskStatQuery": {
        "query": {
            "filter": [{"k": "status", "v": "SUCCESS", "o": "eq"}],
            "filter_or": [{"key": "provider", "value": "aws", "operator": "eq"}],
            "aggregate": [
                {"unwind": {"path": "errors"}},
                {
                    "group": {
                        "keys": [
                            {"key": "created_at", "name": "day", "date_format": "%Y-%m-%d"},
                            {"k": "provider", "n": "provider"},
                        ],
                        "fields": [
                            {
                                "key": "created_count",
                                "name": "created",
                                "operator": "sum",
                                "fields": [{"key": "job_id", "name": "job"}, {"k": "x", "n": "y"}],
                                "conditions": [
                                    {"key": "status", "value": "FAILURE", "operator": "eq"},
                                    {"k": "failure_count", "v": 0, "o": "gt"},
                                ],
                            },
                            {"k": "job_task_id", "n": "total", "o": "count"},
                        ],
                    }
                },
                {"count": {"name": "total"}},
                {"sort": {"key": "total", "desc": True, "keys": [{"key": "day", "desc": True}]}},
                {
                    "project": {
                        "fields": [
                            {"key": "total", "name": "count", "operator": "size"},
                            {"k": "day", "n": "date", "o": "value"},
                        ],
                        "exclude_keys": True,
                    }
                },
                {"limit": 5},
                {"skip": 1},
            ],
            "page": {"start": 1, "limit": 3},
            "distinct": "provider",
            "keyword": "aws",
        },
        "domain_id": "domain-1",
    },
    f"{contract.INVENTORY}.GetJobTaskRequest": {
        "job_task_id": "job-task-1",
        "domain_id": "domain-1",
        "only": ["status", "errors"],
    },
    f"{contract.INVENTORY}.JobTaskRequest": {"job_task_id": "job-task-1", "domain_id": "domain-1"},
    f"{contract.INVENTORY}.ErrorInfo": {"error_code": "E", "message": "m", "additional": {"a": 1}},
}


def _ours_class(full_name: str) -> type[Message]:
    return message_factory.GetMessageClass(_ours_message(full_name))


def _build(cls: type[Message], full_name: str) -> Message:
    return json_format.ParseDict(SAMPLES[full_name], cls())


def _map_value_field(field: FieldDescriptor) -> FieldDescriptor | None:
    """The `value` field of a map field's entry type, or None if `field` is not a map."""
    entry = field.message_type
    if entry is None or not entry.GetOptions().map_entry:
        return None
    return entry.fields_by_name["value"]


def _diff_single(field: FieldDescriptor, sent: Any, received: Any, where: str) -> list[str]:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        return diff_payload(sent, received, where)
    return [] if sent == received else [f"{where}: sent {sent!r}, received {received!r}"]


def _diff_value(field: FieldDescriptor, sent: Any, received: Any, where: str) -> list[str]:
    value_field = _map_value_field(field)
    if value_field is not None:
        if set(sent) != set(received):
            return [f"{where}: sent keys {sorted(sent)}, received {sorted(received)}"]
        return [
            problem
            for key in sent
            for problem in _diff_single(value_field, sent[key], received[key], f"{where}[{key}]")
        ]
    if not field.is_repeated:
        return _diff_single(field, sent, received, where)
    if len(sent) != len(received):
        return [f"{where}: sent {len(sent)} items, received {len(received)}"]
    return [
        problem
        for index, (one, other) in enumerate(zip(sent, received, strict=True))
        for problem in _diff_single(field, one, other, f"{where}[{index}]")
    ]


def diff_payload(sent: Message, received: Message, where: str = "") -> list[str]:
    """Compare two messages of different classes field by field, matching fields by number."""
    sent_fields = {field.number: (field, value) for field, value in sent.ListFields()}
    received_fields = {field.number: (field, value) for field, value in received.ListFields()}
    problems: list[str] = []
    for number in sorted(sent_fields.keys() | received_fields.keys()):
        if number not in received_fields:
            problems.append(f"{where}.{sent_fields[number][0].name} (#{number}) was lost")
            continue
        if number not in sent_fields:
            problems.append(f"{where}.{received_fields[number][0].name} (#{number}) appeared")
            continue
        (field, value), (their_field, their_value) = sent_fields[number], received_fields[number]
        if field.name != their_field.name:
            problems.append(f"{where}.{field.name} (#{number}) arrived as {their_field.name}")
        problems += _diff_value(field, value, their_value, f"{where}.{field.name}")
    return problems


def _fields_set(message: Message) -> set[str]:
    found: set[str] = set()
    for field, value in message.ListFields():
        found.add(field.full_name)
        if field.type == FieldDescriptor.TYPE_MESSAGE and _map_value_field(field) is None:
            for item in value if field.is_repeated else [value]:
                found |= _fields_set(item)
    return found


def test_samples_set_every_field_of_the_contract() -> None:
    every_field = {
        field.full_name
        for name in contract.MESSAGES
        for field in contract.POOL.FindMessageTypeByName(name).fields
    }
    covered = set().union(
        *(_fields_set(_build(contract.message_class(name), name)) for name in SAMPLES)
    )
    assert every_field - covered == set()


@pytest.mark.parametrize("full_name", sorted(SAMPLES), ids=_short)
def test_contract_bytes_parse_into_the_same_fields_with_our_class(full_name: str) -> None:
    sent = _build(contract.message_class(full_name), full_name)
    received = _ours_class(full_name).FromString(sent.SerializeToString())
    assert diff_payload(sent, received) == []


@pytest.mark.parametrize("full_name", sorted(SAMPLES), ids=_short)
def test_our_bytes_parse_into_the_same_fields_with_the_contract_class(full_name: str) -> None:
    sent = _build(_ours_class(full_name), full_name)
    received = contract.message_class(full_name).FromString(sent.SerializeToString())
    assert diff_payload(sent, received) == []


@pytest.mark.parametrize("full_name", sorted(SAMPLES), ids=_short)
def test_contract_and_our_classes_serialize_identical_bytes(full_name: str) -> None:
    theirs = _build(contract.message_class(full_name), full_name)
    ours = _build(_ours_class(full_name), full_name)
    assert ours.SerializeToString(deterministic=True) == theirs.SerializeToString(
        deterministic=True
    )


def _as_unwind(sent: Message) -> Message:
    return contract.message_class(f"{contract.CORE}.AggregateUnwind").FromString(
        sent.SerializeToString()
    )


def test_payload_checker_reports_a_field_that_arrives_under_another_name() -> None:
    sent = contract.message_class(f"{contract.CORE}.Filter")(key="status")
    assert diff_payload(sent, _as_unwind(sent)) == [".key (#1) arrived as path"]


def test_payload_checker_reports_a_field_the_receiver_does_not_know() -> None:
    sent = contract.message_class(f"{contract.CORE}.Filter")(k="status")
    assert diff_payload(sent, _as_unwind(sent)) == [".k (#2) was lost"]
