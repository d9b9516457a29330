"""settlement's fund door (/v1/fund): the dedicated accounts' books (专户), the agency's allocations, carrier advances,
interest, recoveries, reversals, the reconciliation report and the year-end settlement (年度决算); and the long-term
care carrier's fee (经办服务费, /v1/fund/ltc-fee: 404 for a tenant carrying no lot) with its performance money.

The tenant comes from the token only. Finance staff post to and read their own tenant's books; the agency supervisor
(role supervisor, claim `program`) allocates into, reads and closes every account of its program this deployment
serves, and reads one of them with `?tenant=` — any tenant outside that scope answers 404 like a missing one."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chassis.bodies import parse_json
from chassis.calendar import today_cn
from chassis.downloads import attachment
from chassis.errors import Forbidden, InvalidInput, NotFound
from chassis.host import ServiceContext
from chassis.http import Scope, read_raw
from chassis.money import parse_amount
from chassis.programs import Program
from chassis.workbook import Sheet, workbook
from services.settlement.fund.domain import ledger as lg
from services.settlement.fund.service import account as fd
from services.settlement.fund.service import ltc_fee as lfs
from services.settlement.fund.service import monthly_funding as mf
from services.settlement.fund.service import year_end as ye

POSTERS = ("finance",)
READERS = ("finance", "supervisor", "ops", "inspector")
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
# A fund year in a path, bounded like every `year` query parameter (a huge integer is a 422, never a 500).
FundYear = Annotated[int, PathParam(ge=2000, le=2100, description="the fund year, e.g. 2025")]
# Performance targets (考核指标) of a service-fee contract: a handful, never thousands.
MAX_TARGETS = 1000
MAX_BODY = 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---- request bodies (shown in /docs; each field checked below, the error naming it) --------------------------------

_ID = "1–64 letters, digits, '.', '_' or '-': makes the request idempotent"
_AMOUNT = "yuan as a decimal string, e.g. \"1000.00\" (positive, at most two decimals)"
_DATE = "value date YYYY-MM-DD, today or earlier"
_YEAR = "fund year (default: the value date's year)"
_MEMO = "at most 200 characters"


class _Body(BaseModel):
    # Fields typed loosely: each is checked by the door with the answer clients rely on (422 naming the field).
    model_config = ConfigDict(extra="allow")


class AllocationBody(_Body):
    allocation_id: Any = Field(None, description=_ID)
    date: Any = Field(None, description=_DATE)
    kind: Any = Field(None, description="initial | in_year; monthly_actual for programs funded by actual spending")
    month: Any = Field(None, description="monthly_actual: the month reimbursed, YYYY-MM")
    year: Any = Field(None, description=_YEAR)
    amount: Any = Field(None, description=_AMOUNT + "; monthly_actual: optional (computed)")


class BudgetBody(_Body):
    amount: Any = Field(None, description=_AMOUNT)


class AdvanceBody(_Body):
    advance_id: Any = Field(None, description=_ID)
    date: Any = Field(None, description=_DATE)
    amount: Any = Field(None, description=_AMOUNT)
    year: Any = Field(None, description=_YEAR)
    memo: Any = Field("", description=_MEMO)


class RepaymentBody(_Body):
    repayment_id: Any = Field(None, description=_ID)
    date: Any = Field(None, description=_DATE)
    amount: Any = Field(None, description=_AMOUNT + "; never more than outstanding")
    memo: Any = Field("", description=_MEMO)


class InterestBody(_Body):
    interest_id: Any = Field(None, description=_ID)
    date: Any = Field(None, description=_DATE)
    amount: Any = Field(None, description=_AMOUNT)
    year: Any = Field(None, description=_YEAR)
    memo: Any = Field("", description=_MEMO)


class RecoveryBody(_Body):
    recovery_id: Any = Field(None, description=_ID)
    date: Any = Field(None, description=_DATE)
    amount: Any = Field(None, description=_AMOUNT)
    year: Any = Field(None, description=_YEAR)
    memo: Any = Field("", description=_MEMO)


class ReversalBody(_Body):
    date: Any = Field(None, description=_DATE + " (default today)")
    memo: Any = Field("", description=_MEMO)


class YearCloseBody(_Body):
    date: Any = Field(None, description=_DATE + " (default today), after 31 December of the year")
    total_reimbursement: Any = Field(None, description="deficit sharing: the year's total, when this deployment "
                                                       "does not keep every package's books")
    assessments: Any = Field(None, description="deficit sharing: {tenant: {targets_met, targets_total}}")
    admin_cost: Any = Field(None, description="corridor: 经办成本, required")
    insured_persons: Any = Field(None, description="corridor: insured persons (default program.yaml)")


class PerformancePaymentBody(_Body):
    paid_on: Any = Field(None, description="YYYY-MM-DD, between the assessment and today (default today)")
    reference: Any = Field("", description="the payment voucher, at most 100 characters")


B = TypeVar("B", bound=_Body)


def _documented(model: type[BaseModel], required: bool = True) -> dict[str, Any]:
    """The body's schema in /docs (the door reads the body itself: `_body`)."""
    return {"requestBody": {"required": required,
                            "content": {"application/json": {"schema": model.model_json_schema()}}}}


