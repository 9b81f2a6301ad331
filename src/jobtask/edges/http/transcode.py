"""HTTP requests -> protobuf request messages, and response messages -> JSON.

Everything goes through protobuf's JSON mapping (`json_format`): a body is parsed with
`ParseDict(..., ignore_unknown_fields=False)`; query parameters are first gathered into the same
kind of JSON document, grpc-gateway style (`job_id=...`, dotted paths such as
`query.page.limit=10`, a message as a JSON-encoded value such as `query={"filter": [...]}`, a
repeated field repeated or comma-separated). Whatever the client got wrong is `InvalidParameter`,
so it is answered 400 through the one error mapping. Answers keep the proto's snake_case names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any, Final, TypeVar

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from jobtask import protojson
from jobtask.errors import InvalidParameter, shown

M = TypeVar("M", bound=Message)

BODY: Final = "body"
_TRUE: Final = frozenset({"true", "True", "TRUE", "t", "T", "1"})
_FALSE: Final = frozenset({"false", "False", "FALSE", "f", "F", "0"})
# gRPC's own deadline format (grpc-gateway forwards the same header): 1-8 digits and a unit.
# The patterns are the OpenAPI document's too (`jobtask.edges.http.app`).
TIMEOUT_PATTERN: Final = "[0-9]{1,8}[HMSmun]"
_TIMEOUT: Final = re.compile(TIMEOUT_PATTERN)
_TIMEOUT_UNITS: Final[Mapping[str, float]] = {
    "H": 3600.0,
    "M": 60.0,
    "S": 1.0,
    "m": 1e-3,
    "u": 1e-6,
    "n": 1e-9,
}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose keys are each given once: parsers disagree on which of two wins (as
    SpaceONE's gateway does, such an object is refused)."""
    document = dict(pairs)
    if len(document) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return document


