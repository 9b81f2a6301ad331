"""Planning checks on an engine with `explain`: the find commands a client sent, and the stages
of a plan."""

from __future__ import annotations

from typing import Any

from pymongo import monitoring


class Finds(monitoring.CommandListener):
    """The find commands a client sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.sent.append(dict(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def plan_stages(plan: Any) -> list[tuple[str, str]]:
    """(stage, index name or "") of every stage anywhere in an explain answer, outermost first."""
    if isinstance(plan, dict):
        own = [(str(plan["stage"]), str(plan.get("indexName", "")))] if "stage" in plan else []
        return own + [stage for value in plan.values() for stage in plan_stages(value)]
    if isinstance(plan, list):
        return [stage for value in plan for stage in plan_stages(value)]
    return []
