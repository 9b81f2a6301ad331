"""Fields SpaceONE's job_task model stores but JobTaskInfo does not carry, over real gRPC.

`collector_id` and `total_count` (SpaceONE's) and `reported_error_count` (ours) are accepted
wherever a stored field is: `only` (get and list), `sort`, filters and stat keys. They render as
nothing, since JobTaskInfo has no field for them. Names that are not stored fields stay refused.
The tasks are seeded here with a distinct value of each field, so that an order or a group the
database did not compute from the field itself would show.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import grpc
import pymongo
import pytest

from tests.support.dataset import DOMAIN, OTHER_DOMAIN, TASKS
from tests.support.independent_client import IndependentJobTaskClient

HIDDEN: Final = ("collector_id", "total_count", "reported_error_count")


def _stored(index: int, domain_id: str) -> dict[str, Any]:
    """A copy of a demo-shaped task with its own id and values for every hidden field."""
    return {
        **TASKS[0],
        "job_task_id": f"job_task-hidden{index:07d}{domain_id[-1]}",
        "domain_id": domain_id,
        "collector_id": f"collector-{(7 - index):012d}",  # the reverse order of total_count
        "total_count": index * 10,
        "reported_error_count": (index * 3) % 4,  # 0, 3, 2, 1: neither order of the others
        "created_at": datetime(2023, 2, 1, 9, index),
    }


MINE: Final = [_stored(i, DOMAIN) for i in range(4)]
THEIRS: Final = [_stored(i, OTHER_DOMAIN) for i in range(4, 6)]


@pytest.fixture
def stored(raw_collection: pymongo.collection.Collection) -> None:
    raw_collection.insert_many([dict(t) for t in (*MINE, *THEIRS)])


pytestmark = pytest.mark.usefixtures("stored")


@pytest.mark.parametrize("name", HIDDEN)
def test_list_only_a_hidden_field_answers_every_matching_task_with_nothing_rendered(
    client: IndependentJobTaskClient, name: str
) -> None:
    answer = client.list({"domain_id": DOMAIN, "query": {"only": [name]}})

    assert answer["results"] == [{} for _ in MINE]
    assert answer["total_count"] == len(MINE)


@pytest.mark.parametrize("name", HIDDEN)
def test_list_only_a_hidden_field_beside_a_returned_one_renders_the_returned_one(
    client: IndependentJobTaskClient, name: str
) -> None:
    answer = client.list(
        {"domain_id": DOMAIN, "query": {"only": [name, "job_task_id"], "sort": {"key": name}}}
    )

    expected = sorted(MINE, key=lambda t: t[name])
    assert answer["results"] == [{"job_task_id": t["job_task_id"]} for t in expected]


@pytest.mark.parametrize("name", HIDDEN)
def test_get_only_a_hidden_field_renders_nothing(
    client: IndependentJobTaskClient, name: str
) -> None:
    task_id = MINE[1]["job_task_id"]

    assert client.get({"job_task_id": task_id, "domain_id": DOMAIN, "only": [name]}) == {}
    assert client.get({"job_task_id": task_id, "domain_id": DOMAIN, "only": [name, "status"]}) == {
        "status": MINE[1]["status"]
    }


@pytest.mark.parametrize("name", HIDDEN)
@pytest.mark.parametrize("desc", [False, True])
def test_list_sorts_by_a_hidden_field(
    client: IndependentJobTaskClient, name: str, desc: bool
) -> None:
    answer = client.list(
        {
            "domain_id": DOMAIN,
            "query": {"sort": {"key": name, "desc": desc}, "only": ["job_task_id"]},
        }
    )

    expected = sorted(MINE, key=lambda t: t[name], reverse=desc)
    assert [r["job_task_id"] for r in answer["results"]] == [t["job_task_id"] for t in expected]


@pytest.mark.parametrize("name", HIDDEN)
def test_stat_groups_by_and_sums_a_hidden_field(
    client: IndependentJobTaskClient, name: str
) -> None:
    group = {"keys": [{"key": name, "name": "k"}], "fields": [{"operator": "count", "name": "n"}]}
    answer = client.stat(
        {"domain_id": DOMAIN, "query": {"aggregate": [{"group": group}, {"sort": {"key": "k"}}]}}
    )

    assert answer["results"] == [
        {"k": t[name], "n": 1} for t in sorted(MINE, key=lambda t: t[name])
    ]


@pytest.mark.parametrize("name", HIDDEN)
def test_stat_distinct_of_a_hidden_field(client: IndependentJobTaskClient, name: str) -> None:
    answer = client.stat({"domain_id": DOMAIN, "query": {"distinct": name}})

    assert answer["results"] == sorted(t[name] for t in MINE)


@pytest.mark.parametrize(
    "path", ["collector", "collector_id.x", "total_count.0", "user_projects", "_id", "$where"]
)
@pytest.mark.parametrize("call", ["get", "list"])
def test_only_still_refuses_what_is_not_a_stored_field(
    client: IndependentJobTaskClient, path: str, call: str
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        if call == "get":
            client.get({"job_task_id": MINE[0]["job_task_id"], "domain_id": DOMAIN, "only": [path]})
        else:
            client.list({"domain_id": DOMAIN, "query": {"only": [path]}})

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details().startswith("ERROR_INVALID_PARAMETER: ")
