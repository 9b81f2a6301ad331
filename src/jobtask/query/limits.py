"""How big a query may be: checked in one pass before it is translated or reaches the database.

Within these limits a query translates in bounded time and asks the database for bounded work;
past one it is ERROR_INVALID_PARAMETER naming the part and the limit. (The request's size in bytes
is bounded earlier, by GRPC_MAX_RECEIVE_BYTES and HTTP_MAX_BODY_BYTES; `check_counts` runs
on the request as it arrived, before its values are converted.)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from jobtask.domain import Limits
from jobtask.errors import InvalidParameter, shown
from jobtask.query.model import Condition, Page, Query
from jobtask.query.stat_model import (
    AggregateGroup,
    AggregateProject,
    AggregateSort,
    AggregateUnwind,
    Stage,
    StatisticsQuery,
)

# Limits are declared with the domain (jobtask.domain), whose defaults the settings take.
DEFAULT_LIMITS: Final = Limits()

# Operators whose string values become patterns the database runs, element by element for lists.
_PATTERN_OPERATORS: Final[frozenset[str]] = frozenset(
    {"regex", "regex_in", "contain", "not_contain", "contain_in", "not_contain_in"}
)


def at_most(count: int, limit: int, where: str, what: str) -> None:
    """`count` of `what` at `where` within `limit`, or InvalidParameter saying so."""
    if count > limit:
        raise InvalidParameter(where, f"{count} {what}; at most {limit} are allowed")


def _pattern_length(value: Any, limit: int, where: str) -> None:
    if isinstance(value, str) and len(value) > limit:
        raise InvalidParameter(
            where, f"a pattern of {len(value)} characters; at most {limit} are allowed"
        )


def _walk(
    value: Any,
    where: str,
    *,
    max_depth: int,
    max_list_values: int | None,
    check_keys: Callable[[Mapping[Any, Any], str], None],
) -> None:
    """Nesting depth, list sizes and numbers of one value, and each object's keys.

    NaN and ±Infinity are refused everywhere: no database comparison, no answer (JSON has no
    such numbers) and no stored value can carry them meaningfully.
    """
    # (value, its depth): an iterative walk, so no value can exhaust the interpreter's stack.
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        current, depth = pending.pop()
        if isinstance(current, Mapping):
            check_keys(current, where)
            children: Iterable[Any] = current.values()
        elif isinstance(current, list):
            if max_list_values is not None:
                at_most(len(current), max_list_values, where, "values in a list")
            children = current
        else:
            if isinstance(current, float) and not math.isfinite(current):
                raise InvalidParameter(
                    where, f"numbers must be finite ({current} is not a JSON number)"
                )
            continue
        if depth + 1 > max_depth:
            raise InvalidParameter(where, f"values nested more than {max_depth} levels deep")
        pending.extend((child, depth + 1) for child in children)


def _check_value(value: Any, limits: Limits, where: str) -> None:
    """One condition value; strings under `$regex` (match) are patterns."""

    def patterns(current: Mapping[Any, Any], at: str) -> None:
        _pattern_length(current.get("$regex"), limits.max_regex_length, at)

    _walk(
        value,
        where,
        max_depth=limits.max_value_depth,
        max_list_values=limits.max_list_values,
        check_keys=patterns,
    )


def _stored_keys(current: Mapping[Any, Any], where: str) -> None:
    for key in current:
        if not isinstance(key, str) or not key or key[0] == "$" or "." in key or "\x00" in key:
            raise InvalidParameter(
                where,
                f"{shown(key)} cannot be a key: keys must be non-empty and cannot start with "
                "'$' or contain '.' or the NUL character (no query could address them)",
            )


def check_stored_value(value: Any, *, max_depth: int, where: str) -> None:
    """A free-form value a writer stores (an error's `additional`): nested at most `max_depth`
    levels, finite numbers, keys MongoDB stores and a query path addresses unambiguously."""
    _walk(value, where, max_depth=max_depth, max_list_values=None, check_keys=_stored_keys)


def _check_condition(condition: Condition, limits: Limits, where: str) -> None:
    _check_value(condition.value, limits, f"{where}.value")
    if condition.operator in _PATTERN_OPERATORS:
        values = condition.value if isinstance(condition.value, list) else [condition.value]
        for value in values:
            _pattern_length(value, limits.max_regex_length, f"{where}.value")


def _check_conditions(conditions: Sequence[Condition], limits: Limits, where: str) -> None:
    """Conditions of their own (an unwind's filter): how many, and each value."""
    at_most(len(conditions), limits.max_filters, where, "conditions")
    for index, condition in enumerate(conditions):
        _check_condition(condition, limits, f"{where}[{index}]")


def _check_filter_count(count: int, limits: Limits) -> None:
    at_most(count, limits.max_filters, "query.filter", "conditions in filter and filter_or")


def _check_filters(
    conditions: Sequence[Condition], conditions_or: Sequence[Condition], limits: Limits
) -> None:
    _check_filter_count(len(conditions) + len(conditions_or), limits)
    for name, group in (("filter", conditions), ("filter_or", conditions_or)):
        for index, condition in enumerate(group):
            _check_condition(condition, limits, f"query.{name}[{index}]")


def check_counts(filters: int, filters_or: int, stages: int, limits: Limits) -> None:
    """How many conditions and stages a query holds, checked on the request as it arrived,
    before its values are converted: a request within the size limit can still carry 190,000
    conditions, whose conversion alone would cost seconds of CPU."""
    _check_filter_count(filters + filters_or, limits)
    at_most(stages, limits.max_aggregate_stages, "query.aggregate", "stages")


def check_list_lengths(lengths: Iterable[tuple[str, int]], limits: Limits) -> None:
    """The length of each condition value that is a list, as (where, length), checked on the
    request as it arrived, before its values are converted: one list within the size limit can
    hold 300,000 values, whose conversion alone cost half a CPU-second."""
    for where, length in lengths:
        at_most(length, limits.max_list_values, where, "values in a list")


def _check_keyword(keyword: str, limits: Limits) -> None:
    # Each word becomes a case-insensitive pattern over job_task_id.
    if len(keyword) > limits.max_regex_length:
        raise InvalidParameter(
            "query.keyword",
            f"{len(keyword)} characters; at most {limits.max_regex_length} are allowed",
        )


# page.start is a uint32 on the wire, but the databases' skip is not reliably wider than int32
# (a larger one wrapped around and returned rows); no domain holds 2^31 tasks anyway.
MAX_PAGE_START: Final = 2**31


def _check_page(page: Page) -> None:
    if page.start > MAX_PAGE_START:
        raise InvalidParameter(
            "query.page.start", f"{page.start} is more than the largest start, {MAX_PAGE_START}"
        )


def check_only(only: Sequence[str], limits: Limits, *, where: str = "only") -> None:
    at_most(len(only), limits.max_only_fields, where, "fields")


def check_query(query: Query, limits: Limits) -> None:
    """A list Query within the limits, or InvalidParameter for the first part past one."""
    _check_filters(query.filter, query.filter_or, limits)
    _check_keyword(query.keyword, limits)
    _check_page(query.page)
    check_only(query.only, limits, where="query.only")
    at_most(len(query.sort), limits.max_stage_fields, "query.sort.keys", "sort keys")
    if query.unwind is not None:
        _check_conditions(query.unwind.filter, limits, "query.unwind.filter")
    at_most(len(query.add_fields), limits.max_stage_fields, "query.add_fields", "fields")
    for name, value in query.add_fields.items():
        _check_value(value, limits, f"query.add_fields.{name}")


def _check_group(stage: AggregateGroup, limits: Limits, where: str) -> None:
    at_most(len(stage.keys) + len(stage.fields), limits.max_stage_fields, where, "keys and fields")
    for index, group_field in enumerate(stage.fields):
        at = f"{where}.fields[{index}]"
        at_most(len(group_field.fields), limits.max_stage_fields, f"{at}.fields", "fields")
        at_most(len(group_field.conditions), limits.max_filters, f"{at}.conditions", "conditions")
        for number, condition in enumerate(group_field.conditions):
            _check_value(condition.value, limits, f"{at}.conditions[{number}].value")


def _check_stage(stage: Stage, limits: Limits, where: str) -> None:
    if isinstance(stage, AggregateGroup):
        _check_group(stage, limits, f"{where}.group")
    elif isinstance(stage, AggregateProject):
        at_most(len(stage.fields), limits.max_stage_fields, f"{where}.project", "fields")
    elif isinstance(stage, AggregateSort):
        at_most(len(stage.keys), limits.max_stage_fields, f"{where}.sort", "sort keys")
    elif isinstance(stage, AggregateUnwind):
        _check_conditions(stage.filter, limits, f"{where}.unwind.filter")


def check_statistics_query(query: StatisticsQuery, limits: Limits) -> None:
    """A StatisticsQuery within the limits, or InvalidParameter for the first part past one."""
    _check_filters(query.filter, query.filter_or, limits)
    _check_keyword(query.keyword, limits)
    _check_page(query.page)
    at_most(len(query.aggregate), limits.max_aggregate_stages, "query.aggregate", "stages")
    for index, stage in enumerate(query.aggregate):
        _check_stage(stage, limits, f"query.aggregate[{index}]")
