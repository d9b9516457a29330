"""Review inputs as JSON-shaped dicts (what `jingban review` reads), built small for one rule at a time."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from services.audit.smart_review.domain.catalogue import parse_catalogue
from services.audit.smart_review.domain.claims import parse_claims
from services.audit.smart_review.domain.engine import Hit, review
from services.audit.smart_review.domain.rules import parse_settings

# An identity number as the platform passes it: no hit, detail or error may quote it.
PERSON = "610702195803120012"
OTHER = "61072119620425002X"

CATALOGUE: list[dict[str, Any]] = [
    {"code": "D001", "name": "二甲双胍片", "kind": "drug", "max_price": "12.50", "max_daily_quantity": "3",
     "ingredient": "metformin"},
    {"code": "D002", "name": "二甲双胍缓释片", "kind": "drug", "ingredient": "metformin"},
    {"code": "D003", "name": "阿司匹林肠溶片", "kind": "drug", "ingredient": "aspirin"},
    {"code": "D004", "name": "无成分药品", "kind": "drug"},
    {"code": "DP01", "name": "小儿退热颗粒", "kind": "drug", "max_age": 14},
    {"code": "S001", "name": "血常规套餐", "kind": "service", "includes": ["S010", "S011"]},
    {"code": "S010", "name": "血红蛋白测定", "kind": "service"},
    {"code": "S011", "name": "白细胞计数", "kind": "service"},
    {"code": "S020", "name": "静脉输液", "kind": "service"},
    {"code": "SF01", "name": "妇科检查", "kind": "service", "sex": "F"},
    {"code": "SG01", "name": "老年综合评估", "kind": "service", "min_age": 60},
    {"code": "M001", "name": "一次性注射器", "kind": "material"},
    {"code": "B001", "name": "普通床位费", "kind": "bed", "max_price": "40.00"},
    {"code": "G001", "name": "洗发水", "kind": "goods"},
]


def line(line_id: str, item: str, on: str, quantity: str = "1", price: str = "10.00",
         days_supply: int | None = None) -> dict[str, Any]:
    amount = (Decimal(quantity) * Decimal(price)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    out: dict[str, Any] = {"line_id": line_id, "item_code": item, "date": on, "quantity": quantity,
                           "unit_price": price, "amount": f"{amount:.2f}"}
    if days_supply is not None:
        out["days_supply"] = days_supply
    return out


def claim(claim_id: str, lines: list[dict[str, Any]], *, institution: str = "H01", person: str = PERSON,
          sex: str = "M", birth: str = "1958-03-12", kind: str = "outpatient", **extra: Any) -> dict[str, Any]:
    kind_of = "pharmacy" if institution.startswith("P") else "hospital"
    return {"claim_id": claim_id, "institution": institution, "institution_kind": kind_of, "person_id": person,
            "sex": sex, "birth_date": birth, "kind": kind, **extra, "lines": lines}


def run(claims: list[dict[str, Any]], *, settings: dict[str, Any] | None = None, new: set[str] | None = None,
        catalogue: list[dict[str, Any]] | None = None) -> list[Hit]:
    return review(parse_settings(settings), parse_catalogue(CATALOGUE if catalogue is None else catalogue),
                  parse_claims(claims), new=new)


def of(hits: list[Hit], rule: str) -> list[Hit]:
    """The hits of one rule, each checked to carry its rule's reason and to say nothing of the person."""
    found = [h for h in hits if h.rule == rule]
    for h in found:
        assert h.reason.code == rule
        text = h.reason.detail + " ".join(h.reason.params.values())
        assert PERSON not in text and OTHER not in text
    return found
