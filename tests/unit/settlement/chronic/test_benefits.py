"""RULES.md section A, rule by rule, with its worked examples and our own edge cases."""

from datetime import date
from decimal import Decimal

import pytest

from chassis.errors import InvalidInput
from services.settlement.chronic.domain.benefits import (
    Caps,
    Claim,
    ClaimResult,
    Holding,
    Line,
    LineResult,
    YearAccount,
    adjudicate,
    benefit_start,
    caps_for,
    combine,
)
from tests.unit.settlement.helpers import D, claim, disease, policy, sample_policy

P = sample_policy()
Y2025 = YearAccount(2025)


def held(code: str, granted_on: str) -> Holding:
    return Holding(code, date.fromisoformat(granted_on))


def since_2024(*codes: str) -> list[Holding]:
    return [held(c, "2024-03-10") for c in codes]


def run(holdings: list[Holding], *claims: Claim, account: YearAccount = Y2025,
        table: object = P) -> tuple[list[ClaimResult], YearAccount]:
    return adjudicate(table, holdings, list(claims), account)  # type: ignore[arg-type]


def codes(line: LineResult) -> list[str]:
    """The line's reason codes, as data (never read out of the sentences)."""
    return [r.code for r in line.reason_codes]


# ---- benefit start --------------------------------------------------------------------------------------------


def test_benefit_starts_the_month_after_the_grant() -> None:
    assert benefit_start(P.diseases["HTN"], date(2025, 5, 20)) == date(2025, 6, 1)
    assert benefit_start(P.diseases["HTN"], date(2025, 5, 1)) == date(2025, 6, 1)
    assert benefit_start(P.diseases["DM"], date(2025, 12, 31)) == date(2026, 1, 1)


@pytest.mark.parametrize("code", ["MT", "OT", "DL"])  # tumour outpatient, transplant anti-rejection, dialysis
def test_immediate_diseases_start_on_the_grant_day(code: str) -> None:
    assert benefit_start(P.diseases[code], date(2025, 5, 20)) == date(2025, 5, 20)
    results, _ = run([held(code, "2025-05-20")], claim("same-day", "2025-05-20", (code, "1000.00")),
                     claim("day-before", "2025-05-19", (code, "1000.00")))
    assert results[0].payable > 0
    assert results[1].payable == 0 and codes(results[1].lines[0]) == ["before_benefit_start"]


def test_next_month_disease_pays_nothing_in_the_grant_month() -> None:
    results, _ = run([held("HTN", "2025-05-20")], claim("may", "2025-05-31", ("HTN", "100.00")),
                     claim("june", "2025-06-01", ("HTN", "100.00")))
    assert results[0].payable == 0
    assert results[0].lines[0].reasons == ("before_benefit_start: HTN benefits start on 2025-06-01",)
    assert results[1].payable == D("80.00")


# ---- year cap: proration and several diseases -----------------------------------------------------------------


def test_first_year_cap_is_prorated() -> None:
    # RULES A: annual 3,600, granted 2025-05-20, starts June → 300 × 7 = 2,100.
    assert caps_for(P, [held("HTN", "2025-05-20")], 2025) == Caps(D("2100.00"), D("900.00"))


def test_proration_rounds_to_whole_yuan_half_up() -> None:
    assert caps_for(P, [held("SCZ", "2025-05-20")], 2025).year_cap == D("2917.00")  # 5000 / 12 × 7 = 2916.67
    half = policy(disease("X", "3006.00"))                                            # 3006 / 12 × 1 = 250.5
    assert caps_for(half, [held("X", "2025-11-02")], 2025).year_cap == D("251.00")


def test_a_disease_held_since_an_earlier_year_has_the_full_cap() -> None:
    assert caps_for(P, [held("HTN", "2024-05-20")], 2025).year_cap == D("3600.00")
    # granted in December, starting 1 January: the whole next year.
    assert caps_for(P, [held("HTN", "2024-12-20")], 2025).year_cap == D("3600.00")


