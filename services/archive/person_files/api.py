"""The person file room's HTTP door: one person, one file (一人一档)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from chassis.http import Scope
from services.archive.person_files import service
from services.archive.person_files.service import READERS


def router() -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["person files"])

    @r.get("/persons/{person_id}/file", summary="One person, one file (一人一档)")
    async def person_file(person_id: str, scope: Scope) -> dict[str, Any]:
        """The file, and who read it (`accesses`: who, role, when, what — 查阅记录). This read is recorded too."""
        scope.require(*READERS)
        return await service.person_file(scope.db(), person_id, scope,
                                         own=scope.subject if scope.role == "applicant" else None)

    return r
