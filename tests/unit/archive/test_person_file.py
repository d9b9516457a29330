"""Every event about a person becomes entries of their file (一人一档); the summary reads identity,
qualifications and benefits received from them."""

from functools import cache

from jingban.contracts.v1 import events_pb2
from services.archive.domain.person_file import FILED_EVENTS, KINDS, entries_for, group_by_kind, summarize
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
                             "insuplc_admdvs": "610702"}
    (q,) = s["qualifications"]
    assert (q["disease_code"], q["filing_serial"], q["status"], q["revoked_on"], q["review_due"]) == (
        "DL", "SN-1", "revoked", "2025-09-01", "2026-06-05")
    assert s["benefits_received"] == {"claimed": "1200.00", "payable": "1080.50", "settlements": 2}
    assert s["counts"]["finding"] == 1 and s["counts"]["document"] == 1
    assert s["documents"] == {"application_form": 1}


def test_grouping_by_kind() -> None:
    groups = group_by_kind(entries(), lambda e: e["_id"])
    assert len(groups["benefits"]) == 2 and len(groups["finding"]) == 1
    assert sum(len(v) for v in groups.values()) == len(entries())


def test_events_about_no_one_are_not_filed() -> None:
    assert entries_for(event("warning.issued", events_pb2.WarningIssued(warning_id="w"), key="w")) == []