def test_january_start_keeps_the_cap_to_the_fen() -> None:
    odd = policy(disease("X", "3600.50", start="immediate"))
    assert caps_for(odd, [held("X", "2025-01-15")], 2025).year_cap == D("3600.50")


def test_a_disease_starting_after_the_year_is_not_in_benefit() -> None:
    holdings = [held("HTN", "2025-12-20")]  # starts 2026-01-01
    assert caps_for(P, holdings, 2025) == Caps(None, None)
    assert caps_for(P, holdings, 2026).year_cap == D("3600.00")
    results, _ = run(holdings, claim("c", "2025-12-28", ("HTN", "100.00")))
    assert codes(results[0].lines[0]) == ["before_benefit_start"]


def test_several_diseases_combine_highest_first() -> None:
    # RULES A: caps 8,000, 5,000 and 2,000 → 8,000 + 1,000 + 200 = 9,200.
    table = policy(disease("C", "2000.00"), disease("A", "8000.00"), disease("B", "5000.00"))
    caps = caps_for(table, since_2024("C", "B", "A"), 2025)
    assert caps == Caps(D("9200.00"), D("2300.00"))  # monthly: 3 × 9,200 / 12
    assert combine([D("8000"), D("5000"), D("2000")], D("0.2")) == D("9200.00")


def test_weights_keep_halving() -> None:
    # HF 8000, SCZ 5000, DM 4800, HTN 3600, CHD 3000, COPD 3000: 100%, 20%, 10%, 5%, 2.5%, 1.25%.
    caps = caps_for(P, since_2024("HTN", "DM", "CHD", "COPD", "SCZ", "HF"), 2025)
    assert caps.year_cap == D("9772.50")  # 8000 + 1000 + 480 + 180 + 75 + 37.5
    assert caps.monthly_cap == D("2443.13")  # 3 × 9772.50 / 12 = 2443.125, half up


def test_the_weight_comes_from_the_table() -> None:
    table = policy(disease("A", "8000.00"), disease("B", "5000.00"), disease("C", "2000.00"), weight="0.5")
    assert caps_for(table, since_2024("A", "B", "C"), 2025).year_cap == D("11000.00")  # 8000 + 2500 + 500


def test_order_is_by_the_table_cap_not_the_prorated_one() -> None:
    # HF (8000) starts in December: 667; SCZ (5000) held since 2024. HF still comes first: 667 + 20% × 5000.
    caps = caps_for(P, [held("HF", "2025-11-10"), held("SCZ", "2023-01-01")], 2025)
    assert caps.year_cap == D("1667.00")
    # …while the monthly cap uses the unprorated caps: 3 × (8000 + 1000) / 12.
    assert caps.monthly_cap == D("2250.00")


def test_equal_caps_are_ordered_by_code() -> None:
    # CHD and COPD both 3000: CHD first. Only the prorated one differs, which shows the order.
    assert caps_for(P, [held("CHD", "2024-01-01"), held("COPD", "2025-06-15")], 2025).year_cap == D("3300.00")
    assert caps_for(P, [held("CHD", "2025-06-15"), held("COPD", "2024-01-01")], 2025).year_cap == D("2100.00")


def test_uncapped_diseases_take_no_place_in_the_order() -> None:
    assert caps_for(P, since_2024("MT", "HTN", "DL"), 2025) == Caps(D("3600.00"), D("900.00"))


def test_only_uncapped_diseases_means_no_caps() -> None:
    assert caps_for(P, since_2024("MT", "OT"), 2025) == Caps(None, None)
    assert caps_for(P, [], 2025) == Caps(None, None)


def test_a_disease_held_twice_counts_from_its_earliest_start() -> None:
    assert caps_for(P, [held("HTN", "2025-05-20"), held("HTN", "2024-01-01")], 2025).year_cap == D("3600.00")


# ---- uncapped lines ---------------------------------------------------------------------------------------------


