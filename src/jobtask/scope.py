"""The tenant scope of a call: a value the call layer's access rules (`jobtask.auth.permissions`)
decide and the edge passes to the service explicitly, which ANDs it into every read and delete below
any filter the caller sent (`jobtask.services.reads`). Nothing writes it into the request.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scope:
    """The tasks a call may touch: one domain's (`domain_id`); of a workspace-scoped caller (the
    SpaceONE 2.x line) only those of its `workspace_id` (None: the whole domain; "": the tasks
    of no workspace, stored without one as every 1.x task); and of a project-scoped caller only
    those of its `projects` (none when empty; None: no project scope).

    An empty `domain_id` is every domain where the writer's purge allows that (a caller who may
    name any domain, or no authentication), and a missing parameter for every other rpc.
    """

    domain_id: str
    projects: frozenset[str] | None = None
    workspace_id: str | None = None
