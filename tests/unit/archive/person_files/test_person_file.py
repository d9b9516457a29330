"""Every event about a person becomes entries of their file (一人一档); the summary reads identity,
qualifications and benefits received from them."""

from functools import cache

from contracts.v1 import events_pb2
from services.archive.person_files.domain.person_file import FILED_EVENTS, KINDS, entries_for, group_by_kind, summarize
from tests.unit.audit.builders import (
    PERSON_A,
    build,
    completed,
    concluded,
    event,
    filed,
    finding,
    granted,
    qualification,
    revoked,
    settled,
    submitted,
)


@cache
def person_history() -> tuple:
    """One history (fixed event ids), so that files built from it are comparable."""
    q = qualification("qa", PERSON_A, "DL", "2025-06-05")
    return (
        build(submitted("a1", PERSON_A, "DL", "2025-06-02T01:00:00+00:00"), occurred_at="2025-06-02T01:00:00+00:00"),
        event("application.documents_requested", events_pb2.ApplicationDocumentsRequested(
            application_id="a1", person_id=PERSON_A, missing=["id_card", "insurance_card"], note="please",
            requested_at="2025-06-02T03:00:00+00:00"), key=PERSON_A, occurred_at="2025-06-02T03:00:00+00:00"),
        build(completed("a1", PERSON_A, "DL", "2025-06-03"), occurred_at="2025-06-03T01:00:00+00:00"),
        event("complaint.filed", events_pb2.ComplaintFiled(complaint_id="c1", person_id=PERSON_A, kind="complaint",
                                                          subject="slow", filed_at="2025-06-03T02:00:00+00:00",
                                                          due_on="2025-06-10"),
              key=PERSON_A, occurred_at="2025-06-03T02:00:00+00:00"),
        event("complaint.resolved", events_pb2.ComplaintResolved(complaint_id="c1", person_id=PERSON_A,
                                                                resolution="explained", overdue=False),
              key=PERSON_A, occurred_at="2025-06-04T02:00:00+00:00"),
        event("experts.assigned", events_pb2.ExpertsAssigned(case_id="a1", application_id="a1", person_id=PERSON_A,
                                                            expert_ids=["e1", "e2"], candidates=["e1", "e2", "e3"],
                                                            draw_seed="s", due_on="2025-06-17"),
              key=PERSON_A, occurred_at="2025-06-03T03:00:00+00:00"),
        build(concluded("a1", PERSON_A, "DL", "2025-06-05T02:00:00+00:00"), occurred_at="2025-06-05T02:00:00+00:00"),
        build(granted("qa", PERSON_A, "DL", "2025-06-05"), occurred_at="2025-06-05T02:00:01+00:00"),
        build(filed("qa", PERSON_A, "DL", "2025-06-05", "SN-1"), occurred_at="2025-06-06T02:00:00+00:00"),
        event("qualification.review_due", events_pb2.QualificationReviewDue(qualification=q, due_on="2026-06-05"),
              key=PERSON_A, occurred_at="2025-06-07T02:00:00+00:00"),
        build(settled(PERSON_A, "H1", "2025-06", "1000.00", "900.00"), occurred_at="2025-07-05T02:00:00+00:00"),
        build(settled(PERSON_A, "H2", "2025-07", "200.00", "180.50"), occurred_at="2025-08-05T02:00:00+00:00"),
        build(finding("f1", PERSON_A, "callback_unconfirmed", "0.00", "2025-08-06T02:00:00+00:00"),
              occurred_at="2025-08-06T02:00:00+00:00"),
        # A re-review (复审) concluded "continue": benefits go on to the new review date.
        event("appraisal.concluded", events_pb2.AppraisalConcluded(
            case_id="r1", application_id="a2", person_id=PERSON_A, disease_code="DL", outcome="continue",
            reason="still on dialysis", concluded_at="2025-08-20T02:00:00+00:00", concluded_by="r1", kind="review",
            qualification_id="qa"), key=PERSON_A, occurred_at="2025-08-20T02:00:00+00:00"),
        event("qualification.renewed", events_pb2.QualificationRenewed(
            qualification=qualification("qa", PERSON_A, "DL", "2025-06-05", review_due="2027-06-05"),
            previous_review_due="2026-06-05", renewed_on="2025-08-20", review_case_id="r1", application_id="a2"),
            key=PERSON_A, occurred_at="2025-08-20T02:00:01+00:00"),
        build(revoked("qa", PERSON_A, "DL", "2025-06-05", "2025-09-01"), occurred_at="2025-09-01T02:00:00+00:00"),
    )


def entries() -> list[dict]:
    return [e for ev in person_history() for e in entries_for(ev)]


def test_every_event_about_a_person_is_filed() -> None:
    history = person_history()
    filed_types = {ev.type for ev in history}
    assert filed_types <= set(FILED_EVENTS)
    assert set(FILED_EVENTS) - filed_types == {"application.rejected"}
    assert entries_for(build(granted("q", PERSON_A, "DL", "2025-06-05"))) != []
    kinds = {e["kind"] for e in entries()}
    assert kinds == set(KINDS) - {"application_rejected"}
    for e in entries():
        assert e["person_id"] == PERSON_A
        assert set(e) >= {"_id", "kind", "title", "occurred_at", "attributes", "source_event_id", "tenant"}
        assert all(isinstance(v, str) for v in e["attributes"].values())  # map<string, string> over gRPC


