"""The violations section of the monthly and quarterly reports (违规情况报送), when the program asks for it
(program.yaml `audit.violations_section: true`; Xunyang: "按月或按季度将所发现的违规情况报送医保部门").

Every finding raised in the period, one row each (kind, day, amount, description, the person masked), with counts
and amounts by kind. Identity numbers are masked in the report (the agency reads the person's file for the rest)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from chassis.money import from_fen
from chassis.programs import program_of_tenant
from services.audit.reports.domain.periods import Period, cn_date


def mask_person(person_id: str) -> str:
    """610702195803120012 → 610702********0012: enough to match a file, not an identity number in clear."""
    if len(person_id) <= 10:
        return "*" * len(person_id)
    return person_id[:6] + "*" * (len(person_id) - 10) + person_id[-4:]


def wanted(tenant: str) -> bool:
    program = program_of_tenant(tenant)
    return bool(program and program.setting("audit", "violations_section", False))


def violations_section(findings: Iterable[Mapping[str, Any]], period: Period) -> dict[str, Any]:
    rows = []
    by_kind: dict[str, dict[str, Any]] = defaultdict(lambda: {"count": 0, "amount": Decimal("0.00")})
    for f in findings:
        day = cn_date(f.get("raised_on") or f.get("raised_at"))
        if not period.contains(day):
            continue
        amount = from_fen(f.get("amount_fen", 0))
        kind = str(f.get("kind", ""))
        by_kind[kind]["count"] += 1
        by_kind[kind]["amount"] += amount
        rows.append({"finding_id": str(f.get("_id", "")), "kind": kind, "raised_on": day.isoformat() if day else "",
                     "person": mask_person(str(f.get("person_id", ""))), "amount": amount,
                     "description": str(f.get("description", "")),
                     **({"carrier_caused": bool(f["carrier_caused"])} if "carrier_caused" in f else {})})
    rows.sort(key=lambda r: (r["raised_on"], r["finding_id"]))
    return {"period": period.label, "count": len(rows), "amount": sum((r["amount"] for r in rows), Decimal("0.00")),
            "by_kind": dict(sorted(by_kind.items())), "items": rows}


def add_violations(figures: dict[str, Any], tenant: str, period: Period,
                   findings: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The figures with a `violations` section when the tenant's program reports its violations; unchanged else."""
    if wanted(tenant):
        figures["violations"] = violations_section(findings, period)
    return figures
