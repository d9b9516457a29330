"""The settlement documents an institution hands in with its monthly statement (结算资料), when its program asks for
them: program.yaml `settlement.statement_documents` lists the kinds (Xunyang: "购药明细、结算表、发票原件" →
`purchase_details`, `settlement_sheet`, `invoice`). A statement closes only once every kind is there.

POST `/v1/statements/{id}/documents` (multipart, one file field per document, named by its kind; several files of a
kind are fine): the institution itself (its own statements), a clerk or finance, while the statement is open. Each
file's bytes must be what its content type says (sniffed) and its sha256 is recorded; the same file again is the
same document (idempotent). Collection `statement_documents` (settlement's database of each tenant)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from chassis.body_limit import body_limit
from chassis.downloads import attachment
from chassis.errors import PayloadTooLarge, UnsupportedMediaType
from chassis.host import ServiceContext
from chassis.http import Scope, content_type
from chassis.scope import TenantScope
from services.settlement.statement_documents import service
from services.settlement.statement_documents.domain.documents import CONTENT_TYPES, File

UPLOADERS = ("institution", "clerk", "finance")
READERS = ("clerk", "finance", "supervisor", "ops", "inspector", "institution")

# The multipart body for /docs: one file field per document, named by its kind (the program's kinds).
UPLOAD_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "description": "one file field per document, named by its kind (the program's "
                                     f"settlement.statement_documents); each of {', '.join(CONTENT_TYPES)}",
    "properties": {kind: {"type": "array", "items": {"type": "string", "format": "binary"}}
                   for kind in ("purchase_details", "settlement_sheet", "invoice")},
    "additionalProperties": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}


MAX_FILES = 8


def upload_limit(max_bytes: int) -> int:
    """The most one hand-in carries: MAX_FILES documents at the per-document limit and the form around them, enforced
    while the body streams, before the token is looked at (chassis/body_limit.py)."""
    return max_bytes * MAX_FILES + 65536


def _institution(scope: TenantScope) -> str | None:
    return scope.subject if scope.role == "institution" else None


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1/statements", tags=["statements"])
    max_bytes = ctx.settings.max_upload_bytes

    @r.post("/{statement_id}/documents", status_code=201,
            summary="Hand in settlement documents (购药明细, 结算表, 发票): multipart, one file field per document, "
                    "named by its kind",
            openapi_extra=body_limit(upload_limit(max_bytes), {"requestBody": UPLOAD_BODY}))
    async def upload(statement_id: str, request: Request, scope: Scope) -> dict[str, Any]:
        scope.require(*UPLOADERS)
        db = scope.db()
        statement = await service.statement_of(db, statement_id, _institution(scope))
        kinds = service.accepting(scope.tenant, statement)
        if not content_type(request) == "multipart/form-data":
            raise UnsupportedMediaType(f"send multipart/form-data: one file field per document, named by its kind "
                                       f"({', '.join(kinds)})", "content-type")
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > upload_limit(max_bytes):
            raise PayloadTooLarge(f"request of {declared} bytes exceeds the upload limit", "body")
        form = await request.form(max_files=MAX_FILES, max_part_size=max_bytes + 1)
        files = []
        for name, value in form.multi_items():
            if name in kinds and isinstance(value, UploadFile):
                files.append(File(name, value.filename, value.content_type or "", await value.read()))
            else:
                files.append(File(name, None, "", b"", is_file=False))
        return await service.hand_in(db, scope.tenant, statement, files, max_bytes,
                                     f"{scope.role}:{scope.subject}")

    @r.get("/{statement_id}/documents", summary="The settlement documents handed in with a statement")
    async def listing(statement_id: str, scope: Scope) -> dict[str, Any]:
        scope.require(*READERS)
        db = scope.db()
        await service.statement_of(db, statement_id, _institution(scope))
        return await service.listing(db, scope.tenant, statement_id)

    @r.get("/{statement_id}/documents/{document_id}", summary="A settlement document's bytes")
    async def download(statement_id: str, document_id: str, scope: Scope) -> Response:
        scope.require(*READERS)
        db = scope.db()
        await service.statement_of(db, statement_id, _institution(scope))
        content, content_type, sha = await service.content(db, statement_id, document_id)
        return attachment(content, content_type, f"{statement_id}-{document_id}", {"X-Content-SHA256": sha})

    return r
