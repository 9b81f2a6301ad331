"""kubeconform's schemas, made on this machine from packages (make chart-schemas): never fetched.

    python tools/chart/schemas.py kubernetes OUT_DIR VERSION    # e.g. v1.33.0
    python tools/chart/schemas.py crds OUT_DIR CRD.yaml...

kubernetes: the `kubernetes-validate` package's strict schemas of VERSION as
OUT_DIR/<kind>-<group>-<version>.json, each standalone: the package's schemas refer to
`https://kubernetes.io/api/_definitions.json`, which kubeconform would fetch, so the definitions a
schema uses are copied into its own $defs.

crds: each served version of each CustomResourceDefinition as OUT_DIR/<group>/<kind>_<version>.json
(kind in lower case), closed as Kubernetes' strict schemas are: an object that lists its
properties and says nothing of others (no additionalProperties, no
x-kubernetes-preserve-unknown-fields) takes no others.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

DEFINITIONS = "/api/_definitions.json#/$defs/"


def standalone(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """`schema` with the definitions it uses (transitively) inlined under its own $defs."""
    used: dict[str, Any] = {}

    def local(node: Any) -> Any:
        if isinstance(node, list):
            return [local(item) for item in node]
        if not isinstance(node, dict):
            return node
        result = {key: local(value) for key, value in node.items() if key != "$id"}
        ref = result.get("$ref")
        # A kind's schema refers to the package's _definitions.json, a definition to its siblings.
        prefix = next((p for p in (DEFINITIONS, "#/$defs/") if str(ref).startswith(p)), None)
        if isinstance(ref, str) and prefix:
            name = ref[len(prefix) :]
            result["$ref"] = f"#/$defs/{name}"
            if name not in used:
                used[name] = None  # a definition may refer to itself
                used[name] = local(definitions[name])
        return result

    result: dict[str, Any] = local(schema)
    result["$defs"] = used
    return result


def kubernetes(out: Path, version: str) -> int:
    package = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    source = package / f"{version}-local-strict"
    if not source.is_dir():
        raise SystemExit(f"schemas: kubernetes-validate has no {source.name}")
    definitions = json.loads((source / "_definitions.json").read_text())["$defs"]
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted(source.glob("*.json")):
        if path.name == "_definitions.json":
            continue
        schema = standalone(json.loads(path.read_text()), definitions)
        (out / path.name).write_text(json.dumps(schema))
        count += 1
    return count


def closed(schema: Any) -> Any:
    if isinstance(schema, list):
        return [closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: closed(value) for key, value in schema.items()}
    open_ended = "additionalProperties" in result or result.get(
        "x-kubernetes-preserve-unknown-fields"
    )
    if "properties" in result and not open_ended:
        result["additionalProperties"] = False
    return result


def crd_schemas(out: Path, crd: dict[str, Any]) -> int:
    spec = crd["spec"]
    group, kind = spec["group"], spec["names"]["kind"]
    count = 0
    for version in spec["versions"]:
        if not version.get("served", True):
            continue
        schema = closed(version["schema"]["openAPIV3Schema"])
        properties = schema.setdefault("properties", {})
        # Every object has these; metadata is ObjectMeta, which a CRD's schema leaves open.
        properties["apiVersion"] = {"type": "string"}
        properties["kind"] = {"type": "string"}
        properties["metadata"] = {"type": "object"}
        path = out / group / f"{kind.lower()}_{version['name']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(schema))
        count += 1
    return count


def crds(out: Path, files: list[str]) -> int:
    count = 0
    for file in files:
        for document in yaml.safe_load_all(Path(file).read_text()):
            if document and document.get("kind") == "CustomResourceDefinition":
                count += crd_schemas(out, document)
    return count


def main(argv: list[str]) -> int:
    match argv:
        case ["kubernetes", out, version]:
            count = kubernetes(Path(out), version)
        case ["crds", out, *files] if files:
            count = crds(Path(out), files)
        case _:
            print(__doc__, file=sys.stderr)
            return 2
    print(f"schemas: {count} {argv[0]} schemas in {argv[1]}")
    return 0 if count else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
