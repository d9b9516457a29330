"""`jingban calc`: one self-contained case in, the benefit calculation out — JSON-shaped dicts, no I/O.

A case carries everything it needs (its own small policy table, the person, the claims), so agency staff, carriers
and tests can check a figure without the platform running. Amounts are decimal strings with two places."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from chassis.errors import InvalidInput
from chassis.money import fmt
from services.settlement.calculator.service.critical import calculate_critical
from services.settlement.calculator.service.finance import FINANCE_PROGRAMS
from services.settlement.chronic.domain.benefits import Claim, Holding, Line, YearAccount, adjudicate, caps_for
from services.settlement.policies.domain.policy import Policy, parse_date, parse_policy, policy_amount


def _object(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{field} must be an object", field)
    return value


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInput(f"{field} must be a list", field)
    return value


def _required(data: Mapping[str, Any], key: str, field: str) -> Any:
    if key not in data or data[key] is None:
        raise InvalidInput(f"{field}.{key} is required" if field else f"{key} is required",
                           f"{field}.{key}" if field else key)
    return data[key]


def _string(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} must be a non-empty string, got {value!r}", field)
    return value.strip()


def _yuan_or_none(value: Decimal | None) -> str | None:
    return None if value is None else fmt(value)


# ---- chronic (门诊慢特病) ------------------------------------------------------------------------------------


def _chronic_policy(raw: Any) -> Policy:
    """The case's table has a `year` instead of effective dates and no names: version "calc", 1 Jan–31 Dec."""
    data = _object(raw, "policy")
    year = _required(data, "year", "policy")
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 9999:
        raise InvalidInput(f"policy.year must be a year such as 2025, got {year!r}", "policy.year")
    rows = _list(_required(data, "diseases", "policy"), "policy.diseases")
    diseases = []
    for i, row in enumerate(rows):
        row = _object(row, f"policy.diseases[{i}]")
        diseases.append({"name": row.get("code"), "category": "", **row})
    table = {
        **{k: v for k, v in data.items() if k != "year"},
        "program": "chronic", "version": "calc", "label": "jingban calc case",
        "effective_from": date(year, 1, 1), "effective_to": date(year, 12, 31), "diseases": diseases,
    }
    return parse_policy(table, prefix="policy")


def _holdings(raw: Any, policy: Policy) -> list[Holding]:
    person = _object(raw, "person")
    quals = _list(_required(person, "qualifications", "person"), "person.qualifications")
    holdings = []
    for i, q in enumerate(quals):
        path = f"person.qualifications[{i}]"
        q = _object(q, path)
        disease = _string(_required(q, "disease", path), f"{path}.disease")
        if disease not in policy.diseases:
            raise InvalidInput(f"{path}.disease {disease} is not in the case's policy table", f"{path}.disease")
        holdings.append(Holding(disease, parse_date(_required(q, "granted_on", path), f"{path}.granted_on")))
    return holdings


def _claims(raw: Any) -> list[Claim]:
    claims = []
    seen: set[str] = set()
    for i, c in enumerate(_list(raw, "claims")):
        path = f"claims[{i}]"
        c = _object(c, path)
        claim_id = _string(_required(c, "id", path), f"{path}.id")
        if claim_id in seen:
            raise InvalidInput(f"claim id {claim_id!r} is given twice", f"{path}.id")
        seen.add(claim_id)
        on = parse_date(_required(c, "date", path), f"{path}.date")
        lines = []
        for j, ln in enumerate(_list(_required(c, "lines", path), f"{path}.lines")):
            lpath = f"{path}.lines[{j}]"
            ln = _object(ln, lpath)
            covered = _required(ln, "covered", lpath)
            if not isinstance(covered, bool):
                raise InvalidInput(f"{lpath}.covered must be true or false, got {covered!r}", f"{lpath}.covered")
            item_code = ln.get("item_code") or ""
            if not isinstance(item_code, str):
                raise InvalidInput(f"{lpath}.item_code must be a string", f"{lpath}.item_code")
            lines.append(Line(
                disease=_string(_required(ln, "disease", lpath), f"{lpath}.disease"),
                amount=policy_amount(_required(ln, "amount", lpath), f"{lpath}.amount"),
                covered=covered, item_code=item_code,
            ))
        claims.append(Claim(claim_id, on, tuple(lines)))
    return claims


def calculate_chronic(case: Mapping[str, Any]) -> dict[str, Any]:
    policy = _chronic_policy(_required(case, "policy", ""))
    holdings = _holdings(_required(case, "person", ""), policy)
    claims = _claims(_required(case, "claims", ""))
    caps = caps_for(policy, holdings, policy.year)
    results, _ = adjudicate(policy, holdings, claims, YearAccount(policy.year))
    return {
        "year_cap": _yuan_or_none(caps.year_cap),
        "monthly_cap": _yuan_or_none(caps.monthly_cap),
        "claims": [
            {"id": r.id, "payable": fmt(r.payable),
             "lines": [{"payable": fmt(ln.payable), "reasons": list(ln.reasons),
                        "reason_codes": [x.to_json() for x in ln.reason_codes]} for ln in r.lines]}
            for r in results
        ],
        "total_payable": fmt(sum((r.payable for r in results), Decimal(0))),
    }


# Issue 4 adds critical, corridor, service_fee and year_end.
PROGRAMS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {"chronic": calculate_chronic}
PROGRAMS["critical"] = calculate_critical  # 大病保险 (RULES.md B)
PROGRAMS.update(FINANCE_PROGRAMS)  # corridor, service_fee, year_end, premium (calc_finance.py)


def calculate(case: dict[str, Any]) -> dict[str, Any]:
    """Dispatch on `case["program"]`; InvalidInput (with the field path) on anything malformed."""
    _object(case, "case")
    program = _required(case, "program", "")
    handler = PROGRAMS.get(program) if isinstance(program, str) else None
    if handler is None:
        raise InvalidInput(f"unknown program {program!r}; known: {', '.join(sorted(PROGRAMS))}", "program")
    return handler(case)
