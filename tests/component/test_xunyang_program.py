"""The Xunyang chronic pilot (xy-chronic, tenant xy-c) on the embedded platform, beside Hanzhong's hz-p1: the
application's district and inpatient records, the expert list gating draws until the district agency approves it,
the 10-working-day clock from submission and the result pushed to the applicant, statements closing only with
their settlement documents, monthly funding by actual spending, the approved applicants' handover, the violations
section of the reports and the satisfaction survey; bad input, tenants and roles kept apart at every new door."""

from __future__ import annotations

import io
import json
import random
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from chassis.calendar import add_working_days, today_cn
from chassis.demo_subjects import demo_expert_id
from jingban.embedded import EmbeddedPlatform
from jingban.flow import PDF, PNG, Walk
from tests.conftest import embedded_port_offset, eventually
from tests.support import tokens
from tests.support.review import reviewed

XY, HZ = "xy-c", "hz-p1"
PROGRAM = "xy-chronic"
INST = "H360403101"
POOL = (Path(__file__).resolve().parents[2] / "programs" / PROGRAM / "experts-sample.csv").read_text(encoding="utf-8")


def _valid(body17: str) -> str:
    w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body17 + "10X98765432"[sum(int(d) * x for d, x in zip(body17, w, strict=True)) % 11]


def person(n: int) -> str:
    return _valid(f"36040319{60 + n % 30:02d}0101{n % 1000:03d}")


def agency(tenant: str = XY, program: str = PROGRAM) -> dict[str, str]:
    token = tokens.user_token(tenant, "supervisor", "agency-xy", program=program)
    return {"authorization": f"Bearer {token}"}


def records(days_ago: int = 100, level: int = 3) -> dict[str, Any]:
    return {"hospital": "H360402001", "hospital_level": level,
            "discharged_on": (today_cn() - timedelta(days=days_ago)).isoformat()}


def fields(district: str | None = "360403001", **changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"inpatient_records": records()}
    if district is not None:
        out["district"] = district
    out.update(changes)
    return out


@pytest.fixture(scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedPlatform]:
    data = tmp_path_factory.mktemp("xy-data")
    p = EmbeddedPlatform(env={"JINGBAN_TENANTS": f"{HZ},{XY}", "JINGBAN_DATA_DIR": str(data)},
                         port_offset=embedded_port_offset())
    await p.start()
    async with httpx.AsyncClient(timeout=20) as http:
        await Walk(p.url, tokens.current(), http, HZ).load_policy()
        await Walk(p.url, tokens.current(), http, HZ).import_experts()
        await Walk(p.url, tokens.current(), http, XY).load_policy(PROGRAM)
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


def walk(platform: EmbeddedPlatform, http: httpx.AsyncClient, tenant: str = XY) -> Walk:
    return Walk(platform.url, tokens.current(), http, tenant)


async def submit_raw(platform: EmbeddedPlatform, http: httpx.AsyncClient, tenant: str, body: dict[str, Any]
                     ) -> httpx.Response:
    files: dict[str, Any] = {"application": (None, json.dumps(body, ensure_ascii=False))}
    for kind in ("application_form", "medical_record", "id_card", "insurance_card"):
        files[kind] = (f"{kind}.pdf", PDF, "application/pdf")
    return await http.post(f"{platform.url('intake')}/v1/applications", files=files,
                           headers=walk(platform, http, tenant).auth("clerk"))


