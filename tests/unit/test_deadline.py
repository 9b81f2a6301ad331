"""countdown: one deadline for the several database operations of a use case."""

from __future__ import annotations

import time

from jobtask.deadline import countdown


def test_without_a_timeout_there_is_no_deadline() -> None:
    assert countdown(None)() is None


def test_each_operation_gets_what_the_earlier_ones_left() -> None:
    remaining = countdown(5.0)
    first = remaining()
    time.sleep(0.02)
    second = remaining()

    assert first is not None and second is not None
    assert first <= 5.0
    assert second <= first - 0.02
