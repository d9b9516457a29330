"""The Wenzhou long-term care carrier's fee and performance part (fund/domain/ltc_fee.py) at the tender's bands."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chassis.errors import InvalidInput
from services.settlement.calculator.service.calculate import calculate
from services.settlement.fund.domain.ltc_fee import grade_of, ltc_fee


@pytest.mark.parametrize(("score", "grade", "share"), [
    ("100", "excellent", "1"), ("90", "excellent", "1"), ("89.99", "good", "0.8"), ("80", "good", "0.8"),
    ("79.9", "pass", "0.6"), ("70", "pass", "0.6"), ("69.9", "poor", "0"), ("60", "poor", "0"),
    ("59.9", "fail", "0"), ("0", "fail", "0"),
])
def test_the_score_bands_at_their_boundaries(score: str, grade: str, share: str) -> None:
    assert grade_of(Decimal(score)) == (grade, Decimal(share))


def test_a_normal_year_and_the_first_year() -> None:
    normal = ltc_fee(Decimal("3.31"), 853_900, False, Decimal("92"))
    assert normal.fee == Decimal("2826409.00") and normal.withheld == Decimal("282640.90")
    assert normal.paid_in_year == Decimal("2543768.10") and normal.performance_paid == Decimal("282640.90")
    first = ltc_fee(Decimal("3.31"), 853_900, True, Decimal("85"))
    assert first.fee == Decimal("2119806.75")  # three quarters
    assert first.withheld == Decimal("211980.68") and first.paid_in_year == first.fee - first.withheld
    assert first.performance_paid == Decimal("169584.54")  # 80%
    assert [r.code for r in first.reasons] == ["ltc_fee", "ltc_first_year", "ltc_withheld", "ltc_score_band"]


def test_below_seventy_nothing_and_below_sixty_the_contract_is_lost() -> None:
    poor = ltc_fee(Decimal("3.23"), 100_000, False, Decimal("65"))
    assert poor.performance_paid == 0 and not poor.contract_lost and poor.grade == "poor"
    fail = ltc_fee(Decimal("3.23"), 100_000, False, Decimal("59.5"))
    assert fail.performance_paid == 0 and fail.contract_lost and fail.reasons[-1].code == "ltc_contract_lost"
    assert fail.paid_in_year == Decimal("290700.00")  # the 90% not withheld is the carrier's still


@pytest.mark.parametrize(("args", "field", "code"), [
    ((Decimal("3.31"), 10, False, Decimal("100.5")), "score", "score_out_of_range"),
    ((Decimal("3.31"), 10, False, Decimal("-1")), "score", "score_out_of_range"),
    ((Decimal("0"), 10, False, Decimal("90")), "unit_price", "invalid_input"),
    ((Decimal("3.31"), -1, False, Decimal("90")), "insured", "invalid_input"),
    ((Decimal("3.32"), 10, False, Decimal("90"), "A"), "unit_price", "above_ceiling"),
    ((Decimal("3.00"), 10, False, Decimal("90"), "F"), "lot", "invalid_input"),
])
def test_bad_input_names_the_field(args: tuple, field: str, code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        ltc_fee(*args)
    assert err.value.field == field and err.value.code == code


def test_jingban_calc_ltc_fee_as_the_issue_shows_it() -> None:
    out = calculate({"program": "ltc_fee", "unit_price": "3.31", "insured": 853900, "first_year": True,
                     "score": "85"})
    assert {k: out[k] for k in ("fee", "withheld", "paid_in_year", "performance_paid", "grade", "contract_lost")} == {
        "fee": "2119806.75", "withheld": "211980.68", "paid_in_year": "1907826.07", "performance_paid": "169584.54",
        "grade": "good", "contract_lost": False}
    assert [r["code"] for r in out["reason_codes"]][-1] == "ltc_score_band"
    with pytest.raises(InvalidInput) as err:
        calculate({"program": "ltc_fee", "unit_price": "3.31", "insured": 1, "first_year": "yes", "score": "85"})
    assert err.value.field == "first_year"


def test_the_fee_s_ceilings_are_the_lot_table_s() -> None:
    """The ceilings the fee checks are those of programs/wz-ltc/lots.yaml (the tender's lot table)."""
    from pathlib import Path

    import yaml

    from services.settlement.fund.domain.ltc_fee import CEILINGS

    raw = yaml.safe_load((Path(__file__).resolve().parents[4] / "programs" / "wz-ltc" / "lots.yaml").read_text(
        encoding="utf-8"))
    assert {code: Decimal(spec["ceiling"]) for code, spec in raw["lots"].items()} == CEILINGS


def test_the_yearly_score_from_deductions_capped_at_each_item_s_weight() -> None:
    out = calculate({"program": "ltc_fee", "unit_price": "3.23", "insured": 794_300, "first_year": False,
                     "deductions": {"service_management": "6", "insured_evaluation": "4.5"}})
    assert out["score"] == "89.5" and out["grade"] == "good"
    assert [r["code"] for r in out["reason_codes"]][:2] == ["ltc_deduction", "ltc_deduction"]
    whole = calculate({"program": "ltc_fee", "unit_price": "3.23", "insured": 794_300, "first_year": False,
                       "deductions": {"reporting": "10"}})  # an item's whole weight may go
    assert whole["score"] == "90" and whole["grade"] == "excellent"
    for deductions, field, code in (({"reporting": "10.5"}, "deductions.reporting", "deduction_above_weight"),
                                    ({"catering": "1"}, "deductions.catering", "invalid_input"),
                                    ({"reporting": "-1"}, "deductions.reporting", "invalid_input")):
        with pytest.raises(InvalidInput) as err:
            calculate({"program": "ltc_fee", "unit_price": "3.23", "insured": 1, "first_year": False,
                       "deductions": deductions})
        assert (err.value.field, err.value.code) == (field, code)
    with pytest.raises(InvalidInput) as err:
        calculate({"program": "ltc_fee", "unit_price": "3.23", "insured": 1, "score": "90",
                   "deductions": {"reporting": "1"}})
    assert err.value.field == "score"
