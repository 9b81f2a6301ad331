"""The call layer under both edges, transport-free: each rpc written once (request message ->
service -> answer message), its access rules, the status of each outcome and the observation of
every call. `jobtask.edges.grpc` (gRPC) and `jobtask.edges.http` (HTTP/JSON) are thin adapters over
it; nothing here imports grpc or starlette (protobuf messages are plain data)."""
