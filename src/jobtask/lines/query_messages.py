"""What both lines share of SpaceONE's core query messages: core.v1 and core.v2 declare `Filter`,
the stat group, project and count parts, and their `key`/`k`, `value`/`v`, `operator`/`o`,
`name`/`n` aliases the same way, so one conversion serves both (duck-typed: a line's messages are
generated classes (1.x) or classes of its own descriptor pool (2.x)), and so do both lines'
JobTaskQuery equality filters. What differs per line (sort, unwind, the request messages) stays
in lines/v1 and lines/v2."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Final

from jobtask.domain import QUERY_FILTERS, JobTaskStatus, Limits, on_line
from jobtask.query.limits import check_list_lengths
from jobtask.query.model import Condition, Page
from jobtask.query.stat_model import (
    AggregateCount,
    AggregateGroup,
    AggregateGroupField,
    AggregateGroupKey,
    AggregateGroupSubField,
    AggregateLimit,
    AggregateProject,
    AggregateProjectField,
    AggregateSkip,
    Stage,
)


def alias(message: Any, group: str) -> Any:
    """The member of a oneof alias group the client set (key or k, ...), or None."""
    member = message.WhichOneof(group)
    return None if member is None else getattr(message, member)


def to_value(value: Any) -> Any:
    """A google.protobuf.Value as plain Python (numbers arrive as floats); unset is None.

    NaN and ±Infinity are kept as they are (json_format would raise on them), for the one value
    check (`jobtask.query.limits`) to refuse them as the client's mistake. Protobuf's decoder
    bounds the nesting, so the recursion is bounded too.
    """
    if value is None:
        return None
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return to_object(value.struct_value)
    if kind == "list_value":
        return [to_value(v) for v in value.list_value.values]
    if kind is None or kind == "null_value":
        return None
    return getattr(value, kind)


def to_object(struct: Any) -> dict[str, Any]:
    """A google.protobuf.Struct as a plain dict (see to_value)."""
    return {key: to_value(inner) for key, inner in struct.fields.items()}


def to_condition(message: Any) -> Condition:
    """A Filter or an AggregateSubCondition (the same fields and aliases)."""
    return Condition(
        key=alias(message, "key_alias") or "",
        value=to_value(alias(message, "value_alias")),
        operator=alias(message, "operator_alias") or "",
    )


def to_conditions(messages: Iterable[Any]) -> tuple[Condition, ...]:
    return tuple(to_condition(m) for m in messages)


def to_filters(
    message: Any, line: int, to_status: Callable[[int], JobTaskStatus | None]
) -> dict[str, str]:
    """A JobTaskQuery's equality filters beside its query (services.reads.ListRequest's): those of
    domain.QUERY_FILTERS that line `line`'s message carries and the client set, each as sent but
    status, an enum number on the wire, as the line's `to_status` reads it."""
    sent = (
        (name, to_status(message.status) if name == "status" else getattr(message, name))
        for name in on_line(QUERY_FILTERS, line)
    )
    return {name: value for name, value in sent if value}


def to_page(message: Any) -> Page:
    return Page(start=message.page.start, limit=message.page.limit)


def key_and_name(message: Any) -> tuple[str, str]:
    """A stage part's `key` (or `k`) and `name` (or `n`)."""
    return alias(message, "key_alias") or "", alias(message, "name_alias") or ""


def operator_of(message: Any) -> str:
    return alias(message, "operator_alias") or ""


def _group_field(message: Any) -> AggregateGroupField:
    key, name = key_and_name(message)
    return AggregateGroupField(
        key=key,
        name=name,
        operator=operator_of(message),
        fields=tuple(AggregateGroupSubField(*key_and_name(f)) for f in message.fields),
        conditions=to_conditions(message.conditions),
    )


def to_group(message: Any) -> AggregateGroup:
    return AggregateGroup(
        keys=tuple(AggregateGroupKey(*key_and_name(k), k.date_format) for k in message.keys),
        fields=tuple(_group_field(f) for f in message.fields),
    )


def to_project(message: Any) -> AggregateProject:
    return AggregateProject(
        fields=tuple(
            AggregateProjectField(*key_and_name(f), operator_of(f)) for f in message.fields
        ),
        exclude_keys=message.exclude_keys,
    )


def to_count(message: Any) -> AggregateCount:
    return AggregateCount(message.name)


# The stat stages both lines declare alike, by their name in the aggregate oneof; each line adds
# its own `unwind` and `sort`.
SHARED_STAGES: Final[Mapping[str, Callable[[Any], Stage]]] = {
    "group": to_group,
    "count": to_count,
    "project": to_project,
    "limit": AggregateLimit,
    "skip": AggregateSkip,
}


def check_list_values(message: Any, limits: Limits, *extra: tuple[str, Iterable[Any]]) -> None:
    """The length of each condition value that is a list (the conditions of `_condition_lists`),
    checked off the message before any value is converted (query.limits.check_list_lengths)."""
    check_list_lengths(_list_lengths(_condition_lists(message, *extra)), limits)


def _condition_lists(message: Any, *extra: tuple[str, Iterable[Any]]) -> Iterator[tuple[str, Any]]:
    """Each condition of a Query or StatisticsQuery message with where it sits: filter,
    filter_or, a stat group's field conditions, and the `extra` (where, conditions) groups a
    line adds (2.x's unwind filters)."""
    groups: list[tuple[str, Iterable[Any]]] = [
        ("query.filter", message.filter),
        ("query.filter_or", message.filter_or),
        *extra,
    ]
    for index, stage in enumerate(getattr(message, "aggregate", ())):
        if stage.WhichOneof("aggregate_alias") == "group":
            at = f"query.aggregate[{index}].group.fields"
            groups.extend(
                (f"{at}[{number}].conditions", field.conditions)
                for number, field in enumerate(stage.group.fields)
            )
    for where, conditions in groups:
        for index, condition in enumerate(conditions):
            yield f"{where}[{index}]", condition


def _list_lengths(conditions: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, int]]:
    for where, condition in conditions:
        value = alias(condition, "value_alias")
        if value is not None and value.WhichOneof("kind") == "list_value":
            yield f"{where}.value", len(value.list_value.values)
