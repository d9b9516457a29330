"""The on-site visit (上门评定) and its information collection record (评定信息采集过程记录): when and where the pair
visited, who was there, what they noted, and the evidence — photos and recordings whose bytes must be what their
type says (sniffed), each kept with its sha256 and size so the record can be checked later."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from chassis.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType

# Evidence form fields: `photo`, `photo2`, `photo_kitchen` … and `recording`, `recording1` …
EVIDENCE_FIELD = re.compile(r"^(photo|recording)[A-Za-z0-9_\-]{0,30}$")
MAX_EVIDENCE = 12
PHOTO_TYPES = ("image/jpeg", "image/png")
RECORDING_TYPES = ("audio/mpeg", "audio/mp4", "audio/x-m4a", "audio/m4a", "audio/wav", "audio/x-wav", "audio/wave",
                   "video/mp4")
TYPES = {"photo": PHOTO_TYPES, "recording": RECORDING_TYPES}
PRESENT_MAX = 10


@dataclass(frozen=True)
class Evidence:
    """One uploaded file as the door read it."""

    field: str
    filename: str
    content_type: str
    size: int

    @property
    def kind(self) -> str:
        return "photo" if self.field.startswith("photo") else "recording"


def evidence_kind(field: str) -> str:
    """`photo` or `recording` for an evidence field's name; anything else is refused, naming it."""
    m = EVIDENCE_FIELD.match(field)
    if not m:
        raise InvalidInput(f"unexpected form field {field!r}: evidence fields are photo… and recording…", field)
    return m.group(1)


def sniff(content_type: str, head: bytes) -> bool:
    """The bytes are what the declared type says (a renamed file is not a photo or a recording)."""
    if content_type == "image/jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if content_type == "image/png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if content_type == "audio/mpeg":  # an ID3 tag, or an MPEG audio frame's sync word
        return head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)
    if content_type in ("audio/wav", "audio/x-wav", "audio/wave"):
        return head[:4] == b"RIFF" and head[8:12] == b"WAVE"
    if content_type in ("audio/mp4", "audio/x-m4a", "audio/m4a", "video/mp4"):  # ISO base media: a `ftyp` box first
        return head[4:8] == b"ftyp"
    return False


def check_evidence(e: Evidence, head: bytes, max_bytes: int) -> None:
    """Type allowed for its kind, not empty, not over the limit, the bytes of its type."""
    allowed = TYPES[e.kind]
    if e.content_type not in allowed:
        raise UnsupportedMediaType(f"{e.field}: {e.content_type or 'no content type'} is not accepted for a {e.kind}; "
                                   f"use {', '.join(allowed)}", e.field)
    if e.size == 0:
        raise InvalidInput(f"{e.field}: the file is empty", e.field)
    if e.size > max_bytes:
        raise PayloadTooLarge(f"{e.field}: {e.size} bytes exceeds the {max_bytes}-byte limit", e.field)
    if not sniff(e.content_type, head):
        raise UnsupportedMediaType(f"{e.field}: the content is not {e.content_type}", e.field)


def check_visited_on(visited_on: date, opened_on: date, today: date) -> None:
    if visited_on > today:
        raise InvalidInput(f"visited_on {visited_on.isoformat()} is in the future", "visit.visited_on")
    if visited_on < opened_on:
        raise InvalidInput(f"visited_on {visited_on.isoformat()} is before the assessment opened "
                           f"({opened_on.isoformat()})", "visit.visited_on")
