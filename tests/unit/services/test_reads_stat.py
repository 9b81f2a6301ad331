"""JobTaskService.stat: required parameters, domain scope, row cap, time zone, time limits.

Semantics run over mongomock where it has the stages; the pipeline handed to storage is checked
with a recording fake where mongomock lacks an operator ($dateToString's timezone). Errors from
the driver are checked through MongoJobTaskRepository over a collection stub.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from statistics import mean
from typing import Any

import mongomock
import pytest
from pymongo.errors import ExecutionTimeout, OperationFailure

from jobtask.errors import (
    InvalidParameter,
    JobTaskError,
    OperatorListValueType,
    RequiredParameter,
    StorageError,
    StorageTimeout,
    UnsupportedOperator,
)
from jobtask.query.model import Condition, Page
from jobtask.query.stat_model import (
    AggregateCount,
    AggregateGroup,
    AggregateGroupField,
    AggregateGroupKey,
    AggregateLimit,
    AggregateSort,
    StatisticsQuery,
)
from jobtask.query.stat_plan import StatResult
from jobtask.scope import Scope
from jobtask.services.reads import JobTaskService, StatRequest
from jobtask.storage import MongoJobTaskRepository
from tests.support.dataset import DOMAIN, OTHER_DOMAIN, TASKS, tasks_in

NOW = datetime(2023, 2, 1)
COUNT = AggregateGroupField(name="n", operator="count")
BY_STATUS = AggregateGroup(keys=(AggregateGroupKey("status", "status"),), fields=(COUNT,))
PER_TASK = AggregateGroup(keys=(AggregateGroupKey("job_task_id", "id"),), fields=(COUNT,))


class RecordingRepository:
    """Storage that answers every pipeline with `answer` and remembers what it was asked."""

    def __init__(self, answer: list[dict[str, Any]] | None = None) -> None:
        self.answer = answer or []
        self.calls: list[tuple[list[dict[str, Any]], float | None]] = []

    def aggregate(self, pipeline: Any, *, timeout: float | None) -> list[dict[str, Any]]:
        self.calls.append((list(pipeline), timeout))
        return self.answer

    def find_one(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("stat only aggregates")

    find = count = delete_one = find_one


class CollectionStub:
    """A collection whose aggregate raises `error` (or answers []) and records its options."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.options: list[dict[str, Any]] = []

    def aggregate(self, pipeline: list[Any], **options: Any) -> list[dict[str, Any]]:
        self.options.append(options)
        if self.error is not None:
            raise self.error
        return []


@pytest.fixture
def collection() -> Any:
    collection: Any = mongomock.MongoClient()["inventory"]["job_task"]
    collection.insert_many([dict(t) for t in TASKS])
    return collection


def service_over(repository: Any, **options: Any) -> JobTaskService:
    return JobTaskService(repository, max_page_size=20, clock=lambda: NOW, **options)


@pytest.fixture
def service(collection: Any) -> JobTaskService:
    return service_over(MongoJobTaskRepository(collection))


def stat(service: JobTaskService, domain_id: str = DOMAIN, **query: Any) -> StatResult:
    return service.stat(Scope(domain_id), StatRequest(StatisticsQuery(**query)))


# ---------------------------------------------------------------------------------------------
# Required parameters, in SpaceONE's order, before anything else


@pytest.mark.parametrize(
    ("domain_id", "request_", "missing"),
    [
        ("", StatRequest(), "query"),
        (DOMAIN, StatRequest(), "query"),
        ("", StatRequest(StatisticsQuery(distinct="provider")), "domain_id"),
        (DOMAIN, StatRequest(StatisticsQuery()), "aggregate"),
        # Checked before the filter: a broken filter does not hide the missing aggregate.
        (
            DOMAIN,
            StatRequest(StatisticsQuery(filter=(Condition("x", 1, "bogus"),))),
            "aggregate",
        ),
        (DOMAIN, StatRequest(StatisticsQuery(), timezone="Mars/Olympus"), "aggregate"),
    ],
)
def test_stat_names_the_first_missing_parameter(
    domain_id: str, request_: StatRequest, missing: str
) -> None:
    repository = RecordingRepository()

    with pytest.raises(RequiredParameter) as raised:
        service_over(repository).stat(Scope(domain_id), request_)

    assert raised.value.key == missing
    assert repository.calls == []


