"""Every outlet of text about a request masks identity and mobile phone numbers with the one function: log records
(message, arguments, exception text, extra fields), span attributes before any exporter sees them (URL path and
query string, events, status), and the errors answered to clients (message, fields, params)."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from chassis.errors import InvalidInput, JingbanError, NotFound
from chassis.http import create_app
from chassis.logs import ContextFilter, MaskingJsonFormatter, install_masking, mask_record, setup_logging
from chassis.telemetry import JsonLinesSpanExporter, MaskingSpanProcessor, export_masked, masked_span

ID = "610702195803120012"
MASKED_ID = "610702********0012"
PHONE = "13812345678"
MASKED_PHONE = "138****5678"


# ---- logs ----

def _record(msg: str, *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError(f"bad person {ID}")
        except ValueError:
            import sys
            exc_info = sys.exc_info()
    return logging.LogRecord("t", logging.WARNING, __file__, 1, msg, args, exc_info)


def test_a_record_is_masked_in_message_arguments_and_exception() -> None:
    record = mask_record(_record("filed for %s (phone %s)", ID, PHONE, exc=True))
    assert record.getMessage() == f"filed for {MASKED_ID} (phone {MASKED_PHONE})"
    assert ID not in (record.exc_text or "") and MASKED_ID in (record.exc_text or "")
    text = logging.Formatter().format(record)
    assert ID not in text and PHONE not in text and "ValueError" in text


def test_arguments_stay_apart_when_each_masks_alone() -> None:
    record = mask_record(_record("%s %s %s", "GET", f"/v1/persons/{ID}/file", 200))
    assert record.args == ("GET", f"/v1/persons/{MASKED_ID}/file", 200)  # uvicorn's access formatter reads them
    record = mask_record(_record("%s%s", ID[:9], ID[9:]))  # a number split over two arguments
    assert record.args == () and record.getMessage() == MASKED_ID


def test_records_without_personal_data_are_left_as_they_are() -> None:
    record = mask_record(_record("batch %s of %d", "b-1", 3))
    assert record.msg == "batch %s of %d" and record.args == ("b-1", 3)


def test_the_json_line_masks_every_field_but_the_trace_id(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("intake")
    logging.getLogger("t").warning("filed for %s", ID, extra={"phone": PHONE, "detail": {"person": ID}})
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["message"] == f"filed for {MASKED_ID}"
    assert line["phone"] == MASKED_PHONE and line["detail"] == {"person": MASKED_ID}
    raw = json.dumps(line, ensure_ascii=False)
    assert ID not in raw and PHONE not in raw


def test_the_json_line_masks_the_exception(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("intake")
    try:
        raise RuntimeError(f"no such person {ID}")
    except RuntimeError:
        logging.getLogger("t").exception("lookup failed")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert MASKED_ID in line["exc_info"] and ID not in line["exc_info"]


def test_the_formatter_keeps_hex_ids_exact() -> None:
    formatter = MaskingJsonFormatter("%(message)s %(trace_id)s")
    record = _record("x")
    record.trace_id = "13812345678" + "0" * 21  # a trace id that starts like a phone number stays whole
    ContextFilter("svc").filter(record)
    record.trace_id = "13812345678" + "0" * 21
    assert json.loads(formatter.format(record))["trace_id"] == "13812345678" + "0" * 21


def test_installed_masking_reaches_every_handler(caplog: pytest.LogCaptureFixture) -> None:
    install_masking()
    install_masking()  # once is enough; twice changes nothing
    with caplog.at_level(logging.INFO):
        logging.getLogger("jingban.test").info("person %s phone %s", ID, PHONE)
    assert MASKED_ID in caplog.text and ID not in caplog.text and PHONE not in caplog.text


# ---- span attributes ----

@pytest.fixture
def tracing() -> tuple[TracerProvider, InMemorySpanExporter]:
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    export_masked(provider, exporter)
    return provider, exporter


def test_span_attributes_events_and_status_are_masked_before_export(
        tracing: tuple[TracerProvider, InMemorySpanExporter]) -> None:
    provider, exporter = tracing
    with provider.get_tracer("t").start_as_current_span(f"GET /v1/persons/{ID}/file") as span:
        span.set_attribute("http.target", f"/v1/persons/{ID}/file?phone={PHONE}")
        span.set_attribute("url.path", f"/v1/persons/{ID}/file")
        span.set_attribute("url.query", f"person_id={ID}")
        span.set_attribute("http.url", f"http://127.0.0.1:8101/v1/persons/{ID}/file?person_id={ID}")
        span.set_attribute("http.route", "/v1/persons/{person_id}/file")
        span.set_attribute("http.status_code", 404)
        span.set_attribute("jingban.ids", [ID, "x"])
        span.add_event("exception", {"exception.message": f"no file for person {ID}"})
        span.set_status(Status(StatusCode.ERROR, f"person {ID}"))
    (finished,) = exporter.get_finished_spans()
    attrs = dict(finished.attributes or {})
    assert finished.name == f"GET /v1/persons/{MASKED_ID}/file"
    assert attrs["http.target"] == f"/v1/persons/{MASKED_ID}/file?phone={MASKED_PHONE}"
    assert attrs["url.path"] == f"/v1/persons/{MASKED_ID}/file"
    assert attrs["url.query"] == f"person_id={MASKED_ID}"
    assert attrs["http.url"].endswith(f"/v1/persons/{MASKED_ID}/file?person_id={MASKED_ID}")
    assert attrs["http.route"] == "/v1/persons/{person_id}/file" and attrs["http.status_code"] == 404
    assert list(attrs["jingban.ids"]) == [MASKED_ID, "x"]
    assert finished.events[0].attributes["exception.message"] == f"no file for person {MASKED_ID}"
    assert finished.status.description == f"person {MASKED_ID}"
    assert finished.context.trace_id and finished.kind == trace.SpanKind.INTERNAL


def test_the_json_lines_trace_file_sees_only_masked_values(tmp_path) -> None:
    provider = TracerProvider()
    path = tmp_path / "spans.jsonl"
    export_masked(provider, JsonLinesSpanExporter(str(path)))
    with provider.get_tracer("t").start_as_current_span("GET", attributes={"url.query": f"id={ID}&p={PHONE}"}):
        pass
    text = path.read_text(encoding="utf-8")
    assert ID not in text and PHONE not in text
    assert json.loads(text.splitlines()[0])["attributes"]["url.query"] == f"id={MASKED_ID}&p={MASKED_PHONE}"


def test_the_masking_processor_passes_start_flush_and_shutdown_on() -> None:
    calls: list[str] = []

    class Inner:
        def on_start(self, span: object, parent_context: object = None) -> None:
            calls.append("start")

        def _on_ending(self, span: object) -> None:
            calls.append("ending")

        def on_end(self, span: object) -> None:
            calls.append("end")

        def shutdown(self) -> None:
            calls.append("shutdown")

        def force_flush(self, timeout_millis: int = 30000) -> bool:
            calls.append("flush")
            return True

    provider = TracerProvider()
    provider.add_span_processor(MaskingSpanProcessor(Inner()))  # type: ignore[arg-type]
    with provider.get_tracer("t").start_as_current_span("s"):
        pass
    assert provider.force_flush()
    provider.shutdown()
    assert calls == ["start", "ending", "end", "flush", "shutdown"]


def test_a_masked_copy_keeps_the_span_identity() -> None:
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider.add_span_processor(SimpleSpanProcessor(exporter))  # unmasked, to compare
    with provider.get_tracer("t").start_as_current_span("s", attributes={"a": ID}):
        pass
    (raw,) = exporter.get_finished_spans()
    copy = masked_span(raw)
    assert copy.context == raw.context and copy.parent == raw.parent and copy.start_time == raw.start_time
    assert copy.end_time == raw.end_time and copy.resource == raw.resource and copy.attributes == {"a": MASKED_ID}


# ---- errors answered to clients ----

def test_error_answers_mask_message_fields_and_params_but_keep_the_message_whole() -> None:
    exc = InvalidInput(f"person {ID} (phone {PHONE}) is not insured", "person_id",
                       params={"person_id": ID, "year": "2025"})
    body = exc.to_json()
    assert body["message"] == f"person {MASKED_ID} (phone {MASKED_PHONE}) is not insured"
    assert body["fields"] == [{"field": "person_id", "message": f"person {MASKED_ID} (phone {MASKED_PHONE}) "
                                                               "is not insured"}]
    assert body["params"] == {"person_id": MASKED_ID, "year": "2025"}
    assert exc.message.startswith(f"person {ID}")  # the code that caught it still has it whole
    assert exc.public_message == body["message"]
    assert JingbanError("nothing personal").to_json() == {"code": "invalid_request", "message": "nothing personal"}


async def test_the_http_answer_carries_the_masked_error() -> None:
    async def ready() -> dict[str, bool]:
        return {"store": True}

    app: FastAPI = create_app("t", "t", ready)

    @app.get("/v1/persons/{person_id}")
    async def person(person_id: str) -> None:
        raise NotFound(f"no file for person {person_id}", params={"person_id": person_id})

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        r = await client.get(f"/v1/persons/{ID}")
    assert r.status_code == 404
    assert r.json()["error"] == {"code": "not_found", "message": f"no file for person {MASKED_ID}",
                                 "params": {"person_id": MASKED_ID}}
    assert ID not in r.text
