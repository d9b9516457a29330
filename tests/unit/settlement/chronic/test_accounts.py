"""The accumulator view (待遇累计): caps from the policy, what the fund paid per disease, what is left — pure."""

from __future__ import annotations

from datetime import date

from services.settlement.chronic.domain.accounts import accumulator_view
from services.settlement.chronic.domain.records import holding_doc
from tests.unit.settlement.helpers import sample_policy

JUNE = [0, 0, 0, 0, 0, 40000, 0, 0, 0, 0, 0, 0]
ACCOUNT = {"capped_paid_fen": 40000, "uncapped_paid_fen": 0, "deductible_used_fen": 0,
           "monthly_capped_paid_fen": JUNE, "paid_by_disease_fen": {"HTN": 40000}}


def test_a_first_year_holding_shows_its_prorated_caps_and_what_is_left() -> None:
    held = [holding_doc("q1", "HTN", "2025-05-20", insutype="310")]
    view = accumulator_view("P1", 2025, held, ACCOUNT, sample_policy(), date(2025, 7, 1))
    # HTN 3600 a year from June (次月): 3600 × 7/12 = 2100; monthly 3 × 3600 / 12 = 900.
    assert (view["year_cap"], view["monthly_cap"], view["year_cap_left"]) == ("2100.00", "900.00", "1700.00")
    assert (view["paid"], view["capped_paid"], view["uncapped_paid"]) == ("400.00", "400.00", "0.00")
    assert view["months"] == [{"month": "2025-06", "capped_paid": "400.00"}]
    (row,) = view["accounts"]
    assert (row["disease_code"], row["benefit_start"], row["paid"], row["paid_fen"]) == (
        "HTN", "2025-06-01", "400.00", 40000)
    assert (row["annual_cap"], row["deductible"], row["ratio"], row["insutype"]) == ("3600.00", "0.00", "0.80", "310")
    assert view["policy_version"] == sample_policy().version


def test_holdings_outside_the_year_are_not_shown() -> None:
    held = [holding_doc("old", "DM", "2023-02-01", revoked_on="2024-06-30"),   # revoked before the year
            holding_doc("next", "CHD", "2025-12-10"),                           # benefits start in 2026
            holding_doc("now", "HTN", "2025-01-05")]
    view = accumulator_view("P1", 2025, held, {}, sample_policy(), date(2025, 3, 1))
    assert [r["qualification_id"] for r in view["accounts"]] == ["now"]
    assert view["paid"] == "0.00" and view["months"] == []


def test_without_a_policy_the_caps_are_unknown_and_the_holding_says_when_it_starts() -> None:
    held = [holding_doc("q1", "HTN", "2025-05-20", benefit_start="2025-06-01")]
    view = accumulator_view("P1", 2025, held, {}, None, date(2025, 7, 1))
    assert (view["year_cap"], view["monthly_cap"], view["year_cap_left"], view["policy_version"]) == (
        None, None, None, None)
    assert view["accounts"][0]["benefit_start"] == "2025-06-01" and view["accounts"][0]["annual_cap"] is None
