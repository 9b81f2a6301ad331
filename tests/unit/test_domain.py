"""The field catalogue (checked against the proto), what its roles derive (a list request's
filters, a create's identity), path kinds and the document mapping."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from operator import attrgetter
from typing import Any, Final, cast

import pytest

from jobtask.domain import (
    COUNTERS,
    DATE_FIELDS,
    FIELD_KINDS,
    IDENTITY_FIELDS,
    INDEX_KEYS,
    INDEXED_FIELDS,
    MINIMAL_FIELDS,
    QUERY_FILTERS,
    RETURNED_FIELDS,
    STATUSES,
    FieldKind,
    JobTask,
    JobTaskStatus,
    StoredTask,
    TaskError,
    field_kind,
    on_line,
    to_task,
)
from jobtask.lines.v1 import requests as v1_requests
from jobtask.lines.v2 import requests as v2_requests
from jobtask.lines.v2 import wire
from jobtask.services.collector import JobTaskStore, JobTaskWriter, NewTask, WriterLimits
from jobtask.services.reads import ListRequest
from jobtask_internal.v1 import job_task_writer_pb2
from spaceone.api.inventory.v1 import job_task_pb2
from tests.support.dataset import SPACEONE_EXAMPLE

STRING: Final = FieldKind.STRING
INTEGER: Final = FieldKind.INTEGER
DATE: Final = FieldKind.DATE
ERRORS: Final = FieldKind.ERRORS
FREEFORM: Final = FieldKind.FREEFORM


# ---------------------------------------------------------------------------------------------
# The catalogue against the proto


def test_returned_fields_of_1x_are_the_fields_of_its_job_task_info() -> None:
    proto_fields = job_task_pb2.JobTaskInfo.DESCRIPTOR.fields_by_name

    assert set(on_line(RETURNED_FIELDS, 1)) == set(proto_fields)
    assert len(RETURNED_FIELDS) == len(set(RETURNED_FIELDS))


def test_returned_fields_are_the_fields_of_2x_job_task_info() -> None:
    info = wire.POOL.FindMessageTypeByName(f"{wire.INVENTORY}.JobTaskInfo")

    assert set(on_line(RETURNED_FIELDS, 2)) == set(RETURNED_FIELDS) == set(info.fields_by_name)
    assert set(RETURNED_FIELDS) - set(on_line(RETURNED_FIELDS, 1)) == {"workspace_id"}


def test_returned_fields_follow_the_1x_proto_field_numbers() -> None:
    info = job_task_pb2.DESCRIPTOR.message_types_by_name["JobTaskInfo"]
    by_number = sorted(info.fields, key=attrgetter("number"))

    assert tuple(proto_field.name for proto_field in by_number) == on_line(RETURNED_FIELDS, 1)


def test_minimal_fields_are_the_minimal_view_of_the_spec() -> None:
    assert set(MINIMAL_FIELDS) == {
        "job_task_id",
        "status",
        "created_count",
        "updated_count",
        "failure_count",
        "deleted_count",
        "disconnected_count",
        "job_id",
        "created_at",
        "started_at",
        "finished_at",
    }
    assert set(MINIMAL_FIELDS) <= set(RETURNED_FIELDS)


def _proto_fields(message: Any) -> tuple[str, ...]:
    """A message's field names in field-number order."""
    return tuple(f.name for f in sorted(message.DESCRIPTOR.fields, key=lambda f: f.number))


def test_query_filters_are_the_scalar_filters_of_job_task_query_in_its_order() -> None:
    fields = _proto_fields(job_task_pb2.JobTaskQuery)

    assert fields == ("query", *on_line(QUERY_FILTERS, 1), "domain_id")
    assert set(QUERY_FILTERS) <= set(RETURNED_FIELDS)


def test_query_filters_are_the_filters_of_2x_job_task_query() -> None:
    query = wire.POOL.FindMessageTypeByName(f"{wire.INVENTORY}.JobTaskQuery")

    assert set(on_line(QUERY_FILTERS, 2)) == set(QUERY_FILTERS)
    assert {"query", *QUERY_FILTERS} == set(query.fields_by_name)


def test_identity_fields_are_what_a_create_request_names_beside_its_id() -> None:
    fields = _proto_fields(job_task_writer_pb2.CreateJobTaskRequest)

    assert set(fields) == {"job_task_id", *IDENTITY_FIELDS}
    assert len(fields) == len(IDENTITY_FIELDS) + 1
    assert set(IDENTITY_FIELDS) <= set(FIELD_KINDS)


