"""Fund operation analysis (基金运行分析): what the fund paid in a period — by disease or care kind, by
institution, by month, per person paid (人均) — and how fast the year's budget is burning (预算执行进度) against
the share of the year gone by (序时进度), with the account's ledger movements and the year's result (年度决算).
Pure figures from the read model: no I/O, amounts in integer fen inside, Decimal yuan outside."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chassis.errors import InvalidInput
from chassis.money import from_fen, parse_amount, round_yuan, to_fen
from services.audit.reports.domain.figures import UNATTRIBUTED, disease_group
from services.audit.reports.domain.periods import Period, report_deadline_day

Doc = Mapping[str, Any]
SHARE = Decimal("0.0001")
CHRONIC, CRITICAL = "chronic", "critical"
CHRONIC_CARE = "chronic_outpatient"  # 门诊慢特病: every chronic benefit is outpatient care of a qualified disease
LEDGER_KINDS = ("allocation", "advance", "advance_repayment", "payment", "interest", "recovery", "year_end")


@dataclass(frozen=True)
class Spend:
    """One settled payment of the fund (基金支出): a chronic person-institution-month or a critical claim."""

    tenant: str
    source: str          # chronic | critical
    person_id: str
    month: str           # YYYY-MM
    institution: str
    disease: str
    care: str
    payable_fen: int
    cost_fen: int        # claimed (chronic) or the stay's total cost (critical)


def chronic_spends(tenant: str, benefits: Iterable[Doc], cases: Iterable[Doc]) -> list[Spend]:
    """(choice, as the monthly report) a chronic month carries no disease: it goes under the diseases the person
    held that month, joined (DM+HTN), so the groups add up to the total."""
    by_person: dict[str, list[Doc]] = defaultdict(list)
    for c in cases:
        by_person[c.get("person_id", "")].append(c)
    out = []
    for b in benefits:
        person, month = b.get("person_id", ""), b.get("month", "")
        if not person or not month:
            continue
        out.append(Spend(tenant, CHRONIC, person, month, b.get("institution_code") or UNATTRIBUTED,
                         disease_group(by_person.get(person, []), person, month), CHRONIC_CARE,
                         int(b.get("payable_fen", 0)), int(b.get("claimed_fen", 0))))
    return out


def critical_spends(tenant: str, claims: Iterable[Doc]) -> list[Spend]:
    """Critical-illness claims by the month of their date; a review that arrived before its claim is skipped."""
    return [Spend(tenant, CRITICAL, c.get("person_id", ""), c["month"], c.get("institution_code") or UNATTRIBUTED,
                  c.get("disease") or UNATTRIBUTED, c.get("care") or UNATTRIBUTED, int(c.get("payable_fen", 0)),
                  int(c.get("total_cost_fen", 0)))
            for c in claims if c.get("month")]


def per_capita(payable_fen: int, persons: int) -> Decimal | None:
    """Spending per person paid (人均), rounded half up to the fen; None with nobody paid."""
    return round_yuan(from_fen(payable_fen) / persons) if persons else None


def share(part_fen: int, whole_fen: int | None) -> Decimal | None:
    return (Decimal(part_fen) / Decimal(whole_fen)).quantize(SHARE, ROUND_HALF_UP) if whole_fen else None


@dataclass
class _Bucket:
    payable_fen: int = 0
    cost_fen: int = 0
    claims: int = 0
    persons: set[str] = field(default_factory=set)

    def add(self, s: Spend) -> None:
        self.payable_fen += s.payable_fen
        self.cost_fen += s.cost_fen
        self.claims += 1
        if s.payable_fen > 0:  # a person counts as paid only when the fund paid them something
            self.persons.add(s.person_id)

    def view(self) -> dict[str, Any]:
        return {"payable": from_fen(self.payable_fen), "cost": from_fen(self.cost_fen), "claims": self.claims,
                "persons": len(self.persons), "per_capita": per_capita(self.payable_fen, len(self.persons))}


def spending_figures(spends: Iterable[Spend], months: list[str]) -> dict[str, Any]:
    """The period's spending: total and by source, disease, care kind, institution and month (every month of
    the period listed, zero when nothing was paid)."""
    wanted = set(months)
    total = _Bucket()
    groups: dict[str, dict[str, _Bucket]] = {k: defaultdict(_Bucket) for k in
                                             ("by_source", "by_disease", "by_care", "by_institution", "by_month")}
    for m in months:
        groups["by_month"][m] = _Bucket()
    for s in spends:
        if s.month not in wanted:
            continue
        total.add(s)
        for key, value in (("by_source", s.source), ("by_disease", s.disease), ("by_care", s.care),
                           ("by_institution", s.institution), ("by_month", s.month)):
            groups[key][value].add(s)
    return {**total.view(), **{k: {g: b.view() for g, b in sorted(v.items())} for k, v in groups.items()}}


def _entry_year(e: Doc) -> int:
    return int(e.get("year") or int(str(e.get("date", "0"))[:4] or 0))


def ledger_figures(entries: Iterable[Doc], period: Period) -> dict[str, Any]:
    """Movements of the dedicated account (专户) by kind, in the period and in its program year up to the period's
    end. A reversal counts against the kind of the entry it undoes; one whose entry is unknown stays under
    `reversal` until that entry arrives."""
    entries = list(entries)
    by_id = {e["_id"]: e for e in entries}
    year_start = date(period.start.year, 1, 1)
    in_period: dict[str, int] = {k: 0 for k in LEDGER_KINDS}
    to_date: dict[str, int] = {k: 0 for k in LEDGER_KINDS}
    counted = 0
    for e in entries:
        day = _iso(e.get("date"))
        if day is None or _entry_year(e) != period.start.year or not year_start <= day <= period.end:
            continue
        kind, amount = e.get("kind", ""), int(e.get("amount_fen", 0))
        if kind == "reversal":
            target = by_id.get(e.get("reverses") or "")
            kind, amount = (target.get("kind", "reversal"), -amount) if target else ("reversal", amount)
        counted += 1
        to_date[kind] = to_date.get(kind, 0) + amount
        if period.start <= day:
            in_period[kind] = in_period.get(kind, 0) + amount
    kinds = [*LEDGER_KINDS, *sorted(set(to_date) - set(LEDGER_KINDS))]
    return {"entries": counted, "period": {k: from_fen(in_period.get(k, 0)) for k in kinds},
            "year_to_date": {k: from_fen(to_date.get(k, 0)) for k in kinds}}


def _iso(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


@dataclass(frozen=True)
class Budget:
    """The year's budget of one tenant (or the sum of several), with how it was derived."""

    year: int
    amount_fen: int | None
    basis: tuple[str, ...]


