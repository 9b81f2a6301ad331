"""Where SpaceONE's stubs declare the JobTask API's types: writes
tests/contract/spaceone_layout*.json.

SpaceONE's Python clients (spaceone-core's pygrpc client, SpaceConnector, spacectl) import their
own `<package>.<file>_pb2` for every service that reflection lists and look types up in the module
of the file that declares them, so the declaring file of each type is part of the contract. This
reads the serialized FileDescriptorProtos inside the `spaceone-api` wheels (the
`AddSerializedFile(b'...')` literal of each `_pb2.py`, parsed, never imported), walks everything
the JobTask service reaches (rpc input and output types, field types, recursively), and records
for each type its declaring file, and for each such file its package and imports.

The 1.x releases go to spaceone_layout.json. The 2.x line (spaceone_layout_2x.json) declares the
same names with other numbers, so for it each type's shape is recorded too (fields with number,
label, type and oneof; enum values; rpcs with their types and HTTP rule), and the files are every
file the service's file imports, transitively: what reflection serves a 2.x client.

    .venv/bin/python tools/spaceone_layout.py            # downloads the wheels with pip
    .venv/bin/python tools/spaceone_layout.py WHEEL...   # or reads the given wheels

tests/contract/test_declaring_files.py (1.x) and test_spaceone_2x.py (2.x) check ours against them.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor_pb2, empty_pb2, json_format, struct_pb2

VERSIONS = ("1.10.4.2", "1.12.54")  # requirements/clients/1.10.txt and 1.12.txt
VERSIONS_2X = ("2.0.435",)  # requirements/clients/2.0.txt
SERVICE = "spaceone.api.inventory.v1.JobTask"
OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "contract" / "spaceone_layout.json"
OUTPUT_2X = OUTPUT.with_name("spaceone_layout_2x.json")
_SERIALIZED = re.compile(r"AddSerializedFile\((b'(?:[^'\\]|\\.)*')\)")
_FDP = descriptor_pb2.FieldDescriptorProto


def file_protos(wheel: Path) -> dict[str, descriptor_pb2.FileDescriptorProto]:
    """Every FileDescriptorProto serialized in the wheel's `_pb2.py` files, by proto file name
    (and what it imports from elsewhere: protobuf's struct.proto, empty.proto and descriptor.proto,
    googleapis' annotations.proto and http.proto). Parsed with annotations_pb2 imported, so that
    the rpcs' `google.api.http` options are read as such."""
    found: dict[str, descriptor_pb2.FileDescriptorProto] = {}
    not_in_wheel = (struct_pb2, empty_pb2, annotations_pb2, http_pb2, descriptor_pb2)
    for well_known in (module.DESCRIPTOR for module in not_in_wheel):
        found[well_known.name] = descriptor_pb2.FileDescriptorProto()
        well_known.CopyToProto(found[well_known.name])
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if not name.endswith("_pb2.py"):
                continue
            match = _SERIALIZED.search(archive.read(name).decode())
            if match is None:
                continue
            proto = descriptor_pb2.FileDescriptorProto.FromString(ast.literal_eval(match.group(1)))
            found[proto.name] = proto
    return found


def _declared(
    files: dict[str, descriptor_pb2.FileDescriptorProto],
) -> dict[str, tuple[str, str, Any]]:
    """full name -> (kind, declaring file, descriptor proto) for every message, enum and service."""
    table: dict[str, tuple[str, str, Any]] = {}

    def messages(prefix: str, file: str, protos: Any) -> None:
        for message in protos:
            full = f"{prefix}.{message.name}"
            table[full] = ("message", file, message)
            for enum in message.enum_type:
                table[f"{full}.{enum.name}"] = ("enum", file, enum)
            messages(full, file, message.nested_type)

    for file in files.values():
        messages(file.package, file.name, file.message_type)
        for enum in file.enum_type:
            table[f"{file.package}.{enum.name}"] = ("enum", file.name, enum)
        for service in file.service:
            table[f"{file.package}.{service.name}"] = ("service", file.name, service)
    return table


def shape(kind: str, proto: Any) -> dict[str, Any]:
    """What a client built from the type depends on: fields, enum values or rpcs."""
    if kind == "enum":
        return {"values": {value.name: value.number for value in proto.value}}
    if kind == "service":
        return {
            "methods": {
                method.name: {
                    "input": method.input_type.lstrip("."),
                    "output": method.output_type.lstrip("."),
                    "http": json_format.MessageToDict(
                        method.options.Extensions[annotations_pb2.http]
                    ),
                }
                for method in proto.method
            }
        }
    oneofs = [oneof.name for oneof in proto.oneof_decl]
    return {
        "fields": [
            {
                "name": field.name,
                "number": field.number,
                "label": _FDP.Label.Name(field.label),
                "type": _FDP.Type.Name(field.type),
                "type_name": field.type_name.lstrip("."),
                "oneof": oneofs[field.oneof_index] if field.HasField("oneof_index") else "",
            }
            for field in proto.field
        ]
    }


def _imported(files: dict[str, descriptor_pb2.FileDescriptorProto], name: str) -> list[str]:
    """The file and everything it imports, transitively (what reflection answers for it)."""
    found: list[str] = []
    pending = [name]
    while pending:
        file = pending.pop(0)
        if file not in found:
            found.append(file)
            pending += list(files[file].dependency)
    return found


def layout(
    files: dict[str, descriptor_pb2.FileDescriptorProto], *, shapes: bool = False
) -> dict[str, Any]:
    """The types the service reaches, each with its kind and declaring file, and those files;
    with `shapes`, each type's shape too, and the files include all the service's file imports."""
    declared = _declared(files)
    reached: dict[str, dict[str, Any]] = {}
    pending = [SERVICE]
    while pending:
        name = pending.pop()
        if name in reached:
            continue
        kind, file, proto = declared[name]
        reached[name] = {"kind": kind, "file": file, **(shape(kind, proto) if shapes else {})}
        if kind == "service":
            for method in proto.method:
                pending += [method.input_type.lstrip("."), method.output_type.lstrip(".")]
        elif kind == "message":
            pending += [
                field.type_name.lstrip(".")
                for field in proto.field
                if field.type in (_FDP.TYPE_MESSAGE, _FDP.TYPE_ENUM)
            ]
    declaring = {entry["file"] for entry in reached.values()}
    imported = set(_imported(files, declared[SERVICE][1])) if shapes else set()
    used = sorted(declaring | imported)
    return {
        "types": dict(sorted(reached.items())),
        "files": {
            name: {"package": files[name].package, "dependency": list(files[name].dependency)}
            for name in used
        },
    }


def _download(version: str, into: Path) -> Path:
    pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(into)]
    subprocess.run([*pip, f"spaceone-api=={version}"], check=True)
    [wheel] = into.glob(f"spaceone_api-{version}-*.whl")
    return wheel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("wheels", nargs="*", type=Path, help="spaceone-api wheels (default: pip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        versions = (*VERSIONS, *VERSIONS_2X)
        wheels = args.wheels or [_download(v, Path(scratch)) for v in versions]
        results: dict[Path, dict[str, Any]] = {}
        for wheel in sorted(wheels, key=lambda path: path.name):
            version = wheel.name.split("-")[1]
            line_2x = version.startswith("2.")
            results.setdefault(OUTPUT_2X if line_2x else OUTPUT, {})[version] = {
                "wheel": wheel.name,
                "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
                **layout(file_protos(wheel), shapes=line_2x),
            }
    for output, result in results.items():
        output.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {output}")


if __name__ == "__main__":
    main()
