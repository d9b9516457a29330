"""Critical illness benefits (大病保险, RULES.md B): the worked example, the assistance tier, the cap across
claims, rounding, reasons, year accounts, tier changes mid-year and bad input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from chassis.errors import InvalidInput
from services.settlement.critical.domain.claims import (
    CriticalAccount,
    CriticalClaim,
    Tier,
    adjudicate,
    parse_critical_policy,
)

POLICY_FILE = Path(__file__).resolve().parents[4] / "programs" / "qz-critical" / "policy-2025.yaml"
RAW = {"version": "t1", "effective_from": "2025-01-01", "effective_to": "2027-12-31", "deductible": "18000",
       "ratio": "0.70", "cap": "250000", "assistance": {"deductible": "9000", "ratio": "0.80", "cap": None}}
POLICY = parse_critical_policy(RAW)
D = Decimal


def claims(*amounts: str, start: int = 1) -> list[CriticalClaim]:
    return [CriticalClaim(f"c{i}", date(2025, min(12, start + i), 1), D(a)) for i, a in enumerate(amounts)]


def test_worked_example_12000_then_20000_pays_0_then_9800() -> None:
    results, account = adjudicate(POLICY, False, claims("12000.00", "20000.00"), CriticalAccount(2025))
    assert [r.payable for r in results] == [D("0.00"), D("9800.00")]
    assert account.cumulative_self_pay == D("32000.00") and account.cumulative_paid == D("9800.00")
    assert results[0].reason_codes[0].code == "deductible"
    assert results[0].reason_codes[0].params["below"] == "12000.00"
    assert results[0].reasons[0] == str(results[0].reason_codes[0])  # the sentence, as before
    assert any(r.code == "ratio" and D(r.params["ratio"]) == D("0.7") and r.params["above"] == "14000.00"
               for r in results[1].reason_codes)
    assert results[1].policy_version == "t1" and results[1].tier == "ordinary"


def test_assistance_tier_9000_80_percent_no_cap() -> None:
    results, _ = adjudicate(POLICY, True, claims("12000.00", "20000.00"), CriticalAccount(2025))
    assert [r.payable for r in results] == [D("2400.00"), D("16000.00")]
    big, _ = adjudicate(POLICY, True, claims("1000000.00"), CriticalAccount(2025))
    assert big[0].payable == D("792800.00")  # (1,000,000 − 9,000) × 80%, no cap
    assert "year_cap" not in [r.code for r in big[0].reason_codes]


def test_cap_reached_across_claims() -> None:
    # 18,000 + 250,000 / 0.7 = 375,142.857… : the cap binds within the third claim
    results, account = adjudicate(POLICY, False, claims("100000.00", "200000.00", "100000.00", "50000.00"),
                                  CriticalAccount(2025))
    assert [r.payable for r in results] == [D("57400.00"), D("140000.00"), D("52600.00"), D("0.00")]
    assert account.cumulative_paid == D("250000.00")
    assert "year_cap" in [r.code for r in results[2].reason_codes]
    assert "year_cap" in [r.code for r in results[3].reason_codes]


def test_rounding_half_up_to_the_fen_on_the_cumulative_benefit() -> None:
    # 0.70 × 0.01 = 0.007 → 0.01; then 0.70 × 0.02 = 0.014 → 0.01: the second claim pays 0.00
    results, _ = adjudicate(POLICY, False, claims("18000.01", "0.01"), CriticalAccount(2025))
    assert [r.payable for r in results] == [D("0.01"), D("0.00")]
    assert results[1].reasons  # not paid in full: explained
    assert Tier(D("0"), D("0.70"), None).benefit(D("0.05")) == D("0.04")  # 0.035 → 0.04


def test_claims_are_taken_in_date_order_and_results_come_back_in_input_order() -> None:
    later = CriticalClaim("late", date(2025, 9, 1), D("20000.00"))
    early = CriticalClaim("early", date(2025, 2, 1), D("12000.00"))
    results, _ = adjudicate(POLICY, False, [later, early], CriticalAccount(2025))
    assert [(r.id, r.payable) for r in results] == [("late", D("9800.00")), ("early", D("0.00"))]


def test_tier_change_mid_year_pays_new_tier_benefit_less_paid_never_negative() -> None:
    first, account = adjudicate(POLICY, False, claims("32000.00"), CriticalAccount(2025))
    assert first[0].payable == D("9800.00")
    # becomes an assistance recipient: benefit under 9,000/80% on 42,000 = 26,400; paid 9,800 → 16,600
    second, account = adjudicate(POLICY, True, [CriticalClaim("x", date(2025, 8, 1), D("10000.00"))], account)
    assert second[0].payable == D("16600.00")
    assert "tier_change" in [r.code for r in second[0].reason_codes]
    # and back to ordinary: benefit (52,000 − 18,000) × 70% = 23,800 < 26,400 paid → 0, nothing clawed back
    third, account = adjudicate(POLICY, False, [CriticalClaim("y", date(2025, 10, 1), D("10000.00"))], account)
    assert third[0].payable == D("0.00") and account.cumulative_paid == D("26400.00")


def test_outside_policy_dates_pays_nothing_and_does_not_accumulate() -> None:
    policy = parse_critical_policy({**RAW, "effective_from": "2025-03-01"})
    results, account = adjudicate(policy, False, claims("30000.00"), CriticalAccount(2025))
    assert results[0].payable == D("0.00") and [r.code for r in results[0].reason_codes] == ["outside_policy_year"]
    assert account.cumulative_self_pay == D("0.00")


def test_claim_of_another_year_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        adjudicate(POLICY, False, [CriticalClaim("a", date(2026, 1, 2), D("1.00"))], CriticalAccount(2025))
    assert err.value.field == "claims[0].date"


def test_unknown_care_and_duplicate_ids_are_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        adjudicate(POLICY, False, [CriticalClaim("a", date(2025, 1, 2), D("1.00"), care="dental")],
                   CriticalAccount(2025))
    assert err.value.field == "claims[0].care"
    with pytest.raises(InvalidInput) as err:
        adjudicate(POLICY, False, claims("1.00"), CriticalAccount(2025, applied=("c0",)))
    assert err.value.field == "claims[0].id"


@pytest.mark.parametrize(("change", "field"), [
    ({"deductible": "18000.001"}, "deductible"),
    ({"ratio": "1.2"}, "ratio"),
    ({"ratio": 0.7}, "ratio"),
    ({"cap": "-1"}, "cap"),
    ({"assistance": {"deductible": "9000", "ratio": "0.8"}}, "assistance.cap"),
    ({"assistance": {"deductible": "9000.123", "ratio": "0.8", "cap": None}}, "assistance.deductible"),
    ({"effective_to": "2024-01-01"}, "effective_to"),
    ({"version": ""}, "version"),
])
def test_bad_policy_names_the_field(change: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_critical_policy({**RAW, **change})
    assert err.value.field == field


def test_shipped_policy_is_rules_b() -> None:
    policy = parse_critical_policy(yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8")))
    assert policy.ordinary == Tier(D("18000.00"), D("0.70"), D("250000.00"))
    assert policy.assistance == Tier(D("9000.00"), D("0.80"), None)
    assert policy.effective_from == date(2025, 1, 1) and policy.effective_to == date(2027, 12, 31)
