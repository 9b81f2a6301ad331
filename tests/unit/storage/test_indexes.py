"""The indexes that serve the newest-first orders: on MongoDB a sort is an index walk (no
in-memory sort) when the index is the filter's equality (`domain_id`) followed by the sort's
keys in its directions (or all reversed). Checked here against the sorts the lines build."""

from __future__ import annotations

from typing import Any

import pytest

from jobtask.query.model import SortKey, TieBreaker
from jobtask.query.options import build_sort
from jobtask.storage.indexes import INDEXES, NEWEST_FIRST_2X, SHARDED_INDEXES


def _keys(indexes: Any, name: str) -> list[tuple[str, int]]:
    (index,) = [i.document for i in indexes if i.document["name"] == name]
    return [(key, int(direction)) for key, direction in index["key"].items()]


@pytest.mark.parametrize("indexes", [INDEXES, SHARDED_INDEXES], ids=["normal", "sharded"])
def test_the_default_order_walks_the_newest_first_index(indexes: Any) -> None:
    walked = _keys(indexes, "domain_id_1_created_at_-1_job_task_id_-1")

    assert walked == [("domain_id", 1), *build_sort(())]


@pytest.mark.parametrize("indexes", [INDEXES, SHARDED_INDEXES], ids=["normal", "sharded"])
def test_the_2x_consoles_newest_first_walks_its_index(indexes: Any) -> None:
    """`sort: [{key: created_at, desc: true}]` on 2.x: created_at descending, `_id` ascending."""
    console = build_sort((SortKey("created_at", desc=True),), TieBreaker.STORED_ID)

    assert _keys(indexes, NEWEST_FIRST_2X) == [("domain_id", 1), *console]