@pytest.mark.parametrize(
    ("query", "timezone", "error", "key"),
    [
        (StatisticsQuery(distinct="provider"), "Mars/Olympus", InvalidParameter, "timezone"),
        (StatisticsQuery(distinct="provider"), "../etc/passwd", InvalidParameter, "timezone"),
        (StatisticsQuery(distinct="provider"), "Asia", InvalidParameter, "timezone"),
        (
            StatisticsQuery(filter=(Condition("status", "A", "in"),), distinct="provider"),
            "",
            OperatorListValueType,
            None,
        ),
        (
            StatisticsQuery(filter_or=(Condition("status", "A", "like"),), distinct="provider"),
            "",
            UnsupportedOperator,
            "",
        ),
        (StatisticsQuery(distinct="tags"), "", InvalidParameter, "query.distinct"),
        (
            StatisticsQuery(aggregate=(BY_STATUS, AggregateLimit(0))),
            "",
            InvalidParameter,
            "query.aggregate[1].limit",
        ),
        (
            StatisticsQuery(aggregate=(BY_STATUS,), page=Page(limit=11)),
            "",
            InvalidParameter,
            "query.page.limit",
        ),
    ],
)
def test_stat_checks_everything_before_touching_the_database(
    query: StatisticsQuery, timezone: str, error: type[JobTaskError], key: str | None
) -> None:
    repository = RecordingRepository()

    with pytest.raises(error) as raised:
        service_over(repository, stat_max_rows=10).stat(Scope(DOMAIN), StatRequest(query, timezone))

    assert getattr(raised.value, "key", None) == key
    assert repository.calls == []


def test_a_bad_configured_time_zone_fails_at_construction() -> None:
    with pytest.raises(InvalidParameter):
        service_over(RecordingRepository(), stat_timezone="Nowhere/Land")


# ---------------------------------------------------------------------------------------------
# The time zone: the call's, else the configured one


def _day_zone(repository: RecordingRepository) -> str:
    pipeline, _ = repository.calls[-1]
    return str(pipeline[1]["$group"]["_id"]["day"]["$dateToString"]["timezone"])


@pytest.mark.parametrize(
    ("configured", "sent", "used"),
    [
        ("UTC", "", "UTC"),
        ("UTC", "Asia/Seoul", "Asia/Seoul"),
        ("America/New_York", "", "America/New_York"),
        ("America/New_York", "Europe/Berlin", "Europe/Berlin"),
    ],
)
def test_date_buckets_use_the_calls_time_zone_or_the_configured_one(
    configured: str, sent: str, used: str
) -> None:
    repository = RecordingRepository()
    query = StatisticsQuery(
        aggregate=(AggregateGroup(keys=(AggregateGroupKey("created_at", "day", "%Y-%m-%d"),)),)
    )

    service_over(repository, stat_timezone=configured).stat(Scope(DOMAIN), StatRequest(query, sent))

    assert _day_zone(repository) == used


# ---------------------------------------------------------------------------------------------
# Domain scope: nothing in the query reaches another domain


def test_the_match_is_scoped_to_the_domain_around_the_user_filter() -> None:
    repository = RecordingRepository()
    query = StatisticsQuery(
        filter_or=(
            Condition("domain_id", OTHER_DOMAIN, "eq"),
            Condition("status", "SUCCESS", "not"),
        ),
        keyword="abc",
        distinct="provider",
    )

    service_over(repository).stat(Scope(DOMAIN), StatRequest(query))

    [(pipeline, _)] = repository.calls
    match = pipeline[0]["$match"]
    assert match["domain_id"] == DOMAIN
    assert pipeline[0] == {
        "$match": {
            "domain_id": DOMAIN,
            "$or": [{"domain_id": OTHER_DOMAIN}, {"status": {"$ne": "SUCCESS"}}],
            "job_task_id": match["job_task_id"],
        }
    }


def test_filter_or_with_another_domain_cannot_widen_the_scope(service: JobTaskService) -> None:
    result = stat(
        service,
        filter_or=(
            Condition("domain_id", OTHER_DOMAIN, "eq"),
            Condition("status", "FAILURE", "eq"),
        ),
        aggregate=(AggregateCount("n"),),
    )

    assert result.results == [{"n": sum(t["status"] == "FAILURE" for t in tasks_in())}]


def test_a_filter_on_another_domain_finds_nothing(service: JobTaskService) -> None:
    result = stat(
        service, filter=(Condition("domain_id", OTHER_DOMAIN, "eq"),), aggregate=(BY_STATUS,)
    )

    assert result == StatResult([])


def test_distinct_domain_id_is_only_the_callers(service: JobTaskService) -> None:
    assert stat(service, distinct="domain_id") == StatResult([DOMAIN])
    assert stat(service, OTHER_DOMAIN, distinct="domain_id") == StatResult([OTHER_DOMAIN])


def test_the_keyword_narrows(service: JobTaskService) -> None:
    result = stat(
        service,
        keyword="aaaa0000000 3f9c",
        filter_or=(Condition("status", "SUCCESS", "eq"),),
        aggregate=(AggregateCount("n"),),
    )

    expected = [
        t
        for t in tasks_in()
        if t["status"] == "SUCCESS"
        and any(w in t["job_task_id"].lower() for w in ("aaaa0000000", "3f9c"))
    ]
    assert result.results == [{"n": len(expected)}]


# ---------------------------------------------------------------------------------------------
# Semantics over mongomock


def test_tasks_per_status(service: JobTaskService) -> None:
    result = stat(service, aggregate=(BY_STATUS, AggregateSort(key="status")))

    counts = Counter(t["status"] for t in tasks_in())
    assert result.results == [{"status": s, "n": counts[s]} for s in sorted(counts)]


