"""The appraisal case's rules (cases/domain/case.py): benefit start, review date, the draw, opinions and conclusion."""

from datetime import date

import pytest

from chassis.errors import Conflict, Forbidden, InvalidInput
from services.appraisal.cases.domain.case import (
    add_months,
    after_opinion,
    benefit_start,
    check_conclusion_allowed,
    check_opinion_allowed,
    draw,
    eligible_experts,
    majority,
    review_due,
)


def test_benefit_starts_next_month_except_immediate_diseases() -> None:
    # RULES A worked example: granted 2025-05-20, starts June.
    assert benefit_start(date(2025, 5, 20), "next_month") == date(2025, 6, 1)
    assert benefit_start(date(2025, 12, 31), "next_month") == date(2026, 1, 1)
    assert benefit_start(date(2025, 5, 20), "immediate") == date(2025, 5, 20)  # tumour, transplant, dialysis


def test_review_due_adds_months_clamped() -> None:
    assert review_due(date(2025, 5, 20), 36) == date(2028, 5, 20)
    assert review_due(date(2025, 5, 20), 0) is None
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


POOL = [{"_id": f"e{i}", "hospital": f"H{i % 3}", "specialty": "cardiology" if i < 6 else "oncology"}
        for i in range(9)]


def test_draw_excludes_treating_hospital_and_is_reproducible() -> None:
    eligible = eligible_experts(POOL, "cardiology", "H0", [])
    assert [e["_id"] for e in eligible] == ["e1", "e2", "e4", "e5"]
    first = draw(eligible, 2, "seed-1")
    assert first == draw(eligible, 2, "seed-1") and len(set(first)) == 2
    assert all(e not in ("e0", "e3") for e in first)
    assert {tuple(draw(eligible, 2, f"s{i}")) for i in range(30)} != {tuple(first)}  # actually random over seeds
    with pytest.raises(Conflict):
        draw(eligible_experts(POOL, "oncology", "", ["e6", "e7"]), 2, "x")


def test_disagreement_brings_a_third_then_majority_decides() -> None:
    yes, no = {"approve": True}, {"approve": False}
    assert after_opinion([yes], 2) == "wait"
    assert after_opinion([yes, yes], 2) == "ready"
    assert after_opinion([yes, no], 2) == "third"
    assert after_opinion([yes, no, no], 3) == "ready" and majority([yes, no, no]) == "rejected"


def test_opinion_and_conclusion_guards() -> None:
    check_opinion_allowed("open", "e1", ["e1", "e2"], [])
    with pytest.raises(Forbidden):
        check_opinion_allowed("open", "e9", ["e1", "e2"], [])  # not drawn: a clerk cannot add experts
    with pytest.raises(Conflict):
        check_opinion_allowed("open", "e1", ["e1"], [{"expert_id": "e1"}])
    with pytest.raises(Conflict):
        check_opinion_allowed("concluded", "e2", ["e2"], [])
    ops = [{"expert_id": "e1", "approve": True}, {"expert_id": "e2", "approve": True}]
    with pytest.raises(Conflict):
        check_conclusion_allowed("open", ops[:1], "r1", "approved", 2)
    with pytest.raises(Forbidden):
        check_conclusion_allowed("ready", ops, "e1", "approved", 2)
    with pytest.raises(Conflict):
        check_conclusion_allowed("ready", ops, "r1", "rejected", 2)  # must follow the experts
    check_conclusion_allowed("ready", ops, "r1", "approved", 2)


# ---- several diseases, re-review (复审) ------------------------------------------------------------------------


def test_one_case_per_disease_and_a_single_disease_keeps_the_application_id() -> None:
    from services.appraisal.cases.domain.case import case_id_for

    assert case_id_for("app-1", "HTN", several=False) == "app-1"
    assert [case_id_for("app-1", d, several=True) for d in ("HTN", "DM")] == ["app-1.HTN", "app-1.DM"]


def test_a_re_review_concludes_continue_or_revoke_following_the_experts() -> None:
    from services.appraisal.cases.domain.case import check_outcome_kind, outcome_for

    assert outcome_for("review", "approved") == "continue" and outcome_for("review", "rejected") == "revoke"
    assert outcome_for("initial", "approved") == "approved" and outcome_for("review", None) is None
    check_outcome_kind("review", "continue")
    with pytest.raises(InvalidInput) as err:
        check_outcome_kind("review", "approved")
    assert err.value.field == "outcome"
    with pytest.raises(InvalidInput):
        check_outcome_kind("initial", "continue")
    yes = [{"expert_id": "e1", "approve": True}, {"expert_id": "e2", "approve": True}]
    check_conclusion_allowed("ready", yes, "r1", "continue", 2, kind="review")
    with pytest.raises(Conflict):
        check_conclusion_allowed("ready", yes, "r1", "revoke", 2, kind="review")  # the experts said continue
