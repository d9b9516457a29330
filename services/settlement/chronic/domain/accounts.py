"""A person's benefit accounts (待遇累计) of one year as settlement shows them: per held disease what the fund paid,
its caps and terms from the policy, and the year's combined caps and what is left of them. Pure: the caller loads
the person's holdings, the year account (integer fen) and the policy version to show the year with."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from services.settlement.chronic.domain.benefits import benefit_start, caps_for
from services.settlement.chronic.domain.records import holdings_on, yuan
from services.settlement.policies.domain.policy import Policy


def accumulator_view(person_id: str, year: int, holdings: list[dict[str, Any]], account: dict[str, Any],
                     policy: Policy | None, today: date) -> dict[str, Any]:
    """The year's caps (from `policy`, None without one), what the fund paid, the deductible used, per disease.

    A holding shows in `year` when its benefits start by the year's end and it was not revoked before the year
    began; its benefit start is the policy's rule for its disease (else what the qualification said)."""
    by_disease = account.get("paid_by_disease_fen") or {}
    rows = []
    for h in holdings:
        rule = policy.diseases.get(h["disease"]) if policy else None
        start = benefit_start(rule, date.fromisoformat(h["granted_on"])).isoformat() if rule else h.get(
            "benefit_start") or h["granted_on"]
        if int(start[:4]) > year or (h.get("revoked_on") and int(h["revoked_on"][:4]) < year):
            continue
        rows.append({
            "disease_code": h["disease"], "qualification_id": h["qualification_id"], "granted_on": h["granted_on"],
            "benefit_start": start, "revoked_on": h.get("revoked_on"), "paid": yuan(by_disease.get(h["disease"], 0)),
            # re-review (复审): not paid after review_due, nor in a lapse, until a passed re-review
            "review_due": h.get("review_due") or None, "lapses": h.get("lapses") or [],
            "insutype": h.get("insutype") or None,
            "paid_fen": by_disease.get(h["disease"], 0),
            "annual_cap": None if rule is None or rule.annual_cap is None else f"{rule.annual_cap:.2f}",
            "deductible": None if rule is None else f"{rule.deductible:.2f}",
            "ratio": None if rule is None else str(rule.ratio),
        })
    year_cap = monthly_cap = None
    if policy is not None and holdings:
        on = min(today, date(year, 12, 31)) if today.year == year else date(year, 12, 31)
        caps = caps_for(policy, holdings_on(holdings, on, policy), year)
        year_cap, monthly_cap = caps.year_cap, caps.monthly_cap
    capped = account.get("capped_paid_fen", 0)
    uncapped = account.get("uncapped_paid_fen", 0)
    monthly = account.get("monthly_capped_paid_fen") or [0] * 12
    return {
        "person_id": person_id, "year": year, "policy_version": policy.version if policy else None,
        "year_cap": None if year_cap is None else f"{year_cap:.2f}",
        "monthly_cap": None if monthly_cap is None else f"{monthly_cap:.2f}",
        "paid": yuan(capped + uncapped), "capped_paid": yuan(capped), "uncapped_paid": yuan(uncapped),
        "year_cap_left": None if year_cap is None else f"{max(year_cap - Decimal(capped) / 100, Decimal(0)):.2f}",
        "deductible_used": yuan(account.get("deductible_used_fen", 0)),
        "months": [{"month": f"{year}-{i + 1:02d}", "capped_paid": yuan(f)} for i, f in enumerate(monthly) if f],
        "accounts": rows,
    }
