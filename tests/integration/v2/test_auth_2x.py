"""A SpaceONE 2.x server with AUTH_MODE=jwt: the domain is the token's, as on the 1.x line (2.x
requests name none); `x_domain_id` may only name it again, and `x_workspace_id` narrows the call
to a workspace of it; the rpcs' permissions as 1.x's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest

from jobtask.services.collector import WriterLimits
from jobtask.settings import Settings
from tests.support.client_2x import JobTaskClient2x, Metadata
from tests.support.dataset import DOMAIN, OTHER_DOMAIN, ids, tasks_in
from tests.support.tokens import READ, SigningKey, claims, rsa_key, write_jwks

pytestmark = pytest.mark.usefixtures("seeded")


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return rsa_key("rsa-2x")


@pytest.fixture
def client(
    settings_2x: Settings,
    serve_with_writer: Callable[..., grpc.Channel],
    key: SigningKey,
    tmp_path: Path,
) -> JobTaskClient2x:
    auth = Settings(
        **{
            **settings_2x.model_dump(),
            "auth_enabled": True,
            "auth_public_keys": str(write_jwks(tmp_path / "keys.json", key)),
        }
    )
    return JobTaskClient2x(serve_with_writer(WriterLimits(), auth))


def _as(key: SigningKey, *permissions: str, **metadata: str) -> Metadata:
    return [("token", key.sign(claims(DOMAIN, permissions))), *metadata.items()]


def _refused(call: Callable[[], Any]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value


def test_the_domain_is_the_tokens_without_any_metadata(
    client: JobTaskClient2x, key: SigningKey
) -> None:
    answer = client.list({}, _as(key, READ))

    assert {t["job_task_id"] for t in answer["results"]} == ids(tasks_in(DOMAIN))


def test_x_domain_id_may_name_the_tokens_domain_only(
    client: JobTaskClient2x, key: SigningKey
) -> None:
    same = client.list({"query": {"count_only": True}}, _as(key, READ, x_domain_id=DOMAIN))
    other = _refused(lambda: client.list({}, _as(key, READ, x_domain_id=OTHER_DOMAIN)))

    assert same == {"total_count": len(tasks_in(DOMAIN))}
    assert other.code() is grpc.StatusCode.PERMISSION_DENIED
    assert other.details() == (
        f"ERROR_PERMISSION_DENIED: domain_id {OTHER_DOMAIN} is not the token's domain"
    )


def test_x_workspace_id_narrows_the_call_to_a_workspace(
    client: JobTaskClient2x, key: SigningKey
) -> None:
    # The dataset's tasks were stored by SpaceONE 1.x: in no workspace.
    answer = client.list({}, _as(key, READ, x_workspace_id="workspace-1"))

    assert answer == {}  # nothing, and total_count 0 is not rendered


def test_without_a_token_the_call_is_unauthenticated(client: JobTaskClient2x) -> None:
    refused = _refused(lambda: client.list({}, [("x_domain_id", DOMAIN)]))

    assert refused.code() is grpc.StatusCode.UNAUTHENTICATED


def test_delete_needs_write(client: JobTaskClient2x, key: SigningKey) -> None:
    refused = _refused(
        lambda: client.delete({"job_task_id": "job_task-aaaa00000001"}, _as(key, READ))
    )

    assert refused.code() is grpc.StatusCode.PERMISSION_DENIED
