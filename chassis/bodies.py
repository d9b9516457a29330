"""Request bodies as bytes (pure; the HTTP door's helpers in chassis/http.py read them off the request): the media
type of a Content-Type header, and JSON whose numbers can be read exactly — 12.345 stays three decimals (and is
then refused by the money parser), never a float rounded on the way in."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from chassis.errors import InvalidInput


def media_type(header: str | None) -> str:
    """`application/json; charset=utf-8` → `application/json`."""
    return (header or "").split(";", 1)[0].strip().lower()


# `\ud800`–`\udfff` escaped in a JSON string: a pair is one character (an emoji), a lone one is no character at all.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
# The same surrogate written as raw bytes (ED A0–BF xx, not UTF-8): `json.loads` takes bytes with "surrogatepass".
_SURROGATE_BYTES = re.compile(rb"\xed[\xa0-\xbf]")


def _refuse_lone_surrogates(data: Any, field: str) -> None:
    """A string holding a lone surrogate cannot be stored, logged or sent on (it has no UTF-8): refused at the door,
    not a 500 wherever it is first encoded."""
    try:
        json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(f"{field} is not valid JSON: a string holds a lone surrogate escape (\\ud800–\\udfff), "
                           "which is no Unicode character", field, code="invalid_json") from exc


def parse_json(body: bytes, *, exact_numbers: bool = True, object_required: bool = False,
               field: str = "body") -> Any:
    """JSON with numbers as Decimal (`exact_numbers`) and, where asked, an object at the top. `field` names what is
    parsed in a refusal: the body, or a form field holding JSON (a multipart upload's `application`)."""
    try:
        data = json.loads(body, parse_float=Decimal) if exact_numbers else json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{field} is not valid JSON: {exc}", field, code="invalid_json") from exc
    except RecursionError as exc:  # `[[[[…]]]]` thousands deep: no body of ours nests so
        raise InvalidInput(f"{field} is not valid JSON: nested too deeply", field, code="invalid_json") from exc
    if _SURROGATE_ESCAPE.search(body) or _SURROGATE_BYTES.search(body):
        _refuse_lone_surrogates(data, field)
    if object_required and not isinstance(data, dict):
        raise InvalidInput(f"{field} must be a JSON object", field)
    return data
