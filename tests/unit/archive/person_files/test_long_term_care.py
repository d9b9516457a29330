"""Long-term care in the person's file (services/archive/person_files/domain/long_term_care.py): each event's entries,
a month of care service records as one tally per person (each upload counted once), and the summary's
`long_term_care` section; the store's month entry keyed by a pseudonym, sealed, and the same for a redelivery."""

from __future__ import annotations

from typing import Any

from chassis.store.memory import MemoryStore
from contracts.v1 import common_pb2, events_pb2
from services.archive.person_files import service
from services.archive.person_files.domain.long_term_care import (
    LTC_FILED_EVENTS,
    LTC_KINDS,
    care_month_tallies,
    field_key,
    ltc_entries,
    ltc_summary,
    shown,
)
from services.archive.person_files.domain.person_file import entries_for, summarize
from services.archive.person_files.store import ENTRIES, EntryStore
from tests.unit.audit.builders import event

PERSON = "33030319580312001X"
OTHER = "330303196204250028"
T = "wz-b"


def app_event(state: str, at: str, application: str = "ca1", **extra: Any) -> Any:
    return event(f"care_application.{state}", events_pb2.CareApplicationChanged(
        application_id=application, person_id=PERSON, status=state, lot="B", district="龙湾区", channel="window",
        basis="illness", insutype="390", occurred_at=at, **extra), tenant=T, key=PERSON, occurred_at=at)


def history() -> list[Any]:
    return [
        app_event("rejected", "2025-11-02T01:00:00+00:00", "ca0", reasons=["disability_under_six_months"]),
        app_event("submitted", "2026-01-02T01:00:00+00:00", disabled_since="2025-05-01", applied_on="2026-01-02",
                  documents=[common_pb2.DocumentRef(document_id="d1", kind="id_card", filename="id.png",
                                                    content_type="image/png", size=10, sha256="ab")]),
        app_event("documents_requested", "2026-01-03T01:00:00+00:00", missing=["medical_records"],
                  reasons=["documents_missing"]),
        app_event("accepted", "2026-01-04T01:00:00+00:00"),
        event("disability.assessment_opened", events_pb2.DisabilityAssessmentOpened(
            assessment_id="as1", application_id="ca1", person_id=PERSON, assessors=["A01", "A02"], seed="s1",
            round=1, kind="initial", opened_at="2026-01-05T01:00:00+00:00"), tenant=T, key=PERSON,
            occurred_at="2026-01-05T01:00:00+00:00"),
        event("disability.concluded", events_pb2.DisabilityConcluded(
            assessment_id="as1", application_id="ca1", person_id=PERSON, grade=2, grade_name="中度失能",
            adl_level=2, cognition_level=1, perception_level=1, eligible=False, scale_version="sample-2021.1",
            reasons=["not_severe"], concluded_at="2026-01-08T01:00:00+00:00", round=1, assessors=["A01", "A02"],
            kind="initial"), tenant=T, key=PERSON, occurred_at="2026-01-08T01:00:00+00:00"),
        event("disability.objected", events_pb2.DisabilityObjected(
            assessment_id="as1", person_id=PERSON, reason="家属认为评定偏低", objected_at="2026-01-10T01:00:00+00:00",
            reassessment_id="as2"), tenant=T, key=PERSON, occurred_at="2026-01-10T01:00:00+00:00"),
        event("disability.assessment_opened", events_pb2.DisabilityAssessmentOpened(
            assessment_id="as2", application_id="ca1", person_id=PERSON, assessors=["A03", "A04"], seed="s2",
            round=2, kind="objection", opened_at="2026-01-11T01:00:00+00:00"), tenant=T, key=PERSON,
            occurred_at="2026-01-11T01:00:00+00:00"),
        event("disability.concluded", events_pb2.DisabilityConcluded(
            assessment_id="as2", application_id="ca1", person_id=PERSON, grade=4, grade_name="重度失能II级",
            adl_level=3, cognition_level=2, perception_level=2, eligible=True, scale_version="sample-2021.1",
            concluded_at="2026-01-15T01:00:00+00:00", recheck_due="2027-01-15", round=2, assessors=["A03", "A04"],
            kind="objection"), tenant=T, key=PERSON, occurred_at="2026-01-15T01:00:00+00:00"),
        event("care_plan.approved", events_pb2.CarePlanApproved(
            plan_id="p1", person_id=PERSON, institution_id="WZB-C001", mode="home_visit", grade=4,
            items=[events_pb2.CarePlanItem(code="basic_care", per_month=20),
                   events_pb2.CarePlanItem(code="bathing", per_month=4)],
            valid_from="2026-02-01", valid_to="2027-01-31", catalogue_version="care-sample.1"), tenant=T,
            key=PERSON, occurred_at="2026-01-20T01:00:00+00:00"),
        event("care_statement.paid", events_pb2.CareStatementPaid(
            statement_id="WZB-C001-2026-02", institution_id="WZB-C001", month="2026-02", amount="9000.00",
            records=60, persons=2, benefits_version="sample-2026.1", paid_at="2026-03-12T01:00:00+00:00",
            person_ids=[OTHER, PERSON]), tenant=T, key="WZB-C001-2026-02", occurred_at="2026-03-12T01:00:00+00:00"),
        event("patrol.completed", events_pb2.PatrolCompleted(
            patrol_id="pt1", quarter="2026-Q1", institution_ids=["WZB-C001"], record_ids=["r1"],
            inspectors=["I1", "I2"], findings=["record_time_mismatch"], completed_at="2026-03-20T01:00:00+00:00",
            person_ids=[PERSON]), tenant=T, key="pt1", occurred_at="2026-03-20T01:00:00+00:00"),
        event("disability.recheck_due", events_pb2.DisabilityRecheckDue(
            person_id=PERSON, assessment_id="as2", due_on="2027-01-15"), tenant=T, key=PERSON,
            occurred_at="2026-12-15T01:00:00+00:00"),
        event("status_survey.recorded", events_pb2.StatusSurveyRecorded(
            survey_id="sv1", person_id=PERSON, year=2026, status="unchanged", surveyed_on="2026-06-01"), tenant=T,
            key=PERSON, occurred_at="2026-06-01T01:00:00+00:00"),
    ]


