"""The handover room's HTTP door: hand a program's archive over (export, download) and take one in (import into an
empty tenant, after verifying every checksum)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from chassis.body_limit import body_limit
from chassis.downloads import attachment
from chassis.errors import InvalidInput, UnsupportedMediaType
from chassis.host import ServiceContext
from chassis.http import Scope, admit, content_type, read_raw
from services.archive.handover import service

EXPORTERS = ("supervisor", "ops", "clerk")
IMPORTERS = ("ops",)
ZIP_TYPES = ("application/zip", "application/x-zip-compressed", "application/octet-stream")
MAX_IMPORT_BYTES = 1024 * 1024 * 1024  # a whole program's archive, held in memory while it is verified


class ExportIn(BaseModel):
    program: str | None = Field(default=None, pattern=r"^[a-z0-9-]{2,40}$",
                                description="the program handed over; the tenant's own when absent")
    scope: Literal["all", "approved"] | None = Field(
        default=None, description="all persons' files, or the approved applicants' only; the program's "
                                  "`archive.handover_scope` when absent")
    period: str | None = Field(default=None, pattern=r"^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$",
                               description="approved applicants granted in this period: 2025-06, 2025-Q2 or 2025")
    person_id: str | None = Field(default=None, min_length=1, max_length=64,
                                  description="one approved applicant's materials")


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["handover"])
    root = Path(ctx.settings.data_dir)

    @r.post("/exports", status_code=201, summary="Produce the handover archive (移交) of a program",
            dependencies=[admit(*EXPORTERS)])
    async def create_export(scope: Scope, body: ExportIn | None = None) -> dict[str, Any]:
        body = body or ExportIn()
        view = await service.create_export(scope.db(), root, scope.tenant, scope.role, scope.subject, body.program,
                                           body.scope, body.period, body.person_id)
        ctx.relay.kick()
        return view

    @r.get("/exports", summary="Handover archives, oldest first")
    async def list_exports(scope: Scope) -> list[dict[str, Any]]:
        scope.require(*EXPORTERS)
        return await service.exports(scope.db())

    @r.get("/exports/{export_id}", summary="A handover archive's metadata")
    async def read_export(export_id: str, scope: Scope) -> dict[str, Any]:
        scope.require(*EXPORTERS)
        return service.export_view(await service.export(scope.db(), export_id))

    @r.get("/exports/{export_id}/download", summary="The handover archive (zip)")
    async def download(export_id: str, scope: Scope) -> Response:
        scope.require(*EXPORTERS)
        export, content = await service.export_zip(scope.db(), root, export_id, scope)
        return attachment(content, "application/zip", f"{export['program']}-{export_id}.zip",
                          {"X-Content-SHA256": export["sha256"]})

    @r.post("/imports", status_code=201, summary="Verify a handover archive and import it into this (empty) tenant",
            openapi_extra=body_limit(MAX_IMPORT_BYTES, {"requestBody": {"required": True, "content": {
                "application/zip": {"schema": {"type": "string", "format": "binary",
                                               "description": "the handover zip as exported"}}}}}))
    async def import_export(request: Request, scope: Scope) -> dict[str, Any]:
        scope.require(*IMPORTERS)
        ctype = content_type(request)
        if ctype not in ZIP_TYPES:
            raise UnsupportedMediaType("send the handover zip as the request body with content-type application/zip")
        content = await read_raw(request, MAX_IMPORT_BYTES)  # counted while it streams, never past the limit
        if not content:
            raise InvalidInput("the request body is empty; send the handover zip", "export")
        return await service.import_export(scope.db(), scope.tenant, ctx.instance, scope.role, scope.subject, content)

    @r.get("/imports", summary="The import this tenant received, if any")
    async def read_import(scope: Scope) -> dict[str, Any]:
        scope.require(*IMPORTERS)
        return await service.import_record(scope.db())

    return r