def test_uncapped_lines_are_limited_by_neither_cap() -> None:
    results, after = run([held("HTN", "2025-05-20"), held("MT", "2025-05-20")],
                         claim("c1", "2025-06-03", ("MT", "100500.00"), ("HTN", "5000.00")))
    mt, htn = results[0].lines
    # Deductible 500 (MT's, the highest) is consumed by the first line; 100,000 × 80% is paid whole.
    assert mt.payable == D("80000.00") and codes(mt) == ["deductible", "ratio"]
    assert htn.payable == D("900.00") and codes(htn) == ["ratio", "monthly_cap"]
    assert (after.uncapped_paid, after.capped_paid) == (D("80000.00"), D("900.00"))
    assert after.monthly_capped_paid[5] == D("900.00")


# ---- caps in use ------------------------------------------------------------------------------------------------


def test_caps_exhausted_mid_line_and_the_month_cap_resets() -> None:
    # HTN granted 2025-05-20: year cap 2100, monthly cap 900, ratio 80%.
    results, after = run(
        [held("HTN", "2025-05-20")],
        claim("jun1", "2025-06-03", ("HTN", "1000.00")),   # 800
        claim("jun2", "2025-06-20", ("HTN", "200.00")),    # 160 → 100 left in June
        claim("jul", "2025-07-05", ("HTN", "1125.00")),    # 900: the month cap starts over
        claim("aug", "2025-08-05", ("HTN", "1125.00")),    # 900 → 300 left of the year
        claim("sep", "2025-09-05", ("HTN", "100.00")),     # nothing left
    )
    assert [r.payable for r in results] == [D("800.00"), D("100.00"), D("900.00"), D("300.00"), D("0.00")]
    assert results[1].lines[0].reasons == (
        "ratio: fund pays 80% (patient share 40.00)",
        "monthly_cap: limited to the remaining 100.00 of the monthly cap 900.00 for 2025-06",
    )
    assert results[2].lines[0].reasons == ("ratio: fund pays 80% (patient share 225.00)",)
    assert results[3].lines[0].reasons[-1] == "year_cap: limited to the remaining 300.00 of the year cap 2100.00"
    assert results[4].lines[0].reasons[-1] == "year_cap: limited to the remaining 0.00 of the year cap 2100.00"
    assert results[3].lines[0].patient_share == D("825.00")
    assert after.capped_paid == D("2100.00")
    assert after.monthly_capped_paid[5:9] == (D("900.00"), D("900.00"), D("300.00"), D("0.00"))


def test_both_caps_binding_name_both() -> None:
    account = YearAccount(2025, capped_paid=D("1500.00"))  # 600 left of 2100; June has 900
    results, _ = run([held("HTN", "2025-05-20")], claim("c", "2025-06-03", ("HTN", "2000.00")), account=account)
    assert results[0].payable == D("600.00") and codes(results[0].lines[0]) == ["ratio", "year_cap"]
    account = YearAccount(2025, capped_paid=D("1500.00"),  # 600 left of the year and of June
                          monthly_capped_paid=(D(0),) * 5 + (D("300.00"),) + (D(0),) * 6)
    results, _ = run([held("HTN", "2025-05-20")], claim("c", "2025-06-03", ("HTN", "2000.00")), account=account)
    assert results[0].payable == D("600.00")
    assert codes(results[0].lines[0]) == ["ratio", "year_cap", "monthly_cap"]


def test_the_combined_cap_is_shared_by_all_capped_diseases() -> None:
    # HF 8000 + HTN 3600 → 8720; both lines draw on the same pool and the same month.
    results, after = run(since_2024("HF", "HTN"), claim("c", "2025-03-03", ("HTN", "3000.00"), ("HF", "5000.00")))
    # monthly cap 3 × 8720 / 12 = 2180; deductible 300 (HF's) taken by the first line.
    assert [ln.payable for ln in results[0].lines] == [D("2160.00"), D("20.00")]
    assert after.monthly_capped_paid[2] == D("2180.00")


