"""Command-line text into request parts: `key>=value` and `key:operator=value` filters, `[-]key`
sorts, `CODE:MESSAGE` errors, pages, and statistics queries from flags or a JSON/YAML document.

What comes out is line-neutral: a Query or StatisticsQuery as a dict, sorts as lists of
`{"key", "desc"}`; the line the CLI speaks makes its messages of them (`jobtask.cli.lines`).
Pure (no I/O, no gRPC); every mistake is a ValueError whose text the CLI shows as a usage error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

import yaml

# Longest first, so `>=` is never read as `>` followed by a value starting with `=`.
OPERATORS: Final[Mapping[str, str]] = {
    "!=": "not",
    "!~": "not_contain",
    ">=": "gte",
    "<=": "lte",
    "=": "eq",
    "~": "contain",
    ">": "gt",
    "<": "lt",
}
# The comparisons read numeric-looking values as numbers; every other operator (substrings,
# patterns, dates, timediffs) compares text.
_NUMERIC_OPERATORS: Final = frozenset({"eq", "not", "gt", "gte", "lt", "lte", "in", "not_in"})
_LIST_OPERATORS: Final = frozenset({"in", "not_in", "contain_in", "not_contain_in", "regex_in"})
_FILTER: Final = re.compile(
    r"(?P<key>[^\s=!~<>]+)\s*(?P<op>" + "|".join(map(re.escape, OPERATORS)) + r")(?P<value>.*)",
    re.DOTALL,
)
# Any of SpaceONE's operators by name: `created_at:timediff_gte=now/d - 7d`, `provider:in=aws,oci`.
_NAMED: Final = re.compile(r"(?P<key>[^\s=!~<>:]+):(?P<op>[a-z_]+)=(?P<value>.*)", re.DOTALL)
_INTEGER: Final = re.compile(r"[-+]?\d+")
_DECIMAL: Final = re.compile(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?")


def parse_value(text: str, *, numeric: bool = True) -> Any:
    """A number when the text looks like one (and `numeric`); quotes ('123' or "123") are
    removed and keep it text."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if numeric and _INTEGER.fullmatch(text):
        return int(text)
    if numeric and _DECIMAL.fullmatch(text):
        return float(text)
    return text


def parse_filter(expression: str) -> dict[str, Any]:
    """`provider=aws` -> {"k": "provider", "v": "aws", "o": "eq"}; see OPERATORS, or name the
    operator: `key:operator=value` (comma-separated lists for `in` and the other `_in`s, a JSON
    object for `match`). The server checks keys and operators."""
    found = _NAMED.fullmatch(expression.strip()) or _FILTER.fullmatch(expression.strip())
    if found is None:
        operators = " ".join(f"key{op}value" for op in OPERATORS)
        raise ValueError(
            f"{expression!r} is not a filter: use one of {operators} or key:operator=value"
        )
    operator = found["op"] if found.re is _NAMED else OPERATORS[found["op"]]
    return {"k": found["key"], "v": _operand(operator, found["value"].strip()), "o": operator}


def _operand(operator: str, text: str) -> Any:
    numeric = operator in _NUMERIC_OPERATORS
    if operator in _LIST_OPERATORS:
        return [parse_value(item.strip(), numeric=numeric) for item in text.split(",")]
    if operator == "match":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"match needs a JSON object: {error}") from None
    return parse_value(text, numeric=numeric)


def parse_sort(text: str) -> list[dict[str, Any]]:
    """`-created_at` sorts newest first; `status,-created_at` sorts by several keys."""
    keys = []
    for part in split_names(text, "--sort"):
        key = part.removeprefix("-")
        if not key:
            raise ValueError(f"--sort: {text!r} has a '-' without a key")
        keys.append({"key": key, "desc": part.startswith("-")})
    return keys


def parse_error(text: str) -> dict[str, str]:
    """`ERROR_PLUGIN:timeout while listing` -> an ErrorInfo's error_code and message."""
    code, colon, message = text.partition(":")
    if not colon or not code.strip():
        raise ValueError(f"--error: {text!r} is not CODE:MESSAGE")
    return {"error_code": code.strip(), "message": message.strip()}


def split_names(text: str, option: str) -> list[str]:
    """`a, b,c` -> ["a", "b", "c"]; an empty list is a mistake."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise ValueError(f"{option}: {text!r} names nothing")
    return names


def page_of(page: int, limit: int | None) -> dict[str, int]:
    """SpaceONE's page: `start` is the 1-based position of the first row, not a page number."""
    if limit is None:
        if page != 1:
            raise ValueError("--page needs --limit")
        return {}
    return {"start": (page - 1) * limit + 1, "limit": limit}


