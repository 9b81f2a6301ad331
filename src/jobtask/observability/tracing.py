"""Optional OpenTelemetry tracing of the calls and of pymongo (the `otel` extra); the gRPC edge
makes its server spans with the provider (`jobtask.edges.grpc.server`).

Off unless OTEL_ENABLED=true. Spans go over OTLP/gRPC, configured by the SDK's standard
OTEL_EXPORTER_OTLP_* and OTEL_SERVICE_NAME variables, or to stdout with OTEL_EXPORTER=console.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

Exporter = Literal["otlp", "console"]
SERVICE_NAME = "jobtask"


class TracingUnavailable(Exception):
    """Tracing was asked for, but the `otel` extra is not installed."""


@dataclass
class Tracing:
    provider: TracerProvider

    def shutdown(self) -> None:
        """Stop tracing pymongo and flush the spans not yet exported."""
        from opentelemetry.instrumentation.pymongo import PymongoInstrumentor

        PymongoInstrumentor().uninstrument()
        self.provider.shutdown()


def start_tracing(exporter: Exporter) -> Tracing:
    """Set up the SDK and trace pymongo's commands: call before the MongoClient is created.

    Raises TracingUnavailable, with the one line to tell the operator, without the `otel` extra.
    """
    try:
        from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            ConsoleSpanExporter,
            SimpleSpanProcessor,
        )

        if exporter == "otlp":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    except ImportError as error:
        raise TracingUnavailable(
            "OTEL_ENABLED=true needs the optional tracing packages, which are not installed "
            f"({error.name or error}): pip install 'jobtask[otel]'"
        ) from None

    resource = Resource.create()
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": SERVICE_NAME}))
    provider = TracerProvider(resource=resource)
    processor: SpanProcessor = (
        BatchSpanProcessor(OTLPSpanExporter())
        if exporter == "otlp"
        else SimpleSpanProcessor(ConsoleSpanExporter())
    )
    provider.add_span_processor(processor)
    PymongoInstrumentor().instrument(tracer_provider=provider)
    return Tracing(provider)
