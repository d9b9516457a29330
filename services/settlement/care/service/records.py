"""Uploads of service records (护理服务记录): an institution's own (or, for family care, a clerk's), at most 2,000 a
call, checked WHOLE against the care book before anything is written — each record against the person's plan with
the institution in force on its day (domain/plans.py `check_visit`: the plan's items and period, the month's planned
frequency, the person's cover and death, the plan's grade, and the caregiver's other records of the day, those of
the same upload and those stored). One refused record refuses the upload: 422 listing every refused record (index,
record id, rule code, field), nothing stored.

Idempotency: an upload's id is a keyed digest of what was sent (institution, month, records); sending it again
answers the stored result. A record id is the institution's own within the month: sent again with the same content it
counts once (in the upload that first stored it), with other content it is a 409.

Order of writes, under the lock of the institution's month (one settlement process per store, as everywhere in
settlement): the new records (the upload's sheet in the institution's month collection, under the upload's id: see
store.py), then the upload's document with `care_services.recorded` (all its records in the payload). A retry after
a crash between the two finds its records under its own id and writes the upload's document.

Speed (the bench uploads a month of 1,000,000 records, 2,000 an upload, on FerretDB 1.24, which walks a query's
whole collection and costs ~0.05 ms a document written and ~0.1 ms one read): one read of the generation (the book is
in memory), one read of the statement's status, one insert of the new records (one sheet), one insert of the
upload's small document with its event. The institution's month of stored records is read only when this process
does not know it yet (`KnownMonths`): a single settlement process writes every record of the month itself, under
the month's lock, so what it read once and wrote since IS the month. Several replicas (cluster mode) read the month
at every upload (its sheets: one small document per upload)."""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from sys import intern
from typing import TYPE_CHECKING, Any, NamedTuple

from chassis.errors import Conflict, InvalidInput
from chassis.events import new_event
from chassis.reasons import Reason
from chassis.telemetry import current_carrier
from contracts.v1 import events_pb2
from services.settlement.care.domain.cover import PersonCover
from services.settlement.care.domain.plans import Cover, Plan, ServiceRecord, check_visit
from services.settlement.care.domain.reasons import REASONS
from services.settlement.care.domain.review import SOURCE, review_claim
from services.settlement.care.service.book import FAMILY, PlanEntry, TenantBook
from services.settlement.review import service as holds

if TYPE_CHECKING:
    from services.settlement.care.service.care import CareService

ACCEPTED = "record_accepted"
# The field of a record each refusal concerns.
FIELD_OF = {"no_plan": "person_id", "person_not_covered": "person_id", "plan_grade_changed": "person_id",
            "person_deceased": "date", "outside_plan_period": "date", "outside_plan": "items",
            "over_frequency": "items", "caregiver_overlap": "start"}
MIDNIGHT = "24:00"
KNOWN_RECORDS = 100_000     # at most this many stored records kept in memory (~250 bytes each), the oldest month goes


@dataclass(frozen=True)
class RecordIn:
    """One service record as the door read it: who was cared for, by whom, when, which items, with what evidence."""

    record_id: str
    person_id: str
    caregiver_id: str
    day: date
    start: str                                  # HH:MM
    end: str                                    # HH:MM, after start ("24:00": midnight)
    items: tuple[str, ...]
    evidence: tuple[tuple[str, str], ...] = ()  # (kind, sha256)

    def times(self) -> tuple[datetime, datetime]:
        return at(self.day, self.start), at(self.day, self.end)

    def stored(self, batch_id: str, plan_id: str) -> Stored:
        """The record as this upload stores it. (Days, times and caregivers repeat across a month: kept once each.)"""
        return Stored(self.record_id, batch_id, plan_id, intern(self.caregiver_id), intern(self.day.isoformat()),
                      intern(self.start), intern(self.end), tuple(map(intern, self.items)), self.evidence)


def at(day: date, hhmm: str) -> datetime:
    if hhmm == MIDNIGHT:
        return datetime.combine(day + timedelta(days=1), time())
    return datetime.combine(day, time(int(hhmm[:2]), int(hhmm[3:5])))


