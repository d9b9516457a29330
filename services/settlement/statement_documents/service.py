"""The statement documents' use cases: hand in documents while a statement is open, list and read them, and the
check a statement's close makes first (every kind its program asks for is there). The statement itself is the
chronic room's (its service answers it)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from chassis.errors import Conflict, InvalidInput, NotFound
from services.settlement.chronic.service.statements import statement_in
from services.settlement.statement_documents.domain.documents import (
    DOCUMENTS_MISSING,
    OPEN_STATUSES,
    File,
    checked_documents,
    document_view,
    missing_kinds,
    required_kinds,
)
from services.settlement.statement_documents.store import StatementDocumentStore


async def require_documents(db: Any, tenant: str, statement_id: str) -> None:
    """Before a statement of a program that asks for settlement documents is closed: every kind is there, else 409
    `statement_documents_missing` naming them. A statement already closed (or missing) is left to the close step."""
    required = required_kinds(tenant)
    if not required:
        return
    doc = await statement_in(db, statement_id)
    if doc is None or doc.get("status") not in OPEN_STATUSES:
        return
    present = [d["kind"] for d in await StatementDocumentStore(db).statement_documents(statement_id)]
    missing = missing_kinds(required, present)
    if missing:
        raise Conflict(f"{DOCUMENTS_MISSING}: statement {statement_id} cannot close without its settlement documents "
                       f"{missing} (购药明细、结算表、发票); upload them to /v1/statements/{statement_id}/documents",
                       "documents", code=DOCUMENTS_MISSING)


async def statement_of(db: Any, sid: str, institution: str | None) -> dict[str, Any]:
    """The statement (an institution's own only: another's answers like a missing one)."""
    doc = await statement_in(db, sid)
    if doc is None or (institution is not None and institution != doc["institution_code"]):
        raise NotFound(f"statement {sid} not found")
    return doc


async def hand_in(db: Any, tenant: str, statement: dict[str, Any], files: list[File], max_bytes: int,
                  uploaded_by: str) -> dict[str, Any]:
    """Store the files handed in (every one checked first; the same file again is the same document) and say which
    kinds are still missing."""
    kinds = required_kinds(tenant)
    sid = statement["_id"]
    docs, errors = checked_documents(files, kinds, max_bytes, statement, uploaded_by, datetime.now(UTC).isoformat())
    if errors:
        raise InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors), fields=errors)
    if not docs:
        raise InvalidInput(f"send at least one document ({', '.join(kinds)})", "documents")
    store = StatementDocumentStore(db)
    added = [await store.add_statement_document(d) for d in docs]
    present = [d["kind"] for d in await store.statement_documents(sid)]
    return {"statement_id": sid, "documents": [document_view(d) for d in added],
            "missing": missing_kinds(kinds, present)}


def accepting(tenant: str, statement: dict[str, Any]) -> tuple[str, ...]:
    """The kinds a statement takes now: refused (409) when its program asks for none, or once it is closed."""
    kinds = required_kinds(tenant)
    if not kinds:
        raise Conflict("this program asks for no settlement documents with its statements", "documents")
    if statement["status"] not in OPEN_STATUSES:
        raise Conflict(f"statement {statement['_id']} is {statement['status']}: documents are handed in while it is "
                       "open", "status")
    return kinds


async def listing(db: Any, tenant: str, statement_id: str) -> dict[str, Any]:
    docs = await StatementDocumentStore(db).statement_documents(statement_id)
    return {"statement_id": statement_id, "required": list(required_kinds(tenant)),
            "missing": missing_kinds(required_kinds(tenant), [d["kind"] for d in docs]),
            "documents": [document_view(d) for d in docs]}


async def content(db: Any, statement_id: str, document_id: str) -> tuple[bytes, str, str]:
    """A document's bytes, content type and sha256 (409 when the stored bytes no longer match it)."""
    doc = await StatementDocumentStore(db).statement_document(statement_id, document_id)
    if doc is None:
        raise NotFound(f"document {document_id} not found")
    data = bytes(doc["content"])
    if hashlib.sha256(data).hexdigest() != doc["sha256"]:
        raise Conflict(f"the stored document {document_id} no longer matches its recorded sha256")
    return data, doc["content_type"], doc["sha256"]


async def ensure_indexes(db: Any) -> None:
    await StatementDocumentStore(db).ensure_indexes()