def test_average_with_conditions_leaves_non_matching_tasks_out(service: JobTaskService) -> None:
    average = AggregateGroupField(
        key="updated_count",
        name="avg",
        operator="average",
        conditions=(Condition("status", "SUCCESS", "eq"),),
    )

    result = stat(service, aggregate=(AggregateGroup(fields=(average,)),))

    expected = mean(t["updated_count"] for t in tasks_in() if t["status"] == "SUCCESS")
    assert result.results == [{"avg": pytest.approx(expected)}]


def test_distinct_pages_with_a_total(service: JobTaskService) -> None:
    providers = sorted({t["provider"] for t in tasks_in() if t["provider"]})

    result = stat(
        service,
        filter=(Condition("provider", None, "not"),),
        distinct="provider",
        page=Page(start=2, limit=2),
    )

    assert result == StatResult(providers[1:3], len(providers))


# ---------------------------------------------------------------------------------------------
# The row cap: never a silent truncation


def test_more_rows_than_the_cap_is_invalid_and_asks_for_a_page(collection: Any) -> None:
    capped = service_over(MongoJobTaskRepository(collection), stat_max_rows=len(tasks_in()) - 1)

    with pytest.raises(InvalidParameter) as raised:
        stat(capped, aggregate=(PER_TASK,))

    assert raised.value.key == "query.page.limit"
    paged = stat(capped, aggregate=(PER_TASK,), page=Page(limit=3))
    assert (len(paged.results), paged.total_count) == (3, len(tasks_in()))


def test_exactly_the_cap_is_fine(collection: Any) -> None:
    capped = service_over(MongoJobTaskRepository(collection), stat_max_rows=len(tasks_in()))

    assert len(stat(capped, aggregate=(PER_TASK,)).results) == len(tasks_in())


# ---------------------------------------------------------------------------------------------
# Time limits and database failures


@pytest.mark.parametrize(
    ("deadline", "operation_timeout", "max_time_ms"),
    [
        (None, None, 2500),  # STAT_MAX_TIME_MS alone
        (1.0, None, 1000),  # the client's deadline is sooner
        (None, 0.5, 500),  # MONGODB_OPERATION_TIMEOUT_MS is lower
        (30.0, 60.0, 2500),
    ],
)
def test_every_aggregation_carries_max_time_ms(
    deadline: float | None, operation_timeout: float | None, max_time_ms: int
) -> None:
    stub = CollectionStub()
    repository = MongoJobTaskRepository(stub, operation_timeout=operation_timeout)  # type: ignore[arg-type]

    service_over(repository, stat_max_time=2.5).stat(
        Scope(DOMAIN), StatRequest(StatisticsQuery(distinct="provider")), timeout=deadline
    )

    assert [options["maxTimeMS"] for options in stub.options] == [max_time_ms]


def test_an_aggregation_asks_for_a_full_answer_in_its_first_batch() -> None:
    """Not the driver's 101 rows: a stat answer of a few hundred rows is one round trip."""
    stub = CollectionStub()
    repository = MongoJobTaskRepository(stub)  # type: ignore[arg-type]

    service_over(repository).stat(Scope(DOMAIN), StatRequest(StatisticsQuery(distinct="provider")))

    assert [options["batchSize"] for options in stub.options] == [10_001]


def test_a_passed_deadline_fails_before_the_database() -> None:
    stub = CollectionStub()
    service = service_over(MongoJobTaskRepository(stub))  # type: ignore[arg-type]

    with pytest.raises(StorageTimeout):
        service.stat(Scope(DOMAIN), StatRequest(StatisticsQuery(distinct="provider")), timeout=-0.1)

    assert stub.options == []


@pytest.mark.parametrize(
    ("error", "raised_type", "fragment"),
    [
        (
            ExecutionTimeout("operation exceeded time limit", 50),
            StorageTimeout,
            "time limit of 2500 ms",
        ),
        (
            OperationFailure("can't convert from BSON type string to Date", 16006),
            InvalidParameter,
            "date_format needs dates",
        ),
        (
            OperationFailure("$mergeObjects requires object inputs", 40400),
            InvalidParameter,
            "merge_objects needs objects",
        ),
        (
            OperationFailure("Invalid format character '%Q' in $dateToString format string", 18536),
            InvalidParameter,
            "date_format is not a format the database accepts",
        ),
        (
            OperationFailure("unrecognized time zone identifier", 40485),
            InvalidParameter,
            "time zone",
        ),
        (OperationFailure("exceeded memory limit", 292), InvalidParameter, "memory"),
        # Not the request's fault: the database's.
        (OperationFailure("unknown group operator '$mergeObjects'", 15952), StorageError, ""),
        (OperationFailure("not primary", 10107), StorageError, ""),
    ],
)
def test_database_failures_are_mapped(
    error: Exception, raised_type: type[JobTaskError], fragment: str
) -> None:
    repository = MongoJobTaskRepository(CollectionStub(error))  # type: ignore[arg-type]

    with pytest.raises(JobTaskError) as raised:
        service_over(repository, stat_max_time=2.5).stat(
            Scope(DOMAIN), StatRequest(StatisticsQuery(distinct="provider"))
        )

    assert type(raised.value) is raised_type
    assert fragment in raised.value.message