# ---- deductible and ratio ---------------------------------------------------------------------------------------


def test_deductible_once_a_year_highest_in_date_order() -> None:
    # HTN 0, DM 200, HF 300 → 300 a year, taken in date order although the claims come out of order.
    results, after = run(
        since_2024("HTN", "DM", "HF"),
        claim("late", "2025-08-01", ("DM", "1000.00")),
        claim("early", "2025-07-02", ("HTN", "100.00")),
        claim("mid", "2025-07-15", ("HF", "400.00")),
    )
    late, early, mid = results
    assert [r.id for r in results] == ["late", "early", "mid"]  # input order
    assert early.lines[0].deductible == D("100.00") and early.payable == 0
    assert early.lines[0].reasons == ("deductible: 100.00 applied to the yearly deductible",)
    assert mid.lines[0].deductible == D("200.00") and mid.payable == D("150.00")  # 200 × 75%
    assert late.lines[0].deductible == 0 and late.payable == D("750.00")
    assert after.deductible_used == D("300.00")
    # Next upload in the same year: nothing left to deduct.
    again, _ = run(since_2024("HTN", "DM", "HF"), claim("dec", "2025-12-01", ("HF", "100.00")), account=after)
    assert again[0].lines[0].deductible == 0 and again[0].payable == D("75.00")


def test_same_day_claims_take_the_deductible_in_input_order() -> None:
    results, _ = run(since_2024("DM"), claim("b", "2025-03-01", ("DM", "150.00")),
                     claim("a", "2025-03-01", ("DM", "150.00"), ("DM", "150.00")))
    assert [ln.deductible for r in results for ln in r.lines] == [D("150.00"), D("50.00"), D("0.00")]


def test_a_disease_not_yet_in_benefit_does_not_raise_the_deductible() -> None:
    results, _ = run([held("HTN", "2024-01-01"), held("HF", "2025-12-20")], claim("c", "2025-03-01", ("HTN", "100")))
    assert results[0].lines[0].deductible == 0 and results[0].payable == D("80.00")


def test_each_line_pays_at_its_own_ratio() -> None:
    results, _ = run(since_2024("HTN", "COPD", "DL", "OT"),
                     claim("c", "2025-03-01", ("HTN", "100.00"), ("COPD", "100.00"), ("DL", "300.00"),
                           ("DL", "100.00"), ("OT", "100.00")))
    lines = results[0].lines
    # The year's deductible is OT's 500, the highest of the four, taken by the first lines whatever their disease.
    assert [ln.deductible for ln in lines] == [D("100.00"), D("100.00"), D("300.00"), D("0.00"), D("0.00")]
    assert [ln.payable for ln in lines] == [D("0.00"), D("0.00"), D("0.00"), D("90.00"), D("85.00")]
    results, _ = run(since_2024("HTN", "COPD"), claim("c", "2025-03-01", ("HTN", "100.00"), ("COPD", "100.00")))
    assert [ln.payable for ln in results[0].lines] == [D("80.00"), D("70.00")]
    assert results[0].lines[1].reasons == ("ratio: fund pays 70% (patient share 30.00)",)


def test_ratio_rounds_half_up_to_the_fen() -> None:
    results, _ = run(since_2024("DM"), claim("c", "2025-03-01", ("DM", "200.02")))  # 0.02 × 0.75 = 0.015
    assert results[0].payable == D("0.02") and results[0].lines[0].patient_share == D("0.00")


def test_a_line_paid_in_full_has_no_reason() -> None:
    table = policy(disease("X", "1000.00", ratio="1"))
    results, _ = run(since_2024("X"), claim("c", "2025-03-01", ("X", "50.00")), table=table)
    assert results[0].lines[0].payable == D("50.00") and results[0].lines[0].reasons == ()


# ---- lines not paid ---------------------------------------------------------------------------------------------


