"""The OpenAPI 3.1 document of the HTTP interface, generated from the proto descriptors.

Paths and methods come from the same bindings the app serves (`routes`), parameters and schemas
from the request and response message descriptors, so the document cannot drift from either.
Schemas describe protobuf's JSON mapping with the proto's field names; the parser also takes the
lowerCamelCase names, enum numbers and numbers as strings, as the mapping allows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from typing import Any, Final

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

from jobtask.calls.status import Code
from jobtask.domain import INT32_MAX, INT32_MIN
from jobtask.edges.http.routes import Binding
from jobtask.edges.http.transcode import is_map

Schema = dict[str, Any]

_INT32: Final[Schema] = {
    "type": "integer",
    "format": "int32",
    "minimum": INT32_MIN,
    "maximum": INT32_MAX,
}
_UINT32: Final[Schema] = {"type": "integer", "minimum": 0, "maximum": 2**32 - 1}
# The JSON mapping writes 64-bit integers as strings and reads both.
_INT64: Final[Schema] = {"type": ["integer", "string"], "format": "int64"}
_SCALARS: Final[Mapping[int, Schema]] = {
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_INT32: _INT32,
    FieldDescriptor.TYPE_SINT32: _INT32,
    FieldDescriptor.TYPE_SFIXED32: _INT32,
    FieldDescriptor.TYPE_UINT32: _UINT32,
    FieldDescriptor.TYPE_FIXED32: _UINT32,
    FieldDescriptor.TYPE_INT64: _INT64,
    FieldDescriptor.TYPE_SINT64: _INT64,
    FieldDescriptor.TYPE_SFIXED64: _INT64,
    FieldDescriptor.TYPE_UINT64: _INT64,
    FieldDescriptor.TYPE_FIXED64: _INT64,
    FieldDescriptor.TYPE_DOUBLE: {"type": "number"},
    FieldDescriptor.TYPE_FLOAT: {"type": "number"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "contentEncoding": "base64"},
}
# Well-known types have a JSON form of their own, described inline.
_WELL_KNOWN: Final[Mapping[str, Schema]] = {
    "google.protobuf.Struct": {"type": "object", "description": "any JSON object"},
    "google.protobuf.Value": {"description": "any JSON value"},
    "google.protobuf.ListValue": {"type": "array", "description": "any JSON array"},
    "google.protobuf.Empty": {"type": "object", "maxProperties": 0},
}

ERROR_SCHEMA: Final[Schema] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "status"],
            "properties": {
                "code": {"type": "string", "description": "SpaceONE's error code"},
                "message": {"type": "string"},
                "status": {"type": "string", "enum": [code.name for code in Code]},
            },
            "additionalProperties": False,
        }
    },
    "additionalProperties": False,
}
HEALTH_SCHEMA: Final[Schema] = {
    "type": "object",
    "required": ["status"],
    "properties": {"status": {"type": "string", "enum": ["SERVING", "NOT_SERVING"]}},
    "additionalProperties": False,
}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _message_ref(message: Descriptor) -> Schema:
    """A message's schema: inline for a well-known type, else a reference to its component."""
    if message.full_name in _WELL_KNOWN:
        return dict(_WELL_KNOWN[message.full_name])
    if message.full_name.startswith("google.protobuf."):
        raise ValueError(f"no JSON schema for the well-known type {message.full_name}")
    return _ref(message.full_name)


def _enum_schema(enum: EnumDescriptor) -> Schema:
    return {"type": "string", "enum": [value.name for value in enum.values]}


def _value_schema(field: FieldDescriptor) -> Schema:
    """The schema of one value of the field (an element, when it is repeated)."""
    if field.message_type is not None:
        return _message_ref(field.message_type)
    if field.enum_type is not None:
        return _enum_schema(field.enum_type)
    return dict(_SCALARS[field.type])


def _map_value(field: FieldDescriptor) -> FieldDescriptor:
    entry = field.message_type
    if entry is None:
        raise ValueError(f"{field.full_name} is not a map field")
    value: FieldDescriptor = entry.fields_by_name["value"]
    return value


def field_schema(field: FieldDescriptor) -> Schema:
    if is_map(field):
        return {"type": "object", "additionalProperties": _value_schema(_map_value(field))}
    if field.is_repeated:
        return {"type": "array", "items": _value_schema(field)}
    return _value_schema(field)


def message_schema(message: Descriptor) -> Schema:
    schema: Schema = {
        "type": "object",
        "properties": {field.name: field_schema(field) for field in message.fields},
        "additionalProperties": False,
    }
    # At most one member of each oneof (SpaceONE's key/k, value/v ... aliases).
    pairs = [
        {"required": list(pair)}
        for oneof in message.oneofs
        for pair in combinations((field.name for field in oneof.fields), 2)
    ]
    if pairs:
        schema["not"] = {"anyOf": pairs}
    return schema


