"""Dates in filters: lenient dates, strict ISO 8601 (`datetime_*`) and `timediff_*` expressions.

All results are naive UTC datetimes truncated to milliseconds, the precision MongoDB stores.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from dateutil import parser as dateutil_parser

_TIMEDIFF = re.compile(
    r"^\s*(?P<base>now(?:/[dwm])?)\s*(?:(?P<sign>[-+|])\s*(?P<amount>\d+)\s*(?P<unit>[smhdw]))?\s*$"
)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def to_utc(value: datetime) -> datetime:
    """Naive UTC at millisecond precision; a naive input is taken as UTC already."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def parse_lenient(text: str) -> datetime | None:
    """Any date a person would write ('2022-06-17', '17 Jun 2022 10:00'); None if unparseable."""
    try:
        return to_utc(dateutil_parser.parse(text))
    except (ValueError, OverflowError):
        return None


def parse_iso(text: str) -> datetime | None:
    """Strict ISO 8601 ('2022-06-17', '2022-06-17T08:00:00+09:00'); None if not ISO 8601."""
    try:
        return to_utc(dateutil_parser.isoparse(text))
    except (ValueError, OverflowError):
        return None


def parse_timediff(text: str, now: datetime) -> datetime | None:
    """`now`, `now/d`, `now/w`, `now/m`, optionally +/- N s|m|h|d|w; None if not of that grammar.

    `now/m` rounds to the month while the unit `m` is minutes, as in SpaceONE. `|` is SpaceONE's
    alternative spelling of `-`.
    """
    match = _TIMEDIFF.match(text)
    if match is None:
        return None
    now = to_utc(now)
    base = {
        "now": now,
        "now/d": now.replace(hour=0, minute=0, second=0, microsecond=0),
        "now/w": (now - timedelta(days=now.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        ),
        "now/m": now.replace(day=1, hour=0, minute=0, second=0, microsecond=0),
    }[match["base"]]
    if match["sign"] is None:
        return base
    try:
        delta = timedelta(**{_UNITS[match["unit"]]: int(match["amount"])})
        return base + delta if match["sign"] == "+" else base - delta
    except OverflowError:
        return None
