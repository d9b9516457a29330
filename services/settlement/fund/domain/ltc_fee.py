"""The long-term care carrier's fee and its performance part (温州长护险 经办服务费 + 绩效考核), pure.

Tender (wenzhou-long-term-care-tender.txt, 二、3 and 五、4): the year's fee is the bid unit price (元/人/年, at most the
lot's ceiling: A 3.31, B 3.23, C 3.46, D 3.22, E 3.27) × the lot's insured persons of the previous year; the first
year three quarters of it. 10% of the fee is withheld as the performance fund (绩效考核资金) and paid by the yearly
score (100 points, deductions): 90 (incl.) and above 优秀 → 100%; 80 (incl.)–90 良好 → 80%; 70 (incl.)–80 合格 →
60%; below 70 较差 → nothing; below 60 不合格 → nothing, and the rest of the contract is lost."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from chassis.errors import InvalidInput
from chassis.money import round_yuan
from chassis.reasons import Reason
from services.settlement.fund.domain.reasons import REASONS

WITHHELD_SHARE = Decimal("0.10")
FIRST_YEAR_SHARE = Decimal(3) / Decimal(4)
MAX_SCORE = Decimal(100)
# The lots' ceiling unit prices (最高限价, 元/人/年), by lot: a bid above its lot's is invalid.
CEILINGS = {"A": Decimal("3.31"), "B": Decimal("3.23"), "C": Decimal("3.46"), "D": Decimal("3.22"),
            "E": Decimal("3.27")}
# (lowest score of the band, grade, share of the performance fund paid), best first.
BANDS = ((Decimal(90), "excellent", Decimal(1)), (Decimal(80), "good", Decimal("0.8")),
         (Decimal(70), "pass", Decimal("0.6")), (Decimal(60), "poor", Decimal(0)), (Decimal(0), "fail", Decimal(0)))
PROGRAMS_DIR = Path(__file__).resolve().parents[4] / "programs"
GRADE_NAMES = {"excellent": "优秀", "good": "良好", "pass": "合格", "poor": "较差", "fail": "不合格"}


@dataclass(frozen=True)
class LtcFee:
    fee: Decimal
    withheld: Decimal
    paid_in_year: Decimal
    performance_paid: Decimal
    grade: str
    contract_lost: bool
    reasons: tuple[Reason, ...]


def grade_of(score: Decimal) -> tuple[str, Decimal]:
    """The yearly score's grade and the share of the performance fund it pays."""
    if not isinstance(score, Decimal) or not score.is_finite() or not Decimal(0) <= score <= MAX_SCORE:
        raise InvalidInput(f"score must be between 0 and 100 (百分制), got {score!r}", "score",
                           code="score_out_of_range")
    for lowest, grade, share in BANDS:
        if score >= lowest:
            return grade, share
    raise AssertionError("unreachable")  # the last band starts at 0


def sample_items(root: Path = PROGRAMS_DIR) -> dict[str, Any]:
    """The evaluation table's items and weights (programs/wz-ltc/score-items-sample.yaml, a labelled SAMPLE)."""
    return yaml.safe_load((root / "wz-ltc" / "score-items-sample.yaml").read_text(encoding="utf-8"))


def yearly_score(weights: Mapping[str, Decimal], deductions: Mapping[str, Any]) -> tuple[Decimal, tuple[Reason, ...]]:
    """100 points less the year's deductions (扣分制); each item's deductions at most its weight. A deduction above
    its item's weight, an unknown item or a table not summing to 100 is refused, naming it."""
    if sum(weights.values()) != MAX_SCORE:
        raise InvalidInput(f"the items' weights sum to {sum(weights.values())}, not 100", "items",
                           code="score_out_of_range")
    if not isinstance(deductions, Mapping):
        raise InvalidInput("deductions must be an object of item → points", "deductions")
    reasons: list[Reason] = []
    total = Decimal(0)
    for item, points in deductions.items():
        field = f"deductions.{item}"
        if item not in weights:
            raise InvalidInput(f"unknown item {item!r}", field)
        value = points if isinstance(points, Decimal) else None
        if isinstance(points, str):
            try:
                value = Decimal(points)
            except InvalidOperation:
                value = None
        if value is None or not value.is_finite() or value < 0:
            raise InvalidInput(f"{field} must be a non-negative decimal string, got {points!r}", field)
        if value > weights[item]:
            raise InvalidInput(f"{value} points deducted from {item}, whose weight is {weights[item]}", field,
                               code="deduction_above_weight", params={"weight": str(weights[item])})
        total += value
        reasons.append(REASONS.reason("ltc_deduction", f"{item}: −{value} (of {weights[item]})", item=item,
                                      points=str(value), weight=str(weights[item])))
    return MAX_SCORE - total, tuple(reasons)


def ltc_fee(unit_price: Decimal, insured: int, first_year: bool, score: Decimal, lot: str | None = None) -> LtcFee:
    if not isinstance(unit_price, Decimal) or not unit_price.is_finite() or unit_price <= 0:
        raise InvalidInput(f"unit_price must be a positive amount (元/人/年), got {unit_price!r}", "unit_price")
    if lot is not None:
        if lot not in CEILINGS:
            raise InvalidInput(f"lot must be one of {', '.join(CEILINGS)}, got {lot!r}", "lot")
        if unit_price > CEILINGS[lot]:
            raise InvalidInput(f"unit_price {unit_price} is above lot {lot}'s ceiling {CEILINGS[lot]} (最高限价)",
                               "unit_price", code="above_ceiling", params={"ceiling": str(CEILINGS[lot])})
    if isinstance(insured, bool) or not isinstance(insured, int) or not 0 <= insured <= 100_000_000:
        raise InvalidInput(f"insured must be a whole number of persons, got {insured!r}", "insured")
    grade, share = grade_of(score)
    full = unit_price * insured
    fee = round_yuan(full * FIRST_YEAR_SHARE if first_year else full)
    withheld = round_yuan(fee * WITHHELD_SHARE)
    performance_paid = round_yuan(withheld * share)
    lost = grade == "fail"
    reasons = [REASONS.reason("ltc_fee", f"{unit_price} × {insured} insured of last year = {round_yuan(full):.2f}",
                              unit_price=str(unit_price), insured=insured, full=f"{round_yuan(full):.2f}")]
    if first_year:
        reasons.append(REASONS.reason("ltc_first_year", f"first year: 3/4 = {fee:.2f}", fee=f"{fee:.2f}"))
    reasons.append(REASONS.reason("ltc_withheld", f"10% withheld as the performance fund: {withheld:.2f}",
                                  withheld=f"{withheld:.2f}"))
    reasons.append(REASONS.reason("ltc_score_band", f"score {score}: {GRADE_NAMES[grade]} → {share:%} of the "
                                  f"performance fund = {performance_paid:.2f}", score=str(score), grade=grade,
                                  share=str(share), performance_paid=f"{performance_paid:.2f}"))
    if lost:
        reasons.append(REASONS.reason("ltc_contract_lost", "below 60: the rest of the contract is lost",
                                      score=str(score)))
    return LtcFee(fee, withheld, fee - withheld, performance_paid, grade, lost, tuple(reasons))
