"""The rpcs declared in jobtask.rpcs are the generated descriptors' own, every one of them."""

from __future__ import annotations

from jobtask import rpcs
from jobtask.rpcs import JOB_TASK, WRITER, Rpc
from jobtask_internal.v1 import job_task_writer_pb2
from spaceone.api.inventory.v1 import job_task_pb2

SERVICES = (
    job_task_pb2.DESCRIPTOR.services_by_name["JobTask"],
    job_task_writer_pb2.DESCRIPTOR.services_by_name["JobTaskWriter"],
)


def test_the_service_names_are_the_descriptors() -> None:
    assert tuple(service.full_name for service in SERVICES) == (JOB_TASK, WRITER)


def test_every_method_of_both_services_is_declared_once() -> None:
    declared = {value for value in vars(rpcs).values() if isinstance(value, Rpc)}

    assert declared == {Rpc(s.full_name, m.name) for s in SERVICES for m in s.methods}


def test_an_rpc_is_its_grpc_path() -> None:
    rpc = Rpc(JOB_TASK, "list")

    assert rpc == "/spaceone.api.inventory.v1.JobTask/list" == rpc.path
    assert (rpc.service, rpc.method) == (JOB_TASK, "list")
    assert Rpc.parse(rpc.path) == rpc
