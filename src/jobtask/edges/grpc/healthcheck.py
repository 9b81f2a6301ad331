"""jobtask-healthcheck: exit 0 when the local server says it serves (container health checks).

It reads the server's own settings (the container's environment): HTTP `/healthz` when the HTTP
interface is on, over HTTPS when TLS_CERT_FILE is set, without verifying the certificate (it is
this container's own server on 127.0.0.1); with HTTP off, the gRPC health service, plaintext or
with TLS trusting the server's own certificate (gRPC accepts it as its own anchor, self-signed or
not). Neither waits behind busy workers.
Anything but a serving answer is one line on stderr and exit 1.
"""

from __future__ import annotations

import ssl
import sys
import urllib.error
import urllib.request
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pydantic import ValidationError

from jobtask.settings import Settings

TIMEOUT_SECONDS = 3.0


def _over_http(settings: Settings) -> str | None:
    """None when /healthz answers 200, else what went wrong."""
    scheme = "https" if settings.tls_cert_file else "http"
    context = ssl._create_unverified_context() if settings.tls_cert_file else None
    url = f"{scheme}://127.0.0.1:{settings.http_port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS, context=context):
            return None
    except urllib.error.HTTPError as error:
        return f"{url} answered {error.code}"
    except (OSError, ValueError) as error:
        return f"{url}: {getattr(error, 'reason', error)}"


def _over_grpc(settings: Settings) -> str | None:
    """None when the gRPC health service answers SERVING, else what went wrong."""
    address = f"127.0.0.1:{settings.grpc_port}"
    if settings.tls_cert_file:
        own = Path(settings.tls_cert_file).read_bytes()
        options = [("grpc.ssl_target_name_override", "localhost")]
        channel = grpc.secure_channel(address, grpc.ssl_channel_credentials(own), options=options)
    else:
        channel = grpc.insecure_channel(address)
    try:
        with channel:
            answer = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=TIMEOUT_SECONDS
            )
    except grpc.RpcError as error:
        hint = (
            " (with TLS, HTTP_ENABLED=true lets the check use /healthz)"
            if settings.tls_cert_file
            else ""
        )
        return f"gRPC health on {address}: {error.code().name}{hint}"
    if answer.status != health_pb2.HealthCheckResponse.SERVING:
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
        return f"gRPC health on {address}: {status}"
    return None


def main() -> int:
    try:
        settings = Settings()
    except ValidationError as error:
        print(
            f"unhealthy: the server's settings do not load ({error.error_count()} errors)",
            file=sys.stderr,
        )
        return 1
    problem = _over_http(settings) if settings.http_enabled else _over_grpc(settings)
    if problem is not None:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