def chronic_budget(annual_budget: Mapping[Any, Any] | None, year: int, tenant_share: Decimal, tenant: str,
                   program: str) -> Budget:
    """门诊慢特病: the program's `finance.annual_budget[year]`, split by the tenant's share (the fund is allocated
    into each carrier's account by shares)."""
    raw = (annual_budget or {}).get(str(year), (annual_budget or {}).get(year))
    if raw is None:
        return Budget(year, None, (f"{program} finance.annual_budget has no {year}",))
    whole = parse_amount(str(raw), "finance.annual_budget")
    amount = round_yuan(whole * tenant_share)
    return Budget(year, to_fen(amount), (f"{program} finance.annual_budget[{year}] {whole:.2f} x share "
                                         f"{tenant_share} of {tenant} = {amount:.2f}",))


def premium_for(year: int, base_year: int, base: Decimal, growth: Decimal, years: int) -> Decimal | None:
    """大病保险 premium per person: `base` in the base year, +growth each later year, rounded to the fen each year
    (149.00 → 153.47 → 158.07); None outside the contract's years."""
    if not base_year <= year < base_year + years:
        return None
    premium = base
    for _ in range(year - base_year):
        premium = round_yuan(premium * (1 + growth))
    return premium


def critical_budget(premium: Mapping[str, Any] | None, insured_persons: int | None, year: int,
                    tenant_share: Decimal, tenant: str, program: str) -> Budget:
    """大病保险: the year's premium income (the carrier's bid per person, 中标价, × insured persons), the tenant's share
    of it. A program giving no `bids` (an older shape) prices by its `base` schedule."""
    if not premium or not insured_persons:
        return Budget(year, None, (f"{program} finance.premium / insured_persons not set",))
    bids = premium.get("bids")
    if bids is not None:
        bid = bids.get(year, bids.get(str(year)))
        per_person = None if bid is None else parse_amount(str(bid), f"finance.premium.bids.{year}")
    else:
        per_person = premium_for(year, int(premium.get("base_year", year)), parse_amount(str(premium["base"]),
                                 "finance.premium.base"), Decimal(str(premium.get("growth", "0"))),
                                 int(premium.get("years", 1)))
    if per_person is None:
        return Budget(year, None, (f"{program} finance.premium does not cover {year}",))
    amount = round_yuan(per_person * insured_persons * tenant_share)
    return Budget(year, to_fen(amount), (f"{program} premium {year} {per_person:.2f} x {insured_persons} insured "
                                         f"x share {tenant_share} of {tenant} = {amount:.2f}",))


