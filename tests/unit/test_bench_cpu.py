"""tools/bench_cpu.py: the servers' CPU per call in make bench counts what a process spent on the
CPU in a stretch (every thread), less its idle background, and nothing for a scenario of no one
server. Measured on this process itself."""

from __future__ import annotations

import os
import threading
import time

import pytest
from tools import bench_cpu


def _spend(seconds: float) -> None:
    """Spend `seconds` of CPU on this thread."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_a_stretch_counts_the_cpu_its_processes_spent_in_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bench_cpu, "IDLE_SECONDS", 0.2)
    meter = bench_cpu.CpuMeter({"mode": [os.getpid()]})
    assert meter.idle_per_second[os.getpid()] < 0.1  # it slept
    spent, leave = threading.Event(), threading.Event()

    def other_thread() -> None:  # another thread's CPU counts too, while the thread lives
        _spend(0.1)
        spent.set()
        leave.wait()

    other = threading.Thread(target=other_thread)
    with meter.measuring("mode") as used:
        other.start()
        _spend(0.2)
        spent.wait()
    leave.set()
    other.join()
    assert 0.28 <= used.seconds <= 0.6
    assert used.per_call_ms(3) == pytest.approx(used.seconds / 3 * 1000)
    assert used.per_call_ms(0) is None


def test_a_stretch_of_no_one_server_measures_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_cpu, "IDLE_SECONDS", 0.0)
    meter = bench_cpu.CpuMeter({})
    with meter.measuring(None) as used:
        _spend(0.05)
    assert used.per_call_ms(10) is None
