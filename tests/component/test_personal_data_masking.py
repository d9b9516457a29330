"""Identity numbers in a request's URL — path and query string — leave the platform only masked: in the spans it
exports (the JSON-lines trace file and an in-memory exporter, both behind the masking processor as setup_telemetry
puts every exporter), in the log records it writes while answering, and in the error it answers."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from chassis.logs import install_masking
from chassis.masking import mask
from chassis.telemetry import JsonLinesSpanExporter, export_masked
from jingban.embedded import EmbeddedPlatform
from tests.conftest import PERSON_A, PERSON_B, application_form, auth, embedded_port_offset, eventually

PHONE = "13812345678"


@pytest.fixture(scope="module")
def spans(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InMemorySpanExporter, Path]]:
    """This process's tracer provider (installed here when nothing installed one), exporting to memory and to a
    trace file, each behind the masking processor."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        trace.set_tracer_provider(TracerProvider())
        provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider), "another tracer provider is installed in this process"
    memory = InMemorySpanExporter()
    path = tmp_path_factory.mktemp("traces") / "spans.jsonl"
    file_exporter = JsonLinesSpanExporter(str(path))
    export_masked(provider, memory)
    export_masked(provider, file_exporter)
    yield memory, path
    memory.shutdown()  # processors cannot be taken off a provider: the exporters stop taking spans


@pytest.fixture(scope="module")
async def platform(spans: tuple[InMemorySpanExporter, Path]) -> AsyncIterator[EmbeddedPlatform]:
    install_masking()  # what setup_logging does in every service process
    p = EmbeddedPlatform(port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def test_ids_in_path_and_query_are_masked_in_spans_logs_and_answers(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, spans: tuple[InMemorySpanExporter, Path],
        caplog: pytest.LogCaptureFixture) -> None:
    memory, trace_file = spans
    r = await http.post(f"{platform.url('intake')}/v1/applications", files=application_form(PERSON_A, "HTN"),
                        headers=auth("hz-p1", "clerk", "clerk-1"))
    assert r.status_code == 201, r.text
    archive = platform.url("archive")
    clerk = auth("hz-p1", "clerk", "clerk-1")

    async def filed() -> bool:
        return (await http.get(f"{archive}/v1/persons/{PERSON_A}/file", headers=clerk)).status_code == 200

    await eventually(filed, what="the person's file")
    memory.clear()
    with caplog.at_level(logging.DEBUG):
        found = await http.get(f"{archive}/v1/persons/{PERSON_A}/file",
                               params={"person_id": PERSON_A, "phone": PHONE}, headers=clerk)
        missing = await http.get(f"{archive}/v1/persons/{PERSON_B}/file", params={"about": PERSON_B},
                                 headers=clerk)
    assert found.status_code == 200
    # The error answered: the client that sent the number does not get it back.
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == f"no file for person {mask(PERSON_B)}" and PERSON_B not in missing.text

    def server_spans() -> list:
        return [s for s in memory.get_finished_spans()
                if s.kind == trace.SpanKind.SERVER and "/file" in str((s.attributes or {}).get("http.target", ""))]

    got = await eventually(lambda: _ready(server_spans(), 2), what="the server spans of both reads")
    exported = " ".join(f"{s.name} {dict(s.attributes or {})} {[dict(e.attributes or {}) for e in s.events]}"
                        for s in memory.get_finished_spans())
    for number in (PERSON_A, PERSON_B, PHONE):
        assert number not in exported
    targets = {str(s.attributes.get("http.target") or s.attributes.get("url.path")) for s in got}
    assert any(f"/v1/persons/{mask(PERSON_A)}/file" in t for t in targets), targets
    queries = " ".join(str(s.attributes.get("http.url", "")) + str(s.attributes.get("url.query", "")) +
                       str(s.attributes.get("http.target", "")) for s in got)
    assert f"person_id={mask(PERSON_A)}" in queries and f"phone={mask(PHONE)}" in queries
    assert {s.attributes.get("http.route") for s in got} == {"/v1/persons/{person_id}/file"}  # the template stays

    text = trace_file.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert any(f"/v1/persons/{mask(PERSON_A)}/file" in json.dumps(line["attributes"], ensure_ascii=False)
               for line in lines)
    for number in (PERSON_A, PERSON_B, PHONE):
        assert number not in text

    # The logs written while answering: the access recorded for the read names the person, masked.
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert f"of {mask(PERSON_A)}" in logged
    for number in (PERSON_A, PERSON_B, PHONE):
        assert number not in logged


async def _ready(spans: list, count: int) -> list | None:
    return spans if len(spans) >= count else None