def upload(batch: str, records: list[tuple[str, str, list[str]]], at: str = "2026-02-10T01:00:00+00:00") -> Any:
    return event("care_services.recorded", events_pb2.CareServicesRecorded(
        batch_id=batch, institution_id="WZB-C001", month="2026-02", records=[
            events_pb2.CareServiceRecord(record_id=f"{batch}-{n}", person_id=person, caregiver_id="CG1", date=day,
                                         items=items, start="08:00", end="09:00", plan_id="p1")
            for n, (person, day, items) in enumerate(records)]), tenant=T, key=batch, occurred_at=at)


def test_every_long_term_care_event_is_filed_under_its_kind() -> None:
    entries = [e for ev in history() for e in entries_for(ev)]
    [document] = [e for e in entries if e["kind"] == "document"]  # the application's documents, as for chronic
    assert (document["_id"], document["attributes"]["kind"]) == ("document:d1", "id_card")
    entries = [e for e in entries if e["kind"] != "document"]
    assert {e["kind"] for e in entries} == set(LTC_KINDS) - {"care_services"}
    assert {ev.type for ev in history()} | {"care_services.recorded"} == set(LTC_FILED_EVENTS)
    assert all(isinstance(v, str) for e in entries for v in e["attributes"].values())
    mine = [e for e in entries if e["person_id"] == PERSON]
    assert len(mine) == len(entries) - 1  # the statement's other person has an entry of their own
    conclusion = next(e for e in mine if e["kind"] == "disability_conclusion" and e["attributes"]["round"] == "2")
    assert conclusion["attributes"].items() >= {"grade": "4", "grade_name": "重度失能II级", "adl_level": "3",
                                             "cognition_level": "2", "perception_level": "2", "eligible": "true",
                                             "scale_version": "sample-2021.1", "recheck_due": "2027-01-15"}.items()
    requested = next(e for e in mine if e["attributes"].get("status") == "documents_requested")
    assert requested["attributes"]["reasons"] == "documents_missing" and "documents_missing" in requested["title"]


def test_statement_and_patrol_entries_are_keyed_by_place_never_by_number() -> None:
    entries = [e for ev in history() for e in ltc_entries(ev) if e["kind"] in ("care_statement", "patrol")]
    assert all(PERSON not in e["_id"] and OTHER not in e["_id"] for e in entries)
    assert {e["person_id"] for e in entries if e["kind"] == "care_statement"} == {PERSON, OTHER}
    assert entries_for(upload("b1", [(PERSON, "2026-02-01", ["basic_care"])])) == []  # tallied, not filed


