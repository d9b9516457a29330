"""Intake and appraisal for the chronic-disease program on the embedded platform: the preliminary
review loop, 1101 refusals, complaints with working-day deadlines, the expert pool and random draws,
disagreement bringing a third expert, revocation with 2504, re-review reminders; bad input and tenant
isolation for every new endpoint."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import httpx
import pytest

from chassis.calendar import add_working_days, today_cn
from chassis.config import DEV_JWT_SECRET
from jingban.embedded import EmbeddedPlatform
from jingban.flow import Walk
from tests.conftest import eventually

P1 = "610702198001010018"
SUSPENDED = "610702198502020015"


def _valid(body17: str) -> str:
    w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body17 + "10X98765432"[sum(int(d) * x for d, x in zip(body17, w, strict=True)) % 11]


@pytest.fixture(scope="module")
async def platform() -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(port_offset=random.randint(710, 990) * 10)
    await p.start()
    async with httpx.AsyncClient(timeout=10) as http:
        for tenant in ("hz-p1", "hz-p2"):
            walk = Walk(p.url, DEV_JWT_SECRET, http, tenant)
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
    return Walk(platform.url, DEV_JWT_SECRET, http, tenant)


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
