"""The chart's own files start the server: SpaceONE's trimmed umbrella (tests/chart/umbrella) with
this chart as its subchart is rendered by helm, the ConfigMaps the jobtask Deployment mounts (its
config.yaml, database.yaml, application.yaml and the umbrella's shared-conf) are written where it
mounts them (under a temporary root), and the index Job's step and then the server run with the
rendered environment: the database comes from SpaceONE's shared.yaml, nothing else configures it.

Needs helm (`make chart-tools`; JOBTASK_HELM names another); skipped without it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import grpc
import pymongo
import pytest
import yaml

from tests.support.dataset import DOMAIN
from tests.support.independent_client import IndependentJobTaskClient
from tests.support.processes import SERVING, free_port, wait_health

ROOT = Path(__file__).resolve().parents[2]
HELM = Path(os.environ.get("JOBTASK_HELM", ROOT / ".tools" / "bin" / "helm-v3.21.4"))
UMBRELLA = ROOT / "tests" / "chart" / "umbrella"
MOUNT_ROOT = "/opt/spaceone/jobtask/config"

pytestmark = pytest.mark.skipif(not HELM.exists(), reason=f"no {HELM} (make chart-tools)")


def shared_database(mongodb_uri: str) -> dict[str, Any]:
    """The test database as an operator writes it in the umbrella's shared_conf."""
    parts = urlsplit(mongodb_uri)
    # No credentials: empty ones replace the umbrella's own (admin/password; helm keeps a global
    # that a null should remove).
    default: dict[str, Any] = {"host": parts.hostname, "port": parts.port or 27017}
    default |= {"username": "", "password": ""}
    if parts.username:
        default |= {"username": unquote(parts.username), "password": unquote(parts.password or "")}
    names = {"authMechanism": "authentication_mechanism", "authSource": "authentication_source"}
    for key, value in parse_qsl(parts.query):
        default[names.get(key, key)] = value
    return default


def render(tmp: Path, mongodb_uri: str, database: str) -> list[dict[str, Any]]:
    umbrella = tmp / "umbrella"
    shutil.copytree(UMBRELLA, umbrella)
    shutil.copytree(ROOT / "deploy" / "helm", umbrella / "charts" / "jobtask")
    operator = tmp / "operator.yaml"
    operator.write_text(
        yaml.safe_dump(
            {
                "global": {"shared_conf": {"DATABASES": {"default": shared_database(mongodb_uri)}}},
                "jobtask": {"database": {"DATABASES": {"default": {"db": database}}}},
            }
        )
    )
    rendered = subprocess.run(
        [
            *(str(HELM), "template", "spaceone", str(umbrella), "--namespace", "spaceone"),
            *("-f", str(UMBRELLA / "values.yaml"), "-f", str(UMBRELLA / "jobtask-values.yaml")),
            *("-f", str(operator)),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [document for document in yaml.safe_load_all(rendered) if document]


def one(documents: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    [found] = [d for d in documents if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def mounted_files(documents: list[dict[str, Any]], pod: dict[str, Any], root: Path) -> None:
    """Each ConfigMap file the pod's first container mounts under MOUNT_ROOT, written under root."""
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    for mount in pod["containers"][0]["volumeMounts"]:
        if not mount["mountPath"].startswith(MOUNT_ROOT):
            continue
        config_map = one(documents, "ConfigMap", volumes[mount["name"]]["configMap"]["name"])
        text = config_map["data"][mount["subPath"]].replace(
            f"file://{MOUNT_ROOT}", f"file://{root}"
        )
        (root / Path(mount["mountPath"]).name).write_text(text)


def environment(container: dict[str, Any], root: Path, **overrides: str) -> dict[str, str]:
    """The container's literal environment (no Secret here), its config under root; nothing of
    this process's MONGODB_* or other settings."""
    env = {item["name"]: item["value"] for item in container["env"] if "value" in item}
    env["SPACEONE_CONFIG_FILE"] = env["SPACEONE_CONFIG_FILE"].replace(MOUNT_ROOT, str(root))
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/"), **env, **overrides}


@pytest.fixture
def chart(tmp_path: Path, mongodb_uri: str, database_name: str) -> Iterator[list[dict[str, Any]]]:
    documents = render(tmp_path, mongodb_uri, database_name)
    yield documents
    with pymongo.MongoClient[dict[str, Any]](mongodb_uri) as client:
        client.drop_database(database_name)


def test_the_index_job_then_the_server_run_from_the_rendered_config_maps(
    chart: list[dict[str, Any]], tmp_path: Path, mongodb_uri: str, database_name: str
) -> None:
    root = tmp_path / "config"
    root.mkdir()
    deployment = one(chart, "Deployment", "jobtask")["spec"]["template"]["spec"]
    job = one(chart, "Job", "jobtask-indexes")["spec"]["template"]["spec"]
    mounted_files(chart, deployment, root)
    assert sorted(p.name for p in root.iterdir()) == [
        "application.yaml",
        "config.yaml",
        "database.yaml",
        "shared.yaml",
    ]

    # The index Job: its own command and environment (INDEX_MANAGEMENT=owner).
    [container] = job["containers"]
    step = subprocess.run(
        [sys.executable, *container["command"][1:], *container["args"]],
        env=environment(container, root),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert step.returncode == 0, step.stderr
    assert f"indexes on {database_name}.job_task" in step.stdout
    with pymongo.MongoClient[dict[str, Any]](mongodb_uri) as client:
        assert "job_task_id_1" in client[database_name]["job_task"].index_information()

    # The server: INDEX_MANAGEMENT=off, AUTH_MODE=spaceone with identity from shared.yaml.
    [server] = [c for c in deployment["containers"] if c["name"] == "jobtask"]
    assert {"name": "INDEX_MANAGEMENT", "value": "off"} in server["env"]
    port = free_port()
    env = environment(server, root, GRPC_PORT=str(port), HTTP_PORT="0", METRICS_PORT="0")
    process = subprocess.Popen(
        [sys.executable, "-m", "jobtask"], env=env, text=True, stderr=subprocess.PIPE
    )
    try:
        wait_health(port, SERVING, timeout=60)  # SERVING: the database from shared.yaml answers
        with (
            grpc.insecure_channel(f"127.0.0.1:{port}") as channel,
            pytest.raises(grpc.RpcError) as refused,
        ):
            IndependentJobTaskClient(channel).list({"domain_id": DOMAIN}, timeout=10)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "identity grpc://identity:50051" in stderr  # from shared.yaml's SpaceConnector
