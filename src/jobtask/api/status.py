"""The call layer's outcome codes as gRPC status codes, applied by one interceptor.

`jobtask.rpc.status` decides each error's code, SpaceONE error code and message (and logs what
must be logged); this is only the table to grpc's codes and the interceptor that aborts with
SpaceONE's `"<ERROR_CODE>: <message>"` as details.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import grpc

from jobtask.api.calls import Behaviour, UnaryInterceptor
from jobtask.errors import JobTaskError
from jobtask.rpc.status import Code, code_of, status_of

# The same names on both sides: one row per code.
GRPC_CODES: Final[Mapping[Code, grpc.StatusCode]] = {
    code: grpc.StatusCode[code.name] for code in Code
}
CODES_OF_GRPC: Final[Mapping[grpc.StatusCode, Code]] = {
    status: code for code, status in GRPC_CODES.items()
}


def status_code(error: JobTaskError) -> grpc.StatusCode:
    return GRPC_CODES[code_of(error)]


def _mapped(behaviour: Behaviour, method: str) -> Behaviour:
    def call(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return behaviour(request, context)
        except Exception as error:
            status = status_of(error, method)
            context.abort(GRPC_CODES[status.code], status.details)

    return call


def error_mapping_interceptor(service_prefixes: tuple[str, ...]) -> UnaryInterceptor:
    """Turns our errors into status codes for every unary rpc of the services it guards."""
    return UnaryInterceptor(service_prefixes, lambda behaviour, call: _mapped(behaviour, call.path))
