"""The lot table and the routing rules (片区划分). Pure: the table is parsed from a mapping."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from chassis.errors import InvalidInput
from chassis.reasons import Reason
from services.intake.lots.domain.reasons import REASONS

PROGRAMS_DIR = Path(__file__).resolve().parents[4] / "programs"
CITY_RULE = "sequence-code-mod-3.v1"


@dataclass(frozen=True)
class Lot:
    code: str
    tenant: str
    ceiling: Decimal
    districts: Mapping[str, Decimal]  # district → insured persons (万人)

    @property
    def insured(self) -> int:
        """The lot's insured persons (persons, from 万人)."""
        return int(sum(self.districts.values()) * 10_000)


@dataclass(frozen=True)
class Lots:
    lots: Mapping[str, Lot]
    city_district: str
    city_lots: tuple[str, ...]
    city_rule: str


def _bad(message: str, field: str) -> InvalidInput:
    return InvalidInput(message, field, code="invalid_lots")


def parse_lots(raw: Any) -> Lots:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("lots"), Mapping) or not raw["lots"]:
        raise _bad("a lot table has lots", "lots")
    lots: dict[str, Lot] = {}
    seen: dict[str, str] = {}
    for code, spec in raw["lots"].items():
        if not isinstance(spec, Mapping) or not isinstance(spec.get("districts"), Mapping):
            raise _bad(f"lot {code} needs a tenant, a ceiling and districts", f"lots.{code}")
        try:
            districts = {str(d): Decimal(str(n)) for d, n in spec["districts"].items()}
            ceiling = Decimal(str(spec.get("ceiling")))
        except InvalidOperation as exc:
            raise _bad(f"lot {code}: figures must be decimals", f"lots.{code}") from exc
        for district in districts:
            if district in seen:
                raise _bad(f"district {district} is in lots {seen[district]} and {code}", f"lots.{code}.districts")
            seen[district] = str(code)
        lots[str(code)] = Lot(str(code), str(spec.get("tenant", "")), ceiling, districts)
    city = raw.get("city_level") or {}
    city_lots = tuple(city.get("lots") or ())
    if not city_lots or not set(city_lots) <= set(lots) or city.get("rule") != CITY_RULE:
        raise _bad(f"city-level persons go to known lots by the rule {CITY_RULE}", "city_level")
    return Lots(lots, str(city.get("district", "市本级")), city_lots, CITY_RULE)


def load_lots(program: str = "wz-ltc", root: Path = PROGRAMS_DIR) -> Lots:
    return parse_lots(yaml.safe_load((root / program / "lots.yaml").read_text(encoding="utf-8")))


def lot_for(lots: Lots, district: str, identity_number: str) -> tuple[Lot, Reason]:
    """The lot that takes a person: their district's, or for a city-level person the one the rule picks."""
    if district == lots.city_district:
        number = identity_number.strip()
        if len(number) != 18 or not number[14:17].isdigit():
            raise InvalidInput("a city-level person is placed by their 18-character identity number",
                               "person_id")
        code = lots.city_lots[int(number[14:17]) % len(lots.city_lots)]
        return lots.lots[code], REASONS.reason("city_level_lot", f"市本级 → lot {code} ({lots.city_rule})",
                                               lot=code, rule=lots.city_rule)
    for lot in lots.lots.values():
        if district in lot.districts:
            return lot, REASONS.reason("district_lot", f"{district} → lot {lot.code}", district=district,
                                       lot=lot.code)
    raise InvalidInput(f"district {district!r} is in no lot", "district", code="unknown_district")


def share_city_fee(lots: Lots, fee_fen: int) -> tuple[dict[str, int], Reason]:
    """A city-level person's assessment fee split equally between the city lots; the odd fen go to the first."""
    if isinstance(fee_fen, bool) or not isinstance(fee_fen, int) or fee_fen < 0:
        raise InvalidInput(f"the fee must be a whole number of fen, got {fee_fen!r}", "fee")
    n = len(lots.city_lots)
    base, odd = divmod(fee_fen, n)
    shares = {code: base + (1 if i < odd else 0) for i, code in enumerate(lots.city_lots)}
    return shares, REASONS.reason("fee_shared", f"{fee_fen} fen shared by {', '.join(lots.city_lots)}",
                                  fee_fen=fee_fen, **{f"share_{c}": v for c, v in shares.items()})