def test_lines_not_paid_carry_their_reasons() -> None:
    results, after = run(
        since_2024("HTN"),
        claim("c", "2025-03-01", ("HTN", "100.00", False), ("DM", "100.00"), ("XYZ", "100.00"),
              ("DM", "100.00", False), ("HTN", "0.00")),
        claim("old", "2024-12-31", ("HTN", "100.00")),
        claim("new", "2026-01-01", ("HTN", "100.00")),
    )
    lines = results[0].lines
    assert lines[0].reasons == ("not_covered: outside the catalogues or unrelated to the disease",)
    assert lines[1].reasons == ("disease_not_held: the person holds no qualification for DM",)
    assert lines[2].reasons == ("unknown_disease: XYZ is not in policy hz-chronic 2025.sample.1",)
    assert codes(lines[3]) == ["disease_not_held", "not_covered"]
    assert lines[4].payable == 0 and lines[4].reasons == ()  # nothing claimed, nothing refused
    assert results[1].lines[0].reasons == ("outside_policy_year: 2024-12-31 is outside the benefit year 2025",)
    assert codes(results[2].lines[0]) == ["outside_policy_year"]
    for line in [*lines, results[1].lines[0], results[2].lines[0]]:
        assert line.payable == 0 and line.deductible == 0 and line.payable + line.patient_share in (D(100), D(0))
    assert after == YearAccount(2025, D("0.00"), D("0.00"), D("0.00"), (D(0),) * 12)


def test_dates_outside_the_policy_version_are_not_paid() -> None:
    table = policy(disease("X", "1000.00"), effective_to="2025-06-30")
    results, _ = run(since_2024("X"), claim("c", "2025-07-01", ("X", "10.00")), table=table)
    assert results[0].lines[0].reasons == ("outside_policy_year: 2025-07-01 is outside policy t1 "
                                           "(2025-01-01 to 2025-06-30)",)


# ---- bad input --------------------------------------------------------------------------------------------------


def test_duplicate_claim_ids_are_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        run(since_2024("HTN"), claim("a", "2025-03-01"), claim("b", "2025-03-01"), claim("a", "2025-04-01"))
    assert err.value.field == "claims[2].id"


def test_holdings_outside_the_policy_are_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        run([held("HTN", "2024-01-01"), held("XYZ", "2024-01-01")])
    assert err.value.field == "holdings[1].disease"
    with pytest.raises(InvalidInput):
        caps_for(P, [held("XYZ", "2024-01-01")], 2025)


@pytest.mark.parametrize("amount", [D("-1.00"), D("1.001"), D("NaN"), D("Infinity"), D("1e15"), 1.5])
def test_bad_amounts_are_refused(amount: object) -> None:
    bad = Claim("c", date(2025, 3, 1), (Line("HTN", D("1.00"), True), Line("HTN", amount, True)))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as err:
        run(since_2024("HTN"), bad)
    assert err.value.field == "claims[0].lines[1].amount"


def test_a_malformed_account_is_refused() -> None:
    with pytest.raises(InvalidInput):
        run(since_2024("HTN"), account=YearAccount(2025, monthly_capped_paid=(D(0),) * 11))


def test_the_account_before_is_not_changed() -> None:
    before = YearAccount(2025)
    _, after = run(since_2024("HTN"), claim("c", "2025-03-01", ("HTN", "100.00")), account=before)
    assert before == YearAccount(2025) and after.capped_paid == D("80.00") and after.paid == D("80.00")
    assert isinstance(after.monthly_capped_paid, tuple) and after.monthly_capped_paid[2] == Decimal("80.00")


# ---- re-review (复审): review_overdue ----------------------------------------------------------------------------


def reviewed(code: str, granted_on: str, review_due: str | None,
             lapses: tuple[tuple[str, str], ...] = ()) -> Holding:
    return Holding(code, date.fromisoformat(granted_on), date.fromisoformat(review_due) if review_due else None,
                   tuple((date.fromisoformat(a), date.fromisoformat(b)) for a, b in lapses))


