"""The `make run` demo on the embedded platform (smaller sizes): every served tenant seeded as its program's — the
Hanzhong accounts funded before their statements are paid from them, qz-ci as a critical illness carrier with its
premium in the account, claims, a manual reimbursement and reviews worked, two Wenzhou long-term care lots (wz-a,
wz-b) with applications in every state, severe conclusions, last month's care statements paid from the lot's account,
assessment fees with a city-level share, a patrol meeting the quarter's quota, a violation interview, the yearly
score and fee, the persons' files; Karamay's fund supervision (km-sv) with its screening hits, coverage plan,
inspections in every state, samples, a tip become a case, the agency's audit and credit evaluations — and the tenants
kept apart."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from chassis.calendar import today_cn
from chassis.demo_subjects import demo_expert_id
from chassis.programs import load_program
from jingban.demo import last_month, seed
from jingban.embedded import EmbeddedPlatform
from jingban.ltc_flow import quarter_of
from tests.conftest import auth, embedded_port_offset, eventually
from tests.support import tokens

TENANTS = ("hz-p1", "hz-p2", "qz-ci", "wz-a", "wz-b", "km-sv")


@pytest.fixture(scope="module")
async def seeded(tmp_path_factory: pytest.TempPathFactory
                 ) -> AsyncIterator[tuple[EmbeddedPlatform, dict[str, dict[str, Any]]]]:
    platform = EmbeddedPlatform(env={"JINGBAN_TENANTS": ",".join(TENANTS),
                                     "JINGBAN_DATA_DIR": str(tmp_path_factory.mktemp("demo"))},
                                port_offset=embedded_port_offset())
    await platform.start()
    try:
        created = await seed(platform.url, platform.tokens, TENANTS, persons=40, applications=6, ci_persons=30)
        yield platform, created
    finally:
        await platform.stop()


def agency(tenant: str, program: str) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens.user_token(tenant, 'supervisor', 'agency', program=program)}"}


async def test_chronic_accounts_funded_and_statements_paid_from_them(
        seeded: tuple[EmbeddedPlatform, dict[str, dict[str, Any]]]) -> None:
    platform, created = seeded
    assert created["hz-p1"]["statements_paid"] == 2 and created["hz-p2"]["statements_paid"] == 2
    p1, p2 = Decimal(created["hz-p1"]["fund_allocated"]), Decimal(created["hz-p2"]["fund_allocated"])
    assert p1 > 0 and p1 * 4 == p2 * 6  # one allocation split 6:4
    url = platform.url("settlement")
    year = int(last_month(today_cn())[:4])  # the fund year of the statements paid
    async with httpx.AsyncClient(timeout=20) as http:
        r = await http.get(f"{url}/v1/fund/budgets/{year}", headers=agency("hz-p1", "hz-chronic"))
        planned = load_program("hz-chronic").setting("finance", "annual_budget")
        budget = Decimal(r.json()["amount"]) if r.status_code == 200 else Decimal(planned[str(year)])
        assert p1 + p2 == (budget * Decimal("0.25")).quantize(Decimal("0.01"))  # the initial 25%
        accounts = (await http.get(f"{url}/v1/fund/accounts", params={"year": year},
                                   headers=agency("hz-p1", "hz-chronic"))).json()["accounts"]
        assert [a["tenant"] for a in accounts] == ["hz-p1", "hz-p2"]  # the program's tenants, never qz-ci
        for account in accounts:
            balances = account["balances"]
            assert Decimal(balances["benefits_paid"]) > 0
            assert Decimal(balances["bank"]) == Decimal(balances["fund_payable"]) - Decimal(balances["benefits_paid"])
        for tenant in ("hz-p1", "hz-p2"):
            rec = (await http.get(f"{url}/v1/fund/reconciliation", params={"year": year},
                                  headers=auth(tenant, "finance"))).json()
            assert rec["balanced"] is True and rec["statements_paid"] == rec["payments_booked"] != "0.00"
        # another program's supervisor does not see Hanzhong's books
        r = await http.get(f"{url}/v1/fund/ledger", params={"year": year, "tenant": "hz-p1"},
                           headers=agency("qz-ci", "qz-critical"))
        assert r.status_code == 404


async def test_the_demo_experts_find_cases_waiting_for_their_opinion(
        seeded: tuple[EmbeddedPlatform, dict[str, dict[str, Any]]]) -> None:
    """`<tenant>-expert` acts as an expert of the tenant's pool (chassis/demo_subjects.py) whom the draw put on the
    demo's cases waiting for an opinion."""
    platform, _ = seeded
    async with httpx.AsyncClient(timeout=20) as http:
        for tenant in ("hz-p1", "hz-p2"):
            expert = demo_expert_id(tenant)
            assert expert is not None
            mine = (await http.get(f"{platform.url('appraisal')}/v1/cases",
                                   headers=auth(tenant, "expert", expert))).json()
            waiting = [c for c in mine if c["status"] == "open" and expert in c["assigned"]
                       and expert not in [o["expert_id"] for o in c["opinions"]]]
            assert waiting and all(len(c["opinions"]) == 1 for c in waiting), tenant


