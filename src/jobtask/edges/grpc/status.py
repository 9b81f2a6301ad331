"""The call layer's outcome codes as gRPC status codes.

`jobtask.calls.status` decides each error's code, SpaceONE error code and message (and logs what
must be logged); this is only the table to grpc's codes (the servicer aborts with it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import grpc

from jobtask.calls.status import Code

# The same names on both sides: one row per code.
GRPC_CODES: Final[Mapping[Code, grpc.StatusCode]] = {
    code: grpc.StatusCode[code.name] for code in Code
}
