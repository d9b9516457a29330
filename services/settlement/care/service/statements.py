"""The monthly review and settlement of care benefits (待遇支付审核结算): one statement per institution and month
(`LTC-<institution>-<YYYY-MM>`) and one for the month's family care (`LTC-FAMILY-<YYYY-MM>`: the allowance of each
person cared for by their family, one line per person), each line a person-month under one plan priced by the
versioned benefit levels (domain/benefits.py `month_benefit`: days once each, visits each, the mode's monthly cap)
with the version and the reasons.

- build (finance, `POST /v1/ltc/statements {month}`): every institution with records in the month gets its statement
  priced from its accepted records; an open statement is priced again (records may still arrive while it is open);
  a closed or paid one is left as it is;
- close, once the month is over: priced a last time and frozen; later uploads for that institution and month are
  refused (`statement_closed`);
- pay, once closed: booked `benefits_paid` in the lot's dedicated account (专户) exactly as the critical-illness
  statements are (fund/service/account.py `post_payment`: refused 409 `InsufficientFunds` naming the shortfall before
  anything is written; idempotent by the payment id), then the payment with `care_statement.paid` (the persons
  listed, so the archive files it per person), then the statement's status. Paid twice → 409. A retry after a crash
  between the steps finds the ledger entry (its value date reused) and the payment, and finishes.

Each step runs under the lock of the institution's month, the one uploads take."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, NotFound
from chassis.events import derived_event_id, new_event
from chassis.money import yuan
from chassis.telemetry import current_carrier
from contracts.v1 import events_pb2
from services.settlement.care.domain.benefits import month_benefit
from services.settlement.care.domain.plans import ServiceRecord
from services.settlement.care.domain.review import record_states, refusal_view
from services.settlement.care.service.book import FAMILY, TenantBook
from services.settlement.care.service.care import month_over
from services.settlement.care.service.records import at, statement_id
from services.settlement.care.store import CareStore
from services.settlement.fund.service import account as fund
from services.settlement.review import service as holds
from services.settlement.review.service import HELD, REFUSED

if TYPE_CHECKING:
    from services.settlement.care.service.care import CareService


def _institution(key: str) -> str | None:
    return None if key == FAMILY else key


def statement_view(doc: dict[str, Any], lines: bool = False) -> dict[str, Any]:
    out = {"statement_id": doc["_id"], "institution_id": _institution(doc["institution_id"]),
           "family_care": doc["institution_id"] == FAMILY, "month": doc["month"], "status": doc["status"],
           "records": doc["records"], "persons": doc["persons"], "amount": yuan(doc["payable_fen"]),
           "benefits_version": doc["benefits_version"], "built_at": doc.get("built_at"),
           "closed_at": doc.get("closed_at"), "closed_by": doc.get("closed_by"), "payment_id": doc.get("payment_id"),
           "paid_at": doc.get("paid_at"), "paid_by": doc.get("paid_by"),
           "refused": yuan(int(doc.get("refused_fen", 0))), "refused_records": len(doc.get("refusals") or []),
           "held_records": int(doc.get("held_records", 0)), "refusals": list(doc.get("refusals") or [])}
    if lines:
        out["lines"] = [{"person_id": ln["person_id"], "plan_id": ln["plan_id"], "mode": ln["mode"],
                         "grade": ln["grade"], "records": ln["records"], "units": ln["units"], "per": ln["per"],
                         "amount": yuan(ln["payable_fen"]), "benefits_version": ln["benefits_version"],
                         "reasons": [f"{r['code']}: {r['detail']}" for r in ln["reason_codes"]],
                         "reason_codes": ln["reason_codes"]} for ln in doc["lines"]]
    return out


def payment_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc.get(k) for k in ("payment_id", "statement_id", "institution_id", "month", "amount", "entry_id",
                                    "persons", "issued_at", "issued_by", "status")}


class CareStatements:
    def __init__(self, care: CareService) -> None:
        self.care = care

    def _lock(self, tenant: str, key: str, month: str) -> str:
        return f"ltc:month:{tenant}:{key}:{month}"

    async def _priced(self, tenant: str, store: CareStore, book: TenantBook, key: str, month: str,
                      who: str) -> dict[str, Any]:
        """The institution's month priced from its accepted records: one line per person and plan. Smart review
        (智能审核, domain/review.py): a refused record (拒付) is left out of the pricing — what it would have added
        is the statement's `refused_fen`, the record listed in `refusals` with its reason — a held one counted in
        `held_records` (the statement does not close while any is held)."""
        levels = self.care.levels(tenant)
        sid = statement_id(key, month)
        records = await store.month_records(key, month)
        states = record_states(await holds.statement_review_of(self.care.db(tenant), sid), key, records)
        by_plan: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for d in records:
            by_plan[d["plan_id"]].append(d)
        lines, refusals = [], []
        refused_fen = 0
        for plan_id, docs in by_plan.items():
            plan = book.plans[plan_id]
            visits, kept = [], []
            for d in docs:
                day = date.fromisoformat(d["date"])
                visit = ServiceRecord(d["_id"], plan.person_id, d["caregiver_id"], d["items"][0],
                                      at(day, d["start"]), at(day, d["end"]))
                visits.append(visit)
                state, hit = states.get(d["_id"], ("", None))
                if state == REFUSED and hit is not None:
                    refusals.append(refusal_view(d, hit))
                else:
                    kept.append(visit)
            benefit = month_benefit(levels, plan.domain(), kept)
            if len(kept) < len(visits):
                refused_fen += month_benefit(levels, plan.domain(), visits).payable_fen - benefit.payable_fen
            lines.append({"person_id": plan.person_id, "plan_id": plan_id, "mode": plan.mode, "grade": plan.grade,
                          "records": len(kept), "units": benefit.units,
                          "per": levels.modes[plan.domain().mode].per, "payable_fen": benefit.payable_fen,
                          "benefits_version": benefit.version,
                          "reason_codes": [r.to_json() for r in benefit.reasons]})
        lines.sort(key=lambda ln: (ln["plan_id"]))
        refusals.sort(key=lambda r: r["record_id"])
        return {"_id": sid, "statement_id": sid, "institution_id": key, "month": month, "status": "open",
                "lines": lines, "records": sum(ln["records"] for ln in lines),
                "persons": len({ln["person_id"] for ln in lines}),
                "payable_fen": sum(ln["payable_fen"] for ln in lines), "benefits_version": levels.version,
                "refused_fen": refused_fen, "refusals": refusals,
                "held_records": sum(1 for state, _ in states.values() if state == HELD),
                "built_at": datetime.now(UTC).isoformat(), "built_by": who}

    async def build(self, tenant: str, month: str, who: str) -> list[dict[str, Any]]:
        """Every institution's statement of the month (and family care's), priced."""
        store = self.care.store(tenant)
        out = []
        for key in await store.institutions_of_month(month):
            async with self.care.locks.hold(self._lock(tenant, key, month)):
                sid = statement_id(key, month)
                status = await store.statement_status(sid)
                if status in (None, "open"):
                    book = await self.care.book.of(tenant)
                    if not await store.put_open_statement(await self._priced(tenant, store, book, key, month, who)):
                        status = await store.statement_status(sid)
                doc = await store.statement(sid)
            if doc is not None:
                out.append(statement_view(doc))
        return out

    async def statements(self, tenant: str, month: str, institution: str | None, limit: int
                         ) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"month": month}
        if institution is not None:
            query["institution_id"] = institution
        return [statement_view(d) for d in await self.care.store(tenant).statements(query, limit)]

    async def statement(self, tenant: str, sid: str, institution: str | None) -> dict[str, Any]:
        doc = await self.care.store(tenant).statement(sid)
        if doc is None or (institution is not None and doc["institution_id"] != institution):
            raise NotFound(f"care statement {sid} not found", "statement_id")
        return doc

    async def review_of(self, tenant: str, sid: str) -> dict[str, int]:
        """Where smart review stands for the statement's month, live: uploads pending, records held, hits open."""
        return (await holds.statement_review_of(self.care.db(tenant), sid)).counts()

    async def close(self, tenant: str, sid: str, who: str) -> dict[str, Any]:
        """Once the month is over: priced a last time and closed."""
        store = self.care.store(tenant)
        head = await self.statement(tenant, sid, None)
        key, month = head["institution_id"], head["month"]
        if not month_over(month, today_cn()):
            raise Conflict(f"{month} is not over: its statement closes from the 1st of the next month", "month",
                           code="month_not_over")
        async with self.care.locks.hold(self._lock(tenant, key, month)):
            if await store.statement_status(sid) != "open":
                raise Conflict(f"care statement {sid} is {await store.statement_status(sid)}, not open",
                               "statement_id", code="statement_closed")
            # Smart review first: nothing of an upload under review, no held record reaches a payment.
            await holds.require_reviewed(self.care.db(tenant), sid)
            book = await self.care.book.of(tenant)
            doc = await self._priced(tenant, store, book, key, month, head.get("built_by") or who)
            doc.update(status="closed", closed_at=datetime.now(UTC).isoformat(), closed_by=who)
            if not await store.put_open_statement(doc):
                raise Conflict(f"care statement {sid} is no longer open", "statement_id", code="statement_closed")
            return statement_view(doc)

    async def pay(self, tenant: str, sid: str, who: str) -> dict[str, Any]:
        store = self.care.store(tenant)
        head = await self.statement(tenant, sid, None)
        key, month = head["institution_id"], head["month"]
        payment_id = f"PAY-{sid}"
        async with self.care.locks.hold(self._lock(tenant, key, month)):
            doc = await self.statement(tenant, sid, None)
            if doc["status"] == "paid":
                raise Conflict(f"care statement {sid} is paid already (payment {payment_id}); nothing was written",
                               "statement_id", code="already_paid")
            if doc["status"] != "closed":
                raise Conflict(f"care statement {sid} is {doc['status']}: close it first", "statement_id",
                               code="not_closed")
            paid = await store.payment(payment_id)
            if paid is None:
                amount_fen = int(doc["payable_fen"])
                entry_id = f"payment:{payment_id}"
                existing = await self.care.ledger.entry(tenant, entry_id)
                day = date.fromisoformat(existing["date"]) if existing else None
                what = "亲情居家护理" if key == FAMILY else key
                posted = await fund.post_payment(self.care.ledger, tenant, month, payment_id, amount_fen, key, who,
                                                 day=day, memo=f"长护险 支付 {what} {month} 护理待遇 ({sid})")
                now = datetime.now(UTC).isoformat()
                persons = sorted({ln["person_id"] for ln in doc["lines"]})
                paid = {"_id": payment_id, "payment_id": payment_id, "statement_id": sid,
                        "institution_id": _institution(key), "month": month, "amount": yuan(amount_fen),
                        "amount_fen": amount_fen, "entry_id": entry_id if posted is not None else None,
                        "persons": len(persons), "issued_at": now, "issued_by": who, "status": "issued"}
                event = new_event("care_statement.paid", tenant, sid, events_pb2.CareStatementPaid(
                    statement_id=sid, institution_id=_institution(key) or "", month=month, amount=yuan(amount_fen),
                    records=int(doc["records"]), persons=len(persons), benefits_version=doc["benefits_version"],
                    paid_at=now, person_ids=persons), source="settlement", trace_context=current_carrier(),
                    event_id=derived_event_id(sid, "care_statement.paid", payment_id))
                if not await store.insert_payment(paid, [event]):
                    paid = await store.payment(payment_id)
                    assert paid is not None
            await store.transition_statement(sid, {"status": "closed"}, {
                "status": "paid", "payment_id": payment_id, "paid_at": paid["issued_at"], "paid_by": who})
        self.care.kick()
        return payment_view(paid)
