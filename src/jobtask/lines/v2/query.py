"""SpaceONE 2.x's `spaceone.api.core.v2.Query` / `StatisticsQuery` (the 2.x pool's messages, read
through `wire`'s typed views) -> the typed query models, over the conversion both lines share
(jobtask.lines.query_messages) and with 1.x's limits, checked before any value is converted.

What is 2.x's own: sort is a list of `Sort{key, desc}`, its ties broken by `_id` ascending (the
reference's MongoModel.query appends "id"; a list without a sort keeps our order); list's page
limit defaults to (and is capped at) 1000; `unwind` and `add_fields`; `lookup` refused; stat's
`unwind` is the `Unwind` message (path, filter) and its `sort` a ListValue of `{key, desc}`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Final

from jobtask.domain import Limits
from jobtask.errors import InvalidParameter, RequiredParameter, shown
from jobtask.lines.query_messages import (
    SHARED_STAGES,
    check_list_values,
    to_conditions,
    to_object,
    to_page,
    to_value,
)
from jobtask.lines.v2 import wire
from jobtask.query.limits import DEFAULT_LIMITS, at_most, check_counts
from jobtask.query.model import Page, Query, SortKey, TieBreaker, Unwind
from jobtask.query.stat_model import AggregateSort, AggregateUnwind, Stage, StatisticsQuery

# Inventory 2.x's list (`set_query_page_limit(1000)`): a page limit left out (or 0, which the
# wire cannot tell apart) is 1000, and a larger one is cut to 1000. The rule is this line's:
# 1.x has no default page and refuses a limit past the server's maximum.
PAGE_LIMIT: Final = 1000


def _list_page(page: Page, max_page_size: int) -> Page:
    """2.x's list page: the limit defaults to, and is cut to, 1000 (or the server's smaller
    maximum page size, so that a 2.x client's default page is always one the server serves)."""
    cap = min(PAGE_LIMIT, max_page_size)
    return Page(page.start, cap if page.limit == 0 or page.limit > cap else page.limit)


def _refuse_lookup(lookup: Any) -> None:
    """`lookup` ($lookup) joins another collection of the database into each row. Its stages
    run with the service's credentials over a collection this service does not scope: no
    caller's domain, workspace or projects would bound what it reads (it could read any
    tenant's documents of any collection the database user reaches). So it is refused,
    whatever it names, rather than served or ignored. An empty list is not a lookup (SpaceONE
    ignores it too)."""
    if len(lookup.values):
        raise InvalidParameter(
            "query.lookup",
            "lookup is not served: it joins another collection, outside the caller's scope",
        )


def _sort(sort: Iterable[wire.SortMessage], limits: Limits) -> tuple[SortKey, ...]:
    keys = list(sort)
    at_most(len(keys), limits.max_stage_fields, "query.sort", "sort keys")
    for index, key in enumerate(keys):
        if not key.key:
            raise RequiredParameter(f"query.sort[{index}].key")
    return tuple(SortKey(k.key, k.desc) for k in keys)


def _unwind(message: wire.QueryMessage) -> Unwind | None:
    """The Unwind the client set; None for none (an empty one is none, as SpaceONE reads it)."""
    unwind = message.unwind
    if not message.HasField("unwind") or (not unwind.path and not unwind.filter):
        return None
    if not unwind.path:
        raise RequiredParameter("query.unwind.path")
    return Unwind(unwind.path, to_conditions(unwind.filter))


def to_query(
    message: wire.QueryMessage,
    limits: Limits = DEFAULT_LIMITS,
    *,
    max_page_size: int = PAGE_LIMIT,
) -> Query:
    """A list request's query; `max_page_size`: the server's (the default page is at most it)."""
    _refuse_lookup(message.lookup)
    unwind_filter = message.unwind.filter
    check_counts(len(message.filter), len(message.filter_or), 0, limits)
    at_most(len(unwind_filter), limits.max_filters, "query.unwind.filter", "conditions")
    add_fields: Any = message.add_fields
    at_most(len(add_fields.fields), limits.max_stage_fields, "query.add_fields", "fields")
    check_list_values(message, limits, ("query.unwind.filter", unwind_filter))
    return Query(
        filter=to_conditions(message.filter),
        filter_or=to_conditions(message.filter_or),
        sort=_sort(message.sort, limits),
        page=_list_page(to_page(message), max_page_size),
        minimal=message.minimal,
        count_only=message.count_only,
        only=tuple(message.only),
        keyword=message.keyword,
        unwind=_unwind(message),
        add_fields=to_object(add_fields),
        # The reference's order: ties of an explicit sort in `_id` (insertion) order.
        tie_breaker=TieBreaker.STORED_ID,
    )


