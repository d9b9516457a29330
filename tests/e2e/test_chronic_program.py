"""The outpatient chronic & special disease program end to end in local mode (five service processes,
the provincial simulator as its own process, real Kafka and FerretDB):

a phone application → documents missing → resubmitted → checked with 1101 → experts drawn at random
→ opinions and conclusion → filed with the provincial platform (2503) → the applicant notified →
claims of the month from two institutions (JSON and CSV) adjudicated → statements closed, reconciled
with the platform (3201) and paid → the person's file shows all of it → the month's report exists."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from chassis.calendar import today_cn
from jingban.flow import Walk
from jingban.local import LocalPlatform
from tests.conftest import REAL_INFRA_DEADLINE, eventually
from tests.integration.conftest import drop_run_databases
from tests.support import tokens
from tests.support.infra import local_trust_env, real_infra

pytestmark = pytest.mark.e2e

PERSON = "610702196507150019"   # lives in 汉台区 (610702): routed to hz-p1
OTHER = "61070219720301002X"    # holds nothing: their lines pay nothing, with a reason
HOSPITAL_A, HOSPITAL_B = "H610702001", "H610702002"


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPlatform]:
    infra = real_infra()
    run_id = "c" + uuid.uuid4().hex[:8]
    work = tmp_path_factory.mktemp("chronic")
    env = {**infra.kafka_env, "MONGODB_URI": infra.mongodb_uri,
           "JINGBAN_TOPIC_PREFIX": f"{run_id}.", "JINGBAN_DB_PREFIX": run_id,
           **local_trust_env(), "JINGBAN_TENANTS": "hz-p1,hz-p2",
           "JINGBAN_DATA_DIR": str(work / "data")}
    platform = LocalPlatform(env, work / "logs", port_offset=60)
    platform.start(timeout_s=REAL_INFRA_DEADLINE)
    try:
        yield platform
    finally:
        platform.stop()
        infra.revoke_acls(f"{run_id}.", tuple(env["JINGBAN_TENANTS"].split(",")))  # the run's Kafka ACLs
        asyncio.run(drop_run_databases(infra.mongodb_uri, run_id))


def _log_tail(local: LocalPlatform, service: str) -> str:
    path = Path(local.log_dir) / f"{service}.log"
    return path.read_text(errors="replace")[-2000:] if path.exists() else ""


async def test_the_whole_chain(local: LocalPlatform) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        walk = Walk(local.url, tokens.current(), http, "hz-p1")
        await walk.load_policy()
        await walk.import_experts()

        # The county decides the carrier (6:4 program, county routing as data).
        route = await http.get(f"{local.url('intake')}/v1/programs/hz-chronic/counties/{PERSON[:6]}")
        assert route.json()["tenant"] == "hz-p1"

        # 1. From a phone: only two of the four required documents.
        app = await walk.submit(PERSON, "陈立新", "DL", documents=("application_form", "medical_record"),
                                role="applicant", channel="online", hospital=HOSPITAL_A)
        app_id = app["application_id"]
        # 2. Preliminary review finds documents missing; the applicant is told which.
        reviewed = await walk.review(app_id, "missing", note="请补充身份证和社保卡照片")
        assert reviewed["status"] == "documents_missing"
        assert sorted(reviewed["missing"]) == ["id_card", "insurance_card"]
        mine = (await http.get(f"{local.url('intake')}/v1/notifications",
                               headers=walk.auth("applicant", PERSON))).json()
        assert ([n["template"] for n in mine] == ["documents_missing"] and "身份证" in mine[0]["text"]) or \
            "id_card" in mine[0]["text"]
        # 3. The applicant adds them from the phone; the clerk completes the review (1101 checked first).
        resubmitted = await walk.add_documents(app_id, PERSON, ["id_card", "insurance_card"])
        assert resubmitted["status"] == "submitted" and len(resubmitted["documents"]) == 4
        completed = await walk.review(app_id, "complete")
        assert completed["status"] == "complete" and completed["insurance"]["insured"] is True
        assert completed["insurance"]["psn_no"]

        # 4. Experts drawn at random from nephrology, none from the treating hospital.
        case = await walk.case(app_id, timeout=REAL_INFRA_DEADLINE)
        assert len(case["assigned"]) == 2 and case["specialty"] == "nephrology"
        experts = {e["expert_id"]: e for e in (await http.get(
            f"{local.url('appraisal')}/v1/experts", headers=walk.auth("clerk"), params={"specialty": "nephrology"}
        )).json()}
        assert all(experts[e]["hospital"] != HOSPITAL_A for e in case["assigned"])
        assert case["draws"][0]["seed"] and case["due_on"] > today_cn().isoformat()
        case = await walk.opinions(case)
        assert case["status"] == "ready"
        concluded = await walk.conclude(app_id, "approved", "规律透析三个月以上")
        qualification = concluded["qualification"]
        assert qualification["benefit_start"] == today_cn().isoformat()  # dialysis: at once

        # 5. Filed with the provincial platform (2503), visible as a filing status and in 5301 at the platform.
        async def filed() -> dict | None:
            rows = (await http.get(f"{local.url('appraisal')}/v1/filings", headers=walk.auth("clerk"))).json()
            row = next((r for r in rows if r["case_id"] == app_id), None)
            return row if row and row["filing_status"] == "filed" else None

        filing = await eventually(filed, REAL_INFRA_DEADLINE, "filing with the provincial platform")
        assert filing["filing_serial"]
        at_platform = (await http.get(f"{local.simulator_url}admin/filings")).json()
        assert filing["filing_serial"] in str(at_platform)

        # 6. The applicant was notified of the result and the filing; the timeline shows every step.
        async def notified() -> list | None:
            got = (await http.get(f"{local.url('intake')}/v1/notifications",
                                  headers=walk.auth("applicant", PERSON))).json()
            return got if {"approved", "filed"} <= {n["template"] for n in got} else None

        await eventually(notified, REAL_INFRA_DEADLINE, "result notifications")
        timeline = (await http.get(f"{local.url('intake')}/v1/applications/{app_id}/timeline",
                                   headers=walk.auth("applicant", PERSON))).json()["timeline"]
        steps = [t["status"] for t in timeline]
        for step in ("submitted", "documents_missing", "complete", "in_appraisal", "approved", "filed"):
            assert step in steps, steps

        # settlement learnt the holding from qualification.granted
        year = today_cn().year

        async def holding() -> dict | None:
            acc = (await http.get(f"{local.url('settlement')}/v1/persons/{PERSON}/accumulators",
                                  headers=walk.auth("finance"), params={"year": year})).json()
            return acc if "DL" in str(acc) else None

        await eventually(holding, REAL_INFRA_DEADLINE, "holding in settlement")

        # 7. The month's claims from two institutions: JSON from one, CSV from the other.
        month, day = today_cn().strftime("%Y-%m"), today_cn().isoformat()
        a = await http.post(f"{local.url('settlement')}/v1/claims/batches",
                            headers=walk.auth("institution", HOSPITAL_A), json={
                                "month": month, "batch_id": "a-" + month, "lines": [
                                    {"claim_id": "A1", "person_id": PERSON, "date": day, "disease": "DL",
                                     "amount": "1000.00", "covered": True, "item_code": "HD01"},
                                    {"claim_id": "A1", "person_id": PERSON, "date": day, "disease": "HTN",
                                     "amount": "200.00", "covered": True, "item_code": "D001"},
                                    {"claim_id": "A2", "person_id": OTHER, "date": day, "disease": "DL",
                                     "amount": "300.00", "covered": True, "item_code": "HD01"}]})
        assert a.status_code == 201, a.text
        bad_csv = ("claim_id,person_id,date,disease,amount,covered,item_code,description\n"
                   f"B1,{PERSON},{day},DL,-5,true,x,y\n")
        bad = await http.post(f"{local.url('settlement')}/v1/claims/batches", content=bad_csv.encode(),
                              params={"month": month, "institution_code": HOSPITAL_B},
                              headers={**walk.auth("clerk"), "content-type": "text/csv"})
        assert bad.status_code == 422  # a rejected upload stores nothing
        csv = ("claim_id,person_id,date,disease,amount,covered,item_code,description\n"
               f"B1,{PERSON},{day},DL,500.00,true,HD02,血液透析\n"
               f"B1,{PERSON},{day},DL,80.00,false,X99,目录外耗材\n")
        b = await http.post(f"{local.url('settlement')}/v1/claims/batches", content=csv.encode(),
                            params={"month": month, "institution_code": HOSPITAL_B, "batch_id": "b-" + month},
                            headers={**walk.auth("clerk"), "content-type": "text/csv"})
        assert b.status_code == 201, b.text
        for batch_id in ("a-" + month, "b-" + month):  # smart review (智能审核) answers each before anything pays
            await walk.batch_reviewed(batch_id, REAL_INFRA_DEADLINE)

        statements = (await http.get(f"{local.url('settlement')}/v1/statements", headers=walk.auth("finance"),
                                     params={"month": month})).json()["statements"]
        by_inst = {s["institution_code"]: s for s in statements}
        assert set(by_inst) == {HOSPITAL_A, HOSPITAL_B}
        # DL: deductible 300 once a year, then 90%. A: (1000 − 300) × 0.9 = 630; HTN not held; OTHER holds nothing.
        assert Decimal(by_inst[HOSPITAL_A]["payable"]) == Decimal("630.00")
        assert Decimal(by_inst[HOSPITAL_A]["claimed"]) == Decimal("1500.00")
        # B: 500 × 0.9 = 450 (the deductible is spent); the uncovered 80 pays nothing.
        assert Decimal(by_inst[HOSPITAL_B]["payable"]) == Decimal("450.00")
        claims = (await http.get(f"{local.url('settlement')}/v1/claims", headers=walk.auth("finance"),
                                 params={"statement_id": by_inst[HOSPITAL_A]["statement_id"]})).json()
        assert "disease_not_held" in str(claims) and "deductible" in str(claims)

        # 8. Close, reconcile with the platform (3201), pay — from the dedicated account, into which the carrier
        # advances the money (垫付) as no fund allocation has arrived (services/settlement/fund/).
        r = await http.post(f"{local.url('settlement')}/v1/fund/advances", headers=walk.auth("finance"),
                            json={"advance_id": f"adv-{month}", "date": day, "year": int(month[:4]),
                                  "amount": "1080.00"})
        assert r.status_code in (200, 201), r.text
        for s in statements:
            sid = s["statement_id"]
            for step in ("close", "reconcile", "payments"):
                r = await http.post(f"{local.url('settlement')}/v1/statements/{sid}/{step}",
                                    headers=walk.auth("finance"))
                assert r.status_code in (200, 201), f"{step}: {r.text}\n{_log_tail(local, 'settlement')}"
            final = (await http.get(f"{local.url('settlement')}/v1/statements/{sid}",
                                    headers=walk.auth("finance"))).json()
            assert final["status"] in ("paid", "reconciled") and final["payment_id"], final
            assert final["reconciliation"], final
        payments = (await http.get(f"{local.url('settlement')}/v1/payments", headers=walk.auth("finance"),
                                   params={"month": month})).json()["payments"]
        assert sorted(Decimal(p["amount"]) for p in payments) == [Decimal("450.00"), Decimal("630.00")]

        # 9. The person's one file holds all of it.
        async def full_file() -> dict | None:
            r = await http.get(f"{local.url('archive')}/v1/persons/{PERSON}/file", headers=walk.auth("clerk"))
            kinds = {e["kind"] for e in r.json()["entries"]} if r.status_code == 200 else set()
            wanted = {"application", "document", "documents_requested", "application_completed",
                      "experts_assigned", "conclusion", "qualification", "qualification_filed", "benefits"}
            return r.json() if wanted <= kinds else None

        person_file = await eventually(full_file, REAL_INFRA_DEADLINE, "the person's complete file")
        assert sum(1 for e in person_file["entries"] if e["kind"] == "document") == 4
        summary = person_file["summary"]
        assert Decimal(summary["benefits_received"]["payable"]) == Decimal("1080.00")
        assert summary["identity"]["psn_no"] == completed["insurance"]["psn_no"]
        assert summary["qualifications"][0]["filing_serial"] == filing["filing_serial"]

        # 10. The month's report: chart and workbook.
        async def report() -> dict | None:
            r = await http.post(f"{local.url('audit')}/v1/reports", headers=walk.auth("inspector"),
                                json={"kind": "monthly", "period": month})
            if r.status_code != 201:
                return None
            body = r.json()
            # the report is computed from audit's own read model of the events: wait until it has the benefits
            return body if "1080.00" in str(body.get("figures", "")) else None

        produced = await eventually(report, REAL_INFRA_DEADLINE, "the monthly report")  # audit lags under load
        rid = produced["report_id"]
        png = await http.get(f"{local.url('audit')}/v1/reports/{rid}/chart.png", headers=walk.auth("inspector"))
        xlsx = await http.get(f"{local.url('audit')}/v1/reports/{rid}/workbook.xlsx", headers=walk.auth("inspector"))
        assert png.content.startswith(b"\x89PNG") and xlsx.content.startswith(b"PK")
        assert produced["due_on"] >= f"{month}-10" or produced["due_on"][:7] > month

        # hz-p2 sees none of it.
        other = Walk(local.url, tokens.current(), http, "hz-p2")
        assert (await http.get(f"{local.url('intake')}/v1/applications/{app_id}",
                               headers=other.auth("clerk"))).status_code == 404
        assert (await http.get(f"{local.url('settlement')}/v1/statements", headers=other.auth("finance"),
                               params={"month": month})).json()["statements"] == []
        assert (await http.get(f"{local.url('archive')}/v1/persons/{PERSON}/file",
                               headers=other.auth("clerk"))).status_code == 404
        await asyncio.sleep(0)
