"""Outpatient chronic & special disease benefits (门诊慢特病待遇): RULES.md section A.

One person, one benefit year (年度参保、年度享受 — the calendar year). The person's qualifications (资格)
decide which diseases pay from when; their capped diseases share one combined year cap (年度支付限额) and one
monthly cap (月度限额); one deductible (起付线) is paid per year; each line pays at its own disease's ratio
(报销比例). Pure: the caller loads the policy, holdings and the year account (年度累计) and stores the new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from chassis.errors import InvalidInput
from chassis.money import CENT, round_yuan
from chassis.reasons import Reason
from services.settlement.chronic.domain.reasons import REASONS
from services.settlement.policies.domain.policy import IMMEDIATE, MAX_AMOUNT, NEXT_MONTH, DiseaseRule, Policy

ZERO = Decimal("0.00")

# Reason codes (domain/reasons.py): every line not paid in full carries at least one reason, a code with its detail
# (`str(reason)` is the sentence "<code>: <detail>" answers carry as `reasons`).
NOT_COVERED = "not_covered"
DISEASE_NOT_HELD = "disease_not_held"
BEFORE_BENEFIT_START = "before_benefit_start"
OUTSIDE_POLICY_YEAR = "outside_policy_year"
UNKNOWN_DISEASE = "unknown_disease"
DEDUCTIBLE = "deductible"
RATIO = "ratio"
YEAR_CAP = "year_cap"
MONTHLY_CAP = "monthly_cap"
REVIEW_OVERDUE = "review_overdue"


@dataclass(frozen=True)
class Holding:
    """A qualification (资格) for one disease, granted on a date.

    `review_due`: the re-review (复审) date; after it the qualification pays nothing until a passed re-review moves
    it on. `lapses`: earlier (review_due, resumed_on) pairs where the re-review passed late: the days strictly
    between them were not covered."""

    disease: str
    granted_on: date
    review_due: date | None = None
    lapses: tuple[tuple[date, date], ...] = ()

    def overdue_on(self, day: date) -> date | None:
        """The missed re-review date when `day` is not covered for want of a re-review (复审逾期), else None."""
        if self.review_due is not None and day > self.review_due:
            return self.review_due
        for due, resumed_on in self.lapses:
            if due < day < resumed_on:
                return due
        return None


@dataclass(frozen=True)
class Line:
    """One claimed item; `covered` = inside the catalogues and related to the disease (institution/review says)."""

    disease: str
    amount: Decimal
    covered: bool
    item_code: str = ""


@dataclass(frozen=True)
class Claim:
    id: str
    date: date
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class YearAccount:
    """A person's year-to-date totals (年度累计); immutable: `adjudicate` returns the next one."""

    year: int
    deductible_used: Decimal = Decimal(0)
    capped_paid: Decimal = Decimal(0)      # fund payments under the combined year cap
    uncapped_paid: Decimal = Decimal(0)    # fund payments for uncapped diseases (no limit, reported apart)
    monthly_capped_paid: tuple[Decimal, ...] = (Decimal(0),) * 12  # January..December

    @property
    def paid(self) -> Decimal:
        return self.capped_paid + self.uncapped_paid


@dataclass(frozen=True)
class LineResult:
    """payable + deductible + patient_share == the line's amount. `reason_codes`: why, as data; `reasons`: the same
    as sentences ("<code>: <detail>")."""

    payable: Decimal
    reason_codes: tuple[Reason, ...]
    deductible: Decimal
    patient_share: Decimal

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(str(r) for r in self.reason_codes)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reason_codes)


@dataclass(frozen=True)
class ClaimResult:
    id: str
    payable: Decimal
    lines: tuple[LineResult, ...]


@dataclass(frozen=True)
class Caps:
    """The person's caps for one year; None when no capped disease is in benefit that year."""

    year_cap: Decimal | None
    monthly_cap: Decimal | None


# ---- caps ---------------------------------------------------------------------------------------------------


