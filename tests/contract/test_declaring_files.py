"""Every type of ours sits in the file SpaceONE's published stubs declare it in.

SpaceONE's clients import `<package>.<file>_pb2` of the file reflection serves for a service and
look its types up there, so moving a type to another file breaks them even though the bytes on the
wire stay the same. The expected layout is read from the serialized descriptors inside the
spaceone-api wheels by tools/spaceone_layout.py (committed as spaceone_layout.json), not from our
protos.
"""

import json
from pathlib import Path
from typing import Any, Final

import pytest
from google.protobuf import descriptor_pb2

from jobtask_internal.v1 import job_task_writer_pb2
from spaceone.api.inventory.v1 import job_task_pb2

LAYOUTS: Final[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "spaceone_layout.json").read_text()
)
POOL: Final = job_task_pb2.DESCRIPTOR.pool


def _declaring_file(kind: str, full_name: str) -> str:
    find = {
        "message": POOL.FindMessageTypeByName,
        "enum": POOL.FindEnumTypeByName,
        "service": POOL.FindServiceByName,
    }[kind]
    return str(find(full_name).file.name)


def _our_spaceone_files() -> list[descriptor_pb2.FileDescriptorProto]:
    """Our files in SpaceONE's packages: job_task.proto and what it imports under spaceone/."""
    seen: dict[str, descriptor_pb2.FileDescriptorProto] = {}
    pending = [job_task_pb2.DESCRIPTOR]
    while pending:
        file = pending.pop()
        if file.name in seen or not file.name.startswith("spaceone/"):
            continue
        seen[file.name] = descriptor_pb2.FileDescriptorProto()
        file.CopyToProto(seen[file.name])
        pending += list(file.dependencies)
    return list(seen.values())


def _declared_names(file: descriptor_pb2.FileDescriptorProto) -> list[str]:
    names: list[str] = []

    def messages(prefix: str, protos: Any) -> None:
        for message in protos:
            names.append(f"{prefix}.{message.name}")
            names.extend(f"{prefix}.{message.name}.{enum.name}" for enum in message.enum_type)
            messages(f"{prefix}.{message.name}", message.nested_type)

    messages(file.package, file.message_type)
    names += [f"{file.package}.{enum.name}" for enum in file.enum_type]
    names += [f"{file.package}.{service.name}" for service in file.service]
    return names


@pytest.mark.parametrize("version", sorted(LAYOUTS))
def test_every_type_the_service_reaches_is_declared_in_spaceones_file(version: str) -> None:
    expected = LAYOUTS[version]["types"]

    actual = {name: _declaring_file(entry["kind"], name) for name, entry in expected.items()}

    assert actual == {name: entry["file"] for name, entry in expected.items()}


@pytest.mark.parametrize("version", sorted(LAYOUTS))
def test_every_type_we_declare_in_spaceones_packages_is_one_of_theirs_in_the_same_file(
    version: str,
) -> None:
    expected = LAYOUTS[version]["types"]

    ours = {name: file.name for file in _our_spaceone_files() for name in _declared_names(file)}

    assert ours == {name: expected[name]["file"] for name in ours if name in expected}
    assert set(ours) <= set(expected)


@pytest.mark.parametrize("version", sorted(LAYOUTS))
def test_our_files_have_spaceones_package_and_import_only_what_theirs_import_in_order(
    version: str,
) -> None:
    files = LAYOUTS[version]["files"]

    for ours in _our_spaceone_files():
        theirs = files[ours.name]
        assert ours.package == theirs["package"], ours.name
        imported = [name for name in theirs["dependency"] if name in ours.dependency]
        assert list(ours.dependency) == imported, f"{ours.name} imports what {version} does not"


def test_the_service_file_imports_exactly_what_spaceones_does() -> None:
    ours = list(job_task_pb2.DESCRIPTOR.dependencies)

    for version, layout in LAYOUTS.items():
        theirs = layout["files"][job_task_pb2.DESCRIPTOR.name]["dependency"]
        assert [file.name for file in ours] == theirs, version


def test_the_writer_declares_none_of_spaceones_types() -> None:
    names = set(_declared_names(_proto(job_task_writer_pb2.DESCRIPTOR)))

    for layout in LAYOUTS.values():
        assert not names & set(layout["types"])


def _proto(file: Any) -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto()
    file.CopyToProto(proto)
    return proto
