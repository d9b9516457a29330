"""Year-end money rules (年度决算), pure: every function returns its amounts with the reasons behind them.

- `service_fee` (承办服务费, Hanzhong): min(year's total reimbursement × the package's share × bid rate, cap); 80% base
  fee paid in full, 20% performance fee by the share of targets met.
- `year_end` (Hanzhong, deficit sharing): surplus (with interest) returned per account; a deficit first taken from
  the carriers' service fees, the rest split fund 3 : carriers 7, the carriers' part by their shares (6:4).
- `corridor` (Quzhou 盈亏分担): premium − claims − administration cost, banded against the premium.
- `premium_schedule` / `premiums` (Quzhou 保费): the tender's ceiling unit price (最高预算单价) is 149.00 in 2025, +3% a
  year, rounded to the fen (153.47, 158.07); the premium per person is the carrier's winning bid (中标价) of the year,
  never above that year's ceiling; the year's premium = bid × insured persons, and the corridor is measured against it.
- `year_end` leaves out losses the carrier bears in full (carrier_liability, 承办方全额承担): they offset the benefits
  wrongly paid before the fee deduction and the 3 : 7 split, so the shared figures are those of the year without
  the loss and the carrier bears it alone.

Readings where the tenders are silent, each a (choice) covered by tests:
- The deficit is measured per PROGRAM against the year's budget (年度预算额度), over the accounts given (all the
  program's packages normally): result = Σ (budget × share + interest + recoveries − benefits paid). Money the agency
  has not allocated yet (the 15% kept back) is the fund's: with a surplus, each account returns its own fund position
  (allocated + interest + recoveries − paid) when positive and receives the shortfall when negative.
- With a deficit D: each carrier's fee deduction = min(D × its share, its fee); the rest R: the fund bears
  round(R × 30%), the carriers R − that, split by shares (the lead package takes the fen of rounding). What the fund
  settles into each account = −(fund position) − (the carrier's deduction + deficit part); negative = returned.
- The fee the deficit is taken from is the fee the carrier earned (base + performance by targets met).
- The ceiling compounds on the previous year's ROUNDED ceiling: each year's is a published price, and the next
  year's is that price +3% (四舍五入到分). For 149 both readings give 153.47 and 158.07; they differ for other bases
  (tested). A base-year bid grown for later years (`jingban calc premium` with `bid`) compounds the same way.
- The corridor's band limits are exact (premium × 3%, × 6%); the carrier's half of the middle band is rounded half up
  to the fen and the fund takes the rest, so carrier + fund = the result exactly. A loss mirrors a gain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from chassis.errors import InvalidInput
from chassis.money import round_yuan
from chassis.reasons import Reason
from services.settlement.fund.domain.ledger import ZERO, split_by_shares
from services.settlement.fund.domain.reasons import REASONS

MAX_BID_RATE = Decimal("0.01")


def _checked(value: Decimal, field: str, *, positive: bool = False, allow_negative: bool = False) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidInput(f"{field} must be a decimal amount, got {value!r}", field)
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InvalidInput(f"{field} has more than two decimals: {value}", field)
    if positive and value <= 0:
        raise InvalidInput(f"{field} must be positive, got {value}", field)
    if not allow_negative and value < 0:
        raise InvalidInput(f"{field} must not be negative, got {value}", field)
    return value.quantize(Decimal("0.01"))


def sentences(reasons: Sequence[Reason]) -> tuple[str, ...]:
    """The sentences answered before reasons were data: each reason's detail."""
    return tuple(r.detail for r in reasons)


def _ratio(value: Decimal, field: str, low: Decimal = ZERO, high: Decimal = Decimal(1)) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or not low <= value <= high:
        raise InvalidInput(f"{field} must be a ratio between {low} and {high}, got {value!r}", field)
    return value


# ---- service fee ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceFee:
    fee: Decimal                 # the year's fee before assessment: min(uncapped, cap)
    uncapped: Decimal
    base: Decimal                # 基础服务费, paid in full
    performance_max: Decimal     # 绩效服务费 at stake
    performance: Decimal         # earned by the targets met
    payable: Decimal             # base + performance
    reasons: tuple[str, ...]
    reason_codes: tuple[Reason, ...] = ()