def benefit_start(rule: DiseaseRule, granted_on: date) -> date:
    """First day of benefits: the month after the grant (次月), or the grant day for tumour outpatient treatment,
    transplant anti-rejection therapy and dialysis (`immediate` in the table)."""
    if rule.start == IMMEDIATE:
        return granted_on
    if rule.start == NEXT_MONTH:
        return date(granted_on.year + granted_on.month // 12, granted_on.month % 12 + 1, 1)
    raise InvalidInput(f"disease {rule.code} has an unknown benefit start {rule.start!r}", "start")


def disease_cap(annual_cap: Decimal, start: date, year: int) -> Decimal:
    """A capped disease's cap for `year`, given its benefit start (which must not be after `year`).

    First year (初次认定年度): annual cap / 12 × months from the start month through December, rounded to whole
    yuan half up (取整). A start in January leaves 12 months: the full cap, so a cap in fen is not rounded away."""
    if start.year < year or start.month == 1:
        return annual_cap
    months = 13 - start.month
    return (annual_cap * months / 12).quantize(Decimal(1), rounding=ROUND_HALF_UP).quantize(CENT)


def _weight(position: int, weight: Decimal) -> Decimal:
    """1 for the first disease, `weight` for the second, then halving (依次类推)."""
    return Decimal(1) if position == 0 else weight / (2 ** (position - 1))


def combine(caps: Sequence[Decimal], weight: Decimal) -> Decimal:
    """Several diseases (多病种): 100% of the 1st + weight × the 2nd + weight/2 × the 3rd …, rounded to the fen.
    `caps` must already be in the order of the diseases' annual caps, highest first."""
    return round_yuan(sum((cap * _weight(i, weight) for i, cap in enumerate(caps)), Decimal(0)))


def _starts(policy: Policy, holdings: Sequence[Holding]) -> dict[str, date]:
    """Benefit start per held disease; a disease held twice counts from its earliest start."""
    starts: dict[str, date] = {}
    for i, holding in enumerate(holdings):
        rule = policy.diseases.get(holding.disease)
        if rule is None:
            raise InvalidInput(f"qualification for {holding.disease}, which policy {policy.program} "
                               f"{policy.version} does not list", f"holdings[{i}].disease")
        start = benefit_start(rule, holding.granted_on)
        if holding.disease not in starts or start < starts[holding.disease]:
            starts[holding.disease] = start
    return starts


def _caps(policy: Policy, starts: dict[str, date], year: int) -> Caps:
    # Uncapped diseases take no place in the ordering; a disease starting after `year` is not in benefit.
    capped = sorted(
        ((rule.annual_cap, rule.code, starts[code]) for code, rule in policy.diseases.items()
         if rule.annual_cap is not None and code in starts and starts[code].year <= year),
        key=lambda c: (-c[0], c[1]),
    )
    if not capped:
        return Caps(None, None)
    weight = policy.second_disease_weight
    year_cap = combine([disease_cap(annual, start, year) for annual, _, start in capped], weight)
    # (choice) the monthly cap uses the full-year combined cap, not the prorated one: 月均限额 is the table's.
    full_year = sum((annual * _weight(i, weight) for i, (annual, _, _) in enumerate(capped)), Decimal(0))
    return Caps(year_cap, round_yuan(policy.monthly_cap_multiple * full_year / 12))


def caps_for(policy: Policy, holdings: Sequence[Holding], year: int) -> Caps:
    """The combined year cap and the monthly cap of a person holding these qualifications in `year`."""
    return _caps(policy, _starts(policy, holdings), year)


# ---- adjudication -----------------------------------------------------------------------------------------


def _check_input(claims: Sequence[Claim], account: YearAccount) -> None:
    if len(account.monthly_capped_paid) != 12:
        raise InvalidInput("the year account must hold 12 monthly totals", "account.monthly_capped_paid")
    seen: set[str] = set()
    for i, claim in enumerate(claims):
        if claim.id in seen:
            raise InvalidInput(f"claim id {claim.id!r} is given twice", f"claims[{i}].id")
        seen.add(claim.id)
        for j, line in enumerate(claim.lines):
            amount = line.amount
            if (not isinstance(amount, Decimal) or not amount.is_finite() or not 0 <= amount <= MAX_AMOUNT
                    or amount != amount.quantize(CENT)):
                raise InvalidInput(f"amount must be a non-negative yuan amount with at most two decimals, "
                                   f"got {amount!r}", f"claims[{i}].lines[{j}].amount")


def _percent(ratio: Decimal) -> str:
    return f"{(ratio * 100).normalize():f}"


def adjudicate(
    policy: Policy, holdings: Sequence[Holding], claims: Sequence[Claim], account: YearAccount,
) -> tuple[list[ClaimResult], YearAccount]:
    """Pay the person's claims of `account.year` under `policy`.

    Claims are processed in date order (stable: same-day claims in input order; lines in order) — the deductible
    and the caps are consumed in that order — and results come back in input order. `account` is the state before
    (earlier uploads, real-time visits); the returned account is the state after. Adjudicating claims together
    or one by one in date order while threading the account gives the same results."""
    _check_input(claims, account)
    starts = _starts(policy, holdings)  # also refuses a holding of a disease the policy does not list
    year = account.year
    reviewed = any(h.review_due is not None or h.lapses for h in holdings)
    terms: dict[frozenset[int], tuple[dict[str, date], Caps, Decimal]] = {}

    def terms_for(overdue: frozenset[int]) -> tuple[dict[str, date], Caps, Decimal]:
        """Benefit starts, caps and deductible of the holdings still covered: one whose re-review is overdue counts
        like one not held (as a revoked one does) until a passed re-review."""
        if overdue not in terms:
            live = starts if not overdue else _starts(policy, [h for i, h in enumerate(holdings) if i not in overdue])
            # (choice) the yearly deductible is the highest among the held diseases in benefit that year.
            level = max((policy.diseases[c].deductible for c, s in live.items() if s.year <= year), default=ZERO)
            terms[overdue] = (live, _caps(policy, live, year), level)
        return terms[overdue]

    deductible_used = account.deductible_used
    capped_paid = account.capped_paid
    uncapped_paid = account.uncapped_paid
    monthly = list(account.monthly_capped_paid)
    results: list[ClaimResult | None] = [None] * len(claims)

    for index in sorted(range(len(claims)), key=lambda k: claims[k].date):
        claim = claims[index]
        on = claim.date
        missed: dict[str, date] = {}  # disease -> the re-review date missed, for holdings overdue on `on`
        overdue: set[int] = set()
        if reviewed:
            for i, h in enumerate(holdings):
                due = h.overdue_on(on)
                if due is not None:
                    overdue.add(i)
                    missed[h.disease] = max(due, missed.get(h.disease, due))
        live_starts, caps, deductible_level = terms_for(frozenset(overdue))
        out_of_year: Reason | None = None
        if on.year != year:
            out_of_year = REASONS.reason(OUTSIDE_POLICY_YEAR, f"{on.isoformat()} is outside the benefit year {year}",
                                         date=on.isoformat(), year=year)
        elif not policy.covers(on):
            until = policy.effective_to.isoformat() if policy.effective_to else "open"
            out_of_year = REASONS.reason(
                OUTSIDE_POLICY_YEAR, f"{on.isoformat()} is outside policy {policy.version} "
                f"({policy.effective_from.isoformat()} to {until})", date=on.isoformat(), version=policy.version,
                effective_from=policy.effective_from.isoformat(), effective_to=until)
        lines: list[LineResult] = []
        for line in claim.lines:
            amount = line.amount.quantize(CENT)
            rule = policy.diseases.get(line.disease)
            refused: list[Reason] = []
            if rule is None:
                refused.append(REASONS.reason(UNKNOWN_DISEASE, f"{line.disease} is not in policy {policy.program} "
                                              f"{policy.version}", disease=line.disease, version=policy.version))
            if out_of_year is not None:
                refused.append(out_of_year)
            if rule is not None:
                start = live_starts.get(line.disease)
                if start is None and line.disease in starts:
                    due = missed[line.disease].isoformat()
                    refused.append(REASONS.reason(
                        REVIEW_OVERDUE, f"the re-review (复审) of {line.disease} was due on {due}; benefits resume "
                        "after a passed re-review", disease=line.disease, due=due))
                elif start is None:
                    refused.append(REASONS.reason(DISEASE_NOT_HELD, f"the person holds no qualification for "
                                                  f"{line.disease}", disease=line.disease))
                elif on < start:
                    refused.append(REASONS.reason(BEFORE_BENEFIT_START, f"{line.disease} benefits start on "
                                                  f"{start.isoformat()}", disease=line.disease,
                                                  start=start.isoformat()))
            if not line.covered:
                refused.append(REASONS.reason(NOT_COVERED, "outside the catalogues or unrelated to the disease"))
            if refused or rule is None:  # (rule is None always has a reason; spelled out for the type)
                lines.append(LineResult(ZERO, tuple(refused), ZERO, amount))
                continue

            reasons: list[Reason] = []
            deductible = min(max(deductible_level - deductible_used, ZERO), amount)
            if deductible > 0:
                deductible_used += deductible
                reasons.append(REASONS.reason(DEDUCTIBLE, f"{deductible:.2f} applied to the yearly deductible",
                                              applied=f"{deductible:.2f}"))
            base = amount - deductible
            fund = round_yuan(base * rule.ratio)
            if fund < base:
                percent = _percent(rule.ratio)
                reasons.append(REASONS.reason(RATIO, f"fund pays {percent}% (patient share {base - fund:.2f})",
                                              percent=percent, patient_share=f"{base - fund:.2f}"))
            payable = fund
            if rule.annual_cap is not None:
                # A held, started capped disease always yields caps; were they missing, pay nothing, not uncapped.
                year_cap = caps.year_cap if caps.year_cap is not None else ZERO
                monthly_cap = caps.monthly_cap if caps.monthly_cap is not None else ZERO
                month = on.month - 1
                year_left = max(year_cap - capped_paid, ZERO)
                month_left = max(monthly_cap - monthly[month], ZERO)
                payable = min(fund, year_left, month_left)
                if payable < fund and payable == year_left:
                    reasons.append(REASONS.reason(YEAR_CAP, f"limited to the remaining {year_left:.2f} "
                                                  f"of the year cap {year_cap:.2f}", left=f"{year_left:.2f}",
                                                  cap=f"{year_cap:.2f}"))
                if payable < fund and payable == month_left:
                    month_name = f"{on.year}-{on.month:02d}"
                    reasons.append(REASONS.reason(MONTHLY_CAP, f"limited to the remaining {month_left:.2f} of the "
                                                  f"monthly cap {monthly_cap:.2f} for {month_name}",
                                                  left=f"{month_left:.2f}", cap=f"{monthly_cap:.2f}",
                                                  month=month_name))
                capped_paid += payable
                monthly[month] += payable
            else:
                uncapped_paid += payable
            lines.append(LineResult(payable, tuple(reasons), deductible, base - payable))
        results[index] = ClaimResult(claim.id, sum((r.payable for r in lines), ZERO), tuple(lines))

    after = YearAccount(year, deductible_used, capped_paid, uncapped_paid, tuple(monthly))
    return [r for r in results if r is not None], after
