"""Uploads of service records as stored: an upload's records as one sheet of its institution's month (read back one
dict per record), and what a single settlement process keeps of a month between uploads (`KnownMonths`) — read once,
kept in step by its own writes, forgotten when a write fails; several replicas read the month at every upload."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from chassis.errors import Conflict, InvalidInput
from chassis.keys import MemoryKeyProvider
from chassis.pii import Sealer
from chassis.store.memory import MemoryStore
from services.settlement.care.service.care import CareService
from services.settlement.care.service.records import KnownMonths, RecordIn, Stored
from services.settlement.care.store import CareStore, records_collection

T, INST, MONTH = "wz-b", "WZB-C001", "2026-03"
P1, P2 = "330303195001011235", "330303194803052216"
SHA = "ab" * 32


def stored(rid: str, batch: str = "b1") -> Stored:
    return Stored(rid, batch, "CP-1", "CG1", "2026-03-02", "08:00", "09:00", ("bathing",), ())


def test_known_months_keep_the_most_recently_used_within_their_limit() -> None:
    known = KnownMonths(limit=5)
    known.put((T, "A", MONTH), {r: stored(r) for r in ("a1", "a2", "a3")})
    known.put((T, "B", MONTH), {r: stored(r) for r in ("b1", "b2")})
    assert known.get((T, "A", MONTH)) is not None  # A is now the most recent
    known.add((T, "A", MONTH), [stored("a4")])      # 6 records: B, the least recently used, goes
    assert known.get((T, "B", MONTH)) is None
    assert set(known.get((T, "A", MONTH)) or ()) == {"a1", "a2", "a3", "a4"}
    known.add((T, "C", MONTH), [stored("c1")])      # a month not known stays unknown (it was never read whole)
    assert known.get((T, "C", MONTH)) is None
    known.forget((T, "A", MONTH))
    assert known.get((T, "A", MONTH)) is None


async def test_an_uploads_records_are_one_sheet_read_back_one_dict_each() -> None:
    db = MemoryStore().database("settlement", T)
    store = CareStore(db)
    records = [{"_id": "R1", "plan_id": "CP-1", "caregiver_id": "CG1", "date": "2026-03-02", "start": "08:00",
                "end": "09:00", "items": ["bathing", "pressure_care"]},
               {"_id": "R2", "plan_id": "CP-2", "caregiver_id": "CG1", "date": "2026-03-02", "start": "09:00",
                "end": "24:00", "items": ["bathing"], "evidence": [{"kind": "photo", "sha256": SHA}]}]
    rows = [Stored.of({**r, "batch_id": "CS-1"}).row() for r in records]
    await store.insert_records(INST, MONTH, "CS-1", rows)
    await store.insert_records(INST, MONTH, "CS-1", rows)  # the same upload again (a retry): nothing more
    sheets = await db[records_collection(INST, MONTH)].find({}).to_list(None)
    assert [(s["_id"], s["count"]) for s in sheets] == [("CS-1", 2)]
    assert P1 not in str(sheets) and "R1" not in str(sheets)  # packed (and no person in any case)
    # a record stored as its own document by an earlier version is read as it was
    await db[records_collection(INST, MONTH)].insert_one({"_id": "R0", "batch_id": "CS-0", "plan_id": "CP-1",
                                                        "caregiver_id": "CG2", "date": "2026-03-01",
                                                        "start": "08:00", "end": "09:00", "items": ["bathing"]})
    got = {d["_id"]: d for d in await store.month_records(INST, MONTH)}
    assert set(got) == {"R0", "R1", "R2"}
    assert got["R1"] == {**records[0], "batch_id": "CS-1"}
    assert got["R2"] == {**records[1], "batch_id": "CS-1"}
    assert got["R0"]["batch_id"] == "CS-0"
    assert await store.month_records(INST, "2026-04") == []


class FakeCareStore(CareStore):
    """The care store's reads and writes an upload makes, in memory, counting the month's reads."""

    def __init__(self) -> None:
        self.sealer = Sealer(MemoryKeyProvider(), T)
        self.sheets: list[dict[str, Any]] = []
        self.batches: dict[str, dict[str, Any]] = {}
        self.month_reads = 0
        self.fail_next_insert = False

    @property
    def _pii(self) -> Sealer:
        return self.sealer

    async def generation(self) -> int:
        return 0

    async def institution_entries(self) -> list[dict[str, Any]]:
        return [{"institution_id": INST, "kind": "care", "status": "designated", "modes": ["home_visit"],
                 "agreement_from": "2025-01-01", "agreement_to": "2030-12-31", "occurred_at": "2026-01-01"}]

    async def person_entries(self) -> list[dict[str, Any]]:
        return [{"_id": f"concluded:{p}", "kind": "concluded", "person_id": p, "recorded_at": "2026-01-10",
                 "conclusion": {"assessment_id": f"AS-{p}", "concluded_on": "2026-01-10", "grade": 4,
                                "eligible": True, "recheck_due": None, "lot": "B", "kind": "initial"}}
                for p in (P1, P2)]

    async def plan_approvals(self) -> list[dict[str, Any]]:
        return [{"approved_at": "2026-02-01T00:00:00", "approved_by": "x", "plans": [
            {"plan_id": f"CP-{p}", "person_id": p, "mode": "home_visit", "institution_id": INST, "grade": 4,
             "valid_from": "2026-02-01", "valid_to": "2027-01-31", "catalogue_version": "s", "agreement": None,
             "items": [{"code": "bathing", "per_month": 8}]} for p in (P1, P2)]}]

    async def statement_status(self, statement_id: str) -> str | None:
        return None

    async def month_records(self, institution: str, month: str) -> list[dict[str, Any]]:
        self.month_reads += 1
        return [{"_id": r[0], "batch_id": s["batch_id"], "plan_id": r[1], "caregiver_id": r[2], "date": r[3],
                 "start": r[4], "end": r[5], "items": list(r[6])} for s in self.sheets for r in s["rows"]]

    async def insert_records(self, institution: str, month: str, batch_id: str, rows: Any) -> None:
        if self.fail_next_insert:
            self.fail_next_insert = False
            raise ConnectionError("the store went away mid-write")
        self.sheets.append({"batch_id": batch_id, "rows": list(rows)})

    async def batch(self, batch_id: str) -> dict[str, Any] | None:
        return self.batches.get(batch_id)

    async def insert_batch(self, doc: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        self.batches[doc["_id"]] = doc
        return True


def visit(rid: str, person: str, day: int, start: str, end: str, caregiver: str = "CG1") -> RecordIn:
    return RecordIn(rid, person, caregiver, date(2026, 3, day), start, end, ("bathing",))


@pytest.fixture
def care() -> tuple[CareService, FakeCareStore]:
    store = FakeCareStore()
    db = MemoryStore().database("settlement", T)  # settlement's own database: smart review's parts go there
    service = CareService(lambda tenant: db, lambda: None, None)  # type: ignore[arg-type]
    service._stores[T] = store
    return service, store


async def test_a_single_process_reads_the_month_once_and_checks_later_uploads_against_what_it_wrote(
        care: tuple[CareService, FakeCareStore]) -> None:
    service, store = care
    first, fresh = await service.records.upload(T, INST, MONTH, [visit("R1", P1, 2, "08:00", "09:00")], "u")
    assert fresh and first["accepted"] == 1 and store.month_reads == 1
    with pytest.raises(InvalidInput) as refused:  # the caregiver is with P1 then: known from what it wrote
        await service.records.upload(T, INST, MONTH, [visit("R2", P2, 2, "08:30", "09:30")], "u")
    assert refused.value.code == "records_refused"
    assert refused.value.fields[0]["code"] == "caregiver_overlap"
    with pytest.raises(Conflict) as conflict:  # R1 again with other content
        await service.records.upload(T, INST, MONTH, [visit("R1", P2, 3, "08:00", "09:00")], "u")
    assert conflict.value.code == "record_conflict"
    assert store.month_reads == 1


async def test_a_failed_write_forgets_the_month_which_is_read_again(care: tuple[CareService, FakeCareStore]) -> None:
    service, store = care
    await service.records.upload(T, INST, MONTH, [visit("R1", P1, 2, "08:00", "09:00")], "u")
    store.fail_next_insert = True
    with pytest.raises(ConnectionError):
        await service.records.upload(T, INST, MONTH, [visit("R2", P2, 3, "08:00", "09:00")], "u")
    _, fresh = await service.records.upload(T, INST, MONTH, [visit("R3", P2, 4, "08:00", "09:00")], "u")
    assert fresh and store.month_reads == 2


async def test_several_replicas_read_the_month_at_every_upload() -> None:
    store = FakeCareStore()
    db = MemoryStore().database("settlement", T)  # settlement's own database: smart review's parts go there
    service = CareService(lambda tenant: db, lambda: None, None, single_process=False)  # type: ignore[arg-type]
    service._stores[T] = store
    await service.records.upload(T, INST, MONTH, [visit("R1", P1, 2, "08:00", "09:00")], "u")
    store.sheets.append({"batch_id": "CS-other", "rows": [  # another replica's upload meanwhile
        ("R9", f"CP-{P2}", "CG1", "2026-03-05", "08:00", "09:00", ("bathing",), ())]})
    with pytest.raises(InvalidInput) as refused:
        await service.records.upload(T, INST, MONTH, [visit("R10", P1, 5, "08:30", "09:30")], "u")
    assert refused.value.fields[0]["code"] == "caregiver_overlap" and store.month_reads == 2