def test_counters_are_the_increments_of_a_progress_report_in_its_order() -> None:
    fields = _proto_fields(job_task_writer_pb2.ReportProgressRequest)

    assert fields == ("job_task_id", "domain_id", *COUNTERS, "errors")
    int32 = {f.name for f in job_task_pb2.JobTaskInfo.DESCRIPTOR.fields if f.type == f.TYPE_INT32}
    assert set(COUNTERS) == int32


def test_every_request_of_the_writer_names_its_task_as_the_resource_does() -> None:
    """Each writer request's job_task_id and domain_id are the resource's (string) fields."""
    info = job_task_pb2.JobTaskInfo.DESCRIPTOR.fields_by_name
    for message in job_task_writer_pb2.DESCRIPTOR.message_types_by_name.values():
        for name, proto_field in message.fields_by_name.items():
            if name in ("job_task_id", "domain_id"):
                assert proto_field.type == info[name].type, (message.name, name)


def test_date_and_indexed_fields_are_fields_of_the_resource() -> None:
    assert DATE_FIELDS == ("created_at", "started_at", "finished_at")
    assert set(INDEXED_FIELDS) <= set(QUERY_FILTERS)
    assert len(set(INDEXED_FIELDS)) == len(INDEXED_FIELDS)
    assert {keys[0] for keys in INDEX_KEYS} == set(INDEXED_FIELDS)
    assert {key for keys in INDEX_KEYS for key in keys} <= set(QUERY_FILTERS)


def test_workspace_index_is_spaceone_2x_models() -> None:
    """inventory 2.x's JobTask model: {fields: [domain_id, workspace_id, project_id]}."""
    assert ("workspace_id", "project_id") in INDEX_KEYS
    assert all(len(keys) == 1 for keys in INDEX_KEYS if keys[0] != "workspace_id")


def test_statuses_are_the_proto_enum_names_except_none() -> None:
    enum_names = set(job_task_pb2.JobTaskInfo.JobTaskStatus.keys())

    assert enum_names - STATUSES == {"JOB_TASK_STATE_NONE"}
    assert {status.value for status in JobTaskStatus} == STATUSES


def test_task_error_fields_are_the_fields_of_error_info() -> None:
    error_info = job_task_pb2.JobTaskInfo.DESCRIPTOR.fields_by_name["errors"].message_type

    assert error_info is not None
    assert error_info.name == "ErrorInfo"
    assert {f.name for f in dataclasses.fields(TaskError)} == set(error_info.fields_by_name)


# ---------------------------------------------------------------------------------------------
# What the roles derive: a list request's equality filters and a create's identity. Each test runs
# over every field of the catalogue and expects what its roles say, so a role given to a field
# changes these answers with nothing written beside the declaration.

ALL_FIELDS: Final = tuple(FIELD_KINDS)


@pytest.mark.parametrize("name", ALL_FIELDS)
def test_a_list_request_filters_by_a_field_if_it_has_the_filter_role(name: str) -> None:
    if name in QUERY_FILTERS:
        assert ListRequest(filters={name: "x-1"}).equals() == {name: "x-1"}
    else:
        with pytest.raises(ValueError, match=name):
            ListRequest(filters={name: "x-1"})


def test_a_list_request_matches_its_filters_in_the_roles_order_and_skips_the_empty() -> None:
    given = {name: f"{name}-1" for name in reversed(QUERY_FILTERS)}

    assert tuple(ListRequest(filters=given).equals()) == QUERY_FILTERS
    assert ListRequest(filters=dict.fromkeys(QUERY_FILTERS, "")).equals() == {}
    assert ListRequest(filters={"status": JobTaskStatus.FAILURE}).equals() == {"status": "FAILURE"}


def _sent_filters(message: Any, line: int) -> dict[str, str]:
    """Sets each filter `line`'s JobTaskQuery carries on `message`: what its request must hold."""
    sent: dict[str, str] = {}
    for name in on_line(QUERY_FILTERS, line):
        if name == "status":
            message.status = job_task_pb2.JobTaskQuery.JobTaskStatus.Value("FAILURE")
            sent[name] = JobTaskStatus.FAILURE
        else:
            setattr(message, name, sent.setdefault(name, f"{name}-1"))
    return sent


