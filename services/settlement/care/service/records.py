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
settlement): the new records (one `insert_many` into the institution's month collection, each marked with the
upload's id), then the upload's document with `care_services.recorded` (all its records in the payload). A retry
after a crash between the two finds its records marked with its own id and writes the upload's document.

Speed (the bench uploads a month of 1,000,000 records): one read of the generation (the book is in memory), one read
of the statement's status, one read of the institution's month (the records of the upload's plans, caregivers and
ids), one bulk insert, one insert of the upload."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from chassis.errors import Conflict, InvalidInput
from chassis.events import new_event
from chassis.reasons import Reason
from chassis.telemetry import current_carrier
from contracts.v1 import events_pb2
from services.settlement.care.domain.cover import PersonCover
from services.settlement.care.domain.plans import Plan, ServiceRecord, check_visit
from services.settlement.care.domain.reasons import REASONS
from services.settlement.care.service.book import FAMILY, PlanEntry, TenantBook

if TYPE_CHECKING:
    from services.settlement.care.service.care import CareService

ACCEPTED = "record_accepted"
# The field of a record each refusal concerns.
FIELD_OF = {"no_plan": "person_id", "person_not_covered": "person_id", "plan_grade_changed": "person_id",
            "person_deceased": "date", "outside_plan_period": "date", "outside_plan": "items",
            "over_frequency": "items", "caregiver_overlap": "start"}
MIDNIGHT = "24:00"


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

    def doc(self, batch_id: str, plan_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {"_id": self.record_id, "batch_id": batch_id, "plan_id": plan_id,
                               "caregiver_id": self.caregiver_id, "date": self.day.isoformat(), "start": self.start,
                               "end": self.end, "items": list(self.items)}
        if self.evidence:
            out["evidence"] = [{"kind": k, "sha256": h} for k, h in self.evidence]
        return out


def at(day: date, hhmm: str) -> datetime:
    if hhmm == MIDNIGHT:
        return datetime.combine(day + timedelta(days=1), time())
    return datetime.combine(day, time(int(hhmm[:2]), int(hhmm[3:5])))


def _same(stored: dict[str, Any], rec: RecordIn, book: TenantBook) -> bool:
    plan = book.plans.get(stored.get("plan_id", ""))
    evidence = [(e["kind"], e["sha256"]) for e in stored.get("evidence") or ()]
    return (plan is not None and plan.person_id == rec.person_id and stored["caregiver_id"] == rec.caregiver_id
            and stored["date"] == rec.day.isoformat() and stored["start"] == rec.start and stored["end"] == rec.end
            and list(stored["items"]) == list(rec.items) and evidence == list(rec.evidence))


def statement_id(institution_key: str, month: str) -> str:
    return f"LTC-{institution_key}-{month}"


class ServiceRecords:
    def __init__(self, care: CareService) -> None:
        self.care = care

    async def upload(self, tenant: str, institution: str | None, month: str, records: list[RecordIn],
                     who: str) -> tuple[dict[str, Any], bool]:
        """`institution`: the uploading institution (its own records), None for family care (a clerk). Returns the
        upload's result and whether it was stored now (False: sent before)."""
        care = self.care
        store = care.store(tenant)
        key = institution or FAMILY
        book = await care.book.of(tenant)
        if institution is not None:
            inst = book.institutions.get(institution)
            if inst is None or not inst.designated_for():
                raise Conflict(f"institution {institution} is not a designated care institution (定点护理机构)",
                               "institution_id", code="institution_not_designated")
        canonical = json.dumps([key, month, [(r.record_id, r.person_id, r.caregiver_id, r.day.isoformat(), r.start,
                                              r.end, r.items, r.evidence) for r in records]], ensure_ascii=False)
        batch_id = "CS-" + store.digest_key(canonical)[:24]
        async with care.locks.hold(f"ltc:month:{tenant}:{key}:{month}"):
            sid = statement_id(key, month)
            status = await store.statement_status(sid)
            if status not in (None, "open"):
                raise Conflict(f"the care statement {sid} is {status}: no more records for {month}", "month",
                               code="statement_closed")
            book = await care.book.of(tenant)
            plans: list[tuple[PlanEntry | None, bool]] = [book.plan_on(r.person_id, key, r.day) for r in records]
            plan_ids = sorted({p.plan_id for p, _ in plans if p is not None})
            stored = await store.related_records(key, month, plan_ids, sorted({r.caregiver_id for r in records}),
                                                 [r.record_id for r in records])
            by_id = {d["_id"]: d for d in stored}
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
                elif known.get("batch_id") == batch_id:
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
            docs = [records[i].doc(batch_id, plans[i][0].plan_id) for i in fresh]  # type: ignore[union-attr]
            await store.insert_records(key, month, docs)
            taken = sorted([*resumed, *fresh])
            if not taken:  # every record was recorded by earlier uploads: nothing new to record
                return {"batch_id": None, "institution_id": institution, "month": month, "accepted": 0,
                        "already_recorded": already, "replayed": True}, False
            now = datetime.now(UTC).isoformat()
            doc = {"_id": batch_id, "batch_id": batch_id, "institution_id": key, "month": month,
                   "record_ids": [records[i].record_id for i in taken], "accepted": len(taken),
                   "already_recorded": already, "received_at": now, "received_by": who}
            event = new_event("care_services.recorded", tenant, batch_id, events_pb2.CareServicesRecorded(
                batch_id=batch_id, institution_id=institution or "", month=month, records=[
                    events_pb2.CareServiceRecord(
                        record_id=records[i].record_id, person_id=records[i].person_id,
                        caregiver_id=records[i].caregiver_id, date=records[i].day.isoformat(),
                        items=list(records[i].items), start=records[i].start, end=records[i].end,
                        plan_id=plans[i][0].plan_id)  # type: ignore[union-attr]
                    for i in taken]), source="settlement", trace_context=current_carrier())
            if not await store.insert_batch(doc, [event]):
                done = await store.batch(batch_id)
                return batch_view(done or doc), False
        care.kick()
        return batch_view(doc), True

    @staticmethod
    def _check(book: TenantBook, key: str, records: list[RecordIn], plans: list[tuple[PlanEntry | None, bool]],
               fresh: list[int], stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Every refused record of the upload (in the order sent), each with its index, id, rule and field."""
        by_plan_item: dict[tuple[str, str], list[ServiceRecord]] = defaultdict(list)
        by_caregiver_day: dict[tuple[str, str], list[ServiceRecord]] = defaultdict(list)
        for d in stored:
            start, end = at(date.fromisoformat(d["date"]), d["start"]), at(date.fromisoformat(d["date"]), d["end"])
            for item in d["items"]:
                by_plan_item[(d["plan_id"], item)].append(ServiceRecord(d["_id"], "", d["caregiver_id"], item,
                                                                        start, end))
            by_caregiver_day[(d["caregiver_id"], d["date"])].append(
                ServiceRecord(d["_id"], "", d["caregiver_id"], d["items"][0], start, end))
        domain_plans: dict[str, Plan] = {}
        covers: dict[str, PersonCover] = {}
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
                cover = covers.get(rec.person_id)
                if cover is None:
                    cover = covers[rec.person_id] = book.person(rec.person_id)
                start, end_at = rec.times()
                day_cover, grade = cover.cover_on(rec.day), cover.grade_on(rec.day)
                day = rec.day.isoformat()
                mates = by_caregiver_day[(rec.caregiver_id, day)]
                for j, item in enumerate(rec.items):
                    visit = ServiceRecord(rec.record_id, rec.person_id, rec.caregiver_id, item, start, end_at)
                    found = check_visit(dom, day_cover, grade, visit, by_plan_item[(plan.plan_id, item)], mates)
                    if found.code != ACCEPTED:
                        reason = found
                        if FIELD_OF.get(found.code) == "items":
                            reason = Reason(found.code, found.detail, {**found.params, "item_index": str(j)})
                        break
                if reason is None:
                    for item in rec.items:
                        by_plan_item[(plan.plan_id, item)].append(
                            ServiceRecord(rec.record_id, rec.person_id, rec.caregiver_id, item, start, end_at))
                    mates.append(ServiceRecord(rec.record_id, rec.person_id, rec.caregiver_id, rec.items[0], start,
                                               end_at))
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
        "replayed": False}
