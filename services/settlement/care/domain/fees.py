"""Assessment fees (评估费用, tender 二、4: "经办服务费包含参保人员评估费用，其中市本级参保人员评估费用由A、B、C片区
中标供应商均摊"): the carrier pays each assessment's fee out of its own service fee — the fund pays nothing — and a
city-level person's (市本级) fee is borne by lots A, B and C in equal shares, so the lot that paid it is owed the
other two lots' shares. Pure.

The split is the lots room's rule (services/intake/lots/domain/routing.py `share_city_fee`: equal shares, the odd fen
to the first lots in lots.yaml's order), restated here because settlement may not import intake; a unit test keeps
the two equal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from chassis.errors import InvalidInput
from chassis.money import from_fen
from chassis.reasons import Reason
from services.settlement.care.domain.plans import PROGRAMS_DIR
from services.settlement.care.domain.reasons import REASONS


@dataclass(frozen=True)
class CityLots:
    """lots.yaml's city-level rule: the lots that share (in order) and each lot's tenant."""

    lots: tuple[str, ...]
    tenants: Mapping[str, str]


def parse_city_lots(raw: Any) -> CityLots:
    lots = raw.get("lots") if isinstance(raw, Mapping) else None
    city = raw.get("city_level") if isinstance(raw, Mapping) else None
    if not isinstance(lots, Mapping) or not isinstance(city, Mapping) or not city.get("lots"):
        raise InvalidInput("lots.yaml names its lots and the city-level lots", "city_level", code="invalid_fee")
    shared = tuple(str(x) for x in city["lots"])
    tenants = {str(code): str(spec.get("tenant", "")) for code, spec in lots.items()}
    if not set(shared) <= set(tenants):
        raise InvalidInput("the city-level lots must be lots of the table", "city_level.lots", code="invalid_fee")
    return CityLots(shared, tenants)


def load_city_lots(root: Path = PROGRAMS_DIR) -> CityLots:
    return parse_city_lots(yaml.safe_load((root / "wz-ltc" / "lots.yaml").read_text(encoding="utf-8")))


def share_city_fee(city: CityLots, fee_fen: int) -> dict[str, int]:
    """A city-level fee split equally between the city lots; the odd fen go to the first."""
    if isinstance(fee_fen, bool) or not isinstance(fee_fen, int) or fee_fen < 0:
        raise InvalidInput(f"the fee must be a whole number of fen, got {fee_fen!r}", "fee", code="invalid_fee")
    base, odd = divmod(fee_fen, len(city.lots))
    return {code: base + (1 if i < odd else 0) for i, code in enumerate(city.lots)}


@dataclass(frozen=True)
class Fee:
    """One assessment's fee as the conclusion carried it."""

    assessment_id: str
    person_id: str
    concluded_on: date
    fee_fen: int
    lot: str
    city_level: bool


@dataclass(frozen=True)
class FeeLine:
    fee: Fee
    own_fen: int                     # what this lot bears
    due_from: Mapping[str, int]      # tenant → its share owed to this lot (city-level fees)
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class FeeTotals:
    lines: tuple[FeeLine, ...]
    amount_fen: int                  # paid by this lot's carrier
    own_fen: int
    due_from: Mapping[str, int]


def fee_line(city: CityLots, own_lot: str, fee: Fee) -> FeeLine:
    paid = REASONS.reason("assessment_fee", f"assessment {fee.assessment_id}: {from_fen(fee.fee_fen):.2f} paid by "
                          f"lot {own_lot} (评估费用, the carrier's own cost)", assessment_id=fee.assessment_id,
                          fee=f"{from_fen(fee.fee_fen):.2f}")
    if not fee.city_level:
        return FeeLine(fee, fee.fee_fen, {}, (paid,))
    shares = share_city_fee(city, fee.fee_fen)
    if own_lot not in shares:  # a city-level person assessed outside A–C: the lot bears it alone
        return FeeLine(fee, fee.fee_fen, {}, (paid,))
    due = {city.tenants[code]: fen for code, fen in shares.items() if code != own_lot}
    shared = REASONS.reason("fee_shared", "市本级: shared by " + ", ".join(
        f"{code} {from_fen(fen):.2f}" for code, fen in shares.items()), **{f"share_{c}": f"{from_fen(v):.2f}"
                                                                          for c, v in shares.items()})
    return FeeLine(fee, shares[own_lot], due, (paid, shared))


def fee_totals(city: CityLots, own_lot: str, fees: Sequence[Fee]) -> FeeTotals:
    lines = tuple(fee_line(city, own_lot, f) for f in sorted(fees, key=lambda f: (f.concluded_on, f.assessment_id)))
    due: dict[str, int] = {}
    for line in lines:
        for tenant, fen in line.due_from.items():
            due[tenant] = due.get(tenant, 0) + fen
    return FeeTotals(lines, sum(x.fee.fee_fen for x in lines), sum(x.own_fen for x in lines), dict(sorted(due.items())))
