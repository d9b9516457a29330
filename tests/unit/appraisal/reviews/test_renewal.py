"""When a re-review (复审) falls due and what a passed one moves the qualification to (reviews/domain/renewal.py)."""

from datetime import date

import pytest

from chassis.errors import Conflict
from services.appraisal.reviews.domain.renewal import (
    check_reviewable,
    notice_due,
    renewal,
    revocation_record,
    worklist_row,
)

Q = {"qualification_id": "q1", "disease_code": "HTN", "review_due": "2026-06-30", "status": "active"}
REVIEW = {"_id": "r1", "application_id": "a2"}


def test_the_notice_falls_due_inside_the_window() -> None:
    assert not notice_due(date(2026, 6, 30), 30, date(2026, 5, 30))
    assert notice_due(date(2026, 6, 30), 30, date(2026, 5, 31))
    assert notice_due(date(2026, 6, 30), 0, date(2026, 7, 1))


def test_a_passed_re_review_moves_the_review_date_and_records_the_renewal() -> None:
    renewed, record = renewal(Q, REVIEW, date(2026, 6, 1), 12, "due", "2026.1", "r-9")
    assert renewed["review_due"] == "2027-06-30" and renewed["qualification_id"] == "q1"
    assert record == {"review_case_id": "r1", "application_id": "a2", "previous_review_due": "2026-06-30",
                      "renewed_on": "2026-06-01", "review_due": "2027-06-30", "by": "r-9", "policy_version": "2026.1"}
    renewed, record = renewal({**Q, "review_due": ""}, REVIEW, date(2026, 6, 1), 0, "due", "2026.1", "r-9")
    assert renewed["review_due"] == "" and record["previous_review_due"] == ""


def test_a_re_review_concludes_only_on_an_active_qualification() -> None:
    with pytest.raises(Conflict) as err:
        check_reviewable("q1", None, "r1")
    assert err.value.code == "review_requires_active_qualification"
    with pytest.raises(Conflict) as err:
        check_reviewable("q1", {"qualification": {**Q, "status": "revoked"}}, "r1")
    assert err.value.code == "review_requires_active_qualification" and err.value.field == "qualification_id"
    assert not check_reviewable("q1", {"qualification": Q}, "r1")
    # a retry of a conclusion whose first write revoked it already
    assert check_reviewable("q1", {"qualification": {**Q, "status": "revoked"},
                                   "revocation": {"review_case_id": "r1"}}, "r1")


def test_revocation_and_worklist_rows() -> None:
    assert revocation_record("x", date(2026, 1, 2), "c1") == {"reason": "x", "revoked_on": "2026-01-02", "by": "c1"}
    assert revocation_record("x", date(2026, 1, 2), "c1", "r1")["review_case_id"] == "r1"
    case = {"qualification_id": "q1", "person_id": "P1", "disease_code": "HTN", "review_due": "2026-06-30"}
    assert worklist_row(case, date(2026, 7, 1))["overdue"] and not worklist_row(case, date(2026, 6, 30))["overdue"]
    assert worklist_row({**case, "review_notified": True}, date(2026, 6, 1))["notified"]
