"""What the applicant's application shows of an appraisal event (services/intake/applications/domain/outcomes.py)."""

from __future__ import annotations

from services.intake.applications.domain.outcomes import status_changes, timeline_note


def test_a_reminder_changes_no_status_and_a_decision_changes_its_diseases() -> None:
    assert status_changes("qualification.review_due", "filed", "HTN") == {}
    assert status_changes("qualification.filed", "filed", "HTN") == {"status": "filed",
                                                                      "disease_status.HTN": "filed"}
    assert status_changes("experts.assigned", "in_appraisal", "") == {"status": "in_appraisal"}


def test_the_note_names_the_disease_only_on_an_application_of_several() -> None:
    at = "2025-06-01T00:00:00+00:00"
    assert timeline_note({"diseases": ["HTN", "DM"]}, "approved", at, "ok", "DM")["note"] == "DM: ok"
    assert timeline_note({"diseases": ["HTN"]}, "approved", at, "ok", "HTN")["note"] == "ok"
