"""The servers' CPU per call, for make bench (issue #28): what the server processes that answered
a scenario spent on the CPU while it ran (every thread, user and system; Linux's per-thread
`schedstat`, in nanoseconds), less what they spend idle, over the calls they answered.

A p50 moves with the engine's speed from run to run and with the machine's noise; the CPU a
server spends per call does not wait on the engine, so it shows a change to the service's own
work (its Python, grpcio's, pymongo's) that the p50 ratios cannot resolve. It counts the cold
start after the engine's answer too: measured so, it is what the call costs as served.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# What to measure an idle server over, to subtract its background threads (the driver's
# monitors, the database probe, the HTTP edge's loop) from a scenario's figure.
IDLE_SECONDS = 3.0


def cpu_seconds(pids: Iterable[int]) -> float:
    """The CPU time every thread of `pids` has used so far (threads that ended are not counted,
    and a server's threads live as long as it does)."""
    total = 0.0
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").iterdir():
            total += _thread_seconds(task)
    return total


def _thread_seconds(task: Path) -> float:
    try:
        return int((task / "schedstat").read_text().split()[0]) / 1e9
    except FileNotFoundError:  # the thread ended
        return 0.0
    except (OSError, ValueError, IndexError):  # no schedstat: the clock ticks of stat
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Used:
    """What one measured stretch used: CPU seconds over the idle background."""

    seconds: float = 0.0
    measured: bool = False

    def per_call_ms(self, calls: int) -> float | None:
        """Milliseconds per call; None when nothing was measured or answered."""
        return self.seconds / calls * 1000 if self.measured and calls else None


class CpuMeter:
    """The servers of each mode (their process ids) and the CPU each spends idle per second."""

    def __init__(self, pids_by_mode: dict[str, list[int]]) -> None:
        self.pids_by_mode = pids_by_mode
        every = [pid for pids in pids_by_mode.values() for pid in pids]
        before, started = {pid: cpu_seconds([pid]) for pid in every}, time.monotonic()
        time.sleep(IDLE_SECONDS)
        elapsed = time.monotonic() - started
        self.idle_per_second = {pid: (cpu_seconds([pid]) - before[pid]) / elapsed for pid in every}

    @contextmanager
    def measuring(self, mode: str | None) -> Iterator[Used]:
        """The CPU `mode`'s servers use in the block over their idle rate (nothing measured for
        `None`: the scenario is not one of a mode's servers beside a raw path)."""
        used = Used()
        if mode is None:
            yield used
            return
        pids = self.pids_by_mode[mode]
        before, started = cpu_seconds(pids), time.monotonic()
        yield used
        idle = sum(self.idle_per_second[pid] for pid in pids) * (time.monotonic() - started)
        used.seconds, used.measured = max(cpu_seconds(pids) - before - idle, 0.0), True

    def describe(self) -> str:
        rates = ", ".join(f"{rate * 1000:.1f}" for rate in self.idle_per_second.values())
        return f"servers idle: {rates} ms of CPU per second (subtracted from each scenario's)"
