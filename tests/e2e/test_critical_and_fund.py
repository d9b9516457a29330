"""Critical illness insurance and the carriers' fund finance end to end in local mode (five service processes,
the provincial simulator as its own process, real Kafka and FerretDB):

qz-ci: a year of critical-illness claims (institution uploads, provincial records, a manual reimbursement with its
documents) → each claim pays the increase it causes → large-claim reviews selected, worked, recovered → every
review quota met; then the year's money through the service: more institution claims and a manual reimbursement
→ every monthly statement of the year closed, reconciled (3201 per insutype and clr_type) and paid from the
dedicated account (refused while the money is not there), the manual reimbursements paid to the persons' bank
accounts → a review's recovery booked → the year closed by the corridor, whose claims equal the sum of the year's
paid claims, with a balanced trial balance;
hz-p1/hz-p2: the agency allocates 6:4 → statements paid from the dedicated accounts (a payment beyond the balance
refused, then covered by a carrier advance, repaid when fund money arrives) → the year closed with a deficit:
service fees deducted first, the rest fund 3 : carriers 7 by shares → the agency's operation report across both
carriers (PNG + Excel) and an anomaly warning due in 7 working days."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from chassis.calendar import day_cn, today_cn
from chassis.programs import load_program
from jingban.flow import PDF, PNG, Walk
from jingban.local import LocalPlatform
from services.settlement.fund.service import account as fd
from tests.conftest import REAL_INFRA_DEADLINE, eventually
from tests.integration.conftest import drop_run_databases
from tests.support import tokens
from tests.support.infra import local_trust_env, real_infra
from tests.support.review import reviewed

pytestmark = pytest.mark.e2e

YEAR = 2025
# What the first critical-illness test settled and recovered in YEAR (the year's money test pays it all).
SETTLED: dict[str, Decimal] = {"payable": Decimal("0.00"), "recovered": Decimal("0.00")}
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def pid(county: str, n: int) -> str:
    body = f"{county}1960{(n % 12) + 1:02d}{(n % 27) + 1:02d}{n % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


def auth(tenant: str, role: str, subject: str = "e2e", program: str = "") -> dict[str, str]:
    return {"authorization": f"Bearer {tokens.user_token(tenant, role, subject, program=program)}"}


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPlatform]:
    infra = real_infra()
    run_id = "f" + uuid.uuid4().hex[:8]
    work = tmp_path_factory.mktemp("finance")
    env = {**infra.kafka_env, "MONGODB_URI": infra.mongodb_uri,
           "JINGBAN_TOPIC_PREFIX": f"{run_id}.", "JINGBAN_DB_PREFIX": run_id, **local_trust_env(),
           "JINGBAN_TENANTS": "hz-p1,hz-p2,qz-ci", "JINGBAN_DATA_DIR": str(work / "data")}
    platform = LocalPlatform(env, work / "logs", port_offset=120)
    platform.start(timeout_s=REAL_INFRA_DEADLINE)
    try:
        yield platform
    finally:
        platform.stop()
        infra.revoke_acls(f"{run_id}.", tuple(env["JINGBAN_TENANTS"].split(",")))  # the run's Kafka ACLs
        asyncio.run(drop_run_databases(infra.mongodb_uri, run_id))


async def ok(response: httpx.Response, *codes: int) -> Any:
    assert response.status_code in (codes or (200, 201)), \
        f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text[:800]}"
    return response.json()


# ---- critical illness (qz-ci) ------------------------------------------------------------------------------------


def year_of_claims() -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """A year of settled claims from two in-area hospitals: 40 persons with stays, some above 20,000 (the
    in-area review stratum), plus the RULES B worked example (12,000 then 20,000)."""
    claims: list[dict[str, Any]] = []
    large_persons: dict[str, list[str]] = {"in_area_large": []}
    for n in range(40):
        person = pid("330802", n)
        for k in range(3):
            month = 1 + (n + 4 * k) % 12
            heavy = n % 3 == 0
            self_pay = Decimal(9000 + 700 * n + 1300 * k) if heavy else Decimal(800 + 37 * n + 11 * k)
            total = self_pay * 2 + Decimal("0.50")
            claims.append({"claim_id": f"Y{n:02d}-{k}", "person_id": person, "date": f"{YEAR}-{month:02d}-15",
                           "care": "inpatient" if k != 2 else "special_drug", "area": "in_area",
                           "networked": True, "total_cost": f"{total:.2f}", "self_pay": f"{self_pay:.2f}",
                           "disease": "C34" if heavy else "I10"})
    return claims, large_persons


async def test_critical_illness_year_and_quotas(local: LocalPlatform) -> None:
    url = local.url("settlement")
    hospital, other = "H330802001", "H330803001"
    async with httpx.AsyncClient(timeout=60) as http:
        # The RULES B worked example, through the door an institution uses.
        example = pid("330802", 900)
        first = await ok(await http.post(f"{url}/v1/critical/claims", headers=auth("qz-ci", "institution", hospital),
                                         json={"claims": [{
                                             "claim_id": "EX-1", "person_id": example, "date": f"{YEAR}-02-01",
                                             "care": "inpatient", "area": "in_area", "networked": True,
                                             "total_cost": "15000.00", "self_pay": "12000.00"}]}), 201)
        assert first["claims"][0]["payable"] == "0.00" and any("deductible" in r for r in
                                                               first["claims"][0]["reasons"])
        second = await ok(await http.post(f"{url}/v1/critical/claims", headers=auth("qz-ci", "institution", hospital),
                                          json={"claims": [{
                                              "claim_id": "EX-2", "person_id": example, "date": f"{YEAR}-05-10",
                                              "care": "inpatient", "area": "in_area", "networked": True,
                                              "total_cost": "26000.00", "self_pay": "20000.00"}]}), 201)
        assert second["claims"][0]["payable"] == "9800.00"
        assert second["claims"][0]["cumulative_self_pay"] == "32000.00"
        expected = Decimal("9800.00")

        # An assistance recipient (救助对象) from the civil affairs list: deductible 9,000, 80%, no cap.
        helped = pid("330803", 901)
        await ok(await http.put(f"{url}/v1/critical/persons/{helped}", headers=auth("qz-ci", "clerk"),
                                json={"assistance_recipient": True, "effective_from": f"{YEAR}-01-01"}))
        big = await ok(await http.post(f"{url}/v1/critical/claims", headers=auth("qz-ci", "institution", other),
                                       json={"claims": [{
                                           "claim_id": "AS-1", "person_id": helped, "date": f"{YEAR}-03-03",
                                           "care": "inpatient", "area": "in_area", "networked": True,
                                           "total_cost": "480000.00", "self_pay": "400000.00"}]}), 201)
        assert big["claims"][0]["payable"] == "312800.00"  # (400,000 − 9,000) × 80%, above the ordinary cap
        expected += Decimal("312800.00")

        # A year of claims; a broken upload stores nothing.
        claims, _ = year_of_claims()
        broken = [dict(c) for c in claims[:5]]
        broken[3]["self_pay"] = "12.345"
        r = await http.post(f"{url}/v1/critical/claims", headers=auth("qz-ci", "institution", hospital),
                            json={"claims": broken})
        assert r.status_code == 422 and "claims[3].self_pay" in r.text
        account = await http.get(f"{url}/v1/critical/persons/{broken[0]['person_id']}/account",
                                 headers=auth("qz-ci", "clerk"), params={"year": YEAR})
        assert account.status_code == 404 or account.json()["claims"] == []
        uploaded = await ok(await http.post(f"{url}/v1/critical/claims",
                                            headers=auth("qz-ci", "institution", hospital), json={"claims": claims}),
                            201)
        assert uploaded["created"] is True and uploaded["received"] == len(claims)
        expected += Decimal(uploaded["total_payable"])
        again = await ok(await http.post(f"{url}/v1/critical/claims", headers=auth("qz-ci", "institution", hospital),
                                         json={"claims": claims}), 200)
        assert again["total_payable"] == uploaded["total_payable"]

        # Provincial settlement records (省平台结算数据) and a manual reimbursement (零星报销) from out of area.
        records = [{"setl_id": f"PS{i}", "psn_no": pid("330824", 950 + i), "setl_time": f"{YEAR}-0{i + 6}-06 10:00:00",
                    "med_type": "21", "medfee_sumamt": "52000.00", "psn_part_amt": "30000.00",
                    "fulamt_ownpay_amt": "4000.00", "overlmt_selfpay": "1000.00", "fixmedins_code": "H330824001",
                    "mdtrt_admdvs": "330824", "dise_codg": "C16"} for i in range(3)]
        imported = await ok(await http.post(f"{url}/v1/critical/imports", headers=auth("qz-ci", "clerk"),
                                            json={"records": records}), 201)
        assert [c["payable"] for c in imported["claims"]] == ["4900.00"] * 3
        expected += Decimal("14700.00")
        travellers = []
        for i, total in enumerate(["30000.00", "42000.00", "38000.00", "61000.00"]):
            person = pid("330881", 960 + i)
            travellers.append(person)
            claim = {"person_id": person, "date": f"{YEAR}-08-1{i}", "care": "inpatient", "area": "out_of_area",
                     "total_cost": total, "self_pay": f"{Decimal(total) * Decimal('0.8'):.2f}",
                     "institution_code": "H310101001"}
            files = {"claim": (None, json.dumps(claim)), "invoice": ("invoice.pdf", PDF, "application/pdf"),
                     "expense_list": ("list.png", PNG, "image/png"),
                     "discharge_summary": ("summary.pdf", PDF, "application/pdf")}
            manual = await ok(await http.post(f"{url}/v1/critical/manual-claims", headers=auth("qz-ci", "clerk"),
                                              files=files), 201)
            assert manual["networked"] is False and len(manual["documents"]) == 3
            assert all(len(d["sha256"]) == 64 for d in manual["documents"])
            expected += Decimal(manual["payable"])

        # Every review selected is worked by a reviewer; the quotas hold on the dashboard.
        quotas = await ok(await http.get(f"{url}/v1/critical/quotas", headers=auth("qz-ci", "supervisor"),
                                         params={"year": YEAR}))
        strata = {s["stratum"]: s for s in quotas["strata"]}
        assert strata["in_area_large"]["population"] >= 10
        assert strata["out_of_area_20k_50k"]["population"] == 3 and strata["out_of_area_50k"]["population"] == 1
        assert all(s["selection_met"] for s in quotas["strata"]), quotas
        worklist = await ok(await http.get(f"{url}/v1/critical/reviews", headers=auth("qz-ci", "reviewer"),
                                           params={"status": "open", "year": YEAR}))
        reviews = worklist["reviews"]
        assert len(reviews) >= sum(s["required"] for s in quotas["strata"])
        recovered = Decimal(0)
        reviews_done = reviews
        for i, review in enumerate(reviews):
            if i == 0:
                body = {"outcome": "adjusted", "recovered": "1200.00", "note": "重复收费"}
                recovered += Decimal("1200.00")
            else:
                body = {"outcome": "confirmed", "recovered": "0.00", "note": "病历与费用相符"}
            done = await ok(await http.post(f"{url}/v1/critical/reviews/{review['review_id']}/outcome",
                                            headers=auth("qz-ci", "reviewer"), json=body))
            worked_in = day_cn(done["completed_at"]).strftime("%Y-%m")  # the month audit files the outcome under
        quotas = await ok(await http.get(f"{url}/v1/critical/quotas", headers=auth("qz-ci", "supervisor"),
                                         params={"year": YEAR}))
        assert all(s["met"] for s in quotas["strata"]), quotas
        SETTLED["payable"], SETTLED["recovered"] = expected, recovered

        # Another program's carrier sees none of it.
        r = await http.get(f"{url}/v1/critical/persons/{example}/account", headers=auth("hz-p1", "clerk"),
                           params={"year": YEAR})
        assert r.status_code == 404

        # audit takes the year in: the carrier's yearly operation report counts every claim paid.
        async def year_report() -> dict[str, Any] | None:
            r = await http.post(f"{local.url('audit')}/v1/operation-reports", headers=auth("qz-ci", "inspector"),
                                json={"kind": "yearly", "period": str(YEAR)})
            report = await ok(r, 201)
            return report if Decimal(report["figures"]["total"]["spending"]["payable"]) == expected else None

        report = await eventually(year_report, REAL_INFRA_DEADLINE, "the CI year in audit's read model")
        # Paid persons: the 14 heavy ones of the year, the example, the assistance recipient, 3 imported, 4 manual.
        assert report["figures"]["total"]["spending"]["persons"] == 14 + 1 + 1 + 3 + 4

        # The reviews were worked today: their recoveries count in this month's report (still running: interim).
        async def reviews_report() -> dict[str, Any] | None:
            r = await http.post(f"{local.url('audit')}/v1/operation-reports", headers=auth("qz-ci", "inspector"),
                                json={"kind": "monthly", "period": worked_in})
            report = await ok(r, 201)
            reviews = report["figures"]["total"]["reviews"]
            return report if reviews["completed"] == len(reviews_done) else None

        current = await eventually(reviews_report, REAL_INFRA_DEADLINE, "the review outcomes in audit's read model")
        assert current["figures"]["total"]["reviews"]["recovered"] == f"{recovered:.2f}"


async def test_a_quzhou_year_through_the_service(local: LocalPlatform) -> None:
    """The year's money: claims → monthly statements closed, reconciled and paid from qz-ci's account → manual
    reimbursements paid to the persons → a review's recovery booked → the year closed by the corridor, whose claims
    are exactly the year's paid claims (recoveries shown apart), the trial balance balanced."""
    url, simulator = local.url("settlement"), local.simulator_url
    fin, clerk = auth("qz-ci", "finance"), auth("qz-ci", "clerk")
    hospital, insured = "H330881001", 20_000
    account = {"bank_name": "中国工商银行江山支行", "account_name": "周秀兰", "account_no": "6222021209001234567"}
    async with httpx.AsyncClient(timeout=60) as http:
        # Institution claims of employees (310) in September, and a manual reimbursement of 50,000+ from Shanghai
        # (every such claim is reviewed) with the person's bank account.
        persons = [pid("330881", 700 + n) for n in range(3)]
        september = await ok(await http.post(f"{url}/v1/critical/claims", headers=auth("qz-ci", "institution",
                                                                                          hospital), json={
            "claims": [{"claim_id": f"JS-{n}", "person_id": person, "date": f"{YEAR}-09-0{n + 1}",
                        "care": "inpatient", "area": "in_area", "networked": True, "insutype": "310",
                        "total_cost": "40000.00", "self_pay": f"{20000 + 1000 * n}.00"}
                       for n, person in enumerate(persons)]}), 201)
        assert [c["payable"] for c in september["claims"]] == ["1400.00", "2100.00", "2800.00"]
        assert {c["statement_id"] for c in september["claims"]} == {f"CI-{hospital}-{YEAR}-09"}
        settled = SETTLED["payable"] + Decimal("6300.00")
        traveller = pid("330881", 990)
        files = {"claim": (None, json.dumps({
                    "person_id": traveller, "date": f"{YEAR}-10-08", "care": "inpatient", "area": "out_of_area",
                    "total_cost": "66000.00", "self_pay": "50000.00", "insutype": "390", "institution_code":
                    "H310000002", "bank_account": account}, ensure_ascii=False)),
                 "invoice": ("invoice.pdf", PDF, "application/pdf"), "expense_list": ("list.png", PNG, "image/png"),
                 "discharge_summary": ("summary.pdf", PDF, "application/pdf")}
        manual = await ok(await http.post(f"{url}/v1/critical/manual-claims", headers=clerk, files=files), 201)
        assert manual["payable"] == "22400.00" and manual["review_required"] and manual["payable_id"]
        settled += Decimal(manual["payable"])

        # The platform holds September's employee inpatient stays at this carrier: the 3201 of that group must match.
        await ok(await http.post(f"{simulator}admin/settlements", json={
            "fixmedins_code": "H33080000001", "stmt_begndate": f"{YEAR}-09-01", "stmt_enddate": f"{YEAR}-09-30",
            "clr_type": "21", "insutype": "310", "medfee_sumamt": "120000.00", "fund_pay_sumamt": "6300.00",
            "fixmedins_setl_cnt": 3}))

        # Every statement of the year, closed and reconciled; the largest one cannot be paid from what is in the
        # account (only the recoveries booked so far): refused naming the shortfall, nothing written.
        statements = []
        for month in range(1, 13):
            listed = await ok(await http.get(f"{url}/v1/critical/statements", headers=fin,
                                             params={"month": f"{YEAR}-{month:02d}"}))
            statements += listed["statements"]
        assert statements and all(s["status"] == "open" for s in statements)
        for s in statements:
            sid = s["statement_id"]
            await ok(await http.post(f"{url}/v1/critical/statements/{sid}/close", headers=fin))
            done = await ok(await http.post(f"{url}/v1/critical/statements/{sid}/reconcile", headers=fin))
            assert done["status"] == "reconciled" and all(g["balanced"] for g in done["reconciliation"]["groups"])
            assert {(g["insutype"], g["clr_type"]) for g in done["reconciliation"]["groups"]} <= {
                ("310", "21"), ("390", "21"), ("390", "11"), ("390", "41"), ("310", "11")}
        sept = next(s for s in statements if s["statement_id"] == f"CI-{hospital}-{YEAR}-09")
        assert [(g["insutype"], g["clr_type"], g["payable"]) for g in sept["groups"]] == [("310", "21", "6300.00")]
        largest = max(statements, key=lambda s: Decimal(s["payable"]))
        before = await ok(await http.get(f"{url}/v1/fund/ledger", headers=fin, params={"year": YEAR}))
        refused = await http.post(f"{url}/v1/critical/statements/{largest['statement_id']}/payments", headers=fin)
        assert refused.status_code == 409 and "short by" in refused.text, refused.text
        assert await ok(await http.get(f"{url}/v1/fund/ledger", headers=fin, params={"year": YEAR})) == before

        # The agency pays the year's premium in (the bid × the insured persons of this small book).
        agency = auth("qz-ci", "supervisor", "qz-agency", program="qz-critical")
        premium = fd.premium_total(load_program("qz-critical"), YEAR, insured)[0]
        await ok(await http.post(f"{url}/v1/fund/allocations", headers=agency, json={
            "allocation_id": f"{YEAR}-premium", "year": YEAR, "kind": "initial", "amount": f"{premium:.2f}",
            "date": f"{YEAR}-01-10"}), 201)
        paid = Decimal("0.00")
        for s in statements:
            payment = await ok(await http.post(f"{url}/v1/critical/statements/{s['statement_id']}/payments",
                                               headers=fin), 201)
            paid += Decimal(payment["amount"])
        twice = await http.post(f"{url}/v1/critical/statements/{largest['statement_id']}/payments", headers=fin)
        assert twice.status_code == 409 and "already paid" in twice.text

        # The manual reimbursements (零星报销) go to the persons: the account given with the claim, or at payment.
        payables = (await ok(await http.get(f"{url}/v1/critical/person-payables", headers=fin,
                                            params={"status": "unpaid"})))["payables"]
        assert any(p["bank_account"] and p["bank_account"]["account_no"].endswith("4567") for p in payables)
        assert account["account_no"] not in json.dumps(payables)
        for p in payables:
            body = {} if p["bank_account"] else {"bank_account": {**account, "account_no": "6222020000000001"}}
            payment = await ok(await http.post(f"{url}/v1/critical/person-payables/{p['payable_id']}/payments",
                                               headers=fin, json=body), 201)
            paid += Decimal(payment["amount"])
        assert paid == settled, (paid, settled)

        # The traveller's review finds a double charge: 2,000.00 recovered, booked once in the account.
        review = manual["review_id"]  # R-<institution>~<claim id>: the claim's key
        await ok(await http.post(f"{url}/v1/critical/reviews/{review}/outcome", headers=auth("qz-ci", "reviewer"),
                                 json={"outcome": "adjusted", "recovered": "2000.00", "note": "重复收费"}))
        ledger = (await ok(await http.get(f"{url}/v1/fund/ledger", headers=fin, params={"year": YEAR})))["entries"]
        recoveries = [e for e in ledger if e["kind"] == "recovery"]
        assert [e["amount"] for e in recoveries if e["entry_id"] == f"recovery:review:{review}"] == ["2000.00"]
        recovered = SETTLED["recovered"] + Decimal("2000.00")
        assert sum((Decimal(e["amount"]) for e in recoveries), Decimal(0)) == recovered

        # The year closed by the corridor: its claims are the year's paid claims, the recoveries shown apart.
        close = await ok(await http.post(f"{url}/v1/fund/years/{YEAR}/close", headers=fin,
                                         json={"admin_cost": "50000.00", "insured_persons": insured}))
        books = close["accounts"][0]["account"]
        assert Decimal(books["claims"]) == settled == paid
        assert Decimal(books["recoveries"]) == recovered
        assert Decimal(books["net_claims"]) == settled - recovered
        assert Decimal(books["result"]) == premium - (settled - recovered) - Decimal("50000.00")
        trial = await ok(await http.get(f"{url}/v1/fund/trial-balance", headers=fin, params={"year": YEAR}))
        assert trial["balanced"] is True
        year = await ok(await http.get(f"{url}/v1/fund/years/{YEAR}", headers=fin))
        assert year["status"] == "closed" and year["method"] == "corridor"
        # A claim's money never crosses tenants: Hanzhong's finance sees none of it.
        other = await http.get(f"{url}/v1/critical/statements", headers=auth("hz-p1", "finance"),
                               params={"month": f"{YEAR}-09"})
        assert other.status_code == 404