async def test_district_and_inpatient_records_are_checked(platform: EmbeddedPlatform,
                                                          http: httpx.AsyncClient) -> None:
    base = {"person_id": person(1), "person_name": "王秀兰", "disease_code": "HTN", "channel": "window"}
    intake = platform.url("intake")
    before = len((await http.get(f"{intake}/v1/applications", headers=walk(platform, http).auth("clerk"))).json())
    cases = [
        (fields(district=None), "application.district", "district_required"),
        (fields(district="360403999"), "application.district", "district_unknown"),
        ({"district": "360403001"}, "application.inpatient_records", "records_required"),
        (fields(inpatient_records=records(level=1)), "application.inpatient_records.hospital_level",
         "records_hospital_level"),
        (fields(inpatient_records=records(days_ago=2 * 366 + 1)), "application.inpatient_records.discharged_on",
         "records_too_old"),
        (fields(inpatient_records={"hospital": "H1", "hospital_level": 7, "discharged_on": "2025-13-01"}),
         "application.inpatient_records.hospital_level", ""),
    ]
    for extra, field, reason in cases:
        r = await submit_raw(platform, http, XY, {**base, **extra})
        assert r.status_code == 422, (extra, r.text)
        error = r.json()["error"]
        assert field in {f["field"] for f in error["fields"]}, r.text
        assert error["code"] == (reason or "invalid_input"), r.text
        if reason.startswith("records_") and reason != "records_required":
            assert reason in {f.get("reason") for f in error["fields"]}
    # nothing was written by the refusals
    after = (await http.get(f"{intake}/v1/applications", headers=walk(platform, http).auth("clerk"))).json()
    assert len(after) == before
    r = await submit_raw(platform, http, XY, {**base, **fields()})
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["program"] == PROGRAM and app["district"] == "360403001" and app["district_name"] == "甘棠街道"
    assert app["inpatient_records"]["hospital_level"] == 3
    # Hanzhong asks for neither: its applications are unchanged
    r = await submit_raw(platform, http, HZ, {**base, "person_id": _valid("61070219800101020")})
    assert r.status_code == 201 and r.json()["program"] == "hz-chronic" and "district" not in r.json()


