"""A month's long-term care benefit for one person (待遇支付): the accepted service records priced by the versioned
benefit levels of their mode and grade (programs/wz-ltc/benefits-*.yaml), in fen, with the reasons and version."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chassis.errors import InvalidInput
from chassis.money import from_fen, parse_amount, to_fen
from chassis.reasons import Reason
from services.settlement.care.domain.plans import MODES, PROGRAMS_DIR, Plan, ServiceRecord
from services.settlement.care.domain.reasons import REASONS


@dataclass(frozen=True)
class Level:
    per: str  # day | visit
    rates_fen: Mapping[int, int]
    month_cap_fen: Mapping[int, int]


@dataclass(frozen=True)
class BenefitLevels:
    version: str
    label: str
    modes: Mapping[str, Level]


@dataclass(frozen=True)
class MonthBenefit:
    payable_fen: int
    units: int
    version: str
    reasons: tuple[Reason, ...]


def parse_levels(raw: Any) -> BenefitLevels:
    if not isinstance(raw, Mapping) or not raw.get("version") or not isinstance(raw.get("modes"), Mapping):
        raise InvalidInput("benefit levels have a version and modes", "levels", code="invalid_plan")
    modes: dict[str, Level] = {}
    for mode, spec in raw["modes"].items():
        if mode not in MODES or spec.get("per") not in ("day", "visit"):
            raise InvalidInput(f"mode {mode} needs `per: day|visit` and rates", f"modes.{mode}", code="invalid_plan")
        rates = {int(g): to_fen(parse_amount(str(v), f"modes.{mode}.rates.{g}")) for g, v in spec["rates"].items()}
        caps = {int(g): to_fen(parse_amount(str(v), f"modes.{mode}.month_cap.{g}"))
                for g, v in (spec.get("month_cap") or {}).items()}
        modes[str(mode)] = Level(str(spec["per"]), rates, caps)
    return BenefitLevels(str(raw["version"]), str(raw.get("label", "")), modes)


def load_levels(file: str = "benefits-sample-2026.yaml", root: Path = PROGRAMS_DIR) -> BenefitLevels:
    return parse_levels(yaml.safe_load((root / "wz-ltc" / file).read_text(encoding="utf-8")))


def month_benefit(levels: BenefitLevels, plan: Plan, accepted: Sequence[ServiceRecord]) -> MonthBenefit:
    """`accepted`: the month's records that `check_record` accepted. Days are counted once however many records a
    day has; visits one by one; a mode's monthly cap, where it has one, bounds the total."""
    level = levels.modes.get(plan.mode)
    if level is None or plan.grade not in level.rates_fen:
        raise InvalidInput(f"no benefit level for {plan.mode} at grade {plan.grade} in {levels.version}", "grade",
                           code="invalid_plan")
    months = {(r.start.year, r.start.month) for r in accepted}
    if len(months) > 1:
        raise InvalidInput("a month's benefit is priced from one month's records", "records", code="invalid_record")
    units = len({r.start.date() for r in accepted}) if level.per == "day" else len(accepted)
    rate = level.rates_fen[plan.grade]
    amount = units * rate
    reasons = [REASONS.reason("benefit_priced", f"{units} {level.per}(s) × {from_fen(rate):.2f} ({plan.mode}, grade "
                              f"{plan.grade}, {levels.version})", units=units, per=level.per,
                              rate=f"{from_fen(rate):.2f}", version=levels.version)]
    cap = level.month_cap_fen.get(plan.grade)
    if cap is not None and amount > cap:
        amount = cap
        reasons.append(REASONS.reason("benefit_capped", f"capped at the month's {from_fen(cap):.2f}",
                                      cap=f"{from_fen(cap):.2f}"))
    return MonthBenefit(amount, units, levels.version, tuple(reasons))
