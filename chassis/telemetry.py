"""OpenTelemetry: one trace follows an application through HTTP, gRPC metadata and Kafka headers.

Export goes to OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (cluster mode: the collector), to Zipkin as JSON v2 when
a Zipkin collector is named (local mode: the launcher's Zipkin, chassis.config.zipkin_endpoint), and to a JSON-lines
file when JINGBAN_TRACE_FILE is set (how local-mode tests check that one trace id spans five processes). Every exporter
sits behind `MaskingSpanProcessor`: what leaves the process has identity and mobile phone numbers masked
(chassis/masking.py) in the span's name, its attributes (`http.target`, `http.url`, `url.path`, `url.query` …), its
events (an exception's message and stack) and its status."""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Status
from opentelemetry.util.types import Attributes

from chassis.masking import mask, mask_value

_configured = False
_lock = threading.Lock()
log = logging.getLogger(__name__)


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


class ZipkinJsonExporter(SpanExporter):
    """Zipkin JSON v2 over HTTP (`opentelemetry-exporter-zipkin-json`) to a collector's `/api/v2/spans`. A Zipkin that
    is away (stopped, restarting) costs the batch and one warning a minute, never a stack trace per batch: traces
    are for looking at, and the service goes on."""

    WARN_EVERY_S = 60.0

    def __init__(self, endpoint: str, timeout_s: int = 5) -> None:
        from opentelemetry.exporter.zipkin.json import ZipkinExporter

        self.endpoint = endpoint
        self._inner = ZipkinExporter(endpoint=endpoint, timeout=timeout_s)
        self._warned_at = float("-inf")

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        import requests

        try:
            return self._inner.export(spans)
        except (requests.RequestException, OSError) as exc:
            now = time.monotonic()
            if now - self._warned_at >= self.WARN_EVERY_S:
                self._warned_at = now
                log.warning("spans not sent to Zipkin at %s (%s); dropping them until it answers", self.endpoint,
                            type(exc).__name__)
            return SpanExportResult.FAILURE

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def _masked_attributes(attributes: Attributes) -> dict[str, Any]:
    return {k: mask_value(v) for k, v in (attributes or {}).items()}


def masked_span(span: ReadableSpan) -> ReadableSpan:
    """A copy of a finished span with every text masked (name, attributes, events, links' attributes, status)."""
    status = span.status
    if status.description:
        status = Status(status.status_code, mask(status.description))
    return ReadableSpan(
        name=mask(span.name), context=span.context, parent=span.parent, resource=span.resource,
        attributes=_masked_attributes(span.attributes),
        events=tuple(Event(mask(e.name), _masked_attributes(e.attributes), e.timestamp) for e in span.events),
        links=tuple(trace.Link(link.context, _masked_attributes(link.attributes)) for link in span.links),
        kind=span.kind, status=status, start_time=span.start_time, end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope)


class MaskingSpanProcessor(SpanProcessor):
    """Hands the processor it wraps (and so its exporter) a masked copy of each finished span: URL paths and
    query strings that carry an identity number (`/v1/persons/610702…/file`, `?person_id=…`) leave the process
    only as `610702********0012`. Whatever an instrumentation sets, at start or later, is covered."""

    def __init__(self, inner: SpanProcessor) -> None:
        self._inner = inner

    def on_start(self, span: Any, parent_context: otel_context.Context | None = None) -> None:
        self._inner.on_start(span, parent_context=parent_context)

    def _on_ending(self, span: Any) -> None:
        self._inner._on_ending(span)

    def on_end(self, span: ReadableSpan) -> None:
        self._inner.on_end(masked_span(span))

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return bool(self._inner.force_flush(timeout_millis))


def export_masked(provider: TracerProvider, exporter: SpanExporter, *, batch: bool = False) -> SpanProcessor:
    """Add an exporter to a provider behind the masking processor (the only way this code base adds one)."""
    inner = BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
    processor = MaskingSpanProcessor(inner)
    provider.add_span_processor(processor)
    return processor


def setup_telemetry(service_name: str, trace_file: str = "", otlp_endpoint: str = "",
                    zipkin_endpoint: str = "") -> None:
    """Install the tracer provider and the library instrumentations, once per process. `zipkin_endpoint`: a Zipkin
    collector's `/api/v2/spans` (Settings.zipkin_endpoint), exported to in batches beside any other exporter."""
    global _configured
    with _lock:
        if _configured:
            return
        provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        if trace_file:
            export_masked(provider, JsonLinesSpanExporter(trace_file))
        if otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

            export_masked(provider, OTLPSpanExporter(endpoint=otlp_endpoint), batch=True)
        if zipkin_endpoint:
            export_masked(provider, ZipkinJsonExporter(zipkin_endpoint), batch=True)
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


def answer_trace_id(headers: Sequence[tuple[bytes, bytes]] = ()) -> str:
    """The trace id an HTTP answer names (`x-trace-id`): the current span's; for a request no span records (the
    probes /healthz and /readyz, a process without a tracer provider), the caller's trace from its `traceparent`,
    else a new id that no span carries — the header is on every answer, a Zipkin link only where a span is."""
    current = trace_id_hex()
    if current:
        return current
    carrier = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers}
    ctx = trace.get_current_span(propagate.extract(carrier)).get_span_context()
    if ctx.is_valid:
        return f"{ctx.trace_id:032x}"
    return f"{secrets.randbits(128) or 1:032x}"


def link_to(carrier: Mapping[str, str]) -> list[trace.Link]:
    span_ctx = trace.get_current_span(context_from(carrier)).get_span_context()
    return [trace.Link(span_ctx)] if span_ctx.is_valid else []


def span_attributes(**attrs: Any) -> dict[str, Any]:
    return {k.replace("_", "."): v for k, v in attrs.items() if v is not None}
