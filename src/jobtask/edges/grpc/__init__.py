"""The gRPC edge, a thin adapter over the call layer (`jobtask.calls`): grpcio handlers, health,
reflection, TLS, the server; and the identity client. With the CLI (a gRPC client), the only
package that imports grpc or the generated `*_pb2_grpc` stubs."""