class Stored(NamedTuple):
    """A stored service record as the checks read it (its document in the institution's month collection)."""

    record_id: str
    batch_id: str
    plan_id: str
    caregiver_id: str
    date: str                                   # YYYY-MM-DD
    start: str
    end: str
    items: tuple[str, ...]
    evidence: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, d: dict[str, Any]) -> Stored:
        """(Days, times and caregivers repeat across a month: kept once each.)"""
        return cls(d["_id"], d.get("batch_id", ""), d.get("plan_id", ""), intern(d["caregiver_id"]),
                   intern(d["date"]), intern(d["start"]), intern(d["end"]), tuple(map(intern, d["items"])),
                   tuple((e["kind"], e["sha256"]) for e in d.get("evidence") or ()))

    def row(self) -> tuple[Any, ...]:
        """As the store packs it (store.py ROW_FIELDS)."""
        return (self.record_id, self.plan_id, self.caregiver_id, self.date, self.start, self.end, self.items,
                self.evidence)


class KnownMonths:
    """The stored records of the institution-months this process checked lately, by record id: what an upload is
    checked against without reading the month again. The least recently used month is forgotten first, beyond
    KNOWN_RECORDS records in all; a month is forgotten too when a write to it failed (what it stored is then not
    known). Only for a single settlement process (see the module's docstring)."""

    def __init__(self, limit: int = KNOWN_RECORDS) -> None:
        self._months: OrderedDict[tuple[str, str, str], dict[str, Stored]] = OrderedDict()
        self._size, self._limit = 0, limit

    def get(self, key: tuple[str, str, str]) -> dict[str, Stored] | None:
        known = self._months.get(key)
        if known is not None:
            self._months.move_to_end(key)
        return known

    def put(self, key: tuple[str, str, str], known: dict[str, Stored]) -> None:
        self.forget(key)
        self._months[key] = known
        self._size += len(known)
        self._trim()

    def add(self, key: tuple[str, str, str], stored: Iterable[Stored]) -> None:
        known = self._months.get(key)
        if known is None:
            return
        before = len(known)
        known.update((s.record_id, s) for s in stored)
        self._size += len(known) - before
        self._trim()

    def forget(self, key: tuple[str, str, str]) -> None:
        known = self._months.pop(key, None)
        if known is not None:
            self._size -= len(known)

    def _trim(self) -> None:
        while self._size > self._limit and len(self._months) > 1:
            _, oldest = self._months.popitem(last=False)
            self._size -= len(oldest)


def _same(stored: Stored, rec: RecordIn, book: TenantBook) -> bool:
    plan = book.plans.get(stored.plan_id)
    return (plan is not None and plan.person_id == rec.person_id and stored.caregiver_id == rec.caregiver_id
            and stored.date == rec.day.isoformat() and stored.start == rec.start and stored.end == rec.end
            and stored.items == rec.items and stored.evidence == rec.evidence)


def statement_id(institution_key: str, month: str) -> str:
    return f"LTC-{institution_key}-{month}"


