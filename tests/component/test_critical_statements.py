"""The critical illness money chain (大病保险 "按月…结算支付") on the embedded platform: settled claims on monthly
statements per institution, a late claim on a supplementary statement, close → reconcile (one 3201 per insutype
and clr_type, the simulator's records deciding) → pay from qz-ci's dedicated account (refused while the money is
not there, nothing written; paid twice refused), manual reimbursements paid to the person's bank account (masked in
every view), a review's recovery booked once, and the year closed by the corridor — whose claims equal the sum of
the year's settled payables, recoveries shown apart. Roles and tenants are kept apart."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from chassis.calendar import day_cn, today_cn
from chassis.events import decode, topic_for
from chassis.programs import load_program
from jingban.embedded import EmbeddedPlatform
from services.settlement.fund.service import account as fd
from tests.conftest import PDF, PNG, auth, eventually
from tests.support import tokens

# Data of fund year 2025, paid "today": the date these tests were written on (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("fixture_business_date")

T = "qz-ci"
CARRIER = "H33080000001"        # qz-ci's registered code: who calls the platform (programs/qz-critical)
HOSP, PHARM = "H330802001", "P330802101"
YEAR = 2025
INSURED = 1000                  # a small book: the premium is the 2025 bid × 1,000 persons
ACCOUNT = {"bank_name": "中国农业银行衢州分行", "account_name": "王建国", "account_no": "6228480012345678"}
FIN = auth(T, "finance")


def sup(tenant: str = T, program: str = "qz-critical") -> dict[str, str]:
    return {"authorization": f"Bearer {tokens.user_token(tenant, 'supervisor', 'agency', program=program)}"}


@pytest.fixture(scope="module")
async def platform() -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={}, port_offset=random.randint(71, 199) * 10)
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def claim(cid: str, person: str, day: str, self_pay: str, total: str, care: str = "inpatient",
          **extra: Any) -> dict[str, Any]:
    return {"claim_id": cid, "person_id": person, "date": day, "care": care, "area": "in_area", "networked": True,
            "total_cost": total, "self_pay": self_pay, **extra}


def url(platform: EmbeddedPlatform, path: str) -> str:
    return f"{platform.url('settlement')}/v1{path}"


def field(response: httpx.Response) -> str:
    return str(response.json()["error"]["fields"][0]["field"])


async def ok(response: httpx.Response, *codes: int) -> Any:
    assert response.status_code in (codes or (200, 201)), \
        f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text[:800]}"
    return response.json()


async def upload(platform: EmbeddedPlatform, http: httpx.AsyncClient, inst: str, claims: list[dict[str, Any]]
                 ) -> dict[str, Any]:
    return await ok(await http.post(url(platform, "/critical/claims"), json={"claims": claims},
                                    headers=auth(T, "institution", inst)), 201)


async def manual(platform: EmbeddedPlatform, http: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    files = {"claim": (None, json.dumps(body, ensure_ascii=False)), "invoice": ("inv.pdf", PDF, "application/pdf"),
             "discharge_summary": ("ds.png", PNG, "image/png"), "expense_list": ("list.pdf", PDF, "application/pdf")}
    return await http.post(url(platform, "/critical/manual-claims"), files=files, headers=auth(T, "clerk"))


async def platform_holds(platform: EmbeddedPlatform, http: httpx.AsyncClient, month: str, clr_type: str,
                         insutype: str, fee: str, fund: str, count: int) -> None:
    """What the provincial platform holds for the carrier's month in one clearing and insurance type."""
    last = {"2025-03": "31", "2025-04": "30"}[month]
    await ok(await http.post(f"{platform.simulator_url}admin/settlements", json={
        "fixmedins_code": CARRIER, "stmt_begndate": f"{month}-01", "stmt_enddate": f"{month}-{last}",
        "clr_type": clr_type, "insutype": insutype, "medfee_sumamt": fee, "fund_pay_sumamt": fund,
        "fixmedins_setl_cnt": count}))


