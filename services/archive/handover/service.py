"""The handover room's use cases (移交): producing a program's handover archive (the persons' files the selection
holds, zipped with a manifest and checksums, publishing `archive.handover.ready`), reading it back verified, and
importing a verified archive into this tenant's empty archive (once)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chassis.access import Access, Reader, Who, record_accesses
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.events import new_event
from chassis.pii import SealBroken
from chassis.programs import load_program, program_of_tenant
from chassis.telemetry import current_carrier
from contracts.v1 import events_pb2
from services.archive.handover.domain.accesses import exported_persons
from services.archive.handover.domain.handover import build_export, sha256, stored_entries, verify_export
from services.archive.handover.domain.selection import select, selection_for
from services.archive.handover.store import HandoverStore
from services.archive.person_files import service as person_files

log = logging.getLogger(__name__)
SERVICE = "archive"


def export_view(x: dict[str, Any]) -> dict[str, Any]:
    keys = ("program", "tenant", "produced_at", "produced_by", "persons", "entries", "by_kind", "sha256", "size",
            "manifest_sha256", "selection")
    return {"export_id": x["_id"], **{k: x.get(k) for k in keys}}


def resolve_program(tenant: str, requested: str | None) -> str:
    """The program handed over: the tenant's own when none is asked for, else one the tenant is a carrier of."""
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


async def create_export(db: Any, root: Path, tenant: str, role: str, subject: str, requested_program: str | None,
                        scope: str | None, period: str | None, person_id: str | None) -> dict[str, Any]:
    program = resolve_program(tenant, requested_program)
    store = HandoverStore(db)
    # Whole, or the approved applicants' files (all, of a period, or one) as the program hands them over.
    sel = selection_for(load_program(program), scope, period, person_id)
    persons = select({pid: entries async for pid, entries in person_files.persons(db)}, sel)
    export_id = str(uuid.uuid4())
    produced_at = datetime.now(UTC).isoformat()
    content, manifest = await asyncio.to_thread(
        build_export, export_id=export_id, program=program, tenant=tenant, produced_at=produced_at,
        produced_by=f"{role}:{subject}", persons=persons, selection=sel.manifest())
    relative = f"exports/{tenant}/{export_id}.zip"
    await store.keep_zip(root / relative, content)
    counts = manifest["counts"]
    export = {"_id": export_id, "program": program, "tenant": tenant, "produced_at": produced_at,
              "produced_by": {"role": role, "subject": subject}, "persons": counts["persons"],
              "entries": counts["entries"], "by_kind": counts["by_kind"], "sha256": sha256(content),
              "size": len(content), "path": relative, "selection": sel.manifest()}
    event = new_event("archive.handover.ready", tenant, export_id, events_pb2.HandoverReady(
        export_id=export_id, program=program, persons=counts["persons"], entries=counts["entries"],
        sha256=export["sha256"], produced_at=produced_at), source="archive", trace_context=current_carrier())
    # Every person the zip holds was read by whoever exported it (查阅记录), recorded before the export is listed.
    await record_accesses(db, SERVICE, Who(tenant, role, subject),
                          [Access(pid, "export", export_id, "export") for pid in persons])
    # The zip first, then its record and event: a crash in between leaves only an unreferenced file.
    await store.add_export(export, [event])
    return export_view(export)


async def exports(db: Any) -> list[dict[str, Any]]:
    return [export_view(x) for x in await HandoverStore(db).exports()]


async def export(db: Any, export_id: str) -> dict[str, Any]:
    found = await HandoverStore(db).export(export_id)
    if found is None:
        raise NotFound(f"export {export_id} not found")
    return found


async def export_zip(db: Any, root: Path, export_id: str, reader: Reader) -> tuple[dict[str, Any], bytes]:
    """The export's record and its zip, checked against the recorded sha256; the download is recorded for every
    person the zip holds (查阅记录)."""
    found = await export(db, export_id)
    try:
        content = await HandoverStore(db).zip(root / found["path"])
    except FileNotFoundError as exc:
        raise Conflict(f"the zip of export {export_id} is missing from storage") from exc
    except SealBroken as exc:  # altered on disk, or another tenant's
        raise Conflict(f"the stored zip of export {export_id} does not open with this tenant's key") from exc
    if sha256(content) != found["sha256"]:
        raise Conflict(f"the stored zip of export {export_id} no longer matches its recorded sha256")
    persons = await asyncio.to_thread(exported_persons, content)
    await record_accesses(db, SERVICE, reader, [Access(pid, "export", export_id, "download") for pid in persons])
    return found, content


async def import_export(db: Any, tenant: str, instance: str, role: str, subject: str, content: bytes
                        ) -> dict[str, Any]:
    """Verify the archive, then import it into this tenant's archive: only an empty one, only once."""
    checked = await asyncio.to_thread(verify_export, content)
    if not checked.valid:
        raise InvalidInput(
            f"the archive failed verification ({len(checked.errors)} problems); nothing was imported: "
            + "; ".join(checked.errors[:5]) + (" …" if len(checked.errors) > 5 else ""),
            fields=[{"field": "export", "message": e} for e in checked.errors])
    store = HandoverStore(db)
    stale = await store.import_record()
    if stale and stale.get("status") == "running" and stale.get("instance") != instance:
        # An import whose process died half-way (its slot belongs to a process instance that is gone: one
        # archive process writes this store): undo its entries, so the same archive can be sent again now.
        undone = await person_files.remove_imported(db, str(stale.get("import_id")))
        await store.drop_running_import(str(stale.get("import_id")))
        log.warning("abandoned import %s left running by instance %s (%d entries undone)",
                    stale.get("import_id"), stale.get("instance"), undone)
    if (held := await person_files.count_entries(db)) > 0:
        raise Conflict(f"this tenant's archive is not empty ({held} entries); "
                       "an import goes only into an empty one")
    manifest = checked.manifest or {}
    import_id = str(uuid.uuid4())
    record = {"import_id": import_id, "status": "running", "started_at": datetime.now(UTC).isoformat(),
              "instance": instance,
              "export_id": manifest.get("export_id"), "from_tenant": manifest.get("tenant"),
              "program": manifest.get("program"), "export_sha256": sha256(content),
              "persons": len(checked.persons), "entries": checked.entries,
              "imported_by": {"role": role, "subject": subject}}
    taken = await store.claim_import(record)
    if taken is not None:
        raise Conflict(f"an import into this tenant already ran (import {taken.get('import_id')}, "
                       f"{taken.get('status')})")
    if await person_files.count_entries(db) > 0:  # an event was filed between the check and the claim
        await store.release_import()
        raise Conflict("this tenant's archive received entries meanwhile; an import goes only into an empty one")
    origin = {"import_id": import_id, "export_id": str(manifest.get("export_id")),
              "tenant": str(manifest.get("tenant"))}
    for doc in checked.persons.values():
        await person_files.add_entries(db, stored_entries(doc, tenant, origin))
    finished = {"status": "done", "finished_at": datetime.now(UTC).isoformat()}
    await store.finish_import(finished)
    return {**record, **finished}


async def import_record(db: Any) -> dict[str, Any]:
    record = await HandoverStore(db).import_record()
    if record is None:
        raise NotFound("this tenant has received no import")
    return {k: v for k, v in record.items() if k != "_id"}
