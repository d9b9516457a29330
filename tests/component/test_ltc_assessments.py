"""Disability assessment (失能等级评定, long-term care) through appraisal's doors on the in-memory adapters: an accepted
application (care_application.accepted) opens an assessment with two assessors drawn at random — one medical or
nursing, none of the person's care institution, seed and candidates recorded — the pair records the on-site visit
with its evidence (sniffed, sha256 and size kept, sealed), scores every item of the scale into a grade with the
scale's version, the notice gives the objection deadline, an objection re-assesses by a different pair, and
eligible conclusions come up for their periodic re-check. Every bad input is refused precisely with nothing written;
roles, tenants (wz-a vs wz-b) and programs (hz-p1) are kept apart."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from chassis.access import ACCESS_LOG
from chassis.bus.memory import MemoryBus
from chassis.config import Settings
from chassis.events import Event, decode, encode
from chassis.host import ServiceHost
from chassis.store.memory import MemoryStore
from contracts.v1 import events_pb2
from services.appraisal.disability import handlers
from services.appraisal.disability.domain.assessors import PoolMember
from services.appraisal.disability.domain.draw import Assessor, draw_pair
from services.appraisal.disability.service.rechecks import scan_rechecks
from services.appraisal.disability.store import ASSESSMENTS, DisabilityStore
from services.appraisal.main import SPEC
from tests.conftest import auth
from tests.support.pii_scan import clear_in
from tests.unit.audit.builders import event as built_event

TENANTS = ("hz-p1", "wz-a", "wz-b")
T, OTHER = "wz-b", "wz-a"
TODAY = "2026-03-02"
CARE_HOME = "WZB-C001"
PERSON, PERSON2, PERSON3 = "330303194805120016", "33032619520317002X", "330303193911050013"
POOL = """assessor_id,name,background,institution_id,degree
AS-M1,王建医,medical,WZB-C001,本科
AS-M2,李仁心,medical,,硕士
AS-N1,张素护,nursing,WZB-C002,大专
AS-R1,陈复健,rehabilitation,,本科
AS-O1,赵社助,other,WZB-C001,本科
AS-O2,钱社工,other,,大专
AS-N2,孙慧护,nursing,,本科
"""
MEDICAL = {"AS-M1", "AS-M2", "AS-N1", "AS-N2"}
NAMES = ("王建医", "李仁心", "张素护", "陈复健", "赵社助", "钱社工", "孙慧护")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 40
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 28
PLACE, NOTES = "龙湾区永中街道海城路88号3幢501室", "卧床，家属喂食；女儿王丽娟陪同"
# adl 40 (重度受损), cognition and perception intact: 重度失能I级 in the SAMPLE table.
SEVERE = {"eating": 10, "dressing": 10, "grooming": 5, "bowels": 10, "bladder": 5, "toileting": 0, "walking": 0,
          "transfer": 0, "stairs": 0, "bathing": 0, "time": 4, "person": 4, "place": 4, "memory": 4,
          "consciousness": 4, "vision_hearing": 4, "communication": 4}
MODERATE = {**SEVERE, "toileting": 10, "walking": 10}  # adl 60: 中度受损 → 中度失能


@pytest.fixture(scope="module")
def business_date() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JINGBAN_BUSINESS_DATE", TODAY)
        yield mp


class Rig:
    def __init__(self, host: ServiceHost, http: httpx.AsyncClient, dates: pytest.MonkeyPatch) -> None:
        self.host, self.http, self.dates = host, http, dates
        self.accepted = handlers.on_care_application_accepted(host.context)

    def db(self, tenant: str = T) -> Any:
        return self.host.context.db(tenant)

    async def accept(self, application_id: str, person: str, tenant: str = T, **fields: Any) -> Event:
        payload = events_pb2.CareApplicationChanged(
            application_id=application_id, person_id=person, status="accepted", lot="B", district="龙湾区",
            city_level=False, channel="window", basis="illness", care_institution_id=CARE_HOME, insutype="310",
            disabled_since="2025-01-10", applied_on="2026-02-20")
        for k, v in fields.items():
            setattr(payload, k, v)
        ev = built_event("care_application.accepted", payload, tenant=tenant, key=person)
        await self.accepted(ev)
        return ev

    async def assessment_of(self, application_id: str, tenant: str = T, role: str = "clerk") -> dict[str, Any]:
        r = await self.http.get("/v1/ltc/assessments", headers=auth(tenant, role))
        assert r.status_code == 200, r.text
        (found,) = [a for a in r.json() if a["application_id"] == application_id and a["round"] == 1]
        return found

    async def get(self, assessment_id: str, tenant: str = T) -> dict[str, Any]:
        r = await self.http.get(f"/v1/ltc/assessments/{assessment_id}", headers=auth(tenant, "clerk"))
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def visit(self, assessment_id: str, expert: str, tenant: str = T, visit: dict[str, Any] | None = None,
                    files: dict[str, Any] | None = None) -> httpx.Response:
        body = visit if visit is not None else {"visited_on": TODAY, "place": PLACE, "present": ["family", "caregiver"],
                                                "notes": NOTES}
        form = {"visit": (None, json.dumps(body, ensure_ascii=False)), **(files if files is not None else {
            "photo": ("bed.jpg", JPEG, "image/jpeg"), "recording": ("talk.wav", WAV, "audio/wav")})}
        return await self.http.post(f"/v1/ltc/assessments/{assessment_id}/visit", files=form,
                                    headers=auth(tenant, "expert", expert))

    async def score(self, assessment_id: str, expert: str, body: dict[str, Any],
                    tenant: str = T) -> httpx.Response:
        return await self.http.post(f"/v1/ltc/assessments/{assessment_id}/scores", json=body,
                                    headers=auth(tenant, "expert", expert))

    async def concluded(self, application_id: str, person: str, items: dict[str, int]) -> dict[str, Any]:
        await self.accept(application_id, person)
        a = await self.assessment_of(application_id)
        assert (await self.visit(a["assessment_id"], a["assessors"][0])).status_code == 201
        r = await self.score(a["assessment_id"], a["assessors"][1], {"assessors": a["assessors"], "items": items})
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def events(self, event_type: str, tenant: str = T) -> list[Any]:
        """The events staged in the outbox (the relay does not run here), oldest first by document."""
        out = []
        for collection in (ASSESSMENTS, ACCESS_LOG):
            for doc in await self.db(tenant)[collection].find({}).sort("opened_at", 1).to_list(None):
                out += [decode(encode(e)).payload for e in doc.get("_outbox", []) if e["type"] == event_type]
        return out


@pytest.fixture(scope="module")
async def rig(tmp_path_factory: pytest.TempPathFactory, business_date: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    data: Path = tmp_path_factory.mktemp("ltc")
    settings = Settings(service="appraisal", tenants=TENANTS, data_dir=str(data))
    host = ServiceHost(SPEC, settings, MemoryBus(), MemoryStore())
    app = SPEC.build(host.context).app
    app.state.tenants, app.state.open_db = frozenset(settings.tenants), host.context.db
    app.state.verifier = host.verifier
    for tenant in TENANTS:
        await DisabilityStore(host.context.db(tenant)).ensure_indexes()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://appraisal") as http:
        r = await http.post("/v1/ltc/assessors/import", content=POOL.encode(),
                            headers={**auth(T, "clerk"), "content-type": "text/csv"})
        assert r.status_code == 200, r.text
        assert (r.json()["imported"], r.json()["medical_or_nursing"]) == (7, 4)
        yield Rig(host, http, business_date)


# ---- the draw --------------------------------------------------------------------------------------------------

async def test_an_accepted_application_draws_a_pair_with_one_medical_none_of_the_care_institution(rig: Rig) -> None:
    ev = await rig.accept("CA-B-0001", PERSON)
    a = await rig.assessment_of("CA-B-0001")
    assert (a["status"], a["kind"], a["round"], a["person_id"], a["lot"]) == ("open", "initial", 1, PERSON, "B")
    pair = set(a["assessors"])
    assert len(pair) == 2 and pair & MEDICAL and not pair & {"AS-M1", "AS-O1"}  # WZB-C001's own never assess
    (drawn,) = a["draws"]
    assert drawn["candidates"] == ["AS-M2", "AS-N1", "AS-N2", "AS-O2", "AS-R1"] and len(drawn["seed"]) == 32
    assert drawn["chosen"] == a["assessors"] and drawn["care_institution_id"] == CARE_HOME
    # The draw is redone from what was recorded: the same seed over the same candidates gives the same pair.
    pool = [Assessor(c, c in MEDICAL) for c in drawn["candidates"]]
    assert list(draw_pair(pool, drawn["seed"]).assessors) == a["assessors"]
    (opened,) = await rig.events("disability.assessment_opened")
    assert (opened.assessment_id, list(opened.assessors), opened.seed, opened.kind, opened.round) == (
        a["assessment_id"], a["assessors"], drawn["seed"], "initial", 1)
    assert list(opened.candidates) == drawn["candidates"] and opened.care_institution_id == CARE_HOME
    # Redelivered (the same event id), or the application accepted again: nothing new.
    await rig.accepted(ev)
    await rig.accept("CA-B-0001", PERSON)
    listed = (await rig.http.get("/v1/ltc/assessments", params={"person_id": PERSON},
                                 headers=auth(T, "clerk"))).json()
    assert [x["assessment_id"] for x in listed] == [a["assessment_id"]]
    assert len(await rig.events("disability.assessment_opened")) == 1


async def test_a_pool_too_small_waits_and_a_clerk_s_draw_retries(rig: Rig) -> None:
    small = ("assessor_id,name,background,institution_id,degree\n"
             "AS-A1,周医,medical,WZA-C009,本科\nAS-A2,吴工,other,,本科\n")
    r = await rig.http.post("/v1/ltc/assessors/import", content=small.encode(),
                            headers={**auth(OTHER, "ops"), "content-type": "text/csv"})
    assert r.status_code == 200 and r.json()["assessments_drawn"] == []
    await rig.accept("CA-A-0001", PERSON2, tenant=OTHER, lot="A", care_institution_id="WZA-C009")
    a = await rig.assessment_of("CA-A-0001", OTHER)
    assert a["status"] == "awaiting_assessors" and a["assessors"] == []
    assert a["awaiting"]["code"] == "pool_too_small" and a["awaiting"]["why"] == "too_few_assessors"
    url = f"/v1/ltc/assessments/{a['assessment_id']}/draw"
    again = await rig.http.post(url, headers=auth(OTHER, "clerk"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "pool_too_small"
    assert (await rig.get(a["assessment_id"], OTHER))["draws"] == []  # nothing written
    assert (await rig.http.post(url, headers=auth(OTHER, "expert", "AS-A1"))).status_code == 403
    # The pool grows (an assessor added outside an import): the clerk's draw finds a pair — the seed chooses it.
    await DisabilityStore(rig.db(OTHER)).upsert_assessors(
        [PoolMember("AS-A3", "郑护", "nursing", "", "本科")], "2026-03-02T01:00:00+00:00", "ops:test")
    drawn = await rig.http.post(url, headers=auth(OTHER, "clerk"))
    assert drawn.status_code == 200, drawn.text
    assert drawn.json()["status"] == "open" and set(drawn.json()["assessors"]) <= {"AS-A2", "AS-A3"}
    assert drawn.json()["draws"][0]["reason"] == "clerk's draw"
    twice = await rig.http.post(url, headers=auth(OTHER, "clerk"))
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_drawn"
    # A second waiting one (the nurse retired meanwhile) is drawn by the next import of the pool by itself.
    await DisabilityStore(rig.db(OTHER)).upsert_assessors(
        [PoolMember("AS-A3", "郑护", "nursing", "", "本科", active=False)], "2026-03-02T01:00:00+00:00", "ops:t")
    await rig.accept("CA-A-0002", PERSON3, tenant=OTHER, lot="A", care_institution_id="WZA-C009")
    waiting = await rig.assessment_of("CA-A-0002", OTHER)
    assert waiting["status"] == "awaiting_assessors"
    assert (await rig.http.post(f"/v1/ltc/assessments/{waiting['assessment_id']}/draw",
                                headers=auth(OTHER, "clerk"))).status_code == 409
    more = "assessor_id,name,background,institution_id,degree,active\nAS-A4,冯医,medical,,本科,true\n"
    r = await rig.http.post("/v1/ltc/assessors/import", content=more.encode(),
                            headers={**auth(OTHER, "clerk"), "content-type": "text/csv"})
    assert r.json()["assessments_drawn"] == [waiting["assessment_id"]] and r.json()["assessments_waiting"] == 0


async def test_a_bad_pool_file_imports_nothing(rig: Rig) -> None:
    bad = ("assessor_id,name,background,institution_id,degree\nAS-X1,甲,medical,,本科\nAS-X2,乙,dentist,,本科\n"
           "AS-X1,丙,nursing,,本科\n")
    r = await rig.http.post("/v1/ltc/assessors/import", content=bad.encode(),
                            headers={**auth(T, "clerk"), "content-type": "text/csv"})
    assert r.status_code == 422
    assert [f["field"] for f in r.json()["error"]["fields"]] == ["row 3.background", "row 4.assessor_id"]
    pool = (await rig.http.get("/v1/ltc/assessors", headers=auth(T, "supervisor"))).json()
    assert "AS-X1" not in {a["assessor_id"] for a in pool} and len(pool) == 7
    assert {a["name"] for a in pool} == set(NAMES)  # clear to the reader, sealed at rest (below)
    no_header = await rig.http.post("/v1/ltc/assessors/import", content=b"id,name\nx,y\n",
                                    headers={**auth(T, "clerk"), "content-type": "text/csv"})
    assert no_header.status_code == 422 and no_header.json()["error"]["field"] == "header"
    assert (await rig.http.post("/v1/ltc/assessors/import", content=POOL.encode(),
                                headers={**auth(T, "expert", "AS-M2"), "content-type": "text/csv"})).status_code == 403


# ---- the visit and its evidence ---------------------------------------------------------------------------------

async def test_the_visit_keeps_its_evidence_with_checksums_and_reads_are_recorded(rig: Rig) -> None:
    await rig.accept("CA-B-0002", PERSON2)
    a = await rig.assessment_of("CA-B-0002")
    first, second = a["assessors"]
    outsider = next(x for x in ("AS-M2", "AS-N1", "AS-N2", "AS-O2", "AS-R1") if x not in a["assessors"])
    aid = a["assessment_id"]
    # bad input, each precise, nothing written
    none = await rig.visit(aid, first, files={})
    assert none.status_code == 422 and none.json()["error"]["code"] == "evidence_required"
    fake = await rig.visit(aid, first, files={"photo": ("bed.jpg", b"%PDF-1.4 not a photo", "image/jpeg")})
    assert fake.status_code == 415 and fake.json()["error"]["field"] == "photo"
    wrong_kind = await rig.visit(aid, first, files={"photo": ("talk.wav", WAV, "audio/wav")})
    assert wrong_kind.status_code == 415 and wrong_kind.json()["error"]["field"] == "photo"
    stray = await rig.visit(aid, first, files={"video": ("x.mp4", WAV, "video/mp4")})
    assert stray.status_code == 422 and stray.json()["error"]["field"] == "video"
    future = await rig.visit(aid, first, visit={"visited_on": "2026-03-03", "place": PLACE})
    assert future.status_code == 422 and future.json()["error"]["field"] == "visit.visited_on"
    no_place = await rig.visit(aid, first, visit={"visited_on": TODAY})
    assert no_place.status_code == 422 and no_place.json()["error"]["field"] == "visit.place"
    assert (await rig.visit(aid, outsider)).status_code == 404  # not drawn for it: as if absent
    clerk = await rig.http.post(f"/v1/ltc/assessments/{aid}/visit", headers=auth(T, "clerk"),
                                files={"visit": (None, "{}")})
    assert clerk.status_code == 403
    assert (await rig.get(aid))["visit"] is None and await rig.db()["ltc_evidence"].count_documents({}) == 0

    r = await rig.visit(aid, first)
    assert r.status_code == 201, r.text
    visit = r.json()["visit"]
    assert r.json()["status"] == "visited" and visit["recorded_by"] == first
    assert (visit["visited_on"], visit["place"], visit["present"], visit["notes"]) == (
        TODAY, PLACE, ["family", "caregiver"], NOTES)
    evidence = {e["field"]: e for e in visit["evidence"]}
    assert evidence["photo"]["sha256"] == hashlib.sha256(JPEG).hexdigest() and evidence["photo"]["size"] == len(JPEG)
    assert evidence["recording"]["sha256"] == hashlib.sha256(WAV).hexdigest()
    assert (evidence["photo"]["kind"], evidence["recording"]["kind"]) == ("photo", "recording")
    twice = await rig.visit(aid, second)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "visit_already_recorded"

    photo = f"/v1/ltc/assessments/{aid}/evidence/{evidence['photo']['evidence_id']}"
    for role, subject in (("clerk", "c-1"), ("reviewer", "r-1"), ("supervisor", "s-1"), ("expert", second)):
        got = await rig.http.get(photo, headers=auth(T, role, subject))
        assert got.status_code == 200 and got.content == JPEG, role
        assert got.headers["x-content-sha256"] == evidence["photo"]["sha256"]
    assert (await rig.http.get(photo, headers=auth(T, "expert", outsider))).status_code == 404
    assert (await rig.http.get(photo, headers=auth(T, "inspector"))).status_code == 403
    assert (await rig.http.get(photo, headers=auth(OTHER, "clerk"))).status_code == 404
    reads = [e for e in await rig.events("appraisal.person.accessed")
             if e.object_id == evidence["photo"]["evidence_id"]]
    assert sorted((e.role, e.action, e.object_kind, e.service, e.person_id) for e in reads) == [
        (role, "download", "document", "appraisal", PERSON2) for role in ("clerk", "expert", "reviewer", "supervisor")]
    # sealed at rest: the bytes, the place, the notes, who was present
    raw = await rig.db()["ltc_evidence"].find_one({"_id": evidence["photo"]["evidence_id"]})
    assert bytes(raw["content"]).startswith(b"pii:1:") and JPEG not in bytes(raw["content"])
    doc = await rig.db()[ASSESSMENTS].find_one({"_id": aid})
    assert doc["visit"]["place"].startswith("pii:1:") and doc["visit"]["notes"].startswith("pii:1:")


# ---- scores and the conclusion ----------------------------------------------------------------------------------

async def test_scores_refused_precisely_then_a_severe_grade_concluded_with_its_version(rig: Rig) -> None:
    await rig.accept("CA-B-0003", PERSON3)
    a = await rig.assessment_of("CA-B-0003")
    aid, (first, second) = a["assessment_id"], a["assessors"]
    pair = a["assessors"]
    early = await rig.score(aid, first, {"assessors": pair, "items": SEVERE})
    assert early.status_code == 409 and early.json()["error"]["code"] == "visit_required"
    assert (await rig.visit(aid, second)).status_code == 201
    missing = dict(SEVERE)
    del missing["bathing"]
    cases = [
        ({"assessors": pair, "items": missing}, 422, "missing_item", "items.bathing"),
        ({"assessors": pair, "items": {**SEVERE, "flying": 5}}, 422, "unknown_item", "items.flying"),
        ({"assessors": pair, "items": {**SEVERE, "eating": 7}}, 422, "score_out_of_range", "items.eating"),
        ({"assessors": pair, "items": {**SEVERE, "time": True}}, 422, "score_out_of_range", "items.time"),
        ({"assessors": [first], "items": SEVERE}, 422, "two_assessors_required", "assessors"),
        ({"assessors": [first, first], "items": SEVERE}, 422, "two_assessors_required", "assessors"),
        ({"assessors": [first, "AS-M1"], "items": SEVERE}, 422, "not_the_drawn_pair", "assessors"),
        ({"assessors": pair, "items": SEVERE, "disabled_since": "2026-13-01"}, 422, "invalid_input",
         "disabled_since"),
        ({"assessors": pair, "items": SEVERE, "grade": 5}, 422, "invalid_input", "grade"),
    ]
    for body, status, code, field in cases:
        r = await rig.score(aid, first, body)
        assert (r.status_code, r.json()["error"]["code"], r.json()["error"].get("field")) == (
            status, code, field), (body, r.text)
    assert (await rig.get(aid))["status"] == "visited" and not await rig.events("disability.concluded")
    assert (await rig.score(aid, "AS-O1", {"assessors": pair, "items": SEVERE})).status_code == 404
    assert (await rig.http.post(f"/v1/ltc/assessments/{aid}/scores", json={"assessors": pair, "items": SEVERE},
                                headers=auth(T, "clerk"))).status_code == 403

    r = await rig.score(aid, first, {"assessors": [second, first], "items": SEVERE})
    assert r.status_code == 200, r.text
    c = r.json()["conclusion"]
    assert r.json()["status"] == "concluded"
    assert (c["grade"], c["grade_name"], c["severe"], c["eligible"]) == (3, "重度失能I级", True, True)
    assert {k: v["level"] for k, v in c["indicators"].items()} == {"adl": 3, "cognition": 0, "perception": 0}
    assert c["indicators"]["adl"]["sum"] == 40
    assert (c["scale_version"], c["sample"]) == ("wz-ltc-assessment-sample-2021.1", True)
    assert "SAMPLE" in c["scale_label"]
    assert (c["recheck_due"], c["assessment_fee"], c["disabled_since"]) == ("2027-03-02", "200.00", "2025-01-10")
    assert (c["concluded_on"], c["objection_deadline"]) == (TODAY, "2026-03-17")
    assert {r["code"] for r in c["reason_codes"]} >= {"combined_grade", "sample_scale", "severe", "lasting",
                                                       "recheck_due"}
    (ev,) = [e for e in await rig.events("disability.concluded") if e.assessment_id == aid]
    assert (ev.grade, ev.grade_name, ev.eligible, ev.scale_version, ev.recheck_due, ev.assessment_fee) == (
        3, "重度失能I级", True, "wz-ltc-assessment-sample-2021.1", "2027-03-02", "200.00")
    assert (ev.adl_level, ev.cognition_level, ev.perception_level, ev.lot, ev.kind, ev.round) == (
        3, 0, 0, "B", "initial", 1)
    assert sorted(ev.assessors) == sorted(pair) and ev.person_id == PERSON3
    again = await rig.score(aid, second, {"assessors": pair, "items": MODERATE})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_concluded"

    notice = await rig.http.get(f"/v1/ltc/assessments/{aid}/notice", headers=auth(T, "applicant", PERSON3))
    assert notice.status_code == 200, notice.text
    n = notice.json()
    assert (n["grade_name"], n["scale_version"], n["objection_deadline"], n["notice_on"]) == (
        "重度失能I级", "wz-ltc-assessment-sample-2021.1", "2026-03-17", TODAY)
    assert n["levels"]["adl"] == {"level": 3, "level_name": "重度受损", "sum": 40} and n["objection_allowed"]
    assert (await rig.http.get(f"/v1/ltc/assessments/{aid}/notice",
                               headers=auth(T, "applicant", PERSON))).status_code == 404
    assert (await rig.http.get(f"/v1/ltc/assessments/{aid}/notice", headers=auth(T, "finance"))).status_code == 403


async def test_old_age_and_a_recent_disability(rig: Rig) -> None:
    lasting = "330303193001010010"
    c = (await rig.concluded("CA-B-0010", lasting, SEVERE))["conclusion"]
    assert c["eligible"] and c["recheck_due"] == "2027-03-02" and c["disabled_since"] == "2025-01-10"
    recent = "330303196001010011"
    await rig.accept("CA-B-0011", recent, disabled_since="2025-12-01")
    a = await rig.assessment_of("CA-B-0011")
    assert (await rig.visit(a["assessment_id"], a["assessors"][0])).status_code == 201
    r = await rig.score(a["assessment_id"], a["assessors"][0], {"assessors": a["assessors"], "items": SEVERE})
    c = r.json()["conclusion"]
    assert not c["eligible"] and c["earliest_on"] == "2026-06-01" and c["recheck_due"] is None
    old = "330303192801010012"
    await rig.accept("CA-B-0012", old, basis="old_age", disabled_since="")
    a = await rig.assessment_of("CA-B-0012")
    assert (await rig.visit(a["assessment_id"], a["assessors"][0])).status_code == 201
    r = await rig.score(a["assessment_id"], a["assessors"][0], {"assessors": a["assessors"], "items": SEVERE})
    c = r.json()["conclusion"]
    assert c["eligible"] and "old_age" in {x["code"] for x in c["reason_codes"]}


# ---- objections ------------------------------------------------------------------------------------------------

async def test_an_objection_in_time_re_assesses_by_a_different_pair(rig: Rig) -> None:
    person = "330303195505050014"
    done = await rig.concluded("CA-B-0020", person, MODERATE)
    aid, pair = done["assessment_id"], set(done["assessors"])
    assert done["conclusion"]["grade"] == 2 and not done["conclusion"]["eligible"]
    assert (await rig.http.post(f"/v1/ltc/assessments/{aid}/objection", json={"reason": "x"},
                                headers=auth(T, "applicant", PERSON))).status_code == 404  # not theirs
    blank = await rig.http.post(f"/v1/ltc/assessments/{aid}/objection", json={"reason": ""},
                                headers=auth(T, "applicant", person))
    assert blank.status_code == 422 and blank.json()["error"]["field"] == "reason"
    r = await rig.http.post(f"/v1/ltc/assessments/{aid}/objection", json={"reason": "卧床已一年，评得太轻"},
                            headers=auth(T, "applicant", person))
    assert r.status_code == 201, r.text
    re_a = r.json()["reassessment"]
    assert (re_a["kind"], re_a["round"], re_a["previous_assessment_id"], re_a["status"]) == (
        "objection", 2, aid, "open")
    assert not set(re_a["assessors"]) & pair and set(re_a["assessors"]) & MEDICAL
    assert sorted(re_a["excluded"]) == sorted(pair) and not set(re_a["draws"][0]["candidates"]) & pair
    assert r.json()["objected"]["objection"]["reason"] == "卧床已一年，评得太轻"
    (objected,) = [e for e in await rig.events("disability.objected") if e.assessment_id == aid]
    assert objected.reassessment_id == re_a["assessment_id"] and objected.person_id == person
    opened = [e for e in await rig.events("disability.assessment_opened") if e.assessment_id == re_a["assessment_id"]]
    assert [(e.kind, e.round, e.previous_assessment_id, sorted(e.excluded)) for e in opened] == [
        ("objection", 2, aid, sorted(pair))]
    twice = await rig.http.post(f"/v1/ltc/assessments/{aid}/objection", json={"reason": "again"},
                                headers=auth(T, "clerk"))
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_objected"
    # the re-assessment's conclusion is final
    rid = re_a["assessment_id"]
    assert (await rig.visit(rid, re_a["assessors"][0])).status_code == 201
    assert (await rig.score(rid, re_a["assessors"][1], {"assessors": re_a["assessors"],
                                                        "items": SEVERE})).status_code == 200
    final = await rig.http.post(f"/v1/ltc/assessments/{rid}/objection", json={"reason": "再议"},
                                headers=auth(T, "clerk"))
    assert final.status_code == 409 and final.json()["error"]["code"] == "objection_final"
    assert (await rig.http.post(f"/v1/ltc/assessments/{aid}/objection", json={"reason": "x"},
                                headers=auth(T, "expert", re_a["assessors"][0]))).status_code == 403


async def test_an_objection_out_of_time_is_refused(rig: Rig) -> None:
    person = "330303195606060015"
    done = await rig.concluded("CA-B-0021", person, MODERATE)
    url = f"/v1/ltc/assessments/{done['assessment_id']}/objection"
    try:
        rig.dates.setenv("JINGBAN_BUSINESS_DATE", "2026-03-18")  # the deadline was 2026-03-17
        late = await rig.http.post(url, json={"reason": "迟到的异议"}, headers=auth(T, "applicant", person))
        assert late.status_code == 409 and late.json()["error"]["code"] == "objection_out_of_time"
        assert late.json()["error"]["params"]["deadline"] == "2026-03-17"
        assert (await rig.get(done["assessment_id"]))["objection"] is None
        rig.dates.setenv("JINGBAN_BUSINESS_DATE", "2026-03-17")  # the last day is still in time
        assert (await rig.http.post(url, json={"reason": "最后一天"}, headers=auth(T, "clerk"))).status_code == 201
    finally:
        rig.dates.setenv("JINGBAN_BUSINESS_DATE", TODAY)


# ---- periodic re-checks ------------------------------------------------------------------------------------------

async def test_re_checks_come_due_are_listed_opened_and_raised_once(rig: Rig) -> None:
    person = "330303194407070016"
    done = await rig.concluded("CA-B-0030", person, SEVERE)
    assert done["conclusion"]["recheck_due"] == "2027-03-02"
    rows = (await rig.http.get("/v1/ltc/rechecks", params={"due_before": "2027-03-02"},
                               headers=auth(T, "supervisor"))).json()["rechecks"]
    row = next(x for x in rows if x["assessment_id"] == done["assessment_id"])
    assert (row["person_id"], row["recheck_due"], row["grade"], row["next_assessment_id"]) == (
        person, "2027-03-02", 3, None)
    earlier = (await rig.http.get("/v1/ltc/rechecks", params={"due_before": "2027-03-01"},
                                  headers=auth(T, "clerk"))).json()["rechecks"]
    assert done["assessment_id"] not in {x["assessment_id"] for x in earlier}
    assert (await rig.http.get("/v1/ltc/rechecks", params={"due_before": "2027-03-02"},
                               headers=auth(T, "expert", "AS-M2"))).status_code == 403
    bad = await rig.http.get("/v1/ltc/rechecks", params={"due_before": "next year"}, headers=auth(T, "clerk"))
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "query.due_before"

    # the sweep raises disability.recheck_due on the date, once
    assert await scan_rechecks(rig.db(), T, date(2027, 3, 1)) == 0
    assert await scan_rechecks(rig.db(), T, date(2027, 3, 2)) >= 1
    assert await scan_rechecks(rig.db(), T, date(2027, 3, 2)) == 0
    due = [e for e in await rig.events("disability.recheck_due") if e.assessment_id == done["assessment_id"]]
    assert [(e.person_id, e.due_on) for e in due] == [(person, "2027-03-02")]

    r = await rig.http.post("/v1/ltc/rechecks", json={"person_id": person}, headers=auth(T, "clerk"))
    assert r.status_code == 201, r.text
    recheck = r.json()
    assert (recheck["kind"], recheck["round"], recheck["previous_assessment_id"], recheck["status"]) == (
        "recheck", 2, done["assessment_id"], "open")
    assert len(recheck["assessors"]) == 2 and recheck["draws"][0]["reason"] == "recheck"
    open_ = await rig.http.post("/v1/ltc/rechecks", json={"person_id": person}, headers=auth(T, "clerk"))
    assert open_.status_code == 409 and open_.json()["error"]["code"] == "assessment_open"
    rows = (await rig.http.get("/v1/ltc/rechecks", params={"due_before": "2027-03-02"},
                               headers=auth(T, "clerk"))).json()["rechecks"]
    row = next(x for x in rows if x["assessment_id"] == done["assessment_id"])
    assert (row["next_assessment_id"], row["next_status"]) == (recheck["assessment_id"], "open")
    nobody = await rig.http.post("/v1/ltc/rechecks", json={"person_id": "330303190001010019"}, headers=auth(T, "clerk"))
    assert nobody.status_code == 404
    bad_id = await rig.http.post("/v1/ltc/rechecks", json={"person_id": "12345"}, headers=auth(T, "clerk"))
    assert bad_id.status_code == 422 and bad_id.json()["error"]["field"] == "person_id"
    moderate = "330303194508080017"
    await rig.concluded("CA-B-0031", moderate, MODERATE)
    ineligible = await rig.http.post("/v1/ltc/rechecks", json={"person_id": moderate}, headers=auth(T, "clerk"))
    assert ineligible.status_code == 409 and ineligible.json()["error"]["code"] == "recheck_not_eligible"
    assert (await rig.http.post("/v1/ltc/rechecks", json={"person_id": person},
                                headers=auth(T, "supervisor"))).status_code == 403


# ---- who sees what -----------------------------------------------------------------------------------------------

async def test_roles_and_experts_see_only_what_they_were_drawn_for(rig: Rig) -> None:
    a = await rig.assessment_of("CA-B-0001")
    drawn = a["assessors"][0]
    mine = (await rig.http.get("/v1/ltc/assessments", headers=auth(T, "expert", drawn))).json()
    assert mine and all(drawn in x["assessors"] for x in mine)
    assert (await rig.http.get(f"/v1/ltc/assessments/{a['assessment_id']}",
                               headers=auth(T, "expert", drawn))).status_code == 200
    outsider = "AS-O1"  # never drawn here (of the care institution)
    assert (await rig.http.get(f"/v1/ltc/assessments/{a['assessment_id']}",
                               headers=auth(T, "expert", outsider))).status_code == 404
    for role in ("applicant", "institution", "finance", "inspector"):
        r = await rig.http.get("/v1/ltc/assessments", headers=auth(T, role))
        assert r.status_code == 403, role
    for role in ("applicant", "expert", "reviewer", "supervisor"):
        r = await rig.http.post("/v1/ltc/assessors/import", content=POOL.encode(),
                                headers={**auth(T, role), "content-type": "text/csv"})
        assert r.status_code == 403, role
    assert (await rig.http.get("/v1/ltc/assessors", headers=auth(T, "applicant"))).status_code == 403
    filtered = (await rig.http.get("/v1/ltc/assessments", params={"status": "concluded"},
                                   headers=auth(T, "reviewer"))).json()
    assert filtered and {x["status"] for x in filtered} == {"concluded"}


async def test_another_tenant_and_another_program_cannot_see_or_touch(rig: Rig) -> None:
    a = await rig.assessment_of("CA-B-0001")
    aid = a["assessment_id"]
    for method, path in (("GET", f"/v1/ltc/assessments/{aid}"), ("GET", f"/v1/ltc/assessments/{aid}/notice"),
                         ("POST", f"/v1/ltc/assessments/{aid}/draw")):
        r = await rig.http.request(method, path, headers=auth(OTHER, "clerk"))
        assert r.status_code == 404, (method, path, r.text)
    assert aid not in {x["assessment_id"] for x in (await rig.http.get(
        "/v1/ltc/assessments", headers=auth(OTHER, "clerk"))).json()}
    assert (await rig.http.get("/v1/ltc/assessments", params={"person_id": PERSON},
                               headers=auth(OTHER, "clerk"))).json() == []
    # a wz-a token naming a wz-b assessor opens nothing of wz-b
    r = await rig.score(aid, a["assessors"][0], {"assessors": a["assessors"], "items": SEVERE}, tenant=OTHER)
    assert r.status_code == 404
    assert (await rig.visit(aid, a["assessors"][0], tenant=OTHER)).status_code == 404
    # the agency supervisor of the program reads wz-b from a wz-a token; another program's supervisor does not
    sup = auth(OTHER, "supervisor", "sup-1", program="wz-ltc")
    r = await rig.http.get("/v1/ltc/assessments", params={"tenant": T}, headers=sup)
    assert r.status_code == 200 and aid in {x["assessment_id"] for x in r.json()}
    assert (await rig.http.get("/v1/ltc/assessments", params={"tenant": T},
                               headers=auth(OTHER, "supervisor", "sup-2"))).status_code == 404
    # hz-p1 runs no long-term care: 404 before anything is read (a body it sends is never looked at)
    hz = auth("hz-p1", "clerk")
    for method, path, kw in (("GET", "/v1/ltc/assessments", {}), ("GET", "/v1/ltc/assessors", {}),
                             ("GET", "/v1/ltc/rechecks?due_before=2027-01-01", {}),
                             ("POST", "/v1/ltc/assessors/import", {"content": b"\xff\xfe not csv"}),
                             ("POST", "/v1/ltc/rechecks", {"content": b"{not json"}),
                             ("POST", f"/v1/ltc/assessments/{aid}/objection", {"content": b"{"})):
        r = await rig.http.request(method, path, headers=hz, **kw)
        assert r.status_code == 404, (method, path, r.text)
    r = await rig.http.post(f"/v1/ltc/assessments/{aid}/scores", content=b"[", headers=auth("hz-p1", "expert", "x"))
    assert r.status_code == 404


async def test_nothing_personal_is_stored_in_clear(rig: Rig) -> None:
    """Persons, assessors' names, the visit's place and notes are sealed (pending events in `_outbox` carry their
    payload clear until the relay publishes them: left out here, the relay does not run)."""
    found: list[str] = []
    for tenant in (T, OTHER):
        db = rig.db(tenant)
        for name in ("ltc_assessors", ASSESSMENTS, "ltc_evidence"):
            for doc in await db[name].find({}, {"_outbox": 0}).to_list(None):
                clear_in(doc, f"{tenant}.{name}", (PERSON, PERSON2, PERSON3, *NAMES, PLACE, NOTES, "王丽娟"), found)
    assert found == []


async def test_the_scale_in_force_is_answered_as_the_scores_form_needs_it(rig: Rig) -> None:
    """GET /v1/ltc/scale: the items a scores form shows, in the scale's order, with their allowed scores and the
    version a conclusion records; every item it names is one the scores door accepts."""
    r = await rig.http.get("/v1/ltc/scale", headers=auth(T, "expert", "AS-M1"))
    assert r.status_code == 200, r.text
    scale = r.json()
    assert scale["version"] == "wz-ltc-assessment-sample-2021.1" and scale["sample"] is True
    assert [i["code"] for i in scale["indicators"]] == ["adl", "cognition", "perception"]
    items = {item["code"]: item["scores"] for i in scale["indicators"] for item in i["items"]}
    assert set(items) == set(SEVERE) and items["walking"] == [0, 5, 10, 15] and items["time"] == [0, 1, 2, 3, 4]
    assert scale["indicators"][0]["items"][0] == {"code": "eating", "name": "进食", "scores": [0, 5, 10]}
    assert len(scale["grades"]) == 6 and len(scale["levels"]) == 4
    assert (await rig.http.get("/v1/ltc/scale", headers=auth(T, "applicant", PERSON))).status_code == 403
    assert (await rig.http.get("/v1/ltc/scale", headers=auth("hz-p1", "clerk"))).status_code == 404
