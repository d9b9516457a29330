"""The documents of a case file (案卷材料): each file's form field is its kind, its bytes must be what its content type
says (sniffed), its sha256 is recorded and names it — the same file again is the same document. Pure."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chassis.errors import InvalidInput

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = ("application/pdf", "image/png", "image/jpeg", XLSX, "text/csv")
# 证据 (evidence), 询问/检查笔录 (record), 通知书 (notice), 处理决定书 (decision), 缴款凭证/收据 (receipt), 调查报告
# (report), other.
KINDS = ("evidence", "record", "notice", "decision", "receipt", "report", "other")
MAX_FILES = 10
REFERENCE_KEYS = ("document_id", "kind", "filename", "content_type", "size", "sha256", "added_at", "added_by")


@dataclass(frozen=True)
class File:
    """One part of a multipart upload as the door read it: its form field, file name, declared type and bytes."""

    field: str
    filename: str | None
    content_type: str
    content: bytes
    is_file: bool = True   # False: a form field that is not a file


def sniff(content_type: str, content: bytes) -> bool:
    """The bytes must be what the declared type says (a renamed executable is not evidence)."""
    head = content[:16]
    if content_type == "text/csv":
        try:
            return b"\x00" not in content and bool(content.decode("utf-8-sig").strip())
        except UnicodeDecodeError:
            return False
    return {"application/pdf": head.startswith(b"%PDF-"), "image/png": head.startswith(b"\x89PNG\r\n\x1a\n"),
            "image/jpeg": head.startswith(b"\xff\xd8\xff"), XLSX: head.startswith(b"PK\x03\x04")
            }.get(content_type, False)


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def checked_files(files: Sequence[File], max_bytes: int, added_at: str, added_by: str) -> list[dict[str, Any]]:
    """The documents to keep, one per file (its id from the kind and the bytes' sha256), every file checked first:
    one refused file refuses them all (422 `document_not_accepted` naming each, `documents.<kind>`)."""
    if not files:
        raise InvalidInput(f"send at least one file, in a field named by its kind ({', '.join(KINDS)})",
                           "documents", code="document_not_accepted")
    errors: list[dict[str, str]] = []
    docs: dict[str, dict[str, Any]] = {}
    for f in files:
        where = f"documents.{f.field}"
        if f.field not in KINDS or not f.is_file:
            errors.append({"field": where, "message": f"unexpected form field; the kinds are {', '.join(KINDS)}"})
            continue
        ctype = (f.content_type or "").split(";")[0].strip().lower()
        if not f.content or len(f.content) > max_bytes:
            errors.append({"field": where, "message": f"{f.filename or f.field}: must be 1 to {max_bytes} bytes"})
        elif ctype not in CONTENT_TYPES or not sniff(ctype, f.content):
            errors.append({"field": where, "message": f"{f.filename or f.field}: must be one of "
                                                      f"{', '.join(CONTENT_TYPES)} and its content must match"})
        else:
            digest = sha256(f.content)
            docs.setdefault(f"{f.field}-{digest[:16]}", {
                "document_id": f"{f.field}-{digest[:16]}", "kind": f.field,
                "filename": (f.filename or f.field)[:200], "content_type": ctype, "size": len(f.content),
                "sha256": digest, "added_at": added_at, "added_by": added_by, "content": f.content})
    if errors:
        raise InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors[0]["field"],
                           fields=errors, code="document_not_accepted")
    return list(docs.values())


def reference(doc: dict[str, Any]) -> dict[str, Any]:
    """What the case records of a document (the bytes are kept apart)."""
    return {k: doc[k] for k in REFERENCE_KEYS}
