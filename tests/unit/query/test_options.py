"""Sort with its tie-breaker, the 1-based page window and the projection of `only`/`minimal`."""

from __future__ import annotations

import dataclasses
from typing import Any, Final

import pytest

from jobtask.domain import MINIMAL_FIELDS, RETURNED_FIELDS, to_task
from jobtask.errors import InvalidParameter, RequiredParameter
from jobtask.query.model import Page, SortKey, TieBreaker
from jobtask.query.options import (
    DEFAULT_SORT,
    TIE_BREAKER,
    Window,
    build_projection,
    build_sort,
    build_window,
)

MAX_LIMIT: Final = 100


def test_default_sort_is_newest_first_and_the_tie_breaker_is_the_unique_id() -> None:
    assert (SortKey("created_at", desc=True),) == DEFAULT_SORT
    assert TIE_BREAKER == "job_task_id"


@pytest.mark.parametrize(
    ("dsl", "expected_mongo"),
    [
        pytest.param((), [("created_at", -1), ("job_task_id", -1)], id="default-newest-first"),
        pytest.param(
            (SortKey("finished_at"),),
            [("finished_at", 1), ("job_task_id", 1)],
            id="ascending",
        ),
        pytest.param(
            (SortKey("finished_at", desc=True),),
            [("finished_at", -1), ("job_task_id", -1)],
            id="descending",
        ),
        pytest.param(
            (SortKey("-created_at"),),
            [("created_at", -1), ("job_task_id", -1)],
            id="minus-prefix-is-descending",
        ),
        pytest.param(
            (SortKey("-created_at", desc=True),),
            [("created_at", -1), ("job_task_id", -1)],
            id="minus-prefix-with-desc",
        ),
        pytest.param(
            (SortKey("+created_at"),),
            [("created_at", 1), ("job_task_id", 1)],
            id="plus-prefix-is-ascending",
        ),
        pytest.param(
            (SortKey("status"), SortKey("created_count", desc=True)),
            [("status", 1), ("created_count", -1), ("job_task_id", -1)],
            id="tie-breaker-follows-the-last-key-descending",
        ),
        pytest.param(
            (SortKey("status", desc=True), SortKey("created_count")),
            [("status", -1), ("created_count", 1), ("job_task_id", 1)],
            id="tie-breaker-follows-the-last-key-ascending",
        ),
        pytest.param(
            (SortKey("job_task_id", desc=True), SortKey("created_at")),
            [("job_task_id", -1), ("created_at", 1)],
            id="tie-breaker-already-present-keeps-its-place",
        ),
        pytest.param(
            (SortKey("job_task_id"),),
            [("job_task_id", 1)],
            id="tie-breaker-alone",
        ),
        pytest.param(
            (SortKey("collector_id"), SortKey("total_count")),
            [("collector_id", 1), ("total_count", 1), ("job_task_id", 1)],
            id="stored-only-fields",
        ),
        pytest.param(
            (SortKey("errors.error_code"), SortKey("errors.additional.provider", desc=True)),
            [
                ("errors.error_code", 1),
                ("errors.additional.provider", -1),
                ("job_task_id", -1),
            ],
            id="error-paths",
        ),
    ],
)
def test_build_sort(dsl: tuple[SortKey, ...], expected_mongo: list[tuple[str, int]]) -> None:
    assert build_sort(dsl) == expected_mongo


@pytest.mark.parametrize(
    ("dsl", "location"),
    [
        pytest.param((SortKey(""),), "query.sort.keys[0].key", id="empty"),
        pytest.param((SortKey("-"),), "query.sort.keys[0].key", id="only-minus"),
        pytest.param((SortKey("+"),), "query.sort.keys[0].key", id="only-plus"),
        pytest.param((SortKey("status"), SortKey("")), "query.sort.keys[1].key", id="second"),
    ],
)
def test_build_sort_requires_a_key(dsl: tuple[SortKey, ...], location: str) -> None:
    with pytest.raises(RequiredParameter) as raised:
        build_sort(dsl)
    assert type(raised.value) is RequiredParameter
    assert raised.value.key == location
    assert location in str(raised.value)


@pytest.mark.parametrize(
    ("key", "named"),
    [
        ("foo", "foo"),
        ("-foo", "foo"),
        ("--created_at", "-created_at"),
        ("user_projects", "user_projects"),
        ("$natural", "$natural"),
        ("created_at.x", "created_at.x"),
        ("errors.bogus", "errors.bogus"),
        ("status.", "status."),
        ("created_at__x", "created_at__x"),
    ],
)
def test_build_sort_rejects_keys_that_are_not_fields(key: str, named: str) -> None:
    with pytest.raises(InvalidParameter) as raised:
        build_sort([SortKey("status"), SortKey(key)])
    assert raised.value.key == "query.sort"
    assert f"{named!r} is not a field" in str(raised.value)


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        pytest.param(Page(), Window(skip=0, limit=0), id="nothing-given"),
        pytest.param(Page(start=0, limit=2), Window(skip=0, limit=2), id="start-0-is-first"),
        pytest.param(Page(start=1, limit=2), Window(skip=0, limit=2), id="start-1-is-first"),
        pytest.param(Page(start=3, limit=2), Window(skip=2, limit=2), id="one-based"),
        pytest.param(Page(start=3), Window(skip=2, limit=0), id="start-without-limit"),
        pytest.param(Page(limit=MAX_LIMIT), Window(skip=0, limit=MAX_LIMIT), id="limit-at-max"),
    ],
)
def test_build_window(page: Page, expected: Window) -> None:
    assert build_window(page, max_limit=MAX_LIMIT) == expected


