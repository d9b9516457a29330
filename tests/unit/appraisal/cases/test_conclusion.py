"""How a case concludes (cases/domain/conclusion.py): the experts' opinions make the reasons as codes, an approval
grants the qualification with its benefit start and re-review date, and `appraisal.concluded` carries the codes."""

from datetime import UTC, date, datetime

import pytest

from chassis.reasons import UnknownReason
from contracts.v1 import events_pb2
from services.appraisal.cases.domain.conclusion import (
    concluded_payload,
    conclusion_reasons,
    conclusion_record,
    qualification_granted,
    with_reason_codes,
)
from services.appraisal.cases.domain.reasons import REASONS
from services.appraisal.cases.domain.view import case_view

YES = {"expert_id": "e1", "approve": True, "comment": "", "given_at": "2025-05-01T00:00:00+00:00"}
NO = {"expert_id": "e2", "approve": False, "comment": "不符合", "given_at": "2025-05-02T00:00:00+00:00"}
THIRD = {**YES, "expert_id": "e3"}


def codes(reasons: list) -> list[str]:
    return [r.code for r in reasons]


def test_the_outcome_s_code_follows_the_kind_of_case() -> None:
    assert codes(conclusion_reasons("approved", [YES, THIRD])) == ["experts_approve"]
    assert codes(conclusion_reasons("rejected", [{**YES, "approve": False}, NO])) == ["experts_refuse"]
    assert codes(conclusion_reasons("continue", [YES, THIRD])) == ["review_passed"]
    assert codes(conclusion_reasons("revoke", [NO, {**NO, "expert_id": "e4"}])) == ["review_failed"]


def test_a_disagreement_settled_by_a_third_expert_says_so_with_the_counts() -> None:
    reasons = conclusion_reasons("approved", [YES, NO, THIRD])
    assert codes(reasons) == ["experts_approve", "experts_split"]
    assert dict(reasons[0].params) == {"approve": "2", "refuse": "1", "opinions": "3"}
    assert str(reasons[0]) == "experts_approve: 2 of 3 experts approve"


def test_the_conclusion_keeps_the_reviewer_s_words_and_the_codes_beside_them() -> None:
    record = conclusion_record("rejected", "病历不全", "r1", datetime(2025, 5, 3, tzinfo=UTC), date(2025, 5, 3), True,
                               [NO, {**NO, "expert_id": "e4"}])
    assert record["reason"] == "病历不全" and record["overdue"] and record["concluded_on"] == "2025-05-03"
    assert [r["code"] for r in record["reason_codes"]] == ["experts_refuse"]
    assert set(record["reason_codes"][0]) == {"code", "detail", "params"}
    # a conclusion stored before the codes were gets them worked out; one with codes is left alone
    old = {k: v for k, v in record.items() if k != "reason_codes"}
    assert with_reason_codes(old, [NO, NO])["reason_codes"] == record["reason_codes"]
    assert with_reason_codes(record, []) is record and with_reason_codes(None, []) is None


def test_an_approval_grants_benefits_from_the_next_month_and_a_re_review_date() -> None:
    case = {"_id": "c1", "person_id": "P1", "disease_code": "HTN", "application_id": "a1", "insutype": "390"}
    q = qualification_granted(case, "q1", date(2025, 5, 20), "next_month", 24, "2025.1")
    assert (q["benefit_start"], q["review_due"], q["status"]) == ("2025-06-01", "2027-05-20", "active")
    assert (q["case_id"], q["granted_on"], q["policy_version"], q["insutype"]) == ("c1", "2025-05-20", "2025.1", "390")
    immediate = qualification_granted(case, "q2", date(2025, 5, 20), "immediate", 0, "2025.1")
    assert (immediate["benefit_start"], immediate["review_due"]) == ("2025-05-20", "")  # no re-review period


def test_appraisal_concluded_carries_the_codes_beside_the_sentence() -> None:
    case = {"_id": "c1", "application_id": "a1", "person_id": "P1", "disease_code": "HTN", "opinions": [YES, THIRD]}
    record = conclusion_record("approved", "符合", "r1", datetime(2025, 5, 3, tzinfo=UTC), date(2025, 5, 3), False,
                               case["opinions"])
    event = events_pb2.AppraisalConcluded(**concluded_payload(case, record, "initial"))
    assert event.reason == "符合" and [r.code for r in event.reason_codes] == ["experts_approve"]
    assert dict(event.reason_codes[0].params)["approve"] == "2" and len(event.opinions) == 2


def test_the_case_view_answers_the_codes_of_its_conclusion() -> None:
    case = {"_id": "c1", "status": "concluded", "opinions": [YES, THIRD],
            "conclusion": {"outcome": "approved", "reason": "ok", "concluded_on": "2025-05-03"}}
    view = case_view(case, date(2025, 5, 3))
    assert view["conclusion"]["reason"] == "ok"
    assert [r["code"] for r in view["conclusion"]["reason_codes"]] == ["experts_approve"]


def test_the_catalogue_refuses_unknown_codes() -> None:
    with pytest.raises(UnknownReason):
        REASONS.reason("approved_because_i_said_so")