def test_an_upload_is_a_tally_per_person_and_month() -> None:
    tallies = care_month_tallies(upload("b1", [
        (PERSON, "2026-02-01", ["basic_care"]), (PERSON, "2026-02-02", ["basic_care", "bathing"]),
        (OTHER, "2026-02-02", ["basic_care"]), (PERSON, "2026-03-01", ["basic_care"])]))
    by = {(t["person_id"], t["month"]): t for t in tallies}
    assert set(by) == {(PERSON, "2026-02"), (OTHER, "2026-02"), (PERSON, "2026-03")}
    feb = by[(PERSON, "2026-02")]
    assert (feb["records"], feb["items"], feb["institutions"]) == (2, {"basic_care": 2, "bathing": 1},
                                                                   {"WZB-C001": 2})
    assert field_key("a.b") != "a.b" and not field_key("$x").startswith("$")


def test_the_summary_tells_the_long_term_care_story() -> None:
    entries = [e for ev in history() for e in entries_for(ev) if e["person_id"] == PERSON]
    assert summarize(PERSON, entries)["documents"] == {"id_card": 1}
    month = shown({"_id": "care_services:x:2026-02", "kind": "care_services", "occurred_at": "2026-02-10T01:00:00",
                   "person_id": PERSON, "title": "", "attributes": {"month": "2026-02"}, "month": "2026-02",
                   "tally": {"records": 24, "items": {"basic_care": 20, "bathing": 4},
                             "institutions": {"WZB-C001": 24}, "batches": ["e1", "e2"], "last_at": "t"}})
    assert month["attributes"]["records"] == "24" and "tally" not in month
    assert month["title"] == "Care services 2026-02: 24 records (basic_care:20,bathing:4)"
    ltc = summarize(PERSON, [*entries, month])["long_term_care"]
    assert ltc["application"]["status"] == "accepted" and [h["status"] for h in ltc["application"]["history"]] == [
        "submitted", "documents_requested", "accepted"]
    assert (ltc["application"]["disabled_since"], ltc["application"]["applied_on"]) == ("2025-05-01", "2026-01-02")
    assert [(a["application_id"], a["status"], a["reasons"]) for a in ltc["applications"]] == [
        ("ca0", "rejected", ["disability_under_six_months"]), ("ca1", "accepted", [])]
    assert [(a["round"], a["kind"], a["grade"], a["eligible"]) for a in ltc["assessments"]] == [
        (1, "initial", 2, False), (2, "objection", 4, True)]
    assert ltc["assessments"][0]["objection"]["reassessment_id"] == "as2"
    assert ltc["assessments"][1]["assessors"] == ["A03", "A04"]
    assert ltc["assessments"][1]["levels"] == {"adl": 3, "cognition": 2, "perception": 2}
    assert (ltc["grade"], ltc["grade_name"], ltc["eligible"], ltc["recheck_due"]) == (4, "重度失能II级", True,
                                                                                     "2027-01-15")
    assert ltc["care_plans"][0]["items"] == {"basic_care": 20, "bathing": 4}
    assert ltc["care_services"] == [{"month": "2026-02", "records": 24, "items": {"basic_care": 20, "bathing": 4},
                                     "institutions": {"WZB-C001": 24}}]
    assert ltc["care_statements"][0]["statement_id"] == "WZB-C001-2026-02"
    assert ltc["patrols"][0]["findings"] == ["record_time_mismatch"]
    assert ltc["status_surveys"] == [{"survey_id": "sv1", "year": 2026, "status": "unchanged",
                                      "surveyed_on": "2026-06-01"}]
    assert "long_term_care" not in summarize(PERSON, [])
    assert ltc_summary([]) is None


async def test_the_store_adds_each_upload_to_the_month_once() -> None:
    memory = MemoryStore()
    db = memory.database("archive", T)
    one = upload("b1", [(PERSON, "2026-02-01", ["basic_care"]), (OTHER, "2026-02-01", ["basic_care"])])
    two = upload("b2", [(PERSON, "2026-02-02", ["basic_care", "bathing"])], at="2026-02-11T01:00:00+00:00")
    for ev in (one, two, one, two):  # redelivered uploads change nothing
        await service.file_event(db, ev)
    [month] = await EntryStore(db).person_file(PERSON)
    assert month["kind"] == "care_services" and month["attributes"]["records"] == "2"
    assert month["attributes"]["items"] == "basic_care:2,bathing:1" and month["attributes"]["uploads"] == "2"
    assert month["attributes"]["last_recorded_at"].startswith("2026-02-11")
    assert [e["attributes"]["records"] for e in await EntryStore(db).person_file(OTHER)] == ["1"]
    raw = await db[ENTRIES].find({}).to_list(None)
    assert len(raw) == 2 and all(PERSON not in str(d) and OTHER not in str(d) for d in raw)
    # Another tenant's archive holds nothing of it.
    assert await EntryStore(memory.database("archive", "wz-a")).person_file(PERSON) == []
