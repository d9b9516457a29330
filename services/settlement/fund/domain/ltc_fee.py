"""The long-term care carrier's fee and its performance part (温州长护险 经办服务费 + 绩效考核), pure.

Tender (wenzhou-long-term-care-tender.txt, 二、3 and 五、4): the year's fee is the bid unit price (元/人/年, at most the
lot's ceiling: A 3.31, B 3.23, C 3.46, D 3.22, E 3.27) × the lot's insured persons of the previous year; the first
year three quarters of it. 10% of the fee is withheld as the performance fund (绩效考核资金) and paid by the yearly
score (100 points, deductions): 90 (incl.) and above 优秀 → 100%; 80 (incl.)–90 良好 → 80%; 70 (incl.)–80 合格 →
60%; below 70 较差 → nothing; below 60 不合格 → nothing, and the rest of the contract is lost. The bands are data
(program.yaml `ltc.score_bands`, read by audit for the score's grade too); the score itself — 100 less the evaluation
table's deductions — is audit's (services/audit/scores/domain/score.py), reaching settlement as
`carrier_score.assessed`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from chassis.errors import InvalidInput
from chassis.money import round_yuan
from chassis.programs import PROGRAMS_DIR, load_program
from chassis.reasons import Reason
from services.settlement.fund.domain.reasons import REASONS

WITHHELD_SHARE = Decimal("0.10")
FIRST_YEAR_SHARE = Decimal(3) / Decimal(4)
MAX_SCORE = Decimal(100)
# The lots' ceiling unit prices (最高限价, 元/人/年), by lot: a bid above its lot's is invalid.
CEILINGS = {"A": Decimal("3.31"), "B": Decimal("3.23"), "C": Decimal("3.46"), "D": Decimal("3.22"),
            "E": Decimal("3.27")}
PROGRAM = "wz-ltc"
# The rule's version, answered with every fee (the figures' own sources are named in its reasons).
FEE_VERSION = "wz-ltc-fee.1"


@dataclass(frozen=True)
class Band:
    """A grade of the yearly score (program.yaml `ltc.score_bands`, the tender's table 五、4)."""

    lowest: Decimal        # the band's lowest score, inclusive
    grade: str
    name: str
    share: Decimal         # of the performance fund paid
    contract_lost: bool


def parse_bands(raw: Any) -> tuple[Band, ...]:
    """The bands best first, the last starting at 0, shares between 0 and 1; else refused naming the setting."""
    field = "ltc.score_bands"
    try:
        bands = tuple(Band(Decimal(str(b["from"])), str(b["grade"]), str(b.get("name", b["grade"])),
                           Decimal(str(b["share"])), bool(b.get("contract_lost", False))) for b in raw)
    except (TypeError, KeyError, InvalidOperation) as exc:
        raise InvalidInput(f"{field} must list {{from, grade, share}} bands: {exc!r}", field) from exc
    lows = [b.lowest for b in bands]
    if not bands or lows != sorted(lows, reverse=True) or len(set(lows)) != len(lows) or lows[-1] != 0 \
            or any(not Decimal(0) <= b.share <= 1 for b in bands) or len({b.grade for b in bands}) != len(bands):
        raise InvalidInput(f"{field}: bands best first down to 0, distinct grades, shares within 0–1", field)
    return bands


BANDS: tuple[Band, ...] = parse_bands(load_program(PROGRAM).setting("ltc", "score_bands"))
GRADE_NAMES = {b.grade: b.name for b in BANDS}


@dataclass(frozen=True)
class LtcFee:
    fee: Decimal
    withheld: Decimal
    paid_in_year: Decimal
    performance_paid: Decimal
    grade: str
    contract_lost: bool
    reasons: tuple[Reason, ...]


def band_of(score: Decimal, bands: Sequence[Band] = BANDS) -> Band:
    """The yearly score's band: its grade, the share of the performance fund it pays, whether the contract is lost."""
    if not isinstance(score, Decimal) or not score.is_finite() or not Decimal(0) <= score <= MAX_SCORE:
        raise InvalidInput(f"score must be between 0 and 100 (百分制), got {score!r}", "score",
                           code="score_out_of_range")
    return next(b for b in bands if score >= b.lowest)  # the last band starts at 0


def grade_of(score: Decimal) -> tuple[str, Decimal]:
    """The yearly score's grade and the share of the performance fund it pays."""
    band = band_of(score)
    return band.grade, band.share


@dataclass(frozen=True)
class LtcBaseFee:
    """The year's fee before the score: what is paid in the year and what is withheld for it."""

    fee: Decimal
    withheld: Decimal
    paid_in_year: Decimal
    reasons: tuple[Reason, ...]


def ltc_base_fee(unit_price: Decimal, insured: int, first_year: bool, lot: str | None = None) -> LtcBaseFee:
    """unit price × insured persons of the previous year (the first year × 3/4); 10% of it withheld."""
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
    full = unit_price * insured
    fee = round_yuan(full * FIRST_YEAR_SHARE if first_year else full)
    withheld = round_yuan(fee * WITHHELD_SHARE)
    reasons = [REASONS.reason("ltc_fee", f"{unit_price} × {insured} insured of last year = {round_yuan(full):.2f}",
                              unit_price=str(unit_price), insured=insured, full=f"{round_yuan(full):.2f}")]
    if first_year:
        reasons.append(REASONS.reason("ltc_first_year", f"first year: 3/4 = {fee:.2f}", fee=f"{fee:.2f}"))
    reasons.append(REASONS.reason("ltc_withheld", f"10% withheld as the performance fund: {withheld:.2f}",
                                  withheld=f"{withheld:.2f}"))
    return LtcBaseFee(fee, withheld, fee - withheld, tuple(reasons))


def ltc_fee(unit_price: Decimal, insured: int, first_year: bool, score: Decimal, lot: str | None = None) -> LtcFee:
    base = ltc_base_fee(unit_price, insured, first_year, lot)
    band = band_of(score)
    performance_paid = round_yuan(base.withheld * band.share)
    reasons = [*base.reasons, REASONS.reason(
        "ltc_score_band", f"score {score}: {band.name} → {band.share:%} of the performance fund = "
        f"{performance_paid:.2f}", score=str(score), grade=band.grade, share=str(band.share),
        performance_paid=f"{performance_paid:.2f}")]
    if band.contract_lost:
        reasons.append(REASONS.reason("ltc_contract_lost", "below 60: the rest of the contract is lost",
                                      score=str(score)))
    return LtcFee(base.fee, base.withheld, base.paid_in_year, performance_paid, band.grade, band.contract_lost,
                  tuple(reasons))


@dataclass(frozen=True)
class LotBase:
    """What a lot's fee is computed from: its letter, the bid unit price and the insured persons counted."""

    lot: str
    unit_price: Decimal
    insured: int
    first_service_year: int
    sources: tuple[str, ...]


def lot_base(tenant: str, root: Path = PROGRAMS_DIR) -> LotBase:
    """The tenant's lot in `lots.yaml` (its insured persons, 万人 summed over its districts), its bid unit price
    (`ltc.bids`) and the first service year (`ltc.first_service_year`) in program.yaml."""
    program = load_program(PROGRAM, root)
    raw = yaml.safe_load((root / PROGRAM / "lots.yaml").read_text(encoding="utf-8"))
    lot = next((code for code, spec in raw["lots"].items() if spec.get("tenant") == tenant), None)
    if lot is None:
        raise InvalidInput(f"tenant {tenant} holds no lot of {PROGRAM}", "tenant")
    insured = int(sum(Decimal(str(n)) for n in raw["lots"][lot]["districts"].values()) * 10_000)
    bids = program.setting("ltc", "bids") or {}
    if lot not in bids:
        raise InvalidInput(f"programs/{PROGRAM}/program.yaml ltc.bids names no bid of lot {lot}", "ltc.bids")
    return LotBase(lot, Decimal(str(bids[lot])), insured, int(program.setting("ltc", "first_service_year")),
                   (f"programs/{PROGRAM}/lots.yaml lots.{lot}.districts (万人)",
                    f"programs/{PROGRAM}/program.yaml ltc.bids.{lot}"))
