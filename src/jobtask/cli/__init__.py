"""The `jobtask` command line: a pure gRPC client of a running server, no server internals."""
