"""Random sampling (抽查) of cases: ≥ 70% of the uncapped diseases' cases (RULES A) and an optional share
of the others, drawn reproducibly from a recorded seed."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

from chassis.errors import InvalidInput
from services.audit.reports.domain.periods import Period, cn_date

SEED_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


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
