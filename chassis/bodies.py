"""Request bodies as bytes (pure; the HTTP door's helpers in chassis/http.py read them off the request): the media
type of a Content-Type header, and JSON whose numbers can be read exactly — 12.345 stays three decimals (and is
then refused by the money parser), never a float rounded on the way in."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from chassis.errors import InvalidInput


def media_type(header: str | None) -> str:
    """`application/json; charset=utf-8` → `application/json`."""
    return (header or "").split(";", 1)[0].strip().lower()


def parse_json(body: bytes, *, exact_numbers: bool = True, object_required: bool = False) -> Any:
    """JSON with numbers as Decimal (`exact_numbers`) and, where asked, an object at the top."""
    try:
        data = json.loads(body, parse_float=Decimal) if exact_numbers else json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"body is not valid JSON: {exc}", "body", code="invalid_json") from exc
    if object_required and not isinstance(data, dict):
        raise InvalidInput("body must be a JSON object", "body")
    return data
