"""The files an institution's file keeps (机构档案材料): the application's documents (licence, …), a review step's
evidence and an interview's minutes (约谈记录). Each file's bytes must be what its content type says (sniffed), and
its sha256 is recorded; the same file again is the same document. Pure."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from chassis.errors import InvalidInput

CONTENT_TYPES = ("application/pdf", "image/png", "image/jpeg")

# The application's documents (申请材料), by form field. **(choice)** The tender names none; the licence (执业许可证 or
# 营业执照 / 登记证书) is required of every kind, the rest are taken when given.
APPLICATION_DOCUMENTS = ("licence", "application_form", "staff_roster", "floor_plan", "fire_safety",
                         "qualifications", "other")
REQUIRED_DOCUMENTS = ("licence",)
EVIDENCE = "evidence"   # a review step's evidence (photos of the site, the panel's score sheets)
MINUTES = "minutes"     # an interview's minutes (约谈记录), exactly one
MAX_FILES = 8

DOCUMENT_KEYS = ("document_id", "kind", "filename", "content_type", "size", "sha256")


@dataclass(frozen=True)
class File:
    """One part of a multipart upload as the door read it: its form field, file name, declared type and bytes."""

    field: str
    filename: str | None
    content_type: str
    content: bytes
    is_file: bool = True   # False: a form field that is not a file


def sniff(content_type: str, content: bytes) -> bool:
    """The bytes must be what the declared type says (a renamed executable is not a licence)."""
    head = content[:16]
    return {"application/pdf": head.startswith(b"%PDF-"), "image/png": head.startswith(b"\x89PNG\r\n\x1a\n"),
            "image/jpeg": head.startswith(b"\xff\xd8\xff")}.get(content_type, False)


def checked_files(files: list[File], fields: tuple[str, ...], max_bytes: int) -> list[dict[str, Any]]:
    """The documents to keep, one per file (its id from the kind and the bytes' sha256), every file checked first:
    one refused file refuses them all (422 `document_not_accepted` naming each, `documents.<field>`)."""
    errors: list[dict[str, str]] = []
    docs: list[dict[str, Any]] = []
    for f in files:
        where = f"documents.{f.field}"
        if f.field not in fields or not f.is_file:
            errors.append({"field": where, "message": f"unexpected form field; the files are {', '.join(fields)}"})
            continue
        ctype = (f.content_type or "").split(";")[0].strip().lower()
        if not f.content or len(f.content) > max_bytes:
            errors.append({"field": where, "message": f"{f.filename or f.field}: must be 1 to {max_bytes} bytes"})
        elif ctype not in CONTENT_TYPES or not sniff(ctype, f.content):
            errors.append({"field": where, "message": f"{f.filename or f.field}: must be one of "
                                                      f"{', '.join(CONTENT_TYPES)} and its content must match"})
        else:
            sha = hashlib.sha256(f.content).hexdigest()
            docs.append({"document_id": f"{f.field}-{sha[:16]}", "kind": f.field,
                         "filename": (f.filename or f.field)[:200], "content_type": ctype, "size": len(f.content),
                         "sha256": sha, "content": f.content})
    if errors:
        raise InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors[0]["field"],
                           fields=errors, code="document_not_accepted")
    unique: dict[str, dict[str, Any]] = {}
    for d in docs:  # the same file twice is one document
        unique.setdefault(d["document_id"], d)
    return list(unique.values())


def require_documents(docs: list[dict[str, Any]], required: tuple[str, ...] = REQUIRED_DOCUMENTS) -> None:
    """The application carries every required kind (422 `documents_missing` naming the first missing)."""
    present = {d["kind"] for d in docs}
    missing = [k for k in required if k not in present]
    if missing:
        raise InvalidInput(f"the application needs the document(s) {', '.join(missing)} (PDF, PNG or JPEG)",
                           f"documents.{missing[0]}", code="documents_missing", params={"missing": ",".join(missing)})


def require_one(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """Exactly one file of `kind` (an interview's minutes)."""
    found = [d for d in docs if d["kind"] == kind]
    if len(found) != 1:
        raise InvalidInput(f"send exactly one `{kind}` file (PDF, PNG or JPEG), not {len(found)}",
                           f"documents.{kind}", code="documents_missing" if not found else "document_not_accepted",
                           params={"missing": kind} if not found else None)
    return found[0]


def reference(doc: dict[str, Any]) -> dict[str, Any]:
    """What the institution's file records of a document (the bytes are kept apart)."""
    return {k: doc[k] for k in DOCUMENT_KEYS}
