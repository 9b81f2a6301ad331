"""Our errors map to gRPC status codes in one table; details are '<CODE>: <message>'."""

from __future__ import annotations

import grpc
import pytest

from jobtask.calls.status import code_of
from jobtask.edges.grpc.status import GRPC_CODES
from jobtask.errors import (
    InvalidParameter,
    JobTaskError,
    NotFound,
    OperatorListValueType,
    RequiredParameter,
    StorageError,
    StorageTimeout,
    StorageUnavailable,
    UnsupportedOperator,
)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (RequiredParameter("domain_id"), grpc.StatusCode.INVALID_ARGUMENT),
        (InvalidParameter("k", "r"), grpc.StatusCode.INVALID_ARGUMENT),
        (UnsupportedOperator("x", ["eq"]), grpc.StatusCode.INVALID_ARGUMENT),
        (OperatorListValueType("in", {}), grpc.StatusCode.INVALID_ARGUMENT),
        (NotFound({"a": "b"}), grpc.StatusCode.NOT_FOUND),
        (StorageUnavailable("down"), grpc.StatusCode.UNAVAILABLE),
        (StorageTimeout("slow"), grpc.StatusCode.DEADLINE_EXCEEDED),
        (StorageError("boom"), grpc.StatusCode.INTERNAL),
        (JobTaskError("?"), grpc.StatusCode.INTERNAL),
    ],
)
def test_each_error_maps_to_its_status_code(error: JobTaskError, code: grpc.StatusCode) -> None:
    assert GRPC_CODES[code_of(error)] is code


def test_details_carry_the_spaceone_code_first() -> None:
    assert str(RequiredParameter("domain_id")) == (
        "ERROR_REQUIRED_PARAMETER: Required parameter. (key = domain_id)"
    )


def test_every_code_of_the_call_layer_is_a_grpc_status_code_of_the_same_name() -> None:
    assert set(GRPC_CODES.values()) == set(grpc.StatusCode)
    assert all(GRPC_CODES[code].name == code.name for code in GRPC_CODES)
