"""The HTTP/JSON edge: SpaceONE's JobTask rpcs at their `google.api.http` paths, over the same
service and proto conversions as the gRPC edge (`jobtask.api`), as protobuf's JSON mapping.

`routes` reads the bindings from the proto, `transcode` turns JSON and query parameters into the
request messages, `status` answers errors, `openapi` describes it all, `app` and `server` serve it.
"""