async def ledger(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> list[dict[str, Any]]:
    return (await ok(await http.get(url(platform, "/fund/ledger"), params={"year": YEAR}, headers=FIN)))["entries"]


PAID: dict[str, Decimal] = {}   # every 2025 claim's payable, as the service answered it


async def test_statements_reconciled_by_group_and_paid_from_the_account(platform: EmbeddedPlatform,
                                                                          http: httpx.AsyncClient) -> None:
    march = await upload(platform, http, HOSP, [
        claim("a1", "PA", "2025-03-05", "30000.00", "50000.00", insutype="310"),
        claim("a2", "PB", "2025-03-10", "20000.00", "26000.00"),                       # no insutype: 390
        claim("a3", "PA", "2025-03-20", "1000.00", "2000.00", care="chronic_outpatient", insutype="310"),
        claim("a4", "PC", "2025-03-15", "5000.00", "8000.00", insutype="390"),        # pays nothing
        claim("b1", "PA", "2025-04-02", "2000.00", "4000.00", insutype="310")])
    drug = await upload(platform, http, PHARM, [claim("p1", "PB", "2025-03-25", "3000.00", "3000.00",
                                                      care="special_drug")])
    views = {c["claim_id"]: c for c in march["claims"] + drug["claims"]}
    PAID.update({k: Decimal(v["payable"]) for k, v in views.items()})
    assert [views[k]["payable"] for k in ("a1", "a2", "a3", "a4", "b1", "p1")] == [
        "8400.00", "1400.00", "700.00", "0.00", "1400.00", "2100.00"]
    assert (views["a2"]["insutype"], views["a2"]["insutype_source"], views["a1"]["insutype"]) == (
        "390", "default", "310")
    assert [views[k]["clr_type"] for k in ("a1", "a3", "p1")] == ["21", "11", "41"]
    assert views["a1"]["statement_id"] == f"CI-{HOSP}-2025-03" and views["a4"]["statement_id"] is None
    bad = await http.post(url(platform, "/critical/claims"), headers=auth(T, "institution", HOSP),
                          json={"claims": [claim("z1", "PZ", "2025-03-05", "1.00", "2.00", insutype="320")]})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "claims[0].insutype"
    nobody = await http.post(url(platform, "/critical/claims"), headers=auth(T, "clerk"),
                             json={"claims": [claim("z2", "PZ", "2025-03-05", "1.00", "2.00")]})
    assert nobody.status_code == 422 and nobody.json()["error"]["fields"][0]["field"] == "claims[0].institution_code"

    listed = await ok(await http.get(url(platform, "/critical/statements"), params={"month": "2025-03"},
                                     headers=FIN))
    by_id = {s["statement_id"]: s for s in listed["statements"]}
    sid, pid = f"CI-{HOSP}-2025-03", f"CI-{PHARM}-2025-03"
    assert set(by_id) == {sid, pid}
    assert (by_id[sid]["status"], by_id[sid]["claims"], by_id[sid]["payable"], by_id[sid]["claimed"]) == (
        "open", 3, "10500.00", "78000.00")
    assert [(g["insutype"], g["clr_type"], g["claims"], g["payable"]) for g in by_id[sid]["groups"]] == [
        ("310", "11", 1, "700.00"), ("310", "21", 1, "8400.00"), ("390", "21", 1, "1400.00")]
    assert [(g["insutype"], g["clr_type"]) for g in by_id[pid]["groups"]] == [("390", "41")]
    # the month's settlement deadline (月结清算时限, program.yaml) is long past: unpaid, the statement is overdue
    assert by_id[sid]["settlement_deadline"] > "2025-03-31" and by_id[sid]["overdue"] is True

    # Close: not before its month is over; reconcile only once closed.
    now = await upload(platform, http, HOSP, [claim("n1", "PE", today_cn().isoformat(), "20000.00", "30000.00")])
    r = await http.post(url(platform, f"/critical/statements/{now['claims'][0]['statement_id']}/close"), headers=FIN)
    assert r.status_code == 409 and field(r) == "month", r.text
    r = await http.post(url(platform, f"/critical/statements/{sid}/reconcile"), headers=FIN)
    assert r.status_code == 409 and "close it" in r.text
    closed = await ok(await http.post(url(platform, f"/critical/statements/{sid}/close"), headers=FIN))
    assert closed["status"] == "closed" and closed["payable"] == "10500.00"
    r = await http.post(url(platform, f"/critical/statements/{sid}/close"), headers=FIN)
    assert r.status_code == 409

    # A March claim settled after March closed goes to a supplementary statement, never lost.
    late = await upload(platform, http, HOSP, [claim("a5", "PD", "2025-03-28", "19000.00", "25000.00")])
    PAID["a5"] = Decimal(late["claims"][0]["payable"])
    assert late["claims"][0]["statement_id"] == f"{sid}-2" and PAID["a5"] == Decimal("700.00")
    supplementary = await ok(await http.get(url(platform, f"/critical/statements/{sid}-2"), headers=FIN))
    assert supplementary["supplementary"] and supplementary["late_claims"] == 1
    assert [r["code"] for r in supplementary["reason_codes"]] == ["late_claims"]
    assert (await ok(await http.get(url(platform, f"/critical/statements/{sid}"), headers=FIN)))["claims"] == 3

    # 3201 per group: the platform's 310/11 disagrees → 422, the result stored, the statement stays closed.
    await platform_holds(platform, http, "2025-03", "21", "310", "50000.00", "8400.00", 1)
    await platform_holds(platform, http, "2025-03", "21", "390", "26000.00", "1400.00", 1)
    await platform_holds(platform, http, "2025-03", "11", "310", "2000.00", "699.00", 1)
    r = await http.post(url(platform, f"/critical/statements/{sid}/reconcile"), headers=FIN)
    assert r.status_code == 422 and "310/11" in r.json()["error"]["message"], r.text
    stored = await ok(await http.get(url(platform, f"/critical/statements/{sid}"), headers=FIN))
    assert stored["status"] == "closed" and stored["reconciliation"]["balanced"] is False
    assert [(g["insutype"], g["clr_type"], g["balanced"]) for g in stored["reconciliation"]["groups"]] == [
        ("310", "11", False), ("310", "21", True), ("390", "21", True)]
    r = await http.post(url(platform, f"/critical/statements/{sid}/payments"), headers=FIN)
    assert r.status_code == 409 and "reconciled" in r.text
    await platform_holds(platform, http, "2025-03", "11", "310", "2000.00", "700.00", 1)
    reconciled = await ok(await http.post(url(platform, f"/critical/statements/{sid}/reconcile"), headers=FIN))
    assert reconciled["status"] == "reconciled" and reconciled["reconciliation"]["balanced"] is True

    # The account is empty: the payment is refused naming the shortfall, and nothing is written.
    r = await http.post(url(platform, f"/critical/statements/{sid}/payments"), headers=FIN)
    assert r.status_code == 409 and "short by 10500.00" in r.json()["error"]["message"], r.text
    assert await ledger(platform, http) == []
    assert (await ok(await http.get(url(platform, "/critical/payments"), params={"month": "2025-03"},
                                    headers=FIN)))["payments"] == []
    assert (await ok(await http.get(url(platform, f"/critical/statements/{sid}"), headers=FIN)))["status"] == \
        "reconciled"

    # The agency pays the year's premium in (bid × insured persons); then the statement is paid, once.
    premium = fd.premium_total(load_program("qz-critical"), YEAR, INSURED)[0]
    await ok(await http.post(url(platform, "/fund/allocations"), headers=sup(), json={
        "allocation_id": "QZ2025-premium", "year": YEAR, "kind": "initial", "amount": f"{premium:.2f}",
        "date": "2025-01-10"}), 201)
    paid = await ok(await http.post(url(platform, f"/critical/statements/{sid}/payments"), headers=FIN), 201)
    assert (paid["payment_id"], paid["amount"], paid["payee"]) == (f"PAY-{sid}", "10500.00", "institution")
    again = await http.post(url(platform, f"/critical/statements/{sid}/payments"), headers=FIN)
    assert again.status_code == 409 and "already paid" in again.text and field(again) == \
        "statement_id"
    entries = await ledger(platform, http)
    assert [(e["kind"], e["amount"]) for e in entries] == [("allocation", f"{premium:.2f}"), ("payment", "10500.00")]
    assert entries[1]["postings"][0] == {"account": "benefits_paid", "debit": "10500.00", "credit": "0.00"}

    # The pharmacy's March, the hospital's April and the supplementary March: each through the same chain.
    await platform_holds(platform, http, "2025-03", "41", "390", "3000.00", "2100.00", 1)
    await platform_holds(platform, http, "2025-04", "21", "310", "4000.00", "1400.00", 1)
    for other in (pid, f"CI-{HOSP}-2025-04"):
        await ok(await http.post(url(platform, f"/critical/statements/{other}/close"), headers=FIN))
        await ok(await http.post(url(platform, f"/critical/statements/{other}/reconcile"), headers=FIN))
        await ok(await http.post(url(platform, f"/critical/statements/{other}/payments"), headers=FIN), 201)

    async def events(kind: str) -> list[Any]:
        return [decode(m.value).payload for m in platform.bus.messages(topic_for(T, kind))]

    closed_events = await eventually(lambda: _with(events, "statement.closed", 3), what="statement.closed")
    assert {e.statement_id: e.payable for e in closed_events}[sid] == "10500.00"
    issued = await eventually(lambda: _with(events, "payment.issued", 3), what="payment.issued")
    assert sorted(e.amount for e in issued) == ["10500.00", "1400.00", "2100.00"]
    reconciled_events = await eventually(lambda: _with(events, "statement.reconciled", 4),
                                         what="statement.reconciled")
    assert [e.balanced for e in reconciled_events if e.statement_id == sid] == [False, True]


async def _with(probe: Any, kind: str, n: int) -> list[Any] | None:
    found = await probe(kind)
    return found if len(found) >= n else None


async def test_manual_reimbursements_are_paid_to_the_person(platform: EmbeddedPlatform,
                                                           http: httpx.AsyncClient) -> None:
    r = await manual(platform, http, {"person_id": "PM", "date": "2025-05-01", "care": "inpatient",
                                      "area": "out_of_area", "total_cost": "30000.00", "self_pay": "28000.00",
                                      "insutype": "310", "bank_account": ACCOUNT})
    m = await ok(r, 201)
    PAID[m["claim_id"]] = Decimal(m["payable"])
    assert m["payable"] == "7000.00" and m["payable_id"] == f"PP-{m['claim_id']}" and m["clr_type"] is None
    assert ACCOUNT["account_no"] not in r.text
    # The same reimbursement with another account is the same claim (where it is paid is not the claim).
    same = await ok(await manual(platform, http, {"person_id": "PM", "date": "2025-05-01", "care": "inpatient",
                                                  "area": "out_of_area", "total_cost": "30000.00",
                                                  "self_pay": "28000.00", "insutype": "310"}), 200)
    assert same["claim_id"] == m["claim_id"]
    bad = await manual(platform, http, {"person_id": "PX", "date": "2025-05-01", "care": "inpatient",
                                        "area": "out_of_area", "total_cost": "30000.00", "self_pay": "28000.00",
                                        "bank_account": {**ACCOUNT, "account_no": "12-34"}})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "claim.bank_account.account_no"
    n = await ok(await manual(platform, http, {"person_id": "PN", "date": "2025-06-01", "care": "inpatient",
                                               "area": "out_of_area", "total_cost": "25000.00",
                                               "self_pay": "20000.00"}), 201)
    PAID[n["claim_id"]] = Decimal(n["payable"])

    listed = await ok(await http.get(url(platform, "/critical/person-payables"), params={"month": "2025-05"},
                                     headers=FIN))
    [payable] = listed["payables"]
    assert (payable["amount"], payable["status"], payable["insutype"]) == ("7000.00", "unpaid", "310")
    assert payable["bank_account"] == {"bank_name": ACCOUNT["bank_name"], "account_name": "王**",
                                       "account_no": "************5678"}
    paid = await ok(await http.post(url(platform, f"/critical/person-payables/{payable['payable_id']}/payments"),
                                    headers=FIN), 201)
    assert (paid["payee"], paid["amount"], paid["bank_account"]["account_no"]) == (
        "person", "7000.00", "************5678")
    twice = await http.post(url(platform, f"/critical/person-payables/{payable['payable_id']}/payments"),
                            headers=FIN)
    assert twice.status_code == 409 and field(twice) == "payable_id"

    # No account known: a precise error, nothing booked; given at payment, it is recorded and paid.
    before = len(await ledger(platform, http))
    missing = await http.post(url(platform, f"/critical/person-payables/{n['payable_id']}/payments"), headers=FIN)
    assert missing.status_code == 422 and field(missing) == "bank_account"
    assert len(await ledger(platform, http)) == before
    given = await ok(await http.post(url(platform, f"/critical/person-payables/{n['payable_id']}/payments"),
                                     headers=FIN, json={"bank_account": {**ACCOUNT, "account_name": "李四",
                                                                         "account_no": "6217000099998888"}}), 201)
    assert given["amount"] == "1400.00" and given["bank_account"]["account_no"].endswith("8888")
    view = await ok(await http.get(url(platform, f"/critical/person-payables/{n['payable_id']}"), headers=FIN))
    assert view["status"] == "paid" and view["bank_account"]["account_name"] == "李*"
    payments = await ok(await http.get(url(platform, "/critical/payments"), params={"month": "2025-06"},
                                       headers=auth(T, "inspector")))
    assert "6217000099998888" not in json.dumps(payments) and len(payments["payments"]) == 1


async def test_review_recovery_is_booked_once(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    reviewer = auth(T, "reviewer")
    path = url(platform, f"/critical/reviews/R-{HOSP}~a1/outcome")  # a review is named by its claim's key
    too_much = await http.post(path, headers=reviewer, json={"outcome": "adjusted", "recovered": "8400.01"})
    assert too_much.status_code == 422 and too_much.json()["error"]["fields"][0]["field"] == "recovered"
    assert not [e for e in await ledger(platform, http) if e["kind"] == "recovery"]
    body = {"outcome": "adjusted", "recovered": "1200.00", "note": "重复收费"}
    assert (await ok(await http.post(path, headers=reviewer, json=body)))["status"] == "completed"
    assert (await ok(await http.post(path, headers=reviewer, json=body)))["replayed"] is True
    recoveries = [e for e in await ledger(platform, http) if e["kind"] == "recovery"]
    assert [(e["entry_id"], e["amount"], e["reference"]) for e in recoveries] == [
        (f"recovery:review:R-{HOSP}~a1", "1200.00", f"review:R-{HOSP}~a1")]
    assert recoveries[0]["postings"][1] == {"account": "recoveries", "debit": "0.00", "credit": "1200.00"}


async def test_the_corridor_counts_the_claims_paid(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    close = url(platform, f"/fund/years/{YEAR}/close")
    body = {"admin_cost": "1000.00", "insured_persons": INSURED}
    r = await http.post(close, headers=FIN, json=body)
    assert r.status_code == 409 and field(r) == "statements"
    assert f"CI-{HOSP}-2025-03-2" in r.json()["error"]["message"]
    assert (await ok(await http.get(url(platform, f"/fund/years/{YEAR}"), headers=FIN)))["status"] == "open"
    sid = f"CI-{HOSP}-2025-03-2"
    await platform_holds(platform, http, "2025-03", "21", "390", "25000.00", "700.00", 1)  # its own totals
    for step in ("close", "reconcile", "payments"):
        await ok(await http.post(url(platform, f"/critical/statements/{sid}/{step}"), headers=FIN))

    closed = await ok(await http.post(close, headers=FIN, json=body))
    account = closed["accounts"][0]["account"]
    claims_of_year = sum(PAID.values(), Decimal("0.00"))
    assert claims_of_year == Decimal("23100.00")
    assert Decimal(account["claims"]) == claims_of_year
    assert (account["recoveries"], account["net_claims"]) == ("1200.00", f"{claims_of_year - 1200:.2f}")
    premium = fd.premium_total(load_program("qz-critical"), YEAR, INSURED)[0]
    assert Decimal(account["result"]) == premium - (claims_of_year - 1200) - Decimal("1000.00")
    trial = await ok(await http.get(url(platform, "/fund/trial-balance"), params={"year": YEAR}, headers=FIN))
    assert trial["balanced"] is True
    rec = await ok(await http.get(url(platform, "/fund/reconciliation"), params={"year": YEAR}, headers=FIN))
    assert rec["balanced"] is True and Decimal(rec["statements_paid"]) == claims_of_year


async def test_roles_and_tenants_are_kept_apart(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    sid = f"CI-{HOSP}-2025-03"
    for path in (f"/critical/statements/{sid}", "/critical/person-payables", "/critical/payments?month=2025-03",
                 "/critical/statements?month=2025-03"):
        r = await http.get(url(platform, path), headers=auth("hz-p1", "finance"))
        assert r.status_code == 404, (path, r.text)
    for step in ("close", "reconcile", "payments"):
        r = await http.post(url(platform, f"/critical/statements/{sid}/{step}"), headers=auth("hz-p1", "finance"))
        assert r.status_code == 404, step
        r = await http.post(url(platform, f"/critical/statements/{sid}/{step}"), headers=auth(T, "clerk"))
        assert r.status_code == 403, step
    r = await http.post(url(platform, "/critical/statements/CI-NOPE-2025-03/close"), headers=FIN)
    assert r.status_code == 404
    r = await http.post(url(platform, "/critical/person-payables/PP-NOPE/payments"), headers=FIN)
    assert r.status_code == 404
    own = await ok(await http.get(url(platform, "/critical/statements"), params={"month": "2025-03"},
                                  headers=auth(T, "institution", PHARM)))
    assert [s["statement_id"] for s in own["statements"]] == [f"CI-{PHARM}-2025-03"]
    assert (await http.get(url(platform, f"/critical/statements/{sid}"), headers=auth(T, "institution", PHARM))
            ).status_code == 404
    lines = await ok(await http.get(url(platform, f"/critical/statements/{sid}/lines"),
                                    headers=auth(T, "institution", HOSP)))
    assert [ln["claim_id"] for ln in lines["lines"]] == ["a1", "a2", "a3"]
    assert (await http.get(url(platform, "/critical/person-payables"), headers=auth(T, "institution", HOSP))
            ).status_code == 403


async def test_audit_counts_the_critical_statements_and_payments(platform: EmbeddedPlatform,
                                                                 http: httpx.AsyncClient) -> None:
    """audit's read model takes the critical statements and payments like the chronic ones (per tenant)."""
    audit = platform.url("audit")

    async def figures(period: str, check: Any) -> dict[str, Any] | None:
        r = await http.get(f"{audit}/v1/figures", params={"period": period}, headers=auth(T, "inspector"))
        body = await ok(r)
        return body if check(body) else None

    march = await eventually(lambda: figures("2025-03", lambda b: b["statements"]["reconciled"] == 3),
                             what="March's critical statements in audit's read model")
    assert march["statements"] == {"closed": 3, "payable": "13300.00", "reconciled": 3, "unbalanced": 0}
    # audit files a payment under the Beijing day it was issued (its timestamp), not the business date
    year = str(day_cn(datetime.now(UTC).isoformat()).year)
    paid = await eventually(lambda: figures(year, lambda b: b["payments"]["count"] == 6),
                            what="the critical payments in audit's read model")
    assert paid["payments"]["amount"] == "23100.00"


async def test_provincial_records_carry_their_insurance_type(platform: EmbeddedPlatform,
                                                             http: httpx.AsyncClient) -> None:
    rec = {"setl_id": "S-310", "psn_no": "PQ", "setl_time": "2025-07-06 10:11:12", "med_type": "21",
           "medfee_sumamt": "52000.00", "psn_part_amt": "30000.00", "fulamt_ownpay_amt": "4000.00",
           "overlmt_selfpay": "1000.00", "fixmedins_code": "H330824001", "mdtrt_admdvs": "330824", "insutype": "310"}
    bad = await http.post(url(platform, "/critical/imports"), json=[{**rec, "setl_id": "S-x", "insutype": "999"}],
                          headers=auth(T, "clerk"))
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "records[0].insutype"
    done = await ok(await http.post(url(platform, "/critical/imports"), json=[rec], headers=auth(T, "clerk")), 201)
    c = done["claims"][0]
    assert (c["insutype"], c["insutype_source"], c["clr_type"], c["payable"]) == ("310", "given", "21", "4900.00")
    assert c["statement_id"] == "CI-H330824001-2025-07"
    statement = await ok(await http.get(url(platform, f"/critical/statements/{c['statement_id']}"), headers=FIN))
    assert [(g["insutype"], g["clr_type"], g["payable"]) for g in statement["groups"]] == [("310", "21", "4900.00")]