def test_each_lines_list_request_carries_every_filter_its_job_task_query_has() -> None:
    message_1x = job_task_pb2.JobTaskQuery()
    sent_1x = _sent_filters(message_1x, 1)
    message_2x: Any = wire.JobTaskQuery()
    sent_2x = _sent_filters(message_2x, 2)

    assert v1_requests.to_list_request(message_1x).filters == sent_1x
    assert v2_requests.to_list_request(message_2x).filters == sent_2x
    assert set(sent_2x) == set(QUERY_FILTERS)


@pytest.mark.parametrize("name", ALL_FIELDS)
def test_a_create_names_a_field_if_it_has_the_identity_role(name: str) -> None:
    if name in ("domain_id", "job_id"):  # the two a create requires: NewTask's own
        assert name in IDENTITY_FIELDS
    elif name in IDENTITY_FIELDS:
        assert NewTask("d", "j", {name: "x-1"}).identity()[name] == "x-1"
    else:
        with pytest.raises(ValueError, match=name):
            NewTask("d", "j", {name: "x-1"})


class _Inserts:
    """The one store call a first create makes: its insert, kept."""

    def __init__(self) -> None:
        self.stored: list[StoredTask] = []

    def insert(self, stored: StoredTask, *, timeout: float | None) -> bool:
        self.stored.append(stored)
        return True


def test_a_create_stores_every_identity_field_the_request_names() -> None:
    """From the writer's CreateJobTaskRequest through the line and the writer to what storage
    is handed: every identity field, the domain the call's."""
    sent = {name: f"{name}-1" for name in IDENTITY_FIELDS}
    message = job_task_writer_pb2.CreateJobTaskRequest(**sent)
    store = _Inserts()
    writer = JobTaskWriter(cast(JobTaskStore, store), limits=WriterLimits(), clock=datetime.now)

    writer.create(v1_requests.to_new_task(message, "domain-call"))

    (stored,) = store.stored
    assert {name: stored.value(name) for name in IDENTITY_FIELDS} == {
        **sent,
        "domain_id": "domain-call",
    }


# ---------------------------------------------------------------------------------------------
# field_kind


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("job_task_id", STRING),
        ("status", STRING),
        ("job_id", STRING),
        ("secret_id", STRING),
        ("provider", STRING),
        ("service_account_id", STRING),
        ("project_id", STRING),
        ("domain_id", STRING),
        ("collector_id", STRING),
        ("created_count", INTEGER),
        ("updated_count", INTEGER),
        ("failure_count", INTEGER),
        ("deleted_count", INTEGER),
        ("disconnected_count", INTEGER),
        ("total_count", INTEGER),
        ("created_at", DATE),
        ("started_at", DATE),
        ("finished_at", DATE),
        ("errors", ERRORS),
        ("errors.error_code", STRING),
        ("errors.message", STRING),
        ("errors.additional", FREEFORM),
        ("errors.additional.provider", FREEFORM),
        ("errors.additional.a.b.c", FREEFORM),
        ("errors.additional.0", FREEFORM),
        ("errors.0", FREEFORM),
        ("errors.12", FREEFORM),
        ("errors.0.error_code", STRING),
        ("errors.0.message", STRING),
        ("errors.0.additional", FREEFORM),
        ("errors.0.additional.x", FREEFORM),
    ],
)
def test_field_kind_of_resource_paths(path: str, kind: FieldKind) -> None:
    assert field_kind(path) is kind


@pytest.mark.parametrize(
    "path",
    [
        "",
        ".",
        "foo",
        "foo.bar",
        "_id",
        "id",
        "pk",
        "user_projects",
        "Status",
        "status ",
        "status.",
        ".status",
        "status.x",
        "created_count.x",
        "created_at.x",
        "errors.",
        "errors..message",
        "errors.bogus",
        "errors.error_code.x",
        "errors.message.x",
        "errors.0.0",
        "errors.0.bogus",
        "errors.0.",
        "errors.additional.",
        "errors.additional..x",
        "$where",
        "status.$ne",
        "errors.$",
        "errors.$.message",
        "errors.$[].message",
        "errors.additional.$gt",
        "errors.0.$x",
        "status\x00",
        "errors.additional.x\x00",
        "errors.additional.\x00",
    ],
)
def test_field_kind_is_none_for_anything_else(path: str) -> None:
    assert field_kind(path) is None


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("collector_id", STRING),
        ("total_count", INTEGER),
        ("reported_error_count", INTEGER),
        ("collector_id.x", None),
        ("total_count.0", None),
    ],
)
def test_field_kind_of_stored_fields_that_are_never_returned(
    path: str, kind: FieldKind | None
) -> None:
    assert field_kind(path) is kind


