"""lines/v2: 2.x requests -> domain values (over the 2.x pool's classes), domain values -> 2.x
answers, and where a 2.x call names its scope (`rpcs.claim`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from google.protobuf import json_format
from google.protobuf.message import Message

from jobtask.auth.permissions import Access, Claim
from jobtask.auth.security import Security
from jobtask.domain import JobTask, JobTaskStatus, TaskError
from jobtask.errors import InvalidParameter, OperatorValueType, RequiredParameter
from jobtask.lines.v2 import answers, requests, rpcs, wire
from jobtask.query.model import Condition, Page, SortKey
from jobtask.query.stat_model import AggregateSort, AggregateUnwind
from jobtask.query.stat_plan import StatResult
from jobtask.rpcs import GET
from jobtask.scope import Scope
from spaceone.api.inventory.v1 import job_task_pb2


def _message(cls: type[Message], fields: dict[str, Any]) -> Message:
    return json_format.ParseDict(fields, cls())


def test_get_and_delete_read_the_id() -> None:
    request = _message(wire.JobTaskRequest, {"job_task_id": "job-task-1"})

    assert requests.to_job_task_id(request) == "job-task-1"


def test_a_1x_message_of_the_same_name_is_refused() -> None:
    with pytest.raises(TypeError, match=r"not the 2\.x pool's"):
        requests.to_job_task_id(job_task_pb2.JobTaskRequest(job_task_id="x"))


def test_list_request_fields_are_equality_filters_and_the_query_is_read() -> None:
    request = _message(
        wire.JobTaskQuery,
        {
            "query": {
                "filter": [{"k": "status", "v": "FAILURE", "o": "eq"}],
                "filter_or": [{"key": "provider", "value": "aws", "operator": "eq"}],
                "sort": [{"key": "provider"}, {"key": "created_at", "desc": True}],
                "page": {"start": 2, "limit": 5000},
                "only": ["job_task_id"],
                "minimal": True,
                "count_only": True,
                "keyword": "abc",
            },
            "status": "SUCCESS",
            "provider": "aws",
            "project_id": "project-1",
        },
    )

    listed = requests.to_list_request(request)

    assert listed.filters == {"status": "SUCCESS", "provider": "aws", "project_id": "project-1"}
    assert listed.filters["status"] is JobTaskStatus.SUCCESS
    query = listed.query
    assert query.filter == (Condition("status", "FAILURE", "eq"),)
    assert query.filter_or == (Condition("provider", "aws", "eq"),)
    assert query.sort == (SortKey("provider"), SortKey("created_at", desc=True))
    assert query.page == Page(start=2, limit=1000)  # 2.x's cap
    assert (query.only, query.minimal, query.count_only, query.keyword) == (
        ("job_task_id",),
        True,
        True,
        "abc",
    )


def test_lookup_is_refused_by_name() -> None:
    request = _message(wire.JobTaskQuery, {"query": {"lookup": [{"from": "job"}]}})

    with pytest.raises(InvalidParameter, match=r"key = query\.lookup"):
        requests.to_list_request(request)


def test_the_default_page_is_at_most_the_servers() -> None:
    request = _message(wire.JobTaskQuery, {"query": {"page": {"start": 3}}})

    assert requests.to_list_request(request, max_page_size=50).query.page == Page(3, 50)


def test_an_unknown_status_number_is_invalid() -> None:
    request: Any = wire.JobTaskQuery()
    request.status = 9

    with pytest.raises(InvalidParameter, match="key = status"):
        requests.to_list_request(request)


def test_stat_reads_the_2x_unwind_and_sort_list() -> None:
    request = _message(
        wire.JobTaskStatQuery,
        {
            "query": {
                "aggregate": [
                    {"unwind": {"path": "errors"}},
                    {"sort": [{"key": "n", "desc": True}, {"key": "status"}]},
                ]
            }
        },
    )

    stat = requests.to_stat_request(request, timezone="Asia/Seoul")

    assert stat.timezone == "Asia/Seoul"
    assert stat.query is not None
    assert stat.query.aggregate == (
        AggregateUnwind("errors"),
        AggregateSort(keys=(SortKey("n", desc=True), SortKey("status"))),
    )


def test_stat_without_a_query_has_none() -> None:
    assert requests.to_stat_request(wire.JobTaskStatQuery()).query is None


TASK = JobTask(
    job_task_id="job-task-1",
    status=JobTaskStatus.FAILURE,
    failure_count=2,
    errors=(TaskError("ERROR_PLUGIN", "timeout", {"provider": "aws"}),),
    domain_id="domain-1",
    created_at=datetime(2023, 1, 5, 9, 0, 0, 120_000),
)


def test_a_task_renders_as_the_2x_job_task_info() -> None:
    info = answers.to_task_info(TASK)

    assert isinstance(info, wire.JobTaskInfo)
    assert json_format.MessageToDict(info, preserving_proto_field_name=True) == {
        "job_task_id": "job-task-1",
        "status": "FAILURE",
        "failure_count": 2,
        "errors": [
            {"error_code": "ERROR_PLUGIN", "message": "timeout", "additional": {"provider": "aws"}}
        ],
        "domain_id": "domain-1",
        "created_at": "2023-01-05T09:00:00.120Z",
    }


def test_fields_not_loaded_are_not_set_not_even_status() -> None:
    info: Any = answers.to_task_info(JobTask(job_id="job-1"))

    assert info.ListFields()[0][0].name == "job_id"
    assert len(info.ListFields()) == 1


def test_a_page_and_a_stat_answer_are_2x_messages() -> None:
    page: Any = answers.to_tasks_info([TASK, JobTask(job_id="job-1")], 7)
    stat = answers.to_stat_struct(StatResult([{"n": 1, "at": datetime(2023, 1, 5)}], 3))

    assert (len(page.results), page.total_count) == (2, 7)
    assert page.results[0].errors[0].error_code == "ERROR_PLUGIN"
    assert isinstance(page, wire.JobTasksInfo)
    assert isinstance(stat, wire.Struct)
    assert json_format.MessageToDict(stat) == {
        "results": [{"n": 1.0, "at": "2023-01-05T00:00:00.000Z"}],
        "total_count": 3.0,
    }


@pytest.mark.parametrize(
    ("metadata", "claim"),
    [
        ([("x_domain_id", "domain-1")], Claim("domain-1", None, required=True)),
        ([("x_domain_id", " domain-1 "), ("x_domain_id", "d2")], Claim("domain-1", required=True)),
        ([("x-domain-id", "domain-1")], Claim("", required=True)),
        ([("x_workspace_id", "")], Claim("", required=True)),
        ([("x_workspace_id", "w"), ("x_domain_id", "d")], Claim("d", "w", required=True)),
        ([], Claim("", required=True)),
    ],
)
def test_a_2x_call_claims_the_domain_in_its_metadata(metadata: Any, claim: Claim) -> None:
    assert rpcs.claim(wire.JobTaskRequest(), metadata) == claim


def test_without_authentication_the_claim_is_the_scope_and_a_domain_is_required() -> None:
    access = Access(Security())
    claimed = Claim("domain-1", required=True)

    assert access.scope(GET, wire.JobTaskRequest(), None, claimed) == Scope("domain-1")
    with pytest.raises(RequiredParameter, match="key = domain_id"):
        access.scope(GET, wire.JobTaskRequest(), None, Claim("", required=True))


def test_a_condition_shown_as_json_is_cut_as_a_repr_is() -> None:
    condition = {"key": "job_id", "value": ["x" * 400], "operator": "eq"}

    as_json = OperatorValueType("eq", condition, as_json=True).message
    as_repr = OperatorValueType("eq", condition).message

    assert as_json.startswith("Value of operator 'eq' must not be a list. (condition = {\"key\": ")
    assert as_json.endswith("… (450 characters))")  # the JSON's length, as the repr's below
    assert as_repr.endswith("… (450 characters))")
    assert "{'key': " in as_repr
