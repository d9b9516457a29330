"""`jingban calc` kinds for fund finance: `corridor`, `service_fee`, `year_end` and `premium` — JSON in (amounts as
decimal strings), JSON out (amounts as decimal strings, with reasons); InvalidInput names the field path.

Input shapes:
- corridor:    {"program": "corridor", "premium": "10000000.00", "claims": "9000000.00", "admin_cost": "300000.00",
                "carrier_alone"?: "0.03", "shared_to"?: "0.06", "carrier_share_between"?: "0.50"}
- service_fee: {"program": "service_fee", "total_reimbursement": "300000000.00", "reimbursement_share": "0.60",
                "bid_rate": "0.008", "cap": "1200000.00", "base_share"?: "0.80", "targets_met"?: 8,
                "targets_total"?: 10}
- year_end:    {"program": "year_end", "budget": "100000000.00", "fund_share"?: "0.30",
                "accounts": [{"tenant": "hz-p1", "share": "0.6", "allocated": "51000000.00", "interest": "100000.00",
                              "recoveries"?: "0.00", "paid": "65000000.00", "fee": "1200000.00",
                              "carrier_liability"?: "0.00"}, ...]}
                (carrier_liability: losses the carrier paid back in full, 承办方全额承担 — outside the sharing)
- premium:     {"program": "premium", "bid"?: "142.50", "base_year"?: 2025, "ceiling"?: "149.00", "growth"?: "0.03",
                "years": [2025, 2026, 2027]}
               `ceilings`: the tender's ceiling unit price (最高预算单价) of each year, the base-year ceiling grown by
               `growth` a year and rounded to the fen; `premiums`: the carrier's bid (中标价) of the base year grown and
               rounded the same way, each checked against its year's ceiling — without a bid, the ceilings. (`base`
               is read as the ceiling, as before.)"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from chassis.errors import InvalidInput
from chassis.money import parse_amount
from chassis.reasons import Reason
from services.settlement.fund.domain import ltc_fee as ltc
from services.settlement.fund.domain import year_end as ye
from services.settlement.fund.domain.reasons import REASONS


def _yuan_field(data: Mapping[str, Any], key: str, path: str = "", required: bool = True) -> Decimal | None:
    field = f"{path}.{key}" if path else key
    if data.get(key) is None:
        if required:
            raise InvalidInput(f"{field} is required", field)
        return None
    value = data[key]
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a decimal string such as \"1000.00\", got {value!r}", field)
    return parse_amount(value, field)  # the one money parser (negative allowed: a correction)


def _ratio(data: Mapping[str, Any], key: str, default: str | None = None, path: str = "") -> Decimal:
    field = f"{path}.{key}" if path else key
    value = data.get(key, default)
    if value is None:
        raise InvalidInput(f"{field} is required", field)
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a decimal string such as \"0.03\", got {value!r}", field)
    try:
        out = Decimal(value)
    except InvalidOperation as exc:
        raise InvalidInput(f"{field} is not a number: {value!r}", field) from exc
    if not out.is_finite():
        raise InvalidInput(f"{field} must be finite", field)
    return out


def _whole(data: Mapping[str, Any], key: str, default: int | None = None) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{key} must be a whole number, got {value!r}", key)
    return value


def _m(value: Decimal) -> str:
    return f"{value:.2f}"


def _codes(reasons: Sequence[Reason]) -> list[dict[str, Any]]:
    """The reasons as data, beside the sentences `jingban calc` always printed."""
    return [r.to_json() for r in reasons]


def calculate_corridor(case: Mapping[str, Any]) -> dict[str, Any]:
    c = ye.corridor(_yuan_field(case, "premium"), _yuan_field(case, "claims"), _yuan_field(case, "admin_cost"),  # type: ignore
                    _ratio(case, "carrier_alone", "0.03"), _ratio(case, "shared_to", "0.06"),
                    _ratio(case, "carrier_share_between", "0.50"))
    return {"result": _m(c.result), "ratio": str(c.ratio), "carrier": _m(c.carrier), "fund": _m(c.fund),
            "bands": [{"band": n, "amount": _m(a), "carrier": _m(k)} for n, a, k in c.bands],
            "reasons": list(c.reasons), "reason_codes": _codes(c.reason_codes)}


def calculate_service_fee(case: Mapping[str, Any]) -> dict[str, Any]:
    f = ye.service_fee(_yuan_field(case, "total_reimbursement"), _ratio(case, "reimbursement_share"),  # type: ignore
                       _ratio(case, "bid_rate"), _yuan_field(case, "cap"), _ratio(case, "base_share", "0.80"),
                       _whole(case, "targets_met", 1), _whole(case, "targets_total", 1))
    return {"fee": _m(f.fee), "uncapped": _m(f.uncapped), "base": _m(f.base), "performance_max": _m(f.performance_max),
            "performance": _m(f.performance), "payable": _m(f.payable), "reasons": list(f.reasons),
            "reason_codes": _codes(f.reason_codes)}


def calculate_year_end(case: Mapping[str, Any]) -> dict[str, Any]:
    rows = case.get("accounts")
    if not isinstance(rows, list) or not rows:
        raise InvalidInput("accounts must be a non-empty list", "accounts")
    accounts = []
    for i, row in enumerate(rows):
        path = f"accounts[{i}]"
        if not isinstance(row, Mapping):
            raise InvalidInput(f"{path} must be an object", path)
        tenant = row.get("tenant")
        if not isinstance(tenant, str) or not tenant:
            raise InvalidInput(f"{path}.tenant is required", f"{path}.tenant")
        accounts.append(ye.AccountYear(
            tenant, _ratio(row, "share", path=path), _yuan_field(row, "allocated", path),  # type: ignore[arg-type]
            _yuan_field(row, "interest", path, False) or Decimal("0.00"),
            _yuan_field(row, "recoveries", path, False) or Decimal("0.00"),
            _yuan_field(row, "paid", path), _yuan_field(row, "fee", path, False) or Decimal("0.00"),  # type: ignore[arg-type]
            _yuan_field(row, "carrier_liability", path, False) or Decimal("0.00")))
    r = ye.year_end(_yuan_field(case, "budget"), accounts, _ratio(case, "fund_share", "0.30"))  # type: ignore[arg-type]
    return {"outcome": r.outcome, "budget": _m(r.budget), "result": _m(r.result),
            "fee_deductions": _m(r.fee_deductions), "fund_part": _m(r.fund_part),
            "carriers_part": _m(r.carriers_part), "reasons": list(r.reasons), "reason_codes": _codes(r.reason_codes),
            "accounts": [{"tenant": a.tenant, "budget": _m(a.budget), "position": _m(a.position),
                          "fee_deduction": _m(a.fee_deduction), "carrier_deficit": _m(a.carrier_deficit),
                          "carrier_bears": _m(a.carrier_bears), "carrier_liability": _m(a.carrier_liability),
                          "carrier_bears_in_all": _m(a.carrier_bears_in_all), "settlement": _m(a.settlement),
                          "reasons": list(a.reasons), "reason_codes": _codes(a.reason_codes)}
                         for a in r.accounts]}


def calculate_premium(case: Mapping[str, Any]) -> dict[str, Any]:
    years = case.get("years")
    if not isinstance(years, list):
        raise InvalidInput("years must be a list of years such as [2025, 2026, 2027]", "years")
    base_year = _whole(case, "base_year", 2025)
    if case.get("ceiling") is not None and case.get("base") is not None:
        raise InvalidInput("give the ceiling once: ceiling (or its older name base), not both", "ceiling")
    key = "ceiling" if case.get("base") is None else "base"
    growth = _ratio(case, "growth", "0.03")
    ceiling = _yuan_field(case, key, required=False) or Decimal("149.00")
    ceilings = ye.premium_schedule(base_year, ceiling, growth, years, key)
    bid = _yuan_field(case, "bid", required=False)
    if bid is not None:
        # The base-year bid is checked against the base-year ceiling (naming `bid`), then grows like the ceiling;
        # rounding half up is monotone, so each later year stays within its ceiling too (checked all the same).
        ye.check_bid(base_year, bid, ye.premium_schedule(base_year, ceiling, growth, [base_year], key)[base_year])
        rows = ye.premiums(ceilings, ye.premium_schedule(base_year, bid, growth, years, "bid"), "bid")
    else:
        rows = ye.premiums(ceilings, None)
    reasons = [f"ceiling (最高预算单价) {ceiling:.2f} in {base_year}; each later year the previous year's ceiling × "
               f"(1 + {growth}), rounded half up to the fen (四舍五入到分)"]
    reasons.append(f"premium = the bid (中标价) {bid:.2f} of {base_year}, grown and rounded the same way, never above "
                   "its year's ceiling" if bid is not None else
                   "no bid given: premiums are the ceilings (the most a bid may be)")
    codes = [REASONS.reason("ceiling_schedule", reasons[0], base_year=base_year, ceiling=f"{ceiling:.2f}",
                            growth=growth),
             REASONS.reason("premium_bid" if bid is not None else "premium_ceiling", reasons[1],
                            **({"bid": f"{bid:.2f}"} if bid is not None else {}))]
    return {"ceilings": {str(y): _m(r.ceiling) for y, r in rows.items()},
            "premiums": {str(y): _m(r.premium) for y, r in rows.items()},
            "bid": None if bid is None else _m(bid),
            "reasons": reasons + [r for row in rows.values() for r in row.reasons],
            "reason_codes": _codes(codes) + [c for row in rows.values() for c in _codes(row.reason_codes)]}


def calculate_ltc_fee(case: Mapping[str, Any]) -> dict[str, Any]:
    """`{"program": "ltc_fee", "unit_price": "3.31", "insured": 853900, "first_year": true, "score": "85",
    "lot"?: "A"}`: the Wenzhou long-term care carrier's fee and its performance part (fund/domain/ltc_fee.py)."""
    first_year = case.get("first_year", False)
    if not isinstance(first_year, bool):
        raise InvalidInput(f"first_year must be true or false, got {first_year!r}", "first_year")
    lot = case.get("lot")
    if lot is not None and not isinstance(lot, str):
        raise InvalidInput(f"lot must be a letter A–E, got {lot!r}", "lot")
    if "deductions" in case:
        # The score from the evaluation table's deductions is audit's rule (绩效考核): `jingban calc` works it out
        # there (services/audit/scores) and hands this the score.
        raise InvalidInput("the score from deductions is worked out by `jingban calc` (audit's evaluation table); "
                           "give the score here", "deductions")
    score = _ratio(case, "score")
    f = ltc.ltc_fee(_yuan_field(case, "unit_price"), _whole(case, "insured"), first_year,  # type: ignore[arg-type]
                    score, lot)
    reasons = f.reasons
    return {"fee": _m(f.fee), "withheld": _m(f.withheld), "paid_in_year": _m(f.paid_in_year),
            "performance_paid": _m(f.performance_paid), "grade": f.grade, "contract_lost": f.contract_lost,
            "score": str(score), "reasons": [str(r) for r in reasons], "reason_codes": _codes(reasons)}


FINANCE_PROGRAMS = {"ltc_fee": calculate_ltc_fee, "corridor": calculate_corridor, "service_fee": calculate_service_fee,
                    "year_end": calculate_year_end, "premium": calculate_premium}
