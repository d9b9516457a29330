"""Every service answers with `x-trace-id` (the web contract): on the embedded platform, each of the five services'
answers — a page, a business answer, a refusal, an unknown path — carries 32 lowercase hex equal to the trace id of
the server span it recorded (the host instruments each app, chassis/host.py), so the SPA's trace id finds the
request in Zipkin."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from chassis.config import SERVICES
from chassis.http import TRACE_ID_HEADER
from chassis.telemetry import export_masked
from jingban.embedded import EmbeddedPlatform
from tests.conftest import application_form, auth, embedded_port_offset, eventually

HEX32 = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture(scope="module")
def memory() -> Iterator[InMemorySpanExporter]:
    """This process's tracer provider (installed here when nothing installed one), exporting to memory behind the
    masking processor, as setup_telemetry puts every exporter."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        trace.set_tracer_provider(TracerProvider())
        provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider), "another tracer provider is installed in this process"
    exporter = InMemorySpanExporter()
    export_masked(provider, exporter)
    yield exporter
    exporter.shutdown()  # processors cannot be taken off a provider: the exporter stops taking spans


@pytest.fixture(scope="module")
async def platform(memory: InMemorySpanExporter) -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


async def _server_span_of(memory: InMemorySpanExporter, trace_id: str) -> list:
    spans = [s for s in memory.get_finished_spans()
             if s.kind == trace.SpanKind.SERVER and f"{s.context.trace_id:032x}" == trace_id]
    return spans or None  # type: ignore[return-value]


async def test_every_service_answers_the_trace_id_of_its_server_span(
        platform: EmbeddedPlatform, memory: InMemorySpanExporter) -> None:
    clerk = auth("hz-p1", "clerk", "clerk-1")
    async with httpx.AsyncClient(timeout=30) as http:
        answers: list[tuple[str, httpx.Response]] = []
        applied = await http.post(f"{platform.url('intake')}/v1/applications", files=application_form(), headers=clerk)
        assert applied.status_code == 201, applied.text
        answers.append(("intake: an application filed", applied))
        forged = await http.post(f"{platform.url('intake')}/v1/applications", files=application_form(),
                                 headers={"authorization": "Bearer x.y.z"})
        answers.append(("intake: a forged token", forged))
        for service in SERVICES:
            base = platform.url(service)
            answers.append((f"{service}: its API document", await http.get(f"{base}/openapi.json")))
            answers.append((f"{service}: an unknown path", await http.get(f"{base}/v1/no/such/thing", headers=clerk)))
    assert forged.status_code == 401
    assert {r.status_code for name, r in answers if "unknown" in name} == {404}
    assert {r.status_code for name, r in answers if "document" in name} == {200}
    ids = []
    for name, r in answers:
        trace_id = r.headers.get(TRACE_ID_HEADER, "")
        assert HEX32.match(trace_id), (name, r.status_code, trace_id)
        spans = await eventually(lambda t=trace_id: _server_span_of(memory, t), what=f"the server span of {name}")
        assert spans and len(spans) == 1, (name, [s.name for s in spans])
        ids.append(trace_id)
    assert len(set(ids)) == len(ids)  # each request its own trace
