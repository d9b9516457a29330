"""Intake and appraisal for the chronic-disease program on the embedded platform: the preliminary
review loop, 1101 refusals, complaints with working-day deadlines, the expert pool and random draws,
disagreement bringing a third expert, revocation with 2504, re-review reminders; bad input and tenant
isolation for every new endpoint."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, timedelta

import httpx
import pytest

from chassis.calendar import add_working_days, today_cn
from chassis.events import decode, topic_for
from jingban.embedded import EmbeddedPlatform
from jingban.flow import ALL_DOCUMENTS, PDF, Walk
from tests.conftest import embedded_port_offset, eventually
from tests.support import tokens

P1 = "610702198001010018"
SUSPENDED = "610702198502020015"


def _valid(body17: str) -> str:
    w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body17 + "10X98765432"[sum(int(d) * x for d, x in zip(body17, w, strict=True)) % 11]


@pytest.fixture(scope="module")
async def platform() -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(port_offset=embedded_port_offset())
    await p.start()
    async with httpx.AsyncClient(timeout=10) as http:
        for tenant in ("hz-p1", "hz-p2"):
            walk = Walk(p.url, tokens.current(), http, tenant)
            await walk.load_policy()
            await walk.import_experts()
        # The platform knows this person as suspended (停保): 1101 says so.
        r = await http.post(f"{p.simulator_url}admin/persons", json={"certno": _valid(SUSPENDED[:17]),
                                                                      "status": "suspended"})
        assert r.status_code in (200, 201), r.text
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def walk(platform: EmbeddedPlatform, http: httpx.AsyncClient, tenant: str = "hz-p1") -> Walk:
    return Walk(platform.url, tokens.current(), http, tenant)


async def test_review_loop_and_checklist(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    w = walk(platform, http)
    person = _valid("61070219800101010")
    app = await w.submit(person, "周海燕", "HTN", documents=("application_form",), role="applicant", channel="online")
    intake = platform.url("intake")
    # completing with documents missing is refused and changes nothing
    r = await http.post(f"{intake}/v1/applications/{app['application_id']}/review", headers=w.auth("clerk"),
                        json={"decision": "complete"})
    assert r.status_code == 409 and "medical_record" in r.text
    assert (await http.get(f"{intake}/v1/applications/{app['application_id']}", headers=w.auth("clerk"))
            ).json()["status"] == "submitted"
    checklist = (await http.get(f"{intake}/v1/programs/hz-chronic/checklist/HTN", headers=w.auth("clerk"))).json()
    assert checklist["required_documents"] == ["application_form", "medical_record", "id_card", "insurance_card"]
    missing = await w.review(app["application_id"], "missing")
    assert missing["missing"] == ["id_card", "insurance_card", "medical_record"]
    # documents can only be added when asked for, and only by the applicant themself or a clerk
    other = await http.post(f"{intake}/v1/applications/{app['application_id']}/documents",
                            files={"id_card": ("a.pdf", b"%PDF-1.4", "application/pdf")},
                            headers=w.auth("applicant", _valid("61070219900101010")))
    assert other.status_code == 404
    back = await w.add_documents(app["application_id"], person, ["id_card", "insurance_card", "medical_record"])
    assert back["status"] == "submitted" and back["missing"] == []
    again = await http.post(f"{intake}/v1/applications/{app['application_id']}/documents",
                            files={"id_card": ("a.pdf", b"%PDF-1.4", "application/pdf")},
                            headers=w.auth("applicant", person))
    assert again.status_code == 409
    done = await w.review(app["application_id"], "complete")
    assert done["status"] == "complete" and done["insurance"]["insured"]
    assert [t["status"] for t in done["timeline"]] == ["submitted", "documents_missing", "submitted", "complete"]
    # The timeline's steps by code and values (a page words them in its language), the English note beside.
    timeline = (await http.get(f"{intake}/v1/applications/{app['application_id']}/timeline",
                               headers=w.auth("applicant", person))).json()["timeline"]
    assert [(t["event"], t["params"]) for t in timeline] == [
        ("submitted", {"channel": "online"}),
        ("documents_requested", {"missing": ["id_card", "insurance_card", "medical_record"]}),
        ("documents_added", {"count": 3, "kinds": ["id_card", "insurance_card", "medical_record"],
                             "still_missing": []}),
        ("review_completed", {})]
    assert [t["note"] for t in timeline][:3:2] == ["online channel", "3 document(s) added"]
    assert [r["code"] for r in timeline[1]["reason_codes"]] == ["documents_missing"]
    # a second review of the same application is refused
    r = await http.post(f"{intake}/v1/applications/{app['application_id']}/review", headers=w.auth("clerk"),
                        json={"decision": "reject", "note": "x"})
    assert r.status_code == 409
    # bad decisions and unknown kinds are 422 with the field
    r = await http.post(f"{intake}/v1/applications/{app['application_id']}/review", headers=w.auth("clerk"),
                        json={"decision": "maybe", "missing": ["selfie"]})
    assert r.status_code == 422 and {f["field"] for f in r.json()["error"]["fields"]} >= {"decision", "missing"}


async def test_not_insured_per_1101_is_rejected(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    w = walk(platform, http)
    app = await w.submit(_valid(SUSPENDED[:17]), "孙立", "DM")
    reviewed = await w.review(app["application_id"], "complete")
    assert reviewed["status"] == "rejected" and reviewed["insurance"]["insured"] is False
    # 1101's error may quote the identity number: it stays in the (sealed) note and reasons, never in the params.
    step = reviewed["timeline"][-1]
    assert (step["event"], step["params"]) == ("not_insured", {})
    assert step["note"].startswith("not insured per the provincial platform (1101)")
    notes = (await http.get(f"{platform.url('intake')}/v1/notifications", headers=w.auth("clerk"),
                            params={"person_id": _valid(SUSPENDED[:17])})).json()
    assert [n["template"] for n in notes] == ["rejected"]


async def test_complaints_have_working_day_deadlines(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    w = walk(platform, http)
    intake = platform.url("intake")
    r = await http.post(f"{intake}/v1/complaints", headers=w.auth("applicant", P1),
                        json={"person_id": P1, "kind": "complaint", "subject": "药店拒绝刷卡"})
    assert r.status_code == 201
    c = r.json()
    assert c["due_on"] == add_working_days(today_cn(), 10).isoformat() and c["overdue"] is False
    r = await http.post(f"{intake}/v1/complaints", headers=w.auth("applicant", P1),
                        json={"person_id": "someone-else", "kind": "consultation", "subject": "x"})
    assert r.status_code == 422
    r = await http.post(f"{intake}/v1/complaints", headers=w.auth("clerk"), json={"person_id": P1, "kind": "rant",
                                                                                  "subject": ""})
    assert r.status_code == 422 and {f["field"] for f in r.json()["error"]["fields"]} == {"kind", "subject"}
    listed = (await http.get(f"{intake}/v1/complaints", headers=w.auth("clerk"), params={"status": "open"})).json()
    assert c["complaint_id"] in [x["complaint_id"] for x in listed]
    assert (await http.get(f"{intake}/v1/complaints", headers=w.auth("clerk", "x"),
                           params={"overdue": True})).json() == []
    # another tenant cannot resolve it; the owner can, once
    other = walk(platform, http, "hz-p2")
    assert (await http.post(f"{intake}/v1/complaints/{c['complaint_id']}/resolve", headers=other.auth("clerk"),
                            json={"resolution": "x"})).status_code == 404
    r = await http.post(f"{intake}/v1/complaints/{c['complaint_id']}/resolve", headers=w.auth("clerk"),
                        json={"resolution": "已协调药店恢复结算"})
    assert r.status_code == 200 and r.json()["status"] == "resolved" and r.json()["overdue"] is False
    assert (await http.post(f"{intake}/v1/complaints/{c['complaint_id']}/resolve", headers=w.auth("clerk"),
                            json={"resolution": "again"})).status_code == 409


async def test_expert_pool_import_is_all_or_nothing(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    w = walk(platform, http)
    appraisal = platform.url("appraisal")
    before = len((await http.get(f"{appraisal}/v1/experts", headers=w.auth("clerk"))).json())
    bad = "name,hospital,title,specialty\n甲,H1,主任医师,oncology\n乙,H2,住院医师,oncology\n"
    r = await http.post(f"{appraisal}/v1/experts/import", content=bad.encode(),
                        headers={**w.auth("clerk"), "content-type": "text/csv"})
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "row 3.title"
    assert len((await http.get(f"{appraisal}/v1/experts", headers=w.auth("clerk"))).json()) == before
    r = await http.post(f"{appraisal}/v1/experts/import", content=b"{}", headers={**w.auth("clerk"),
                                                                                  "content-type": "application/json"})
    assert r.status_code == 415
    assert (await http.post(f"{appraisal}/v1/experts/import", content=bad.encode(),
                            headers={**w.auth("expert"), "content-type": "text/csv"})).status_code == 403


async def test_disagreement_draws_a_third_expert_and_the_majority_decides(platform: EmbeddedPlatform,
                                                                          http: httpx.AsyncClient) -> None:
    w = walk(platform, http)
    person = _valid("61070219750505050")
    app = await w.submit(person, "吴卫东", "COPD", hospital="H610702001")
    await w.review(app["application_id"], "complete")
    case = await w.case(app["application_id"])
    assert len(case["assigned"]) == 2
    pool = {e["expert_id"]: e for e in (await http.get(f"{platform.url('appraisal')}/v1/experts",
                                                      headers=w.auth("clerk"))).json()}
    assert all(pool[e]["specialty"] == "respiratory" and pool[e]["hospital"] != "H610702001" for e in case["assigned"])
    case = await w.opinions(case, [True, False])
    assert len(case["assigned"]) == 3 and case["opinions_required"] == 3 and case["status"] == "open"
    assert case["draws"][1]["reason"] == "disagreement" and case["assigned"][2] not in case["assigned"][:2]
    r = await http.post(f"{platform.url('appraisal')}/v1/cases/{case['case_id']}/conclusion",
                        headers=w.auth("reviewer"), json={"outcome": "approved", "reason": "x"})
    assert r.status_code == 409  # no majority yet
    case = await w.opinions(case, [True, False, False])
    assert case["status"] == "ready" and case["recommended"] == "rejected"
    r = await http.post(f"{platform.url('appraisal')}/v1/cases/{case['case_id']}/conclusion",
                        headers=w.auth("reviewer"), json={"outcome": "approved", "reason": "x"})
    assert r.status_code == 409  # the conclusion must follow the experts
    done = await w.conclude(case["case_id"], "rejected", "不符合鉴定标准")
    assert done["status"] == "concluded" and done["qualification"] is None


async def test_grant_file_revoke_and_review_due(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    w = walk(platform, http)
    person = _valid("61070219680808080")
    concluded = await w.qualify(person, "郑红军", "MT")
    q = concluded["qualification"]
    assert q["benefit_start"] == today_cn().isoformat() and q["review_due"]  # tumour: at once; 12-month review
    appraisal = platform.url("appraisal")

    async def filed() -> dict | None:
        rows = (await http.get(f"{appraisal}/v1/filings", headers=w.auth("clerk"), params={"status": "filed"})).json()
        return next((x for x in rows if x["qualification_id"] == q["qualification_id"]), None)

    assert (await eventually(filed, 20, "filing"))["filing_serial"]
    # re-review: nothing due today; a scan a year on raises review_due once
    due = (await http.get(f"{appraisal}/v1/reviews/due", headers=w.auth("clerk"))).json()
    assert q["qualification_id"] not in [d["qualification_id"] for d in due]
    later = q["review_due"]
    assert (await http.post(f"{appraisal}/v1/reviews/scan", headers=w.auth("clerk"), params={"on": later})
            ).json()["raised"] >= 1
    assert (await http.post(f"{appraisal}/v1/reviews/scan", headers=w.auth("clerk"), params={"on": later})
            ).json()["raised"] == 0
    # revocation goes to the platform (2504)
    other = walk(platform, http, "hz-p2")
    assert (await http.post(f"{appraisal}/v1/qualifications/{q['qualification_id']}/revoke",
                            headers=other.auth("reviewer"), json={"reason": "x"})).status_code == 404
    r = await http.post(f"{appraisal}/v1/qualifications/{q['qualification_id']}/revoke", headers=w.auth("reviewer"),
                        json={"reason": "死亡注销"})
    assert r.status_code == 200 and r.json()["qualification"]["status"] == "revoked"

    async def revoked() -> dict | None:
        rows = (await http.get(f"{appraisal}/v1/filings", headers=w.auth("clerk"), params={"status": "revoked"})
                ).json()
        return next((x for x in rows if x["qualification_id"] == q["qualification_id"]), None)

    await eventually(revoked, 20, "2504 revocation")
    assert (await http.post(f"{appraisal}/v1/qualifications/{q['qualification_id']}/revoke",
                            headers=w.auth("reviewer"), json={"reason": "again"})).status_code == 409


async def test_appraisal_endpoints_keep_tenants_apart(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    w, other = walk(platform, http), walk(platform, http, "hz-p2")
    app = await w.submit(_valid("61070219550505050"), "冯玉兰", "SCZ")
    await w.review(app["application_id"], "complete")
    case = await w.case(app["application_id"])
    appraisal = platform.url("appraisal")
    assert (await http.get(f"{appraisal}/v1/cases/{case['case_id']}", headers=other.auth("reviewer"))
            ).status_code == 404
    assert case["case_id"] not in [c["case_id"] for c in (await http.get(
        f"{appraisal}/v1/cases", headers=other.auth("reviewer"))).json()]
    assert (await http.post(f"{appraisal}/v1/cases/{case['case_id']}/opinions",
                            headers=other.auth("expert", case["assigned"][0]), json={"approve": True})
            ).status_code == 404
    assert (await http.post(f"{appraisal}/v1/cases/{case['case_id']}/draw", headers=other.auth("clerk"))
            ).status_code == 404
    assert all(f["case_id"] != case["case_id"] for f in (await http.get(
        f"{appraisal}/v1/filings", headers=other.auth("clerk"))).json())
    # an expert sees only the cases drawn for them
    mine = (await http.get(f"{appraisal}/v1/cases", headers=w.auth("expert", case["assigned"][0]))).json()
    assert case["case_id"] in [c["case_id"] for c in mine]
    assert (await http.get(f"{appraisal}/v1/cases/{case['case_id']}", headers=w.auth("expert", "ex-nobody"))
            ).status_code == 404


# ---- several diseases, re-review (复审), experts' documents, insurance type -------------------------------------


async def file_application(w: Walk, body: dict, documents: tuple[str, ...] = ALL_DOCUMENTS,
                           role: str = "clerk") -> httpx.Response:
    """POST an application form as the walk does, with any fields (several diseases, a re-review)."""
    files: dict = {"application": (None, json.dumps({"channel": "window", "treating_hospital": "H610702001",
                                                     "phone": "13800000000", **body}, ensure_ascii=False))}
    files.update({kind: (f"{kind}.pdf", PDF, "application/pdf") for kind in documents})
    subject = body["person_id"] if role == "applicant" else "clerk-1"
    return await w.http.post(f"{w.url('intake')}/v1/applications", files=files, headers=w.auth(role, subject))


async def cases_of(w: Walk, application_id: str, n: int, kind: str | None = None) -> list[dict]:
    async def probe() -> list[dict] | None:
        params = {"application_id": application_id, **({"kind": kind} if kind else {})}
        got = (await w.http.get(f"{w.url('appraisal')}/v1/cases", headers=w.auth("reviewer"), params=params)).json()
        return got if len(got) == n and all(c["assigned"] for c in got) else None

    return await eventually(probe, 20, f"{n} case(s) of {application_id}")


def events_of(platform: EmbeddedPlatform, tenant: str, event_type: str) -> list:
    return [decode(m.value) for m in platform.bus.messages(topic_for(tenant, event_type))]


async def filing_row(w: Walk, qualification_id: str, status: str) -> dict:
    async def probe() -> dict | None:
        rows = (await w.http.get(f"{w.url('appraisal')}/v1/filings", headers=w.auth("clerk"),
                                 params={"status": status})).json()
        return next((x for x in rows if x["qualification_id"] == qualification_id), None)

    return await eventually(probe, 20, f"filing {status} of {qualification_id}")


async def notified(w: Walk, person: str, template: str) -> list[dict]:
    async def probe() -> list[dict] | None:
        got = (await w.http.get(f"{w.url('intake')}/v1/notifications", headers=w.auth("clerk"),
                                params={"person_id": person})).json()
        return [n for n in got if n["template"] == template] or None

    return await eventually(probe, 20, f"{template} notification")


async def test_one_application_several_diseases_each_appraised_apart(platform: EmbeddedPlatform,
                                                                     http: httpx.AsyncClient) -> None:
    w = walk(platform, http)
    person = _valid("61070219660606060")
    intake, appraisal = platform.url("intake"), platform.url("appraisal")
    union = (await http.get(f"{intake}/v1/programs/hz-chronic/checklist/HTN,COPD", headers=w.auth("clerk"))).json()
    assert union["diseases"] == ["HTN", "COPD"]
    assert union["required_documents"] == ["application_form", "medical_record", "id_card", "insurance_card"]
    # bad forms are refused with the field, and nothing is stored
    before = await applications_count(platform)
    for body, field in (({"person_id": person, "person_name": "王秀兰"}, "application.diseases"),
                        ({"person_id": person, "person_name": "王秀兰", "diseases": ["htn"]},
                         "application.diseases.0")):
        r = await file_application(w, body)
        assert r.status_code == 422 and field in [f["field"] for f in r.json()["error"]["fields"]], r.text
    assert await applications_count(platform) == before

    r = await file_application(w, {"person_id": person, "person_name": "王秀兰", "disease_code": "HTN",
                                    "diseases": ["COPD", "HTN"]}, documents=("application_form", "medical_record"))
    assert r.status_code == 201, r.text
    app = r.json()
    assert (app["disease_code"], app["diseases"], app["kind"]) == ("HTN", ["HTN", "COPD"], "initial")
    # the checklist of both diseases is asked for, then the application completes
    assert sorted((await w.review(app["application_id"], "missing"))["missing"]) == ["id_card", "insurance_card"]
    await w.add_documents(app["application_id"], person, ["id_card", "insurance_card"])
    await w.review(app["application_id"], "complete")

    cases = {c["disease_code"]: c for c in await cases_of(w, app["application_id"], 2)}
    assert {c["case_id"] for c in cases.values()} == {f"{app['application_id']}.HTN", f"{app['application_id']}.COPD"}
    pool = {e["expert_id"]: e for e in (await http.get(f"{appraisal}/v1/experts", headers=w.auth("clerk"))).json()}
    assert {pool[e]["specialty"] for e in cases["HTN"]["assigned"]} == {"cardiology"}
    assert {pool[e]["specialty"] for e in cases["COPD"]["assigned"]} == {"respiratory"}
    # each disease gets its own conclusion, and only the approved one a qualification (and a filing)
    htn = await w.conclude((await w.opinions(cases["HTN"]))["case_id"], "approved", "符合高血压鉴定标准")
    copd = await w.conclude((await w.opinions(cases["COPD"], False))["case_id"], "rejected", "肺功能不符")
    assert htn["qualification"]["disease_code"] == "HTN" and copd["qualification"] is None
    assert htn["qualification"]["application_id"] == app["application_id"]
    await filing_row(w, htn["qualification"]["qualification_id"], "filed")

    async def decided() -> dict | None:
        got = (await http.get(f"{intake}/v1/applications/{app['application_id']}", headers=w.auth("clerk"))).json()
        return got if got["disease_status"] == {"HTN": "filed", "COPD": "not_approved"} else None

    assert (await eventually(decided, 20, "each disease's outcome on the application"))["status"] == "decided"
    assert [n["text"] for n in await notified(w, person, "not_approved")] == ["您的门诊慢特病鉴定未通过：肺功能不符"]


async def applications_count(platform: EmbeddedPlatform, tenant: str = "hz-p1") -> int:
    return await platform.store.database("intake", tenant).applications.count_documents({})


async def test_re_review_notice_documents_appraisal_and_continue(platform: EmbeddedPlatform,
                                                                 http: httpx.AsyncClient) -> None:
    w = walk(platform, http)
    person = _valid("61070219700707070")
    appraisal, intake = platform.url("appraisal"), platform.url("intake")
    # an employee (职工, 310): 1101 says so; the case, the qualification and the 2503 filing carry it
    r = await http.post(f"{platform.simulator_url}admin/persons", json={"certno": person, "insutype": "310"})
    assert r.status_code == 200, r.text
    granted = await w.qualify(person, "赵建平", "MT")
    q = granted["qualification"]
    assert granted["insutype"] == q["insutype"] == "310"
    old = await filing_row(w, q["qualification_id"], "filed")
    at_platform = {f["trt_dcla_detl_sn"]: f for f in (await http.get(f"{platform.simulator_url}admin/filings")
                                                       ).json()["filings"]}
    assert at_platform[old["filing_serial"]]["insutype"] == "310"

    # notified ahead of time: nothing 31 days before the review date, the notice from 30 days before
    due = date.fromisoformat(q["review_due"])

    async def worklist(on: date) -> dict:
        rows = (await http.get(f"{appraisal}/v1/reviews/due", headers=w.auth("clerk"),
                               params={"on": on.isoformat(), "within_days": 31})).json()
        return next(x for x in rows if x["qualification_id"] == q["qualification_id"])

    for days, notice_sent in ((31, False), (30, True)):
        on = due - timedelta(days=days)
        await http.post(f"{appraisal}/v1/reviews/scan", headers=w.auth("clerk"), params={"on": on.isoformat()})
        row = await worklist(on)
        assert (row["notified"], row["overdue"]) == (notice_sent, False)
    assert (await worklist(due + timedelta(days=1)))["overdue"] is True
    (notice,) = await notified(w, person, "review_due")
    assert q["review_due"] in notice["text"]

    # the re-review application: documents → preliminary review → a review case with experts drawn
    body = {"person_id": person, "person_name": "赵建平", "kind": "review", "qualification_id": q["qualification_id"]}
    r = await file_application(w, body, role="applicant")
    assert r.status_code == 201, r.text
    again = r.json()
    assert (again["kind"], again["diseases"], again["qualification_id"]) == ("review", ["MT"], q["qualification_id"])
    twice = await file_application(w, body)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "review_already_open"
    unknown = await file_application(w, {**body, "qualification_id": "no-such-qualification"})
    assert unknown.status_code == 422 and unknown.json()["error"]["fields"][0]["field"] == \
        "application.qualification_id"
    other_tenant = await file_application(walk(platform, http, "hz-p2"), body)
    assert other_tenant.status_code == 422  # hz-p2 holds no such qualification
    await w.review(again["application_id"], "complete")
    (case,) = await cases_of(w, again["application_id"], 1, kind="review")
    assert (case["kind"], case["reviews_qualification_id"], case["insutype"]) == ("review", q["qualification_id"],
                                                                                  "310")
    case = await w.opinions(case)
    assert case["status"] == "ready" and case["recommended"] == "continue"
    wrong = await http.post(f"{appraisal}/v1/cases/{case['case_id']}/conclusion", headers=w.auth("reviewer"),
                            json={"outcome": "approved", "reason": "x"})
    assert wrong.status_code == 422 and wrong.json()["error"]["fields"][0]["field"] == "outcome"

    done = await w.conclude(case["case_id"], "continue", "病情持续，继续享受待遇")
    assert done["status"] == "concluded" and done["conclusion"]["outcome"] == "continue"
    # passed before its date: the next period runs from the old review date (no time lost)
    new_due = due.replace(year=due.year + 1).isoformat()
    held = (await http.get(f"{appraisal}/v1/cases/{granted['case_id']}", headers=w.auth("reviewer"))).json()
    assert held["qualification"]["review_due"] == new_due and held["qualification"]["status"] == "active"
    assert held["renewals"][0]["previous_review_due"] == q["review_due"]
    (renewed,) = [e for e in events_of(platform, "hz-p1", "qualification.renewed")
                  if e.payload.qualification.qualification_id == q["qualification_id"]]
    assert (renewed.payload.previous_review_due, renewed.payload.qualification.review_due) == (q["review_due"],
                                                                                               new_due)
    assert (await http.post(f"{appraisal}/v1/cases/{case['case_id']}/conclusion", headers=w.auth("reviewer"),
                            json={"outcome": "continue", "reason": "x"})).status_code == 409

    # the filing follows: the old period revoked (2504), the new one filed (2503) with the same insurance type
    async def refiled() -> dict | None:
        row = await filing_row(w, q["qualification_id"], "filed")
        return row if row["filing_serial"] != old["filing_serial"] else None

    new = await eventually(refiled, 20, "the renewed filing")
    at_platform = {f["trt_dcla_detl_sn"]: f for f in (await http.get(f"{platform.simulator_url}admin/filings")
                                                       ).json()["filings"]}
    assert at_platform[old["filing_serial"]]["revoked"] is True
    assert (at_platform[new["filing_serial"]]["enddate"], at_platform[new["filing_serial"]]["insutype"]) == (
        new_due, "310")

    # settlement's holding moved on by the event, with the type; the applicant is told
    async def holding() -> dict | None:
        acc = (await http.get(f"{platform.url('settlement')}/v1/persons/{person}/accumulators",
                              headers=w.auth("finance"), params={"year": today_cn().year})).json()
        rows = [a for a in acc["accounts"] if a["qualification_id"] == q["qualification_id"]]
        return rows[0] if rows and rows[0]["review_due"] == new_due else None

    assert (await eventually(holding, 20, "settlement's holding renewed"))["insutype"] == "310"
    (told,) = await notified(w, person, "renewed")
    assert new_due in told["text"]
    timeline = (await http.get(f"{intake}/v1/applications/{again['application_id']}",
                               headers=w.auth("applicant", person))).json()
    assert timeline["status"] == "renewed"


async def test_re_review_revoke_and_a_conclusion_on_a_revoked_qualification(platform: EmbeddedPlatform,
                                                                            http: httpx.AsyncClient) -> None:
    w = walk(platform, http)
    appraisal = platform.url("appraisal")

    async def under_review(person: str, name: str, disease: str, votes: bool) -> tuple[dict, dict]:
        granted = await w.qualify(person, name, disease)
        q = granted["qualification"]
        r = await file_application(w, {"person_id": person, "person_name": name, "kind": "review",
                                       "qualification_id": q["qualification_id"]})
        assert r.status_code == 201, r.text
        await w.review(r.json()["application_id"], "complete")
        (case,) = await cases_of(w, r.json()["application_id"], 1, kind="review")
        return granted, await w.opinions(case, votes)

    # the experts find the condition gone: revoke, and the filing is revoked at the platform (2504)
    person = _valid("61070219610303030")
    granted, case = await under_review(person, "钱国华", "OT", False)
    q = granted["qualification"]
    assert granted["insutype"] == "390"  # a resident, as 1101 says
    await filing_row(w, q["qualification_id"], "filed")
    assert case["recommended"] == "revoke"
    await w.conclude(case["case_id"], "revoke", "已停止抗排异治疗")
    held = (await http.get(f"{appraisal}/v1/cases/{granted['case_id']}", headers=w.auth("reviewer"))).json()
    assert held["qualification"]["status"] == "revoked" and held["revocation"]["review_case_id"] == case["case_id"]
    await filing_row(w, q["qualification_id"], "revoked")
    (revoked,) = [e for e in events_of(platform, "hz-p1", "qualification.revoked")
                  if e.payload.qualification.qualification_id == q["qualification_id"]]
    assert revoked.payload.reason.startswith("re-review")
    refused = await file_application(w, {"person_id": person, "person_name": "钱国华", "kind": "review",
                                         "qualification_id": q["qualification_id"]})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "review_requires_active_qualification"

    # bad input: the qualification is revoked while its re-review is under way; the conclusion is refused,
    # naming the rule, and nothing is written
    person = _valid("61070219620404040")
    granted, case = await under_review(person, "孙丽华", "DL", True)
    q = granted["qualification"]
    r = await http.post(f"{appraisal}/v1/qualifications/{q['qualification_id']}/revoke", headers=w.auth("clerk"),
                        json={"reason": "参保人死亡"})
    assert r.status_code == 200, r.text
    before = (await http.get(f"{appraisal}/v1/cases/{granted['case_id']}", headers=w.auth("reviewer"))).json()
    r = await http.post(f"{appraisal}/v1/cases/{case['case_id']}/conclusion", headers=w.auth("reviewer"),
                        json={"outcome": "continue", "reason": "病情持续"})
    assert r.status_code == 409, r.text
    error = r.json()["error"]
    assert error["code"] == "review_requires_active_qualification", error
    assert error["fields"][0]["field"] == "qualification_id"
    assert (await w.case(case["case_id"]))["status"] == "ready"
    after = (await http.get(f"{appraisal}/v1/cases/{granted['case_id']}", headers=w.auth("reviewer"))).json()
    assert after["qualification"] == before["qualification"] and after.get("renewals") is None
    assert not [e for e in events_of(platform, "hz-p1", "appraisal.concluded") if e.payload.case_id == case["case_id"]]
    assert not [e for e in events_of(platform, "hz-p1", "qualification.renewed")
                if e.payload.qualification.qualification_id == q["qualification_id"]]


async def test_experts_open_only_the_documents_of_their_cases(platform: EmbeddedPlatform,
                                                              http: httpx.AsyncClient) -> None:
    w, other = walk(platform, http), walk(platform, http, "hz-p2")
    intake = platform.url("intake")
    app = await w.submit(_valid("61070219630505050"), "周建军", "CHD")
    await w.review(app["application_id"], "complete")
    case = await w.case(app["application_id"])
    expert = case["assigned"][0]
    doc = app["documents"][1]
    url = f"{intake}/v1/applications/{app['application_id']}/documents/{doc['document_id']}"

    async def readable() -> httpx.Response | None:
        r = await http.get(url, headers=w.auth("expert", expert))
        return r if r.status_code == 200 else None

    opened = await eventually(readable, 20, "the drawn expert opens the case's document")
    assert opened.content == PDF and opened.headers["content-type"] == "application/pdf"
    pool = (await http.get(f"{platform.url('appraisal')}/v1/experts", headers=w.auth("clerk"),
                           params={"specialty": "cardiology"})).json()
    outsider = next(e["expert_id"] for e in pool if e["expert_id"] not in case["assigned"])
    for headers in (w.auth("expert", outsider), other.auth("expert", expert)):  # not drawn; another tenant
        r = await http.get(url, headers=headers)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", r.text
    # an application the expert was not drawn for, a document that is not there: not found alike
    elsewhere = await w.submit(_valid("61070219640606060"), "吴芳", "CHD")
    r = await http.get(f"{intake}/v1/applications/{elsewhere['application_id']}/documents/"
                       f"{elsewhere['documents'][0]['document_id']}", headers=w.auth("expert", expert))
    assert r.status_code == 404
    r = await http.get(f"{intake}/v1/applications/{app['application_id']}/documents/nope",
                       headers=w.auth("expert", expert))
    assert r.status_code == 404
    # documents only: the application itself is not the expert's to read
    r = await http.get(f"{intake}/v1/applications/{app['application_id']}", headers=w.auth("expert", expert))
    assert r.status_code == 403
