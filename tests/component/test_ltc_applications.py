"""Long-term care applications (长护险失能等级评定申请, 初步筛查) at intake's door, on the in-memory adapters: filed in
the person's lot (a district's, a city-level person's by the sequence-code rule; another lot's refused naming the
lot, nothing stored), screened against the preconditions with reasons (an accept they refuse is refused with each
failed code), the missing-documents loop with the person told, the working-day clock, the events appraisal opens
the assessment on, the assessors drawn opening the documents (each read recorded), the assessment on the timeline;
bad input, roles, wz-a against wz-b and hz-p1 (not in the program) kept apart; nothing personal stored in clear."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from chassis.access import ACCESS_LOG
from chassis.bus.memory import MemoryBus
from chassis.calendar import today_cn, working_days_after
from chassis.config import Settings
from chassis.events import Event, decode, encode, new_event, topic_for
from chassis.host import ServiceHost
from chassis.store.memory import MemoryStore
from contracts.v1 import events_pb2
from services.intake.care_applications import handlers
from services.intake.main import SPEC
from tests.conftest import auth
from tests.support.pii_scan import scan_stores

TENANTS = ("wz-a", "wz-b", "wz-c", "hz-p1")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PHONE, AGENT_NAME, AGENT_PHONE = "13912345678", "欧阳丽娟", "13698765432"


def resident(body17: str) -> str:
    w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body17 + "10X98765432"[sum(int(d) * x for d, x in zip(body17, w, strict=True)) % 11]


PERSON = resident("33030319450315001")  # born 1945, lives in 龙湾区 (lot B)
OTHER = resident("33030319480612011")  # born 1948, 龙湾区
CITY_B = resident("33030019500101004")  # 市本级, sequence 004 → 4 mod 3 = 1 → lot B
CITY_A = resident("33030019500101003")  # 市本级, sequence 003 → lot A
YOUNG = resident("33030319900101021")  # born 1990: too young for the old-age basis
ID_SCAN = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8 + f"SCAN 公民身份号码 {PERSON}".encode()


def png(text: str = "") -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00" * 8 + text.encode()


def body(person: str = PERSON, **changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"person_id": person, "district": "龙湾区", "channel": "window", "basis": "illness",
                           "insutype": "310", "disabled_since": (today_cn() - timedelta(days=300)).isoformat(),
                           "care_institution_id": "WZB-C001", "phone": PHONE}
    out.update(changes)
    return {k: v for k, v in out.items() if v is not None}


def form(application: dict[str, Any] | None = None, docs: tuple[str, ...] = ("id_card", "medical_records"),
         **extra: tuple[str, bytes, str]) -> dict[str, Any]:
    files: dict[str, Any] = {"application": (None, json.dumps(application or body(), ensure_ascii=False))}
    for kind in docs:
        files[kind] = (f"{kind}.png", ID_SCAN if kind == "id_card" else png(kind), "image/png")
    files.update(extra)
    return files


class Rig:
    def __init__(self, host: ServiceHost, http: httpx.AsyncClient) -> None:
        self.host, self.http = host, http

    async def file(self, tenant: str = "wz-b", role: str = "clerk", subject: str = "clerk-1", **kw: Any
                   ) -> httpx.Response:
        return await self.http.post("/v1/ltc/applications", files=form(**kw), headers=auth(tenant, role, subject))

    async def filed(self, tenant: str = "wz-b", **kw: Any) -> dict[str, Any]:
        r = await self.file(tenant, **kw)
        assert r.status_code == 201, r.text
        return r.json()

    async def screen(self, app_id: str, tenant: str = "wz-b", role: str = "clerk", **payload: Any
                     ) -> httpx.Response:
        return await self.http.post(f"/v1/ltc/applications/{app_id}/screening", json=payload,
                                    headers=auth(tenant, role, "clerk-1"))

    async def get(self, path: str, tenant: str = "wz-b", role: str = "clerk", subject: str = "clerk-1",
                  program: str = "", **params: Any) -> httpx.Response:
        return await self.http.get(f"/v1/ltc/applications{path}", params=params,
                                   headers=auth(tenant, role, subject, program))

    async def events(self, tenant: str, event_type: str) -> list[Event]:
        await self.host.relay.relay_once()
        return [decode(m.value) for m in self.host.bus.messages(topic_for(tenant, event_type))]  # type: ignore[attr-defined]

    async def count(self, tenant: str, collection: str) -> int:
        return len(await self.host.store.database("intake", tenant)[collection].find({}).to_list(None))

    async def deliver(self, tenant: str, event_type: str, payload: Any, person: str = PERSON) -> Event:
        event = decode(encode(new_event(event_type, tenant, person, payload, source="appraisal", trace_context={})))
        await handlers.on_assessment_event(self.host.context)(event)
        return event


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    settings = Settings(service="intake", tenants=TENANTS, data_dir=str(tmp_path))
    host = ServiceHost(SPEC, settings, MemoryBus(), MemoryStore())
    parts = SPEC.build(host.context)
    app = parts.app
    # What ServiceHost.start gives the app: the tenants served and how a door's TenantScope opens a database.
    app.state.tenants, app.state.open_db, app.state.verifier = frozenset(TENANTS), host.context.db, host.verifier
    await host.bus.ensure_topics(host.topics())
    assert parts.on_start is not None
    await parts.on_start()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as http:
        yield Rig(host, http)


# ---- the happy path ---------------------------------------------------------------------------------------------


async def test_filed_screened_with_the_missing_documents_loop_accepted_and_assessed(rig: Rig) -> None:
    # At the window, for the person, with the ID card only: submitted, the medical records listed missing.
    app = await rig.filed(docs=("id_card",))
    app_id = app["application_id"]
    assert (app["status"], app["lot"], app["city_level"], app["missing"]) == ("submitted", "B", False,
                                                                             ["medical_records"])
    assert app["routing"]["code"] == "district_lot" and app["birth_date"] == "1945-03-15"
    assert app["due_on"] is None and app["overdue"] is False  # not complete: the clock has not started
    assert app["documents"][0]["kind"] == "id_card" and len(app["documents"][0]["sha256"]) == 64
    assert app["documents"][0]["size"] == len(ID_SCAN)

    # An accept the preconditions refuse: each failed code named, nothing changed.
    refused = await rig.screen(app_id, outcome="accept")
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["params"]["reasons"], error["field"]) == (
        "screening_preconditions_failed", "documents_missing", "documents")
    assert (await rig.get(f"/{app_id}")).json()["screenings"] == []

    # Documents missing: the person is told, then adds them on their phone; the clock starts.
    asked = await rig.screen(app_id, outcome="missing", note="请补充病历")
    assert asked.status_code == 200, asked.text
    assert (asked.json()["status"], asked.json()["missing"]) == ("documents_requested", ["medical_records"])
    told = await rig.http.get("/v1/notifications", params={"person_id": PERSON}, headers=auth("wz-b", "clerk"))
    assert [n["template"] for n in told.json()] == ["care_documents_missing"]
    assert "病历" in told.json()[0]["text"] or "medical_records" in told.json()[0]["text"]
    added = await rig.http.post(f"/v1/ltc/applications/{app_id}/documents",
                                files={"medical_records": ("records.pdf", PDF, "application/pdf")},
                                headers=auth("wz-b", "applicant", PERSON))
    assert added.status_code == 200, added.text
    back = added.json()
    assert (back["status"], back["missing"]) == ("submitted", [])
    assert back["due_on"] == working_days_after(today_cn(), 5).due.isoformat() and back["overdue"] is False

    # Accepted: the preconditions hold, with their reasons; appraisal learns it with everything it needs.
    accepted = await rig.screen(app_id, outcome="accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert {r["code"] for r in accepted.json()["reason_codes"]} == {
        "member", "disabled_six_months", "documents_present", "only_open_application"}
    (event,) = await rig.events("wz-b", "care_application.accepted")
    p = event.payload
    assert (p.application_id, p.person_id, p.status, p.lot, p.district, p.city_level, p.basis, p.insutype,
            p.care_institution_id, p.channel) == (app_id, PERSON, "accepted", "B", "龙湾区", False, "illness", "310",
                                                  "WZB-C001", "window")
    assert p.disabled_since == body()["disabled_since"] and p.applied_on == today_cn().isoformat()
    assert sorted(d.kind for d in p.documents) == ["id_card", "medical_records"]
    assert event.envelope.business_key == PERSON and event.envelope.source == "intake"
    assert len(await rig.events("wz-b", "care_application.submitted")) == 2  # filed, and back with documents
    assert len(await rig.events("wz-b", "care_application.documents_requested")) == 1
    told = await rig.http.get("/v1/notifications", params={"person_id": PERSON}, headers=auth("wz-b", "clerk"))
    assert [n["template"] for n in told.json()] == ["care_documents_missing", "care_accepted"]

    # The documents: the clerk and the applicant open them; an assessor only once drawn for this application.
    scan = await rig.get(f"/{app_id}/documents/id_card")
    assert scan.status_code == 200 and scan.content == ID_SCAN
    assert scan.headers["content-type"] == "image/png" and "attachment" in scan.headers["content-disposition"]
    own = await rig.get(f"/{app_id}/documents/medical_records", role="applicant", subject=PERSON)
    assert own.status_code == 200 and own.content == PDF
    assert (await rig.get(f"/{app_id}/documents/id_card", role="expert", subject="AS-01")).status_code == 404
    opened = events_pb2.DisabilityAssessmentOpened(assessment_id="as-1", application_id=app_id, person_id=PERSON,
                                                   assessors=["AS-01", "AS-02"], seed="s", round=1, kind="initial",
                                                   opened_at="2026-03-03T02:00:00+00:00")
    delivered = await rig.deliver("wz-b", "disability.assessment_opened", opened)
    await handlers.on_assessment_event(rig.host.context)(delivered)  # redelivered: recorded once
    for assessor in ("AS-01", "AS-02"):
        read = await rig.get(f"/{app_id}/documents/medical_records", role="expert", subject=assessor)
        assert read.status_code == 200 and read.content == PDF
    assert (await rig.get(f"/{app_id}/documents/id_card", role="expert", subject="AS-03")).status_code == 404
    assert await rig.count("wz-b", ACCESS_LOG) == 4  # clerk, applicant, two assessors: each read recorded
    accessed = await rig.events("wz-b", "intake.person.accessed")
    assert {(e.payload.role, e.payload.subject) for e in accessed} == {
        ("clerk", "clerk-1"), ("applicant", PERSON), ("expert", "AS-01"), ("expert", "AS-02")}

    # The conclusion on the timeline.
    concluded = events_pb2.DisabilityConcluded(assessment_id="as-1", application_id=app_id, person_id=PERSON,
                                               grade=4, grade_name="重度失能II级", eligible=True,
                                               scale_version="sample-2021", concluded_at="2026-03-10T02:00:00+00:00",
                                               round=1, kind="initial", lot="B")
    await rig.deliver("wz-b", "disability.concluded", concluded)
    final = (await rig.get(f"/{app_id}")).json()
    assert final["status"] == "concluded" and final["assessment"]["grade"] == 4
    assert final["assessors"] == ["AS-01", "AS-02"]
    timeline = (await rig.get(f"/{app_id}/timeline", role="applicant", subject=PERSON)).json()["timeline"]
    assert [t["status"] for t in timeline] == ["submitted", "documents_requested", "submitted", "accepted",
                                               "in_assessment", "concluded"]
    assert "重度失能II级" in timeline[-1]["note"]
    # Each step the platform wrote says what it is by code, with its values: a page words it in its own language.
    assert [(t["event"], t["params"]) for t in timeline] == [
        ("submitted", {"channel": "window", "lot": "B", "missing": ["medical_records"]}),
        ("documents_requested", {"missing": ["medical_records"]}),
        ("documents_added", {"count": 1, "kinds": ["medical_records"], "still_missing": []}),
        ("screening_accepted", {}),
        ("assessors_drawn", {"round": 1, "kind": "initial"}),
        ("assessment_concluded", {"round": 1, "kind": "initial", "grade": 4, "grade_name": "重度失能II级",
                                  "eligible": True, "scale_version": "sample-2021"})]
    assert timeline[3]["note"] == "筛查通过 accepted, the assessment is being organised"  # the note stays beside
    # Nothing personal in the codes' values (they are stored in clear): no identity number, name or phone.
    assert not {PERSON, PHONE, AGENT_NAME, AGENT_PHONE} & set(json.dumps([t["params"] for t in timeline]).split('"'))
    # The applicant does not see who assesses them.
    assert "assessors" not in (await rig.get(f"/{app_id}", role="applicant", subject=PERSON)).json()


async def test_a_rejection_with_reasons_tells_the_person_and_closes_the_application(rig: Rig) -> None:
    app_id = (await rig.filed(application=body(basis="old_age", disabled_since=None, person=YOUNG,
                                                 channel="agent", agent={"name": AGENT_NAME, "phone": AGENT_PHONE,
                                                                         "relation": "子女"}),
                              docs=("id_card", "agent_authorization")))["application_id"]
    refused = await rig.screen(app_id, outcome="accept")
    assert refused.json()["error"]["params"]["reasons"] == "old_age_not_reached"
    rejected = await rig.screen(app_id, outcome="reject", note="未达年龄")
    assert rejected.status_code == 200, rejected.text
    assert [r["code"] for r in rejected.json()["reason_codes"]] == ["old_age_not_reached", "refused_at_screening"]
    (event,) = await rig.events("wz-b", "care_application.rejected")
    assert list(event.payload.reasons) == ["old_age_not_reached", "refused_at_screening"]
    assert event.payload.basis == "old_age" and event.payload.disabled_since == ""
    told = await rig.http.get("/v1/notifications", params={"person_id": YOUNG}, headers=auth("wz-b", "clerk"))
    assert [n["template"] for n in told.json()] == ["care_rejected"]
    again = await rig.screen(app_id, outcome="reject", note="x")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "application_not_screenable")
    late = await rig.http.post(f"/v1/ltc/applications/{app_id}/documents",
                               files={"other": ("o.pdf", PDF, "application/pdf")}, headers=auth("wz-b", "clerk"))
    assert (late.status_code, late.json()["error"]["code"]) == (409, "not_awaiting_documents")


async def test_one_open_application_per_person(rig: Rig) -> None:
    first = (await rig.filed())["application_id"]
    second = (await rig.filed())["application_id"]
    refused = await rig.screen(second, outcome="accept")
    assert refused.json()["error"]["params"]["reasons"] == "another_open_application"
    assert (await rig.screen(first, outcome="accept")).status_code == 200
    rejected = await rig.screen(second, outcome="reject")  # the failed precondition is the reason
    assert [r["code"] for r in rejected.json()["reason_codes"]] == ["another_open_application"]


async def test_the_screening_clock_in_working_days(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JINGBAN_BUSINESS_DATE", "2026-03-02")  # a Monday
    app = await rig.filed(application=body(disabled_since="2025-06-01"))
    assert app["complete_on"] == "2026-03-02" and app["due_on"] == "2026-03-09" and not app["overdue"]
    monkeypatch.setenv("JINGBAN_BUSINESS_DATE", "2026-03-10")
    listed = (await rig.get("", status="submitted")).json()
    assert [(a["application_id"], a["overdue"]) for a in listed] == [(app["application_id"], True)]
    done = (await rig.screen(app["application_id"], outcome="accept")).json()
    assert done["overdue"] is False and done["screenings"][0]["late"] is True
    assert done["screenings"][0]["due_on"] == "2026-03-09"


# ---- lots ---------------------------------------------------------------------------------------------------------


async def test_another_lots_person_is_refused_naming_the_lot_and_nothing_is_stored(rig: Rig) -> None:
    r = await rig.file("wz-a")
    assert r.status_code == 422
    error = r.json()["error"]
    assert (error["code"], error["field"], error["params"]) == ("wrong_lot", "application.district",
                                                                {"lot": "B", "tenant": "wz-b"})
    assert PERSON not in r.text and PERSON[-4:] not in error["message"]
    for collection in ("care_applications", "care_documents"):
        assert await rig.count("wz-a", collection) == 0


async def test_city_level_persons_go_to_a_b_c_by_the_sequence_code(rig: Rig) -> None:
    city = {"district": "市本级", "basis": "old_age", "disabled_since": None}
    app = await rig.filed("wz-b", application=body(CITY_B, **city), docs=("id_card",))
    assert (app["lot"], app["city_level"], app["routing"]["code"]) == ("B", True, "city_level_lot")
    assert app["routing"]["params"]["rule"] == "sequence-code-mod-3.v1"
    wrong = await rig.file("wz-a", application=body(CITY_B, **city))
    assert wrong.json()["error"]["params"] == {"lot": "B", "tenant": "wz-b"}
    assert (await rig.filed("wz-a", application=body(CITY_A, **city), docs=("id_card",)))["lot"] == "A"
    assert (await rig.screen(app["application_id"], outcome="accept")).status_code == 200
    (event,) = await rig.events("wz-b", "care_application.accepted")
    assert (event.payload.city_level, event.payload.lot, event.payload.district) == (True, "B", "市本级")


# ---- bad input ----------------------------------------------------------------------------------------------------

FUTURE = (date.today() + timedelta(days=30)).isoformat()


@pytest.mark.parametrize(("application", "files", "status", "code", "field"), [
    (body("330303194503150010"), None, 422, "invalid_input", "application.person_id"),
    (body(insutype="320"), None, 422, "not_a_member", "application.insutype"),
    (body(insutype="abc"), None, 422, "invalid_input", "application.insutype"),
    (body(district="杭州市"), None, 422, "unknown_district", "application.district"),
    (body(channel="agent"), None, 422, "agent_required", "application.agent"),
    (body(disabled_since=None), None, 422, "disabled_since_required", "application.disabled_since"),
    (body(disabled_since=FUTURE), None, 422, "disabled_since_out_of_range", "application.disabled_since"),
    (body(basis="old_age"), None, 422, "disabled_since_only_for_illness", "application.disabled_since"),
    (body(basis="cash"), None, 422, "invalid_input", "application.basis"),
    (body(phone="12345"), None, 422, "invalid_input", "application.phone"),
    (body(care_institution_id="WZB C001"), None, 422, "invalid_input", "application.care_institution_id"),
    (body(surname="王"), None, 422, "invalid_input", "application.surname"),
    (body(), {"passport": ("p.pdf", PDF, "application/pdf")}, 422, "document_kind_unknown", "passport"),
    (body(), {"other": ("o.png", PDF, "image/png")}, 415, "unsupported_media_type", "documents.other"),
    (body(), {"other": ("o.gif", b"GIF89a", "image/gif")}, 415, "unsupported_media_type", "documents.other"),
    (body(), {"other": ("o.pdf", b"", "application/pdf")}, 422, "invalid_input", "documents.other"),
])
async def test_bad_filings_are_refused_precisely_and_nothing_is_stored(
        rig: Rig, application: dict[str, Any], files: dict[str, Any] | None, status: int, code: str,
        field: str) -> None:
    r = await rig.http.post("/v1/ltc/applications", files=form(application, **(files or {})),
                            headers=auth("wz-b", "clerk"))
    assert r.status_code == status, r.text
    assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, field)
    for collection in ("care_applications", "care_documents"):
        assert await rig.count("wz-b", collection) == 0


async def test_bad_forms_are_refused(rig: Rig) -> None:
    as_json = await rig.http.post("/v1/ltc/applications", json=body(), headers=auth("wz-b", "clerk"))
    assert (as_json.status_code, as_json.json()["error"]["code"]) == (415, "unsupported_media_type")
    no_json = await rig.http.post("/v1/ltc/applications", files={"id_card": ("i.png", png(), "image/png")},
                                  headers=auth("wz-b", "clerk"))
    assert (no_json.json()["error"]["code"], no_json.json()["error"]["field"]) == ("invalid_input", "application")
    broken = await rig.http.post("/v1/ltc/applications", files={"application": (None, "{not json")},
                                 headers=auth("wz-b", "clerk"))
    assert (broken.json()["error"]["code"], broken.json()["error"]["field"]) == ("invalid_json", "application")
    assert await rig.count("wz-b", "care_applications") == 0


async def test_bad_screenings_and_documents_are_refused_and_change_nothing(rig: Rig) -> None:
    app_id = (await rig.filed(docs=("id_card",)))["application_id"]
    cases = [({"outcome": "approve"}, 422, "invalid_input", "outcome"),
             ({"outcome": "missing", "missing": ["passport"]}, 422, "document_kind_unknown", "missing"),
             ({"outcome": "accept", "missing": ["other"]}, 422, "missing_with_other_outcome", "missing"),
             ({"outcome": "accept", "note": "x" * 1001}, 422, "invalid_input", "note")]
    for payload, status, code, field in cases:
        r = await rig.screen(app_id, **payload)
        assert (r.status_code, r.json()["error"]["code"], r.json()["error"].get("field")) == (status, code, field)
    # A rejection without reasons: nothing failed once the documents are in, and no note.
    await rig.http.post(f"/v1/ltc/applications/{app_id}/documents",
                        files={"medical_records": ("m.pdf", PDF, "application/pdf")}, headers=auth("wz-b", "clerk"))
    r = await rig.screen(app_id, outcome="reject", note="  ")
    assert (r.json()["error"]["code"], r.json()["error"]["field"]) == ("rejection_reasons_required", "note")
    r = await rig.http.post(f"/v1/ltc/applications/{app_id}/screening", content=b"outcome=accept",
                            headers={**auth("wz-b", "clerk"), "content-type": "text/plain"})
    assert r.status_code == 415
    empty = await rig.http.post(f"/v1/ltc/applications/{app_id}/documents", files={"x": (None, "y")},
                                headers=auth("wz-b", "clerk"))
    assert (empty.status_code, empty.json()["error"]["field"]) == (422, "x")
    assert (await rig.get(f"/{app_id}")).json()["screenings"] == []
    assert (await rig.get(f"/{app_id}/documents/passport")).json()["error"]["code"] == "document_kind_unknown"
    assert (await rig.get(f"/{app_id}/documents/agent_authorization")).status_code == 404


# ---- roles and tenants --------------------------------------------------------------------------------------------


async def test_roles(rig: Rig) -> None:
    for role in ("reviewer", "expert", "institution", "supervisor", "finance", "inspector", "ops"):
        assert (await rig.file(role=role)).status_code == 403, role
    applicant = await rig.file(role="applicant", subject=OTHER)  # an applicant files only for themself
    assert (applicant.status_code, applicant.json()["error"]["code"]) == (422, "applicant_not_person")
    own = await rig.filed(role="applicant", subject=PERSON)
    app_id = own["application_id"]
    assert own["filed_by"] == {"role": "applicant", "subject": PERSON}
    for role in ("applicant", "reviewer", "supervisor", "expert", "ops"):
        assert (await rig.screen(app_id, role=role, outcome="accept")).status_code == 403, role
    for role in ("reviewer", "expert", "institution"):
        r = await rig.http.post(f"/v1/ltc/applications/{app_id}/documents",
                                files={"other": ("o.pdf", PDF, "application/pdf")}, headers=auth("wz-b", role))
        assert r.status_code == 403, role
    for role in ("expert", "institution", "finance", "inspector"):
        assert (await rig.get("", role=role)).status_code == 403, role
        assert (await rig.get(f"/{app_id}", role=role)).status_code == 403, role
    for role in ("reviewer", "supervisor", "ops", "institution"):
        assert (await rig.get(f"/{app_id}/documents/id_card", role=role)).status_code == 403, role
    for role in ("reviewer", "ops"):
        assert [a["application_id"] for a in (await rig.get("", role=role)).json()] == [app_id]
    # Another applicant sees nothing of it.
    assert (await rig.get("", role="applicant", subject=OTHER)).json() == []
    for path in (f"/{app_id}", f"/{app_id}/timeline", f"/{app_id}/documents/id_card"):
        assert (await rig.get(path, role="applicant", subject=OTHER)).status_code == 404, path
    r = await rig.http.post(f"/v1/ltc/applications/{app_id}/documents",
                            files={"other": ("o.pdf", PDF, "application/pdf")},
                            headers=auth("wz-b", "applicant", OTHER))
    assert r.status_code == 404


async def test_wz_a_cannot_see_or_touch_wz_b_and_the_agency_reads_both(rig: Rig) -> None:
    b = (await rig.filed("wz-b"))["application_id"]
    a = (await rig.filed("wz-a", application=body(district="鹿城区", person=OTHER)))["application_id"]
    for path in (f"/{b}", f"/{b}/timeline", f"/{b}/documents/id_card"):
        assert (await rig.get(path, tenant="wz-a")).status_code == 404, path
    assert [x["application_id"] for x in (await rig.get("", tenant="wz-a")).json()] == [a]
    assert (await rig.screen(b, tenant="wz-a", outcome="accept")).status_code == 404
    r = await rig.http.post(f"/v1/ltc/applications/{b}/documents",
                            files={"other": ("o.pdf", PDF, "application/pdf")}, headers=auth("wz-a", "clerk"))
    assert r.status_code == 404
    assert (await rig.get(f"/{b}")).json()["status"] == "submitted"  # untouched
    # The agency supervisor of the program reads every lot; without the program claim only its own.
    agency = await rig.get("", tenant="wz-a", role="supervisor", subject="agency", program="wz-ltc")
    assert {(x["tenant"], x["application_id"]) for x in agency.json()} == {("wz-a", a), ("wz-b", b)}
    one = await rig.get(f"/{b}", tenant="wz-a", role="supervisor", subject="agency", program="wz-ltc")
    assert one.status_code == 200 and one.json()["tenant"] == "wz-b"
    assert (await rig.get(f"/{b}", tenant="wz-a", role="supervisor", subject="agency")).status_code == 404
    chronic = await rig.get("", tenant="wz-a", role="supervisor", subject="agency", program="hz-chronic")
    assert [x["application_id"] for x in chronic.json()] == [a]


async def test_a_tenant_outside_the_program_finds_nothing(rig: Rig) -> None:
    b = (await rig.filed("wz-b"))["application_id"]
    assert (await rig.file("hz-p1")).status_code == 404
    assert (await rig.http.post("/v1/ltc/applications", content=b"not even multipart",
                                headers=auth("hz-p1", "clerk"))).status_code == 404  # before the body is read
    for path in ("", f"/{b}", f"/{b}/timeline", f"/{b}/documents/id_card"):
        assert (await rig.get(path, tenant="hz-p1")).status_code == 404, path
    assert (await rig.screen(b, tenant="hz-p1", outcome="accept")).status_code == 404
    r = await rig.http.post(f"/v1/ltc/applications/{b}/screening", content=b"{broken",
                            headers={**auth("hz-p1", "clerk"), "content-type": "application/json"})
    assert r.status_code == 404
    r = await rig.http.post(f"/v1/ltc/applications/{b}/documents", content=b"x", headers=auth("hz-p1", "clerk"))
    assert r.status_code == 404
    assert await rig.count("hz-p1", "care_applications") == 0


# ---- personal data at rest ----------------------------------------------------------------------------------------


async def test_nothing_personal_is_stored_in_clear(rig: Rig) -> None:
    agent = {"name": AGENT_NAME, "phone": AGENT_PHONE, "relation": "子女"}
    app = await rig.filed(application=body(channel="agent", agent=agent),
                          docs=("id_card", "medical_records", "agent_authorization"))
    await rig.screen(app["application_id"], outcome="accept")
    await rig.get(f"/{app['application_id']}/documents/id_card")
    await rig.host.relay.relay_once()  # pending events ride in their documents until published
    found, docs = await scan_stores(rig.host.store, ("intake",), ("wz-b",),
                                    (PERSON, PERSON.lower(), PHONE, AGENT_NAME, AGENT_PHONE))
    assert found == [] and docs >= 4
    raw = await rig.host.store.database("intake", "wz-b")["care_applications"].find_one({"_id": app["application_id"]})
    assert raw["person_id"].startswith("pii:1:pii/wz-b/v") and len(raw["person_bi"]) == 64
    scan = await rig.host.store.database("intake", "wz-b")["care_documents"].find_one({"kind": "id_card"})
    assert bytes(scan["content"]).startswith(b"pii:1:") and ID_SCAN not in bytes(scan["content"])
    # The doors still answer the clear values to a reader allowed to see them.
    seen = (await rig.get(f"/{app['application_id']}")).json()
    assert (seen["person_id"], seen["phone"], seen["agent"]) == (PERSON, PHONE, agent)
