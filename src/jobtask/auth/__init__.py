"""Who is calling and what they may touch, for both edges: AUTH_MODE=jwt (`jwt`), AUTH_MODE=spaceone
(`spaceone`, its `caches`), the permission table and a call's scope (`permissions`), TLS (`tls`),
and `security`, which loads them all once at start-up. No gRPC, no HTTP here."""
