"""Spans to Zipkin (chassis.telemetry.ZipkinJsonExporter, what setup_telemetry adds when a Zipkin collector is named):
JSON v2 posted to the collector, behind the masking processor like every exporter — an identity or phone number in a
span's name, attributes, events or status reaches Zipkin masked; a Zipkin that is away costs the batch and one
warning a minute, never an exception in the service."""

from __future__ import annotations

import http.server
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from chassis.masking import mask
from chassis.telemetry import ZipkinJsonExporter, export_masked
from tests.conftest import PERSON_A

PHONE = "13812345678"


@pytest.fixture
def collector() -> Iterator[tuple[str, list[Any]]]:
    """A stand-in for Zipkin's span collector (`POST /api/v2/spans`) on a loopback port: what it received."""
    received: list[Any] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            received.append({"path": self.path, "type": self.headers["content-type"], "spans": json.loads(body)})
            self.send_response(202)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v2/spans", received
    finally:
        server.shutdown()
        server.server_close()


def test_spans_reach_zipkin_as_json_v2_with_personal_data_masked(collector: tuple[str, list[Any]]) -> None:
    endpoint, received = collector
    provider = TracerProvider(resource=Resource.create({"service.name": "jingban-archive"}))
    export_masked(provider, ZipkinJsonExporter(endpoint), batch=True)
    with provider.get_tracer("t").start_as_current_span(f"GET /v1/persons/{PERSON_A}/file") as span:
        span.set_attribute("url.query", f"person_id={PERSON_A}&phone={PHONE}")
        span.add_event("exception", {"exception.message": f"no file for person {PERSON_A}"})
        span.set_status(Status(StatusCode.ERROR, f"person {PERSON_A}"))
        trace_id = f"{span.get_span_context().trace_id:032x}"
    assert provider.force_flush(10_000)
    assert received and received[0]["path"] == "/api/v2/spans" and received[0]["type"] == "application/json"
    (sent,) = [s for batch in received for s in batch["spans"]]
    assert sent["traceId"] == trace_id and sent["localEndpoint"]["serviceName"] == "jingban-archive"
    text = json.dumps(sent, ensure_ascii=False)
    assert PERSON_A not in text and PHONE not in text
    assert mask(PERSON_A) in sent["name"]
    assert sent["tags"]["url.query"] == f"person_id={mask(PERSON_A)}&phone={mask(PHONE)}"
    provider.shutdown()


def test_a_zipkin_that_is_away_costs_the_batch_and_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exporter = ZipkinJsonExporter(f"http://127.0.0.1:{port}/api/v2/spans", timeout_s=2)
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with provider.get_tracer("t").start_as_current_span("s"):
        pass
    spans = memory.get_finished_spans()
    with caplog.at_level(logging.WARNING, logger="chassis.telemetry"):
        assert exporter.export(spans) == SpanExportResult.FAILURE
        assert exporter.export(spans) == SpanExportResult.FAILURE
    warnings = [r for r in caplog.records if r.name == "chassis.telemetry"]
    assert len(warnings) == 1 and "not sent to Zipkin" in warnings[0].getMessage()
    exporter.shutdown()
