"""OpenTelemetry: one trace follows an application through HTTP, gRPC metadata and Kafka headers.

Export goes to OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, and to a JSON-lines file when
JINGBAN_TRACE_FILE is set (how local-mode tests check that one trace id spans five processes)."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

_configured = False
_lock = threading.Lock()


class JsonLinesSpanExporter(SpanExporter):
    """Appends one JSON object per finished span; small and greppable."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = []
        for s in spans:
            ctx = s.get_span_context()
            parent = s.parent
            lines.append(json.dumps({
                "trace_id": f"{ctx.trace_id:032x}", "span_id": f"{ctx.span_id:016x}",
                "parent_id": f"{parent.span_id:016x}" if parent else None, "name": s.name,
                "kind": s.kind.name, "service": s.resource.attributes.get("service.name"),
                "start": s.start_time, "end": s.end_time,
                "attributes": {k: str(v) for k, v in (s.attributes or {}).items()},
            }))
        with self._lock, open(self._path, "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def setup_telemetry(service_name: str, trace_file: str = "", otlp_endpoint: str = "") -> None:
    """Install the tracer provider and the library instrumentations, once per process."""
    global _configured
    with _lock:
        if _configured:
            return
        provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        if trace_file:
            provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(trace_file)))
        if otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.trace.export import BatchSpanProcessor

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
        trace.set_tracer_provider(provider)

        from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorClient, GrpcAioInstrumentorServer
        from opentelemetry.instrumentation.pymongo import PymongoInstrumentor

        GrpcAioInstrumentorServer().instrument()
        GrpcAioInstrumentorClient().instrument()
        PymongoInstrumentor().instrument()
        _configured = True


def tracer() -> trace.Tracer:
    return trace.get_tracer("jingban")


def current_carrier() -> dict[str, str]:
    """The current trace context as W3C headers, to store with an outbox event."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from(carrier: Mapping[str, str]) -> otel_context.Context:
    return propagate.extract(dict(carrier))


def trace_id_hex() -> str:
    ctx = trace.get_current_span().get_span_context()
    return f"{ctx.trace_id:032x}" if ctx.is_valid else ""


def link_to(carrier: Mapping[str, str]) -> list[trace.Link]:
    span_ctx = trace.get_current_span(context_from(carrier)).get_span_context()
    return [trace.Link(span_ctx)] if span_ctx.is_valid else []


def span_attributes(**attrs: Any) -> dict[str, Any]:
    return {k.replace("_", "."): v for k, v in attrs.items() if v is not None}
