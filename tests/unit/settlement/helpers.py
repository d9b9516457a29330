"""Shared builders for the settlement unit tests: the sample table and small hand-made policies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from services.settlement.chronic.domain.benefits import Claim, Line
from services.settlement.policies.domain.policy import Policy, parse_policy

SAMPLE = Path(__file__).resolve().parents[3] / "programs" / "hz-chronic" / "policy-2025.yaml"


def D(text: str) -> Decimal:
    return Decimal(text)


@cache
def sample_policy() -> Policy:
    return parse_policy(sample_dict())


def sample_dict() -> dict[str, Any]:
    return yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))


def disease(code: str, cap: str | None, deductible: str = "0.00", ratio: str = "0.80",
            start: str = "next_month") -> dict[str, Any]:
    return {"code": code, "name": code, "category": "chronic" if cap else "special", "annual_cap": cap,
            "deductible": deductible, "ratio": ratio, "start": start}


def policy(*diseases: dict[str, Any], weight: str = "0.2", multiple: int = 3, year: int = 2025,
           effective_to: str | None = None) -> Policy:
    return parse_policy({
        "program": "test", "version": "t1", "effective_from": f"{year}-01-01", "effective_to": effective_to,
        "monthly_cap_multiple": multiple, "second_disease_weight": weight, "diseases": list(diseases),
    })


def claim(claim_id: str, on: str, *lines: tuple[Any, ...]) -> Claim:
    """claim("c1", "2025-06-03", ("HTN", "500.00"), ("DM", "20.00", False)): disease, amount[, covered]."""
    return Claim(claim_id, date.fromisoformat(on),
                 tuple(Line(ln[0], Decimal(ln[1]), ln[2] if len(ln) > 2 else True) for ln in lines))
