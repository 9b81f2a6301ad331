"""The edges, siblings: `grpc` (grpcio) and `http` (Starlette + uvicorn). Each only translates its
transport to the call layer (`jobtask.calls`) and back; neither imports the other."""