def list_query(
    filters: Sequence[str],
    *,
    sort: str | None = None,
    page: int = 1,
    limit: int | None = None,
    only: str | None = None,
    minimal: bool = False,
    keyword: str | None = None,
) -> dict[str, Any]:
    """The `query` of JobTask.list from `jobtask list`'s arguments."""
    query: dict[str, Any] = {"filter": [parse_filter(f) for f in filters]}
    if sort:
        query["sort"] = parse_sort(sort)
    if window := page_of(page, limit):
        query["page"] = window
    if only:
        query["only"] = split_names(only, "--only")
    if minimal:
        query["minimal"] = True
    if keyword:
        query["keyword"] = keyword
    return query


def group_by(by: str, *, count_name: str = "count", sums: Sequence[str] = ()) -> dict[str, Any]:
    """`--by status,provider --sum updated_count`: one row per group, the largest count first."""
    keys = [{"key": key, "name": key.replace(".", "_")} for key in split_names(by, "--by")]
    fields = [
        {"name": count_name, "operator": "count"},
        *({"key": key, "name": key.replace(".", "_"), "operator": "sum"} for key in sums),
    ]
    order = [{"key": count_name, "desc": True}, *({"key": k["name"]} for k in keys)]
    return {"aggregate": [{"group": {"keys": keys, "fields": fields}}, {"sort": order}]}


def stat_document(
    text: str | None = None,
    *,
    by: str | None = None,
    distinct: str | None = None,
    count_name: str | None = None,
    sums: Sequence[str] = (),
) -> dict[str, Any]:
    """The StatisticsQuery of `jobtask stat`: from a file's text, `--by`, or `--distinct`."""
    sources = (("--file", text), ("--by", by), ("--distinct", distinct))
    given = [name for name, value in sources if value is not None]
    if not given:
        raise ValueError("give one of --file, --by or --distinct")
    if len(given) > 1:
        raise ValueError(f"give one of --file, --by or --distinct, not {' and '.join(given)}")
    if by is None and (sums or count_name):
        raise ValueError("--count-name and --sum go with --by")
    if text is not None:
        return load_document(text)
    if by is not None:
        return group_by(by, count_name=count_name or "count", sums=sums)
    return {"distinct": distinct}


def load_document(text: str) -> dict[str, Any]:
    """A StatisticsQuery in JSON or YAML; a request body's `{"query": {...}}` is unwrapped."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ValueError(f"--file: neither JSON nor YAML: {error}") from None
    if not isinstance(document, dict):
        raise ValueError("--file: the document must be an object (a StatisticsQuery)")
    query = document.get("query")
    return query if isinstance(query, dict) and len(document) == 1 else document


def stat_query(
    document: Mapping[str, Any],
    filters: Sequence[str] = (),
    *,
    page: int = 1,
    limit: int | None = None,
) -> dict[str, Any]:
    """A StatisticsQuery from a document, with the command line's filters and page added (the
    line checks the rest when it makes its message)."""
    query = dict(document)
    if filters:
        given = query.get("filter", [])
        if not isinstance(given, list):
            raise ValueError("not a StatisticsQuery: filter must be a list")
        query["filter"] = [*given, *(parse_filter(f) for f in filters)]
    if window := page_of(page, limit):
        query["page"] = window
    return query


def stat_columns(query: Mapping[str, Any]) -> list[str]:
    """The names the last group (or project) stage gives its rows, keys first: the order a
    table of the results should show (the Struct's own key order means nothing)."""
    columns: list[str] = []
    stages = query.get("aggregate")
    for stage in stages if isinstance(stages, list) else []:
        group, project = _object(stage, "group"), _object(stage, "project")
        if group is not None:
            named = [*_objects(group, "keys"), *_objects(group, "fields")]
        elif project is not None:
            named = _objects(project, "fields")
        else:
            continue
        columns = [str(part.get("name") or part.get("n") or "") for part in named]
    return [column for column in columns if column]


def _object(document: Any, key: str) -> Mapping[str, Any] | None:
    value = document.get(key) if isinstance(document, Mapping) else None
    return value if isinstance(value, Mapping) else None


def _objects(document: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    values = document.get(key)
    return [v for v in values if isinstance(v, Mapping)] if isinstance(values, list) else []
