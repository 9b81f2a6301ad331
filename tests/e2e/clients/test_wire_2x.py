"""SpaceONE 2.x's own clients (.venv-clients/2.0: spaceone-core 2.0.144's pygrpc client and
SpaceConnector, spacectl 2.0.10), unchanged, load the 2.x wire from reflection over
`jobtask.lines.v2.wire.POOL` alone, send 2.x bytes and read 2.x answers.

Groundwork of issue #23: the server is a stand-in in this process (reflection v1alpha over the 2.x
pool listing JobTask only, and a JobTask whose get and list echo what they were sent, built from
the pool's classes), not `python -m jobtask`, which serves 2.x once lines/v2 exists. The tier's
other tests (1.10, 1.12) run against the real server.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from concurrent import futures
from typing import Any, Final

import grpc
import pytest
from grpc_reflection.v1alpha import reflection, reflection_pb2_grpc

from jobtask.lines.v2 import wire
from tests.e2e.clients.conftest import CLIENT_ENV, client_bin, run_driver, spacectl_runner

LINE: Final = "2.0"  # requirements/clients/2.0.txt
VERBS: Final = ["delete", "get", "list", "stat"]


def _get(request: Any, context: grpc.ServicerContext) -> Any:
    """The id it was sent, and the caller's x_domain_id / x_workspace_id metadata."""
    metadata = {key: str(value) for key, value in context.invocation_metadata()}
    return wire.JobTaskInfo(
        job_task_id=request.job_task_id,
        status="SUCCESS",
        domain_id=metadata.get("x_domain_id", ""),
        workspace_id=metadata.get("x_workspace_id", ""),
    )


def _list(request: Any, context: grpc.ServicerContext) -> Any:
    """One result per sort key it was sent (key -> job_task_id, desc -> provider), and the
    request's workspace_id filter as each result's."""
    results = [
        wire.JobTaskInfo(
            job_task_id=sort.key,
            provider="desc" if sort.desc else "asc",
            workspace_id=request.workspace_id,
        )
        for sort in request.query.sort
    ]
    return wire.JobTasksInfo(results=results, total_count=len(results))


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    servicer = reflection.ReflectionServicer([wire.SERVICE_NAME], pool=wire.POOL)
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(servicer, server)
    handlers = {
        name: grpc.unary_unary_rpc_method_handler(
            behaviour,
            request_deserializer=request.FromString,
            response_serializer=answer.SerializeToString,
        )
        for name, behaviour, request, answer in (
            ("get", _get, wire.JobTaskRequest, wire.JobTaskInfo),
            ("list", _list, wire.JobTaskQuery, wire.JobTasksInfo),
        )
    }
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(wire.SERVICE_NAME, handlers),)
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(None)


def test_the_pygrpc_client_builds_job_task_and_speaks_2x(endpoint: str) -> None:
    sort = [{"key": "created_at", "desc": True}, {"key": "job_task_id"}]
    plan = {
        "client": "pygrpc",
        "endpoint": endpoint,
        "calls": [
            ["get", {"job_task_id": "job-task-1"}],
            ["list", {"query": {"sort": sort}, "workspace_id": "workspace-1"}],
        ],
    }

    result = run_driver(LINE, plan)

    assert result["api_resources"] == {"JobTask": VERBS}
    assert result["answers"] == [
        {"ok": {"job_task_id": "job-task-1", "status": "SUCCESS"}},
        {
            "ok": {
                "results": [
                    {
                        "job_task_id": "created_at",
                        "provider": "desc",
                        "workspace_id": "workspace-1",
                    },
                    {
                        "job_task_id": "job_task_id",
                        "provider": "asc",
                        "workspace_id": "workspace-1",
                    },
                ],
                "total_count": 2,
            }
        },
    ]


def _in_client_venv(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(client_bin(LINE, "python")), "-c", script, *args],
        capture_output=True,
        text=True,
        env=CLIENT_ENV,
        timeout=50,
        check=False,
    )


CONNECTOR: Final = """
import json, sys
from spaceone.core.connector.space_connector import SpaceConnector
connector = SpaceConnector(endpoint="grpc://" + sys.argv[1])
answer = connector.dispatch(
    "JobTask.get", {"job_task_id": "job-task-1"}, x_domain_id="domain-1", x_workspace_id="ws-1"
)
json.dump({"api_resources": connector.client.api_resources, "get": answer}, sys.stdout)
"""


def test_space_connector_sends_x_domain_id_and_x_workspace_id_as_metadata(endpoint: str) -> None:
    done = _in_client_venv(CONNECTOR, endpoint)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "api_resources": {"JobTask": VERBS},
        "get": {
            "job_task_id": "job-task-1",
            "status": "SUCCESS",
            "domain_id": "domain-1",
            "workspace_id": "ws-1",
        },
    }


def test_a_1x_domain_id_fails_in_the_2x_client_before_anything_is_sent(endpoint: str) -> None:
    script = (
        "import sys\nfrom spaceone.core import pygrpc\n"
        "client = pygrpc.client(endpoint=sys.argv[1])\n"
        "client.JobTask.get({'job_task_id': 'job-task-1', 'domain_id': 'domain-1'})\n"
    )

    done = _in_client_venv(script, endpoint)

    assert done.returncode != 0
    assert 'has no field named "domain_id"' in done.stderr


def test_spacectl_lists_the_resource_gets_and_sends_its_sort_as_a_list(
    endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    spacectl = spacectl_runner(LINE, str(tmp_path_factory.mktemp("home-2.0")))
    spacectl("config", "init", "-e", "jobtask")
    spacectl("config", "endpoint", "add", "inventory", f"grpc://{endpoint}")

    resources = spacectl("api-resources")
    got = json.loads(
        spacectl("get", "inventory.JobTask", "-p", "job_task_id=job-task-1", "-o", "json")
    )
    listed = json.loads(spacectl("list", "inventory.JobTask", "-s", "-created_at", "-o", "json"))

    assert "| delete, get, list, stat" in resources
    assert "JobTask" in resources
    assert got == {"job_task_id": "job-task-1", "status": "SUCCESS"}
    assert listed == {
        "results": [{"job_task_id": "created_at", "provider": "desc"}],
        "total_count": 1,
    }
