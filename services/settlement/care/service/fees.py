"""Assessment fees (评估费用审核与结算, tender 二、1.4 and 二、4): each disability conclusion carries the fee its
assessment cost the lot's carrier (disability.concluded `assessment_fee`). The service fee includes them, so they
are the carrier's cost and never the fund's: paying a fee statement records the carrier's payment (to the
assessment organisation and assessors) and books nothing in the dedicated account.

- statement of a month (finance, `POST /v1/ltc/assessment-fees/statements {month}` → `AF-<YYYY-MM>`): every fee of an
  assessment concluded in the month, and any of an earlier month not on a statement yet (`late`); built again while
  unpaid, so fees that arrive late still join it;
- a city-level person's (市本级) fee is shared by lots A, B and C equally (domain/fees.py): each line shows the shares,
  and the statement `due_from` — what the other two city lots' carriers owe this one;
- paid once the month is over (`assessment_fees.paid`, with `due_from`); paid twice → 409."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, NotFound
from chassis.events import derived_event_id, new_event
from chassis.money import yuan
from chassis.telemetry import current_carrier
from contracts.v1 import events_pb2
from services.settlement.care.domain.fees import Fee, fee_totals
from services.settlement.care.service.care import city_lots, lot_of, month_over

if TYPE_CHECKING:
    from services.settlement.care.service.care import CareService


def fee_statement_view(doc: dict[str, Any], lines: bool = True) -> dict[str, Any]:
    out = {"statement_id": doc["_id"], "month": doc["month"], "lot": doc["lot"], "status": doc["status"],
           "assessments": len(doc["assessment_ids"]), "amount": yuan(doc["amount_fen"]),
           "own_share": yuan(doc["own_fen"]), "due_from": {t: yuan(v) for t, v in doc["due_from"].items()},
           "fund_booking": None, "built_at": doc.get("built_at"), "paid_at": doc.get("paid_at"),
           "paid_by": doc.get("paid_by")}
    if lines:
        out["lines"] = [{**{k: ln[k] for k in ("assessment_id", "person_id", "concluded_on", "lot", "city_level",
                                                "late")},
                         "fee": yuan(ln["fee_fen"]), "own_share": yuan(ln["own_fen"]),
                         "due_from": {t: yuan(v) for t, v in ln["due_from"].items()},
                         "reasons": [f"{r['code']}: {r['detail']}" for r in ln["reason_codes"]],
                         "reason_codes": ln["reason_codes"]} for ln in doc["lines"]]
    return out


class AssessmentFees:
    def __init__(self, care: CareService) -> None:
        self.care = care

    async def build(self, tenant: str, month: str, who: str) -> tuple[dict[str, Any], bool]:
        """The month's fee statement (built again while unpaid); False when it was paid already (as it stands)."""
        store = self.care.store(tenant)
        own_lot = lot_of(tenant)
        sid = f"AF-{month}"
        async with self.care.locks.hold(f"ltc:fees:{tenant}"):
            existing = await store.fee_statement(sid)
            if existing is not None and existing["status"] == "paid":
                return fee_statement_view(existing), False
            placed = {a for s in await store.fee_statements({}) if s["_id"] != sid for a in s["assessment_ids"]}
            fees = [Fee(f["assessment_id"], f["person_id"], date.fromisoformat(f["concluded_on"]), int(f["fee_fen"]),
                        f.get("lot", ""), bool(f.get("city_level"))) for f in await store.fees()
                    if f["month"] <= month and f["_id"] not in placed]
            totals = fee_totals(city_lots(), own_lot, fees)
            lines = [{"assessment_id": ln.fee.assessment_id, "person_id": ln.fee.person_id,
                      "concluded_on": ln.fee.concluded_on.isoformat(), "lot": ln.fee.lot,
                      "city_level": ln.fee.city_level, "late": ln.fee.concluded_on.isoformat()[:7] < month,
                      "fee_fen": ln.fee.fee_fen, "own_fen": ln.own_fen, "due_from": dict(ln.due_from),
                      "reason_codes": [r.to_json() for r in ln.reasons]} for ln in totals.lines]
            doc = {"_id": sid, "statement_id": sid, "month": month, "lot": own_lot, "status": "unpaid",
                   "assessment_ids": [ln["assessment_id"] for ln in lines], "lines": lines,
                   "amount_fen": totals.amount_fen, "own_fen": totals.own_fen, "due_from": dict(totals.due_from),
                   "built_at": datetime.now(UTC).isoformat(), "built_by": who}
            await store.put_unpaid_fee_statement(doc)
            stored = await store.fee_statement(sid)
            assert stored is not None
            return fee_statement_view(stored), True

    async def statements(self, tenant: str, month: str | None) -> list[dict[str, Any]]:
        query = {} if month is None else {"month": month}
        return [fee_statement_view(d, lines=False) for d in await self.care.store(tenant).fee_statements(query)]

    async def statement(self, tenant: str, sid: str) -> dict[str, Any]:
        doc = await self.care.store(tenant).fee_statement(sid)
        if doc is None:
            raise NotFound(f"assessment fee statement {sid} not found", "statement_id")
        return fee_statement_view(doc)

    async def pay(self, tenant: str, sid: str, who: str) -> dict[str, Any]:
        """Record the carrier's payment of the month's fees (no fund booking: the service fee covers them)."""
        store = self.care.store(tenant)
        async with self.care.locks.hold(f"ltc:fees:{tenant}"):
            doc = await store.fee_statement(sid)
            if doc is None:
                raise NotFound(f"assessment fee statement {sid} not found", "statement_id")
            if doc["status"] == "paid":
                raise Conflict(f"assessment fee statement {sid} is paid already; nothing was written",
                               "statement_id", code="already_paid")
            if not month_over(doc["month"], today_cn()):
                raise Conflict(f"{doc['month']} is not over: its assessment fees are paid from the 1st of the next "
                               "month", "month", code="month_not_over")
            now = datetime.now(UTC).isoformat()
            event = new_event("assessment_fees.paid", tenant, sid, events_pb2.AssessmentFeesPaid(
                statement_id=sid, month=doc["month"], amount=yuan(doc["amount_fen"]),
                assessments=len(doc["assessment_ids"]), due_from={t: yuan(v) for t, v in doc["due_from"].items()},
                paid_at=now), source="settlement", trace_context=current_carrier(),
                event_id=derived_event_id(sid, "assessment_fees.paid", tenant))
            if not await store.transition_fee_statement(sid, {"status": "unpaid"}, {
                    "status": "paid", "paid_at": now, "paid_by": who}, [event]):
                raise Conflict(f"assessment fee statement {sid} is paid already", "statement_id", code="already_paid")
        self.care.kick()
        return await self.statement(tenant, sid)
