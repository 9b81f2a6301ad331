"""The `jobtask` command line: a pure gRPC client of a running server, no server internals."""

import os

# gRPC's core logs each failed TLS handshake at INFO on stderr; the CLI promises one line per
# failure. Set before grpc starts (the user's own GRPC_VERBOSITY wins).
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
