"""The credit evaluation's pure rules (services/audit/credit/domain): the SAMPLE rules file, each rule's points per
item and its cap (扣完为止), cooperation by the year's latest rating, the score never below zero, the grades at their
boundaries (90, 80, 60, 0), every deduction explained; a malformed rules file refused naming what is wrong."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from chassis.errors import InvalidInput
from services.audit.credit.domain.evaluation import Fact, evaluate
from services.audit.credit.domain.rules import RULES, load_rules, parse_rules

R = load_rules()


def fact(n: int, rule: str, on: str = "2024-05-01", **extra: Any) -> Fact:
    return Fact(f"{rule}:{n:03d}", rule, "KM-H001", on, f"ev-{rule}-{n}", f"ref-{n}", **extra)


def test_the_sample_rules_are_labelled_and_complete() -> None:
    assert R.version == "km-credit-sample.1" and "SAMPLE" in R.label and R.start == 100
    assert set(R.rules) == set(RULES)
    assert [(g.grade, g.min) for g in R.grades] == [("A", 90), ("B", 80), ("C", 60), ("D", 0)]


def test_no_facts_is_full_marks() -> None:
    e = evaluate(R, [])
    assert (e.score, e.grade, e.deductions) == (100, "A", ())
    assert [r.code for r in e.reasons] == ["credit_start", "credit_score", "credit_grade"]


def test_each_rule_deducts_per_item_up_to_its_cap() -> None:
    hits = [fact(n, "confirmed_hit", amount="10.00") for n in range(22)]   # 1 each, cap 20
    e = evaluate(R, hits)
    assert e.score == 80 and e.grade == "B"
    assert [d.applied for d in e.deductions] == [1] * 20 + [0, 0]
    assert [d.reason.code for d in e.deductions[-3:]] == ["confirmed_hit", "cap_reached", "cap_reached"]
    assert e.by_rule["confirmed_hit"] == {"name": "智能审核确认违规", "items": 22, "points": "20", "cap": "20"}
    d = e.deductions[0].to_json()
    assert (d["rule"], d["source_event_id"], d["amount"], d["points"], d["applied"], d["capped"]) == (
        "confirmed_hit", "ev-confirmed_hit-0", "10.00", "1", "1", False)
    assert e.deductions[-1].to_json()["capped"] is True


def test_a_sample_counts_its_problem_records_and_a_partial_cap() -> None:
    # 0.5 a problem record, cap 15: 25 problems → 12.5, then 10 more → 2.5 of 5 (the cap reached mid-fact).
    e = evaluate(R, [fact(1, "record_sample_problem", items=25), fact(2, "record_sample_problem", "2024-06-01",
                                                                      items=10)])
    assert [(d.points, d.applied) for d in e.deductions] == [(Decimal("12.5"), Decimal("12.5")),
                                                             (Decimal("5.0"), Decimal("2.5"))]
    assert e.score == 85 and e.by_rule["record_sample_problem"]["items"] == 35


def test_cooperation_counts_the_latest_rating_only() -> None:
    e = evaluate(R, [fact(1, "cooperation", "2024-03-01", rating="poor"), fact(2, "cooperation", "2024-11-01",
                                                                            rating="fair")])
    assert len(e.deductions) == 1 and e.deductions[0].applied == 3 and e.score == 97
    assert e.by_rule["cooperation"]["rating"] == "fair"


@pytest.mark.parametrize(("findings", "cases", "extra", "score", "grade"), [
    (3, 0, 1, Decimal("90"), "A"),        # 9 + 1 = 10: exactly 90 is A
    (3, 0, 2, Decimal("89"), "B"),
    (6, 0, 2, Decimal("80"), "B"),        # 18 + 2: exactly 80 is B
    (6, 0, 3, Decimal("79"), "C"),
    (10, 2, 0, Decimal("60"), "C"),       # 30 + 10: exactly 60 is C
    (10, 2, 1, Decimal("59"), "D"),
    (10, 6, 20, Decimal("20"), "D"),      # every cap reached: 30 + 30 + 20
])
def test_grade_boundaries(findings: int, cases: int, extra: int, score: Decimal, grade: str) -> None:
    facts = [*(fact(n, "inspection_finding") for n in range(findings)),
             *(fact(n, "case_finding") for n in range(cases)), *(fact(n, "confirmed_hit") for n in range(extra))]
    e = evaluate(R, facts)
    assert (e.score, e.grade) == (score, grade)


def test_the_score_never_falls_below_zero() -> None:
    rules = parse_rules({"version": "t", "start": "10", "rules": {
        **{code: {"points": "5", "cap": "50"} for code in RULES if code != "cooperation"},
        "cooperation": {"ratings": {"poor": "10"}, "cap": "10"}}, "grades": [{"grade": "A", "min": "5"},
                                                                           {"grade": "D", "min": "0"}]})
    e = evaluate(rules, [fact(n, "inspection_finding") for n in range(4)])
    assert (e.score, e.grade) == (0, "D")


@pytest.mark.parametrize(("change", "field"), [
    ({"version": ""}, "rules"),
    ({"start": "0"}, "start"),
    ({"rules": {"confirmed_hit": {"points": "1", "cap": "2"}}}, "rules.inspection_finding"),
    ({"rules": {**{c: {"points": "1", "cap": "2"} for c in RULES}, "cooperation": {"cap": "2"}}},
     "rules.cooperation.ratings"),
    ({"rules": {**{c: {"points": "1", "cap": "-2"} for c in RULES}}}, "rules.confirmed_hit.cap"),
    ({"grades": [{"grade": "A", "min": "90"}, {"grade": "B", "min": "95"}, {"grade": "D", "min": "0"}]}, "grades"),
    ({"grades": [{"grade": "A", "min": "90"}]}, "grades")])
def test_a_malformed_rules_file_is_refused(change: dict[str, Any], field: str) -> None:
    raw = {"version": "t", "start": "100",
           "rules": {**{c: {"points": "1", "cap": "2"} for c in RULES},
                     "cooperation": {"ratings": {"good": "0"}, "cap": "1"}},
           "grades": [{"grade": "A", "min": "90"}, {"grade": "D", "min": "0"}], **change}
    with pytest.raises(InvalidInput) as e:
        parse_rules(raw)
    assert (e.value.code, e.value.field) == ("credit_rules_invalid", field)
