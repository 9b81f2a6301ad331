"""The call layer under both edges, transport-free: each rpc dispatched once behind its access
rules (`handlers`), what a call brings besides its message (`invocation`), and the status of each
outcome (`status`). Nothing here imports grpc or starlette."""