def test_past_review_due_without_a_passed_re_review_pays_nothing_from_the_next_day() -> None:
    held_until = [reviewed("HTN", "2024-03-10", "2025-06-30")]
    results, after = run(held_until, claim("day-before", "2025-06-29", ("HTN", "100.00")),
                         claim("due-day", "2025-06-30", ("HTN", "100.00")),
                         claim("day-after", "2025-07-01", ("HTN", "100.00")))
    assert [r.payable for r in results] == [D("80.00"), D("80.00"), D("0.00")]
    line = results[2].lines[0]
    assert codes(line) == ["review_overdue"] and line.reason_codes[0].params["due"] == "2025-06-30"
    assert line.patient_share == D("100.00") and line.deductible == D("0.00")
    assert after.capped_paid == D("160.00")  # the refused line consumed nothing


def test_a_re_review_passed_late_pays_again_from_its_day_and_not_in_the_gap() -> None:
    # Due 2025-06-30, continued on 2025-07-15 until 2028-06-30: 1 to 14 July are not covered.
    renewed = [reviewed("HTN", "2024-03-10", "2028-06-30", (("2025-06-30", "2025-07-15"),))]
    results, _ = run(renewed, claim("before", "2025-06-30", ("HTN", "100.00")),
                     claim("gap-first", "2025-07-01", ("HTN", "100.00")),
                     claim("gap-last", "2025-07-14", ("HTN", "100.00")),
                     claim("resumed", "2025-07-15", ("HTN", "100.00")))
    assert [r.payable for r in results] == [D("80.00"), D("0.00"), D("0.00"), D("80.00")]
    assert all(codes(r.lines[0]) == ["review_overdue"] for r in results[1:3])


def test_an_overdue_disease_leaves_the_combined_caps_and_the_deductible() -> None:
    # DM (4800, deductible 200) lapses after 2025-03-31; HTN (3600, no deductible) goes on.
    both = [reviewed("DM", "2024-03-10", "2025-03-31"), held("HTN", "2024-03-10")]
    # While DM is held: deductible 200, monthly cap 3 × (4800 + 20% × 3600) / 12 = 1380.
    held_both, _ = run(both, claim("march", "2025-03-10", ("HTN", "2000.00")))
    assert held_both[0].payable == D("1380.00")
    assert codes(held_both[0].lines[0]) == ["deductible", "ratio", "monthly_cap"]
    # After: HTN alone, no deductible, monthly cap 3 × 3600 / 12 = 900; DM lines refused with the reason.
    lapsed, _ = run(both, claim("april", "2025-04-10", ("HTN", "2000.00"), ("DM", "100.00")))
    htn, dm = lapsed[0].lines
    assert htn.payable == D("900.00") and htn.deductible == D("0.00")
    assert codes(htn)[-1] == "monthly_cap" and htn.reason_codes[-1].params["cap"] == "900.00"
    assert dm.payable == D("0.00") and codes(dm) == ["review_overdue"]


def test_a_second_current_qualification_of_the_same_disease_keeps_it_paying() -> None:
    twice = [reviewed("HTN", "2022-01-10", "2025-01-31"), reviewed("HTN", "2024-12-05", "2027-12-05")]
    results, _ = run(twice, claim("c", "2025-05-05", ("HTN", "100.00")))
    assert results[0].payable == D("80.00") and codes(results[0].lines[0]) == ["ratio"]


def test_overdue_claims_threaded_one_by_one_pay_as_together() -> None:
    holdings = [reviewed("DM", "2024-03-10", "2025-03-31"), held("HTN", "2024-03-10")]
    claims = [claim("a", "2025-03-20", ("HTN", "900.00"), ("DM", "300.00")),
              claim("b", "2025-04-02", ("HTN", "900.00"), ("DM", "300.00"))]
    together, end = run(holdings, *claims)
    account = Y2025
    one_by_one = []
    for c in claims:
        (r,), account = run(holdings, c, account=account)
        one_by_one.append(r)
    assert together == one_by_one and end == account