def _referenced(message: Descriptor) -> Iterable[Descriptor]:
    for field in message.fields:
        target = field.message_type
        if is_map(field):
            target = _map_value(field).message_type
        if target is not None and target.full_name not in _WELL_KNOWN:
            yield target


def message_schemas(roots: Iterable[Descriptor]) -> dict[str, Schema]:
    """The schema of every message reachable from `roots`, by full name."""
    schemas: dict[str, Schema] = {}
    pending = list(roots)
    while pending:
        message = pending.pop()
        if message.full_name in schemas or message.full_name in _WELL_KNOWN:
            continue
        schemas[message.full_name] = message_schema(message)
        pending.extend(_referenced(message))
    return dict(sorted(schemas.items()))


# ---------------------------------------------------------------------------------------------
# Parameters


def _leaf_parameters(message: Descriptor, prefix: str, skip: Sequence[str]) -> Iterable[Schema]:
    """Query parameters for a GET binding: every field, and, for a message field, the whole message
    as JSON and each of its fields by a dotted name (grpc-gateway style)."""
    for field in message.fields:
        name = f"{prefix}{field.name}"
        if name in skip:
            continue
        target = field.message_type
        if target is None or is_map(field):
            yield _query_parameter(name, field_schema(field), explode=field.is_repeated)
            continue
        yield {
            "name": name,
            "in": "query",
            "required": False,
            "description": f"the whole {target.name} as JSON",
            "content": {"application/json": {"schema": field_schema(field)}},
        }
        if not field.is_repeated and target.full_name not in _WELL_KNOWN:
            yield from _leaf_parameters(target, f"{name}.", skip)


def _query_parameter(name: str, schema: Schema, *, explode: bool) -> Schema:
    parameter: Schema = {"name": name, "in": "query", "required": False, "schema": schema}
    if explode:
        parameter.update(
            style="form",
            explode=True,
            description="repeat the parameter, or separate values with commas",
        )
    return parameter


def parameters_of(binding: Binding) -> list[Schema]:
    message = binding.request_descriptor
    fields = message.fields_by_name
    parameters: list[Schema] = [
        {"name": name, "in": "path", "required": True, "schema": field_schema(fields[name])}
        for name in binding.path_fields
    ]
    if not binding.body:
        parameters.extend(_leaf_parameters(message, "", binding.path_fields))
    return parameters


# ---------------------------------------------------------------------------------------------
# The document


# What the HTTP edge itself answers about a body, with statuses gRPC has no code for.
BODY_REFUSALS: Final[Mapping[int, str]] = {
    408: "the body did not arrive within HTTP_READ_TIMEOUT_SECONDS",
    413: "the body is larger than HTTP_MAX_BODY_BYTES",
    415: "the body was declared as another type than application/json, or was sent undeclared "
    "by a browser",
}


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(binding: Binding, operation_id: str, headers: Sequence[Schema]) -> Schema:
    operation: Schema = {
        "operationId": operation_id,
        "summary": f"JobTask.{binding.rpc} (gRPC {binding.target})",
        "tags": ["JobTask"],
        "parameters": [*parameters_of(binding), *headers],
        "responses": {
            "200": _json(_message_ref(binding.response_descriptor), "the answer"),
            "default": _json(_ref("Error"), "an error: the HTTP status of its gRPC status"),
        },
    }
    if binding.body:
        request = _message_ref(binding.request_descriptor)
        operation["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": request}},
        }
        operation["responses"].update(
            {str(status): _json(_ref("Error"), said) for status, said in BODY_REFUSALS.items()}
        )
    return operation


def openapi_document(
    bindings: Sequence[Binding],
    *,
    headers: Mapping[str, Sequence[Schema]],
    title: str,
    version: str,
) -> Schema:
    """`headers`: header parameters each rpc reads, by rpc name."""
    paths: dict[str, Schema] = {}
    counts: dict[str, int] = {}
    for binding in bindings:
        counts[binding.rpc] = counts.get(binding.rpc, 0) + 1
        operation_id = (
            binding.rpc if counts[binding.rpc] == 1 else f"{binding.rpc}_{binding.method.lower()}"
        )
        operation = _operation(binding, operation_id, headers.get(binding.rpc, ()))
        paths.setdefault(binding.path, {})[binding.method.lower()] = operation
    paths["/healthz"] = {
        "get": {
            "operationId": "healthz",
            "summary": "SERVING, or NOT_SERVING (503) while shutting down",
            "tags": ["health"],
            "responses": {
                "200": _json(_ref("Health"), "serving"),
                "503": _json(_ref("Health"), "shutting down"),
            },
        }
    }
    paths["/openapi.json"] = {
        "get": {
            "operationId": "openapi",
            "summary": "this document",
            "tags": ["meta"],
            "responses": {"200": _json({"type": "object"}, "the OpenAPI document")},
        }
    }
    roots = [b.request_descriptor for b in bindings] + [b.response_descriptor for b in bindings]
    schemas = {**message_schemas(roots), "Error": ERROR_SCHEMA, "Health": HEALTH_SCHEMA}
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": schemas},
    }
