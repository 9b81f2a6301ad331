"""The projects a call may see, when its caller is project-scoped (AUTH_MODE=spaceone).

Set by the authentication edge around one call (`only_projects`), read by the service, which ANDs
`project_id in <projects>` next to the domain scope of every read and delete, below any filter the
caller sent. Unset (every other caller and mode): no project scope. A context variable, so it is
per call and follows the call into the thread that serves it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_PROJECTS: ContextVar[frozenset[str] | None] = ContextVar("jobtask_projects", default=None)


def projects() -> frozenset[str] | None:
    """The projects of the current call's caller; None: not project-scoped."""
    return _PROJECTS.get()


@contextmanager
def only_projects(allowed: frozenset[str] | None) -> Iterator[None]:
    """Within the block the call sees only tasks of `allowed` (none when empty); None: no scope."""
    token = _PROJECTS.set(allowed)
    try:
        yield
    finally:
        _PROJECTS.reset(token)