async def test_critical_tenant_seeded_as_critical_illness(
        seeded: tuple[EmbeddedPlatform, dict[str, dict[str, Any]]]) -> None:
    platform, created = seeded
    ci = created["qz-ci"]
    assert ci["persons"] == 30 and ci["manual_claims"] == 1 and ci["claims"] > 30
    assert Decimal(ci["total_payable"]) > 0 and ci["reviews_opened"] >= ci["reviews_worked"] >= 1
    assert "book" not in ci  # not seeded as a chronic tenant
    url = platform.url("settlement")
    async with httpx.AsyncClient(timeout=20) as http:
        reviews = (await http.get(f"{url}/v1/critical/reviews", headers=auth("qz-ci", "reviewer"))).json()["reviews"]
        assert len(reviews) == ci["reviews_opened"]
        assert sum(1 for r in reviews if r["status"] == "completed") == ci["reviews_worked"]
        assert any(r["stratum"] == "out_of_area_50k" for r in reviews)  # the manual reimbursement, ≥ 50,000
        year = reviews[0]["year"]
        quotas = (await http.get(f"{url}/v1/critical/quotas", params={"year": year},
                                 headers=auth("qz-ci", "supervisor"))).json()["strata"]
        assert all(s["selection_met"] for s in quotas) and sum(s["population"] for s in quotas) >= 2
        account = (await http.get(f"{url}/v1/fund/accounts", params={"year": year},
                                  headers=auth("qz-ci", "finance"))).json()["accounts"]
        # the premium paid in, less the statements and the manual reimbursement paid, plus what reviews recovered
        [balances] = [a["balances"] for a in account]
        assert Decimal(balances["bank"]) == Decimal(ci["premium_allocated"]) - Decimal(balances["benefits_paid"]) \
            + Decimal(balances["recoveries"])
        if today_cn().month >= 4 or int(year) < today_cn().year:  # three months over: the first one's are paid
            assert Decimal(balances["benefits_paid"]) > 0 and int(ci.get("statements_paid", "0")) > 0
        # the chronic carriers see nothing of it
        person = reviews[0]["person_id"]
        r = await http.get(f"{url}/v1/critical/persons/{person}/account", params={"year": year},
                           headers=auth("hz-p1", "clerk"))
        assert r.status_code == 404


# ---- Wenzhou long-term care (wz-a, wz-b) -------------------------------------------------------------------------


