"""The settlement documents an institution hands in with its monthly statement (结算资料), when its program asks for
them: program.yaml `settlement.statement_documents` lists the kinds (Xunyang: "购药明细、结算表、发票原件" →
`purchase_details`, `settlement_sheet`, `invoice`). A statement closes only once every kind is there.

POST `/v1/statements/{id}/documents` (multipart, one file field per document, named by its kind; several files of a
kind are fine): the institution itself (its own statements), a clerk or finance, while the statement is open. Each
file's bytes must be what its content type says (sniffed) and its sha256 is recorded; the same file again is the
same document (idempotent). Collection `statement_documents` (settlement's database of each tenant)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from chassis.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, UnsupportedMediaType
from chassis.host import ServiceContext
from chassis.http import Caller, require_role
from chassis.identity import Identity
from chassis.programs import program_of_tenant
from services.settlement.chronic.store import SettlementStore  # statement_documents lives in store.py

DOCUMENTS_MISSING = "statement_documents_missing"   # reason code: a statement cannot close without them
UPLOADERS = ("institution", "clerk", "finance")
READERS = ("clerk", "finance", "supervisor", "ops", "inspector", "institution")
OPEN_STATUSES = ("open", "closing")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = ("application/pdf", "image/png", "image/jpeg", XLSX, "text/csv")
KEYS = ("document_id", "statement_id", "kind", "filename", "content_type", "size", "sha256", "uploaded_at",
        "uploaded_by")


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


async def require_documents(db: Any, tenant: str, statement_id: str) -> None:
    """Before a statement of a program that asks for settlement documents is closed: every kind is there, else 409
    `statement_documents_missing` naming them. A statement already closed (or missing) is left to the close step."""
    required = required_kinds(tenant)
    if not required:
        return
    store = SettlementStore(db)
    doc = await store.statement(statement_id)
    if doc is None or doc.get("status") not in OPEN_STATUSES:
        return
    present = [d["kind"] for d in await store.statement_documents(statement_id)]
    missing = missing_kinds(required, present)
    if missing:
        raise Conflict(f"{DOCUMENTS_MISSING}: statement {statement_id} cannot close without its settlement documents "
                       f"{missing} (购药明细、结算表、发票); upload them to /v1/statements/{statement_id}/documents",
                       "documents")


def document_view(d: dict[str, Any]) -> dict[str, Any]:
    return {k: d.get(k) for k in KEYS}


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1/statements", tags=["statements"])
    max_bytes = ctx.settings.max_upload_bytes

    async def statement_of(caller: Identity, sid: str) -> dict[str, Any]:
        doc = await SettlementStore(ctx.db(caller.tenant)).statement(sid)
        # An institution sees only its own statements: another's answers like a missing one.
        if doc is None or (caller.role == "institution" and caller.subject != doc["institution_code"]):
            raise NotFound(f"statement {sid} not found")
        return doc

    @r.post("/{statement_id}/documents", status_code=201,
            summary="Hand in settlement documents (购药明细, 结算表, 发票): multipart, one file field per document, "
                    "named by its kind")
    async def upload(statement_id: str, request: Request, caller: Caller) -> dict[str, Any]:
        require_role(caller, *UPLOADERS)
        statement = await statement_of(caller, statement_id)
        kinds = required_kinds(caller.tenant)
        if not kinds:
            raise Conflict("this program asks for no settlement documents with its statements", "documents")
        if statement["status"] not in OPEN_STATUSES:
            raise Conflict(f"statement {statement_id} is {statement['status']}: documents are handed in while it is "
                           "open", "status")
        if not (request.headers.get("content-type") or "").startswith("multipart/form-data"):
            raise UnsupportedMediaType(f"send multipart/form-data: one file field per document, named by its kind "
                                       f"({', '.join(kinds)})", "content-type")
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_bytes * 8 + 65536:
            raise PayloadTooLarge(f"request of {declared} bytes exceeds the upload limit", "body")
        form = await request.form(max_files=8, max_part_size=max_bytes + 1)
        errors: list[dict[str, str]] = []
        files: list[dict[str, Any]] = []
        now = datetime.now(UTC).isoformat()
        for name, value in form.multi_items():
            field = f"documents.{name}"
            if name not in kinds or not isinstance(value, UploadFile):
                errors.append({"field": field, "message": f"unexpected field; the documents are {', '.join(kinds)}"})
                continue
            content = await value.read()
            ctype = (value.content_type or "").split(";")[0].strip().lower()
            if not content or len(content) > max_bytes:
                errors.append({"field": field, "message": f"{value.filename}: must be 1 to {max_bytes} bytes"})
            elif ctype not in CONTENT_TYPES or not sniff(ctype, content):
                errors.append({"field": field, "message": f"{value.filename}: must be one of {', '.join(CONTENT_TYPES)}"
                                                          " and its content must match its type"})
            else:
                sha = hashlib.sha256(content).hexdigest()
                files.append({"_id": f"{statement_id}|{name}|{sha[:32]}", "document_id": f"{name}-{sha[:16]}",
                              "statement_id": statement_id, "institution_code": statement["institution_code"],
                              "kind": name, "filename": value.filename or name, "content_type": ctype,
                              "size": len(content), "sha256": sha, "uploaded_at": now,
                              "uploaded_by": f"{caller.role}:{caller.subject}", "content": content})
        if errors:
            raise InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors), fields=errors)
        if not files:
            raise InvalidInput(f"send at least one document ({', '.join(kinds)})", "documents")
        store = SettlementStore(ctx.db(caller.tenant))
        # everything checked: now write (the same file again is the same document)
        added = [await store.add_statement_document(f) for f in files]
        present = [d["kind"] for d in await store.statement_documents(statement_id)]
        return {"statement_id": statement_id, "documents": [document_view(d) for d in added],
                "missing": missing_kinds(kinds, present)}

    @r.get("/{statement_id}/documents", summary="The settlement documents handed in with a statement")
    async def listing(statement_id: str, caller: Caller) -> dict[str, Any]:
        require_role(caller, *READERS)
        await statement_of(caller, statement_id)
        docs = await SettlementStore(ctx.db(caller.tenant)).statement_documents(statement_id)
        return {"statement_id": statement_id, "required": list(required_kinds(caller.tenant)),
                "missing": missing_kinds(required_kinds(caller.tenant), [d["kind"] for d in docs]),
                "documents": [document_view(d) for d in docs]}

    @r.get("/{statement_id}/documents/{document_id}", summary="A settlement document's bytes")
    async def download(statement_id: str, document_id: str, caller: Caller) -> Response:
        require_role(caller, *READERS)
        await statement_of(caller, statement_id)
        doc = await SettlementStore(ctx.db(caller.tenant)).statement_document(statement_id, document_id)
        if doc is None:
            raise NotFound(f"document {document_id} not found")
        content = bytes(doc["content"])
        if hashlib.sha256(content).hexdigest() != doc["sha256"]:
            raise Conflict(f"the stored document {document_id} no longer matches its recorded sha256")
        return Response(content, media_type=doc["content_type"], headers={"X-Content-SHA256": doc["sha256"]})

    return r