# ---- fund finance (hz-p1, hz-p2) ---------------------------------------------------------------------------------


async def pay_month(http: httpx.AsyncClient, url: str, tenant: str, institution: str, month: str,
                    lines: list[dict[str, Any]]) -> dict[str, Any]:
    await ok(await http.post(f"{url}/v1/claims/batches", headers=auth(tenant, "institution", institution),
                             json={"month": month, "batch_id": f"{institution}-{month}", "lines": lines}))
    # smart review (智能审核) answers the upload before its statement may close
    await reviewed(http, url, f"{institution}-{month}", tenant, REAL_INFRA_DEADLINE)
    statements = (await http.get(f"{url}/v1/statements", headers=auth(tenant, "finance"),
                                 params={"month": month})).json()["statements"]
    statement = next(s for s in statements if s["institution_code"] == institution)
    sid = statement["statement_id"]
    for step in ("close", "reconcile"):
        await ok(await http.post(f"{url}/v1/statements/{sid}/{step}", headers=auth(tenant, "finance")))
    return (await http.get(f"{url}/v1/statements/{sid}", headers=auth(tenant, "finance"))).json()


def chronic_lines(tenant: str, county: str, month: str, persons: int, amount: str) -> list[dict[str, Any]]:
    return [{"claim_id": f"{tenant}-{month}-{n}", "person_id": pid(county, n), "date": f"{month}-12",
             "disease": "HTN", "amount": amount, "covered": True, "item_code": "D001"} for n in range(persons)]