async def test_long_term_care_lots_seeded_through_the_chain(
        seeded: tuple[EmbeddedPlatform, dict[str, dict[str, Any]]]) -> None:
    platform, created = seeded
    b = created["wz-b"]
    assert (b["institutions"], b["book"], b["applications"], b["statements_paid"], b["statements_open"]) == (
        12, 10, 20, 2, 1)
    assert b["quota_met"] == "true" and b["interview"] == "WZB-C002-V1" and "score" in b and "score" not in \
        created["wz-a"]
    month, today = last_month(today_cn()), today_cn()
    fin, clerk = auth("wz-b", "finance"), auth("wz-b", "clerk")
    async with httpx.AsyncClient(timeout=20) as http:
        intake, appraisal = platform.url("intake"), platform.url("appraisal")
        settlement, audit = platform.url("settlement"), platform.url("audit")
        # Applications in every state; severe conclusions graded with the versioned scale; an objection re-assessed.
        apps = (await http.get(f"{intake}/v1/ltc/applications", params={"limit": 100}, headers=clerk)).json()
        assert {a["status"] for a in apps} >= {"submitted", "documents_requested", "in_assessment", "concluded",
                                               "rejected"}
        concluded = (await http.get(f"{appraisal}/v1/ltc/assessments", params={"status": "concluded"},
                                    headers=clerk)).json()
        live = [a for a in concluded if a["kind"] != "migrated"]
        severe = [a for a in live if a["conclusion"]["grade"] >= 3 and a["conclusion"]["eligible"]]
        assert len(severe) >= 5 and all(a["conclusion"]["scale_version"] == "wz-ltc-assessment-sample-2021.1"
                                        and len(a["assessors"]) == 2 and a["visit"]["evidence"] for a in severe)
        [objected] = [a for a in live if a["kind"] == "objection"]
        assert objected["conclusion"]["eligible"] and not set(objected["assessors"]) & set(objected["excluded"])
        assert sum(a["kind"] == "migrated" for a in concluded) == 10

        # Last month's care statements: two paid from wz-b's account, one open; the account shows the payments.
        statements = (await http.get(f"{settlement}/v1/ltc/statements", params={"month": month},
                                     headers=fin)).json()["statements"]
        assert sorted(s["status"] for s in statements) == ["open", "paid", "paid"]
        paid = sum(Decimal(s["amount"]) for s in statements if s["status"] == "paid")
        balances = (await http.get(f"{settlement}/v1/fund/balance", headers=fin, params={
            "year": int(month[:4]), "on": today.isoformat()})).json()["balances"]
        assert Decimal(balances["benefits_paid"]) == paid > 0
        assert Decimal(balances["bank"]) == Decimal(b["fund_allocated"]) - paid
        # Assessment fees: last month's paid, a city-level person's fee shared by the city lots A, B and C.
        fees = (await http.get(f"{settlement}/v1/ltc/assessment-fees/statements/AF-{month}", headers=fin)).json()
        assert fees["status"] == "paid" and set(fees["due_from"]) == {"wz-a", "wz-c"}
        # The quarter's supervision quota met by the patrol; the interview in the institution's file.
        quarter = quarter_of(month)
        attained = (await http.get(f"{audit}/v1/ltc/patrols/attainment", params={"quarter": quarter},
                                   headers=auth("wz-b", "inspector"))).json()
        assert attained["services"]["met"] and attained["institutions"]["met"]
        # Every uploaded service counted, though the institutions share record ids (P0-01 …): a service is
        # (institution, month, record id); today's first visits count when today is in the same quarter.
        today_visits = 0 if quarter_of(f"{today:%Y-%m}") == quarter else b["covered_today"]
        assert attained["services"]["delivered"] == b["records"] - today_visits
        sample = (await http.get(f"{audit}/v1/ltc/samples", params={"quarter": quarter},
                                 headers=auth("wz-b", "inspector"))).json()["entries"]
        assert sample and all(e["service_id"] == f"{e['institution_id']}:{e['month']}:{e['record_id']}"
                              for e in sample)
        file = (await http.get(f"{appraisal}/v1/institutions/WZB-C002/file", headers=clerk)).json()
        assert file["interviews"][0]["minutes"]["sha256"]
        # The previous service year's score reached the fee.
        fee = (await http.get(f"{settlement}/v1/fund/ltc-fee", params={"year": today.year - 1}, headers=fin)).json()
        assert (fee["status"], fee["score"]) == ("scored", b["score"])

        # A person of the book: the whole file — conclusion, plan, last month's services, statement paid, patrol,
        # status survey.
        detail = (await http.get(f"{settlement}/v1/ltc/statements/{statements[0]['statement_id']}",
                                 headers=fin)).json()
        person = detail["lines"][0]["person_id"]

        async def whole_file() -> dict[str, Any] | None:
            r = await http.get(f"{platform.url('archive')}/v1/persons/{person}/file", headers=clerk)
            ltc = (r.json()["summary"].get("long_term_care") or {}) if r.status_code == 200 else {}
            return ltc if ltc.get("care_statements") and ltc.get("patrols") and ltc.get("care_services") else None
        ltc = await eventually(whole_file, timeout=30, what="the person's long-term care file")
        assert ltc["eligible"] and ltc["care_plans"] and ltc["care_services"][0]["month"] == month
        assert ltc["assessments"][0]["kind"] == "migrated"

        # wz-a sees nothing of wz-b's; hz-p1 (another program) has no long-term care at all.
        sid = statements[0]["statement_id"]
        assert (await http.get(f"{settlement}/v1/ltc/statements/{sid}", headers=auth("wz-a", "finance"))
                ).status_code == 404
        assert (await http.get(f"{platform.url('archive')}/v1/persons/{person}/file",
                               headers=auth("wz-a", "clerk"))).status_code == 404
        assert (await http.get(f"{settlement}/v1/ltc/statements", params={"month": month},
                               headers=auth("hz-p1", "finance"))).status_code == 404


# ---- Karamay fund supervision (km-sv) ------------------------------------------------------------------------------


