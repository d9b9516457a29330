"""Masking of personal identifiers (脱敏) in every text the platform emits about a request: log records
(chassis/logs.py), span attributes before export (chassis/telemetry.py) and error answers (chassis/errors.py).

What is masked, wherever it stands in a text:
- resident identity numbers (居民身份证号): 18 characters (17 digits and a digit or X) keep their region (6) and
  their last 4 — `610702********0012`; the old 15-digit ones (a valid birth date in characters 7–12) keep their
  region and their last 3 — `610702******123`;
- mobile phone numbers (手机号): 11 digits from 13x to 19x, with or without +86 and separators, keep the first 3
  and the last 4 — `138****5678`.

One function, `mask`, for all three outlets, so a text is masked the same way wherever it goes. It is a last line of
defence, not a licence: code still keeps personal data out of messages where it can."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Digits on either side would make it part of a longer number (an amount, a timestamp): not an identity number.
ID_NUMBER_18 = re.compile(r"(?<!\d)([1-9]\d{5})(\d{8})(\d{3}[\dXx])(?![\dXx])")
ID_NUMBER_15 = re.compile(r"(?<!\d)([1-9]\d{5})(\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))(\d{3})(?!\d)")
# Letters or digits on either side would make it part of a token (a hex trace id, a uuid): not a phone number.
MOBILE = re.compile(r"(?<![0-9A-Za-z+])((?:\+?86[- ]?)?1[3-9]\d)([- ]?)(\d{4})([- ]?)(\d{4})(?![0-9A-Za-z])")


def _mobile(m: re.Match[str]) -> str:
    return f"{m.group(1)}{m.group(2)}****{m.group(4)}{m.group(5)}"


def mask(text: str) -> str:
    """The text with every identity number and mobile phone number masked; anything else unchanged."""
    if not text or not any(c.isdigit() for c in text):
        return text
    text = ID_NUMBER_18.sub(r"\1********\3", text)
    text = ID_NUMBER_15.sub(r"\1******\3", text)
    return MOBILE.sub(_mobile, text)


def mask_value(value: Any) -> Any:
    """A value with its texts masked: strings, and the strings inside mappings, lists and tuples (keys of a mapping
    included); anything else as it is."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, Mapping):
        return {mask(k) if isinstance(k, str) else k: mask_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, tuple):
        return tuple(mask_value(v) for v in value)
    return value
