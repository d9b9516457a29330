"""Structured JSON logs carrying service, tenant and trace id; identity and mobile phone numbers masked
(chassis/masking.py) in every record: its message and arguments, its exception and stack text, and every field the
JSON line carries."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from chassis.identity import current_identity
from chassis.masking import mask, mask_value
from chassis.telemetry import trace_id_hex

# What the outbox, the consumer and the dead-letter tools have always called (one masking function for all).
mask_id_numbers = mask

# Fields of a JSON line that are never personal data and must stay exact (a hex id may look like digits).
UNMASKED_FIELDS = frozenset({"trace_id", "span_id", "ts", "level", "logger"})
_MASKED = "_jingban_masked"


def _plain_message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # arguments that do not fit the message: keep both, as text
        return f"{record.msg} {record.args!r}"


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask a record in place, once: its message with its arguments, its exception text and its stack.

    The arguments stay apart from the message (formatters such as uvicorn's read them) when masking each of them
    gives the same text as masking the whole; otherwise the masked text replaces both."""
    if getattr(record, _MASKED, False):
        return record
    message = _plain_message(record)
    masked = mask(message)
    if masked != message:
        kept = False
        if isinstance(record.msg, str) and record.args:
            args = mask_value(record.args)
            try:
                kept = mask(record.msg) % args == masked
            except Exception:
                kept = False
            if kept:
                record.msg, record.args = mask(record.msg), args
        if not kept:
            record.msg, record.args = masked, ()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask(record.exc_text)
    if record.stack_info:
        record.stack_info = mask(record.stack_info)
    setattr(record, _MASKED, True)
    return record


_install_lock = threading.Lock()
_installed: Callable[..., logging.LogRecord] | None = None


def install_masking() -> None:
    """Mask every log record of this process as it is made, whichever handler takes it afterwards (the JSON
    handler below, a test's capture, a library's own): wraps the record factory, once."""
    global _installed
    with _install_lock:
        if _installed is not None and logging.getLogRecordFactory() is _installed:
            return
        base = logging.getLogRecordFactory()

        def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return mask_record(base(*args, **kwargs))

        logging.setLogRecordFactory(masked_record)
        _installed = masked_record


class ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def filter(self, record: logging.LogRecord) -> bool:
        ident = current_identity.get()
        record.service = self._service
        record.tenant = getattr(record, "tenant", None) or (ident.tenant if ident else "")
        record.trace_id = trace_id_hex()
        mask_record(record)
        return True


class MaskingJsonFormatter(JsonFormatter):
    """Masks every field of the line (an `extra=` field too), the exception and the stack included."""

    def process_log_record(self, log_record: dict[str, Any]) -> dict[str, Any]:
        for key, value in list(log_record.items()):
            if key not in UNMASKED_FIELDS:
                log_record[key] = mask_value(value)
        return log_record


def setup_logging(service: str, level: str = "INFO") -> None:
    install_masking()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(MaskingJsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(tenant)s %(trace_id)s",
        rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
    ))
    handler.addFilter(ContextFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("kafka", "pymongo", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