def service_fee(total_reimbursement: Decimal, reimbursement_share: Decimal, bid_rate: Decimal, cap: Decimal,
                base_share: Decimal = Decimal("0.80"), targets_met: int = 1, targets_total: int = 1) -> ServiceFee:
    total = _checked(total_reimbursement, "total_reimbursement")
    share = _ratio(reimbursement_share, "reimbursement_share")
    if not isinstance(bid_rate, Decimal) or not bid_rate.is_finite() or not ZERO < bid_rate <= MAX_BID_RATE:
        raise InvalidInput(f"bid_rate must be in (0, 1%] (投标报价 0 < 费率 ≤ 1%), got {bid_rate!r}", "bid_rate")
    cap = _checked(cap, "cap", positive=True)
    base_share = _ratio(base_share, "base_share")
    for name, v in (("targets_met", targets_met), ("targets_total", targets_total)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise InvalidInput(f"{name} must be a whole number, got {v!r}", name)
    if targets_total < 1:
        raise InvalidInput(f"targets_total must be at least 1, got {targets_total}", "targets_total")
    if not 0 <= targets_met <= targets_total:
        raise InvalidInput(f"targets_met must be between 0 and targets_total ({targets_total}), got {targets_met}",
                           "targets_met")
    uncapped = round_yuan(total * share * bid_rate)
    fee = min(uncapped, cap)
    base = round_yuan(fee * base_share)
    performance_max = fee - base
    performance = round_yuan(performance_max * targets_met / targets_total)
    codes = (REASONS.reason("service_fee", f"reimbursement {total:.2f} × share {share} × bid rate {bid_rate} = "
                                           f"{uncapped:.2f}", total_reimbursement=f"{total:.2f}", share=share,
                            bid_rate=bid_rate, fee=f"{uncapped:.2f}"),
             REASONS.reason("fee_capped", f"capped at {cap:.2f} (年度最高限额)", cap=f"{cap:.2f}", fee=f"{fee:.2f}")
             if uncapped > cap else REASONS.reason("fee_below_cap", f"below the cap {cap:.2f}", cap=f"{cap:.2f}"),
             REASONS.reason("base_fee", f"base fee {base_share:%} = {base:.2f}, paid in full (基础服务费)",
                            base_share=base_share, base=f"{base:.2f}"),
             REASONS.reason("performance_fee", f"performance fee {performance_max:.2f} × {targets_met}/{targets_total}"
                                               f" targets met = {performance:.2f} (绩效服务费)",
                            performance_max=f"{performance_max:.2f}", targets_met=targets_met,
                            targets_total=targets_total, performance=f"{performance:.2f}"))
    return ServiceFee(fee, uncapped, base, performance_max, performance, base + performance, sentences(codes), codes)


# ---- year end with deficit sharing (Hanzhong) ------------------------------------------------------------------


@dataclass(frozen=True)
class AccountYear:
    """One dedicated account's year as its books show it."""

    tenant: str
    share: Decimal
    allocated: Decimal       # net allocations received (基金拨入)
    interest: Decimal
    recoveries: Decimal
    paid: Decimal            # benefits paid (待遇支出)
    fee: Decimal             # the carrier's service fee earned (base + performance)
    carrier_liability: Decimal = ZERO   # losses the carrier paid back in full (承办方全额承担), outside the sharing

    @property
    def fund_paid(self) -> Decimal:
        """Benefits paid that are the fund's to bear: without the losses the carrier bears in full."""
        return self.paid - self.carrier_liability

    @property
    def position(self) -> Decimal:
        """The fund's money left in the account: allocated + interest + recoveries + carrier's repayments − paid."""
        return self.allocated + self.interest + self.recoveries + self.carrier_liability - self.paid


@dataclass(frozen=True)
class AccountResult:
    tenant: str
    budget: Decimal              # budget × share
    position: Decimal            # allocated + interest + recoveries − paid (the fund's money left in the account)
    fee_deduction: Decimal       # 服务费抵扣
    carrier_deficit: Decimal     # the carrier's part of the rest (承办方承担)
    settlement: Decimal          # + the fund pays into the account (决算拨付); − the account returns (结余返还)
    reasons: tuple[str, ...]
    carrier_liability: Decimal = ZERO   # borne by the carrier in full, beside (not in) the shared deficit
    reason_codes: tuple[Reason, ...] = ()

    @property
    def carrier_bears(self) -> Decimal:
        """The carrier's part of the shared deficit (fee deduction + its 70% part)."""
        return self.fee_deduction + self.carrier_deficit

    @property
    def carrier_bears_in_all(self) -> Decimal:
        """The shared part and the losses it bears in full."""
        return self.carrier_bears + self.carrier_liability

    def movements(self, allocated: Decimal, interest: Decimal, recoveries: Decimal, paid: Decimal
                  ) -> dict[str, Decimal]:
        """The closing entry (signed: + debit, − credit): fund position accounts to zero, cash leg, carrier's part."""
        return {"fund_payable": allocated, "interest_income": interest, "recoveries": recoveries,
                "carrier_liability": self.carrier_liability, "benefits_paid": -paid, "bank": self.settlement,
                "service_fee_offset": self.fee_deduction, "deficit_carrier": self.carrier_deficit}


@dataclass(frozen=True)
class YearEndResult:
    outcome: str                 # surplus | deficit | balanced
    budget: Decimal
    result: Decimal              # Σ(budget share + interest + recoveries − paid): + surplus, − deficit
    fee_deductions: Decimal
    fund_part: Decimal           # the fund's 30% of what the fees did not cover
    carriers_part: Decimal       # the carriers' 70%
    accounts: tuple[AccountResult, ...]
    reasons: tuple[str, ...] = field(default_factory=tuple)
    reason_codes: tuple[Reason, ...] = field(default_factory=tuple)


def year_end(budget: Decimal, accounts: Sequence[AccountYear], fund_share: Decimal = Decimal("0.30")) -> YearEndResult:
    budget = _checked(budget, "budget", positive=True)
    fund_share = _ratio(fund_share, "fund_share")
    if not accounts:
        raise InvalidInput("a year end needs at least one account", "accounts")
    seen: set[str] = set()
    for i, a in enumerate(accounts):
        if a.tenant in seen:
            raise InvalidInput(f"account {a.tenant} is given twice", f"accounts[{i}].tenant")
        seen.add(a.tenant)
        _ratio(a.share, f"accounts[{i}].share")
        if a.share <= 0:
            raise InvalidInput(f"accounts[{i}].share must be positive", f"accounts[{i}].share")
        for name in ("allocated", "interest", "recoveries", "paid", "fee", "carrier_liability"):
            _checked(getattr(a, name), f"accounts[{i}].{name}")
    total_share = sum((a.share for a in accounts), ZERO)
    if total_share > 1:
        raise InvalidInput(f"the accounts' shares add up to {total_share}, more than 1", "accounts")
    budgets = split_by_shares(round_yuan(budget * total_share), [(a.tenant, a.share / total_share) for a in accounts])
    result = sum((budgets[a.tenant] + a.interest + a.recoveries - a.fund_paid for a in accounts), ZERO)
    liability = sum((a.carrier_liability for a in accounts), ZERO)
    interest = sum((a.interest for a in accounts), ZERO)
    recoveries = sum((a.recoveries for a in accounts), ZERO)
    paid = sum((a.paid for a in accounts), ZERO)
    reasons = [REASONS.reason(
        "year_result", f"budget {budget:.2f} × shares {total_share} = {sum(budgets.values(), ZERO):.2f}; "
                       f"+ interest {interest:.2f} + recoveries {recoveries:.2f} − benefits paid {paid:.2f}"
                       + (f" (of which {liability:.2f} borne by the carriers in full, 承办方全额承担: left out)"
                          if liability else "")
                       + f" = {result:.2f}",
        budget=f"{budget:.2f}", shares=total_share, budget_share=f"{sum(budgets.values(), ZERO):.2f}",
        interest=f"{interest:.2f}", recoveries=f"{recoveries:.2f}", paid=f"{paid:.2f}",
        carrier_liability=f"{liability:.2f}", result=f"{result:.2f}")]
    rows: list[AccountResult] = []
    if result >= 0:
        outcome = "surplus" if result > 0 else "balanced"
        reasons.append(REASONS.reason(outcome, f"{outcome}: each account returns its fund money left (with "
                                               "interest); an account that paid more than it received is made "
                                               "whole from the budget not yet allocated", result=f"{result:.2f}"))
        for a in accounts:
            position = a.position
            code, why = (("surplus_returned", f"returns {position:.2f} (结余返还, with interest {a.interest:.2f})")
                         if position > 0 else ("shortfall_received", f"receives {-position:.2f} (决算拨付)")
                         if position < 0 else ("nothing_to_settle", "nothing to settle"))
            codes = (REASONS.reason(code, f"position {_position_terms(a)} = {position:.2f}: {why}",
                                    **_position_params(a), position=f"{position:.2f}", settlement=f"{-position:.2f}"),
                     *_liability_reason(a))
            rows.append(AccountResult(a.tenant, budgets[a.tenant], position, ZERO, ZERO, -position,
                                      sentences(codes), a.carrier_liability, codes))
        return YearEndResult(outcome, budget, result, ZERO, ZERO, ZERO, tuple(rows), sentences(reasons),
                             tuple(reasons))

    deficit = -result
    deductions = {a.tenant: min(round_yuan(deficit * a.share / total_share), a.fee) for a in accounts}
    rest = deficit - sum(deductions.values(), ZERO)
    fund_part = round_yuan(rest * fund_share)
    carriers_part = rest - fund_part
    parts = split_by_shares(carriers_part, [(a.tenant, a.share / total_share) for a in accounts]) if carriers_part \
        else {a.tenant: ZERO for a in accounts}
    fee_deductions = sum(deductions.values(), ZERO)
    reasons += [REASONS.reason("deficit_from_fees", f"deficit {deficit:.2f} (入不敷出): first from the service fees, "
                                                    f"{fee_deductions:.2f}",
                               deficit=f"{deficit:.2f}", fee_deductions=f"{fee_deductions:.2f}"),
                REASONS.reason("deficit_split", f"the rest {rest:.2f}: fund {fund_share:%} = {fund_part:.2f}, "
                                                f"carriers {carriers_part:.2f} split by shares",
                               rest=f"{rest:.2f}", fund_share=fund_share, fund_part=f"{fund_part:.2f}",
                               carriers_part=f"{carriers_part:.2f}")]
    for a in accounts:
        position = a.position
        d, c = deductions[a.tenant], parts[a.tenant]
        settlement = -position - d - c
        share = a.share / total_share
        codes = (REASONS.reason("fee_deduction", f"fee deduction min({deficit:.2f} × {share}, fee {a.fee:.2f}) = "
                                                 f"{d:.2f}", deficit=f"{deficit:.2f}", share=share,
                                fee=f"{a.fee:.2f}", fee_deduction=f"{d:.2f}"),
                 REASONS.reason("carrier_deficit", f"carrier's part of the rest {carriers_part:.2f} × {share} = "
                                                   f"{c:.2f}", carriers_part=f"{carriers_part:.2f}", share=share,
                                carrier_deficit=f"{c:.2f}"),
                 REASONS.reason("deficit_settlement",
                                f"position {_position_terms(a)} = {position:.2f}; the fund settles {settlement:.2f} "
                                f"({'paid in' if settlement >= 0 else 'returned'}) = −position − {d:.2f} − {c:.2f}",
                                **_position_params(a), position=f"{position:.2f}", settlement=f"{settlement:.2f}"),
                 *_liability_reason(a))
        rows.append(AccountResult(a.tenant, budgets[a.tenant], position, d, c, settlement, sentences(codes),
                                  a.carrier_liability, codes))
    return YearEndResult("deficit", budget, result, fee_deductions, fund_part, carriers_part,
                         tuple(rows), sentences(reasons), tuple(reasons))


def _position_terms(a: AccountYear) -> str:
    liability = f" + carrier's repayments {a.carrier_liability:.2f}" if a.carrier_liability else ""
    return f"{a.allocated:.2f} + {a.interest:.2f} + {a.recoveries:.2f}{liability} − {a.paid:.2f}"


def _position_params(a: AccountYear) -> dict[str, str]:
    return {"allocated": f"{a.allocated:.2f}", "interest": f"{a.interest:.2f}", "recoveries": f"{a.recoveries:.2f}",
            "carrier_liability": f"{a.carrier_liability:.2f}", "paid": f"{a.paid:.2f}"}


def _liability_reason(a: AccountYear) -> tuple[Reason, ...]:
    if not a.carrier_liability:
        return ()
    return (REASONS.reason("carrier_liability",
                           f"losses caused by the carrier {a.carrier_liability:.2f} (审核不严、人情鉴定 …): borne by "
                           f"{a.tenant} in full (承办方全额承担), paid back into the account; outside the fee "
                           "deduction and the 3 : 7 split", tenant=a.tenant,
                           carrier_liability=f"{a.carrier_liability:.2f}"),)


# ---- corridor (Quzhou) ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Corridor:
    result: Decimal          # premium − claims − admin: + gain, − loss
    ratio: Decimal           # result / premium
    carrier: Decimal         # the carrier keeps (+) or bears (−)
    fund: Decimal            # the fund takes back (+) or bears (−)
    bands: tuple[tuple[str, Decimal, Decimal], ...]   # (band, amount in it, carrier's part)
    reasons: tuple[str, ...]
    reason_codes: tuple[Reason, ...] = ()


def corridor(premium: Decimal, claims: Decimal, admin_cost: Decimal, carrier_alone: Decimal = Decimal("0.03"),
             shared_to: Decimal = Decimal("0.06"), carrier_share_between: Decimal = Decimal("0.50")) -> Corridor:
    premium = _checked(premium, "premium", positive=True)
    claims = _checked(claims, "claims")
    admin_cost = _checked(admin_cost, "admin_cost")
    carrier_alone = _ratio(carrier_alone, "carrier_alone")
    shared_to = _ratio(shared_to, "shared_to")
    if shared_to < carrier_alone:
        raise InvalidInput("shared_to must not be below carrier_alone", "shared_to")
    half = _ratio(carrier_share_between, "carrier_share_between")
    result = premium - claims - admin_cost
    sign = Decimal(1) if result >= 0 else Decimal(-1)
    size = abs(result)
    low, high = premium * carrier_alone, premium * shared_to
    band1 = min(size, low)
    band2 = min(max(size - low, ZERO), high - low)
    band3 = max(size - high, ZERO)
    carrier = round_yuan(band1 + band2 * half)
    fund = size - carrier
    word = "gain" if sign > 0 else "loss"
    codes = (REASONS.reason("corridor_result", f"result = premium {premium:.2f} − claims {claims:.2f} − admin "
                                               f"{admin_cost:.2f} = {result:.2f} ({result / premium:.4%} of the "
                                               f"premium, a {word})",
                            premium=f"{premium:.2f}", claims=f"{claims:.2f}", admin_cost=f"{admin_cost:.2f}",
                            result=f"{result:.2f}", outcome=word),
             REASONS.reason("carrier_alone_band", f"within ±{carrier_alone:%} ({low:.2f}): {band1:.2f}, the "
                                                  "carrier's alone", limit=carrier_alone, amount=f"{band1:.2f}"),
             REASONS.reason("shared_band", f"{carrier_alone:%}–{shared_to:%}: {band2:.2f}, shared {half:%} carrier / "
                                           f"{1 - half:%} fund", low=carrier_alone, high=shared_to,
                            amount=f"{band2:.2f}", carrier_share=half),
             REASONS.reason("fund_band", f"beyond {shared_to:%}: {band3:.2f}, the fund's", limit=shared_to,
                            amount=f"{band3:.2f}"),
             REASONS.reason("corridor_split", f"carrier {'keeps' if sign > 0 else 'bears'} {carrier:.2f}; fund "
                                              f"{'takes' if sign > 0 else 'bears'} {fund:.2f}",
                            carrier=f"{sign * carrier:.2f}", fund=f"{sign * fund:.2f}"))
    return Corridor(result, (result / premium).quantize(Decimal("0.000001")), sign * carrier, sign * fund,
                    (("carrier_alone", sign * band1, sign * band1), ("shared", sign * band2, sign * (carrier - band1)),
                     ("fund", sign * band3, ZERO)), sentences(codes), codes)


# ---- premium: the ceiling and the bid (Quzhou) ------------------------------------------------------------------


def premium_schedule(base_year: int = 2025, base: Decimal = Decimal("149.00"), growth: Decimal = Decimal("0.03"),
                     years: Sequence[int] = (2025, 2026, 2027), base_field: str = "base") -> dict[int, Decimal]:
    """A unit price of each year: the base in the base year, then each year the previous year's (rounded) price ×
    (1 + growth), rounded half up to the fen. The tender's ceiling (最高预算单价, 149.00 → 153.47 → 158.07), or a
    base-year bid grown the same way."""
    base = _checked(base, base_field, positive=True)
    growth = _ratio(growth, "growth", Decimal(-1), Decimal(1))
    if isinstance(base_year, bool) or not isinstance(base_year, int):
        raise InvalidInput(f"base_year must be a year, got {base_year!r}", "base_year")
    if not years:
        raise InvalidInput("years must name at least one year", "years")
    for i, y in enumerate(years):
        if isinstance(y, bool) or not isinstance(y, int):
            raise InvalidInput(f"years[{i}] must be a year, got {y!r}", f"years[{i}]")
        if y < base_year:
            raise InvalidInput(f"years[{i}] {y} is before the base year {base_year}", f"years[{i}]")
        if i and y != years[i - 1] + 1:
            raise InvalidInput(f"years must be consecutive: years[{i}] is {y} after {years[i - 1]} "
                               f"(gap or disorder)", f"years[{i}]")
    price, out = base, {}
    for y in range(base_year, years[-1] + 1):
        if y > base_year:
            price = round_yuan(price * (1 + growth))
        if y >= years[0]:
            out[y] = price
    return out


@dataclass(frozen=True)
class YearPremium:
    """One year's price per insured person: the tender's ceiling and the carrier's bid (the premium)."""

    year: int
    ceiling: Decimal             # 最高预算单价
    bid: Decimal | None          # 中标价; None when none is given (calc only: then the premium is the ceiling)
    premium: Decimal             # per person: the bid
    reasons: tuple[str, ...]
    reason_codes: tuple[Reason, ...] = ()


def check_bid(year: int, bid: Decimal, ceiling: Decimal, field: str = "bid") -> Decimal:
    """A bid (中标价) is a positive amount of at most two decimals, never above its year's ceiling."""
    bid = _checked(bid, field, positive=True)
    if bid > ceiling:
        raise InvalidInput(f"{field}: the bid {bid:.2f} for {year} is above that year's ceiling unit price "
                           f"(最高预算单价) {ceiling:.2f}; a bid above the ceiling is invalid", field)
    return bid


def premiums(ceilings: dict[int, Decimal], bids: dict[int, Decimal] | None = None,
             bid_field: str = "bid") -> dict[int, YearPremium]:
    """Each year's premium per person: the bid of the year, checked against the year's ceiling. With no bids at all
    (`None`) the premiums are the ceilings — the most a bid could be. Bids for years the ceilings do not cover are
    refused; a bid missing for a covered year is refused too."""
    if bids is not None:
        stray = sorted(set(bids) - set(ceilings))
        if stray:
            raise InvalidInput(f"{bid_field}.{stray[0]}: {stray[0]} is outside the ceiling's years "
                               f"{min(ceilings)}–{max(ceilings)}", f"{bid_field}.{stray[0]}")
    out = {}
    for year, ceiling in ceilings.items():
        if bids is None:
            why = REASONS.reason("premium_ceiling", f"{year}: no bid given, the premium shown is the ceiling "
                                                    f"{ceiling:.2f} (最高预算单价)",
                                 year=year, ceiling=f"{ceiling:.2f}")
            out[year] = YearPremium(year, ceiling, None, ceiling, sentences((why,)), (why,))
            continue
        if year not in bids:
            raise InvalidInput(f"{bid_field}.{year}: no bid (中标价) for {year}", f"{bid_field}.{year}")
        bid = check_bid(year, bids[year], ceiling, f"{bid_field}.{year}")
        why = REASONS.reason("premium_bid", f"{year}: premium = the bid {bid:.2f} (中标价), within the ceiling "
                                            f"{ceiling:.2f} (最高预算单价); {ceiling - bid:.2f} below it",
                             year=year, bid=f"{bid:.2f}", ceiling=f"{ceiling:.2f}", below=f"{ceiling - bid:.2f}")
        out[year] = YearPremium(year, ceiling, bid, bid, sentences((why,)), (why,))
    return out
