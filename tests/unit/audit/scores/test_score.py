"""The carrier's yearly score (绩效考核, audit/scores/domain/score.py): the evaluation table's items, the score from
deductions capped at each item's weight, the grade at the bands' boundaries (90, 80, 70, 60) from program.yaml, and
the year's due dates (one month after the year, three months after it, one month after the assessment)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chassis.errors import InvalidInput
from chassis.programs import load_program
from jingban.calc_cli import calculate_case
from services.audit.scores.domain.score import (
    grade_of,
    load_items,
    lot_of,
    months_after,
    parse_items,
    performance_payment_due,
    schedule,
    yearly_score,
)

BANDS = load_program("wz-ltc").setting("ltc", "score_bands")
WEIGHTS = load_items().weights


def test_the_sample_table_is_versioned_and_sums_to_100() -> None:
    items = load_items()
    assert items.version == "wz-ltc-score-sample.1" and "SAMPLE" in items.label
    assert sum(items.weights.values()) == 100 and items.weights["reporting"] == Decimal("10")
    for raw, field in (({"version": "x", "items": {"a": {"weight": "60"}, "b": {"weight": "30"}}}, "items"),
                       ({"version": "x", "items": {"a": {"weight": "100"}, "b": {"weight": "0"}}}, "items"),
                       ({"version": "x", "items": {"a": {}}}, "items.a"), ({"items": {}}, "items")):
        with pytest.raises(InvalidInput) as err:
            parse_items(raw)
        assert (err.value.field, err.value.code) == (field, "score_items_invalid")


def test_the_score_is_100_less_the_deductions() -> None:
    score, reasons = yearly_score(WEIGHTS, {"service_management": "6", "insured_evaluation": "4.5"})
    assert score == Decimal("89.5")
    assert [r.code for r in reasons] == ["ltc_deduction", "ltc_deduction", "ltc_score"]
    assert yearly_score(WEIGHTS, {"reporting": "10"})[0] == 90  # an item's whole weight may go
    assert yearly_score(WEIGHTS, {})[0] == 100


@pytest.mark.parametrize(("deductions", "field", "code"), [
    ({"reporting": "10.5"}, "deductions.reporting", "deduction_above_weight"),
    ({"catering": "1"}, "deductions.catering", "invalid_input"),
    ({"reporting": "-1"}, "deductions.reporting", "invalid_input"),
    ({"reporting": 1.5}, "deductions.reporting", "invalid_input"),       # points are decimal strings
    ({"reporting": "1.005"}, "deductions.reporting", "invalid_input"),   # at most two decimals
    ({"reporting": "NaN"}, "deductions.reporting", "invalid_input"),
    (["reporting"], "deductions", "invalid_input"),
])
def test_a_bad_deduction_is_refused_naming_the_item(deductions: object, field: str, code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        yearly_score(WEIGHTS, deductions)  # type: ignore[arg-type]
    assert (err.value.field, err.value.code) == (field, code)
    if code == "deduction_above_weight":
        assert err.value.params == {"item": "reporting", "weight": "10"}


@pytest.mark.parametrize(("score", "grade", "lost"), [
    ("100", "excellent", False), ("90", "excellent", False), ("89.99", "good", False), ("80", "good", False),
    ("79.99", "pass", False), ("70", "pass", False), ("69.99", "poor", False), ("60", "poor", False),
    ("59.99", "fail", True), ("0", "fail", True)])
def test_the_grade_at_the_bands_boundaries(score: str, grade: str, lost: bool) -> None:
    g = grade_of(Decimal(score), BANDS)
    assert (g.grade, g.contract_lost) == (grade, lost) and g.reason.code == "ltc_grade"


def test_the_lots_of_the_tenants() -> None:
    assert [lot_of(t) for t in ("wz-a", "wz-b", "wz-e", "hz-p1")] == ["A", "B", "E", ""]


def test_months_end_on_the_corresponding_day_or_the_month_s_last() -> None:
    assert months_after(date(2026, 3, 15), 1) == date(2026, 4, 15)
    assert months_after(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert months_after(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert months_after(date(2025, 12, 31), 1) == date(2026, 1, 31)


def test_the_year_s_due_dates() -> None:
    # 2025: the carrier's report by Saturday 2026-01-31 → the next working day, Monday 2 February (民法典 203);
    # the assessment by Tuesday 2026-03-31.
    steps = {s.step: s for s in schedule(2025, date(2026, 3, 1), date(2026, 1, 20), None, None)}
    assert steps["carrier_report"].due.due == date(2026, 2, 2) and not steps["carrier_report"].overdue
    assert steps["assessment"].due.due == date(2026, 3, 31) and not steps["assessment"].overdue
    assert steps["performance_payment"].due is None and not steps["performance_payment"].overdue
    late = {s.step: s for s in schedule(2025, date(2026, 6, 1), date(2026, 2, 3), date(2026, 4, 2), None)}
    assert late["carrier_report"].overdue and late["assessment"].overdue
    # assessed 2 April: the money by 2 May, a holiday (劳动节) → the next working day.
    assert late["performance_payment"].due == performance_payment_due(date(2026, 4, 2))
    assert late["performance_payment"].due.due == date(2026, 5, 6) and late["performance_payment"].overdue
    paid = {s.step: s for s in schedule(2025, date(2026, 6, 1), None, date(2026, 3, 10), date(2026, 4, 9))}
    assert paid["performance_payment"].due.due == date(2026, 4, 10) and not paid["performance_payment"].overdue
    assert paid["carrier_report"].overdue and paid["carrier_report"].done_on is None


def test_jingban_calc_takes_the_score_from_audit_s_rule() -> None:
    out = calculate_case({"program": "ltc_fee", "unit_price": "3.23", "insured": 794_300, "first_year": False,
                          "deductions": {"service_management": "6", "insured_evaluation": "4.5"}})
    assert out["score"] == "89.5" and out["grade"] == "good"
    assert [r["code"] for r in out["reason_codes"]][:3] == ["ltc_deduction", "ltc_deduction", "ltc_score"]
    assert out["reasons"][0] == "ltc_deduction: service_management: −6 (of 30)"
    whole = calculate_case({"program": "ltc_fee", "unit_price": "3.23", "insured": 794_300, "first_year": False,
                            "deductions": {"reporting": "10"}})
    assert whole["score"] == "90" and whole["grade"] == "excellent"
    with pytest.raises(InvalidInput) as err:
        calculate_case({"program": "ltc_fee", "unit_price": "3.23", "insured": 1, "first_year": False,
                        "deductions": {"reporting": "10.5"}})
    assert (err.value.field, err.value.code) == ("deductions.reporting", "deduction_above_weight")
    with pytest.raises(InvalidInput) as err:
        calculate_case({"program": "ltc_fee", "unit_price": "3.23", "insured": 1, "score": "90",
                        "deductions": {"reporting": "1"}})
    assert err.value.field == "score"
