"""The tenant scope of a call: a value the call layer's access rules (`jobtask.auth.permissions`)
decide and the edge passes to the service explicitly, which ANDs it into every read and delete below
any filter the caller sent (`jobtask.services.reads`). Nothing writes it into the request.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scope:
    """The tasks a call may touch: one domain's (`domain_id`), and of a project-scoped caller
    (AUTH_MODE=spaceone) only those of its `projects` (none when empty; None: no project scope).

    An empty `domain_id` is every domain where the writer's purge allows that (a caller who may
    name any domain, or no authentication), and a missing parameter for every other rpc.
    """

    domain_id: str
    projects: frozenset[str] | None = None
