"""Observability of both edges: the log format and call log (`logs`), Prometheus metrics
(`metrics`), OpenTelemetry tracing (`tracing`), and `Observation`, which sees every call once
(`observe`)."""
