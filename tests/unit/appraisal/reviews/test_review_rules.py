"""The re-review (复审) rules: the next review date after a passed re-review, a revoked qualification's filing and a
retried conclusion (reviews/domain/renewal.py, filing/domain/states.py)."""

from datetime import date

import pytest

from chassis.errors import InvalidInput


def test_the_next_review_date_after_a_passed_re_review() -> None:
    from services.appraisal.reviews.domain.renewal import renewed_review_due

    due = date(2026, 6, 30)
    # (choice) from the old date when passed early (no time lost), from the conclusion when late (none given back)
    assert renewed_review_due(due, date(2026, 6, 1), 12) == date(2027, 6, 30)
    assert renewed_review_due(due, date(2026, 7, 15), 12) == date(2027, 7, 15)
    assert renewed_review_due(due, date(2026, 6, 1), 12, "conclusion") == date(2027, 6, 1)
    assert renewed_review_due(None, date(2026, 6, 1), 24) == date(2028, 6, 1)
    assert renewed_review_due(due, date(2026, 6, 1), 0) is None  # the table sets no further re-review
    with pytest.raises(InvalidInput):
        renewed_review_due(due, date(2026, 6, 1), 12, "whenever")


def test_a_revoked_qualification_s_filing_is_revoked_only_where_it_stands() -> None:
    from services.appraisal.filing.domain.states import after_revocation as _next_filing
    from services.appraisal.reviews.domain.renewal import applied_by as _applied_by

    filed = {"filing_status": "filed", "qualification": {"filing_serial": "SN1"}}
    assert _next_filing(filed) == "revoking"
    assert _next_filing({"filing_status": "pending", "qualification": {"filing_serial": ""}}) == "cancelled"
    assert _next_filing({"filing_status": "rejected", "qualification": {"filing_serial": ""}}) == "cancelled"
    # a renewal whose old filing is revoked already: nothing stands at the platform any more
    assert _next_filing({**filed, "filing_status": "renewing", "filing_renew_revoked": True}) == "cancelled"
    assert _next_filing({**filed, "filing_status": "renewing"}) == "revoking"
    assert _next_filing({"filing_status": "revoked", "qualification": {"filing_serial": "SN1"}}) == "revoked"
    # a retried conclusion recognises its own first write
    assert _applied_by({"renewals": [{"review_case_id": "r1"}]}, "r1")
    assert _applied_by({"revocation": {"review_case_id": "r2"}}, "r2")
    assert not _applied_by({"renewals": [{"review_case_id": "r1"}], "revocation": {"reason": "x"}}, "r3")
