"""The person file room's use cases: filing an event's entries, reading a person's file; and, for the handover room,
every person's entries and the filling of an empty archive from a verified handover."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from chassis.access import Access, Reader, record_access
from chassis.errors import NotFound
from services.archive.accesses import service as accesses
from services.archive.person_files.domain.long_term_care import TALLIED_EVENT, care_month_tallies
from services.archive.person_files.domain.person_file import FiledEvent, entries_for, file_view
from services.archive.person_files.store import EntryStore

# Who reads a person's file (一人一档), over HTTP and gRPC alike; an applicant only their own.
READERS = ("applicant", "clerk", "reviewer", "inspector", "supervisor", "ops")

SERVICE = "archive"


async def file_event(db: Any, event: FiledEvent) -> None:
    """File the event's entries in the person's file; refiling the same event changes nothing. An upload of care
    service records adds to each person's month entry instead (one entry a month, not one a record)."""
    if event.type == TALLIED_EVENT:
        await EntryStore(db).tally(care_month_tallies(event))
        return
    await EntryStore(db).file(entries_for(event))


async def person_file(db: Any, person_id: str, reader: Reader, own: str | None = None,
                      channel: str = "http") -> dict[str, Any]:
    """One person's file, with who read it (`accesses`, oldest first, and `accesses_total`); an applicant (`own`:
    their person id) reads only their own. The read itself is recorded (查阅记录: archive.person.accessed) and
    shows in the file from then on."""
    if own is not None and own != person_id:
        raise NotFound(f"no file for person {person_id}")
    entries = await EntryStore(db).person_file(person_id)
    if not entries:
        raise NotFound(f"no file for person {person_id}")
    view = file_view(person_id, entries)
    view["accesses"], view["accesses_total"] = await accesses.of_person(db, person_id)
    await record_access(db, SERVICE, reader, Access(person_id, "person_file", person_id), channel)
    return view


async def entries(db: Any, person_id: str) -> list[dict[str, Any]]:
    return await EntryStore(db).person_file(person_id)


def persons(db: Any) -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """Every person's entries, person by person (sorted by person id)."""
    return EntryStore(db).persons()


async def count_entries(db: Any) -> int:
    return await EntryStore(db).count_entries()


async def add_entries(db: Any, entries: list[dict[str, Any]]) -> None:
    """Entries of an imported archive (keeping their ids), into an empty one."""
    await EntryStore(db).insert_entries(entries)


async def remove_imported(db: Any, import_id: str) -> int:
    """Undo the entries of an import its process never finished."""
    return await EntryStore(db).remove_imported(import_id)
