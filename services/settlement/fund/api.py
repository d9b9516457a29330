"""settlement's fund door (/v1/fund): the dedicated accounts' books (专户), the agency's allocations, carrier advances,
interest, recoveries, reversals, the reconciliation report and the year-end settlement (年度决算).

The tenant comes from the token only. Finance staff post to and read their own tenant's books; the agency supervisor
(role supervisor, claim `program`) allocates into, reads and closes every account of its program this deployment
serves, and reads one of them with `?tenant=` — any tenant outside that scope answers 404 like a missing one."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam

from chassis.calendar import today_cn
from chassis.errors import Forbidden, InvalidInput, NotFound
from chassis.host import ServiceContext
from chassis.http import Caller, require_role
from chassis.identity import Identity
from chassis.money import parse_yuan
from chassis.programs import Program, readable_tenants
from services.settlement.chronic.domain.uploads import parse_json_body
from services.settlement.fund.domain import ledger as lg
from services.settlement.fund.service import account as fd
from services.settlement.fund.service import monthly_funding as mf

POSTERS = ("finance",)
READERS = ("finance", "supervisor", "ops", "inspector")
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
# A fund year in a path, bounded like every `year` query parameter (a huge integer is a 422, never a 500).
FundYear = Annotated[int, PathParam(ge=2000, le=2100, description="the fund year, e.g. 2025")]
# Performance targets (考核指标) of a service-fee contract: a handful, never thousands.
MAX_TARGETS = 1000


async def _json(request: Request) -> dict[str, Any]:
    return parse_json_body(await request.body())


def _key(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not KEY_RE.match(value):
        raise InvalidInput(f"{name} is required: 1–64 letters, digits, '.', '_' or '-' (it makes the request "
                           "idempotent)", name)
    return value


def _day(value: Any, name: str = "date", default: date | None = None) -> date:
    if value is None and default is not None:
        return default
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a date YYYY-MM-DD", name)
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} is not a date YYYY-MM-DD: {value!r}", name) from exc
    if day > today_cn():
        raise InvalidInput(f"{name} {day} is in the future: value dates are today or earlier", name)
    return day


def _year(value: Any, default: int, name: str = "year") -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 2000 <= value <= 2100:
        raise InvalidInput(f"{name} must be a year such as 2025, got {value!r}", name)
    return value


def _amount(data: dict[str, Any], name: str = "amount") -> Decimal:
    amount = parse_yuan(data.get(name), name) if data.get(name) is not None else None
    if amount is None:
        raise InvalidInput(f"{name} is required, a decimal string such as \"1000.00\"", name)
    if amount <= 0:
        raise InvalidInput(f"{name} must be positive, got {amount}", name)
    return amount


def _memo(data: dict[str, Any]) -> str:
    memo = data.get("memo", "")
    if not isinstance(memo, str) or len(memo) > 200:
        raise InvalidInput("memo must be a string of at most 200 characters", "memo")
    return memo


def router(ctx: ServiceContext, fund: fd.Fund) -> APIRouter:
    r = APIRouter(prefix="/v1/fund", tags=["fund"])
    served = tuple(ctx.settings.tenants)

    def scope(caller: Identity) -> tuple[str, ...]:
        return readable_tenants(caller.tenant, caller.role, caller.program, served)

    def target(caller: Identity, tenant: str | None) -> tuple[str, Program]:
        """The one account read: the caller's own, or (supervisor) one of its program's tenants."""
        chosen = tenant or caller.tenant
        if chosen not in scope(caller):
            raise NotFound(f"no fund account {chosen}")
        return chosen, fd.program_with_finance(chosen)

    async def _posted(response: Response, posted: fd.Posted) -> dict[str, Any]:
        response.status_code = 201 if posted.created else 200
        return {**fd.entry_view(posted.doc), "replayed": not posted.created}

    # ---- reading --------------------------------------------------------------------------------------------

    @r.get("/accounts", summary="The dedicated accounts (专户) in scope, with balances per fund year")
    async def accounts(caller: Caller, year: int | None = Query(default=None, ge=2000, le=2100)) -> dict[str, Any]:
        require_role(caller, *READERS)
        out = []
        for t in scope(caller):
            program = fd.program_with_finance(t)
            years = await fund.store(t).years(program.code)
            for y in ([year] if year else sorted(set(years) | {today_cn().year})):
                out.append({**await fund.account(t, program.code, y), "program_name": program.name,
                            "share": str(program.share_of(t))})
        return {"accounts": out, "chart": [{"account": a.code, "name": a.name, "type": a.type, "normal": a.normal}
                                           for a in lg.CHART.values()]}

    @r.get("/ledger", summary="Journal entries of one fund year, optionally between two value dates")
    async def ledger(caller: Caller, year: int = Query(ge=2000, le=2100), from_: date | None = Query(
            default=None, alias="from"), to: date | None = None, tenant: str | None = None) -> dict[str, Any]:
        require_role(caller, *READERS)
        t, program = target(caller, tenant)
        docs = await fund.store(t).entry_docs(program.code, year)
        docs = [d for d in docs if (from_ is None or d["date"] >= from_.isoformat())
                and (to is None or d["date"] <= to.isoformat())]
        return {"tenant": t, "program": program.code, "year": year, "entries": [fd.entry_view(d) for d in docs]}

    @r.get("/balance", summary="Balances of the account at a date (value dates up to and including it)")
    async def balance(caller: Caller, on: date, year: int | None = Query(default=None, ge=2000, le=2100),
                      tenant: str | None = None) -> dict[str, Any]:
        require_role(caller, *READERS)
        t, program = target(caller, tenant)
        return await fund.account(t, program.code, year or on.year, on)

    @r.get("/trial-balance", summary="Trial balance (试算平衡表) of one fund year")
    async def trial_balance(caller: Caller, year: int = Query(ge=2000, le=2100), on: date | None = None,
                            tenant: str | None = None) -> dict[str, Any]:
        require_role(caller, *READERS)
        t, program = target(caller, tenant)
        tb = (await fund.book(t, program.code, year)).trial_balance(on)
        return {"tenant": t, "program": program.code, "year": year, "on": on.isoformat() if on else None,
                "rows": [{**row, "debit": f"{row['debit']:.2f}", "credit": f"{row['credit']:.2f}"}
                         for row in tb["rows"]],  # type: ignore[attr-defined]
                "total_debit": f"{tb['total_debit']:.2f}", "total_credit": f"{tb['total_credit']:.2f}",
                "balanced": tb["balanced"]}

    @r.get("/reconciliation", summary="Reconciliation report: allocations, payments vs statements paid, advances, "
                                      "interest (JSON, or format=xlsx)")
    async def reconciliation(caller: Caller, year: int = Query(ge=2000, le=2100), tenant: str | None = None,
                             format: str = Query(default="json", pattern="^(json|xlsx)$")) -> Any:
        require_role(caller, *READERS)
        t, program = target(caller, tenant)
        report = await fund.reconciliation(t, program, year)
        if format == "json":
            return report
        return Response(_xlsx(report), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"content-disposition": f'attachment; filename="reconciliation-{t}-{year}.xlsx"'})

    @r.get("/years/{year}", summary="A fund year: open, or closed with its year-end result and reasons")
    async def fund_year(year: FundYear, caller: Caller, tenant: str | None = None) -> dict[str, Any]:
        require_role(caller, *READERS)
        t, program = target(caller, tenant)
        doc = await fund.closed(t, program.code, year)
        if doc is None:
            # A year end under way (or cut short by a crash, finished when settlement starts): closing, not open.
            closing = any(c["_id"] == f"{program.code}|{year}" for c in await fund.store(t).year_closings())
            return {"tenant": t, "program": program.code, "year": year, "status": "closing" if closing else "open"}
        return {"tenant": t, **fd.year_view(doc)}

    @r.get("/service-fee", summary="The service fee (承办服务费) of a year: base and performance")
    async def service_fee(caller: Caller, year: int = Query(ge=2000, le=2100), targets_met: int = Query(
            default=1, ge=0, le=MAX_TARGETS), targets_total: int = Query(default=1, ge=1, le=MAX_TARGETS),
            total_reimbursement: str | None = None,
            tenant: str | None = None) -> dict[str, Any]:
        require_role(caller, *READERS)
        t, program = target(caller, tenant)
        if total_reimbursement is not None:
            total, why = parse_yuan(total_reimbursement, "total_reimbursement"), "given"
        else:
            members = [m.tenant for m in program.tenants]
            if not set(members) <= set(served):
                raise InvalidInput("this deployment does not keep every package's books: give total_reimbursement",
                                   "total_reimbursement")
            total = sum([fd.benefits_paid(await fund.book(m, program.code, year)) for m in members], lg.ZERO)
            why = "benefits paid in the books of all packages"
        fee = fd.service_fee_for(program, t, total, targets_met, targets_total)
        return {"tenant": t, "program": program.code, "year": year, "total_reimbursement": f"{total:.2f}",
                "total_reimbursement_reason": why, "fee": f"{fee.fee:.2f}", "uncapped": f"{fee.uncapped:.2f}",
                "base": f"{fee.base:.2f}", "performance_max": f"{fee.performance_max:.2f}",
                "performance": f"{fee.performance:.2f}", "payable": f"{fee.payable:.2f}",
                "reasons": list(fee.reasons)}

    # ---- the agency's allocations --------------------------------------------------------------------------

    @r.post("/allocations", status_code=201, summary="The agency allocates fund money (基金拨付), split by shares "
                                                     "into every carrier's account served here")
    async def allocate(request: Request, response: Response, caller: Caller) -> dict[str, Any]:
        require_role(caller, "supervisor")
        program = fd.program_with_finance(caller.tenant)
        if caller.program != program.code:
            raise Forbidden("an allocation is the agency's of the caller's own program (token claim program)")
        data = await _json(request)
        allocation_id = _key(data, "allocation_id")
        day = _day(data.get("date"))
        if mf.is_monthly_actual(program):  # 按月据实拨付: the month's actual payments, no budget ratios
            if data.get("kind", mf.KIND) != mf.KIND:
                raise InvalidInput(f"program {program.code} is funded monthly by actual spending: kind must be "
                                   f"{mf.KIND}, got {data.get('kind')!r}", "kind")
            month = mf.parse_month(data.get("month"))
            result = await mf.allocate_monthly(
                fund, program, scope(caller), allocation_id, _year(data.get("year"), int(month[:4])), month,
                _amount(data) if data.get("amount") is not None else None, day, caller.subject)
            response.status_code = 200 if result["replayed"] else 201
            return result
        year = _year(data.get("year"), day.year)
        kind = data.get("kind")
        if kind not in ("initial", "in_year"):
            raise InvalidInput(f"kind must be initial or in_year, got {kind!r}", "kind")
        amount = _amount(data)
        result = await fund.allocate(program, scope(caller), allocation_id, year, kind, amount, day, caller.subject)
        response.status_code = 200 if result["replayed"] else 201
        return result

    @r.get("/monthly", summary="Monthly funding by actual spending (按月据实拨付): per month of the year, payments "
                               "booked, reimbursed by the agency and still due")
    async def monthly(caller: Caller, year: int = Query(ge=2000, le=2100), tenant: str | None = None
                      ) -> dict[str, Any]:
        require_role(caller, *READERS)
        t, program = target(caller, tenant)
        if not mf.is_monthly_actual(program):
            raise NotFound(f"program {program.code} is not funded monthly by actual spending")
        return {"tenant": t, "program": program.code, "year": year,
                "months": await mf.months(fund, t, program, year)}

    @r.put("/budgets/{year}", summary="The agency sets the year's fund budget (年度预算) of its program: allocation "
                                      "limits and the year-end result are measured against it")
    async def set_budget(year: FundYear, request: Request, caller: Caller) -> dict[str, Any]:
        require_role(caller, "supervisor")
        program = fd.program_with_finance(caller.tenant)
        if caller.program != program.code:
            raise Forbidden("a budget is the agency's of the caller's own program (token claim program)")
        data = await _json(request)
        return await fund.set_budget(program, scope(caller), _year(year, year), _amount(data), caller.subject)

    @r.get("/budgets/{year}", summary="The year's fund budget and where it comes from")
    async def get_budget(year: FundYear, caller: Caller, tenant: str | None = None) -> dict[str, Any]:
        require_role(caller, *READERS)
        t, program = target(caller, tenant)
        amount, source = await fund.budget(t, program, _year(year, year))
        return {"tenant": t, "program": program.code, "year": year, "amount": f"{amount:.2f}", "source": source}

    # ---- the carrier's movements (finance) -------------------------------------------------------------------

    @r.post("/advances", status_code=201, summary="The carrier advances its own money (垫付) while fund money is late")
    async def advance(request: Request, response: Response, caller: Caller) -> dict[str, Any]:
        require_role(caller, *POSTERS)
        program = fd.program_with_finance(caller.tenant)
        data = await _json(request)
        advance_id = _key(data, "advance_id")
        day = _day(data.get("date"))
        entry = lg.advance(f"advance:{advance_id}", day, _amount(data), _memo(data) or "承办方垫付")
        return await _posted(response, await fund.post(caller.tenant, program.code, _year(data.get("year"), day.year),
                                                       entry, caller.subject))

    @r.post("/advances/{advance_id}/repayments", status_code=201,
            summary="Repay (part of) an advance from the account; never more than outstanding")
    async def repay(advance_id: str, request: Request, response: Response, caller: Caller) -> dict[str, Any]:
        require_role(caller, *POSTERS)
        program = fd.program_with_finance(caller.tenant)
        adv = await fund.store(caller.tenant).entry_doc(f"advance:{advance_id}")
        if adv is None:
            raise NotFound(f"advance {advance_id} not found")
        data = await _json(request)
        repayment_id = _key(data, "repayment_id")
        entry = lg.advance_repayment(f"repayment:{repayment_id}", _day(data.get("date")), adv["_id"], _amount(data),
                                     _memo(data) or f"归还垫付 {advance_id}")
        return await _posted(response, await fund.post(caller.tenant, program.code, adv["year"], entry,
                                                       caller.subject))

    @r.post("/interest", status_code=201, summary="Interest credited to the account (利息, the fund's)")
    async def interest(request: Request, response: Response, caller: Caller) -> dict[str, Any]:
        require_role(caller, *POSTERS)
        program = fd.program_with_finance(caller.tenant)
        data = await _json(request)
        interest_id = _key(data, "interest_id")
        day = _day(data.get("date"))
        entry = lg.interest(f"interest:{interest_id}", day, _amount(data), _memo(data) or "专户利息")
        return await _posted(response, await fund.post(caller.tenant, program.code, _year(data.get("year"), day.year),
                                                       entry, caller.subject))

    @r.post("/recoveries", status_code=201, summary="Money recovered from an institution (追回款)")
    async def recover(request: Request, response: Response, caller: Caller) -> dict[str, Any]:
        require_role(caller, *POSTERS)
        program = fd.program_with_finance(caller.tenant)
        data = await _json(request)
        recovery_id = _key(data, "recovery_id")
        day = _day(data.get("date"))
        entry = lg.recovery(f"recovery:{recovery_id}", day, _amount(data), _memo(data) or "追回款")
        return await _posted(response, await fund.post(caller.tenant, program.code, _year(data.get("year"), day.year),
                                                       entry, caller.subject))

    @r.post("/entries/{entry_id}/reversal", status_code=201, summary="Reverse an entry (冲销): the only correction")
    async def reverse(entry_id: str, request: Request, response: Response, caller: Caller) -> dict[str, Any]:
        require_role(caller, *POSTERS)
        program = fd.program_with_finance(caller.tenant)
        doc = await fund.store(caller.tenant).entry_doc(entry_id)
        if doc is None:
            raise NotFound(f"entry {entry_id} not found")
        data = await _json(request)
        entry = lg.reversal(f"reversal:{entry_id}", _day(data.get("date"), default=today_cn()), fd.entry_of(doc),
                            _memo(data))
        return await _posted(response, await fund.post(caller.tenant, program.code, doc["year"], entry,
                                                       caller.subject))

    # ---- year end ----------------------------------------------------------------------------------------------

    @r.post("/years/{year}/close", summary="Year-end settlement (年度决算): deficit sharing or the corridor")
    async def close(year: FundYear, request: Request, caller: Caller) -> dict[str, Any]:
        require_role(caller, "finance", "supervisor")
        program = fd.program_with_finance(caller.tenant)
        if caller.role == "supervisor" and caller.program != program.code:
            raise Forbidden("the supervisor closes its own program's year (token claim program)")
        if not 2000 <= year <= 2100:
            raise InvalidInput(f"year must be a year such as 2025, got {year}", "year")
        targets = fd.targets_for_close(caller.tenant, caller.role, program, scope(caller) if caller.role ==
                                       "supervisor" else served)
        data = await _json(request) if (await request.body()).strip() else {}
        day = _day(data.get("date"), default=today_cn())
        return await fd.close_year(fund, program, targets, year, day, data, caller.subject)

    return r


def _xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "summary"
    ws.append(["tenant", report["tenant"]])
    ws.append(["program", report["program"]])
    ws.append(["year", report["year"]])
    for key in ("allocations_expected", "allocations_received", "statements_paid", "payments_booked",
                "advances_outstanding", "interest"):
        ws.append([key, Decimal(report[key])])
    ws.append(["balanced", report["balanced"]])
    for name, rows in (("allocations", report["allocations"]), ("payments", report["payments"]),
                       ("advances", report["advances"])):
        sheet = wb.create_sheet(name)
        if rows:
            sheet.append(list(rows[0]))
            for row in rows:
                sheet.append([str(v) if v is not None else "" for v in row.values()])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
