"""Settlement documents (结算资料) as a program asks for them: program.yaml `settlement.statement_documents` lists
the kinds (Xunyang: "购药明细、结算表、发票原件" → `purchase_details`, `settlement_sheet`, `invoice`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from chassis.programs import program_of_tenant

DOCUMENTS_MISSING = "statement_documents_missing"   # error code: a statement cannot close without them
OPEN_STATUSES = ("open", "closing")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = ("application/pdf", "image/png", "image/jpeg", XLSX, "text/csv")
KEYS = ("document_id", "statement_id", "kind", "filename", "content_type", "size", "sha256", "uploaded_at",
        "uploaded_by")


@dataclass(frozen=True)
class File:
    """One file of an upload: its form field's name (the kind), as the client named and typed it."""

    name: str
    filename: str | None
    content_type: str
    content: bytes
    is_file: bool = True   # False: a form field that is not a file


def required_kinds(tenant: str) -> tuple[str, ...]:
    program = program_of_tenant(tenant)
    kinds = program.setting("settlement", "statement_documents") if program else None
    return tuple(str(k) for k in kinds) if isinstance(kinds, list) else ()


def sniff(content_type: str, content: bytes) -> bool:
    """The bytes must be what the declared type says (a renamed executable is not an invoice)."""
    head = content[:16]
    if content_type == "text/csv":
        try:
            return b"\x00" not in content and bool(content.decode("utf-8-sig").strip())
        except UnicodeDecodeError:
            return False
    return {"application/pdf": head.startswith(b"%PDF-"), "image/png": head.startswith(b"\x89PNG\r\n\x1a\n"),
            "image/jpeg": head.startswith(b"\xff\xd8\xff"), XLSX: head.startswith(b"PK\x03\x04")
            }.get(content_type, False)


def missing_kinds(required: tuple[str, ...], present: list[str]) -> list[str]:
    have = set(present)
    return [k for k in required if k not in have]


def checked_documents(files: list[File], kinds: tuple[str, ...], max_bytes: int, statement: dict[str, Any],
                      uploaded_by: str, now: str) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The documents to store, one per file (its id derived from the statement, kind and sha256: the same file again
    is the same document), and an error per file refused (`documents.<kind>`)."""
    errors: list[dict[str, str]] = []
    docs: list[dict[str, Any]] = []
    sid = statement["_id"]
    for f in files:
        field = f"documents.{f.name}"
        if f.name not in kinds or not f.is_file:
            errors.append({"field": field, "message": f"unexpected field; the documents are {', '.join(kinds)}"})
            continue
        ctype = (f.content_type or "").split(";")[0].strip().lower()
        if not f.content or len(f.content) > max_bytes:
            errors.append({"field": field, "message": f"{f.filename}: must be 1 to {max_bytes} bytes"})
        elif ctype not in CONTENT_TYPES or not sniff(ctype, f.content):
            errors.append({"field": field, "message": f"{f.filename}: must be one of {', '.join(CONTENT_TYPES)}"
                                                      " and its content must match its type"})
        else:
            sha = hashlib.sha256(f.content).hexdigest()
            docs.append({"_id": f"{sid}|{f.name}|{sha[:32]}", "document_id": f"{f.name}-{sha[:16]}",
                         "statement_id": sid, "institution_code": statement["institution_code"],
                         "kind": f.name, "filename": f.filename or f.name, "content_type": ctype,
                         "size": len(f.content), "sha256": sha, "uploaded_at": now,
                         "uploaded_by": uploaded_by, "content": f.content})
    return docs, errors


def document_view(d: dict[str, Any]) -> dict[str, Any]:
    return {k: d.get(k) for k in KEYS}
