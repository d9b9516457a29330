"""The long-term care carrier's fee of a year (经办服务费, Wenzhou tender 二、3 and 五), called by the fund door and the
consumer of `carrier_score.assessed` (handlers.py).

The fee is domain/ltc_fee.py's: the lot's bid unit price (program.yaml `ltc.bids`) × its insured persons of the
previous year (lots.yaml, the only count loaded), the first service year (`ltc.first_service_year`) at three quarters,
10% withheld as the performance fund and paid by the year's score — which audit assesses and settlement keeps as it
arrives (a correction, a higher revision, replaces it; an older one arriving late changes nothing). Until then the
performance part is `awaiting_score`. The performance money is recorded paid once (`ltc_fee.performance_paid` in the
same write), by the score in force, and checked against its due date: one month after the assessment, the day audit
worked out (the event's `performance_due_on`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, InvalidInput, NotFound, PoisonMessage
from chassis.events import new_event
from chassis.programs import Program, program_of_tenant
from chassis.telemetry import current_carrier
from contracts.v1 import events_pb2
from services.settlement.fund.domain import ltc_fee as lf
from services.settlement.fund.domain.reasons import REASONS
from services.settlement.fund.store import FundStore

Doc = dict[str, Any]
PAYMENT_FIELDS = ("paid_on", "reference")


def serves(tenant: str) -> Program:
    """The long-term care program the tenant carries a lot of; 404 for any other tenant."""
    program = program_of_tenant(tenant)
    if program is None or program.code != lf.PROGRAM:
        raise NotFound("long-term care insurance is not run by this tenant")
    return program


def check_year(year: int, program: Program) -> int:
    first, this = int(program.setting("ltc", "first_service_year")), today_cn().year
    if not first <= year <= this:
        raise InvalidInput(f"year must be a service year from {first} to {this}, got {year}", "year")
    return year


def _m(value: Decimal) -> str:
    return f"{value:.2f}"


async def fee_view(db: Any, tenant: str, program: Program, year: int) -> Doc:
    """The year's fee in `jingban calc ltc_fee`'s shape, with what it was computed from and what is paid."""
    base = lf.lot_base(tenant)
    first_year = year == base.first_service_year
    doc = await FundStore(db).ltc_fee(year) or {}
    score, payment = doc.get("score"), doc.get("performance_payment")
    out: Doc = {"tenant": tenant, "program": program.code, "lot": base.lot, "year": year,
                "unit_price": str(base.unit_price), "insured": base.insured, "first_year": first_year,
                "version": lf.FEE_VERSION, "sources": list(base.sources)}
    if score is None:
        fee = lf.ltc_base_fee(base.unit_price, base.insured, first_year, base.lot)
        reasons = (*fee.reasons, REASONS.reason("ltc_awaiting_score", f"the {year} score is not assessed yet: "
                                                f"{_m(fee.withheld)} waits for it", withheld=_m(fee.withheld)))
        out.update({"status": "awaiting_score", "fee": _m(fee.fee), "withheld": _m(fee.withheld),
                    "paid_in_year": _m(fee.paid_in_year), "performance_paid": None, "grade": None,
                    "contract_lost": False, "score": None})
    else:
        f = lf.ltc_fee(base.unit_price, base.insured, first_year, Decimal(score["score"]), base.lot)
        reasons = f.reasons
        out.update({"status": "performance_paid" if payment else "scored", "fee": _m(f.fee),
                    "withheld": _m(f.withheld), "paid_in_year": _m(f.paid_in_year),
                    "performance_paid": _m(f.performance_paid), "grade": f.grade, "contract_lost": f.contract_lost,
                    "score": score["score"]})
    out.update({
        "reasons": [str(r) for r in reasons], "reason_codes": [r.to_json() for r in reasons],
        "assessment": {k: score.get(k) for k in ("score", "grade", "revision", "items_version", "assessed_on",
                                                 "performance_due_on")} if score else None,
        "performance_payment": {k: payment.get(k) for k in ("amount", "paid_on", "due_on", "overdue", "reference",
                                                            "score_revision", "paid_by")} if payment else None,
    })
    return out


# ---- the score from audit ---------------------------------------------------------------------------------------


def _event_day(value: str, what: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise PoisonMessage(f"carrier_score.assessed {what} is not a date: {value!r}") from exc


def score_of(p: Any) -> tuple[int, Doc]:
    """(year, score kept) of a `carrier_score.assessed` payload; PoisonMessage naming the field."""
    if p.year < 2000 or p.revision < 1:
        raise PoisonMessage(f"carrier_score.assessed needs a year and a revision ≥ 1, got {p.year}/{p.revision}")
    try:
        score = Decimal(p.score)
        band = lf.band_of(score)
    except (InvalidOperation, InvalidInput) as exc:
        raise PoisonMessage(f"carrier_score.assessed score: not a score of 0–100: {p.score!r}") from exc
    return p.year, {"score": str(score), "grade": band.grade, "revision": p.revision,
                    "items_version": p.items_version, "assessed_on": _event_day(p.assessed_on, "assessed_on"),
                    "performance_due_on": _event_day(p.performance_due_on, "performance_due_on"),
                    "deductions": dict(p.deductions), "lot": p.lot}


async def keep_score(db: Any, tenant: str, payload: Any, event_id: str) -> None:
    """The year's score as audit assessed it, for a tenant carrying a lot: kept when newer than the one held."""
    program = program_of_tenant(tenant)
    if program is None or program.code != lf.PROGRAM:
        raise PoisonMessage(f"carrier_score.assessed for tenant {tenant}, which carries no long-term care lot")
    year, score = score_of(payload)
    await FundStore(db).put_ltc_score(year, {**score, "event_id": event_id})