def read_json(data: bytes | str, where: str) -> Any:
    """Standard JSON only (no NaN or Infinity, no key twice in an object); an empty body is an
    empty object."""
    if isinstance(data, bytes) and not data.strip():
        return {}
    try:
        return json.loads(data, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except _DuplicateKey as duplicate:
        key = shown(duplicate.key)
        raise InvalidParameter(where, f"{key} is given twice in an object") from None
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError too
        raise InvalidParameter(where, f"not valid JSON ({error})") from None


def to_message(document: Any, message_class: type[M], where: str) -> M:
    """A request message from its JSON form; unknown fields and wrong types are InvalidParameter."""
    if not isinstance(document, dict):
        raise InvalidParameter(where, f"must be a JSON object, not {_json_type(document)}")
    message = message_class()
    try:
        json_format.ParseDict(document, message, ignore_unknown_fields=False)
    except json_format.ParseError as error:
        raise InvalidParameter(where, _snake_case_fields(str(error), message)) from None
    except (ValueError, TypeError, ArithmeticError, RecursionError) as error:
        # What ParseDict does not wrap itself, e.g. an integer too large for a double.
        raise InvalidParameter(
            where, f"cannot be read as {message.DESCRIPTOR.name}: {error}"
        ) from None
    return message


# json_format lists a message's fields by their lowerCamelCase JSON names; requests and answers here
# use the proto's names, so the list a client reads must too.
_AVAILABLE: Final = re.compile(
    r'Message type "(?P<type>[\w.]+)" (?P<said>has no field named .*?)\.?\n'
    r' Available Fields\(except extensions\): "\[[^\]]*\]"'
)


def _snake_case_fields(reason: str, message: Message) -> str:
    """ParseDict's unknown-field reason with the known fields named as requests name them."""

    def named(match: re.Match[str]) -> str:
        try:
            descriptor = message.DESCRIPTOR.file.pool.FindMessageTypeByName(match["type"])
        except KeyError:
            return match[0]
        fields = ", ".join(field.name for field in descriptor.fields)
        return f'Message type "{match["type"]}" {match["said"]}; its fields: {fields}'

    return _AVAILABLE.sub(named, reason)


def to_json(message: Message) -> dict[str, Any]:
    """Protobuf's JSON mapping with the proto's field names (as SpaceONE's API document shows),
    counts always and integral Struct numbers as integers (`jobtask.protojson`)."""
    return protojson.to_dict(message)


def parse_timeout(value: str) -> float:
    """A `grpc-timeout` header (e.g. `500m`, `10S`) in seconds."""
    text = value.strip()
    if _TIMEOUT.fullmatch(text) is None:
        raise InvalidParameter(
            "grpc-timeout", "must be 1 to 8 digits and a unit H, M, S, m, u or n, e.g. 500m"
        )
    return int(text[:-1]) * _TIMEOUT_UNITS[text[-1]]


SECONDS_PATTERN: Final = r"[0-9]{1,8}(\.[0-9]{1,6})?"
_SECONDS: Final = re.compile(SECONDS_PATTERN)


def parse_seconds(value: str, header: str) -> float:
    """A deadline header in seconds (e.g. `2.5`); zero is a deadline that has passed."""
    if _SECONDS.fullmatch(value.strip()) is None:
        raise InvalidParameter(header, "must be a number of seconds such as 2.5")
    return float(value)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    kinds = {bool: "a boolean", str: "a string", list: "an array", dict: "an object"}
    return kinds.get(type(value), "a number")


# ---------------------------------------------------------------------------------------------
# Query parameters


def _field(descriptor: Descriptor, name: str) -> FieldDescriptor | None:
    # Like the JSON mapping, a parameter may use the proto name or its lowerCamelCase JSON name.
    by_name: Mapping[str, FieldDescriptor] = descriptor.fields_by_name
    by_json: Mapping[str, FieldDescriptor] = descriptor.fields_by_camelcase_name
    return by_name.get(name) or by_json.get(name)


def is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def _walkable(field: FieldDescriptor) -> bool:
    """A singular message field of ours: its fields can be named one by one."""
    message = field.message_type
    return (
        message is not None
        and not field.is_repeated
        and not message.full_name.startswith("google.protobuf.")
    )


def resolve(descriptor: Descriptor, name: str) -> list[FieldDescriptor]:
    """The fields a dotted parameter name walks through; only the last may be repeated."""
    chain: list[FieldDescriptor] = []
    current: Descriptor | None = descriptor
    for segment in name.split("."):
        if chain and not _walkable(chain[-1]):
            last = chain[-1]
            reason = "unknown query parameter"
            if last.message_type is not None:
                reason = f"{last.name} is a list or a well-known type: give it whole, as JSON"
            raise InvalidParameter(name, reason)
        field = _field(current, segment) if current is not None else None
        if field is None:
            raise InvalidParameter(name, "unknown query parameter")
        chain.append(field)
        current = field.message_type
    return chain


def _leaf(field: FieldDescriptor, raw: str, name: str) -> Any:
    """One parameter's value as JSON: messages JSON-encoded, booleans as words, the rest as text
    (ParseDict reads numbers and enum names from strings)."""
    if field.message_type is not None:
        value = read_json(raw, name)
        if field.is_repeated and not is_map(field):
            return value if isinstance(value, list) else [value]
        return value
    if field.type == FieldDescriptor.TYPE_BOOL:
        if raw in _TRUE or raw in _FALSE:
            return [raw in _TRUE] if field.is_repeated else raw in _TRUE
        raise InvalidParameter(name, f"{shown(raw)} is not true or false")
    if field.is_repeated:
        # `only=a,b` and `only=a&only=b` alike: no field name contains a comma.
        return [piece for piece in raw.split(",") if piece] if _is_text(field) else [raw]
    return raw


def _is_text(field: FieldDescriptor) -> bool:
    return field.type == FieldDescriptor.TYPE_STRING


def _place(document: dict[str, Any], chain: list[FieldDescriptor], value: Any, name: str) -> None:
    node = document
    for field in chain[:-1]:
        child = node.setdefault(field.name, {})
        if not isinstance(child, dict):
            raise InvalidParameter(name, f"{field.name} was given as {_json_type(child)}")
        node = child
    last = chain[-1]
    if last.is_repeated and not is_map(last):
        existing = node.setdefault(last.name, [])
        if not isinstance(existing, list):
            raise InvalidParameter(name, f"{last.name} was given as {_json_type(existing)}")
        existing.extend(value)
    else:
        # A later dotted parameter refines an earlier JSON-encoded message (query={...}).
        node[last.name] = value


def query_document(
    descriptor: Descriptor,
    params: Iterable[tuple[str, str]],
    *,
    path_fields: Collection[str] = (),
) -> dict[str, Any]:
    """Query parameters as the JSON form of `descriptor`'s message."""
    resolved = [(name, raw, resolve(descriptor, name)) for name, raw in params]
    singular: set[str] = set()
    for name, _, chain in resolved:
        if len(chain) == 1 and chain[0].name in path_fields:
            raise InvalidParameter(name, "is given in the path; do not repeat it as a parameter")
        key = ".".join(field.name for field in chain)
        if not chain[-1].is_repeated:
            if key in singular:
                raise InvalidParameter(name, "given more than once")
            singular.add(key)
    document: dict[str, Any] = {}
    # Whole messages first, so that dotted parameters refine them whatever the order of the URL.
    resolved.sort(key=lambda item: len(item[2]))
    for name, raw, chain in resolved:
        _place(document, chain, _leaf(chain[-1], raw, name), name)
    return document
