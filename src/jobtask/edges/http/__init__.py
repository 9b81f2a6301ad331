"""The HTTP/JSON edge, a thin adapter over the call layer (`jobtask.calls`), beside the gRPC one:
SpaceONE's JobTask rpcs at their `google.api.http` paths, as protobuf's JSON mapping.

`routes` reads the bindings from the proto, `transcode` turns JSON and query parameters into the
request messages, `status` answers errors, `openapi` describes it all, `app` and `server` serve it.
"""
