"""Dates in filters: naive UTC at millisecond precision, lenient and ISO parsing, timediff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Final

import pytest

from jobtask.query.dates import parse_iso, parse_lenient, parse_timediff, to_utc

NOW: Final = datetime(2024, 5, 15, 10, 30, 45, 123456)  # a Wednesday
NOW_MS: Final = datetime(2024, 5, 15, 10, 30, 45, 123000)
TODAY: Final = datetime(2024, 5, 15)
MONDAY: Final = datetime(2024, 5, 13)
MONTH: Final = datetime(2024, 5, 1)
KST: Final = timezone(timedelta(hours=9))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(NOW, NOW_MS, id="naive-taken-as-utc-truncated"),
        pytest.param(NOW_MS, NOW_MS, id="already-milliseconds"),
        pytest.param(
            datetime(2024, 5, 15, 0, 0, 0, 999999), datetime(2024, 5, 15, 0, 0, 0, 999000), id="999"
        ),
        pytest.param(datetime(2024, 5, 15, 10, tzinfo=UTC), datetime(2024, 5, 15, 10), id="utc"),
        pytest.param(
            datetime(2024, 5, 15, 8, 0, 0, 500999, tzinfo=KST),
            datetime(2024, 5, 14, 23, 0, 0, 500000),
            id="offset-converted-then-truncated",
        ),
    ],
)
def test_to_utc_gives_naive_utc_milliseconds(value: datetime, expected: datetime) -> None:
    converted = to_utc(value)

    assert converted == expected
    assert converted.tzinfo is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2022-06-17", datetime(2022, 6, 17), id="iso-day"),
        pytest.param("2022-06-17T08:00:00", datetime(2022, 6, 17, 8), id="iso-naive-is-utc"),
        pytest.param("2022-06-17T08:00:00Z", datetime(2022, 6, 17, 8), id="iso-z"),
        pytest.param("2022-06-17T08:00:00+09:00", datetime(2022, 6, 16, 23), id="iso-offset"),
        pytest.param("17 Jun 2022", datetime(2022, 6, 17), id="words"),
        pytest.param("17 Jun 2022 10:00", datetime(2022, 6, 17, 10), id="words-with-time"),
        pytest.param("Jan 1 2022", datetime(2022, 1, 1), id="month-first-words"),
        pytest.param("06/07/2022", datetime(2022, 6, 7), id="slashes-month-first"),
        pytest.param("2022/06/17", datetime(2022, 6, 17), id="slashes-year-first"),
        pytest.param(
            "2022-06-17 10:00:00.987654", datetime(2022, 6, 17, 10, 0, 0, 987000), id="truncated"
        ),
        pytest.param("2022-06-17 10:00 UTC", datetime(2022, 6, 17, 10), id="utc-name"),
        pytest.param("2022-06-17 10:00 -0130", datetime(2022, 6, 17, 11, 30), id="negative-offset"),
    ],
)
def test_parse_lenient_reads_dates_people_write(text: str, expected: datetime) -> None:
    assert parse_lenient(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "yesterday",
        "now",
        "2022-13-45",
        "2022-02-30",
        "10000-01-01",
        "99999999999999999999",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "\x00",
    ],
)
def test_parse_lenient_returns_none_when_unparseable(text: str) -> None:
    assert parse_lenient(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2022", datetime(2022, 1, 1), id="year"),
        pytest.param("2022-06", datetime(2022, 6, 1), id="year-month"),
        pytest.param("2022-06-17", datetime(2022, 6, 17), id="day"),
        pytest.param("20220617", datetime(2022, 6, 17), id="basic-day"),
        pytest.param("2022-W24", datetime(2022, 6, 13), id="week"),
        pytest.param("2022-W24-5", datetime(2022, 6, 17), id="week-day"),
        pytest.param("2022-06-17T08", datetime(2022, 6, 17, 8), id="hour"),
        pytest.param("2022-06-17T08:30", datetime(2022, 6, 17, 8, 30), id="minute"),
        pytest.param("2022-06-17T0830", datetime(2022, 6, 17, 8, 30), id="basic-minute"),
        pytest.param("2022-06-17 08:30:15", datetime(2022, 6, 17, 8, 30, 15), id="space"),
        pytest.param("2022-06-17X08:30", datetime(2022, 6, 17, 8, 30), id="any-separator"),
        pytest.param("2022-06-17T083015", datetime(2022, 6, 17, 8, 30, 15), id="basic-second"),
        pytest.param(
            "2022-06-17T08:30:15.5", datetime(2022, 6, 17, 8, 30, 15, 500000), id="fraction"
        ),
        pytest.param(
            "2022-06-17T08:30:15,5", datetime(2022, 6, 17, 8, 30, 15, 500000), id="comma-fraction"
        ),
        pytest.param(
            "2022-06-17T08:30:15.1234567",
            datetime(2022, 6, 17, 8, 30, 15, 123000),
            id="long-fraction-truncated",
        ),
        pytest.param("2022-06-17T24:00", datetime(2022, 6, 18), id="24-is-next-midnight"),
        pytest.param("2022-06-17T08:00Z", datetime(2022, 6, 17, 8), id="z"),
        pytest.param("2022-06-17T08:00+09:00", datetime(2022, 6, 16, 23), id="offset"),
        pytest.param("2022-06-17T08:00-0130", datetime(2022, 6, 17, 9, 30), id="basic-offset"),
        pytest.param("2022-06-17T08:00+09", datetime(2022, 6, 16, 23), id="hour-offset"),
    ],
)
def test_parse_iso_reads_iso_8601(text: str, expected: datetime) -> None:
    assert parse_iso(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Jan 1 2022",
        "17 Jun 2022",
        "2022/06/17",
        "06/07/2022",
        "202206",
        "2022-06-17T25:00",
        "2022-06-17T24:00:01",
        "2022-02-30",
        "now",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "2022-06-17T08:00:00 +09:00:00:00",
        "\uff12\uff10\uff12\uff12-06-17",  # full-width digits
    ],
)
def test_parse_iso_returns_none_when_not_iso_8601(text: str) -> None:
    assert parse_iso(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("now", NOW_MS, id="now"),
        pytest.param("now/d", TODAY, id="day"),
        pytest.param("now/w", MONDAY, id="week-starts-monday"),
        pytest.param("now/m", MONTH, id="month"),
        pytest.param(" now/d ", TODAY, id="surrounding-spaces"),
        pytest.param("\tnow\n", NOW_MS, id="surrounding-whitespace"),
        pytest.param("now-1d", NOW_MS - timedelta(days=1), id="minus-day"),
        pytest.param("now - 1d", NOW_MS - timedelta(days=1), id="spaced"),
        pytest.param("now  -   1  d ", NOW_MS - timedelta(days=1), id="any-whitespace"),
        pytest.param("now/d  - 1d", TODAY - timedelta(days=1), id="two-spaces-allowed"),
        pytest.param("now -1 d", NOW_MS - timedelta(days=1), id="space-before-unit"),
        pytest.param("now/d - 7d", TODAY - timedelta(days=7), id="week-ago"),
        pytest.param("now+2h", NOW_MS + timedelta(hours=2), id="plus-hours"),
        pytest.param("now-30m", NOW_MS - timedelta(minutes=30), id="m-unit-is-minutes"),
        pytest.param("now/m-1d", MONTH - timedelta(days=1), id="m-base-is-month"),
        pytest.param("now/m - 30m", datetime(2024, 4, 30, 23, 30), id="month-minus-minutes"),
        pytest.param("now-45s", NOW_MS - timedelta(seconds=45), id="seconds"),
        pytest.param("now/w+1w", MONDAY + timedelta(weeks=1), id="weeks"),
        pytest.param("now|1d", NOW_MS - timedelta(days=1), id="bar-is-minus"),
        pytest.param("now/d | 2h", TODAY - timedelta(hours=2), id="bar-spaced"),
        pytest.param("now-007d", NOW_MS - timedelta(days=7), id="leading-zeros"),
        pytest.param("now-0d", NOW_MS, id="zero"),
    ],
)
def test_parse_timediff_computes_from_now(text: str, expected: datetime) -> None:
    assert parse_timediff(text, NOW) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(
            datetime(2024, 5, 13, 5, 0, tzinfo=KST), datetime(2024, 5, 12), id="utc-day-of-aware"
        ),
        pytest.param(datetime(2024, 5, 19, 23, 59), MONDAY, id="sunday-belongs-to-the-week"),
        pytest.param(datetime(2024, 5, 13), MONDAY, id="monday-midnight"),
    ],
)
def test_parse_timediff_rounds_in_utc(now: datetime, expected: datetime) -> None:
    base = "now/d" if now.tzinfo else "now/w"

    assert parse_timediff(base, now) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "NOW",
        "Now/d",
        "now/D",
        "now-1M",
        "now-1y",
        "now-1D",
        "now/y",
        "now/h",
        "now/",
        "now-1",
        "now 1d",
        "now-d",
        "now--1d",
        "now-1.5d",
        "now-1d-1h",
        "1d",
        "-1d",
        "now-1dd",
        "now*1d",
        "now/d/w",
        "now-99999999999w",
        "now+999999999d",
        "now-9999999999999999999999s",
    ],
)
def test_parse_timediff_returns_none_outside_the_grammar(text: str) -> None:
    assert parse_timediff(text, NOW) is None
