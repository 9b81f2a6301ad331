"""get and delete over real gRPC: scoping to the caller's domain, projections, NOT_FOUND."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from tests.support.dataset import DOMAIN, OTHER_DOMAIN, tasks_in
from tests.support.independent_client import IndependentJobTaskClient

pytestmark = pytest.mark.usefixtures("seeded")

TASK_ID = "job_task-3f9c0a1b2c4d"
OTHER_TASK_ID = "job_task-bbbb00000001"


def _code(call: Any) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value.code()


def test_get_returns_the_full_view(client: IndependentJobTaskClient) -> None:
    task = client.get({"job_task_id": TASK_ID, "domain_id": DOMAIN})

    assert task["job_task_id"] == TASK_ID
    assert task["status"] == "FAILURE"
    assert task["created_at"] == "2023-01-05T09:00:00.120Z"
    assert [e["error_code"] for e in task["errors"]] == ["ERROR_PLUGIN", "ERROR_AUTH"]
    assert "collector_id" not in task and "total_count" not in task


def test_get_only_renders_nothing_but_the_fields_asked_for(
    client: IndependentJobTaskClient,
) -> None:
    task = client.get({"job_task_id": TASK_ID, "domain_id": DOMAIN, "only": ["job_id"]})

    assert task == {"job_id": "job-000000000001"}


def test_get_only_reaches_inside_errors(client: IndependentJobTaskClient) -> None:
    task = client.get(
        {"job_task_id": TASK_ID, "domain_id": DOMAIN, "only": ["errors.error_code", "status"]}
    )

    assert task == {
        "status": "FAILURE",
        "errors": [{"error_code": "ERROR_PLUGIN"}, {"error_code": "ERROR_AUTH"}],
    }


def test_get_another_domains_task_is_not_found_like_a_missing_one(
    client: IndependentJobTaskClient,
) -> None:
    with pytest.raises(grpc.RpcError) as other:
        client.get({"job_task_id": OTHER_TASK_ID, "domain_id": DOMAIN})
    with pytest.raises(grpc.RpcError) as missing:
        client.get({"job_task_id": "job_task-000000000000", "domain_id": DOMAIN})

    assert other.value.code() is missing.value.code() is grpc.StatusCode.NOT_FOUND
    assert other.value.details() == (
        f"ERROR_NOT_FOUND: Value not found. (('job_task_id', 'domain_id') = "
        f"('{OTHER_TASK_ID}', '{DOMAIN}'))"
    )


@pytest.mark.parametrize(
    ("request_", "missing"),
    [
        ({"domain_id": DOMAIN}, "job_task_id"),
        ({"job_task_id": TASK_ID}, "domain_id"),
        ({}, "job_task_id"),
    ],
)
def test_get_and_delete_name_the_first_missing_parameter(
    client: IndependentJobTaskClient, request_: dict[str, str], missing: str
) -> None:
    for call in (client.get, client.delete):
        with pytest.raises(grpc.RpcError) as raised:
            call(request_)
        assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert (
            raised.value.details()
            == f"ERROR_REQUIRED_PARAMETER: Required parameter. (key = {missing})"
        )


def test_get_only_unknown_field_is_invalid_argument(client: IndependentJobTaskClient) -> None:
    code = _code(
        lambda: client.get({"job_task_id": TASK_ID, "domain_id": DOMAIN, "only": ["nope"]})
    )

    assert code is grpc.StatusCode.INVALID_ARGUMENT


def test_delete_removes_only_that_task_and_a_second_delete_is_not_found(
    client: IndependentJobTaskClient, seeded: Any
) -> None:
    assert client.delete({"job_task_id": TASK_ID, "domain_id": DOMAIN}) == {}

    assert seeded.count_documents({"job_task_id": TASK_ID}) == 0
    assert seeded.count_documents({"domain_id": DOMAIN}) == len(tasks_in(DOMAIN)) - 1
    code = _code(lambda: client.delete({"job_task_id": TASK_ID, "domain_id": DOMAIN}))
    assert code is grpc.StatusCode.NOT_FOUND


def test_delete_cannot_remove_another_domains_task(
    client: IndependentJobTaskClient, seeded: Any
) -> None:
    code = _code(lambda: client.delete({"job_task_id": OTHER_TASK_ID, "domain_id": DOMAIN}))

    assert code is grpc.StatusCode.NOT_FOUND
    assert seeded.count_documents({"job_task_id": OTHER_TASK_ID, "domain_id": OTHER_DOMAIN}) == 1