async def _body(request: Request, model: type[B], optional: bool = False) -> B:
    """A JSON object body (numbers as Decimal, never float) as `model`; an empty body is `{}` when optional."""
    raw = await read_raw(request, MAX_BODY)
    if optional and not raw.strip():
        return model()
    data = parse_json(raw, object_required=True)
    try:
        return model.model_validate(data)
    except ValidationError as exc:  # (fields are loose: not reached in practice)
        raise InvalidInput(str(exc), "body") from None


def _key(value: Any, name: str) -> str:
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


def _positive(value: Any, name: str = "amount") -> Decimal:
    """A positive amount (chassis' one money parser: code `invalid_amount`, the field named)."""
    return parse_amount(value, name, minimum=Decimal("0.01"))


def _memo(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 200:
        raise InvalidInput("memo must be a string of at most 200 characters", "memo")
    return value


def router(ctx: ServiceContext, fund: fd.Fund) -> APIRouter:
    r = APIRouter(prefix="/v1/fund", tags=["fund"])
    served = tuple(ctx.settings.tenants)

    def target(scope: Scope, tenant: str | None) -> tuple[str, Program]:
        """The one account read: the caller's own, or (supervisor) one of its program's tenants."""
        chosen = tenant or scope.tenant
        if chosen not in scope.readable:
            raise NotFound(f"no fund account {chosen}")
        return chosen, fd.program_with_finance(chosen)

    async def _posted(response: Response, posted: fd.Posted) -> dict[str, Any]:
        response.status_code = 201 if posted.created else 200
        return {**fd.entry_view(posted.doc), "replayed": not posted.created}

    # ---- reading --------------------------------------------------------------------------------------------

    @r.get("/accounts", summary="The dedicated accounts (专户) in scope, with balances per fund year")
    async def accounts(scope: Scope, year: int | None = Query(default=None, ge=2000, le=2100)) -> dict[str, Any]:
        scope.require(*READERS)
        out = []
        for t in scope.readable:
            program = fd.program_with_finance(t)
            years = await fund.years(t, program.code)
            for y in ([year] if year else sorted(set(years) | {today_cn().year})):
                out.append({**await fund.account(t, program.code, y), "program_name": program.name,
                            "share": str(program.share_of(t))})
        return {"accounts": out, "chart": [{"account": a.code, "name": a.name, "type": a.type, "normal": a.normal}
                                           for a in lg.CHART.values()]}

    @r.get("/ledger", summary="Journal entries of one fund year, optionally between two value dates")
    async def ledger(scope: Scope, year: int = Query(ge=2000, le=2100), from_: date | None = Query(
            default=None, alias="from"), to: date | None = None, tenant: str | None = None) -> dict[str, Any]:
        scope.require(*READERS)
        t, program = target(scope, tenant)
        docs = await fund.entries(t, program.code, year)
        docs = [d for d in docs if (from_ is None or d["date"] >= from_.isoformat())
                and (to is None or d["date"] <= to.isoformat())]
        return {"tenant": t, "program": program.code, "year": year, "entries": [fd.entry_view(d) for d in docs]}

    @r.get("/balance", summary="Balances of the account at a date (value dates up to and including it)")
    async def balance(scope: Scope, on: date, year: int | None = Query(default=None, ge=2000, le=2100),
                      tenant: str | None = None) -> dict[str, Any]:
        scope.require(*READERS)
        t, program = target(scope, tenant)
        return await fund.account(t, program.code, year or on.year, on)

    @r.get("/trial-balance", summary="Trial balance (试算平衡表) of one fund year")
    async def trial_balance(scope: Scope, year: int = Query(ge=2000, le=2100), on: date | None = None,
                            tenant: str | None = None) -> dict[str, Any]:
        scope.require(*READERS)
        t, program = target(scope, tenant)
        tb = (await fund.book(t, program.code, year)).trial_balance(on)
        return {"tenant": t, "program": program.code, "year": year, "on": on.isoformat() if on else None,
                "rows": [{**row, "debit": f"{row['debit']:.2f}", "credit": f"{row['credit']:.2f}"}
                         for row in tb["rows"]],  # type: ignore[attr-defined]
                "total_debit": f"{tb['total_debit']:.2f}", "total_credit": f"{tb['total_credit']:.2f}",
                "balanced": tb["balanced"]}

    @r.get("/reconciliation", summary="Reconciliation report: allocations, payments vs statements paid, advances, "
                                      "interest (JSON, or format=xlsx)")
    async def reconciliation(scope: Scope, year: int = Query(ge=2000, le=2100), tenant: str | None = None,
                             format: str = Query(default="json", pattern="^(json|xlsx)$")) -> Any:
        scope.require(*READERS)
        t, program = target(scope, tenant)
        report = await fund.reconciliation(t, program, year)
        if format == "json":
            return report
        return attachment(reconciliation_workbook(report), XLSX, f"reconciliation-{t}-{year}.xlsx")

    @r.get("/years/{year}", summary="A fund year: open, or closed with its year-end result and reasons")
    async def fund_year(year: FundYear, scope: Scope, tenant: str | None = None) -> dict[str, Any]:
        scope.require(*READERS)
        t, program = target(scope, tenant)
        doc = await fund.closed(t, program.code, year)
        if doc is None:
            # A year end under way (or cut short by a crash, finished when settlement starts): closing, not open.
            closing = await fund.closing(t, program.code, year)
            return {"tenant": t, "program": program.code, "year": year, "status": "closing" if closing else "open"}
        return {"tenant": t, **ye.year_view(doc)}

    @r.get("/service-fee", summary="The service fee (承办服务费) of a year: base and performance")
    async def service_fee(scope: Scope, year: int = Query(ge=2000, le=2100), targets_met: int = Query(
            default=1, ge=0, le=MAX_TARGETS), targets_total: int = Query(default=1, ge=1, le=MAX_TARGETS),
            total_reimbursement: str | None = None,
            tenant: str | None = None) -> dict[str, Any]:
        scope.require(*READERS)
        t, program = target(scope, tenant)
        total = None if total_reimbursement is None else parse_amount(total_reimbursement, "total_reimbursement")
        return await ye.service_fee_of(fund, program, t, served, year, total, targets_met, targets_total)

    # ---- the long-term care carrier's fee (经办服务费) -------------------------------------------------------------

    @r.get("/ltc-fee", summary="The long-term care carrier's fee of a year (经办服务费): unit price × insured, 10% "
                               "withheld and paid by the yearly score (or awaiting it)")
    async def ltc_fee(scope: Scope, year: int = Query(ge=2000, le=2100), tenant: str | None = None
                      ) -> dict[str, Any]:
        scope.require("finance", "supervisor", "ops")
        chosen = tenant or scope.tenant
        if chosen not in scope.readable:
            raise NotFound(f"no carrier fee of tenant {chosen}")
        program = lfs.serves(chosen)
        return await lfs.fee_view(scope.db(chosen), chosen, program, lfs.check_year(year, program))

    @r.post("/ltc-fee/{year}/performance-payment", status_code=201,
            summary="Record the year's performance money paid (绩效考核资金), once, by the score in force",
            openapi_extra=_documented(PerformancePaymentBody))
    async def ltc_performance_payment(year: FundYear, request: Request, scope: Scope) -> dict[str, Any]:
        scope.require("finance")
        program = lfs.serves(scope.tenant)  # 404 before the body is read
        checked = lfs.check_year(year, program)
        body = await _body(request, PerformancePaymentBody, optional=True)
        view = await lfs.pay_performance(scope.db(), scope.tenant, program, checked,
                                         body.model_dump(exclude_unset=True), scope.subject)
        ctx.relay.kick()
        return view

    # ---- the agency's allocations --------------------------------------------------------------------------

    @r.post("/allocations", status_code=201, summary="The agency allocates fund money (基金拨付), split by shares "
                                                     "into every carrier's account served here",
            openapi_extra=_documented(AllocationBody))
    async def allocate(request: Request, response: Response, scope: Scope) -> dict[str, Any]:
        scope.require("supervisor")
        program = fd.program_with_finance(scope.tenant)
        if scope.identity.program != program.code:
            raise Forbidden("an allocation is the agency's of the caller's own program (token claim program)")
        body = await _body(request, AllocationBody)
        allocation_id = _key(body.allocation_id, "allocation_id")
        day = _day(body.date)
        if mf.is_monthly_actual(program):  # 按月据实拨付: the month's actual payments, no budget ratios
            kind = mf.KIND if "kind" not in body.model_fields_set else body.kind
            if kind != mf.KIND:
                raise InvalidInput(f"program {program.code} is funded monthly by actual spending: kind must be "
                                   f"{mf.KIND}, got {body.kind!r}", "kind")
            month = mf.parse_month(body.month)
            result = await mf.allocate_monthly(
                fund, program, scope.readable, allocation_id, _year(body.year, int(month[:4])), month,
                _positive(body.amount) if body.amount is not None else None, day, scope.subject)
            response.status_code = 200 if result["replayed"] else 201
            return result
        year = _year(body.year, day.year)
        if body.kind not in ("initial", "in_year"):
            raise InvalidInput(f"kind must be initial or in_year, got {body.kind!r}", "kind")
        amount = _positive(body.amount)
        result = await fund.allocate(program, scope.readable, allocation_id, year, body.kind, amount, day,
                                     scope.subject)
        response.status_code = 200 if result["replayed"] else 201
        return result

    @r.get("/monthly", summary="Monthly funding by actual spending (按月据实拨付): per month of the year, payments "
                               "booked, reimbursed by the agency and still due")
    async def monthly(scope: Scope, year: int = Query(ge=2000, le=2100), tenant: str | None = None
                      ) -> dict[str, Any]:
        scope.require(*READERS)
        t, program = target(scope, tenant)
        if not mf.is_monthly_actual(program):
            raise NotFound(f"program {program.code} is not funded monthly by actual spending")
        return {"tenant": t, "program": program.code, "year": year,
                "months": await mf.months(fund, t, program, year)}

    @r.put("/budgets/{year}", summary="The agency sets the year's fund budget (年度预算) of its program: allocation "
                                      "limits and the year-end result are measured against it",
           openapi_extra=_documented(BudgetBody))
    async def set_budget(year: FundYear, request: Request, scope: Scope) -> dict[str, Any]:
        scope.require("supervisor")
        program = fd.program_with_finance(scope.tenant)
        if scope.identity.program != program.code:
            raise Forbidden("a budget is the agency's of the caller's own program (token claim program)")
        body = await _body(request, BudgetBody)
        return await fund.set_budget(program, scope.readable, _year(year, year), _positive(body.amount), scope.subject)

    @r.get("/budgets/{year}", summary="The year's fund budget and where it comes from")
    async def get_budget(year: FundYear, scope: Scope, tenant: str | None = None) -> dict[str, Any]:
        scope.require(*READERS)
        t, program = target(scope, tenant)
        amount, source = await fund.budget(t, program, _year(year, year))
        return {"tenant": t, "program": program.code, "year": year, "amount": f"{amount:.2f}", "source": source.detail,
                "reason_codes": [source.to_json()]}

    # ---- the carrier's movements (finance) -------------------------------------------------------------------

    @r.post("/advances", status_code=201, summary="The carrier advances its own money (垫付) while fund money is late",
            openapi_extra=_documented(AdvanceBody))
    async def advance(request: Request, response: Response, scope: Scope) -> dict[str, Any]:
        scope.require(*POSTERS)
        program = fd.program_with_finance(scope.tenant)
        body = await _body(request, AdvanceBody)
        advance_id = _key(body.advance_id, "advance_id")
        day = _day(body.date)
        entry = lg.advance(f"advance:{advance_id}", day, _positive(body.amount), _memo(body.memo) or "承办方垫付")
        return await _posted(response, await fund.post(scope.tenant, program.code, _year(body.year, day.year),
                                                       entry, scope.subject))

    @r.post("/advances/{advance_id}/repayments", status_code=201,
            summary="Repay (part of) an advance from the account; never more than outstanding",
            openapi_extra=_documented(RepaymentBody))
    async def repay(advance_id: str, request: Request, response: Response, scope: Scope) -> dict[str, Any]:
        scope.require(*POSTERS)
        program = fd.program_with_finance(scope.tenant)
        adv = await fund.entry(scope.tenant, f"advance:{advance_id}")
        if adv is None:
            raise NotFound(f"advance {advance_id} not found")
        body = await _body(request, RepaymentBody)
        repayment_id = _key(body.repayment_id, "repayment_id")
        entry = lg.advance_repayment(f"repayment:{repayment_id}", _day(body.date), adv["_id"], _positive(body.amount),
                                     _memo(body.memo) or f"归还垫付 {advance_id}")
        return await _posted(response, await fund.post(scope.tenant, program.code, adv["year"], entry,
                                                       scope.subject))

    @r.post("/interest", status_code=201, summary="Interest credited to the account (利息, the fund's)",
            openapi_extra=_documented(InterestBody))
    async def interest(request: Request, response: Response, scope: Scope) -> dict[str, Any]:
        scope.require(*POSTERS)
        program = fd.program_with_finance(scope.tenant)
        body = await _body(request, InterestBody)
        interest_id = _key(body.interest_id, "interest_id")
        day = _day(body.date)
        entry = lg.interest(f"interest:{interest_id}", day, _positive(body.amount), _memo(body.memo) or "专户利息")
        return await _posted(response, await fund.post(scope.tenant, program.code, _year(body.year, day.year),
                                                       entry, scope.subject))

    @r.post("/recoveries", status_code=201, summary="Money recovered from an institution (追回款)",
            openapi_extra=_documented(RecoveryBody))
    async def recover(request: Request, response: Response, scope: Scope) -> dict[str, Any]:
        scope.require(*POSTERS)
        program = fd.program_with_finance(scope.tenant)
        body = await _body(request, RecoveryBody)
        recovery_id = _key(body.recovery_id, "recovery_id")
        day = _day(body.date)
        entry = lg.recovery(f"recovery:{recovery_id}", day, _positive(body.amount), _memo(body.memo) or "追回款")
        return await _posted(response, await fund.post(scope.tenant, program.code, _year(body.year, day.year),
                                                       entry, scope.subject))

    @r.post("/entries/{entry_id}/reversal", status_code=201, summary="Reverse an entry (冲销): the only correction",
            openapi_extra=_documented(ReversalBody))
    async def reverse(entry_id: str, request: Request, response: Response, scope: Scope) -> dict[str, Any]:
        scope.require(*POSTERS)
        program = fd.program_with_finance(scope.tenant)
        doc = await fund.entry(scope.tenant, entry_id)
        if doc is None:
            raise NotFound(f"entry {entry_id} not found")
        body = await _body(request, ReversalBody)
        entry = lg.reversal(f"reversal:{entry_id}", _day(body.date, default=today_cn()), fd.entry_of(doc),
                            _memo(body.memo))
        return await _posted(response, await fund.post(scope.tenant, program.code, doc["year"], entry,
                                                       scope.subject))

    # ---- year end ----------------------------------------------------------------------------------------------

    @r.post("/years/{year}/close", summary="Year-end settlement (年度决算): deficit sharing or the corridor",
            openapi_extra=_documented(YearCloseBody, required=False))
    async def close(year: FundYear, request: Request, scope: Scope) -> dict[str, Any]:
        scope.require("finance", "supervisor")
        program = fd.program_with_finance(scope.tenant)
        if scope.role == "supervisor" and scope.identity.program != program.code:
            raise Forbidden("the supervisor closes its own program's year (token claim program)")
        if not 2000 <= year <= 2100:
            raise InvalidInput(f"year must be a year such as 2025, got {year}", "year")
        targets = ye.targets_for_close(scope.tenant, scope.role, program, scope.readable if scope.role ==
                                       "supervisor" else served)
        body = await _body(request, YearCloseBody, optional=True)
        day = _day(body.date, default=today_cn())
        return await ye.close_year(fund, program, targets, year, day, body.model_dump(exclude_unset=True),
                                   scope.subject)

    return r


def reconciliation_workbook(report: dict[str, Any]) -> bytes:
    """The reconciliation report as Excel (chassis' one workbook helper): a summary sheet, then allocations,
    payments and advances, one row each."""
    summary = [["tenant", report["tenant"]], ["program", report["program"]], ["year", report["year"]]]
    summary += [[key, Decimal(report[key])] for key in ("allocations_expected", "allocations_received",
                                                          "statements_paid", "payments_booked",
                                                          "advances_outstanding", "interest")]
    summary.append(["balanced", report["balanced"]])
    sheets = [Sheet("summary", summary)]
    for name in ("allocations", "payments", "advances"):
        rows = report[name]
        sheets.append(Sheet(name, [[str(v) if v is not None else "" for v in row.values()] for row in rows],
                            header=list(rows[0]) if rows else None))
    return workbook(sheets)