# ---- the performance money --------------------------------------------------------------------------------------


def _paid_on(value: Any, assessed_on: str) -> date:
    today = today_cn()
    if value is None:
        return today
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidInput(f"paid_on must be a date YYYY-MM-DD, got {value!r}", "paid_on")
    if day > today or day.isoformat() < assessed_on:
        raise InvalidInput(f"paid_on {day} must lie between the assessment ({assessed_on}) and today", "paid_on")
    return day


async def pay_performance(db: Any, tenant: str, program: Program, year: int, body: Mapping[str, Any],
                          by: str) -> Doc:
    """Record the year's performance money paid (绩效考核资金), once, by the score in force; checked whole first."""
    for key in body:
        if key not in PAYMENT_FIELDS:
            raise InvalidInput(f"unknown field {key!r}; the fields are {', '.join(PAYMENT_FIELDS)} (the amount is "
                               "the score's)", key)
    reference = body.get("reference", "")
    if not isinstance(reference, str) or len(reference) > 100:
        raise InvalidInput("reference must be text of at most 100 characters (the voucher)", "reference")
    store = FundStore(db)
    doc = await store.ltc_fee(year) or {}
    score = doc.get("score")
    if score is None:
        raise Conflict(f"the {year} score is not assessed yet: the performance money is paid by it",
                       code="ltc_score_not_assessed")
    if doc.get("performance_payment"):
        raise Conflict(f"the {year} performance money is recorded paid already",
                       code="ltc_performance_already_paid")
    day = _paid_on(body.get("paid_on"), score["assessed_on"])
    fee = await fee_view(db, tenant, program, year)
    amount = Decimal(fee["performance_paid"])
    if amount <= 0:
        raise Conflict(f"the {year} score ({score['score']}, {fee['grade']}) pays nothing of the performance fund",
                       code="ltc_no_performance_money")
    overdue = day.isoformat() > score["performance_due_on"]
    payment = {"amount": _m(amount), "paid_on": day.isoformat(), "due_on": score["performance_due_on"],
               "overdue": overdue, "reference": reference, "score_revision": score["revision"], "paid_by": by,
               "recorded_at": datetime.now(UTC).isoformat()}
    event = new_event("ltc_fee.performance_paid", tenant, f"ltc_fee:{year}", events_pb2.LtcPerformancePaid(
        year=year, amount=payment["amount"], paid_on=payment["paid_on"], due_on=payment["due_on"], overdue=overdue,
        score_revision=score["revision"], grade=fee["grade"], lot=fee["lot"]),
        source="settlement", trace_context=current_carrier())
    if not await store.record_ltc_performance(year, score["revision"], payment, [event]):
        raise Conflict(f"the {year} performance money was recorded, or its score corrected, meanwhile",
                       code="ltc_performance_already_paid")
    return await fee_view(db, tenant, program, year)
