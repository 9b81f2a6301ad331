"""Answers as JSON for people and HTTP clients: protobuf's JSON mapping, with two changes.

What the HTTP edge answers and what `jobtask --json` prints come from here, so both say the same:

- the proto's snake_case field names (`preserving_proto_field_name`), as SpaceONE's API documents;
- fields at their default are omitted, as protobuf's JSON mapping and grpcurl do (a task's zero
  counters, empty strings; `only` and `minimal` answers hold what was asked for), EXCEPT the count
  an answer is about: `total_count` of a list and `deleted_count` of a purge are printed even when
  0, so `count_only` over nothing is `{"total_count": 0}`, not `{}`;
- a number in a `Struct` (stat results, an error's `additional`) is a double on the wire; one with
  an integral value prints as an integer (`44`, as grpcurl shows it, not `44.0`) when it is exact
  (|x| <= 2**53); others stay floats (`2.5`, `1e+300`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from google.protobuf import json_format
from google.protobuf.message import Message

# Beyond 2**53 a double no longer holds every integer: printing 1e300 as 1000...0 would claim a
# precision the value does not have.
EXACT_INTEGERS: Final = 2**53
# Per answer message, the counts printed even when 0.
ANSWER_COUNTS: Final[Mapping[str, tuple[str, ...]]] = {
    "spaceone.api.inventory.v1.JobTasksInfo": ("total_count",),
    "jobtask_internal.v1.PurgeResponse": ("deleted_count",),
}


def to_dict(message: Message) -> dict[str, Any]:
    """`message` as described in the module."""
    document: dict[str, Any] = json_format.MessageToDict(message, preserving_proto_field_name=True)
    for name in ANSWER_COUNTS.get(message.DESCRIPTOR.full_name, ()):
        document.setdefault(name, 0)
    result: dict[str, Any] = integral(document)
    return result


def integral(value: Any) -> Any:
    """`value` with every float that holds an exact integer turned into an int, recursively."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= EXACT_INTEGERS:
        return int(value)
    if isinstance(value, dict):
        return {key: integral(item) for key, item in value.items()}
    if isinstance(value, list):
        return [integral(item) for item in value]
    return value
