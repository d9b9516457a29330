"""Large-claim review quotas (大额医疗费用核查): RULES.md section B, tender 四(二)3–4.

Strata (from the program data, `critical.review_quotas`):
- `in_area_large`: in Quzhou, one inpatient stay (special outpatient included) costing ≥ 20,000: ≥ 30% of the
  paid persons (赔付人数) are reviewed;
- `out_of_area_20k_50k`: outside Quzhou, a non-networked stay (非联网结算) of 20,000 up to 50,000: ≥ 50%;
- `out_of_area_50k`: outside Quzhou, non-networked, ≥ 50,000: every claim (逐个核查).

**(choices)** A claim enters a stratum only when it pays something (赔付). A stratum whose code starts with
`in_area` takes in-area claims whether networked or not; `out_of_area*` takes out-of-area non-networked ones
(a program may set `area` and `networked` explicitly). The amount bounds are on the stay's total cost
(医疗总费用), min inclusive, max exclusive. With unit `person`, a person counts once per stratum and year: the
claim that brings them in decides whether they are reviewed; with unit `claim`, every claim counts.

Selection keeps the quota true at every point of the year, not only at its end: a new member is selected when
the selected count is below ceil(ratio × population) after its arrival, so the ratio never dips; otherwise it is
selected at random with probability `ratio`, so a reviewer or institution cannot predict which stays escape
review (人情 risk). The random draw is HMAC-SHA256(seed, stratum|year|key) read as a fraction in [0, 1): the
seed is recorded with the stratum's state, the draw with the decision, so every selection can be re-derived and
audited, and a retried arrival draws the same number. The key drawn on is the member's keyed pseudonym (the last
part of its stored id; the service passes `CriticalStore.pseudonym` of the person or claim key), never an identity
number: seed and draw are stored clear, and a draw on the number could be reversed by trying every number. Pure:
no I/O."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from typing import Any

from chassis.errors import InvalidInput
from chassis.money import parse_amount
from services.settlement.critical.domain.claims import INPATIENT, SPECIAL_OUTPATIENT, ZERO, parse_ratio

IN_AREA = "in_area"
OUT_OF_AREA = "out_of_area"
AREAS = (IN_AREA, OUT_OF_AREA)
UNITS = ("person", "claim")
STAY_CARE = (INPATIENT, SPECIAL_OUTPATIENT)  # 单次住院 (包括特殊门诊)


@dataclass(frozen=True)
class Stratum:
    code: str
    min_total: Decimal
    max_total: Decimal | None
    ratio: Decimal
    unit: str                  # person | claim
    area: str                  # in_area | out_of_area
    networked: bool | None     # None: either; False: non-networked only

    def takes(self, area: str, networked: bool, care: str, total_cost: Decimal) -> bool:
        return (area == self.area and care in STAY_CARE
                and (self.networked is None or networked == self.networked)
                and total_cost >= self.min_total and (self.max_total is None or total_cost < self.max_total))

    def required(self, population: int) -> int:
        """ceil(ratio × population): the fewest selected members that keep the quota."""
        return int((self.ratio * population).to_integral_value(rounding=ROUND_CEILING))


@dataclass(frozen=True)
class StratumState:
    """A stratum's year so far: members (paid persons or claims) and how many were selected."""

    code: str
    year: int
    population: int = 0
    selected: int = 0


@dataclass(frozen=True)
class Decision:
    selected: bool
    why: str                   # quota | random | not_drawn
    draw: Decimal              # the recorded random draw in [0, 1)
    population: int            # after this arrival
    selected_count: int        # after this arrival
    required: int              # ceil(ratio × population) after this arrival


def parse_strata(settings: Any, prefix: str = "critical.review_quotas") -> tuple[Stratum, ...]:
    """The `critical.review_quotas` mapping of program.yaml."""
    if not isinstance(settings, Mapping) or not settings:
        raise InvalidInput(f"{prefix} must be a non-empty mapping of strata", prefix)
    strata = []
    for code, row in settings.items():
        path = f"{prefix}.{code}"
        if not isinstance(row, Mapping):
            raise InvalidInput(f"{path} must be an object", path)
        area = row.get("area") or (IN_AREA if str(code).startswith(IN_AREA) else OUT_OF_AREA)
        if area not in AREAS:
            raise InvalidInput(f"{path}.area must be one of {AREAS}, got {area!r}", f"{path}.area")
        networked = row.get("networked", None if area == IN_AREA else False)
        if networked is not None and not isinstance(networked, bool):
            raise InvalidInput(f"{path}.networked must be true, false or null", f"{path}.networked")
        unit = row.get("unit", "person")
        if unit not in UNITS:
            raise InvalidInput(f"{path}.unit must be one of {UNITS}, got {unit!r}", f"{path}.unit")
        if "min_total" not in row:
            raise InvalidInput(f"{path}.min_total is required", f"{path}.min_total")
        max_total = row.get("max_total")
        stratum = Stratum(
            code=str(code), min_total=parse_amount(row["min_total"], f"{path}.min_total", minimum=ZERO),
            max_total=None if max_total is None else parse_amount(max_total, f"{path}.max_total",
                                                                       minimum=ZERO),
            ratio=parse_ratio(row.get("ratio"), f"{path}.ratio"), unit=unit, area=area, networked=networked)
        if stratum.max_total is not None and stratum.max_total <= stratum.min_total:
            raise InvalidInput(f"{path}.max_total must be above min_total", f"{path}.max_total")
        strata.append(stratum)
    return tuple(strata)


def stratum_of(strata: Sequence[Stratum], area: str, networked: bool, care: str,
               total_cost: Decimal) -> Stratum | None:
    """The first stratum that takes this claim (the program's strata do not overlap)."""
    for s in strata:
        if s.takes(area, networked, care, total_cost):
            return s
    return None


def member_key(stratum: Stratum, person_id: str, claim_id: str) -> str:
    return person_id if stratum.unit == "person" else claim_id


def draw(seed: str, stratum: str, year: int, key: str) -> Decimal:
    """A fraction in [0, 1) from HMAC-SHA256(seed, stratum|year|key), to 12 places: unpredictable without the
    seed, reproducible with it."""
    digest = hmac.new(seed.encode(), f"{stratum}|{year}|{key}".encode(), hashlib.sha256).digest()
    return (Decimal(int.from_bytes(digest[:8], "big")) / Decimal(2 ** 64)).quantize(Decimal("0.000000000001"),
                                                                                  rounding=ROUND_DOWN)


def admit(stratum: Stratum, state: StratumState, fraction: Decimal) -> tuple[StratumState, Decision]:
    """A new member enters the stratum: select it if the quota needs it, else with probability `ratio`."""
    population = state.population + 1
    required = stratum.required(population)
    if state.selected < required:
        selected, why = True, "quota"
    elif fraction < stratum.ratio:
        selected, why = True, "random"
    else:
        selected, why = False, "not_drawn"
    count = state.selected + (1 if selected else 0)
    new = replace(state, population=population, selected=count)
    return new, Decision(selected, why, fraction, population, count, required)


def attainment(stratum: Stratum, population: int, selected: int, reviewed: int) -> dict[str, Any]:
    """A dashboard row: the quota is `met` when the reviews completed reach ceil(ratio × population);
    `selection_met` says the selection itself keeps the quota (always true when selection ran as above)."""
    required = stratum.required(population)
    return {"stratum": stratum.code, "ratio": str(stratum.ratio), "unit": stratum.unit,
            "population": population, "selected": selected, "reviewed": reviewed, "required": required,
            "selection_met": selected >= required, "met": reviewed >= required}