async def test_fund_year_with_advance_deficit_and_reports(local: LocalPlatform) -> None:
    url = local.url("settlement")
    counties = {"hz-p1": "610702", "hz-p2": "610725"}
    hospitals = {"hz-p1": "H610702001", "hz-p2": "H610725001"}
    agency = auth("hz-p1", "supervisor", "hz-agency", program="hz-chronic")
    p1, p2 = auth("hz-p1", "finance"), auth("hz-p2", "finance")
    async with httpx.AsyncClient(timeout=60) as http:
        for tenant, county in counties.items():
            await Walk(local.url, tokens.current(), http, tenant).load_policy()
            holdings = [{"person_id": pid(county, n), "disease": "HTN", "granted_on": "2024-03-01"}
                        for n in range(12)]
            await ok(await http.post(f"{url}/v1/admin/holdings", headers=auth(tenant, "ops"),
                                     json={"holdings": holdings}))

        # The agency sets the year's budget (8,000.00 for a small test book) and allocates 25% at year start;
        # the program's shares split it 6:4. A carrier cannot allocate to itself.
        await ok(await http.put(f"{url}/v1/fund/budgets/{YEAR}", headers=agency, json={"amount": "8000.00"}))
        allocated = await ok(await http.post(f"{url}/v1/fund/allocations", headers=agency, json={
            "allocation_id": "2025-initial", "year": YEAR, "kind": "initial", "amount": "2000.00",
            "date": f"{YEAR}-01-06"}), 201)
        assert sorted(Decimal(e["amount"]) for e in allocated["entries"]) == [Decimal(800), Decimal(1200)]
        r = await http.post(f"{url}/v1/fund/allocations", headers=agency, json={
            "allocation_id": "too-much", "year": YEAR, "kind": "initial", "amount": "0.01", "date": f"{YEAR}-01-07"})
        assert r.status_code == 422  # 25% of the budget is already out
        r = await http.post(f"{url}/v1/fund/allocations", headers=p1, json={
            "allocation_id": "self", "year": YEAR, "kind": "initial", "amount": "1.00", "date": f"{YEAR}-01-06"})
        assert r.status_code == 403

        # May: ordinary months paid from the accounts (HTN: 80% of 300.00 = 240.00 a person).
        for tenant, county, persons in (("hz-p1", "610702", 4), ("hz-p2", "610725", 3)):
            statement = await pay_month(http, url, tenant, hospitals[tenant], f"{YEAR}-05",
                                        chronic_lines(tenant, county, f"{YEAR}-05", persons, "300.00"))
            await ok(await http.post(f"{url}/v1/statements/{statement['statement_id']}/payments",
                                     headers=auth(tenant, "finance")))

        # June: hz-p1's balance (1,200 − 960 = 240) cannot pay 6 × 600 × 80% = 2,880: refused, nothing written.
        june = await pay_month(http, url, "hz-p1", hospitals["hz-p1"], f"{YEAR}-06",
                               chronic_lines("hz-p1", counties["hz-p1"], f"{YEAR}-06", 6, "600.00"))
        today = {"on": today_cn().isoformat(), "year": YEAR}  # payments are dated the day they are made
        before = await ok(await http.get(f"{url}/v1/fund/balance", headers=p1, params=today))
        assert before["balances"]["bank"] == "240.00"
        refused = await http.post(f"{url}/v1/statements/{june['statement_id']}/payments", headers=p1)
        assert refused.status_code == 409 and "2640.00" in refused.text, refused.text
        assert await ok(await http.get(f"{url}/v1/fund/balance", headers=p1, params=today)) == before
        # The carrier advances its own money (垫付) while fund money is late; then the payment goes through.
        await ok(await http.post(f"{url}/v1/fund/advances", headers=p1, json={
            "advance_id": "2025-06", "date": f"{YEAR}-06-28", "amount": "2700.00"}), 201)
        paid = await ok(await http.post(f"{url}/v1/statements/{june['statement_id']}/payments", headers=p1))
        assert "2880.00" in json.dumps(paid)
        # The in-year allocation arrives (60% of the budget); the advance is repaid from it, never more.
        await ok(await http.post(f"{url}/v1/fund/allocations", headers=agency, json={
            "allocation_id": "2025-q3", "year": YEAR, "kind": "in_year", "amount": "4800.00",
            "date": f"{YEAR}-07-15"}), 201)
        await ok(await http.post(f"{url}/v1/fund/advances/2025-06/repayments", headers=p1,
                                 json={"repayment_id": "2025-06-r1", "date": f"{YEAR}-07-16", "amount": "2700.00"}),
                 201)
        too_much = await http.post(f"{url}/v1/fund/advances/2025-06/repayments", headers=p1,
                                   json={"repayment_id": "2025-06-r2", "date": f"{YEAR}-07-17", "amount": "0.01"})
        assert too_much.status_code == 409
        account = await ok(await http.get(f"{url}/v1/fund/balance", headers=p1, params=today))
        assert account["advances_outstanding"] == "0.00" and account["balances"]["bank"] == "240.00"
        # hz-p2 never sees hz-p1's books.
        theirs = await ok(await http.get(f"{url}/v1/fund/ledger", headers=p2, params={"year": YEAR}))
        assert "advance:2025-06" not in json.dumps(theirs)

        # November: hz-p2's heavy month (12 × 500 × 80% = 4,800) needs its own advance; it is still out at year end.
        nov = await pay_month(http, url, "hz-p2", hospitals["hz-p2"], f"{YEAR}-11",
                              chronic_lines("hz-p2", counties["hz-p2"], f"{YEAR}-11", 12, "500.00"))
        await ok(await http.post(f"{url}/v1/fund/advances", headers=p2, json={
            "advance_id": "2025-11", "date": f"{YEAR}-11-28", "amount": "3000.00"}), 201)
        await ok(await http.post(f"{url}/v1/statements/{nov['statement_id']}/payments", headers=p2))

        # Year end. Paid: hz-p1 960 + 2,880 = 3,840; hz-p2 720 + 4,800 = 5,520; 9,360 against a budget of 8,000:
        # a deficit of 1,360. Service fees (9,360 × 60% × 0.80% = 44.93; 9,360 × 40% × 0.85% = 31.82) go first,
        # then the rest, 1,283.25, splits fund 3 : carriers 7.
        r = await http.post(f"{url}/v1/fund/years/{YEAR}/close", headers=p1, json={})
        assert r.status_code == 403  # a year shared by two carriers is closed by the agency
        # hz-p1's part of the loss (fee 44.93 + 6/10 of the carriers' 898.27 = 583.89) is the carrier's own money:
        # without it in the account the close is refused, naming the shortfall, and nothing is written.
        r = await http.post(f"{url}/v1/fund/years/{YEAR}/close", headers=agency, json={})
        assert r.status_code == 409 and "583.89" in r.text, r.text
        assert (await ok(await http.get(f"{url}/v1/fund/years/{YEAR}", headers=p2)))["status"] == "open"
        await ok(await http.post(f"{url}/v1/fund/advances", headers=p1, json={
            "advance_id": "2025-loss", "date": today_cn().isoformat(), "year": YEAR, "amount": "583.89",
            "memo": "承办方承担亏损"}), 201)
        closed = await ok(await http.post(f"{url}/v1/fund/years/{YEAR}/close", headers=agency, json={}))
        result = closed["result"]
        assert result["outcome"] == "deficit" and result["result"] == "-1360.00", result
        assert result["fee_deductions"] == "76.75"
        assert result["fund_part"] == "384.98" and result["carriers_part"] == "898.27"
        by_tenant = {a["account"]["tenant"]: a["account"] for a in closed["accounts"]}
        assert Decimal(by_tenant["hz-p1"]["carrier_share"]) + Decimal(by_tenant["hz-p2"]["carrier_share"]) == \
            Decimal("898.27") + Decimal("76.75")
        again = await ok(await http.post(f"{url}/v1/fund/years/{YEAR}/close", headers=agency, json={}))
        assert again["replayed"] is True
        for headers in (p1, p2):
            trial = await ok(await http.get(f"{url}/v1/fund/trial-balance", headers=headers, params={"year": YEAR}))
            assert trial["balanced"] is True
        late = await http.post(f"{url}/v1/fund/interest", headers=p1, json={
            "interest_id": "late", "date": f"{YEAR}-12-21", "amount": "1.00", "year": YEAR})
        assert late.status_code == 409  # the year is closed: corrections go to the next year's books

        # The agency's yearly operation report across both carriers; an anomaly warning for June.
        audit = local.url("audit")

        async def program_report() -> dict[str, Any] | None:
            r = await http.post(f"{audit}/v1/operation-reports", headers=agency,
                                json={"kind": "yearly", "period": str(YEAR)})
            report = await ok(r, 201)
            spent = {t: f["spending"]["payable"] for t, f in report["figures"]["by_tenant"].items()}
            return report if spent == {"hz-p1": "3840.00", "hz-p2": "5520.00"} else None

        report = await eventually(program_report, REAL_INFRA_DEADLINE, "both carriers' year in the agency's report")
        assert report["scope"] == "program" and report["figures"]["total"]["spending"]["payable"] == "9360.00"
        chart = await http.get(f"{audit}/v1/operation-reports/{report['report_id']}/files/chart", headers=agency)
        assert chart.content[:8] == b"\x89PNG\r\n\x1a\n"
        workbook = await http.get(f"{audit}/v1/operation-reports/{report['report_id']}/files/workbook",
                                  headers=agency)
        sheets = load_workbook(io.BytesIO(workbook.content)).sheetnames
        assert "By tenant" in sheets and "By month" in sheets
        hidden = await http.get(f"{audit}/v1/operation-reports/{report['report_id']}",
                                headers=auth("hz-p2", "inspector"))
        assert hidden.status_code == 404

        check = await ok(await http.post(f"{audit}/v1/warnings/checks/anomalies",
                                         headers=auth("hz-p1", "inspector"),
                                         json={"month": f"{YEAR}-06", "detected_on": "2025-07-02"}))
        assert check["spending_growth"]["triggered"] is True
        warnings = [h["warning"] for h in check["hits"]]
        assert warnings and all(w["due_on"] == "2025-07-11" for w in warnings)
        assert all(w["overdue"] is True and w["status"] == "open" for w in warnings)
