"""Every rpc served, declared once. An `Rpc` is named by its gRPC path
(`/spaceone.api.inventory.v1.JobTask/list`); the access rules (`jobtask.auth.permissions`), the
call layer's handlers (`jobtask.calls`) and the HTTP bindings (`jobtask.edges.http.routes`) are
keyed by it, so no other module spells a path.
"""

from __future__ import annotations

from typing import Final

# The services, as the generated descriptors name them (a unit test checks they agree).
JOB_TASK: Final = "spaceone.api.inventory.v1.JobTask"
WRITER: Final = "jobtask_internal.v1.JobTaskWriter"


class Rpc(str):
    """One rpc: its gRPC path, with the service and the method it names."""

    __slots__ = ()

    def __new__(cls, service: str, method: str) -> Rpc:
        return super().__new__(cls, f"/{service}/{method}")

    @classmethod
    def parse(cls, path: str) -> Rpc:
        service, _, method = path.lstrip("/").rpartition("/")
        return cls(service, method)

    @property
    def service(self) -> str:
        return self[1:].rpartition("/")[0]

    @property
    def method(self) -> str:
        return self.rpartition("/")[2]

    @property
    def path(self) -> str:
        return str(self)


GET: Final = Rpc(JOB_TASK, "get")
LIST: Final = Rpc(JOB_TASK, "list")
STAT: Final = Rpc(JOB_TASK, "stat")
DELETE: Final = Rpc(JOB_TASK, "delete")
CREATE: Final = Rpc(WRITER, "create")
START: Final = Rpc(WRITER, "start")
REPORT: Final = Rpc(WRITER, "report")
FINISH: Final = Rpc(WRITER, "finish")
CANCEL: Final = Rpc(WRITER, "cancel")
PURGE: Final = Rpc(WRITER, "purge")