def sum_budgets(year: int, budgets: Iterable[Budget]) -> Budget:
    budgets = list(budgets)
    known = [b.amount_fen for b in budgets if b.amount_fen is not None]
    amount = sum(known) if budgets and len(known) == len(budgets) else None  # a partial sum would mislead
    return Budget(year, amount, tuple(r for b in budgets for r in b.basis))


def elapsed_share(period: Period) -> Decimal:
    """序时进度: the months of the year gone by at the period's end, over twelve (June: 0.5000)."""
    return (Decimal(period.end.month) / 12).quantize(SHARE, ROUND_HALF_UP)


def budget_burn(period: Period, budget: Budget, spent_fen: int, allocated_fen: int) -> dict[str, Any]:
    """Spending and allocations of the year up to the period's end against the year's budget. `burn_ratio` is
    the share spent over the share of the year elapsed: above 1 the fund is spending ahead of time."""
    elapsed = elapsed_share(period)
    spent = share(spent_fen, budget.amount_fen)
    reasons = list(budget.basis)
    if spent is not None:
        reasons.append(f"spent {from_fen(spent_fen):.2f} of {from_fen(budget.amount_fen or 0):.2f} = {spent} "
                       f"by {period.end.isoformat()}, against {elapsed} of the year elapsed (months/12)")
    return {"year": budget.year, "budget": None if budget.amount_fen is None else from_fen(budget.amount_fen),
            "spent_to_date": from_fen(spent_fen), "allocated_to_date": from_fen(allocated_fen),
            "elapsed_share": elapsed, "spent_share": spent, "allocated_share": share(allocated_fen, budget.amount_fen),
            "burn_ratio": None if spent is None else (spent / elapsed).quantize(SHARE, ROUND_HALF_UP),
            "ahead_of_time": None if spent is None else spent > elapsed, "reasons": reasons}


@dataclass(frozen=True)
class OperationInputs:
    """One tenant's material (or several merged): spends of the year through the period's end, the account's
    ledger entries, critical reviews, closed years and the budget."""

    tenant: str
    program: str
    budget: Budget
    spends: list[Spend] = field(default_factory=list)
    ledger: list[Doc] = field(default_factory=list)
    reviews: list[Doc] = field(default_factory=list)
    fund_years: list[Doc] = field(default_factory=list)


def year_to_date_months(period: Period) -> list[str]:
    return [f"{period.start.year:04d}-{m:02d}" for m in range(1, period.end.month + 1)]


