"""Fund operation figures (基金运行分析) with hand-worked numbers: spending by group, per capita, budgets of both
programs, budget burn against the year elapsed, ledger movements with reversals, due dates, and the read model
of the four settlement fund events."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chassis.calendar import is_working_day
from chassis.errors import InvalidInput
from contracts.v1 import events_pb2
from services.audit.operations.domain.operations import (
    Budget,
    OperationInputs,
    Spend,
    budget_burn,
    chronic_budget,
    chronic_spends,
    combine,
    critical_budget,
    critical_spends,
    elapsed_share,
    ledger_figures,
    operation_due_on,
    per_capita,
    premium_for,
    spending_figures,
)
from services.audit.readmodel import service as readmodel
from services.audit.readmodel.domain import readmodel as rm
from services.audit.reports.domain.periods import parse_period
from tests.unit.audit.builders import PERSON_A, PERSON_B, PERSON_C, build, event

D = Decimal


def spend(person: str, inst: str, payable: str, month: str = "2025-06", disease: str = "HTN", tenant: str = "hz-p1",
          source: str = "chronic", care: str = "chronic_outpatient") -> Spend:
    fen = int(D(payable) * 100)
    return Spend(tenant, source, person, month, inst, disease, care, fen, fen + 1000)


def test_spending_by_group_and_per_capita() -> None:
    spends = [spend(PERSON_A, "I1", "500.00"), spend(PERSON_A, "I2", "300.00", disease="DM"),
              spend(PERSON_B, "I1", "200.00"), spend(PERSON_C, "I1", "0.00"),  # C settled but paid nothing
              spend(PERSON_C, "I1", "999.00", month="2025-05")]  # outside the period
    f = spending_figures(spends, ["2025-06"])
    # 500 + 300 + 200 = 1000.00 over A and B (C was not paid): 500.00 a person.
    assert (f["payable"], f["claims"], f["persons"], f["per_capita"]) == (D("1000.00"), 4, 2, D("500.00"))
    assert f["cost"] == D("1040.00")  # each claim's cost is payable + 10.00
    i1 = f["by_institution"]["I1"]
    assert (i1["payable"], i1["claims"], i1["persons"], i1["per_capita"]) == (D("700.00"), 3, 2, D("350.00"))
    assert f["by_disease"]["DM"]["payable"] == D("300.00") and f["by_disease"]["HTN"]["payable"] == D("700.00")
    assert list(f["by_month"]) == ["2025-06"] and f["by_source"]["chronic"]["payable"] == D("1000.00")


def test_every_month_of_a_quarter_is_listed() -> None:
    f = spending_figures([spend(PERSON_A, "I1", "10.00", month="2025-05")], parse_period("2025-Q2").months())
    assert {m: v["payable"] for m, v in f["by_month"].items()} == {
        "2025-04": D("0.00"), "2025-05": D("10.00"), "2025-06": D("0.00")}
    assert f["by_month"]["2025-04"]["per_capita"] is None


def test_per_capita_rounds_half_up() -> None:
    assert per_capita(10000, 3) == D("33.33")  # 100.00 / 3
    assert per_capita(20000, 3) == D("66.67")  # 66.666...
    assert per_capita(5, 2) == D("0.03")       # 0.025 rounds up
    assert per_capita(100, 0) is None


def test_chronic_spends_take_the_diseases_held_that_month() -> None:
    cases = [{"person_id": PERSON_A, "disease_code": "HTN", "granted_on": "2025-01-05", "benefit_start": "2025-02-01"},
             {"person_id": PERSON_A, "disease_code": "DM", "granted_on": "2025-05-10", "benefit_start": "2025-06-01"}]
    benefits = [{"person_id": PERSON_A, "institution_code": "I1", "month": "2025-05", "payable_fen": 100,
                 "claimed_fen": 150},
                {"person_id": PERSON_A, "institution_code": "I1", "month": "2025-06", "payable_fen": 200,
                 "claimed_fen": 250},
                {"person_id": PERSON_B, "institution_code": "", "month": "2025-06", "payable_fen": 1}]
    out = chronic_spends("hz-p1", benefits, cases)
    assert [(s.month, s.disease, s.institution, s.payable_fen, s.cost_fen) for s in out] == [
        ("2025-05", "HTN", "I1", 100, 150), ("2025-06", "DM+HTN", "I1", 200, 250),
        ("2025-06", "UNATTRIBUTED", "UNATTRIBUTED", 1, 0)]


def test_critical_spends_skip_a_review_without_its_claim() -> None:
    claims = [{"_id": "c1", "person_id": PERSON_A, "month": "2025-06", "institution_code": "Q1", "care": "inpatient",
               "disease": "C34", "payable_fen": 980000, "total_cost_fen": 5000000},
              {"_id": "c2", "review_outcome": "confirmed"}]
    [s] = critical_spends("qz-ci", claims)
    assert (s.source, s.care, s.disease, s.payable_fen, s.cost_fen) == ("critical", "inpatient", "C34", 980000, 5000000)


def test_budgets_of_both_programs() -> None:
    b = chronic_budget({"2025": "480000000.00"}, 2025, D("0.6"), "hz-p1", "hz-chronic")
    assert b.amount_fen == 288_000_000_00 and "480000000.00 x share 0.6" in b.basis[0]
    assert chronic_budget({"2025": "480000000.00"}, 2027, D("0.6"), "hz-p1", "hz-chronic").amount_fen is None
    # 149.00, +3% a year rounded to the fen each year: 153.47 (153.47), 158.07 (158.0741).
    assert [premium_for(y, 2025, D("149.00"), D("0.03"), 3) for y in (2025, 2026, 2027, 2028)] == [
        D("149.00"), D("153.47"), D("158.07"), None]
    qz = critical_budget({"base_year": 2025, "base": "149.00", "growth": "0.03", "years": 3}, 2257900, 2025, D(1),
                         "qz-ci", "qz-critical")
    assert qz.amount_fen == 336_427_100_00  # 149 x 2,257,900
    assert critical_budget(None, None, 2025, D(1), "qz-ci", "qz-critical").amount_fen is None


def test_budget_burn_against_the_year_elapsed() -> None:
    june = parse_period("2025-06")
    assert elapsed_share(june) == D("0.5000") and elapsed_share(parse_period("2025-Q1")) == D("0.2500")
    assert elapsed_share(parse_period("2025")) == D("1.0000")
    burn = budget_burn(june, Budget(2025, 120000, ("b",)), 70000, 30000)
    # 700.00 of 1200.00 = 0.5833 by June, half the year gone: burning 1.1666 times as fast as time.
    assert (burn["budget"], burn["spent_share"], burn["allocated_share"], burn["burn_ratio"], burn["ahead_of_time"]) \
        == (D("1200.00"), D("0.5833"), D("0.2500"), D("1.1666"), True)
    unknown = budget_burn(june, Budget(2025, None, ("none",)), 70000, 0)
    assert unknown["spent_share"] is None and unknown["burn_ratio"] is None and unknown["budget"] is None


def test_ledger_movements_with_reversals() -> None:
    entries = [
        {"_id": "a1", "year": 2025, "date": "2025-01-06", "kind": "allocation", "amount_fen": 100000},
        {"_id": "p1", "year": 2025, "date": "2025-06-10", "kind": "payment", "amount_fen": 50000},
        {"_id": "p2", "year": 2025, "date": "2025-06-11", "kind": "payment", "amount_fen": 20000},
        {"_id": "r1", "year": 2025, "date": "2025-06-12", "kind": "reversal", "reverses": "p2", "amount_fen": 20000},
        {"_id": "r2", "year": 2025, "date": "2025-06-13", "kind": "reversal", "reverses": "zz", "amount_fen": 500},
        {"_id": "x1", "year": 2025, "date": "2025-07-01", "kind": "payment", "amount_fen": 99900},  # after June
        {"_id": "y1", "year": 2024, "date": "2025-01-15", "kind": "year_end", "amount_fen": 7700},  # last year's
    ]
    f = ledger_figures(entries, parse_period("2025-06"))
    assert f["period"]["payment"] == D("500.00") and f["period"]["allocation"] == D("0.00")
    assert f["year_to_date"]["allocation"] == D("1000.00") and f["year_to_date"]["payment"] == D("500.00")
    assert f["period"]["reversal"] == D("5.00") and f["year_to_date"]["year_end"] == D("0.00")
    assert f["entries"] == 5


def test_combine_gives_each_tenant_and_the_program_total() -> None:
    june = parse_period("2025-06")
    p1 = OperationInputs("hz-p1", "hz-chronic", Budget(2025, 120000, ("p1",)),
                         spends=[spend(PERSON_A, "I1", "300.00"), spend(PERSON_B, "I1", "100.00")],
                         ledger=[{"_id": "a", "year": 2025, "date": "2025-01-02", "kind": "allocation",
                                  "amount_fen": 30000}])
    p2 = OperationInputs("hz-p2", "hz-chronic", Budget(2025, 80000, ("p2",)),
                         spends=[spend(PERSON_C, "I9", "200.00", tenant="hz-p2")])
    out = combine(june, "hz-chronic", [p1, p2], "program")
    assert out["tenants"] == ["hz-p1", "hz-p2"] and out["scope"] == "program"
    assert out["by_tenant"]["hz-p1"]["spending"]["payable"] == D("400.00")
    assert out["by_tenant"]["hz-p2"]["spending"]["per_capita"] == D("200.00")
    total = out["total"]
    # 600.00 over three persons; budget 1200 + 800 = 2000.00, 600 spent = 0.3000, 300 allocated = 0.1500.
    assert (total["spending"]["payable"], total["spending"]["per_capita"]) == (D("600.00"), D("200.00"))
    assert (total["budget"]["budget"], total["budget"]["spent_share"], total["budget"]["allocated_share"]) == (
        D("2000.00"), D("0.3000"), D("0.1500"))
    one = combine(june, "hz-chronic", [p2], "tenant")
    assert one["total"] == one["by_tenant"]["hz-p2"] and one["total"]["spending"]["payable"] == D("200.00")
    with pytest.raises(InvalidInput):
        combine(june, "hz-chronic", [], "tenant")


def test_a_budget_sum_with_a_missing_part_is_unknown() -> None:
    p1 = OperationInputs("hz-p1", "x", Budget(2025, 100, ("a",)))
    p2 = OperationInputs("hz-p2", "x", Budget(2025, None, ("b",)))
    assert combine(parse_period("2025"), "x", [p1, p2], "program")["total"]["budget"]["budget"] is None


def test_due_dates_monthly_and_yearly() -> None:
    assert operation_due_on(parse_period("2025-06"), 10, is_working_day) == date(2025, 7, 10)
    # Yearly: by the 10th of the next January; 2026-01-10 is a Saturday, so Friday the 9th — never later.
    assert operation_due_on(parse_period("2025"), 10, is_working_day) == date(2026, 1, 9)
    assert operation_due_on(parse_period("2024"), 10, is_working_day, yearly_month=3, yearly_day=20) == \
        date(2025, 3, 20)
    with pytest.raises(InvalidInput):
        operation_due_on(parse_period("2024"), 10, is_working_day, yearly_month=13)


def test_read_model_of_the_fund_events() -> None:
    claim = build(("critical_claim.settled", events_pb2.CriticalClaimSettled(
        claim_id="c1", person_id=PERSON_A, date="2025-06-03", care="inpatient", area="in_area", networked=True,
        source="platform", institution_code="Q1", self_pay="32000.00", payable="9800.00", disease="C34",
        total_cost="60000.00", assistance=False, review_required=True), PERSON_A), tenant="qz-ci")
    review = build(("critical_review.completed", events_pb2.CriticalReviewCompleted(
        review_id="r1", claim_id="c1", person_id=PERSON_A, stratum="in_area_large", outcome="adjusted",
        recovered="120.50", completed_at="2025-07-02T09:00:00+08:00"), PERSON_A), tenant="qz-ci")
    ledger = build(("ledger.posted", events_pb2.LedgerPosted(
        entry_id="e1", program="qz-critical", year=2025, date="2025-06-30", kind="payment", amount="9800.00",
        postings=[events_pb2.LedgerPosting(account="claims", debit="9800.00"),
                  events_pb2.LedgerPosting(account="bank", credit="9800.00")]), "e1"), tenant="qz-ci")
    closed = build(("fund_year.closed", events_pb2.FundYearClosed(
        program="qz-critical", year=2025, outcome="surplus", amount="700000.00", carrier_share="450000.00",
        fund_share="250000.00"), "qz-critical:2025"), tenant="qz-ci")
    model: dict = {}
    for e in (review, claim, ledger, closed, claim):  # the review first, the claim twice: same result
        rm.apply(model, readmodel.project_event(e))
    c = model[rm.CI_CLAIMS]["c1"]
    assert (c["month"], c["payable_fen"], c["total_cost_fen"], c["review_outcome"], c["recovered_fen"],
            c["reviewed_on"]) == ("2025-06", 980000, 6000000, "adjusted", 12050, "2025-07-02")
    e = model[rm.LEDGER]["e1"]
    assert (e["kind"], e["amount_fen"], e["month"], e["postings"][0]) == (
        "payment", 980000, "2025-06", {"account": "claims", "debit_fen": 980000, "credit_fen": 0})
    y = model[rm.FUND_YEARS]["qz-critical:2025"]
    assert (y["outcome"], y["carrier_share_fen"], y["fund_share_fen"]) == ("surplus", 45000000, 25000000)


def test_a_malformed_fund_amount_is_a_poison_message() -> None:
    from chassis.errors import PoisonMessage

    bad = event("ledger.posted", events_pb2.LedgerPosted(entry_id="e2", year=2025, date="2025-06-30",
                                                         kind="payment", amount="1.234"), tenant="qz-ci", key="e2")
    with pytest.raises(PoisonMessage):
        readmodel.project_event(bad)


def test_figures_as_json_keep_exact_decimals() -> None:
    from services.audit.operations.domain.operations import as_json

    assert as_json({"a": D("805.00"), "s": D("0.2500"), "k": D("3.5"), "l": [D("1.00")], "p": {"x"}}) == {
        "a": "805.00", "s": "0.2500", "k": "3.5", "l": ["1.00"], "p": ["x"]}


def test_the_critical_budget_is_the_bid_not_the_ceiling() -> None:
    premium = {"base_year": 2025, "years": 3, "ceiling": "149.00", "growth": "0.03",
               "bids": {2025: "142.50", 2026: "146.78", 2027: "151.18"}}
    qz = critical_budget(premium, 2257900, 2026, D(1), "qz-ci", "qz-critical")
    assert qz.amount_fen == 331_414_562_00 and "146.78 x 2257900" in qz.basis[0]  # 146.78 × 2,257,900
    assert critical_budget(premium, 2257900, 2028, D(1), "qz-ci", "qz-critical").amount_fen is None
