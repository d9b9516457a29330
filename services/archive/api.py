"""archive's HTTP door: read a person's file."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from chassis.errors import NotFound
from chassis.host import ServiceContext
from chassis.http import Caller, require_role
from services.archive.store import ArchiveStore

READERS = ("applicant", "clerk", "reviewer", "inspector", "supervisor", "ops")


def entry_view(e: dict[str, Any]) -> dict[str, Any]:
    return {"entry_id": e["_id"], "kind": e["kind"], "title": e["title"], "occurred_at": e["occurred_at"],
            "attributes": e["attributes"], "source_event_id": e["source_event_id"]}


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["person files"])

    @r.get("/persons/{person_id}/file", summary="One person, one file (一人一档)")
    async def person_file(person_id: str, caller: Caller) -> dict[str, Any]:
        require_role(caller, *READERS)
        if caller.role == "applicant" and caller.subject != person_id:
            raise NotFound(f"no file for person {person_id}")
        entries = await ArchiveStore(ctx.db(caller.tenant)).person_file(person_id)
        if not entries:
            raise NotFound(f"no file for person {person_id}")
        return {"person_id": person_id, "entries": [entry_view(e) for e in entries]}

    return r