_SORT_KEY_FIELDS: Final = frozenset({"key", "desc"})


def _scalar(value: Any) -> tuple[Any, str]:
    """A Value's scalar and how a message shows it; a list or object is not converted."""
    kind = value.WhichOneof("kind")
    if kind in ("list_value", "struct_value"):
        return value, "a list" if kind == "list_value" else "an object"
    plain = to_value(value)
    return plain, shown(plain)


def _sort_key(value: Any, where: str) -> SortKey:
    """One {key, desc} of a stat sort (a google.protobuf.Value), checked before any part of it
    is converted: what is not a key or desc, or not a scalar, is refused as it is."""
    if value.WhichOneof("kind") != "struct_value":
        raise InvalidParameter(
            where, f"a sort key is an object {{key, desc}}, not {_scalar(value)[1]}"
        )
    fields = value.struct_value.fields
    if unknown := sorted(set(fields) - _SORT_KEY_FIELDS):
        names = ", ".join(shown(name) for name in unknown)
        raise InvalidParameter(where, f"a sort key has only key and desc, not {names}")
    key, key_shown = _scalar(fields["key"]) if "key" in fields else (None, "")
    desc, desc_shown = _scalar(fields["desc"]) if "desc" in fields else (False, "")
    if key is None or key == "":
        raise RequiredParameter(f"{where}.key")
    if not isinstance(key, str):
        raise InvalidParameter(f"{where}.key", f"a field name, not {key_shown}")
    if not isinstance(desc, bool):
        raise InvalidParameter(f"{where}.desc", f"true or false, not {desc_shown}")
    return SortKey(key, desc)


def _aggregate_sort(sort: Any, where: str, limits: Limits) -> AggregateSort:
    """core.v2's sort stage, a ListValue of {key, desc}: 1.x's `keys`."""
    values = list(sort.values)
    if not values:
        raise RequiredParameter(where)
    at_most(len(values), limits.max_stage_fields, where, "sort keys")
    return AggregateSort(keys=tuple(_sort_key(v, f"{where}[{i}]") for i, v in enumerate(values)))


# 2.x's own stages of the oneof: (its message, where it is, the limits) -> the stage; the others
# are SHARED_STAGES.
_STAGES: Final[Mapping[str, Callable[[Any, str, Limits], Stage]]] = {
    "unwind": lambda m, _, __: AggregateUnwind(m.path, to_conditions(m.filter)),
    "sort": _aggregate_sort,
}


def _stage(message: wire.StatisticsAggregateMessage, index: int, limits: Limits) -> Stage:
    """The one stage the client set in the oneof (even if empty, or limit 0); None if none."""
    which = message.WhichOneof("aggregate_alias")
    if which is None:
        return None
    stage = getattr(message, which)
    if which in _STAGES:
        return _STAGES[which](stage, f"query.aggregate[{index}].{which}", limits)
    return SHARED_STAGES[which](stage)


def _unwind_filters(
    aggregate: Iterable[wire.StatisticsAggregateMessage], limits: Limits
) -> Iterator[tuple[str, Any]]:
    """Each stat unwind's filter, its size checked, as (where, conditions)."""
    for index, stage in enumerate(aggregate):
        if stage.WhichOneof("aggregate_alias") == "unwind":
            where = f"query.aggregate[{index}].unwind.filter"
            at_most(len(stage.unwind.filter), limits.max_filters, where, "conditions")
            yield where, stage.unwind.filter


def to_statistics_query(
    message: wire.StatisticsQueryMessage, limits: Limits = DEFAULT_LIMITS
) -> StatisticsQuery:
    check_counts(len(message.filter), len(message.filter_or), len(message.aggregate), limits)
    unwinds = list(_unwind_filters(message.aggregate, limits))
    check_list_values(message, limits, *unwinds)
    return StatisticsQuery(
        filter=to_conditions(message.filter),
        filter_or=to_conditions(message.filter_or),
        aggregate=tuple(_stage(a, i, limits) for i, a in enumerate(message.aggregate)),
        page=to_page(message),
        distinct=message.distinct,
        keyword=message.keyword,
    )
