"""Long-term care in the person's file (一人一档) on the embedded platform: after a run of events — the application in
each state, the assessors drawn, a conclusion, the objection and the re-assessment, the care plan, two uploads of care
service records (one redelivered), a statement paid, a patrol that checked the person's care, the re-check falling due
and the yearly status survey — archive's file of the person in lot B shows each section, with a month of services as
one entry; another lot's carrier (wz-a) and a tenant outside long-term care (hz-p1) never see it, nor do other roles;
nothing of the person is at rest in clear."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from contracts.v1 import common_pb2, events_pb2
from jingban.embedded import EmbeddedPlatform
from tests.conftest import auth, embedded_port_offset, eventually
from tests.support.pii_scan import scan_stores
from tests.unit.audit.builders import message, stored

T = "wz-b"
PERSON = "33030319580312001X"
OTHER = "330303196204250028"


@pytest.fixture(scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={"JINGBAN_DATA_DIR": str(tmp_path_factory.mktemp("ltc-file"))},
                         port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def application(state: str, **extra: Any) -> events_pb2.CareApplicationChanged:
    return events_pb2.CareApplicationChanged(application_id="ca1", person_id=PERSON, status=state, lot="B",
                                             district="龙湾区", channel="window", basis="illness", insutype="390",
                                             occurred_at="2026-01-02T01:00:00+00:00", **extra)


def upload(batch: str, days: range) -> events_pb2.CareServicesRecorded:
    return events_pb2.CareServicesRecorded(batch_id=batch, institution_id="WZB-C001", month="2026-02", records=[
        events_pb2.CareServiceRecord(record_id=f"{batch}-{d}-{who}", person_id=who, caregiver_id="CG1",
                                     date=f"2026-02-{d:02d}", items=["basic_care", "bathing"] if d % 7 == 0
                                     else ["basic_care"], start="08:00", end="09:00", plan_id="p1")
        for d in days for who in (PERSON, OTHER)])


def run_of_events() -> list[dict[str, Any]]:
    """The person's long-term care, as intake, appraisal, settlement and audit publish it (in order)."""
    one = stored("care_services.recorded", upload("b1", range(1, 15)), tenant=T, key="b1")
    return [
        stored("care_application.submitted", application("submitted", documents=[common_pb2.DocumentRef(
            document_id="d1", kind="medical_records", filename="records.pdf", content_type="application/pdf",
            size=1024, sha256="ab" * 32)]), tenant=T, key=PERSON),
        stored("care_application.documents_requested",
               application("documents_requested", missing=["medical_records"], reasons=["documents_missing"]),
               tenant=T, key=PERSON),
        stored("care_application.accepted", application("accepted"), tenant=T, key=PERSON),
        stored("disability.assessment_opened", events_pb2.DisabilityAssessmentOpened(
            assessment_id="as1", application_id="ca1", person_id=PERSON, assessors=["A01", "A02"], seed="s1",
            round=1, kind="initial", opened_at="2026-01-05T01:00:00+00:00"), tenant=T, key=PERSON),
        stored("disability.concluded", events_pb2.DisabilityConcluded(
            assessment_id="as1", application_id="ca1", person_id=PERSON, grade=2, grade_name="中度失能",
            adl_level=2, cognition_level=1, perception_level=1, eligible=False, scale_version="sample-2021.1",
            reasons=["not_severe"], concluded_at="2026-01-08T01:00:00+00:00", round=1, assessors=["A01", "A02"],
            lot="B", kind="initial"), tenant=T, key=PERSON),
        stored("disability.objected", events_pb2.DisabilityObjected(
            assessment_id="as1", person_id=PERSON, reason="家属认为评定偏低", objected_at="2026-01-10T01:00:00+00:00",
            reassessment_id="as2"), tenant=T, key=PERSON),
        stored("disability.assessment_opened", events_pb2.DisabilityAssessmentOpened(
            assessment_id="as2", application_id="ca1", person_id=PERSON, assessors=["A03", "A04"], seed="s2",
            round=2, kind="objection", opened_at="2026-01-11T01:00:00+00:00"), tenant=T, key=PERSON),
        stored("disability.concluded", events_pb2.DisabilityConcluded(
            assessment_id="as2", application_id="ca1", person_id=PERSON, grade=4, grade_name="重度失能II级",
            adl_level=3, cognition_level=2, perception_level=2, eligible=True, scale_version="sample-2021.1",
            concluded_at="2026-01-15T01:00:00+00:00", recheck_due="2027-01-15", round=2, assessors=["A03", "A04"],
            lot="B", kind="objection"), tenant=T, key=PERSON),
        stored("care_plan.approved", events_pb2.CarePlanApproved(
            plan_id="p1", person_id=PERSON, institution_id="WZB-C001", mode="home_visit", grade=4,
            items=[events_pb2.CarePlanItem(code="basic_care", per_month=28),
                   events_pb2.CarePlanItem(code="bathing", per_month=4)],
            valid_from="2026-02-01", valid_to="2027-01-31", catalogue_version="care-sample.1"), tenant=T, key=PERSON),
        one,
        stored("care_services.recorded", upload("b2", range(15, 29)), tenant=T, key="b2"),
        one,  # redelivered: counted once
        stored("care_statement.paid", events_pb2.CareStatementPaid(
            statement_id="WZB-C001-2026-02", institution_id="WZB-C001", month="2026-02", amount="5600.00",
            records=56, persons=2, benefits_version="sample-2026.1", paid_at="2026-03-12T01:00:00+00:00",
            person_ids=[OTHER, PERSON]), tenant=T, key="WZB-C001-2026-02"),
        stored("patrol.completed", events_pb2.PatrolCompleted(
            patrol_id="pt1", quarter="2026-Q1", institution_ids=["WZB-C001"], record_ids=["b1-3"],
            inspectors=["I1", "I2"], findings=["record_time_mismatch"], completed_at="2026-03-20T01:00:00+00:00",
            person_ids=[PERSON]), tenant=T, key="pt1"),
        stored("status_survey.recorded", events_pb2.StatusSurveyRecorded(
            survey_id="sv1", person_id=PERSON, year=2026, status="unchanged", surveyed_on="2026-06-01"),
            tenant=T, key=PERSON),
        stored("disability.recheck_due", events_pb2.DisabilityRecheckDue(
            person_id=PERSON, assessment_id="as2", due_on="2027-01-15"), tenant=T, key=PERSON),
    ]