async def test_fund_supervision_seeded_through_its_doors(
        seeded: tuple[EmbeddedPlatform, dict[str, dict[str, Any]]]) -> None:
    platform, created = seeded
    km = created["km-sv"]
    assert (km["institutions"], km["inspections"], km["reported"], km["overdue"], km["samples"], km["cases"]) == (
        161, 7, 4, 2, 3, 2)
    assert km["screened_lines"] > 2000 and km["hits"] == 4 * 9 + 4 * 6 and km["hits_decided"] >= 4
    assert km["credit_evaluations"] == 161 and km["credit_approved"] >= 5
    insp, sup = auth("km-sv", "inspector", "km-insp-01"), agency("km-sv", "km-supervision")
    audit = platform.url("audit")
    async with httpx.AsyncClient(timeout=20) as http:
        async def get(path: str, headers: dict[str, str] = insp, **params: Any) -> Any:
            r = await http.get(f"{audit}{path}", params=params, headers=headers)
            assert r.status_code == 200, f"{path}: {r.status_code} {r.text[:300]}"
            return r.json() if r.headers.get("content-type", "").startswith("application/json") else r
        # Every rule's hits from the screening; some confirmed (拒付), the rest open for the reviewer.
        figures = await get("/v1/review/summary", source="screening")
        assert all(r["hits"] > 0 for r in figures["by_rule"].values())
        assert figures["total"]["confirmed"] >= 3 and figures["total"]["dismissed"] >= 1
        # The plan reaches all 161; six institutions inspected within the term; two reports overdue.
        coverage = await get("/v1/supervision/coverage")
        assert coverage["plan_id"] == km["plan"]
        assert json.dumps(coverage).count('"done": true') == 6
        overdue = (await get("/v1/supervision/inspections", overdue="true"))["inspections"]
        assert sorted(i["state"] for i in overdue) == ["ended", "reported"]
        states = sorted(i["state"] for i in (await get("/v1/supervision/inspections"))["inspections"])
        assert states == ["ended", "ended", "open", "reported", "reported", "reported", "reported"]
        # The double-random inspection: its draw reproduced, its dossier from the screening's hits, reported on time.
        draw = await get(f"/v1/supervision/draws/{km['draw']}")
        assert draw["reproduced"] and len(draw["inspectors"]) == 2
        [drawn] = (await get("/v1/supervision/inspections", institution_id=draw["institutions"][0]))["inspections"]
        assert drawn["method"] == "double_random" and drawn["state"] == "reported" and not drawn["overdue"]
        dossier = await get(f"/v1/supervision/inspections/{drawn['inspection_id']}/dossier")
        assert dossier["hits"]["count"] == 9 and dossier["focus_codes"]
        # Its records sampled: 2.5% drawn, 40% problems (the tender's expectation met).
        [sample] = (await get("/v1/supervision/record-samples", institution_id=drawn["institution_id"]))["samples"]
        assert (sample["population"], sample["size"], sample["problem_rate"], sample["meets_expectation"]) == (
            1200, 30, "0.4000", True)
        # The institution reads its own report, not another's.
        hospital = auth("km-sv", "institution", drawn["institution_id"])
        assert (await get(f"/v1/supervision/inspections/{drawn['inspection_id']}/report", hospital))["findings"] == 1
        r = await http.get(f"{audit}/v1/supervision/inspections/{drawn['inspection_id']}/report",
                           headers=auth("km-sv", "institution", "KM-H017"))
        assert r.status_code == 404
        # The tip's case: closed with the money recovered, exported with checksums; the inspection's case open.
        case = await get(f"/v1/supervision/cases/{km['case_closed']}")
        assert (case["state"], case["source"], case["totals"]["outstanding"]) == ("closed", "tip", "0.00")
        export = await get(f"/v1/supervision/cases/{km['case_closed']}/export", sup)
        with zipfile.ZipFile(io.BytesIO(export.content)) as z:
            assert {"manifest.json", "checksums.sha256"} <= set(z.namelist())
        assert (await get(f"/v1/supervision/cases/{km['case_open']}"))["source"] == "inspection"
        assert (await get(f"/v1/supervision/leads/{km['lead_waiting']}"))["status"] == "open"
        # The agency's internal audit with its written report.
        assert (await get(f"/v1/supervision/agency-audits/{km['agency_audit']}"))["state"] == "reported"
        # Credit: the drawn hospital's approved evaluation deducts its finding and its problem records.
        [evaluation] = await get("/v1/supervision/credit/evaluations", institution_id=drawn["institution_id"],
                                 state="approved")
        assert evaluation["by_rule"]["inspection_finding"]["items"] == 1
        assert evaluation["by_rule"]["record_sample_problem"]["items"] == 12
        own = await get("/v1/supervision/credit/evaluations", hospital)
        assert [e["evaluation_id"] for e in own] == [evaluation["evaluation_id"]]
        # Other tenants see none of it.
        r = await http.get(f"{audit}/v1/supervision/inspections", headers=auth("hz-p1", "inspector"))
        assert r.status_code == 404
        r = await http.get(f"{audit}/v1/review/hits", params={"institution": drawn["institution_id"]},
                           headers=auth("hz-p1", "reviewer"))
        assert r.status_code == 200 and r.json()["hits"] == []
