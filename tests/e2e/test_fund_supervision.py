"""Smart claim review (智能审核) and fund supervision (基金监管, Karamay) end to end in local mode: five service
processes and the provincial simulator as their own processes, on the real Kafka (SASL, ACLs), FerretDB and Keycloak
of `deploy/local`.

hz-p1 (Hanzhong chronic disease): an institution's month-end batch with a planted duplicate charge and an over-priced
drug line → audit reviews it before anything pays → both lines held → a reviewer confirms the over-price (拒付: the
fund's share of the excess) and dismisses the duplicate → the statement closes, is reconciled and paid the rest.

km-sv (Karamay fund supervision): the roster in the registry → supervision knows all 161 institutions → the
agency's claims screened (数据提取与筛查), a hit confirmed → the term's coverage plan (100%) → a double-random draw → an
inspection of a hospital by two inspectors with its dossier (the screening's hits), checklist, evidence (sha256), a
finding with its catalogue code and amount → ended → reported within its three calendar days → the records sampled
(≥ 2.5%, problem-record rate against 40%) → the hospital's credit counts the confirmed hit, the finding and the
sample → a public tip naming a pharmacy becomes a lead, verified, a case with its documents, finding, decision and
recovery, closed and exported with checksums. Other tenants see none of it."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import math
import uuid
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import httpx
import pytest

from chassis.calendar import today_cn
from jingban.flow import Walk
from jingban.km_flow import KmWalk, roster, screening_claims
from jingban.local import LocalPlatform
from tests.conftest import REAL_INFRA_DEADLINE, eventually
from tests.integration.conftest import drop_run_databases
from tests.support import tokens
from tests.support.infra import local_trust_env, real_infra

pytestmark = pytest.mark.e2e

PERSON = "610702196507150019"   # 汉台区: hz-p1
HOSPITAL = "H610702001"
HOSPITAL_KM, PHARMACY_KM = "KM-H001", "KM-P002"


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPlatform]:
    infra = real_infra()
    run_id = "f" + uuid.uuid4().hex[:8]
    work = tmp_path_factory.mktemp("supervision")
    env = {**infra.kafka_env, "MONGODB_URI": infra.mongodb_uri,
           "JINGBAN_TOPIC_PREFIX": f"{run_id}.", "JINGBAN_DB_PREFIX": run_id,
           **local_trust_env(), "JINGBAN_TENANTS": "hz-p1,hz-p2,km-sv",
           "JINGBAN_DATA_DIR": str(work / "data")}
    platform = LocalPlatform(env, work / "logs", port_offset=70)
    platform.start(timeout_s=REAL_INFRA_DEADLINE)
    try:
        yield platform
    finally:
        platform.stop()
        infra.revoke_acls(f"{run_id}.", tuple(env["JINGBAN_TENANTS"].split(",")))
        asyncio.run(drop_run_databases(infra.mongodb_uri, run_id))


def _log_tail(local: LocalPlatform, service: str) -> str:
    path = Path(local.log_dir) / f"{service}.log"
    return path.read_text(errors="replace")[-2000:] if path.exists() else ""


def _line(claim_id: str, item: str, day: str, quantity: str, unit_price: str) -> dict[str, object]:
    amount = (Decimal(quantity) * Decimal(unit_price)).quantize(Decimal("0.01"))
    return {"claim_id": claim_id, "person_id": PERSON, "date": day, "disease": "HTN", "covered": True,
            "item_code": item, "quantity": quantity, "unit_price": unit_price, "amount": str(amount)}


async def test_a_chronic_batch_is_reviewed_held_decided_and_the_rest_paid(local: LocalPlatform) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        walk = Walk(local.url, tokens.current(), http, "hz-p1")
        settlement = local.url("settlement")
        await walk.load_policy()
        r = await http.post(f"{settlement}/v1/admin/holdings", headers=walk.auth("ops"), json={
            "holdings": [{"person_id": PERSON, "disease": "HTN", "granted_on": "2025-01-01"}]})
        assert r.status_code in (200, 201), r.text

        month, day = today_cn().strftime("%Y-%m"), today_cn().isoformat()
        batch_id = "sr-" + month
        # L050 twice on one day in two claims (重复收费); D103 at 3.50 a tablet against its 3.20 maximum (超标准收费).
        lines = [_line("A1", "L050", day, "1", "60.00"), _line("A2", "L050", day, "1", "60.00"),
                 _line("A3", "D103", day, "30", "3.50"), _line("A3", "D101", day, "60", "0.50")]
        wrong = [{**lines[0], "amount": "61.00"}]
        bad = await http.post(f"{settlement}/v1/claims/batches", headers=walk.auth("institution", HOSPITAL),
                              json={"month": month, "batch_id": "sr-bad", "lines": wrong})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "amount_mismatch", bad.text
        up = await http.post(f"{settlement}/v1/claims/batches", headers=walk.auth("institution", HOSPITAL),
                             json={"month": month, "batch_id": batch_id, "lines": lines})
        assert up.status_code == 201, up.text
        sid = up.json()["statement_id"]
        # Before audit answers, or while its hits are open, nothing of the statement can close.
        batch = await walk.batch_reviewed(batch_id, REAL_INFRA_DEADLINE)
        hits = {h["rule"]: h for h in batch["review"]["hits"]}
        assert set(hits) == {"duplicate_charge", "over_price"}, batch["review"]
        assert hits["over_price"]["amount"] == "9.00"            # (3.50 − 3.20) × 30
        assert hits["duplicate_charge"]["amount"] == "60.00"     # the repeat
        assert PERSON not in json.dumps(batch["review"])
        held = await http.post(f"{settlement}/v1/statements/{sid}/close", headers=walk.auth("finance"))
        assert held.status_code == 409 and held.json()["error"]["code"] == "review_pending", held.text

        # hz-p2 cannot see or decide hz-p1's hits; a reviewer of hz-p1 decides them, each with a note.
        other = Walk(local.url, tokens.current(), http, "hz-p2")
        hit_path = f"{local.url('audit')}/v1/review/hits"
        for rule in hits:
            r = await http.get(f"{hit_path}/{hits[rule]['hit_id']}", headers=other.auth("reviewer"))
            assert r.status_code == 404, r.text
        r = await http.post(f"{hit_path}/{hits['over_price']['hit_id']}/decision", headers=other.auth("reviewer"),
                            json={"decision": "dismiss", "note": "x"})
        assert r.status_code == 404, r.text
        r = await http.post(f"{hit_path}/{hits['over_price']['hit_id']}/decision", headers=walk.auth("reviewer"),
                            json={"decision": "confirm", "note": "超最高限价收费"})
        assert r.status_code == 200 and r.json()["state"] == "confirmed", r.text
        r = await http.post(f"{hit_path}/{hits['duplicate_charge']['hit_id']}/decision",
                            headers=walk.auth("reviewer"), json={"decision": "dismiss", "note": "两次检验均有报告"})
        assert r.status_code == 200 and r.json()["state"] == "dismissed", r.text

        async def decided() -> dict | None:
            s = (await http.get(f"{settlement}/v1/statements/{sid}", headers=walk.auth("finance"))).json()
            return s if s["held_lines"] == 0 and s["refused_lines"] == 1 else None

        before = await eventually(decided, REAL_INFRA_DEADLINE, "the decisions at settlement")
        claims = (await http.get(f"{settlement}/v1/claims", headers=walk.auth("finance"),
                                 params={"statement_id": sid})).json()["claims"]
        payable = {f"{c['claim_id']}|{ln['item_code']}": Decimal(ln["payable"]) for c in claims for ln in c["lines"]}
        # The fund's share of the excess on the over-priced line: its payable × 9.00 / 105.00, half up to the fen.
        refused = (payable["A3|D103"] * Decimal("9.00") / Decimal("105.00")).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert refused > 0 and Decimal(before["refused"]) == refused
        assert Decimal(before["payable"]) == sum(payable.values()) - refused
        (refusal,) = before["refusals"]
        assert refusal["rule"] == "over_price" and refusal["reason_codes"][0]["code"] == "smart_review_refused"

        # The statement closes, is reconciled with the platform (3201) and paid the rest from the account.
        r = await http.post(f"{settlement}/v1/fund/advances", headers=walk.auth("finance"),
                            json={"advance_id": f"adv-sr-{month}", "date": day, "year": int(month[:4]),
                                  "amount": "1000.00"})
        assert r.status_code in (200, 201), r.text
        for step in ("close", "reconcile", "payments"):
            r = await http.post(f"{settlement}/v1/statements/{sid}/{step}", headers=walk.auth("finance"))
            assert r.status_code in (200, 201), f"{step}: {r.text}\n{_log_tail(local, 'settlement')}"
        final = (await http.get(f"{settlement}/v1/statements/{sid}", headers=walk.auth("finance"))).json()
        assert final["payment_id"] and Decimal(final["payable"]) == Decimal(before["payable"])
        payments = (await http.get(f"{settlement}/v1/payments", headers=walk.auth("finance"),
                                   params={"month": month})).json()["payments"]
        assert [Decimal(p["amount"]) for p in payments] == [Decimal(before["payable"])]


async def test_karamay_from_plan_to_report_sample_credit_and_a_tip_that_becomes_a_case(local: LocalPlatform) -> None:
    today = today_cn()
    async with httpx.AsyncClient(timeout=30) as http:
        walk = KmWalk(local.url, tokens.current(), http, "km-sv")
        walk.timeout = REAL_INFRA_DEADLINE
        await walk.import_roster(roster(on=today))
        known = await walk.supervised(161)
        assert {k: sum(1 for i in known if i["kind"] == k) for k in ("hospital", "pharmacy", "agency")} == {
            "hospital": 17, "pharmacy": 143, "agency": 1}

        # 数据提取与筛查: the agency's settlement data screened; a reviewer confirms one of the hospital's hits.
        month = f"{today.replace(day=1) - timedelta(days=1):%Y-%m}"
        claims, planted = screening_claims(HOSPITAL_KM, "hospital", month, 0)
        screened = await walk.screen(claims, f"e2e-{month}")
        assert {rule: screened["summary"][rule] for rule in planted} == planted, screened  # every rule, once
        (duplicate, *_) = await walk.hits(institution=HOSPITAL_KM, rule="duplicate_charge")
        confirmed = await walk.decide_hit(duplicate["hit_id"], "confirm", "同日重复收费属实")
        assert confirmed["state"] == "confirmed"

        # The term's coverage plan reaches every institution; a double-random draw keeps its seed.
        plan = await walk.coverage_plan(today - timedelta(days=90), today + timedelta(days=90))
        assert plan["institutions"] == 161 and len({s["institution_id"] for s in plan["schedule"]}) == 161
        draw = await walk.draw(2, 2, kind="hospital", seed=f"e2e-{today}")
        again = await walk._get("audit", f"/v1/supervision/draws/{draw['draw_id']}", walk.inspector())
        assert again["reproduced"] is True, again

        # One inspector is no team: refused, nothing written.
        alone = await http.post(f"{local.url('audit')}/v1/supervision/inspections", headers=walk.inspector(),
                                json={"institution_id": HOSPITAL_KM, "method": "daily_patrol",
                                      "started_on": str(today), "team": [{"inspector_id": "i-1", "name": "甲"}]})
        assert alone.status_code == 422 and alone.json()["error"]["code"] == "team_too_small", alone.text

        # The hospital's inspection from dossier to report within three calendar days of its end.
        ended_on, reported_on = today - timedelta(days=3), today - timedelta(days=1)
        done = await walk.inspect(HOSPITAL_KM, today - timedelta(days=4), ended_on, reported_on,
                                  findings=[{"code": "H03", "amount": "1280.00", "description": "重复收取检验费"}])
        assert done["dossier"]["hits"], done["dossier"]            # the screening's hits, before the visit
        inspection = done["inspection"]
        assert len(inspection["team"]) >= 2 and inspection["due_on"] == str(ended_on + timedelta(days=3))
        report = done["report"]
        assert report and not inspection["overdue"], inspection
        assert all(len(e["sha256"]) == 64 for e in inspection["evidence"])
        own = await walk.report(done["inspection_id"], HOSPITAL_KM)      # the institution reads its own report
        assert own["inspection_id"] == done["inspection_id"]
        elsewhere = await http.get(f"{local.url('audit')}/v1/supervision/inspections/{done['inspection_id']}/report",
                                   headers=walk.institution("KM-H017"))
        assert elsewhere.status_code == 404
        coverage = await walk.coverage()
        rows = {r["institution_id"]: r for r in coverage["institutions"]}
        assert coverage["total"] == 161 and rows[HOSPITAL_KM]["done"] is True and coverage["met"] is False

        # 病历抽审: 2.5% of the hospital's 400 records of the last two years, rounded up; the problem-record rate.
        sampled = await walk.sample_records(HOSPITAL_KM, "medical_records", today - timedelta(days=700), today, 400,
                                            seed="e2e")
        sample = sampled["sample"]
        assert len(sample["records"]) == math.ceil(400 * 0.025)
        assert Decimal(sample["problem_rate"]) >= Decimal("0.40") and sample["meets_expectation"] is True

        # Credit (信用评价): the confirmed hit, the finding and the sample's problems all count.
        facts = await walk.credit_facts(today.year, HOSPITAL_KM, at_least=3)
        assert {"confirmed_hit", "inspection_finding", "record_sample_problem"} <= {f["rule"] for f in facts}, facts
        (evaluation,) = await walk.evaluate_credit(today.year, [HOSPITAL_KM])
        assert Decimal(str(evaluation["score"])) < 100 and evaluation["deductions"], evaluation
        assert evaluation["state"] == "approved", evaluation
        assert {d["rule"] for d in evaluation["deductions"]} >= {"confirmed_hit", "inspection_finding"}, evaluation

        # A public tip naming a pharmacy → a lead → verified → a case → closed → exported with checksums.
        case = await walk.tip_to_case(PHARMACY_KM)
        assert case["case"]["state"] == "closed", case["case"]
        export = case["export"]
        archive = zipfile.ZipFile(io.BytesIO(export["content"]))
        listed = [line.split("  ", 1) for line in archive.read("checksums.sha256").decode().splitlines()]
        assert {"manifest.json", "case.json"} <= {name for _, name in listed}
        assert len([n for _, n in listed if n.startswith("documents/")]) == len(case["document_ids"])
        for digest, name in listed:
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name

        # Another tenant gets 404 for all of it.
        stranger = Walk(local.url, tokens.current(), http, "hz-p1")
        for path in (f"/v1/supervision/inspections/{done['inspection_id']}", f"/v1/supervision/cases/{case['case_id']}",
                     f"/v1/review/hits/{duplicate['hit_id']}"):
            r = await http.get(f"{local.url('audit')}{path}", headers=stranger.auth("inspector"))
            assert r.status_code == 404, (path, r.text)
