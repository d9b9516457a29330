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


def test_the_score_from_deductions_is_audit_s_not_the_calculator_s() -> None:
    """settlement's calculator takes the score; the deductions are worked out by audit's rule (`jingban calc` does it
    first: tests/unit/audit/scores/test_score.py)."""
    with pytest.raises(InvalidInput) as err:
        calculate({"program": "ltc_fee", "unit_price": "3.23", "insured": 1, "first_year": False,
                   "deductions": {"reporting": "1"}})
    assert err.value.field == "deductions"


def test_the_bands_are_program_yaml_s_and_the_base_fee_waits_for_no_score() -> None:
    from services.settlement.fund.domain.ltc_fee import BANDS, band_of, lot_base, ltc_base_fee

    assert [(str(b.lowest), b.grade, str(b.share), b.contract_lost) for b in BANDS] == [
        ("90", "excellent", "1", False), ("80", "good", "0.8", False), ("70", "pass", "0.6", False),
        ("60", "poor", "0", False), ("0", "fail", "0", True)]
    assert band_of(Decimal("59.99")).contract_lost and not band_of(Decimal("60")).contract_lost
    base = lot_base("wz-b")
    assert (base.lot, base.unit_price, base.insured, base.first_service_year) == ("B", Decimal("3.20"), 794_300, 2023)
    fee = ltc_base_fee(base.unit_price, base.insured, False, base.lot)
    assert (fee.fee, fee.withheld, fee.paid_in_year) == (Decimal("2541760.00"), Decimal("254176.00"),
                                                         Decimal("2287584.00"))
    assert [r.code for r in fee.reasons] == ["ltc_fee", "ltc_withheld"]


def test_the_score_settlement_keeps_from_audit_s_event() -> None:
    from chassis.errors import PoisonMessage
    from contracts.v1 import events_pb2
    from services.settlement.fund.service.ltc_fee import score_of

    good = events_pb2.CarrierScoreAssessed(year=2025, score="85", grade="good", items_version="v1", revision=2,
                                           lot="B", assessed_on="2026-03-10", performance_due_on="2026-04-10",
                                           deductions={"reporting": "15"})
    year, kept = score_of(good)
    assert (year, kept["score"], kept["grade"], kept["revision"], kept["performance_due_on"]) == (
        2025, "85", "good", 2, "2026-04-10")
    for change in ({"score": "101"}, {"score": "x"}, {"revision": 0}, {"year": 0}, {"assessed_on": ""},
                   {"performance_due_on": "2026-13-01"}):
        bad = events_pb2.CarrierScoreAssessed()
        bad.CopyFrom(good)
        for k, v in change.items():
            setattr(bad, k, v)
        with pytest.raises(PoisonMessage):
            score_of(bad)