def operation_figures(period: Period, data: OperationInputs) -> dict[str, Any]:
    """A tenant's (or a merged group's) fund operation figures for the period."""
    spending = spending_figures(data.spends, period.months())
    ytd = set(year_to_date_months(period))
    spent_ytd = sum(s.payable_fen for s in data.spends if s.month in ytd)
    ledger = ledger_figures(data.ledger, period)
    allocated_ytd = to_fen(ledger["year_to_date"]["allocation"])
    reviewed = [r for r in data.reviews if period.contains(_iso(r.get("reviewed_on")))]
    outcomes: dict[str, int] = defaultdict(int)
    for r in reviewed:
        outcomes[r.get("review_outcome") or UNATTRIBUTED] += 1
    years = [y for y in data.fund_years if int(y.get("year", 0)) == period.start.year]
    return {
        "tenant": data.tenant, "program": data.program, "period": period.label, "start": period.start.isoformat(),
        "end": period.end.isoformat(), "spending": spending,
        "budget": budget_burn(period, data.budget, spent_ytd, allocated_ytd),
        "ledger": ledger,
        "reviews": {"completed": len(reviewed), "by_outcome": dict(sorted(outcomes.items())),
                    "recovered": from_fen(sum(int(r.get("recovered_fen", 0)) for r in reviewed))},
        "year_result": [{"program": y.get("program", ""), "year": y.get("year"), "outcome": y.get("outcome", ""),
                         "amount": from_fen(int(y.get("amount_fen", 0))),
                         "carrier_share": from_fen(int(y.get("carrier_share_fen", 0))),
                         "fund_share": from_fen(int(y.get("fund_share_fen", 0)))} for y in years],
    }


def combine(period: Period, program: str, parts: list[OperationInputs], scope: str) -> dict[str, Any]:
    """Per tenant and the total (the program's, for an agency supervisor): the total is computed over the merged
    material, so a person paid by two carriers counts once in its per-capita figure."""
    if not parts:
        raise InvalidInput("no tenant to report on", "tenants")
    merged = OperationInputs(
        tenant="*" if len(parts) > 1 else parts[0].tenant, program=program,
        budget=sum_budgets(period.start.year, (p.budget for p in parts)),
        spends=[s for p in parts for s in p.spends], ledger=[e for p in parts for e in p.ledger],
        reviews=[r for p in parts for r in p.reviews], fund_years=[y for p in parts for y in p.fund_years])
    by_tenant = {p.tenant: operation_figures(period, p) for p in parts}
    total = by_tenant[parts[0].tenant] if len(parts) == 1 else operation_figures(period, merged)
    return {"scope": scope, "program": program, "tenants": [p.tenant for p in parts], "period": period.label,
            "kind": period.kind, "start": period.start.isoformat(), "end": period.end.isoformat(),
            "by_tenant": by_tenant, "total": total}


def operation_deadline_day(period: Period, report_day: int, yearly_month: int = 1, yearly_day: int | None = None
                           ) -> date:
    """The day a fund operation report is due by, before working days. Monthly and quarterly: as the audit
    reports, the `report_day` of the next month / quarter's first month. (choice) Yearly: `yearly_day` (default
    the report_day, 10th) of `yearly_month` (default January) of the next year — the same 'by the 10th' rule
    applied to the year; both configurable in the program's `audit` section (`operation_yearly_month`,
    `operation_yearly_day`)."""
    if period.kind != "year":
        return report_deadline_day(period, report_day)
    day = report_day if yearly_day is None else yearly_day
    if not 1 <= yearly_month <= 12:
        raise InvalidInput("operation_yearly_month must be between 1 and 12", "operation_yearly_month")
    if not 1 <= day <= 28:
        raise InvalidInput("operation_yearly_day must be between 1 and 28", "operation_yearly_day")
    return date(period.start.year + 1, yearly_month, day)


def operation_due_on(period: Period, report_day: int, is_working_day: Callable[[date], bool],
                     yearly_month: int = 1, yearly_day: int | None = None) -> date:
    """Due **by** the operation_deadline_day: the last working day on or before it, never later ("10日前")."""
    due = operation_deadline_day(period, report_day, yearly_month, yearly_day)
    while not is_working_day(due):
        due -= timedelta(days=1)
    return due


def as_json(value: Any) -> Any:
    """Decimals as exact strings: amounts keep their two decimals ("805.00"), shares their four ("0.2500"),
    scores and factors as written ("3.5"); never float. Containers recursively, sets sorted."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    if isinstance(value, set):
        return sorted(as_json(v) for v in value)
    return value
