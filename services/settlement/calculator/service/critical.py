"""`jingban calc` for critical illness insurance (大病保险, RULES.md B): one self-contained case in, the
calculation out, through the same `adjudicate` the service uses. Pure.

Input: `{"program": "critical", "policy": {"deductible", "ratio", "cap", "assistance": {...}},
"person": {"assistance_recipient": bool}, "claims": [{"id", "date", "self_pay", "care"?}]}`; `care` defaults to
inpatient. Claims of several calendar years are settled on one account per year (the benefit year)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from chassis.errors import InvalidInput
from chassis.money import fmt, parse_amount
from services.settlement.critical.domain.claims import (
    INPATIENT,
    CriticalAccount,
    CriticalClaim,
    CriticalResult,
    adjudicate,
    parse_care,
    parse_critical_policy,
    parse_date,
)


def _object(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{field} must be an object", field)
    return value


def _required(data: Mapping[str, Any], key: str, field: str) -> Any:
    path = f"{field}.{key}" if field else key
    if key not in data or data[key] is None:
        raise InvalidInput(f"{path} is required", path)
    return data[key]


def _claims(raw: Any) -> list[CriticalClaim]:
    if not isinstance(raw, list):
        raise InvalidInput("claims must be a list", "claims")
    claims, seen = [], set()
    for i, c in enumerate(raw):
        path = f"claims[{i}]"
        c = _object(c, path)
        cid = _required(c, "id", path)
        if not isinstance(cid, str) or not cid.strip():
            raise InvalidInput(f"{path}.id must be a non-empty string, got {cid!r}", f"{path}.id")
        if cid in seen:
            raise InvalidInput(f"claim id {cid!r} is given twice", f"{path}.id")
        seen.add(cid)
        claims.append(CriticalClaim(
            id=cid.strip(), date=parse_date(_required(c, "date", path), f"{path}.date"),
            self_pay=parse_amount(_required(c, "self_pay", path), f"{path}.self_pay", minimum=Decimal(0)),
            care=parse_care(c.get("care", INPATIENT), f"{path}.care")))
    return claims


def _yuan_or_none(value: Decimal | None) -> str | None:
    return None if value is None else fmt(value)


def result_view(r: CriticalResult) -> dict[str, Any]:
    return {"id": r.id, "payable": fmt(r.payable), "reasons": list(r.reasons),
            "reason_codes": [x.to_json() for x in r.reason_codes], "self_pay": fmt(r.self_pay),
            "cumulative_self_pay": fmt(r.cumulative_self_pay_after), "cumulative_paid": fmt(r.paid_before + r.payable),
            "benefit_after": fmt(r.benefit_after), "tier": r.tier, "deductible": fmt(r.deductible),
            "ratio": str(r.ratio), "cap": _yuan_or_none(r.cap), "policy_version": r.policy_version,
            "accumulated": r.accumulated}


def calculate_critical(case: Mapping[str, Any]) -> dict[str, Any]:
    policy = parse_critical_policy(_required(case, "policy", ""), prefix="policy", require_version=False)
    person = _object(_required(case, "person", ""), "person")
    assistance = person.get("assistance_recipient", False)
    if not isinstance(assistance, bool):
        raise InvalidInput(f"person.assistance_recipient must be true or false, got {assistance!r}",
                           "person.assistance_recipient")
    claims = _claims(_required(case, "claims", ""))
    by_year: dict[int, list[int]] = {}
    for i, c in enumerate(claims):
        by_year.setdefault(c.date.year, []).append(i)
    results: list[CriticalResult | None] = [None] * len(claims)
    accounts = []
    for year in sorted(by_year):
        out, account = adjudicate(policy, assistance, [claims[i] for i in by_year[year]], CriticalAccount(year))
        for i, r in zip(by_year[year], out, strict=True):
            results[i] = r
        accounts.append({"year": year, "cumulative_self_pay": fmt(account.cumulative_self_pay),
                         "cumulative_paid": fmt(account.cumulative_paid)})
    tier = policy.tier(assistance)
    done = [r for r in results if r is not None]
    return {
        "tier": "assistance" if assistance else "ordinary",
        "deductible": fmt(tier.deductible), "ratio": str(tier.ratio), "cap": _yuan_or_none(tier.cap),
        "policy_version": policy.version,
        "claims": [result_view(r) for r in done],
        "accounts": accounts,
        "total_payable": fmt(sum((r.payable for r in done), Decimal(0))),
    }