def test_entry_ids_are_stable_so_refiling_changes_nothing() -> None:
    ev = person_history()[0]
    assert [e["_id"] for e in entries_for(ev)] == [e["_id"] for e in entries_for(ev)]
    # The same document named by application.submitted and application.completed is one entry.
    assert entries_for(ev)[1]["_id"] == "document:a1-d1"


def test_summary_keeps_identity_qualifications_and_benefits() -> None:
    s = summarize(PERSON_A, entries())
    assert s["identity"] == {"person_id": PERSON_A, "person_name": "张建国", "psn_no": "61000000000000001234",
                             "insuplc_admdvs": "610702", "district": "", "district_name": ""}
    (q,) = s["qualifications"]
    # The re-review moved the review date on (2026-06-05 → 2027-06-05) before the qualification was revoked.
    assert (q["disease_code"], q["filing_serial"], q["status"], q["revoked_on"], q["review_due"]) == (
        "DL", "SN-1", "revoked", "2025-09-01", "2027-06-05")
    assert q["reviews"] == [{"review_case_id": "r1", "outcome": "continue", "concluded_at": "2025-08-20T02:00:00+00:00",
                             "reason": "still on dialysis", "renewed_on": "2025-08-20",
                             "previous_review_due": "2026-06-05", "review_due": "2027-06-05"}]
    assert s["benefits_received"] == {"claimed": "1200.00", "payable": "1080.50", "settlements": 2}
    assert s["counts"]["finding"] == 1 and s["counts"]["document"] == 1
    assert s["documents"] == {"application_form": 1}


def test_grouping_by_kind() -> None:
    groups = group_by_kind(entries(), lambda e: e["_id"])
    assert len(groups["benefits"]) == 2 and len(groups["finding"]) == 1
    assert sum(len(v) for v in groups.values()) == len(entries())


def test_events_about_no_one_are_not_filed() -> None:
    assert entries_for(event("warning.issued", events_pb2.WarningIssued(warning_id="w"), key="w")) == []


def test_a_renewal_shows_the_new_review_date_and_the_re_review_history() -> None:
    """qualification.renewed (复审 "continue"): the file's qualification carries the new review date; the re-review
    history lists each re-review, in order, with what it moved the date from and to."""
    q1 = qualification("qb", PERSON_A, "HTN", "2024-03-01", review_due="2025-03-01")
    history = [
        build(granted("qb", PERSON_A, "HTN", "2024-03-01"), occurred_at="2024-03-01T02:00:00+00:00"),
        event("qualification.review_due", events_pb2.QualificationReviewDue(qualification=q1, due_on="2025-03-01"),
              key=PERSON_A, occurred_at="2025-01-30T02:00:00+00:00"),
        event("qualification.renewed", events_pb2.QualificationRenewed(
            qualification=qualification("qb", PERSON_A, "HTN", "2024-03-01", review_due="2026-03-01"),
            previous_review_due="2025-03-01", renewed_on="2025-02-20", review_case_id="rv1", application_id="a9"),
            key=PERSON_A, occurred_at="2025-02-20T02:00:00+00:00"),
        event("qualification.renewed", events_pb2.QualificationRenewed(
            qualification=qualification("qb", PERSON_A, "HTN", "2024-03-01", review_due="2027-03-01"),
            previous_review_due="2026-03-01", renewed_on="2026-02-18", review_case_id="rv2", application_id="a10"),
            key=PERSON_A, occurred_at="2026-02-18T02:00:00+00:00"),
    ]
    filed_entries = [e for ev in history for e in entries_for(ev)]
    (renewal,) = entries_for(history[2])
    assert renewal["kind"] == "qualification_renewed" and renewal["_id"] == f"{history[2].id}:qualification_renewed"
    assert renewal["attributes"]["review_due"] == "2026-03-01" and renewal["attributes"]["review_case_id"] == "rv1"
    assert renewal["attributes"]["review_application_id"] == "a9"
    (q,) = summarize(PERSON_A, filed_entries)["qualifications"]
    assert (q["status"], q["review_due"]) == ("active", "2027-03-01")
    assert [(r["review_case_id"], r["outcome"], r["previous_review_due"], r["review_due"]) for r in q["reviews"]] == [
        ("rv1", "continue", "2025-03-01", "2026-03-01"), ("rv2", "continue", "2026-03-01", "2027-03-01")]
    # Whatever order the entries are read in, the file says the same (entries are sorted by when they occurred).
    assert summarize(PERSON_A, list(reversed(filed_entries))) == summarize(PERSON_A, filed_entries)


def test_the_applicants_district_is_in_the_file() -> None:
    """所属经办区 (Xunyang) travels on application.submitted and shows in the file's identity."""
    submitted_event = event("application.submitted", events_pb2.ApplicationSubmitted(
        application_id="x1", person_id=PERSON_A, person_name="李四", disease_code="HTN", channel="online",
        submitted_at="2025-06-02T01:00:00+00:00", program="xy-chronic", district="360403002",
        district_name="湓浦街道"), key=PERSON_A, tenant="xy-c", occurred_at="2025-06-02T01:00:00+00:00")
    (entry,) = entries_for(submitted_event)
    assert (entry["attributes"]["district"], entry["attributes"]["district_name"]) == ("360403002", "湓浦街道")
    identity = summarize(PERSON_A, [entry])["identity"]
    assert (identity["district"], identity["district_name"]) == ("360403002", "湓浦街道")