class ServiceRecords:
    def __init__(self, care: CareService, single_process: bool = True) -> None:
        self.care = care
        self.known = KnownMonths() if single_process else None

    async def upload(self, tenant: str, institution: str | None, month: str, records: list[RecordIn],
                     who: str) -> tuple[dict[str, Any], bool]:
        """`institution`: the uploading institution (its own records), None for family care (a clerk). Returns the
        upload's result and whether it was stored now (False: sent before)."""
        care = self.care
        store = care.store(tenant)
        key = institution or FAMILY
        canonical = json.dumps([key, month, [(r.record_id, r.person_id, r.caregiver_id, r.day.isoformat(), r.start,
                                              r.end, r.items, r.evidence) for r in records]], ensure_ascii=False)
        batch_id = "CS-" + store.digest_key(canonical)[:24]
        async with care.locks.hold(f"ltc:month:{tenant}:{key}:{month}"):
            sid = statement_id(key, month)
            book, status = await asyncio.gather(care.book.of(tenant), store.statement_status(sid))  # both reads at once
            if institution is not None:
                inst = book.institutions.get(institution)
                if inst is None or not inst.designated_for():
                    raise Conflict(f"institution {institution} is not a designated care institution (定点护理机构)",
                                   "institution_id", code="institution_not_designated")
            if status not in (None, "open"):
                raise Conflict(f"the care statement {sid} is {status}: no more records for {month}", "month",
                               code="statement_closed")
            plans: list[tuple[PlanEntry | None, bool]] = [book.plan_on(r.person_id, key, r.day) for r in records]
            by_id, stored = await self._stored(tenant, key, month, records, plans)
            conflicts: list[dict[str, Any]] = []
            resumed: list[int] = []
            already: list[str] = []
            fresh: list[int] = []
            for i, rec in enumerate(records):
                known = by_id.get(rec.record_id)
                if known is None:
                    fresh.append(i)
                elif not _same(known, rec, book):
                    conflicts.append({"field": f"records[{i}].record_id", "index": i, "record_id": rec.record_id,
                                      "code": "record_conflict",
                                      "message": f"record {rec.record_id} was recorded with other content"})
                elif known.batch_id == batch_id:
                    resumed.append(i)
                else:
                    already.append(rec.record_id)
            if conflicts:
                raise Conflict(f"{len(conflicts)} record id(s) already used for other content; nothing was stored",
                               conflicts[0]["field"], fields=conflicts, code="record_conflict")
            if not fresh:
                done = await store.batch(batch_id)
                if done is not None:
                    return batch_view(done), False
            refused = self._check(book, key, records, plans, fresh, stored)
            if refused:
                first = refused[0]
                raise InvalidInput(f"{len(refused)} of {len(records)} record(s) refused; nothing was stored. First: "
                                   f"{first['field']} ({first['code']}): {first['message']}", first["field"],
                                   fields=refused, code="records_refused")
            new = [records[i].stored(batch_id, plans[i][0].plan_id) for i in fresh]  # type: ignore[union-attr]
            month_key = (tenant, key, month)
            try:
                await store.insert_records(key, month, batch_id, [s.row() for s in new])
            except BaseException:
                if self.known is not None:  # it may be stored: read the month again next time
                    self.known.forget(month_key)
                raise
            if self.known is not None:
                self.known.add(month_key, new)
            taken = sorted([*resumed, *fresh])
            if not taken:  # every record was recorded by earlier uploads: nothing new to record
                return {"batch_id": None, "institution_id": institution, "month": month, "accepted": 0,
                        "already_recorded": already, "replayed": True}, False
            now = datetime.now(UTC).isoformat()
            doc = {"_id": batch_id, "batch_id": batch_id, "institution_id": key, "month": month,
                   "accepted": len(taken), "already_recorded": already, "received_at": now, "received_by": who}
            payload = events_pb2.CareServicesRecorded(batch_id=batch_id, institution_id=institution or "",
                                                      month=month)
            add = payload.records.add  # (added in place: twice as fast as building each record first)
            for i in taken:
                r = records[i]
                add(record_id=r.record_id, person_id=r.person_id, caregiver_id=r.caregiver_id, date=r.day.isoformat(),
                    items=r.items, start=r.start, end=r.end, plan_id=plans[i][0].plan_id)  # type: ignore[union-attr]
            event = new_event("care_services.recorded", tenant, batch_id, payload, source="settlement",
                              trace_context=current_carrier())
            # Smart review (智能审核) before any of it is paid: the records sent to audit, staged before the upload
            # is recorded (a retry stages the same parts, once); the month's statement waits for the answer.
            levels = care.levels(tenant)
            claims = []
            for i in taken:
                r, plan = records[i], plans[i][0]
                assert plan is not None
                level = levels.modes.get(plan.domain().mode)
                claims.append(review_claim(r.record_id, r.person_id, r.day.isoformat(), r.items,
                                           level.rates_fen.get(plan.grade, 0) if level else 0))
            doc["review"] = await holds.stage(care.db(tenant), tenant, source=SOURCE, program=care.serves(tenant).code,
                                              batch_id=batch_id, statement_id=sid, institution=key, month=month,
                                              claims=claims)
            if not await store.insert_batch(doc, [event]):
                done = await store.batch(batch_id)
                return batch_view(done or doc), False
        care.kick()
        return batch_view(doc), True

    async def _stored(self, tenant: str, key: str, month: str, records: list[RecordIn],
                      plans: list[tuple[PlanEntry | None, bool]]) -> tuple[dict[str, Stored], list[Stored]]:
        """The stored records an upload is checked against — those of its plans (frequency), of its caregivers
        (overlap) — and, by id, those under its record ids (a record sent again)."""
        plan_ids = {p.plan_id for p, _ in plans if p is not None}
        caregivers = {r.caregiver_id for r in records}
        month_key = (tenant, key, month)
        known = self.known.get(month_key) if self.known is not None else None
        if known is None:
            known = {d["_id"]: Stored.of(d) for d in await self.care.store(tenant).month_records(key, month)}
            if self.known is not None:
                self.known.put(month_key, known)
        related = [s for s in known.values() if s.plan_id in plan_ids or s.caregiver_id in caregivers]
        return known, related

    @staticmethod
    def _check(book: TenantBook, key: str, records: list[RecordIn], plans: list[tuple[PlanEntry | None, bool]],
               fresh: list[int], stored: list[Stored]) -> list[dict[str, Any]]:
        """Every refused record of the upload (in the order sent), each with its index, id, rule and field. (Shaped
        for 2,000 records a call: moments, covers and plans are made once each, a visit object serves every list it
        is in.)"""
        moments: dict[tuple[str, str], datetime] = {}

        def moment(day: str, hhmm: str) -> datetime:
            found = moments.get((day, hhmm))
            if found is None:
                found = moments[(day, hhmm)] = at(date.fromisoformat(day), hhmm)
            return found

        by_plan_item: dict[tuple[str, str], list[ServiceRecord]] = defaultdict(list)
        by_caregiver_day: dict[tuple[str, str], list[ServiceRecord]] = defaultdict(list)
        for d in stored:
            start, end = moment(d.date, d.start), moment(d.date, d.end)
            first: ServiceRecord | None = None
            for item in d.items:
                visit = ServiceRecord(d.record_id, "", d.caregiver_id, item, start, end)
                by_plan_item[(d.plan_id, item)].append(visit)
                first = first or visit
            if first is not None:
                by_caregiver_day[(d.caregiver_id, d.date)].append(first)
        domain_plans: dict[str, Plan] = {}
        covers: dict[str, PersonCover] = {}
        on_day: dict[tuple[str, date], tuple[Cover, int | None]] = {}
        refused: list[tuple[int, dict[str, Any]]] = []
        for i in sorted(fresh, key=lambda n: (records[n].day, records[n].start, n)):
            rec = records[i]
            plan, _ = plans[i]
            reason: Reason | None = None
            if plan is None:
                reason = _no_plan(key)
            else:
                dom = domain_plans.get(plan.plan_id)
                if dom is None:
                    period = book.periods.get(plan.plan_id)
                    end = period[1] if period is not None else plan.valid_from - timedelta(days=1)
                    dom = domain_plans[plan.plan_id] = plan.domain(end)
                judged = on_day.get((rec.person_id, rec.day))
                if judged is None:
                    cover = covers.get(rec.person_id)
                    if cover is None:
                        cover = covers[rec.person_id] = book.person(rec.person_id)
                    judged = on_day[(rec.person_id, rec.day)] = (cover.cover_on(rec.day), cover.grade_on(rec.day))
                day_cover, grade = judged
                day = rec.day.isoformat()
                start, end_at = moment(day, rec.start), moment(day, rec.end)
                mates = by_caregiver_day[(rec.caregiver_id, day)]
                visits = []
                for j, item in enumerate(rec.items):
                    visit = ServiceRecord(rec.record_id, rec.person_id, rec.caregiver_id, item, start, end_at)
                    found = check_visit(dom, day_cover, grade, visit, by_plan_item[(plan.plan_id, item)], mates)
                    if found.code != ACCEPTED:
                        reason = found
                        if FIELD_OF.get(found.code) == "items":
                            reason = Reason(found.code, found.detail, {**found.params, "item_index": str(j)})
                        break
                    visits.append(visit)
                if reason is None:
                    for visit in visits:
                        by_plan_item[(plan.plan_id, visit.item)].append(visit)
                    mates.append(visits[0])
            if reason is not None:
                field = FIELD_OF.get(reason.code, "record_id")
                if field == "items":
                    field = f"items[{reason.params.get('item_index', '0')}]"
                refused.append((i, {"field": f"records[{i}].{field}", "index": i, "record_id": rec.record_id,
                                    "code": reason.code, "message": reason.detail}))
        return [problem for _, problem in sorted(refused, key=lambda x: x[0])]


def _no_plan(key: str) -> Reason:
    what = "family care" if key == FAMILY else f"institution {key}"
    return REASONS.reason("no_plan", f"the person has no care plan of {what}", institution=key)


def batch_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {"batch_id": doc["_id"], "institution_id": None if doc["institution_id"] == FAMILY else doc[
        "institution_id"], "month": doc["month"], "accepted": doc["accepted"],
        "already_recorded": doc.get("already_recorded", []), "received_at": doc.get("received_at"),
        "replayed": False, **({"review": {"state": doc["review"]["state"], "parts": doc["review"]["parts"]}}
                              if doc.get("review") else {})}
