"""Random sampling (抽查) of cases: ≥ 70% of the uncapped diseases' cases (RULES A) and an optional share
of the others, drawn reproducibly from a recorded seed."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, Field

from chassis.errors import InvalidInput
from services.audit.domain.periods import Period, cn_date

SEED_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class SamplingPlanIn(BaseModel):
    period: str = Field(description="2025-06, 2025-Q2 or 2025: cases active at any time in it are drawn from")
    seed: str | None = Field(default=None, description="recorded; a random one is chosen when absent")
    uncapped_ratio: str | None = Field(default=None, description="≥ the program's minimum (0.70); decimal string")
    other_ratio: str = Field(default="0", description="share of the capped diseases' cases; decimal string")


class InspectionResultIn(BaseModel):
    outcome: Literal["compliant", "problem"]
    notes: str = Field(default="", max_length=4000)
    finding_kind: str = Field(default="inspection", pattern=r"^[a-z][a-z0-9_]{1,39}$")
    amount: str = Field(default="0.00", description="fund loss involved, decimal yuan string")


class CallbacksIn(BaseModel):
    plan_id: str = Field(min_length=1, max_length=64)
    person_ids: list[str] | None = Field(default=None, max_length=10000,
                                         description="a subset of the plan's sampled persons; all when absent")


class CallbackResultIn(BaseModel):
    reached: bool
    confirmed_treatment: bool | None = Field(default=None, description="required when reached")
    notes: str = Field(default="", max_length=4000)


def parse_ratio(value: str | None, field: str, maximum: Decimal = Decimal(1)) -> Decimal:
    """A share in [0, maximum] given as a decimal string ("0.70"); floats never reach here (bodies type it str)."""
    try:
        ratio = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput(f"{field} is not a decimal number: {value!r}", field) from exc
    if not ratio.is_finite() or not Decimal(0) <= ratio <= maximum:
        raise InvalidInput(f"{field} must be between 0 and {maximum}, got {value!r}", field)
    return ratio


def required_count(population: int, ratio: Decimal) -> int:
    """At least `ratio` of the cases, rounded up: 70% of 3 cases is 3 (2.1 → 3), never 2."""
    return int((Decimal(population) * ratio).to_integral_value(rounding=ROUND_CEILING))


def rank(seed: str, case_id: str) -> str:
    return hashlib.sha256(f"{seed}|{case_id}".encode()).hexdigest()


def draw(case_ids: Iterable[str], seed: str, k: int) -> list[str]:
    """The k cases with the smallest sha256(seed|case id). Anyone holding the seed and the population can
    redo the draw with any tool; no language's PRNG is involved."""
    ranked = sorted(set(case_ids), key=lambda c: (rank(seed, c), c))
    return sorted(ranked[:k])


def active_in(case: Mapping[str, Any], period: Period) -> bool:
    """A case counts in a period when its status was held at any time in it: granted by the period's end
    and not revoked before its start."""
    granted = cn_date(case.get("granted_on"))
    revoked = cn_date(case.get("revoked_on"))
    return granted is not None and granted <= period.end and (revoked is None or revoked >= period.start)


@dataclass(frozen=True)
class Stratum:
    disease_code: str
    uncapped: bool
    population: list[str]  # case ids, sorted
    required: int
    sample: list[str]      # case ids, sorted

    def as_doc(self) -> dict[str, Any]:
        return {"disease_code": self.disease_code, "uncapped": self.uncapped, "population": self.population,
                "required": self.required, "sample": self.sample}


def plan_strata(cases: Iterable[Mapping[str, Any]], period: Period, uncapped_codes: set[str],
                uncapped_ratio: Decimal, other_ratio: Decimal, seed: str) -> list[Stratum]:
    """One stratum per disease with active cases; the uncapped ones at `uncapped_ratio`, the rest at
    `other_ratio` (0: recorded with nothing drawn)."""
    by_disease: dict[str, list[str]] = {}
    for case in cases:
        if active_in(case, period):
            by_disease.setdefault(case["disease_code"], []).append(case["_id"])
    strata = []
    for code in sorted(by_disease):
        population = sorted(set(by_disease[code]))
        uncapped = code in uncapped_codes
        k = required_count(len(population), uncapped_ratio if uncapped else other_ratio)
        strata.append(Stratum(code, uncapped, population, k, draw(population, seed, k)))
    return strata


def attainment(strata: Iterable[Mapping[str, Any]], checked: Mapping[str, int]) -> dict[str, Any]:
    """Checked against required per disease; the rule holds when every uncapped disease is attained."""
    rows, unc_req, unc_chk, unc_pop = [], 0, 0, 0
    for s in strata:
        code, done = s["disease_code"], checked.get(s["disease_code"], 0)
        rows.append({"disease_code": code, "uncapped": s["uncapped"], "population": len(s["population"]),
                     "required": s["required"], "sampled": len(s["sample"]), "checked": done,
                     "attained": done >= s["required"]})
        if s["uncapped"]:
            unc_req, unc_chk, unc_pop = unc_req + s["required"], unc_chk + done, unc_pop + len(s["population"])
    return {"by_disease": rows,
            "uncapped": {"population": unc_pop, "required": unc_req, "checked": unc_chk,
                         "attained": all(r["attained"] for r in rows if r["uncapped"])}}


# ---- losses the carrier bears in full (承办方全额承担) ------------------------------------------------------

# Why a loss is the carrier's. Hanzhong: "因中标方监管不力、人情鉴定、审核不严、履职不力等因素造成门诊慢特病
# 基金损失的，由中标方全部承担"; Quzhou: "因中标单位违规操作、审核不严造成医保基金损失的，中标单位要承担相应的
# 经济和法律责任".
CARRIER_REASONS = {"lax_review": "审核不严", "favouritism": "人情鉴定", "weak_supervision": "监管不力",
                   "poor_performance": "履职不力", "irregular_operation": "违规操作"}


def carrier_liability_fields(carrier_caused: bool, amount_fen: int, reason: str | None, fund_year: int | None,
                             raised_on: str) -> dict[str, Any]:
    """The finding's carrier-liability fields, or a precise error naming the field. A carrier-caused finding names
    its loss (`amount` > 0, booked in full in the carrier's dedicated account), a reason code from CARRIER_REASONS
    and optionally the fund year whose benefits carried the loss (default: the year it is raised, or the year
    before)."""
    if not carrier_caused:
        if reason is not None or fund_year is not None:
            field = "carrier_reason" if reason is not None else "fund_year"
            raise InvalidInput(f"{field} is only given with carrier_caused: true", field)
        return {}
    if amount_fen <= 0:
        raise InvalidInput("amount is required for a carrier-caused finding: the loss the carrier bears in full, a "
                           "positive decimal string such as \"1200.00\"", "amount")
    if reason not in CARRIER_REASONS:
        raise InvalidInput(f"carrier_reason is required for a carrier-caused finding, one of "
                           f"{', '.join(CARRIER_REASONS)}; got {reason!r}", "carrier_reason")
    year = int(raised_on[:4])
    if fund_year is not None and fund_year not in (year, year - 1):
        raise InvalidInput(f"fund_year {fund_year}: a finding raised on {raised_on} books into the fund year {year} "
                           f"or {year - 1} (whose books run to the end of {year})", "fund_year")
    return {"carrier_caused": True, "carrier_reason": reason, "fund_year": fund_year or year}
