"""Each of the eleven rules: a case it flags, a case it does not, and its boundaries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.audit.smart_review.domain.checks import age_on
from tests.unit.audit.smart_review.cases import OTHER, claim, line, of, run

# ---- over_price (超标准收费) -------------------------------------------------------------------------------------


def test_over_price_flags_the_excess_times_the_quantity() -> None:
    hits = of(run([claim("c1", [line("c1-1", "D001", "2025-03-02", "2", "15.00")])]), "over_price")
    assert [(h.claim_id, h.line_ids, h.amount) for h in hits] == [("c1", ("c1-1",), Decimal("5.00"))]
    assert "D001" in hits[0].reason.detail and "12.50" in hits[0].reason.detail
    assert hits[0].reason.params["max_price"] == "12.50"


def test_over_price_at_exactly_the_maximum_or_without_one_is_no_hit() -> None:
    hits = run([claim("c1", [line("c1-1", "D001", "2025-03-02", "2", "12.50"),
                             line("c1-2", "D002", "2025-03-02", "1", "999.00")])])
    assert of(hits, "over_price") == []


def test_over_price_rounds_half_up_to_the_fen() -> None:
    # (15.01 − 12.50) × 0.5 = 1.255 → 1.26
    hits = of(run([claim("c1", [line("c1-1", "D001", "2025-03-02", "0.5", "15.01")])]), "over_price")
    assert hits[0].amount == Decimal("1.26")


def test_one_over_price_hit_per_line() -> None:
    hits = of(run([claim("c1", [line("c1-1", "D001", "2025-03-02", "1", "13.00"),
                                line("c1-2", "D001", "2025-03-03", "1", "14.00")])]), "over_price")
    assert [(h.line_ids, h.amount) for h in hits] == [(("c1-1",), Decimal("0.50")), (("c1-2",), Decimal("1.50"))]


# ---- duplicate_charge (重复收费) ---------------------------------------------------------------------------------


def test_duplicate_charge_within_one_claim() -> None:
    hits = of(run([claim("c1", [line("c1-1", "S020", "2025-03-02", "1", "30.00"),
                                line("c1-2", "S020", "2025-03-02", "1", "30.00")])]), "duplicate_charge")
    assert [(h.claim_id, h.line_ids, h.amount) for h in hits] == [("c1", ("c1-1", "c1-2"), Decimal("30.00"))]
    assert "2 times" in hits[0].reason.detail and "H01" in hits[0].reason.detail


def test_duplicate_charge_across_claims_lists_every_line_and_charges_all_but_the_first() -> None:
    claims = [claim(c, [line(f"{c}-1", "S020", "2025-03-02", "2", "30.00")]) for c in ("c1", "c2", "c3")]
    hits = of(run(claims), "duplicate_charge")
    assert [(h.claim_id, h.line_ids, h.amount) for h in hits] == [
        ("c1", ("c1-1", "c2-1", "c3-1"), Decimal("120.00"))]
    # Reviewing c3 against c1 and c2 as history: the same group, charged to the first new claim.
    (hit,) = of(run(claims, new={"c3"}), "duplicate_charge")
    assert (hit.claim_id, hit.line_ids, hit.amount) == ("c3", ("c1-1", "c2-1", "c3-1"), Decimal("120.00"))


@pytest.mark.parametrize("second", [
    line("c2-1", "S020", "2025-03-02", "2", "30.00"),   # other quantity
    line("c2-1", "S020", "2025-03-02", "1", "31.00"),   # other price
    line("c2-1", "S020", "2025-03-03", "1", "30.00"),   # other date
    line("c2-1", "S010", "2025-03-02", "1", "30.00"),   # other item
])
def test_duplicate_charge_needs_every_key_equal(second: dict[str, object]) -> None:
    claims = [claim("c1", [line("c1-1", "S020", "2025-03-02", "1", "30.00")]), claim("c2", [second])]
    assert of(run(claims), "duplicate_charge") == []


def test_duplicate_charge_is_per_institution_and_person() -> None:
    claims = [claim("c1", [line("c1-1", "S020", "2025-03-02")]),
              claim("c2", [line("c2-1", "S020", "2025-03-02")], institution="H02"),
              claim("c3", [line("c3-1", "S020", "2025-03-02")], person=OTHER)]
    assert of(run(claims), "duplicate_charge") == []


# ---- unbundling (分解收费) ---------------------------------------------------------------------------------------


def test_unbundling_hits_the_included_items_lines() -> None:
    hits = of(run([claim("c1", [line("c1-1", "S001", "2025-03-02", "1", "80.00"),
                                line("c1-2", "S010", "2025-03-02", "1", "10.00"),
                                line("c1-3", "S011", "2025-03-02", "2", "6.00")])]), "unbundling")
    assert [(h.claim_id, h.line_ids, h.amount, h.reason.params["item"]) for h in hits] == [
        ("c1", ("c1-2",), Decimal("10.00"), "S010"), ("c1", ("c1-3",), Decimal("12.00"), "S011")]
    assert hits[0].reason.params["included_in"] == "S001"


def test_unbundling_across_claims_of_the_same_institution_and_date() -> None:
    claims = [claim("c1", [line("c1-1", "S001", "2025-03-02", "1", "80.00")]),
              claim("c2", [line("c2-1", "S010", "2025-03-02", "1", "10.00"),
                           line("c2-2", "S010", "2025-03-02", "1", "11.00")])]
    hits = of(run(claims), "unbundling")
    assert [(h.claim_id, h.line_ids, h.amount) for h in hits] == [("c2", ("c2-1", "c2-2"), Decimal("21.00"))]


@pytest.mark.parametrize("part", [
    claim("c2", [line("c2-1", "S010", "2025-03-03")]),                     # another day
    claim("c2", [line("c2-1", "S010", "2025-03-02")], institution="H02"),  # another institution
    claim("c2", [line("c2-1", "S010", "2025-03-02")], person=OTHER),       # another person
    claim("c2", [line("c2-1", "S020", "2025-03-02")]),                     # not a part of S001
])
def test_unbundling_needs_the_package_the_same_day_there(part: dict[str, object]) -> None:
    claims = [claim("c1", [line("c1-1", "S001", "2025-03-02", "1", "80.00")]), part]
    assert of(run(claims), "unbundling") == []


def test_a_part_alone_is_no_unbundling() -> None:
    assert of(run([claim("c1", [line("c1-1", "S010", "2025-03-02")])]), "unbundling") == []


# ---- sex_restricted, age_restricted (限性别, 限年龄) -------------------------------------------------------------


def test_sex_restricted() -> None:
    claims = [claim("c1", [line("c1-1", "SF01", "2025-03-02", "1", "50.00")], sex="M"),
              claim("c2", [line("c2-1", "SF01", "2025-03-02", "1", "50.00")], sex="F", person=OTHER)]
    hits = of(run(claims), "sex_restricted")
    assert [(h.claim_id, h.line_ids, h.amount) for h in hits] == [("c1", ("c1-1",), Decimal("50.00"))]
    assert hits[0].reason.params["item_sex"] == "F"


@pytest.mark.parametrize(("on", "hit"), [("2025-03-01", False), ("2025-03-02", True)])
def test_max_age_on_the_birthday_and_the_day_before(on: str, hit: bool) -> None:
    # born 2010-03-02: 14 the day before the 15th birthday (fits max_age 14), 15 on it (does not)
    hits = of(run([claim("c1", [line("c1-1", "DP01", on, "1", "8.00")], birth="2010-03-02")]), "age_restricted")
    assert bool(hits) is hit
    if hit:
        assert (hits[0].amount, hits[0].reason.params["age"], hits[0].reason.params["max_age"]) == (
            Decimal("8.00"), "15", "14")


@pytest.mark.parametrize(("on", "hit"), [("2025-03-01", True), ("2025-03-02", False)])
def test_min_age_on_the_birthday_and_the_day_before(on: str, hit: bool) -> None:
    # born 1965-03-02: 59 the day before the 60th birthday (below min_age 60), 60 on it (fits)
    hits = of(run([claim("c1", [line("c1-1", "SG01", on)], birth="1965-03-02")]), "age_restricted")
    assert bool(hits) is hit


def test_age_in_whole_years() -> None:
    assert age_on(date(2010, 3, 2), date(2025, 3, 1)) == 14
    assert age_on(date(2010, 3, 2), date(2025, 3, 2)) == 15
    assert age_on(date(2008, 2, 29), date(2025, 2, 28)) == 16  # born on 29 February: a year older on 1 March
    assert age_on(date(2008, 2, 29), date(2025, 3, 1)) == 17
    assert age_on(date(2008, 2, 29), date(2024, 2, 29)) == 16
    assert age_on(date(2025, 3, 2), date(2025, 3, 2)) == 0


# ---- over_quantity (超量) ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("quantity", "hit"), [("3", False), ("4", True), ("3.5", True)])
def test_over_quantity_at_exactly_the_daily_maximum_and_above(quantity: str, hit: bool) -> None:
    hits = of(run([claim("c1", [line("c1-1", "D001", "2025-03-02", quantity, "10.00")])]), "over_quantity")
    assert bool(hits) is hit
    if hit:
        assert hits[0].amount == (Decimal(quantity) - 3) * 10


def test_over_quantity_adds_up_across_institutions_and_values_the_excess_from_the_latest_lines() -> None:
    claims = [claim("c1", [line("c1-1", "D001", "2025-03-02", "2", "10.00")], settled_at="2025-03-02T09:00:00"),
              claim("c2", [line("c2-1", "D001", "2025-03-02", "2", "12.00")], institution="P01", kind="pharmacy",
                    settled_at="2025-03-02T15:00:00"),
              claim("c3", [line("c3-1", "D001", "2025-03-02", "1", "11.00")], institution="P02", kind="pharmacy",
                    settled_at="2025-03-02T18:30:00"),
              claim("c4", [line("c4-1", "D001", "2025-03-03", "3", "10.00")])]  # another day: within
    hits = of(run(claims), "over_quantity")
    # 5 against 3: the excess 2 taken from the latest lines back — 1 of c3 at 11.00, then 1 of c2 at 12.00
    assert [(h.claim_id, h.line_ids, h.amount) for h in hits] == [("c3", ("c1-1", "c2-1", "c3-1"), Decimal("23.00"))]
    assert hits[0].reason.params["quantity"] == "5" and hits[0].reason.params["max_daily_quantity"] == "3"
    assert hits[0].reason.params["institutions"] == "H01, P01, P02"
    # Charged to the latest new claim: with c2 under review, c2.
    (hit,) = of(run(claims, new={"c2"}), "over_quantity")
    assert (hit.claim_id, hit.amount) == ("c2", Decimal("23.00"))


def test_over_quantity_is_per_person() -> None:
    claims = [claim("c1", [line("c1-1", "D001", "2025-03-02", "2")]),
              claim("c2", [line("c2-1", "D001", "2025-03-02", "2")], person=OTHER)]
    assert of(run(claims), "over_quantity") == []


# ---- duplicate_medication (重复用药) -----------------------------------------------------------------------------


def _supplies(first_on: str, second_on: str, *, second_item: str = "D002", same_claim: bool = False,
              days: int | None = 30) -> list[dict[str, object]]:
    a = line("c1-1", "D001", first_on, "1", "10.00", days)
    if same_claim:
        return [claim("c1", [a, line("c1-2", second_item, second_on, "1", "20.00", days)], institution="P01")]
    return [claim("c1", [a], institution="P01", kind="pharmacy"),
            claim("c2", [line("c2-1", second_item, second_on, "1", "20.00", days)], institution="P02",
                  kind="pharmacy")]


def test_supply_periods_that_touch_do_not_overlap() -> None:
    # 2025-03-01 + 30 days supplies 03-01..03-30; the next supply starting 03-31 touches it
    assert of(run(_supplies("2025-03-01", "2025-03-31")), "duplicate_medication") == []


def test_supply_periods_overlapping_by_one_day() -> None:
    hits = of(run(_supplies("2025-03-01", "2025-03-30")), "duplicate_medication")
    assert [(h.claim_id, h.line_ids, h.amount) for h in hits] == [("c2", ("c1-1", "c2-1"), Decimal("20.00"))]
    assert hits[0].reason.params["overlap_days"] == "1" and hits[0].reason.params["ingredient"] == "metformin"


def test_duplicate_medication_within_one_claim_is_not_this_rule() -> None:
    assert of(run(_supplies("2025-03-01", "2025-03-10", same_claim=True)), "duplicate_medication") == []


def test_duplicate_medication_needs_the_same_ingredient() -> None:
    assert of(run(_supplies("2025-03-01", "2025-03-10", second_item="D003")), "duplicate_medication") == []


def test_a_drug_without_ingredient_is_its_own_ingredient() -> None:
    claims = [claim("c1", [line("c1-1", "D004", "2025-03-01", "1", "10.00", 7)]),
              claim("c2", [line("c2-1", "D004", "2025-03-05", "1", "10.00", 7)], institution="H02")]
    assert len(of(run(claims), "duplicate_medication")) == 1


@pytest.mark.parametrize(("second_on", "hit"), [("2025-03-01", True), ("2025-03-02", False)])
def test_a_line_without_days_supply_supplies_its_own_date(second_on: str, hit: bool) -> None:
    assert bool(of(run(_supplies("2025-03-01", second_on, days=None)), "duplicate_medication")) is hit


def test_one_hit_per_later_line_naming_the_supply_it_overlaps_most() -> None:
    # c1 supplies 03-01..03-30, c2 03-02..03-31, c3 03-03..04-01: c3 overlaps c1 by 28 days and c2 by 29
    claims = [claim(f"c{k}", [line(f"c{k}-1", "D001", f"2025-03-0{k}", "1", "10.00", 30)], institution=f"P0{k}",
                    kind="pharmacy") for k in (1, 2, 3)]
    hits = of(run(claims), "duplicate_medication")
    assert [(h.claim_id, h.line_ids, h.amount) for h in hits] == [
        ("c2", ("c1-1", "c2-1"), Decimal("10.00")), ("c3", ("c2-1", "c3-1"), Decimal("10.00"))]
    assert [(h.reason.params["overlap_days"], h.reason.params["overlapping_supplies"]) for h in hits] == [
        ("29", "1"), ("29", "2")]


def test_many_supplies_of_one_day_make_one_hit_each_not_one_per_pair() -> None:
    # 40 lines of one drug on one day in 20 claims: 38 later lines overlap (the first claim's two are one claim)
    claims = [claim(f"c{k:02d}", [line(f"c{k:02d}-{n}", "D001", "2025-03-01", "1", "10.00", 30) for n in (1, 2)],
                    institution="P01", kind="pharmacy") for k in range(20)]
    hits = of(run(claims), "duplicate_medication")
    assert len(hits) == 38 and all(len(h.line_ids) == 2 for h in hits)
    assert sum(h.amount for h in hits) == Decimal("380.00")


def test_duplicate_medication_is_per_person() -> None:
    claims = _supplies("2025-03-01", "2025-03-10")
    claims[1]["person_id"] = OTHER
    assert of(run(claims), "duplicate_medication") == []


# ---- split_admission (分解住院) ----------------------------------------------------------------------------------


def _stays(readmitted: str, *, institution: str = "H01", kind: str = "inpatient") -> list[dict[str, object]]:
    return [claim("c1", [line("c1-1", "B001", "2025-03-01", "1", "40.00")], kind="inpatient",
                  admitted_on="2025-03-01", discharged_on="2025-03-09"),
            claim("c2", [line("c2-1", "B001", readmitted, "1", "40.00"),
                         line("c2-2", "S020", readmitted, "1", "30.00")],
                  institution=institution, kind=kind, admitted_on=readmitted, discharged_on="2025-04-30")]


@pytest.mark.parametrize(("readmitted", "gap", "hit"), [
    ("2025-03-09", 0, True),    # readmitted the day of the discharge
    ("2025-03-24", 15, True),   # the 15th day after the discharge
    ("2025-03-25", 16, False),  # the 16th
])
def test_split_admission_on_the_15th_and_16th_day_after_discharge(readmitted: str, gap: int, hit: bool) -> None:
    hits = of(run(_stays(readmitted)), "split_admission")
    assert bool(hits) is hit
    if hit:
        assert [(h.claim_id, h.line_ids, h.amount) for h in hits] == [("c2", ("c2-1", "c2-2"), Decimal("70.00"))]
        assert hits[0].reason.params["gap_days"] == str(gap)
        assert hits[0].reason.params["earlier_claim"] == "c1"


def test_split_admission_follows_readmission_days() -> None:
    assert of(run(_stays("2025-03-25"), settings={"readmission_days": 16}), "split_admission")
    assert not of(run(_stays("2025-03-24"), settings={"readmission_days": 14}), "split_admission")


def test_split_admission_needs_the_same_institution_and_two_stays() -> None:
    assert of(run(_stays("2025-03-20", institution="H02")), "split_admission") == []
    assert of(run(_stays("2025-03-20", kind="outpatient")), "split_admission") == []


def test_split_admission_reads_the_latest_earlier_discharge() -> None:
    claims = _stays("2025-03-20")
    claims.insert(0, claim("c0", [line("c0-1", "B001", "2025-01-02", "1", "40.00")], kind="inpatient",
                           admitted_on="2025-01-02", discharged_on="2025-01-10"))
    hits = of(run(claims), "split_admission")
    assert [(h.claim_id, h.reason.params["earlier_claim"], h.reason.params["gap_days"]) for h in hits] == [
        ("c2", "c1", "11")]


# ---- phantom_bed (挂床住院) --------------------------------------------------------------------------------------


def test_a_day_of_bed_alone_is_a_phantom_bed() -> None:
    stay = claim("c1", [line("c1-1", "B001", "2025-03-01", "1", "40.00"), line("c1-2", "S020", "2025-03-01"),
                        line("c1-3", "B001", "2025-03-02", "1", "40.00"), line("c1-4", "M001", "2025-03-02"),
                        line("c1-5", "B001", "2025-03-03", "1", "40.00"), line("c1-6", "D001", "2025-03-03")],
                 kind="inpatient", admitted_on="2025-03-01", discharged_on="2025-03-03")
    hits = of(run([stay]), "phantom_bed")
    # the material alone on 03-02 is no treatment; 03-01 had a service, 03-03 a drug
    assert [(h.claim_id, h.line_ids, h.amount) for h in hits] == [("c1", ("c1-3",), Decimal("40.00"))]
    assert hits[0].reason.params["date"] == "2025-03-02"


def test_a_drug_in_another_claim_of_the_same_institution_that_day_is_treatment() -> None:
    claims = [claim("c1", [line("c1-1", "B001", "2025-03-02", "1", "40.00")], kind="inpatient"),
              claim("c2", [line("c2-1", "D003", "2025-03-02")])]
    assert of(run(claims), "phantom_bed") == []
    claims[1]["institution"] = "H02"
    assert len(of(run(claims), "phantom_bed")) == 1


# ---- non_medical_goods (药店销售非医保物品) --------------------------------------------------------------------------


def test_goods_and_unlisted_items_at_a_pharmacy() -> None:
    claims = [claim("c1", [line("c1-1", "G001", "2025-03-02", "2", "25.00"), line("c1-2", "X999", "2025-03-02"),
                           line("c1-3", "D003", "2025-03-02")], institution="P01", kind="pharmacy"),
              claim("c2", [line("c2-1", "G001", "2025-03-02"), line("c2-2", "X999", "2025-03-02")])]  # a hospital
    hits = of(run(claims), "non_medical_goods")
    assert [(h.claim_id, h.line_ids, h.amount, h.reason.params["in_catalogue"]) for h in hits] == [
        ("c1", ("c1-1",), Decimal("50.00"), "true"), ("c1", ("c1-2",), Decimal("10.00"), "false")]


# ---- card_pooling (聚敛刷卡) -------------------------------------------------------------------------------------


def _swipes(times: list[str], persons: list[str] | None = None, pharmacy: str = "P01",
            prefix: str = "c") -> list[dict[str, object]]:
    persons = persons or [f"{prefix}-person{k}" for k in range(len(times))]
    return [claim(f"{prefix}{k}", [line(f"{prefix}{k}-1", "D003", "2025-03-02", "1", f"{10 + k}.00")],
                  institution=pharmacy, kind="pharmacy", person=persons[k], settled_at=f"2025-03-02T{at}")
            for k, at in enumerate(times)]


def test_five_persons_within_ten_minutes_inclusive() -> None:
    hits = of(run(_swipes(["10:00:00", "10:03:00", "10:05:00", "10:08:00", "10:10:00"])), "card_pooling")
    assert [(h.claim_id, h.line_ids, h.amount) for h in hits] == [
        (f"c{k}", (f"c{k}-1",), Decimal(10 + k)) for k in range(5)]
    assert hits[0].reason.params["persons"] == "5" and hits[0].reason.params["institution"] == "P01"


def test_five_persons_over_ten_minutes_and_one_second_are_no_pooling() -> None:
    assert of(run(_swipes(["10:00:00", "10:03:00", "10:05:00", "10:08:00", "10:10:01"])), "card_pooling") == []


def test_four_persons_are_no_pooling_even_in_five_claims() -> None:
    swipes = _swipes(["10:00:00", "10:01:00", "10:02:00", "10:03:00", "10:04:00"], ["a", "b", "c", "d", "a"])
    assert of(run(swipes), "card_pooling") == []


def test_pooling_flags_every_claim_of_any_window_once() -> None:
    # 10:00..10:08 five persons; 10:02..10:12 five again (10:12 joins); 10:05..10:15 only four (10:15 does not)
    times = ["10:00:00", "10:02:00", "10:04:00", "10:05:00", "10:08:00", "10:12:00", "10:15:00", "10:40:00"]
    hits = of(run(_swipes(times)), "card_pooling")
    assert [h.claim_id for h in hits] == ["c0", "c1", "c2", "c3", "c4", "c5"]


def test_pooling_is_per_pharmacy_and_reads_its_settings() -> None:
    times = ["10:00:00", "10:01:00", "10:02:00", "10:03:00", "10:04:00"]
    split = _swipes(times[:3]) + _swipes(times[3:], pharmacy="P02", prefix="d")
    assert of(run(split), "card_pooling") == []
    assert len(of(run(_swipes(times[:3]), settings={"pooling_persons": 3}), "card_pooling")) == 3
    hourly = _swipes(["10:00:00", "10:20:00", "10:40:00", "11:00:00", "11:20:00"])
    assert of(run(hourly), "card_pooling") == []
    assert len(of(run(hourly, settings={"pooling_minutes": 80}), "card_pooling")) == 5


def test_pooling_reads_pharmacies_only_and_claims_with_a_settlement_time() -> None:
    times = ["10:00:00", "10:01:00", "10:02:00", "10:03:00", "10:04:00"]
    at_hospital = [{**c, "institution": "H01", "institution_kind": "hospital"} for c in _swipes(times)]
    assert of(run(at_hospital), "card_pooling") == []
    unsettled = _swipes(times)
    del unsettled[4]["settled_at"]
    assert of(run(unsettled), "card_pooling") == []


def test_settlement_times_with_an_offset_are_read_on_china_time() -> None:
    swipes = _swipes(["10:00:00", "10:02:00", "10:04:00", "10:06:00", "10:08:00"])
    swipes[4]["settled_at"] = "2025-03-02T02:08:00Z"  # 10:08 in Beijing
    assert len(of(run(swipes), "card_pooling")) == 5
