"""Structured JSON logs carrying service, tenant and trace id; resident ID numbers are masked."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from chassis.identity import current_identity
from chassis.telemetry import trace_id_hex

# 18-digit resident identity number (居民身份证号): keep region (6) and check digits (4).
ID_NUMBER = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?![\dXx])")


def mask_id_numbers(text: str) -> str:
    return ID_NUMBER.sub(r"\1********\2", text)


class ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def filter(self, record: logging.LogRecord) -> bool:
        ident = current_identity.get()
        record.service = self._service
        record.tenant = getattr(record, "tenant", None) or (ident.tenant if ident else "")
        record.trace_id = trace_id_hex()
        record.msg = mask_id_numbers(record.getMessage())
        record.args = ()
        return True


class MaskingJsonFormatter(JsonFormatter):
    def process_log_record(self, log_record: dict[str, Any]) -> dict[str, Any]:
        for key, value in list(log_record.items()):
            if isinstance(value, str):
                log_record[key] = mask_id_numbers(value)
        return log_record


def setup_logging(service: str, level: str = "INFO") -> None:
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
