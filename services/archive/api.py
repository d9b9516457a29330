"""archive's HTTP door: read a person's file; hand a program's archive over (export, download) and take one
in (import into an empty tenant, after verifying every checksum)."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from chassis.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, UnsupportedMediaType
from chassis.events import new_event
from chassis.host import ServiceContext
from chassis.http import Caller, require_role
from chassis.programs import load_program, program_of_tenant
from chassis.telemetry import current_carrier
from contracts.v1 import events_pb2
from services.archive.domain.handover import build_export, sha256, stored_entries, verify_export
from services.archive.domain.person_file import group_by_kind, summarize
from services.archive.domain.selection import select, selection_for
from services.archive.store import ArchiveStore

READERS = ("applicant", "clerk", "reviewer", "inspector", "supervisor", "ops")
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

log = logging.getLogger(__name__)


def entry_view(e: dict[str, Any]) -> dict[str, Any]:
    return {"entry_id": e["_id"], "kind": e["kind"], "title": e["title"], "occurred_at": e["occurred_at"],
            "attributes": e["attributes"], "source_event_id": e["source_event_id"]}


def export_view(x: dict[str, Any]) -> dict[str, Any]:
    keys = ("program", "tenant", "produced_at", "produced_by", "persons", "entries", "by_kind", "sha256", "size",
            "manifest_sha256", "selection")
    return {"export_id": x["_id"], **{k: x.get(k) for k in keys}}


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(content)
    os.replace(tmp, path)  # readers never see half a zip


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["person files", "handover"])
    root = Path(ctx.settings.data_dir)

    @r.get("/persons/{person_id}/file", summary="One person, one file (一人一档)")
    async def person_file(person_id: str, caller: Caller) -> dict[str, Any]:
        require_role(caller, *READERS)
        if caller.role == "applicant" and caller.subject != person_id:
            raise NotFound(f"no file for person {person_id}")
        entries = await ArchiveStore(ctx.db(caller.tenant)).person_file(person_id)
        if not entries:
            raise NotFound(f"no file for person {person_id}")
        return {"person_id": person_id, "summary": summarize(person_id, entries),
                "groups": group_by_kind(entries, entry_view), "entries": [entry_view(e) for e in entries]}

    def resolve_program(tenant: str, requested: str | None) -> str:
        if requested is None:
            own = program_of_tenant(tenant)
            if own is None:
                raise InvalidInput("program is required: this tenant serves no program defined in programs/",
                                   "program")
            return own.code
        try:
            program = load_program(requested)
            program.share_of(tenant)
        except NotFound as exc:
            raise InvalidInput(f"{exc.message}", "program") from exc
        return program.code

    @r.post("/exports", status_code=201, summary="Produce the handover archive (移交) of a program")
    async def create_export(caller: Caller, body: ExportIn | None = None) -> dict[str, Any]:
        require_role(caller, *EXPORTERS)
        program = resolve_program(caller.tenant, body.program if body else None)
        store = ArchiveStore(ctx.db(caller.tenant))
        # Whole, or the approved applicants' files (all, of a period, or one) as the program hands them over.
        sel = selection_for(load_program(program), body.scope if body else None, body.period if body else None,
                            body.person_id if body else None)
        persons = select({person_id: entries async for person_id, entries in store.persons()}, sel)
        export_id = str(uuid.uuid4())
        produced_at = datetime.now(UTC).isoformat()
        content, manifest = await asyncio.to_thread(
            build_export, export_id=export_id, program=program, tenant=caller.tenant, produced_at=produced_at,
            produced_by=f"{caller.role}:{caller.subject}", persons=persons, selection=sel.manifest())
        relative = f"exports/{caller.tenant}/{export_id}.zip"
        await asyncio.to_thread(_write, root / relative, content)
        counts = manifest["counts"]
        export = {"_id": export_id, "program": program, "tenant": caller.tenant, "produced_at": produced_at,
                  "produced_by": {"role": caller.role, "subject": caller.subject}, "persons": counts["persons"],
                  "entries": counts["entries"], "by_kind": counts["by_kind"], "sha256": sha256(content),
                  "size": len(content), "path": relative, "selection": sel.manifest()}
        event = new_event("archive.handover.ready", caller.tenant, export_id, events_pb2.HandoverReady(
            export_id=export_id, program=program, persons=counts["persons"], entries=counts["entries"],
            sha256=export["sha256"], produced_at=produced_at), source="archive", trace_context=current_carrier())
        # The zip first, then its record and event: a crash in between leaves only an unreferenced file.
        await store.add_export(export, [event])
        ctx.relay.kick()
        return export_view(export)

    @r.get("/exports", summary="Handover archives, oldest first")
    async def list_exports(caller: Caller) -> list[dict[str, Any]]:
        require_role(caller, *EXPORTERS)
        return [export_view(x) for x in await ArchiveStore(ctx.db(caller.tenant)).exports()]

    async def get_export(caller: Caller, export_id: str) -> dict[str, Any]:
        require_role(caller, *EXPORTERS)
        export = await ArchiveStore(ctx.db(caller.tenant)).export(export_id)
        if export is None:
            raise NotFound(f"export {export_id} not found")
        return export

    @r.get("/exports/{export_id}", summary="A handover archive's metadata")
    async def read_export(export_id: str, caller: Caller) -> dict[str, Any]:
        return export_view(await get_export(caller, export_id))

    @r.get("/exports/{export_id}/download", summary="The handover archive (zip)")
    async def download(export_id: str, caller: Caller) -> Response:
        export = await get_export(caller, export_id)
        try:
            content = await asyncio.to_thread((root / export["path"]).read_bytes)
        except FileNotFoundError as exc:
            raise Conflict(f"the zip of export {export_id} is missing from storage") from exc
        if sha256(content) != export["sha256"]:
            raise Conflict(f"the stored zip of export {export_id} no longer matches its recorded sha256")
        return Response(content, media_type="application/zip", headers={
            "Content-Disposition": f'attachment; filename="{export["program"]}-{export_id}.zip"',
            "X-Content-SHA256": export["sha256"]})

    @r.post("/imports", status_code=201, summary="Verify a handover archive and import it into this (empty) tenant")
    async def import_export(request: Request, caller: Caller) -> dict[str, Any]:
        require_role(caller, *IMPORTERS)
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in ZIP_TYPES:
            raise UnsupportedMediaType("send the handover zip as the request body with content-type application/zip")
        if int(request.headers.get("content-length") or 0) > MAX_IMPORT_BYTES:
            raise PayloadTooLarge(f"an import is at most {MAX_IMPORT_BYTES} bytes")
        content = await request.body()
        if not content:
            raise InvalidInput("the request body is empty; send the handover zip", "export")
        if len(content) > MAX_IMPORT_BYTES:
            raise PayloadTooLarge(f"an import is at most {MAX_IMPORT_BYTES} bytes")
        checked = await asyncio.to_thread(verify_export, content)
        if not checked.valid:
            raise InvalidInput(
                f"the archive failed verification ({len(checked.errors)} problems); nothing was imported: "
                + "; ".join(checked.errors[:5]) + (" …" if len(checked.errors) > 5 else ""),
                fields=[{"field": "export", "message": e} for e in checked.errors])
        store = ArchiveStore(ctx.db(caller.tenant))
        stale = await store.import_record()
        if stale and stale.get("status") == "running" and stale.get("instance") != ctx.instance:
            # An import whose process died half-way (its slot belongs to a process instance that is gone: one
            # archive process writes this store): undo its entries, so the same archive can be sent again now.
            undone = await store.abandon_import(str(stale.get("import_id")))
            log.warning("abandoned import %s left running by instance %s (%d entries undone)",
                        stale.get("import_id"), stale.get("instance"), undone)
        if (held := await store.count_entries()) > 0:
            raise Conflict(f"this tenant's archive is not empty ({held} entries); "
                           "an import goes only into an empty one")
        manifest = checked.manifest or {}
        import_id = str(uuid.uuid4())
        record = {"import_id": import_id, "status": "running", "started_at": datetime.now(UTC).isoformat(),
                  "instance": ctx.instance,
                  "export_id": manifest.get("export_id"), "from_tenant": manifest.get("tenant"),
                  "program": manifest.get("program"), "export_sha256": sha256(content),
                  "persons": len(checked.persons), "entries": checked.entries,
                  "imported_by": {"role": caller.role, "subject": caller.subject}}
        taken = await store.claim_import(record)
        if taken is not None:
            raise Conflict(f"an import into this tenant already ran (import {taken.get('import_id')}, "
                           f"{taken.get('status')})")
        if await store.count_entries() > 0:  # an event was filed between the check and the claim
            await store.release_import()
            raise Conflict("this tenant's archive received entries meanwhile; an import goes only into an empty one")
        origin = {"import_id": import_id, "export_id": str(manifest.get("export_id")),
                  "tenant": str(manifest.get("tenant"))}
        for doc in checked.persons.values():
            await store.insert_entries(stored_entries(doc, caller.tenant, origin))
        finished = {"status": "done", "finished_at": datetime.now(UTC).isoformat()}
        await store.finish_import(finished)
        return {**record, **finished}

    @r.get("/imports", summary="The import this tenant received, if any")
    async def read_import(caller: Caller) -> dict[str, Any]:
        require_role(caller, *IMPORTERS)
        record = await ArchiveStore(ctx.db(caller.tenant)).import_record()
        if record is None:
            raise NotFound("this tenant has received no import")
        return {k: v for k, v in record.items() if k != "_id"}

    return r
