"""`jingban calc` finance kinds: decimal strings in and out, reasons, precise field paths."""

from __future__ import annotations

from typing import Any

import pytest

from chassis.errors import InvalidInput
from services.settlement.calculator.service.calculate import calculate


def test_corridor_case() -> None:
    out = calculate({"program": "corridor", "premium": "10000000.00", "claims": "9000000.00",
                     "admin_cost": "300000.00"})
    assert (out["result"], out["carrier"], out["fund"]) == ("700000.00", "450000.00", "250000.00")
    assert len(out["reasons"]) == 5
    # The codes beside the sentences (`jingban calc` keeps its keys): one per sentence, in the same order.
    assert [c["detail"] for c in out["reason_codes"]] == out["reasons"]
    assert {c["code"] for c in out["reason_codes"]} <= {"corridor_result", "carrier_alone_band", "shared_band",
                                                        "fund_band", "corridor_split"}


def test_service_fee_case() -> None:
    out = calculate({"program": "service_fee", "total_reimbursement": "300000000.00", "reimbursement_share": "0.60",
                     "bid_rate": "0.008", "cap": "1200000.00", "targets_met": 1, "targets_total": 2})
    assert (out["fee"], out["base"], out["performance"], out["payable"]) == (
        "1200000.00", "960000.00", "120000.00", "1080000.00")
    assert out["reason_codes"] and all(c["code"] for c in out["reason_codes"])


def test_year_end_case() -> None:
    out = calculate({"program": "year_end", "budget": "100000000.00", "accounts": [
        {"tenant": "hz-p1", "share": "0.6", "allocated": "51000000.00", "interest": "100000.00",
         "paid": "65000000.00", "fee": "1200000.00"},
        {"tenant": "hz-p2", "share": "0.4", "allocated": "34000000.00", "interest": "50000.00",
         "paid": "41150000.00", "fee": "800000.00"}]})
    assert out["outcome"] == "deficit" and out["fund_part"] == "1200000.00"
    assert [a["settlement"] for a in out["accounts"]] == ["11020000.00", "5180000.00"]
    assert "deficit_split" in {c["code"] for c in out["reason_codes"]} | {
        c["code"] for a in out["accounts"] for c in a["reason_codes"]}


def test_premium_case() -> None:
    out = calculate({"program": "premium", "years": [2025, 2026, 2027]})
    # Without a bid the premiums shown are the ceilings (最高预算单价), the most a bid may be.
    assert out["premiums"] == out["ceilings"] == {"2025": "149.00", "2026": "153.47", "2027": "158.07"}
    assert out["bid"] is None
    assert [c["code"] for c in out["reason_codes"]] == ["ceiling_schedule", *["premium_ceiling"] * 4]
    assert [c["detail"] for c in out["reason_codes"]] == out["reasons"]


def test_premium_with_a_base_year_bid_grows_and_rounds_like_the_ceiling() -> None:
    out = calculate({"program": "premium", "bid": "142.50", "years": [2025, 2026]})
    assert out["ceilings"] == {"2025": "149.00", "2026": "153.47"}
    assert out["premiums"] == {"2025": "142.50", "2026": "146.78"}  # 142.50 × 1.03 = 146.775 → 146.78
    # Years after the base year only: still grown from the base-year bid.
    assert calculate({"program": "premium", "bid": "142.50", "years": [2027]})["premiums"] == {"2027": "151.18"}
    # A bid equal to the ceiling is valid; the older name `base` still reads as the ceiling.
    assert calculate({"program": "premium", "bid": "149.00", "base": "149.00", "years": [2026]})["premiums"] == {
        "2026": "153.47"}


@pytest.mark.parametrize("case, field, words", [
    ({"program": "premium", "bid": "149.01", "years": [2025, 2026]}, "bid", "above that year's ceiling"),
    ({"program": "premium", "bid": "149.01", "years": [2027]}, "bid", "149.00"),  # checked in the base year
    ({"program": "premium", "bid": "-1.00", "years": [2025]}, "bid", "positive"),
    ({"program": "premium", "bid": 142.5, "years": [2025]}, "bid", "decimal string"),
    ({"program": "premium", "bid": "142.505", "years": [2025]}, "bid", "two decimals"),
    ({"program": "premium", "bid": "140.00", "ceiling": "139.99", "years": [2025]}, "bid", "139.99"),
    ({"program": "premium", "ceiling": "149.00", "base": "149.00", "years": [2025]}, "ceiling", "once"),
])
def test_a_bad_bid_names_the_field(case: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(InvalidInput) as err:
        calculate(case)
    assert err.value.field == field and words in err.value.message


@pytest.mark.parametrize("case, field", [
    ({"program": "corridor", "premium": "10000000.001", "claims": "1.00", "admin_cost": "1.00"}, "premium"),
    ({"program": "corridor", "premium": 10000000.0, "claims": "1.00", "admin_cost": "1.00"}, "premium"),
    ({"program": "corridor", "premium": "1.00", "claims": "1.00"}, "admin_cost"),
    ({"program": "service_fee", "total_reimbursement": "1.00", "reimbursement_share": "0.6", "bid_rate": "0.02",
      "cap": "1.00"}, "bid_rate"),
    ({"program": "year_end", "budget": "1.00", "accounts": [{"tenant": "a", "share": "1", "allocated": "x",
                                                             "paid": "1.00"}]}, "accounts[0].allocated"),
    ({"program": "year_end", "budget": "1.00", "accounts": []}, "accounts"),
    ({"program": "premium", "years": [2025, 2026, 2028]}, "years[2]"),
])
def test_bad_cases_name_the_field(case: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        calculate(case)
    assert err.value.field == field
