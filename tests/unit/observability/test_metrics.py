"""Metrics: names and labels after simulated calls, each Metrics in its own registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client import REGISTRY, CollectorRegistry

from jobtask.edges.grpc.servicer import observed
from jobtask.errors import NotFound, RequiredParameter
from jobtask.observability.metrics import Metrics
from jobtask.observability.observe import Observation
from jobtask.rpcs import Rpc
from tests.support.grpc_context import Aborted, FakeContext

SERVICE = "spaceone.api.inventory.v1.JobTask"


def call(
    metrics: Metrics, method: str, behaviour: Callable[[Any, Any], Any], request: Any = None
) -> Any:
    """One call through the gRPC edge's observed behaviour, as grpc makes it."""
    rpc = Rpc(SERVICE, method)
    serve = observed(
        Observation(metrics), rpc, lambda request, context, seen: behaviour(request, context)
    )
    return serve(request, FakeContext())


def aborting(error: Exception) -> Callable[[Any, Any], Any]:
    """A behaviour that fails with `error`, which the edge answers with its status (abort)."""

    def behaviour(request: Any, context: Any) -> Any:
        raise error

    return behaviour


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def metrics(registry: CollectorRegistry) -> Metrics:
    return Metrics(registry)


def labels(method: str, code: str) -> dict[str, str]:
    return {"service": SERVICE, "method": method, "code": code}


def test_calls_are_counted_and_timed_by_service_method_and_code(
    metrics: Metrics, registry: CollectorRegistry
) -> None:
    call(metrics, "get", lambda r, c: "ok")
    call(metrics, "get", lambda r, c: "ok")
    with pytest.raises(Aborted):
        call(metrics, "get", aborting(NotFound({"job_task_id": "x"})))

    value = registry.get_sample_value
    assert value("jobtask_grpc_requests_total", labels("get", "OK")) == 2
    assert value("jobtask_grpc_requests_total", labels("get", "NOT_FOUND")) == 1
    assert value("jobtask_grpc_request_duration_seconds_count", labels("get", "OK")) == 2
    assert value("jobtask_grpc_request_duration_seconds_count", labels("get", "NOT_FOUND")) == 1
    assert (
        value("jobtask_grpc_request_duration_seconds_bucket", {**labels("get", "OK"), "le": "+Inf"})
        == 2
    )


def test_failures_are_counted_by_spaceone_error_code(
    metrics: Metrics, registry: CollectorRegistry
) -> None:
    invalid = aborting(RequiredParameter("domain_id"))
    for _ in range(3):
        with pytest.raises(Aborted):
            call(metrics, "list", invalid)
    call(metrics, "list", lambda r, c: "ok")

    errors = {"service": SERVICE, "method": "list", "error_code": "ERROR_REQUIRED_PARAMETER"}
    assert registry.get_sample_value("jobtask_errors_total", errors) == 3
    assert registry.get_sample_value("jobtask_grpc_requests_total", labels("list", "OK")) == 1


def test_an_unexpected_exception_is_internal_with_the_unknown_error_code(
    metrics: Metrics, registry: CollectorRegistry
) -> None:
    with pytest.raises(Aborted):
        call(metrics, "get", aborting(RuntimeError("bug")))

    assert registry.get_sample_value("jobtask_grpc_requests_total", labels("get", "INTERNAL")) == 1
    errors = {"service": SERVICE, "method": "get", "error_code": "ERROR_UNKNOWN"}
    assert registry.get_sample_value("jobtask_errors_total", errors) == 1


class Escaped(BaseException):
    """Not an Exception: nothing maps it (as KeyboardInterrupt)."""


def test_an_unmapped_exception_is_unknown_without_an_error_code(
    metrics: Metrics, registry: CollectorRegistry
) -> None:
    def broken(request: Any, context: Any) -> Any:
        raise Escaped("bug")

    with pytest.raises(Escaped):
        call(metrics, "get", broken)

    assert registry.get_sample_value("jobtask_grpc_requests_total", labels("get", "UNKNOWN")) == 1
    assert not [s for m in registry.collect() if m.name == "jobtask_errors" for s in m.samples]


def test_calls_in_flight_are_counted_while_they_run(
    metrics: Metrics, registry: CollectorRegistry
) -> None:
    gauge = {"service": SERVICE, "method": "list"}
    seen: list[float | None] = []

    def behaviour(request: Any, context: Any) -> Any:
        seen.append(registry.get_sample_value("jobtask_grpc_requests_in_flight", gauge))
        raise RuntimeError("even when the call fails")

    with pytest.raises(Aborted):
        call(metrics, "list", behaviour)

    assert seen == [1]
    assert registry.get_sample_value("jobtask_grpc_requests_in_flight", gauge) == 0


def test_database_commands_are_timed_by_name(metrics: Metrics, registry: CollectorRegistry) -> None:
    metrics.command_started("find", {"find": "job_task", "filter": {"domain_id": "d"}})
    metrics.command_finished("find", 0.003, failed=False)
    metrics.command_finished("aggregate", 0.2, failed=True)

    value = registry.get_sample_value
    assert value("jobtask_db_command_duration_seconds_count", {"command": "find"}) == 1
    assert value("jobtask_db_command_duration_seconds_sum", {"command": "find"}) == 0.003
    assert value("jobtask_db_command_duration_seconds_count", {"command": "aggregate"}) == 1


def test_instruments_have_their_documented_names_and_labels(
    metrics: Metrics, registry: CollectorRegistry
) -> None:
    call(metrics, "get", lambda r, c: "ok")
    with pytest.raises(Aborted):
        call(metrics, "get", aborting(RequiredParameter("x")))
    metrics.command_finished("find", 0.001, failed=False)

    found = {
        sample.name: set(sample.labels) - {"le"}
        for family in registry.collect()
        for sample in family.samples
        if not sample.name.endswith("_created")
    }
    call_labels = {"service", "method", "code"}
    assert found == {
        "jobtask_grpc_requests_total": call_labels,
        "jobtask_grpc_request_duration_seconds_bucket": call_labels,
        "jobtask_grpc_request_duration_seconds_count": call_labels,
        "jobtask_grpc_request_duration_seconds_sum": call_labels,
        "jobtask_grpc_requests_in_flight": {"service", "method"},
        "jobtask_errors_total": {"service", "method", "error_code"},
        "jobtask_db_command_duration_seconds_bucket": {"command"},
        "jobtask_db_command_duration_seconds_count": {"command"},
        "jobtask_db_command_duration_seconds_sum": {"command"},
    }


def test_each_metrics_counts_in_its_own_registry_never_the_global_one() -> None:
    first, second = Metrics(CollectorRegistry()), Metrics(CollectorRegistry())

    call(first, "get", lambda r, c: "ok")

    assert first.registry.get_sample_value("jobtask_grpc_requests_total", labels("get", "OK")) == 1
    assert (
        second.registry.get_sample_value("jobtask_grpc_requests_total", labels("get", "OK")) is None
    )
    assert REGISTRY.get_sample_value("jobtask_grpc_requests_total", labels("get", "OK")) is None