async def test_expert_list_gates_draws_until_the_agency_approves_it(platform: EmbeddedPlatform,
                                                                   http: httpx.AsyncClient) -> None:
    w = walk(platform, http)
    appraisal = platform.url("appraisal")
    csv_headers = {**w.auth("clerk"), "content-type": "text/csv"}
    # rows breaking the pilot's pool rules refuse the whole file, each named
    bad = ("name,hospital,hospital_level,title,specialty,pool_id\n"
           "甲,H360403001,1,主任医师,cardiology,JX-1\n"
           "乙,H610702001,3,主任医师,cardiology,JX-2\n"
           "丙,H360403001,3,主任医师,cardiology,\n")
    r = await http.post(f"{appraisal}/v1/experts/import", content=bad.encode(), headers=csv_headers)
    assert r.status_code == 422, r.text
    assert {f["field"] for f in r.json()["error"]["fields"]} == {"row 2.hospital_level", "row 3.hospital",
                                                                  "row 4.pool_id"}
    r = await http.post(f"{appraisal}/v1/experts/import", content=POOL.replace(",hospital_level", "").encode(),
                        headers=csv_headers)
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] in ("header", "row 2")
    assert (await http.get(f"{appraisal}/v1/experts", headers=w.auth("clerk"))).json() == []
    # the sample pool: imported, its list pending
    imported = await w.import_experts(PROGRAM)
    listed = imported["expert_list"]
    assert listed["status"] == "pending" and listed["experts"] == 15
    # cases completed now cannot draw: they wait, saying why
    pid = person(2)
    app = await w.submit(pid, "李建国", "DM", extra=fields(), hospital="H360403001")
    await w.review(app["application_id"], "complete")
    case = await w.case(app["application_id"])
    assert case["status"] == "awaiting_experts" and case["awaiting"].startswith("expert_list_not_approved")
    r = await http.post(f"{appraisal}/v1/cases/{case['case_id']}/draw", headers=w.auth("clerk"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "expert_list_not_approved", r.text
    second = await w.submit(person(6), "钱玉兰", "HTN", extra=fields(), hospital="H360403001")
    await w.review(second["application_id"], "complete")
    other = await w.case(second["application_id"])
    assert other["status"] == "awaiting_experts"
    # another tenant's waiting case (written as appraisal would): an approval here never draws it
    hz_cases = platform.store.database("appraisal", HZ)["cases"]
    await hz_cases.insert_one({"_id": "hz-waiting", "status": "awaiting_experts", "program": "hz-chronic",
                               "awaiting": "expert_list_not_approved: test", "opened_at": "2025-01-01T00:00:00Z",
                               "specialty": "cardiology", "person_id": "p", "application_id": "hz-waiting",
                               "disease_code": "HTN", "opinions_required": 2, "assigned": [], "draws": []})
    # only the agency of this program approves: not a clerk, not another program's supervisor, not another tenant
    lid = listed["list_id"]
    assert (await http.post(f"{appraisal}/v1/expert-lists/{lid}/approve", headers=w.auth("clerk"))).status_code == 403
    assert (await http.post(f"{appraisal}/v1/expert-lists/{lid}/approve", headers=agency(XY, "hz-chronic"))
            ).status_code == 403
    assert (await http.post(f"{appraisal}/v1/expert-lists/{lid}/approve", headers=agency(HZ, "hz-chronic"))
            ).status_code == 404
    assert (await http.get(f"{appraisal}/v1/expert-lists/{lid}", headers=walk(platform, http, HZ).auth("clerk"))
            ).status_code == 404
    r = await http.post(f"{appraisal}/v1/expert-lists/{lid}/reject", headers=agency(), json={"note": " "})
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "note"
    r = await http.post(f"{appraisal}/v1/expert-lists/{lid}/approve", headers=agency(), json={"note": "同意备案"})
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    # the approval draws every case that waited for it: no clerk needed
    assert set(r.json()["cases_drawn"]) == {case["case_id"], other["case_id"]} and r.json()["cases_waiting"] == 0
    assert (await http.post(f"{appraisal}/v1/expert-lists/{lid}/approve", headers=agency())).status_code == 409
    experts = {e["expert_id"]: e for e in (await http.get(f"{appraisal}/v1/experts", headers=w.auth("clerk"))).json()}
    for waited in (case, other):
        drawn = await w.case(waited["case_id"])
        # at random from the approved list, never the treating hospital's experts; the draw recorded (seed,
        # candidates, reason) so that it can be replayed
        assert drawn["status"] == "open" and drawn["awaiting"] is None
        assert len(drawn["assigned"]) == 2 and set(drawn["assigned"]) <= set(listed["expert_ids"])
        assert all(experts[e]["hospital"] != "H360403001" for e in drawn["assigned"])
        (recorded,) = drawn["draws"]  # drawn once, although approve was posted twice
        assert recorded["reason"] == f"expert list {lid} approved" and len(recorded["seed"]) == 32
        assert set(recorded["chosen"]) == set(drawn["assigned"]) <= set(recorded["candidates"])
        assert random.Random(recorded["seed"]).sample(recorded["candidates"], 2) == recorded["chosen"]
        # nothing left for a clerk to draw
        r = await http.post(f"{appraisal}/v1/cases/{waited['case_id']}/draw", headers=w.auth("clerk"))
        assert r.status_code == 409
    drawn = await w.case(case["case_id"])
    untouched = await hz_cases.find_one({"_id": "hz-waiting"})
    assert untouched["status"] == "awaiting_experts" and untouched["assigned"] == [] and untouched["draws"] == []
    await hz_cases.delete_one({"_id": "hz-waiting"})

    async def announced() -> bool:  # one experts.assigned per case, seen by the other services
        trail = (await http.get(f"{platform.url('audit')}/v1/trail", params={"business_key": pid},
                                headers=w.auth("inspector"))).json()["entries"]
        return [e["type"] for e in trail].count("experts.assigned") == 1

    await eventually(announced, 20, "experts.assigned of the drawn case")
    # the 10-working-day clock runs from the submission (申报完成), not from the clerk's review
    assert drawn["clock_from"] == today_cn().isoformat()
    assert drawn["due_on"] == add_working_days(today_cn(), 10).isoformat()
    # experts imported after the approval wait for the next one
    extra = "name,hospital,hospital_level,title,specialty,pool_id\n新专家,H360402001,3,主任医师,endocrinology,JX-9\n"
    r = await http.post(f"{appraisal}/v1/experts/import", content=extra.encode(), headers=csv_headers)
    assert r.status_code == 200 and r.json()["expert_list"]["status"] == "pending"
    versions = (await http.get(f"{appraisal}/v1/expert-lists", headers=agency())).json()
    assert [v["status"] for v in versions] == ["pending", "approved"]


async def test_result_pushed_survey_and_handover(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    w = walk(platform, http)
    intake, archive = platform.url("intake"), platform.url("archive")
    await eventually(lambda: _approved_list(platform, http), 20, "an approved expert list")
    pid = person(3)
    app = await w.submit(pid, "赵桂英", "COPD", extra=fields(), hospital="H360403001", role="applicant",
                         channel="online")
    aid = app["application_id"]
    qs = await http.get(f"{intake}/v1/surveys/questions", headers=w.auth("applicant", pid))
    assert qs.status_code == 200 and [q["code"] for q in qs.json()["questions"]] == [
        "convenience", "timeliness", "service", "overall"]
    assert (await http.get(f"{intake}/v1/surveys/questions", headers=w.auth("expert"))).status_code == 403
    assert (await http.get(f"{intake}/v1/surveys/questions",
                           headers=walk(platform, http, HZ).auth("applicant", pid))).status_code == 409
    # the survey waits for a decision
    answers = {"convenience": 5, "timeliness": 4, "service": 5, "overall": 4}
    r = await http.post(f"{intake}/v1/applications/{aid}/survey", headers=w.auth("applicant", pid),
                        json={"answers": answers})
    assert r.status_code == 409 and r.json()["error"]["code"] == "application_not_decided", r.text
    await w.review(aid, "complete")
    case = await w.opinions(await w.case(aid))
    await w.conclude(case["case_id"])

    async def notified() -> list[dict[str, Any]] | None:
        notes = (await http.get(f"{intake}/v1/notifications", headers=w.auth("applicant", pid))).json()
        return notes if any(n["template"] == "approved" for n in notes) else None

    notes = await eventually(notified, 20, "the result pushed to the applicant")
    assert any("COPD" in n["text"] for n in notes if n["template"] == "approved")

    # decided: the applicant is invited to the satisfaction survey (满意度测评), once (the grant and its filing
    # both decide it)
    async def invited() -> list[dict[str, Any]] | None:
        notes = (await http.get(f"{intake}/v1/notifications", headers=w.auth("applicant", pid))).json()
        return notes if any(n["template"] == "filed" for n in notes) and any(
            n["template"] == "survey_invitation" for n in notes) else None

    invitations = [n for n in await eventually(invited, 20, "the survey invitation")
                   if n["template"] == "survey_invitation"]
    assert len(invitations) == 1 and "满意度测评" in invitations[0]["text"] and aid in invitations[0]["text"]
    # Hanzhong runs no survey: its decided applicants are not invited
    hz_walk = walk(platform, http, HZ)
    hz_pid = _valid("61070219800101030")
    hz_app = await hz_walk.submit(hz_pid, "孙立", "HTN")
    await hz_walk.review(hz_app["application_id"], "reject", note="not resident")
    hz_notes = (await http.get(f"{intake}/v1/notifications", headers=hz_walk.auth("applicant", hz_pid))).json()
    assert [n["template"] for n in hz_notes] == ["rejected"]
    # bad answers are named; nothing stored
    r = await http.post(f"{intake}/v1/applications/{aid}/survey", headers=w.auth("applicant", pid),
                        json={"answers": {"convenience": 6, "timeliness": True, "service": 3, "mood": 5}})
    assert r.status_code == 422
    assert {f["field"] for f in r.json()["error"]["fields"]} == {"answers.overall", "answers.mood",
                                                                  "answers.convenience", "answers.timeliness"}
    # only the applicant themself answers, once; other tenants and roles see nothing
    assert (await http.post(f"{intake}/v1/applications/{aid}/survey", headers=w.auth("applicant", person(4)),
                            json={"answers": answers})).status_code == 404
    assert (await http.post(f"{intake}/v1/applications/{aid}/survey", headers=w.auth("clerk"),
                            json={"answers": answers})).status_code == 403
    assert (await http.post(f"{intake}/v1/applications/{aid}/survey",
                            headers=walk(platform, http, HZ).auth("applicant", pid),
                            json={"answers": answers})).status_code == 404
    r = await http.post(f"{intake}/v1/applications/{aid}/survey", headers=w.auth("applicant", pid),
                        json={"answers": answers, "comment": "手机申报很方便"})
    assert r.status_code == 201, r.text
    r = await http.post(f"{intake}/v1/applications/{aid}/survey", headers=w.auth("applicant", pid),
                        json={"answers": answers})
    assert r.status_code == 409 and r.json()["error"]["code"] == "survey_already_answered", r.text
    month = f"{today_cn():%Y-%m}"
    results = (await http.get(f"{intake}/v1/surveys/results", params={"period": month}, headers=w.auth("clerk"))
               ).json()
    assert results["responses"] == 1 and results["comments"] == 1
    overall = next(q for q in results["questions"] if q["code"] == "overall")
    assert overall["mean"] == "4.00" and overall["distribution"]["4"] == 1
    supervisor = (await http.get(f"{intake}/v1/surveys/results", params={"period": f"{today_cn():%Y}"},
                                 headers=agency())).json()
    assert supervisor["tenants"] == [XY] and supervisor["responses"] == 1
    assert (await http.get(f"{intake}/v1/surveys/results", params={"period": month},
                           headers=w.auth("applicant", pid))).status_code == 403
    assert (await http.get(f"{intake}/v1/surveys/results", params={"period": "2025-13"},
                           headers=w.auth("clerk"))).status_code == 422
    hz = await http.get(f"{intake}/v1/surveys/results", params={"period": month},
                        headers=walk(platform, http, HZ).auth("clerk"))
    assert hz.status_code == 409  # Hanzhong runs no survey, and reads nothing of Xunyang's

    # the approved applicant's materials are handed over to the agency: by person, by period; never the others
    async def filed() -> dict[str, Any] | None:
        r = await http.get(f"{archive}/v1/persons/{pid}/file", headers=w.auth("clerk"))
        return r.json() if r.status_code == 200 and any(e["kind"] == "qualification" for e in r.json()["entries"]) \
            else None

    person_file = await eventually(filed, 20, "the qualification in the person's file")
    # the handling district (所属经办区) the applicant named travels on application.submitted into the file
    identity = person_file["summary"]["identity"]
    assert (identity["district"], identity["district_name"]) == ("360403001", "甘棠街道")
    (submitted,) = person_file["groups"]["application"]
    assert submitted["attributes"]["district"] == "360403001"
    r = await http.post(f"{archive}/v1/exports", headers=w.auth("supervisor"), json={"person_id": pid})
    assert r.status_code == 201, r.text
    one = r.json()
    assert one["persons"] == 1 and one["selection"]["scope"] == "approved"
    r = await http.post(f"{archive}/v1/exports", headers=w.auth("supervisor"), json={})
    whole = r.json()
    assert r.status_code == 201 and whole["selection"]["scope"] == "approved"
    zip_bytes = (await http.get(f"{archive}/v1/exports/{whole['export_id']}/download",
                                headers=w.auth("supervisor"))).content
    names = zipfile.ZipFile(io.BytesIO(zip_bytes)).namelist()
    assert f"persons/{pid}.json" in names and f"persons/{person(1)}.json" not in names  # submitted only: not handed
    r = await http.post(f"{archive}/v1/exports", headers=w.auth("supervisor"), json={"person_id": person(1)})
    assert r.status_code == 404
    r = await http.post(f"{archive}/v1/exports", headers=w.auth("supervisor"), json={"period": "2001-01"})
    assert r.status_code == 409
    r = await http.post(f"{archive}/v1/exports", headers=w.auth("supervisor"), json={"scope": "all",
                                                                                     "person_id": pid})
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "scope"
    r = await http.post(f"{archive}/v1/exports", headers=walk(platform, http, HZ).auth("supervisor"),
                        json={"person_id": pid})
    assert r.status_code == 404  # another tenant's applicant


async def _approved_list(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> bool:
    r = await http.get(f"{platform.url('appraisal')}/v1/expert-lists", params={"status": "approved"},
                       headers=walk(platform, http).auth("clerk"))
    if r.status_code == 200 and r.json():
        return True
    imported = await walk(platform, http).import_experts(PROGRAM)  # run alone: import and approve here
    lid = imported["expert_list"]["list_id"]
    await http.post(f"{platform.url('appraisal')}/v1/expert-lists/{lid}/approve", headers=agency())
    return False


async def test_statement_documents_and_monthly_actual_funding(platform: EmbeddedPlatform,
                                                              http: httpx.AsyncClient) -> None:
    w = walk(platform, http)
    settlement = platform.url("settlement")
    month = (today_cn().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    year = int(month[:4])
    pid = person(5)
    r = await http.post(f"{settlement}/v1/admin/holdings", headers=w.auth("ops"), json={"holdings": [
        {"person_id": pid, "disease": "HTN", "granted_on": "2024-03-15"}]})
    assert r.status_code == 200, r.text
    r = await http.post(f"{settlement}/v1/claims/batches", headers=w.auth("institution", INST), json={
        "month": month, "batch_id": "xy-1", "lines": [
            {"claim_id": "c1", "person_id": pid, "date": f"{month}-05", "disease": "HTN", "amount": "200.00",
             "covered": True}]})
    assert r.status_code == 201, r.text
    sid = r.json()["statement_id"]
    await reviewed(http, settlement, "xy-1", XY)  # smart review answered (its own gate, after the documents')
    # the statement cannot close without its settlement documents
    r = await http.post(f"{settlement}/v1/statements/{sid}/close", headers=w.auth("finance"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "statement_documents_missing", r.text
    assert r.json()["error"]["fields"][0]["field"] == "documents"
    docs = f"{settlement}/v1/statements/{sid}/documents"
    # a file that is not what it claims, or an unknown kind, is refused with its field; nothing stored
    r = await http.post(docs, headers=w.auth("institution", INST), files={
        "invoice": ("invoice.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"),
        "photo": ("x.png", PNG, "image/png")})
    assert r.status_code == 422
    assert {f["field"] for f in r.json()["error"]["fields"]} == {"documents.invoice", "documents.photo"}
    # another institution, another tenant, a wrong role: nothing to see or hand in
    assert (await http.post(docs, headers=w.auth("institution", "H360403102"),
                            files={"invoice": ("i.pdf", PDF, "application/pdf")})).status_code == 404
    assert (await http.get(docs, headers=walk(platform, http, HZ).auth("finance"))).status_code == 404
    assert (await http.post(docs, headers=w.auth("reviewer"),
                            files={"invoice": ("i.pdf", PDF, "application/pdf")})).status_code == 403
    r = await http.post(docs, headers=w.auth("institution", INST), files={
        "purchase_details": ("details.csv", "药品编码,数量,金额\nD001,2,200.00\n".encode(), "text/csv"),
        "invoice": ("invoice.pdf", PDF, "application/pdf")})
    assert r.status_code == 201 and r.json()["missing"] == ["settlement_sheet"], r.text
    r = await http.post(f"{settlement}/v1/statements/{sid}/close", headers=w.auth("finance"))
    assert r.status_code == 409 and "settlement_sheet" in r.text
    r = await http.post(docs, headers=w.auth("finance"), files={"settlement_sheet": ("sheet.png", PNG, "image/png")})
    assert r.status_code == 201 and r.json()["missing"] == []
    listing = (await http.get(docs, headers=w.auth("institution", INST))).json()
    assert sorted(d["kind"] for d in listing["documents"]) == ["invoice", "purchase_details", "settlement_sheet"]
    invoice = next(d for d in listing["documents"] if d["kind"] == "invoice")
    got = await http.get(f"{docs}/{invoice['document_id']}", headers=w.auth("clerk"))
    assert got.content == PDF and got.headers["x-content-sha256"] == invoice["sha256"]
    for step in ("close", "reconcile"):
        r = await http.post(f"{settlement}/v1/statements/{sid}/{step}", headers=w.auth("finance"))
        assert r.status_code == 200, r.text
    payable = Decimal(r.json()["payable"])
    assert payable > 0
    # documents are handed in while the statement is open
    assert (await http.post(docs, headers=w.auth("finance"), files={"invoice": ("i2.pdf", PDF + b"2",
                                                                                "application/pdf")})
            ).status_code == 409
    # no money in the account before the agency reimburses: the payment waits for the carrier's float
    fund = f"{settlement}/v1/fund"
    r = await http.post(f"{settlement}/v1/statements/{sid}/payments", headers=w.auth("finance"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "insufficient_funds", r.text
    r = await http.post(f"{fund}/advances", headers=w.auth("finance"), json={
        "advance_id": "float-1", "amount": f"{payable:.2f}", "date": today_cn().isoformat(), "year": year})
    assert r.status_code == 201, r.text
    r = await http.post(f"{settlement}/v1/statements/{sid}/payments", headers=w.auth("finance"))
    assert r.status_code == 201, r.text
    paid_month, today = f"{today_cn():%Y-%m}", today_cn().isoformat()
    # no 25% / 60% allocations for this program
    r = await http.post(f"{fund}/allocations", headers=agency(), json={
        "allocation_id": "xy-initial", "kind": "initial", "amount": "100.00", "year": year, "date": today})
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "kind"
    # the month's reimbursement must be its actual spending
    r = await http.post(f"{fund}/allocations", headers=agency(), json={
        "allocation_id": "xy-m1", "kind": "monthly_actual", "month": paid_month, "year": year,
        "amount": f"{payable + 1:.2f}", "date": today})
    assert r.status_code == 422 and r.json()["error"]["code"] == "allocation_not_actual", r.text
    assert (await http.post(f"{fund}/allocations", headers=w.auth("finance"), json={
        "allocation_id": "xy-m1", "kind": "monthly_actual", "month": paid_month, "year": year,
        "date": today})).status_code == 403
    assert (await http.post(f"{fund}/allocations", headers=agency(HZ, "hz-chronic"), json={
        "allocation_id": "xy-m1", "kind": "monthly_actual", "month": paid_month, "year": year,
        "date": today})).status_code == 422  # Hanzhong's agency allocates into Hanzhong's books only
    assert (await http.get(f"{fund}/monthly", params={"year": year}, headers=w.auth("clerk"))).status_code == 403
    assert (await http.get(f"{fund}/monthly", params={"year": year, "tenant": XY},
                           headers=agency(HZ, "hz-chronic"))).status_code == 404
    assert (await http.get(f"{fund}/monthly", params={"year": year},
                           headers=walk(platform, http, HZ).auth("finance"))).status_code == 404
    monthly = (await http.get(f"{fund}/monthly", params={"year": year}, headers=agency())).json()["months"]
    assert monthly == [{"month": paid_month, "paid": f"{payable:.2f}", "reimbursed": "0.00", "due": f"{payable:.2f}"}]
    body = {"allocation_id": "xy-m1", "kind": "monthly_actual", "month": paid_month, "year": year, "date": today}
    r = await http.post(f"{fund}/allocations", headers=agency(), json=body)
    assert r.status_code == 201 and r.json()["amount"] == f"{payable:.2f}", r.text
    assert [c["code"] for c in r.json()["reason_codes"]] == ["monthly_actual"], r.text
    r = await http.post(f"{fund}/allocations", headers=agency(), json=body)  # the same request again
    assert r.status_code == 200 and r.json()["replayed"] is True
    r = await http.post(f"{fund}/allocations", headers=agency(), json={**body, "allocation_id": "xy-m1-again"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "nothing_to_reimburse", r.text
    # the carrier takes its float back from the reimbursement; the books balance
    r = await http.post(f"{fund}/advances/float-1/repayments", headers=w.auth("finance"), json={
        "repayment_id": "float-1-back", "amount": f"{payable:.2f}", "date": today_cn().isoformat()})
    assert r.status_code == 201, r.text
    rec = (await http.get(f"{fund}/reconciliation", params={"year": year}, headers=w.auth("finance"))).json()
    assert rec["balanced"] is True and rec["allocations_received"] == rec["statements_paid"] == f"{payable:.2f}"
    assert rec["advances_outstanding"] == "0.00" and rec["balances"]["bank"] == "0.00"
    tb = (await http.get(f"{fund}/trial-balance", params={"year": year}, headers=w.auth("finance"))).json()
    assert tb["balanced"] is True


async def test_violations_section_in_reports(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    audit = platform.url("audit")
    pid = person(6)
    r = await http.post(f"{audit}/v1/findings", headers=walk(platform, http).auth("inspector"), json={
        "kind": "on_site", "person_id": pid, "description": "超量开药", "amount": "86.40"})
    assert r.status_code == 201, r.text
    period = f"{today_cn():%Y-%m}"

    async def violations() -> dict[str, Any] | None:
        figures = (await http.get(f"{audit}/v1/figures", params={"period": period},
                                  headers=walk(platform, http).auth("inspector"))).json()
        return figures["violations"] if figures.get("violations", {}).get("count") else None

    section = await eventually(violations, 20, "the violations section")
    row = section["items"][0]
    assert (row["kind"], row["amount"], section["amount"]) == ("on_site", "86.40", "86.40")
    assert row["person"] == pid[:6] + "********" + pid[-4:] and pid not in json.dumps(section)
    hz = (await http.get(f"{audit}/v1/figures", params={"period": period},
                         headers=walk(platform, http, HZ).auth("inspector"))).json()
    assert "violations" not in hz  # Hanzhong's reports are unchanged


async def test_demo_seeds_the_pilot() -> None:
    """`make run` seeds xy-c as the Xunyang pilot: an approved expert list, decided applications with surveys,
    statements with their documents paid and reimbursed for the month's actual spending."""
    from jingban.demo import seed

    p = EmbeddedPlatform(env={"JINGBAN_TENANTS": XY}, port_offset=embedded_port_offset())
    await p.start()
    try:
        created = (await seed(p.url, p.tokens, (XY,), persons=80, applications=6))[XY]
        assert created["qualified"] >= 2 and created["surveys"] == created["qualified"] + created["not_approved"]
        assert created["statements_paid"] >= 1 and created["reimbursed"] == created["month_payable"] != "0.00"
        async with httpx.AsyncClient(timeout=20) as http:
            lists = (await http.get(f"{p.url('appraisal')}/v1/expert-lists", headers=agency())).json()
            assert [x["status"] for x in lists] == ["approved"] and lists[0]["list_id"] == created["expert_list"]
            year = int((today_cn().replace(day=1) - timedelta(days=1)).strftime("%Y"))
            account = (await http.get(f"{p.url('settlement')}/v1/fund/reconciliation", params={"year": year},
                                      headers=agency())).json()
            assert account["balanced"] is True and account["advances_outstanding"] == "0.00"
            assert account["statements_paid"] == created["month_payable"]
            # the demo expert (`xy-c-expert`, chassis/demo_subjects.py) finds a case waiting for their opinion
            expert = demo_expert_id(XY)
            assert expert is not None and created["awaiting_opinions"] == 1
            mine = (await http.get(f"{p.url('appraisal')}/v1/cases", headers={
                "authorization": f"Bearer {tokens.user_token(XY, 'expert', expert)}"})).json()
            assert any(c["status"] == "open" and expert not in [o["expert_id"] for o in c["opinions"]] for c in mine)
    finally:
        await p.stop()
