"""A person's critical-illness data read by someone (查阅记录): the assistance status and the year account, each
recorded (settlement.person.accessed) before it is answered."""

from __future__ import annotations

from typing import Any

from chassis.access import Access, Reader, record_access
from services.settlement.critical.service.claims import CriticalService

SERVICE = "settlement"


async def read_person(critical: CriticalService, db: Any, reader: Reader, person_id: str) -> dict[str, Any]:
    """The person's assistance status periods (404 without any), the read recorded."""
    view = await critical.person(reader.tenant, person_id)
    await record_access(db, SERVICE, reader, Access(person_id, "assistance", "critical"))
    return view


async def read_account(critical: CriticalService, db: Any, reader: Reader, person_id: str, year: int,
                       institution: str | None) -> dict[str, Any]:
    """The person's year account and claims (an institution: with its own claims only), the read recorded."""
    view = await critical.account(reader.tenant, person_id, year, institution)
    await record_access(db, SERVICE, reader, Access(person_id, "account", f"critical:{year}"))
    return view
