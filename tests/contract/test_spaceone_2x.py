"""The 2.x wire (jobtask.lines.v2.wire's pool) against the descriptors inside spaceone-api 2.0.435.

Every type the JobTask service reaches has SpaceONE's declaring file, fields (name, number, label,
type, oneof), enum values, rpcs and HTTP rules; our 2.x files have SpaceONE's packages and imports
and declare nothing SpaceONE does not. The expectation is read from the wheel by
tools/spaceone_layout.py (committed as spaceone_layout_2x.json), not from our protos. And the 2.x
pool lives beside 1.x's generated stubs, which declare the same names differently.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import pytest
from google.api import annotations_pb2
from google.protobuf import descriptor_pb2, descriptor_pool, json_format
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FileDescriptor, ServiceDescriptor
from google.protobuf.message import Message

from jobtask.lines.v2 import wire
from spaceone.api.inventory.v1 import job_task_pb2 as v1_job_task_pb2

LAYOUTS: Final[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "spaceone_layout_2x.json").read_text()
)
[VERSION] = LAYOUTS  # one 2.x release: requirements/clients/2.0.txt's spaceone-api
LAYOUT: Final = LAYOUTS[VERSION]
TYPES: Final[dict[str, dict[str, Any]]] = LAYOUT["types"]
_FDP = descriptor_pb2.FieldDescriptorProto


def _find(kind: str, full_name: str) -> Any:
    return {
        "message": wire.POOL.FindMessageTypeByName,
        "enum": wire.POOL.FindEnumTypeByName,
        "service": wire.POOL.FindServiceByName,
    }[kind](full_name)


def _shape(kind: str, descriptor: Any) -> dict[str, Any]:
    """Ours in the recorded form (tools/spaceone_layout.py's `shape`)."""
    if kind == "enum":
        enum: EnumDescriptor = descriptor
        return {"values": {value.name: value.number for value in enum.values}}
    if kind == "service":
        service: ServiceDescriptor = descriptor
        return {
            "methods": {
                method.name: {
                    "input": method.input_type.full_name,
                    "output": method.output_type.full_name,
                    "http": json_format.MessageToDict(
                        method.GetOptions().Extensions[annotations_pb2.http]
                    ),
                }
                for method in service.methods
            }
        }
    message: Descriptor = descriptor
    return {
        "fields": [
            {
                "name": field.name,
                "number": field.number,
                "label": "LABEL_REPEATED" if field.is_repeated else "LABEL_OPTIONAL",
                "type": _FDP.Type.Name(field.type),  # type: ignore[arg-type]
                "type_name": _referenced(field),
                "oneof": field.containing_oneof.name if field.containing_oneof else "",
            }
            for field in message.fields
        ]
    }


def _referenced(field: Any) -> str:
    referenced = field.message_type or field.enum_type
    return str(referenced.full_name) if referenced else ""


def _our_spaceone_files() -> list[FileDescriptor]:
    """Our 2.x files in SpaceONE's packages: job_task.proto and what it imports under spaceone/."""
    seen: dict[str, FileDescriptor] = {}
    pending = [wire.FILE]
    while pending:
        file = pending.pop()
        if file.name not in seen and file.name.startswith("spaceone/"):
            seen[file.name] = file
            pending += list(file.dependencies)
    return list(seen.values())


def _declared_names(file: FileDescriptor) -> list[str]:
    names: list[str] = []

    def messages(descriptors: Any) -> None:
        for message in descriptors:
            names.append(message.full_name)
            names.extend(enum.full_name for enum in message.enum_types)
            messages(message.nested_types)

    messages(file.message_types_by_name.values())
    names += [enum.full_name for enum in file.enum_types_by_name.values()]
    names += [service.full_name for service in file.services_by_name.values()]
    return names


@pytest.mark.parametrize("name", sorted(TYPES))
def test_every_type_the_service_reaches_has_spaceones_file_and_shape(name: str) -> None:
    expected = TYPES[name]

    ours = _find(expected["kind"], name)

    assert ours.file.name == expected["file"]
    assert _shape(expected["kind"], ours) == {
        key: value for key, value in expected.items() if key not in ("kind", "file")
    }


def test_every_type_we_declare_in_spaceones_packages_is_one_the_service_reaches() -> None:
    ours = {name: file.name for file in _our_spaceone_files() for name in _declared_names(file)}

    assert ours == {name: TYPES[name]["file"] for name in ours if name in TYPES}
    assert set(ours) <= set(TYPES)


def test_our_files_have_spaceones_packages_and_import_only_what_theirs_do_in_order() -> None:
    files = LAYOUT["files"]

    for ours in _our_spaceone_files():
        theirs = files[ours.name]
        imported = [file.name for file in ours.dependencies]
        assert ours.package == theirs["package"], ours.name
        assert imported == [name for name in theirs["dependency"] if name in imported], ours.name


def test_the_service_file_imports_exactly_what_spaceones_does() -> None:
    theirs = LAYOUT["files"][wire.SERVICE_FILE]["dependency"]

    assert [file.name for file in wire.FILE.dependencies] == theirs


def test_the_service_and_its_file_are_the_ones_spaceone_names() -> None:
    assert wire.SERVICE.full_name == wire.SERVICE_NAME
    assert TYPES[wire.SERVICE_NAME] == {**TYPES[wire.SERVICE_NAME], "file": wire.SERVICE_FILE}


def test_the_descriptor_set_holds_each_file_after_what_it_imports() -> None:
    """What `make proto` writes (protoc --include_imports): the order `wire` adds them in."""
    names = [file.name for file in wire.load_files().file]

    for position, file in enumerate(wire.load_files().file):
        assert set(file.dependency) <= set(names[:position]), file.name
    assert wire.SERVICE_FILE in names


# --- beside 1.x ---------------------------------------------------------------------------------


def test_the_2x_pool_is_not_the_default_pool_the_1x_stubs_live_in() -> None:
    assert wire.POOL is not descriptor_pool.Default()
    assert v1_job_task_pb2.DESCRIPTOR.pool is descriptor_pool.Default()
    assert v1_job_task_pb2.DESCRIPTOR.name == wire.FILE.name  # same file name, two pools


def test_the_same_full_names_are_different_messages_in_the_two_lines() -> None:
    v1_info = v1_job_task_pb2.JobTaskInfo.DESCRIPTOR
    v2_info = wire.JobTaskInfo.DESCRIPTOR

    assert v1_info.full_name == v2_info.full_name
    assert v1_info.fields_by_name["job_id"].number == 11
    assert v2_info.fields_by_name["job_id"].number == 25
    assert "workspace_id" not in v1_info.fields_by_name
    assert "domain_id" not in wire.JobTaskRequest.DESCRIPTOR.fields_by_name
    with pytest.raises(KeyError):
        wire.POOL.FindMessageTypeByName("spaceone.api.inventory.v1.GetJobTaskRequest")
    with pytest.raises(KeyError):
        descriptor_pool.Default().FindMessageTypeByName("spaceone.api.core.v2.Query")


def test_each_lines_bytes_are_its_own() -> None:
    """The spec's example: 1.x JobTaskQuery.job_id is field 4, 2.x field 4 is provider."""
    v1_bytes = v1_job_task_pb2.JobTaskQuery(job_id="job-1").SerializeToString()

    read_by_2x: Any = wire.JobTaskQuery.FromString(v1_bytes)

    assert read_by_2x.provider == "job-1"
    assert read_by_2x.job_id == ""


def test_2x_messages_round_trip_through_bytes_and_json() -> None:
    request = json_format.ParseDict(
        {
            "query": {
                "filter": [{"k": "status", "v": "SUCCESS", "o": "eq"}],
                "sort": [{"key": "created_at", "desc": True}],
                "page": {"start": 1, "limit": 10},
                "unwind": {"path": "errors", "filter": [{"key": "error_code", "value": "E"}]},
            },
            "workspace_id": "workspace-1",
            "status": "FAILURE",
        },
        wire.JobTaskQuery(),
    )

    again = wire.JobTaskQuery.FromString(request.SerializeToString())

    assert again == request
    assert json_format.MessageToDict(again, preserving_proto_field_name=True)["query"]["sort"] == [
        {"key": "created_at", "desc": True}
    ]
    stat = json_format.ParseDict(
        {"query": {"aggregate": [{"sort": [{"key": "n", "desc": True}]}, {"limit": 5}]}},
        wire.JobTaskStatQuery(),
    )
    assert wire.JobTaskStatQuery.FromString(stat.SerializeToString()) == stat


# --- the typed views ----------------------------------------------------------------------------

_SCALARS: Final = {
    str: {_FDP.TYPE_STRING},
    int: {_FDP.TYPE_INT32, _FDP.TYPE_UINT32, _FDP.TYPE_ENUM},
    bool: {_FDP.TYPE_BOOL},
}


@pytest.mark.parametrize("view", list(wire.VIEWS), ids=lambda view: view.__name__)
def test_each_typed_view_has_its_messages_fields_with_their_types(view: type) -> None:
    message = wire.POOL.FindMessageTypeByName(wire.VIEWS[view])
    hints = typing.get_type_hints(view)

    assert set(hints) == set(message.fields_by_name)
    for name, hint in hints.items():
        field = message.fields_by_name[name]
        repeated = typing.get_origin(hint) is Sequence
        inner = typing.get_args(hint)[0] if repeated else hint
        assert field.is_repeated == repeated, name
        if inner in _SCALARS:
            assert field.type in _SCALARS[inner], name
        elif inner is Message:  # a well-known type of the pool
            assert field.message_type is not None, name
            assert field.message_type.full_name.startswith("google.protobuf."), name
        else:
            assert field.message_type is not None, name
            assert field.message_type.full_name == wire.VIEWS[inner], name


def test_every_message_a_request_reaches_has_a_view() -> None:
    requests = {method.input_type.full_name for method in wire.SERVICE.methods}
    reached = {name for name in TYPES if TYPES[name]["kind"] == "message"}
    ours = {name for name in reached if name.startswith("spaceone.")}

    assert requests <= set(wire.VIEWS.values())
    assert ours - set(wire.VIEWS.values()) == {
        "spaceone.api.inventory.v1.ErrorInfo",  # answers only
        "spaceone.api.inventory.v1.JobTaskInfo",
        "spaceone.api.inventory.v1.JobTasksInfo",
    }


def test_a_request_reads_through_its_view() -> None:
    message = json_format.ParseDict(
        {"query": {"sort": [{"key": "created_at", "desc": True}]}, "status": "SUCCESS"},
        wire.JobTaskQuery(),
    )

    view = wire.job_task_query(message)

    assert (view.query.sort[0].key, view.query.sort[0].desc, view.status) == ("created_at", True, 4)
    assert wire.job_task_request(wire.JobTaskRequest(job_task_id="t")).job_task_id == "t"
    assert wire.job_task_stat_query(wire.JobTaskStatQuery()).HasField("query") is False


@pytest.mark.parametrize(
    "message",
    [v1_job_task_pb2.JobTaskQuery(), wire.JobTaskRequest()],
    ids=["1.x JobTaskQuery", "2.x JobTaskRequest"],
)
def test_a_view_of_another_message_is_refused(message: Message) -> None:
    with pytest.raises(TypeError, match=re.escape("is not the 2.x pool's")):
        wire.job_task_query(message)