@pytest.fixture(scope="module")
async def person_file(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> dict[str, Any]:
    for ev in run_of_events():
        await platform.bus.publish([message(ev)])

    async def probe() -> dict[str, Any] | None:
        r = await http.get(f"{platform.url('archive')}/v1/persons/{PERSON}/file", headers=auth(T, "clerk"))
        if r.status_code != 200:
            return None
        body = r.json()
        ltc = body["summary"].get("long_term_care") or {}
        done = ltc.get("status_surveys") and ltc.get("recheck_due") and ltc.get("patrols") and ltc.get(
            "care_statements") and sum(m["records"] for m in ltc.get("care_services", [])) == 28
        return body if done else None

    return await eventually(probe, timeout=60, what="the person's long-term care file")


async def test_the_file_shows_each_section(person_file: dict[str, Any]) -> None:
    ltc = person_file["summary"]["long_term_care"]
    assert ltc["application"]["status"] == "accepted"
    assert [h["status"] for h in ltc["application"]["history"]] == ["submitted", "documents_requested", "accepted"]
    assert ltc["application"]["history"][1]["reasons"] == ["documents_missing"]
    assert person_file["summary"]["documents"] == {"medical_records": 1}
    assert [(a["round"], a["kind"], a["grade"], a["eligible"], a["assessors"]) for a in ltc["assessments"]] == [
        (1, "initial", 2, False, ["A01", "A02"]), (2, "objection", 4, True, ["A03", "A04"])]
    assert ltc["assessments"][0]["objection"]["reassessment_id"] == "as2"
    assert ltc["assessments"][1]["levels"] == {"adl": 3, "cognition": 2, "perception": 2}
    assert (ltc["grade"], ltc["grade_name"], ltc["eligible"], ltc["scale_version"], ltc["recheck_due"]) == (
        4, "重度失能II级", True, "sample-2021.1", "2027-01-15")
    assert ltc["care_plans"] == [{"plan_id": "p1", "mode": "home_visit", "institution_id": "WZB-C001", "grade": 4,
                                  "items": {"basic_care": 28, "bathing": 4}, "valid_from": "2026-02-01",
                                  "valid_to": "2027-01-31"}]
    # 28 days of visits in two uploads (one delivered twice): one entry for the month, each record counted once.
    assert ltc["care_services"] == [{"month": "2026-02", "records": 28, "items": {"basic_care": 28, "bathing": 4},
                                     "institutions": {"WZB-C001": 28}}]
    assert [s["statement_id"] for s in ltc["care_statements"]] == ["WZB-C001-2026-02"]
    assert ltc["patrols"][0]["patrol_id"] == "pt1" and ltc["patrols"][0]["sampled"] is True
    assert ltc["status_surveys"][0]["status"] == "unchanged"
    groups = person_file["groups"]
    assert {k: len(v) for k, v in groups.items()} == {
        "document": 1, "care_application": 3, "disability_assessment": 2, "disability_conclusion": 2,
        "disability_objection": 1, "disability_recheck_due": 1, "care_plan": 1, "care_services": 1,
        "care_statement": 1, "patrol": 1, "status_survey": 1}
    [month] = groups["care_services"]
    assert month["attributes"]["records"] == "28" and month["attributes"]["uploads"] == "2"
    assert PERSON not in month["entry_id"]


async def test_the_other_person_of_the_statement_has_their_own_file(platform: EmbeddedPlatform,
                                                                    http: httpx.AsyncClient,
                                                                    person_file: dict[str, Any]) -> None:
    r = await http.get(f"{platform.url('archive')}/v1/persons/{OTHER}/file", headers=auth(T, "clerk"))
    assert r.status_code == 200
    ltc = r.json()["summary"]["long_term_care"]
    assert ltc["care_services"][0]["records"] == 28 and ltc["assessments"] == [] and ltc["application"] is None


async def test_the_person_reads_their_own_file(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                               person_file: dict[str, Any]) -> None:
    url = f"{platform.url('archive')}/v1/persons/{PERSON}/file"
    assert (await http.get(url, headers=auth(T, "applicant", subject=PERSON))).status_code == 200
    assert (await http.get(url, headers=auth(T, "applicant", subject=OTHER))).status_code == 404


@pytest.mark.parametrize("tenant", ["wz-a", "hz-p1"])
async def test_another_tenants_file_never(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                          person_file: dict[str, Any], tenant: str) -> None:
    r = await http.get(f"{platform.url('archive')}/v1/persons/{PERSON}/file", headers=auth(tenant, "clerk"))
    assert r.status_code == 404
    assert PERSON not in r.text


@pytest.mark.parametrize("role", ["finance", "institution", "expert"])
async def test_other_roles_are_refused(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                       person_file: dict[str, Any], role: str) -> None:
    r = await http.get(f"{platform.url('archive')}/v1/persons/{PERSON}/file", headers=auth(T, role))
    assert r.status_code == 403


async def test_nothing_of_the_person_is_at_rest_in_clear(platform: EmbeddedPlatform,
                                                         person_file: dict[str, Any]) -> None:
    found, docs = await scan_stores(platform.store, ["archive"], [T], [PERSON, OTHER, PERSON.lower()])
    assert docs > 0 and found == []
