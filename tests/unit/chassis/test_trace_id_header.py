"""`x-trace-id` on every answer of a service's app (chassis.http `create_app`, the web contract): 32 lowercase hex, the
trace id of the server span the instrumentation records for the request (as chassis/host.py instruments each app),
on successes, domain refusals, 401, 404, 405, 422, the body limit's 413, a download's stream and an error nothing
handled (answered 500 `internal` here, then raised on as before); the caller's trace when it sent a `traceparent`;
and on the untraced probes and the 503 of a request handed back on stop, an id all the same."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import Request
from fastapi.responses import StreamingResponse
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from chassis.errors import Forbidden
from chassis.http import TRACE_ID_HEADER, HandBackOnStop, Scope, create_app, read_json
from chassis.masking import mask
from chassis.telemetry import export_masked
from tests.conftest import PERSON_A

HEX32 = re.compile(r"^[0-9a-f]{32}$")
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


async def _ready() -> dict[str, Any]:
    return {"checks": {"store": True}}


def _app() -> Any:
    app = create_app("intake", "t", ready=_ready)

    @app.get("/v1/ok")
    async def ok() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/v1/refused")
    async def refused() -> None:
        raise Forbidden("role 'applicant' may not do this")

    @app.get("/v1/private")
    async def private(scope: Scope) -> dict[str, str]:
        return {"tenant": scope.tenant}

    @app.get("/v1/items/{number}")
    async def item(number: int) -> dict[str, int]:
        return {"number": number}

    @app.post("/v1/echo")
    async def echo(request: Request) -> Any:
        return await read_json(request)

    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError(f"a bug nothing handles, reading person {PERSON_A}")

    @app.get("/v1/download")
    async def download() -> StreamingResponse:
        async def pieces() -> AsyncIterator[bytes]:
            for _ in range(3):
                yield b"x" * 1024

        return StreamingResponse(pieces(), media_type="application/octet-stream")

    return app


@pytest.fixture
def traced() -> tuple[Any, InMemorySpanExporter]:
    """The app as the host serves it: instrumented (here with a provider of its own, exporting to memory behind the
    masking processor as setup_telemetry's exporters are)."""
    provider = TracerProvider()
    memory = InMemorySpanExporter()
    export_masked(provider, memory)
    app = _app()
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls="healthz,readyz")
    return app, memory


def _client(app: Any) -> httpx.AsyncClient:
    # raise_app_exceptions=False: the unhandled error is raised on to the server after its answer, as in uvicorn.
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                             base_url="http://intake")


def _server_spans(memory: InMemorySpanExporter, trace_id: str) -> list[Any]:
    return [s for s in memory.get_finished_spans()
            if s.kind == trace.SpanKind.SERVER and f"{s.context.trace_id:032x}" == trace_id]


async def test_every_answer_names_the_trace_of_its_server_span(traced: tuple[Any, InMemorySpanExporter]) -> None:
    app, memory = traced
    async with _client(app) as http:
        answers = {
            "ok": await http.get("/v1/ok"),
            "refused": await http.get("/v1/refused"),
            "unauthenticated": await http.get("/v1/private"),
            "not found": await http.get("/v1/nothing/here"),
            "wrong method": await http.delete("/v1/ok"),
            "invalid": await http.get("/v1/items/not-a-number"),
            "too large": await http.post("/v1/echo", content=b"x" * (2 << 20),
                                         headers={"content-type": "application/json"}),
            "download": await http.get("/v1/download"),
            "unhandled": await http.get("/v1/boom"),
        }
    statuses = {name: r.status_code for name, r in answers.items()}
    assert statuses == {"ok": 200, "refused": 403, "unauthenticated": 401, "not found": 404, "wrong method": 405,
                        "invalid": 422, "too large": 413, "download": 200, "unhandled": 500}
    seen: set[str] = set()
    for name, r in answers.items():
        trace_id = r.headers.get(TRACE_ID_HEADER, "")
        assert HEX32.match(trace_id), (name, trace_id)
        spans = _server_spans(memory, trace_id)
        assert len(spans) == 1, (name, trace_id, [s.name for s in memory.get_finished_spans()])
        seen.add(trace_id)
    assert len(seen) == len(answers)  # one trace per request
    assert len(answers["download"].content) == 3 * 1024
    assert answers["not found"].json()["error"]["code"] == "not_found"


async def test_an_error_nothing_handled_is_answered_500_with_the_trace_and_recorded_on_its_span(
        traced: tuple[Any, InMemorySpanExporter]) -> None:
    app, memory = traced
    async with _client(app) as http:
        r = await http.get("/v1/boom")
    assert r.status_code == 500 and r.json()["error"]["code"] == "internal"
    assert "a bug nothing handles" not in r.text  # the cause stays in the logs and the trace, not the answer
    (span,) = _server_spans(memory, r.headers[TRACE_ID_HEADER])
    assert span.status.status_code == StatusCode.ERROR
    (event,) = [e for e in span.events if e.name == "exception"]
    # Recorded as it leaves the process: the identity number masked, in the event and the status alike.
    exported = f"{dict(event.attributes or {})} {span.status.description}"
    assert PERSON_A not in exported and mask(PERSON_A) in exported


async def test_a_caller_s_traceparent_is_the_trace_answered(traced: tuple[Any, InMemorySpanExporter]) -> None:
    app, memory = traced
    parent = {"traceparent": f"00-{CALLER_TRACE}-00f067aa0ba902b7-01"}
    async with _client(app) as http:
        traced_answer = await http.get("/v1/ok", headers=parent)
        probe_with_parent = await http.get("/healthz", headers=parent)
    assert traced_answer.headers[TRACE_ID_HEADER] == CALLER_TRACE
    assert len(_server_spans(memory, CALLER_TRACE)) == 1
    assert probe_with_parent.headers[TRACE_ID_HEADER] == CALLER_TRACE  # untraced, yet the caller's trace


async def test_the_untraced_probes_and_an_uninstrumented_app_still_answer_an_id() -> None:
    async with _client(_app()) as http:  # no instrumentation, no tracer provider: no span at all
        probe, page = await http.get("/healthz"), await http.get("/v1/ok")
    ids = [probe.headers.get(TRACE_ID_HEADER, ""), page.headers.get(TRACE_ID_HEADER, "")]
    assert all(HEX32.match(i) and i != "0" * 32 for i in ids) and ids[0] != ids[1]


async def test_a_request_handed_back_on_stop_names_its_trace(traced: tuple[Any, InMemorySpanExporter]) -> None:
    app, _memory = traced
    reached = asyncio.Event()

    @app.get("/v1/slow")
    async def slow() -> None:
        reached.set()
        await asyncio.sleep(60)

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/v1/slow", "raw_path": b"/v1/slow", "query_string": b"", "root_path": "",
             "headers": [(b"host", b"intake"), (b"traceparent", f"00-{CALLER_TRACE}-00f067aa0ba902b7-01".encode())],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8101)}
    task = asyncio.create_task(HandBackOnStop(app)(scope, receive, send))
    await asyncio.wait_for(reached.wait(), 5)
    task.cancel()  # the graceful stop ran out
    await asyncio.wait_for(task, 5)
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 503
    assert dict(start["headers"])[TRACE_ID_HEADER.encode()] == CALLER_TRACE.encode()
