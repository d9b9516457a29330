"""The year end of the fund (年度决算 / 年终清算): the carriers' service fee (承办服务费), the year closed by deficit
sharing (Hanzhong: surplus returned, deficit first from the fees, the rest fund 3 : carriers 7) or by the corridor
(Quzhou 盈亏分担), the closing entry posted in each carrier's books and `fund_year.closed` published with it. Every
amount explains itself: the sentences (`reasons`) and the same reasons as data (`reason_codes`, fund/domain/reasons.py).

A close is written under every account's lock, after everything is checked: the request is kept in
`fund_year_closings` before the first write and removed after the last, so one a crash cut short is finished from the
same request when settlement starts (`finish_year_close`, recovery). The pure rules are fund/domain/year_end.py."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, Forbidden, InvalidInput, NotFound
from chassis.events import derived_event_id, new_event
from chassis.money import parse_amount
from chassis.programs import Program, load_program
from chassis.reasons import as_json
from chassis.telemetry import current_carrier
from contracts.v1 import events_pb2
from services.settlement.fund.domain import ledger as lg
from services.settlement.fund.domain import year_end as ye
from services.settlement.fund.domain.reasons import REASONS
from services.settlement.fund.service.account import (
    LOCKS,
    Fund,
    account_lock,
    benefits_paid,
    carrier_borne,
    finance_of,
    premium_total,
)

# Counts a year end takes, bounded so that what they multiply stays an amount the books hold (a huge integer is a
# 422 naming the field, never a 500): performance targets are a handful; insured persons, a city's population.
MAX_TARGETS = 1000
MAX_INSURED_PERSONS = 100_000_000
SHARED_YEAR_CLOSED_BY_AGENCY = "shared_year_closed_by_agency"  # fund/domain/reasons.py ERRORS


def _int(value: Any, field: str, maximum: int = MAX_TARGETS) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be a whole number, got {value!r}", field)
    if not 0 <= value <= maximum:
        raise InvalidInput(f"{field} must be between 0 and {maximum}, got {value}", field)
    return value


def service_fee_for(program: Program, tenant: str, total: Decimal, met: int, of: int) -> ye.ServiceFee:
    fin = finance_of(program)
    terms = (fin.get("service_fee") or {}).get(tenant)
    if not terms:
        raise NotFound(f"program {program.code} sets no service fee for {tenant}")
    return ye.service_fee(total, Decimal(str(terms["reimbursement_share"])), Decimal(str(terms["bid_rate"])),
                          Decimal(str(terms["cap"])), Decimal(str(fin.get("base_fee_share", "0.80"))), met, of)


async def service_fee_of(fund: Fund, program: Program, tenant: str, served: Iterable[str], year: int,
                         total: Decimal | None, met: int, of: int) -> dict[str, Any]:
    """The service fee of a carrier's year (GET /v1/fund/service-fee): on the total reimbursement given, or the
    benefits paid in the books of all packages (which this deployment must then serve)."""
    if total is not None:
        why = REASONS.reason("total_given", "given")
    else:
        members = [m.tenant for m in program.tenants]
        if not set(members) <= set(served):
            raise InvalidInput("this deployment does not keep every package's books: give total_reimbursement",
                               "total_reimbursement")
        total = sum([benefits_paid(await fund.book(m, program.code, year)) for m in members], lg.ZERO)
        why = REASONS.reason("total_from_books", "benefits paid in the books of all packages", packages=len(members))
    fee = service_fee_for(program, tenant, total, met, of)
    return {"tenant": tenant, "program": program.code, "year": year, "total_reimbursement": f"{total:.2f}",
            "total_reimbursement_reason": why.detail, "total_reimbursement_reason_codes": [why.to_json()],
            "fee": f"{fee.fee:.2f}", "uncapped": f"{fee.uncapped:.2f}",
            "base": f"{fee.base:.2f}", "performance_max": f"{fee.performance_max:.2f}",
            "performance": f"{fee.performance:.2f}", "payable": f"{fee.payable:.2f}",
            "reasons": list(fee.reasons), "reason_codes": as_json(fee.reason_codes)}


async def close_year(fund: Fund, program: Program, targets: tuple[str, ...], year: int, day: date,
                     body: dict[str, Any], who: str) -> dict[str, Any]:
    fin = finance_of(program)
    if day <= date(year, 12, 31):
        raise Conflict(f"fund year {year} is still open on {day}: a year end is dated after 31 December", "date")
    if day > today_cn():
        raise InvalidInput(f"value date {day} is in the future", "date")
    keys = [account_lock(t, program.code, year) for t in targets]
    async with LOCKS.hold(*keys):
        done = [await fund.closed(t, program.code, year) for t in targets]
        if all(done):
            for t in targets:  # a crash after the last year document: the request kept for recovery goes
                await fund.store(t).end_year_close(program.code, year)
            return {"program": program.code, "year": year, "replayed": True,
                    "accounts": [year_view(d) for d in done if d]}
        unpaid = {t: await fund.store(t).unpaid_statements(year) for t in targets}
        unpaid = {t: s for t, s in unpaid.items() if s}
        if unpaid:
            raise Conflict(f"fund year {year} still has statements not paid: "
                           + "; ".join(f"{t}: {', '.join(s[:10])}" for t, s in unpaid.items()), "statements")
        entry_id = f"year_end:{program.code}:{year}"
        books = {}
        for t in targets:  # a retry after a crash computes from the books as they were before its entry
            book = await fund.book(t, program.code, year)
            books[t] = lg.Book(t, program.code, year, [e for e in book.entries if e.id != entry_id])
        method = fin.get("year_end")
        if method == "deficit_sharing":
            budget, budget_reason = await fund.budget(targets[0], program, year)
            result, rows = _deficit_sharing(program, targets, year, books, body, budget)
            result["budget_reason"] = budget_reason.detail
            result["budget_reason_codes"] = [budget_reason.to_json()]
        elif method == "corridor":
            result, rows = _corridor(program, targets, year, books, body)
        else:
            raise InvalidInput(f"program {program.code} has no year-end method (finance.year_end)", "program")
        planned = []
        for t in targets:  # everything checked before the first write
            movements, summary = rows[t]
            entry = lg.year_end_entry(entry_id, day, movements, f"{year} 年度决算 ({method})")
            existing = None
            if entry.postings:
                _, existing = await fund._prepare(t, program.code, year, entry)
            planned.append((t, entry, existing, summary))
        # Everything is checked: from here the close is finished even if a crash cuts it (recovery.py).
        request = {"_id": f"{program.code}|{year}", "program": program.code, "year": year, "targets": list(targets),
                   "date": day.isoformat(), "body": body, "who": who, "begun_at": datetime.now(UTC).isoformat()}
        for t in targets:
            await fund.store(t).begin_year_close(request)
        out = []
        for t, entry, existing, summary in planned:
            if entry.postings and existing is None:
                await fund._post_locked(t, program.code, year, entry, who, {"detail": summary})
            doc = {"_id": f"{program.code}|{year}", "program": program.code, "year": year, "status": "closed",
                   "method": method, "date": day.isoformat(), "closed_at": datetime.now(UTC).isoformat(),
                   "closed_by": who, "entry_id": entry_id if entry.postings else None, "result": result,
                   "account": summary}
            event = new_event("fund_year.closed", t, f"{program.code}|{year}", events_pb2.FundYearClosed(
                program=program.code, year=year, outcome=summary["outcome"], amount=summary["amount"],
                carrier_share=summary["carrier_share"], fund_share=summary["fund_share"],
                detail_json=json.dumps({"result": result, "account": summary}, ensure_ascii=False)),
                source="settlement", trace_context=current_carrier(),
                event_id=derived_event_id(entry_id, "fund_year.closed", t))
            await fund.store(t).insert_fund_year(doc, [event])
            out.append(year_view(doc))
        for t in targets:
            await fund.store(t).end_year_close(program.code, year)
        fund.kick()
        return {"program": program.code, "year": year, "replayed": False, "result": result, "accounts": out}


async def finish_year_close(fund: Fund, request: dict[str, Any], served: Iterable[str]) -> bool:
    """Finish a year end a crash cut short, from the request it kept (`close_year` again: the entries already posted
    are found, not posted twice; the year documents already written are kept). False when it was finished already."""
    targets = tuple(t for t in request["targets"] if t in set(served))
    result = await close_year(fund, load_program(request["program"]), targets, int(request["year"]),
                              date.fromisoformat(request["date"]), dict(request.get("body") or {}), request["who"])
    return not result["replayed"]


def year_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc.get(k) for k in ("program", "year", "status", "method", "date", "closed_at", "closed_by",
                                    "entry_id", "result", "account")}


def _deficit_sharing(program: Program, targets: tuple[str, ...], year: int, books: dict[str, lg.Book],
                     body: dict[str, Any], budget: Decimal
                     ) -> tuple[dict[str, Any], dict[str, tuple[dict[str, Decimal], dict]]]:
    fin = finance_of(program)
    members = [t.tenant for t in program.tenants]
    if body.get("total_reimbursement") is not None:
        total = parse_amount(body["total_reimbursement"], "total_reimbursement")
        total_reason = REASONS.reason("total_given", "given by the agency")
    elif set(members) <= set(targets):
        total = sum((benefits_paid(books[t]) - carrier_borne(books[t]) for t in members), lg.ZERO)
        total_reason = REASONS.reason("total_from_books", "benefits paid (net of recoveries and of losses the "
                                                          "carriers bear in full) in the books of all packages",
                                      packages=len(members))
    else:
        raise InvalidInput("this deployment does not keep every package's books: give total_reimbursement",
                           "total_reimbursement")
    assessments = body.get("assessments") or {}
    if not isinstance(assessments, dict):
        raise InvalidInput("assessments must be an object by tenant", "assessments")
    accounts, fees = [], {}
    for t in targets:
        a = assessments.get(t) or {}
        if not isinstance(a, dict):
            raise InvalidInput(f"assessments.{t} must be an object", f"assessments.{t}")
        met = _int(a.get("targets_met", 1), f"assessments.{t}.targets_met")
        of = _int(a.get("targets_total", 1), f"assessments.{t}.targets_total")
        fee = service_fee_for(program, t, total, met, of)
        fees[t] = fee
        b = books[t]
        accounts.append(ye.AccountYear(t, program.share_of(t), -b.balance("fund_payable"),
                                       -b.balance("interest_income"), -b.balance("recoveries"),
                                       b.balance("benefits_paid"), fee.payable, -b.balance("carrier_liability")))
    result = ye.year_end(budget, accounts, Decimal(str(fin.get("deficit_fund_share", "0.30"))))
    summary = {"method": "deficit_sharing", "outcome": result.outcome, "budget": f"{result.budget:.2f}",
               "result": f"{result.result:.2f}", "total_reimbursement": f"{total:.2f}",
               "total_reimbursement_reason": total_reason.detail,
               "total_reimbursement_reason_codes": [total_reason.to_json()],
               "fee_deductions": f"{result.fee_deductions:.2f}",
               "fund_part": f"{result.fund_part:.2f}", "carriers_part": f"{result.carriers_part:.2f}",
               "reasons": list(result.reasons), "reason_codes": as_json(result.reason_codes)}
    rows = {}
    for acc, r in zip(accounts, result.accounts, strict=True):
        fee = fees[acc.tenant]
        rows[acc.tenant] = (r.movements(acc.allocated, acc.interest, acc.recoveries, acc.paid), {
            "tenant": acc.tenant, "outcome": result.outcome, "amount": f"{abs(result.result):.2f}",
            "allocated": f"{acc.allocated:.2f}", "interest": f"{acc.interest:.2f}",
            "recoveries": f"{acc.recoveries:.2f}", "paid": f"{acc.paid:.2f}", "position": f"{r.position:.2f}",
            "service_fee": {"fee": f"{fee.fee:.2f}", "base": f"{fee.base:.2f}",
                            "performance": f"{fee.performance:.2f}", "payable": f"{fee.payable:.2f}",
                            "after_deduction": f"{fee.payable - r.fee_deduction:.2f}", "reasons": list(fee.reasons),
                            "reason_codes": as_json(fee.reason_codes)},
            "fee_deduction": f"{r.fee_deduction:.2f}", "carrier_deficit": f"{r.carrier_deficit:.2f}",
            "carrier_share": f"{r.carrier_bears:.2f}", "carrier_liability": f"{r.carrier_liability:.2f}",
            "carrier_bears_in_all": f"{r.carrier_bears_in_all:.2f}",
            "fund_share": f"{result.fund_part * acc.share / sum((a.share for a in accounts), lg.ZERO):.2f}",
            "settlement": f"{r.settlement:.2f}",
            "returned": f"{max(-r.settlement, lg.ZERO):.2f}", "received": f"{max(r.settlement, lg.ZERO):.2f}",
            "reasons": list(r.reasons), "reason_codes": as_json(r.reason_codes)})
    return summary, rows


def _corridor(program: Program, targets: tuple[str, ...], year: int, books: dict[str, lg.Book],
              body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, tuple[dict[str, Decimal], dict]]]:
    fin = finance_of(program)
    if body.get("admin_cost") is None:
        raise InvalidInput("admin_cost (经办成本) is required to close a corridor year", "admin_cost")
    admin = parse_amount(body["admin_cost"], "admin_cost")
    insured = body.get("insured_persons")
    insured = None if insured is None else _int(insured, "insured_persons", MAX_INSURED_PERSONS)
    total, per_person, persons = premium_total(program, year, insured)
    band = fin.get("corridor") or {}
    summary: dict[str, Any] = {"method": "corridor", "premium_per_person": f"{per_person:.2f}",
                               "insured_persons": persons, "premium": f"{total:.2f}"}
    rows = {}
    for t in targets:
        share = program.share_of(t)
        b = books[t]
        # 年度结算总赔款支出: the claims booked (benefits_paid, every statement and payable paid) less what reviews
        # and finance recovered (recoveries) and less the losses the carrier paid back in full (carrier_liability,
        # 承办方全额承担: outside the corridor, as outside the deficit sharing); each shown, the net measured.
        recovered_net = benefits_paid(b)
        borne = carrier_borne(b)
        claims = recovered_net - borne
        gross = sum((p.signed for e in b.entries if e.kind != "year_end" for p in e.postings
                     if p.account == "benefits_paid"), lg.ZERO)
        c = ye.corridor(total * share, claims, admin * share, Decimal(str(band.get("carrier_alone", "0.03"))),
                        Decimal(str(band.get("shared_to", "0.06"))),
                        Decimal(str(band.get("carrier_share_between", "0.50"))))
        outcome = "surplus" if c.result > 0 else "deficit" if c.result < 0 else "balanced"
        claims_reason = REASONS.reason("net_claims", "benefits_paid booked in the year's books (statements and "
                                                     "payables paid), less recoveries and the losses the carrier "
                                                     "bears in full: net_claims = claims − recoveries − "
                                                     "carrier_liability",
                                       claims=f"{gross:.2f}", recoveries=f"{gross - recovered_net:.2f}",
                                       carrier_liability=f"{borne:.2f}", net_claims=f"{claims:.2f}")
        # The fund takes back its part of a gain (bank out), or pays its part of a loss in (bank in).
        movements = {"fund_payable": c.fund, "bank": -c.fund}
        rows[t] = (movements, {"tenant": t, "outcome": outcome, "amount": f"{abs(c.result):.2f}",
                               "premium": f"{total * share:.2f}", "claims": f"{gross:.2f}",
                               "recoveries": f"{gross - recovered_net:.2f}", "carrier_liability": f"{borne:.2f}",
                               "net_claims": f"{claims:.2f}",
                               "claims_reason": claims_reason.detail,
                               "claims_reason_codes": [claims_reason.to_json()],
                               "admin_cost": f"{admin * share:.2f}", "result": f"{c.result:.2f}",
                               "ratio": str(c.ratio), "carrier_share": f"{c.carrier:.2f}",
                               "fund_share": f"{c.fund:.2f}",
                               "bands": [{"band": n, "amount": f"{a:.2f}", "carrier": f"{k:.2f}"}
                                         for n, a, k in c.bands], "reasons": list(c.reasons),
                               "reason_codes": as_json(c.reason_codes)})
        summary.setdefault("outcome", outcome)
    return summary, rows


def targets_for_close(caller_tenant: str, role: str, program: Program, served: Iterable[str]) -> tuple[str, ...]:
    """Whose books a year end closes, and who may close it. Whether the year is shared is the PROGRAM's fact (its
    carriers in programs/<code>/program.yaml), never what this deployment happens to serve: a program of several
    carriers (Hanzhong: hz-p1, hz-p2) is closed only by the agency supervisor (医保经办机构), even where one carrier's
    deployment serves that carrier alone; a program of one carrier, by that carrier's finance too. The books closed
    are the program's carriers served here."""
    carriers = [t.tenant for t in program.tenants]
    if caller_tenant not in carriers:
        raise Forbidden(f"tenant {caller_tenant!r} is not a carrier of program {program.code}")
    reachable = set(served)
    members = tuple(t for t in carriers if t in reachable)
    if role == "supervisor":
        return members
    if carriers == [caller_tenant]:
        return (caller_tenant,)
    raise Forbidden("a program year shared by several carriers is closed by the agency supervisor (医保经办机构)",
                    code=SHARED_YEAR_CLOSED_BY_AGENCY, params={"program": program.code, "carriers": ",".join(carriers)})
