"""The server's stop signals: a handler that a second signal interrupts must not deadlock.

A Python signal handler runs on the main thread between two bytecodes, so a second signal can
land inside the first one's handler (`make run` forwards SIGTERM beside the process group's own).
A handler taking a lock there (`threading.Event.set` does) waits for itself: the server never
stopped. The child below makes that happen on purpose: a trace function sends one more signal at
every line the handler (or anything it calls) runs.
"""

from __future__ import annotations

import subprocess
import sys

CHILD = """
import os, signal, sys

from jobtask.__main__ import on_stop_signals

wait = on_stop_signals()
handler = signal.getsignal(signal.SIGTERM)
sent = 0


def inside_handler(frame):
    while frame is not None:
        if frame.f_code is handler.__code__:
            return True
        frame = frame.f_back
    return False


def tracer(frame, event, arg):
    global sent
    if not inside_handler(frame):
        return None
    if event == "line" and sent < 50:
        sent += 1
        os.kill(os.getpid(), signal.SIGINT)
    return tracer


sys.settrace(tracer)
os.kill(os.getpid(), signal.SIGTERM)
number = wait()
sys.settrace(None)
print(f"stopped by {number} with {sent} signals inside the handler")
"""


def test_a_signal_inside_the_handler_of_another_still_stops_the_wait() -> None:
    # subprocess.run kills the child (SIGKILL) when it does not end in time: a deadlocked
    # handler would swallow a SIGTERM.
    result = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("stopped by ")
    assert " with 0 signals" not in result.stdout, "the check sent no signal inside the handler"
