"""Critical-illness runs over HTTP on the embedded platform: a month's statements closed in one run, reconciled in
one run (one platform session; an unbalanced one reported, the others go on) and paid in one payment run (批量支付)
with the month's payables to persons — refused whole with InsufficientFunds naming the shortfall while the account
cannot cover it, nothing written; a retry pays nothing more; a statement the run paid is refused by the single
endpoint. Finance only; another tenant gets 404, another role 403; a bad month or id names the field."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from chassis.events import decode, topic_for
from jingban.embedded import EmbeddedPlatform
from tests.conftest import PDF, PNG, auth, embedded_port_offset, eventually
from tests.support import tokens

# Data of fund year 2025, paid "today": the date these tests were written on (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("fixture_business_date")

T = "qz-ci"
CARRIER = "H33080000001"        # qz-ci's registered code (programs/qz-critical)
HOSP, PHARM = "H330802001", "P330802101"
MONTH = "2025-05"
ACCOUNT = {"bank_name": "中国农业银行衢州分行", "account_name": "王建国", "account_no": "6228480012345678"}
FIN = auth(T, "finance", "fin-run")


@pytest.fixture(scope="module")
async def platform() -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={}, port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def url(platform: EmbeddedPlatform, path: str) -> str:
    return f"{platform.url('settlement')}/v1{path}"


async def ok(response: httpx.Response, *codes: int) -> Any:
    assert response.status_code in (codes or (200, 201)), \
        f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text[:800]}"
    return response.json()


def error(response: httpx.Response) -> dict[str, Any]:
    return dict(response.json()["error"])


def claim(cid: str, person: str, day: str, self_pay: str, total: str, care: str = "inpatient") -> dict[str, Any]:
    return {"claim_id": cid, "person_id": person, "date": day, "care": care, "area": "in_area", "networked": True,
            "total_cost": total, "self_pay": self_pay, "insutype": "390"}


async def manual(platform: EmbeddedPlatform, http: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    files = {"claim": (None, json.dumps(body, ensure_ascii=False)), "invoice": ("inv.pdf", PDF, "application/pdf"),
             "discharge_summary": ("ds.png", PNG, "image/png"), "expense_list": ("list.pdf", PDF, "application/pdf")}
    return await ok(await http.post(url(platform, "/critical/manual-claims"), files=files, headers=auth(T, "clerk")),
                    201)


async def holds(platform: EmbeddedPlatform, http: httpx.AsyncClient, clr_type: str, fee: str, fund: str) -> None:
    await ok(await http.post(f"{platform.simulator_url}admin/settlements", json={
        "fixmedins_code": CARRIER, "stmt_begndate": f"{MONTH}-01", "stmt_enddate": f"{MONTH}-31",
        "clr_type": clr_type, "insutype": "390", "medfee_sumamt": fee, "fund_pay_sumamt": fund,
        "fixmedins_setl_cnt": 1}))


async def ledger(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> list[dict[str, Any]]:
    return (await ok(await http.get(url(platform, "/fund/ledger"), params={"year": 2025}, headers=FIN)))["entries"]


async def test_a_month_reconciled_and_paid_in_runs(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    await ok(await http.post(url(platform, "/critical/claims"), headers=auth(T, "institution", HOSP),
                             json={"claims": [claim("r1", "RA", f"{MONTH}-05", "30000.00", "50000.00")]}), 201)
    await ok(await http.post(url(platform, "/critical/claims"), headers=auth(T, "institution", PHARM), json={
        "claims": [claim("r2", "RB", f"{MONTH}-07", "20000.00", "20000.00", care="special_drug")]}), 201)
    paid_to = await manual(platform, http, {"person_id": "RC", "date": f"{MONTH}-09", "care": "inpatient",
                                            "area": "out_of_area", "total_cost": "25000.00", "self_pay": "20000.00",
                                            "insutype": "390", "bank_account": ACCOUNT})
    no_account = await manual(platform, http, {"person_id": "RD", "date": f"{MONTH}-10", "care": "inpatient",
                                               "area": "out_of_area", "total_cost": "25000.00",
                                               "self_pay": "19000.00", "insutype": "390"})
    hosp, pharm = f"CI-{HOSP}-{MONTH}", f"CI-{PHARM}-{MONTH}"
    r = await http.post(url(platform, "/critical/statements/closings"), headers=FIN, json={"month": "2099-01"})
    assert r.status_code == 409 and error(r)["fields"][0]["field"] == "month"
    closed = await ok(await http.post(url(platform, "/critical/statements/closings"), headers=FIN,
                                      json={"month": MONTH}))
    assert [(s["statement_id"], s["status"], s["payable"]) for s in closed["statements"]] == [
        (hosp, "closed", "8400.00"), (pharm, "closed", "1400.00")]
    again = await ok(await http.post(url(platform, "/critical/statements/closings"), headers=FIN,
                                     json={"statement_ids": [pharm]}))
    assert (again["closed"], again["statements"][0]["replayed"]) == (0, True)

    # Reconciled in one run: the pharmacy's group does not balance yet — reported, the hospital's goes on.
    await holds(platform, http, "21", "50000.00", "8400.00")
    await holds(platform, http, "41", "20000.00", "1.00")
    run = await ok(await http.post(url(platform, "/critical/statements/reconciliations"), headers=FIN,
                                   json={"month": MONTH}))
    assert [(s["statement_id"], s["balanced"]) for s in run["statements"]] == [(hosp, True), (pharm, False)]
    assert (run["reconciled"], run["unbalanced"]) == (1, 1)
    unbalanced = run["statements"][1]["reason_codes"][0]
    assert unbalanced["code"] == "not_balanced" and unbalanced["params"]["groups"].endswith("/41")

    # The account is empty: the whole run is refused naming its shortfall; nothing written.
    r = await http.post(url(platform, "/critical/statements/payments"), headers=FIN, json={"month": MONTH})
    assert r.status_code == 409 and error(r)["code"] == "insufficient_funds", r.text
    assert error(r)["fields"][0]["field"] == "amount" and "short by 9800.00" in error(r)["message"]  # 8400 + 1400
    params = error(r)["params"]
    assert (params["short"], params["needed"], params["balance"], params["account"]) == (
        "9800.00", "9800.00", "0.00", "bank")
    assert await ledger(platform, http) == []
    assert (await ok(await http.get(url(platform, "/critical/payments"), params={"month": MONTH},
                                    headers=FIN)))["payments"] == []

    sup = {"authorization": f"Bearer {tokens.user_token(T, 'supervisor', 'agency', program='qz-critical')}"}
    await ok(await http.post(url(platform, "/fund/allocations"), headers=sup, json={
        "allocation_id": "QZ2025-run", "year": 2025, "kind": "initial", "amount": "20000.00",
        "date": "2025-01-10"}), 201)
    paid = await ok(await http.post(url(platform, "/critical/statements/payments"), headers=FIN,
                                    json={"month": MONTH}), 201)
    assert [(p["payment_id"], p["payee"], p["amount"]) for p in paid["paid"]] == [
        (f"PAY-{hosp}", "institution", "8400.00"), (f"PAY-{paid_to['payable_id']}", "person", "1400.00")]
    assert (paid["count"], paid["amount"], paid["entries_posted"]) == (2, "9800.00", 2)
    assert {s["id"]: s["reason"] for s in paid["skipped"]} == {pharm: "not_reconciled",
                                                                no_account["payable_id"]: "no_bank_account"}
    assert ACCOUNT["account_no"] not in json.dumps(paid)
    entries = await ledger(platform, http)
    assert [(e["kind"], e["amount"], e["reference"]) for e in entries] == [
        ("allocation", "20000.00", ""), ("payment", "8400.00", f"PAY-{hosp}"),
        ("payment", "1400.00", f"PAY-{paid_to['payable_id']}")]
    st = await ok(await http.get(url(platform, f"/critical/statements/{hosp}"), headers=FIN))
    assert (st["status"], st["payment_id"]) == ("paid", f"PAY-{hosp}")

    # A retry pays nothing more; the single endpoint says the statement is paid; named, the unbalanced one is 409.
    again = await ok(await http.post(url(platform, "/critical/statements/payments"), headers=FIN,
                                     json={"month": MONTH}), 200)
    assert again["count"] == 0 and again["already_paid"] == sorted([hosp, paid_to["payable_id"]])
    twice = await http.post(url(platform, f"/critical/statements/{hosp}/payments"), headers=FIN)
    assert twice.status_code == 409 and error(twice)["fields"][0]["field"] == "statement_id"
    r = await http.post(url(platform, "/critical/statements/payments"), headers=FIN, json={"statement_ids": [pharm]})
    assert r.status_code == 409 and error(r)["fields"][0]["field"] == "statement_ids[0]"
    assert len(await ledger(platform, http)) == 3

    # Balanced now: reconciled and paid by name, the payable without an account still refused by name.
    await holds(platform, http, "41", "20000.00", "1400.00")
    run = await ok(await http.post(url(platform, "/critical/statements/reconciliations"), headers=FIN,
                                   json={"statement_ids": [hosp, pharm]}))
    assert [(s["statement_id"], s["replayed"]) for s in run["statements"]] == [(hosp, True), (pharm, False)]
    r = await http.post(url(platform, "/critical/statements/payments"), headers=FIN,
                        json={"statement_ids": [pharm], "payable_ids": [no_account["payable_id"]]})
    assert r.status_code == 422 and error(r)["fields"][0]["field"] == "payable_ids[0]"
    done = await ok(await http.post(url(platform, "/critical/statements/payments"), headers=FIN,
                                    json={"statement_ids": [pharm]}), 201)
    assert [p["amount"] for p in done["paid"]] == ["1400.00"]

    async def issued() -> list[Any] | None:
        got = [decode(m.value).payload for m in platform.bus.messages(topic_for(T, "payment.issued"))]
        return got if len(got) >= 3 else None

    events = await eventually(issued, what="payment.issued of the runs")
    assert sorted(e.payment_id for e in events) == sorted([f"PAY-{hosp}", f"PAY-{pharm}",
                                                           f"PAY-{paid_to['payable_id']}"])


@pytest.mark.parametrize("path", ["/critical/statements/payments", "/critical/statements/reconciliations",
                                  "/critical/statements/closings"])
async def test_runs_are_finance_only_per_tenant_and_name_the_bad_field(platform: EmbeddedPlatform,
                                                                       http: httpx.AsyncClient, path: str) -> None:
    body = {"month": MONTH}
    r = await http.post(url(platform, path), headers=auth(T, "clerk"), json=body)
    assert r.status_code == 403, r.text
    r = await http.post(url(platform, path), headers=auth(T, "supervisor"), json=body)
    assert r.status_code == 403, r.text
    r = await http.post(url(platform, path), headers=auth("hz-p1", "finance"), json=body)
    assert r.status_code == 404, r.text      # a tenant outside the program: the program's statements do not exist
    for bad, field in (({"month": "2025-5"}, "month"), ({}, "month"), ({"statement_ids": ["a b"]}, "statement_ids[0]")):
        r = await http.post(url(platform, path), headers=FIN, json=bad)
        assert r.status_code == 422 and error(r)["fields"][0]["field"] == field, (bad, r.text)
    r = await http.post(url(platform, path), headers=FIN, json={"statement_ids": ["CI-NOPE-2025-05"]})
    assert r.status_code == 404 and error(r)["fields"][0]["field"] == "statement_ids[0]"