def test_every_returned_and_stored_field_has_a_kind() -> None:
    for name in (*RETURNED_FIELDS, "collector_id", "total_count", "reported_error_count"):
        assert field_kind(name) is not None


@pytest.mark.parametrize("path", ["errors.additional.a$b", "errors.additional.x$"])
def test_field_kind_rejects_a_dollar_anywhere_in_a_segment(path: str) -> None:
    assert field_kind(path) is None


# ---------------------------------------------------------------------------------------------
# to_task

FULL: Final[dict[str, Any]] = {"_id": "64a0c0ffee0000000000a001", **SPACEONE_EXAMPLE}


def test_to_task_maps_every_returned_field() -> None:
    task = to_task(FULL)

    assert task == JobTask(
        job_task_id="job_task-3f9c0a1b2c4d",
        status=JobTaskStatus.FAILURE,
        created_count=0,
        updated_count=12,
        failure_count=2,
        deleted_count=0,
        disconnected_count=1,
        errors=(
            TaskError(
                error_code="ERROR_PLUGIN",
                message="timeout while listing buckets",
                additional={"resource_type": "inventory.CloudService", "provider": "aws"},
            ),
        ),
        job_id="job-5b1e2d3c4f60",
        secret_id="secret-aa11bb22cc33",
        provider="aws",
        service_account_id="sa-112233445566",
        project_id="project-665544332211",
        domain_id="domain-abcdef123456",
        created_at=datetime(2023, 1, 5, 9, 0, 0, 120000),
        started_at=datetime(2023, 1, 5, 9, 0, 0, 450000),
        finished_at=datetime(2023, 1, 5, 9, 3, 11, 7000),
    )
    assert isinstance(task.status, JobTaskStatus)


def test_to_task_ignores_stored_only_and_unknown_keys() -> None:
    task = to_task({"job_task_id": "t", "collector_id": "c", "total_count": 3, "_id": 1, "x": 2})

    assert task == JobTask(job_task_id="t")


def test_to_task_leaves_absent_fields_unset() -> None:
    assert to_task({}) == JobTask()
    assert to_task({"job_id": "j"}) == JobTask(job_id="j")


def test_to_task_keeps_nulls_as_none() -> None:
    document = {name: None for name in RETURNED_FIELDS}

    assert to_task(document) == JobTask()


@pytest.mark.parametrize("status", ["DONE", "success", "JOB_TASK_STATE_NONE", "", 5])
def test_to_task_maps_an_unknown_status_to_none(status: Any) -> None:
    assert to_task({"job_task_id": "t", "status": status}).status is None


@pytest.mark.parametrize("status", sorted(STATUSES))
def test_to_task_maps_every_status(status: str) -> None:
    assert to_task({"status": status}).status is JobTaskStatus(status)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        pytest.param([], (), id="empty"),
        pytest.param(
            [{"error_code": "E", "message": "m"}],
            (TaskError(error_code="E", message="m", additional=None),),
            id="without-additional",
        ),
        pytest.param(
            [{"error_code": "E", "message": None, "additional": {"a": 1}}],
            (TaskError(error_code="E", message=None, additional={"a": 1}),),
            id="with-additional-null-message",
        ),
        pytest.param(
            [{"error_code": "E", "additional": "not an object"}],
            (TaskError(error_code="E", additional=None),),
            id="additional-not-an-object",
        ),
        pytest.param(
            [{"additional": None, "extra": "ignored"}],
            (TaskError(),),
            id="empty-element-extra-keys-ignored",
        ),
        pytest.param(
            [{"error_code": "A"}, "junk", None, {"error_code": "B"}],
            (TaskError(error_code="A"), TaskError(error_code="B")),
            id="non-objects-dropped-order-kept",
        ),
    ],
)
def test_to_task_maps_errors(stored: list[Any], expected: tuple[TaskError, ...]) -> None:
    assert to_task({"errors": stored}).errors == expected


def test_to_task_leaves_null_errors_unset() -> None:
    assert to_task({"errors": None}).errors is None
