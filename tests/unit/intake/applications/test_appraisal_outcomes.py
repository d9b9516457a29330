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


def test_each_appraisal_event_is_a_timeline_code_with_its_values() -> None:
    """The timeline step says what it is by code (application.TIMELINE_EVENTS) with dates and codes as params; the
    experts' or the revocation's reason (a person's words) stays in the note."""
    from chassis.events import decode, encode, new_event
    from contracts.v1 import common_pb2, events_pb2
    from services.intake.applications.domain.application import TIMELINE_EVENTS
    from services.intake.applications.domain.outcomes import timeline_event

    def event(kind: str, payload: object) -> object:
        return decode(encode(new_event(kind, "hz-p1", "p", payload, source="appraisal", trace_context={})))

    q = common_pb2.Qualification(qualification_id="q1", application_id="a", disease_code="HTN",
                                 benefit_start="2025-07-01", review_due="2028-06-30")
    cases = [
        (event("experts.assigned", events_pb2.ExpertsAssigned(application_id="a", disease_code="HTN")),
         ("experts_appointed", {})),
        (event("appraisal.concluded", events_pb2.AppraisalConcluded(application_id="a", disease_code="HTN",
                                                                     outcome="approved", reason="符合")),
         ("appraisal_concluded", {"outcome": "approved"})),
        (event("appraisal.concluded", events_pb2.AppraisalConcluded(application_id="a", disease_code="HTN",
                                                                     outcome="revoke", reason="x", kind="review")),
         ("review_concluded", {"outcome": "revoke"})),
        (event("qualification.granted", events_pb2.QualificationGranted(qualification=q)),
         ("benefits_granted", {"benefit_start": "2025-07-01"})),
        (event("qualification.filed", events_pb2.QualificationFiled(qualification=q, filing_serial="BA-0007")),
         ("qualification_filed", {"filing_serial": "BA-0007"})),
        (event("qualification.revoked", events_pb2.QualificationRevoked(qualification=q, reason="不再符合")),
         ("qualification_revoked", {})),
        (event("qualification.review_due", events_pb2.QualificationReviewDue(qualification=q, due_on="2028-06-30")),
         ("review_due", {"due_on": "2028-06-30"})),
        (event("qualification.renewed", events_pb2.QualificationRenewed(qualification=q)),
         ("benefits_renewed", {"review_due": "2028-06-30"})),
    ]
    for ev, expected in cases:
        assert timeline_event(ev) == expected
        assert expected[0] in TIMELINE_EVENTS


def test_the_entry_of_an_application_of_several_diseases_names_its_disease_as_a_param() -> None:
    at = "2025-06-01T00:00:00+00:00"
    several = timeline_note({"diseases": ["HTN", "DM"]}, "filed", at, "filing BA-1", "DM", "qualification_filed",
                            {"filing_serial": "BA-1"})
    assert (several["event"], several["params"]) == ("qualification_filed", {"filing_serial": "BA-1", "disease": "DM"})
    one = timeline_note({"diseases": ["HTN"]}, "filed", at, "filing BA-1", "HTN", "qualification_filed",
                        {"filing_serial": "BA-1"})
    assert one["params"] == {"filing_serial": "BA-1"} and one["note"] == "filing BA-1"
    assert "event" not in timeline_note({"diseases": ["HTN"]}, "approved", at, "ok", "HTN")  # no code: none given