def test_build_window_rejects_a_limit_above_the_maximum() -> None:
    with pytest.raises(InvalidParameter) as raised:
        build_window(Page(start=1, limit=MAX_LIMIT + 1), max_limit=MAX_LIMIT)
    assert raised.value.key == "query.page.limit"
    assert f"{MAX_LIMIT + 1}" in raised.value.reason
    assert f"{MAX_LIMIT}" in raised.value.reason


def _projection(*paths: str) -> dict[str, int]:
    return {"_id": 0, **dict.fromkeys(paths, 1)}


@pytest.mark.parametrize(
    ("dsl", "expected_mongo"),
    [
        # The whole view: no projection (the real engine projects every match before sorting).
        pytest.param(((), False), {}, id="whole-document"),
        pytest.param(((), True), _projection(*MINIMAL_FIELDS), id="minimal"),
        pytest.param((("job_id",), True), _projection(*MINIMAL_FIELDS), id="minimal-wins"),
        pytest.param((("job_id",), False), _projection("job_id"), id="only"),
        pytest.param(
            (("status", "job_id", "status"), False),
            _projection("job_id", "status"),
            id="duplicates-dropped",
        ),
        pytest.param(
            (("errors.error_code", "errors", "errors.additional.x"), False),
            _projection("errors"),
            id="descendants-of-a-listed-ancestor-dropped",
        ),
        pytest.param(
            (("errors.additional.x", "errors.additional"), False),
            _projection("errors.additional"),
            id="nested-ancestor",
        ),
        pytest.param(
            (("errors.additional.a", "errors.additional.ab"), False),
            _projection("errors.additional.a", "errors.additional.ab"),
            id="prefix-that-is-not-an-ancestor-kept",
        ),
        pytest.param(
            (("errors.message", "errors.error_code"), False),
            _projection("errors.error_code", "errors.message"),
            id="siblings-kept",
        ),
    ],
)
def test_build_projection(
    dsl: tuple[tuple[str, ...], bool], expected_mongo: dict[str, Any]
) -> None:
    only, minimal = dsl

    assert build_projection(only, minimal=minimal) == expected_mongo


@pytest.mark.parametrize(
    ("only", "minimal"),
    [((), True), (("job_id",), False), (("job_id",), True), (("errors.message", "errors"), False)],
)
def test_a_projection_never_loads_the_object_id(only: tuple[str, ...], minimal: bool) -> None:
    assert build_projection(only, minimal=minimal)["_id"] == 0


def test_the_whole_view_renders_every_returned_field_from_the_whole_document() -> None:
    """No projection loads `_id` and the stored-only fields too: the task has exactly the
    returned fields."""
    stored = {
        "_id": "an object id",
        **{name: None for name in RETURNED_FIELDS},
        "collector_id": "collector-1",
        "total_count": 3,
        "reported_error_count": 0,
    }

    assert build_projection(()) == {}
    assert set(dataclasses.asdict(to_task(stored))) == set(RETURNED_FIELDS)


@pytest.mark.parametrize(
    "path",
    [
        "collector",
        "total_count.x",
        "foo",
        "",
        "_id",
        "$where",
        "errors.bogus",
        "errors.$",
        "status.x",
        "job_id.",
        "user_projects",
    ],
)
def test_build_projection_rejects_paths_that_are_not_stored_fields(path: str) -> None:
    with pytest.raises(InvalidParameter) as raised:
        build_projection(["job_id", path], where="query.only")
    assert raised.value.key == "query.only"
    assert f"{path!r} is not a field" in str(raised.value)


def test_build_projection_loads_stored_fields_that_are_never_returned() -> None:
    only = ["reported_error_count", "collector_id", "total_count", "job_id"]

    assert build_projection(only) == {
        "_id": 0,
        "collector_id": 1,
        "job_id": 1,
        "reported_error_count": 1,
        "total_count": 1,
    }


@pytest.mark.parametrize(
    ("dsl", "expected_mongo"),
    [
        pytest.param((), [("created_at", -1), ("job_task_id", -1)], id="no-sort-keeps-ours"),
        pytest.param(
            (SortKey("created_at", desc=True),),
            [("created_at", -1), ("_id", 1)],
            id="descending-then-id-ascending",
        ),
        pytest.param(
            (SortKey("status"),), [("status", 1), ("_id", 1)], id="ascending-then-id-ascending"
        ),
        pytest.param(
            (SortKey("status"), SortKey("-finished_at")),
            [("status", 1), ("finished_at", -1), ("_id", 1)],
            id="id-ascending-whatever-the-last-key",
        ),
        pytest.param(
            (SortKey("job_task_id", desc=True), SortKey("created_at")),
            [("job_task_id", -1), ("created_at", 1)],
            id="sorted-by-the-id-already",
        ),
    ],
)
def test_build_sort_with_spaceone_2x_tie_breaker(
    dsl: tuple[SortKey, ...], expected_mongo: list[tuple[str, int]]
) -> None:
    """SpaceONE 2.x's MongoModel.query appends `id` (`_id` ascending) to an explicit sort."""
    assert build_sort(dsl, TieBreaker.STORED_ID) == expected_mongo


def test_the_stored_id_is_no_key_a_client_may_sort_by() -> None:
    with pytest.raises(InvalidParameter):
        build_sort([SortKey("_id")], TieBreaker.STORED_ID)
