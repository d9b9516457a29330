"""The carriers' fund finance on the embedded platform: the agency's allocation split 6:4 into hz-p1's and hz-p2's
dedicated accounts, advances and repayments, a statement payment refused beyond the bank balance (nothing written)
and booked once covered, the year-end deficit with fee deduction and fund 3 : carriers 7, and tenant isolation.

The year's budget is set to 400.00 for hz-chronic (the sample 480,000,000.00 needs a program's worth of claims)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from chassis.bus.port import BusMessage
from chassis.calendar import today_cn
from chassis.events import decode, encode, new_event, topic_for
from contracts.v1 import common_pb2, events_pb2
from jingban.embedded import EmbeddedPlatform
from services.settlement.fund.service import account as fd
from tests.conftest import auth, embedded_port_offset, eventually
from tests.support import tokens
from tests.support.review import reviewed

# Data of fund year 2025, paid "today": the date these tests were written on (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("fixture_business_date")

SAMPLE = Path(__file__).resolve().parents[2] / "programs" / "hz-chronic" / "policy-2025.yaml"
CARRIER = "H61070000001"
INST = "H610702031"
PERSON = "610702196001010310"


def sup(tenant: str = "hz-p1", program: str = "hz-chronic") -> dict[str, str]:
    return {"authorization": f"Bearer {tokens.user_token(tenant, 'supervisor', 'agency-1', program=program)}"}


@pytest.fixture(scope="module", autouse=True)
def small_budget() -> Iterator[None]:
    original = fd.budget_of
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fd, "budget_of", lambda program, year: Decimal("400.00") if program.code == "hz-chronic"
                   else original(program, year))
        yield


@pytest.fixture(scope="module")
async def platform() -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={}, port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


def url(platform: EmbeddedPlatform, path: str) -> str:
    return f"{platform.url('settlement')}/v1/fund{path}"


async def balances(platform: EmbeddedPlatform, http: httpx.AsyncClient, tenant: str) -> dict[str, str]:
    r = await http.get(url(platform, "/balance"), params={"on": today_cn().isoformat(), "year": 2025},
                       headers=auth(tenant, "finance"))
    assert r.status_code == 200, r.text
    return r.json()["balances"]


async def test_allocation_lands_6_4_and_only_the_agency_allocates(platform: EmbeddedPlatform,
                                                                  http: httpx.AsyncClient) -> None:
    body = {"allocation_id": "HZ2025-INIT", "year": 2025, "kind": "initial", "amount": "100.00",
            "date": "2025-01-10"}
    r = await http.post(url(platform, "/allocations"), json=body, headers=sup())
    assert r.status_code == 201, r.text
    assert {e["tenant"]: e["amount"] for e in r.json()["entries"]} == {"hz-p1": "60.00", "hz-p2": "40.00"}
    assert [c["code"] for c in r.json()["reason_codes"]] == ["initial_allocation"]
    again = await http.post(url(platform, "/allocations"), json=body, headers=sup())
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert (await balances(platform, http, "hz-p1"))["bank"] == "60.00"
    assert (await balances(platform, http, "hz-p2"))["fund_payable"] == "40.00"
    # Beyond 25% of the budget (100.00 of 400.00 already): refused, nothing written.
    r = await http.post(url(platform, "/allocations"), headers=sup(), json={**body, "allocation_id": "X2",
                                                                           "amount": "0.01"})
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "amount"
    r = await http.post(url(platform, "/allocations"), headers=sup(), json={
        "allocation_id": "HZ2025-Q3", "year": 2025, "kind": "in_year", "amount": "240.01", "date": "2025-07-01"})
    assert r.status_code == 422 and "beyond 60" in r.json()["error"]["message"]
    # A carrier may not allocate; another program's supervisor cannot reach hz tenants.
    assert (await http.post(url(platform, "/allocations"), json=body, headers=auth("hz-p1", "finance"))
            ).status_code == 403
    assert (await http.post(url(platform, "/allocations"), json={**body, "allocation_id": "QZ"},
                            headers=sup("qz-ci", "hz-chronic"))).status_code == 403
    r = await http.post(url(platform, "/allocations"), headers=sup("qz-ci", "qz-critical"), json={
        **body, "allocation_id": "QZ2025-1", "amount": "1000.00"})
    assert r.status_code == 201 and [e["tenant"] for e in r.json()["entries"]] == ["qz-ci"]
    assert (await balances(platform, http, "hz-p1"))["bank"] == "60.00"
    # Three decimals and missing keys are precise errors.
    r = await http.post(url(platform, "/allocations"), headers=sup(), json={**body, "amount": "1.005"})
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "amount"
    r = await http.post(url(platform, "/allocations"), headers=sup(), json={**body, "allocation_id": ""})
    assert r.json()["error"]["fields"][0]["field"] == "allocation_id"


async def test_advance_and_repayment(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    h = auth("hz-p2", "finance")
    r = await http.post(url(platform, "/advances"), headers=h,
                        json={"advance_id": "ADV-P2-1", "date": "2025-02-01", "amount": "30.00"})
    assert r.status_code == 201, r.text
    r = await http.post(url(platform, "/advances/ADV-P2-1/repayments"), headers=h,
                        json={"repayment_id": "RP-1", "date": "2025-03-01", "amount": "10.00"})
    assert r.status_code == 201, r.text
    r = await http.post(url(platform, "/advances/ADV-P2-1/repayments"), headers=h,
                        json={"repayment_id": "RP-2", "date": "2025-03-02", "amount": "20.01"})
    assert r.status_code == 409 and "20.00 outstanding" in r.json()["error"]["message"]
    b = await balances(platform, http, "hz-p2")
    assert (b["bank"], b["carrier_advances"]) == ("60.00", "20.00")
    # A clerk posts nothing; hz-p1 cannot repay hz-p2's advance (it does not exist for hz-p1).
    assert (await http.post(url(platform, "/advances"), headers=auth("hz-p2", "clerk"),
                            json={"advance_id": "A", "date": "2025-02-01", "amount": "1.00"})).status_code == 403
    assert (await http.post(url(platform, "/advances/ADV-P2-1/repayments"), headers=auth("hz-p1", "finance"),
                            json={"repayment_id": "RP-9", "date": "2025-03-01", "amount": "1.00"})).status_code == 404


async def grant(platform: EmbeddedPlatform, tenant: str, person: str, disease: str, granted_on: str) -> None:
    q = common_pb2.Qualification(qualification_id=f"q-{person}", person_id=person, disease_code=disease,
                                 granted_on=granted_on, benefit_start=granted_on, status="active")
    ev = new_event("qualification.granted", tenant, person, events_pb2.QualificationGranted(qualification=q),
                   source="appraisal", trace_context={})
    await platform.bus.publish([BusMessage(topic_for(tenant, "qualification.granted"), person, encode(ev))])


async def test_payment_refused_beyond_the_balance_then_booked(platform: EmbeddedPlatform, http: httpx.AsyncClient
                                                              ) -> None:
    s = platform.url("settlement")
    r = await http.post(f"{s}/v1/policies", content=SAMPLE.read_bytes(),
                        headers={**auth("hz-p1", "ops"), "content-type": "application/yaml"})
    assert r.status_code in (200, 201), r.text
    await grant(platform, "hz-p1", PERSON, "SCZ", "2025-01-03")

    async def held() -> bool:
        r = await http.get(f"{s}/v1/persons/{PERSON}/accumulators", params={"year": 2025},
                           headers=auth("hz-p1", "finance"))
        return r.status_code == 200 and len(r.json()["accounts"]) == 1

    await eventually(held, what="holding")
    r = await http.post(f"{s}/v1/claims/batches", headers=auth("hz-p1", "institution", INST), json={
        "month": "2025-09", "lines": [{"claim_id": "F1", "person_id": PERSON, "date": "2025-09-03", "disease": "SCZ",
                                       "amount": "600.00", "covered": True}]})
    assert r.status_code == 201, r.text
    await reviewed(http, s, r.json()["batch_id"])  # smart review answered: the statement may close
    sid = f"{INST}-2025-09"
    fin = auth("hz-p1", "finance")
    assert (await http.post(f"{s}/v1/statements/{sid}/close", headers=fin)).status_code == 200
    platform.simulator.config.app.state.simulator.record_settlements(  # type: ignore[union-attr]
        CARRIER, date(2025, 9, 1), date(2025, 9, 30), medical_fee_total=Decimal("600.00"),
        fund_paid_total=Decimal("480.00"), count=1)
    assert (await http.post(f"{s}/v1/statements/{sid}/reconcile", headers=fin)).status_code == 200
    r = await http.post(f"{s}/v1/statements/{sid}/payments", headers=fin)
    assert r.status_code == 409 and "short by 420.00" in r.json()["error"]["message"], r.text
    assert (await http.get(f"{s}/v1/payments", params={"month": "2025-09"}, headers=fin)).json()["payments"] == []
    ledger = (await http.get(url(platform, "/ledger"), params={"year": 2025}, headers=fin)).json()["entries"]
    assert [e["kind"] for e in ledger] == ["allocation"]
    assert (await http.get(f"{s}/v1/statements/{sid}", headers=fin)).json()["status"] == "reconciled"

    r = await http.post(url(platform, "/advances"), headers=fin,
                        json={"advance_id": "ADV-P1-1", "date": "2025-09-30", "amount": "420.00"})
    assert r.status_code == 201
    r = await http.post(f"{s}/v1/statements/{sid}/payments", headers=fin)
    assert r.status_code == 201, r.text
    b = await balances(platform, http, "hz-p1")
    assert (b["bank"], b["benefits_paid"], b["carrier_advances"]) == ("0.00", "480.00", "420.00")
    rec = (await http.get(url(platform, "/reconciliation"), params={"year": 2025}, headers=fin)).json()
    assert rec["payments"][0]["payment_id"] == f"PAY-{sid}" and rec["payments"][0]["matches"] is True
    assert rec["allocations"][0]["expected"] == "60.00" and rec["balanced"] is True
    xlsx = await http.get(url(platform, "/reconciliation"), params={"year": 2025, "format": "xlsx"}, headers=fin)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    tb = (await http.get(url(platform, "/trial-balance"), params={"year": 2025}, headers=fin)).json()
    assert tb["balanced"] and tb["total_debit"] == "480.00"

    async def posted() -> list[Any] | None:
        evs = [decode(m.value) for m in platform.bus.messages(topic_for("hz-p1", "ledger.posted"))]
        return evs if any(e.payload.kind == "payment" for e in evs) else None

    evs = await eventually(posted, what="ledger.posted")
    assert [e.payload.amount for e in evs if e.payload.kind == "payment"] == ["480.00"]


async def test_year_end_deficit_fee_deduction_and_3_7(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    # Budget 400 (p1 240, p2 160); paid 480 → deficit 80. Fees on 480: p1 480×0.6×0.008 = 2.30, p2 480×0.4×0.0085
    # = 1.63 → the rest 76.07: fund 22.82, carriers 53.25 → p1 31.95, p2 21.30. p1 position 60 − 480 = −420 → the
    # fund pays in 420 − 2.30 − 31.95 = 385.75; p2 position 40 → returns 40 + 1.63 + 21.30 = 62.93, but holds 60.
    close = url(platform, "/years/2025/close")
    r = await http.post(close, headers=sup(), json={"date": "2025-12-31"})
    assert r.status_code == 409 and "still open" in r.json()["error"]["message"]
    assert (await http.post(close, headers=auth("hz-p1", "finance"), json={})).status_code == 403
    r = await http.post(close, headers=sup(), json={"date": "2026-01-20"})
    assert r.status_code == 409 and "short by 2.93" in r.json()["error"]["message"], r.text
    assert (await http.get(url(platform, "/years/2025"), headers=auth("hz-p1", "finance"))).json()["status"] == "open"
    ledger = (await http.get(url(platform, "/ledger"), params={"year": 2025}, headers=auth("hz-p1", "finance"))).json()
    assert "year_end" not in [e["kind"] for e in ledger["entries"]]

    r = await http.post(url(platform, "/advances"), headers=auth("hz-p2", "finance"),
                        json={"advance_id": "ADV-P2-2", "date": "2026-01-15", "year": 2025, "amount": "3.00"})
    assert r.status_code == 201, r.text
    r = await http.post(close, headers=sup(), json={"date": "2026-01-20"})
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    assert (result["outcome"], result["result"], result["fee_deductions"], result["fund_part"],
            result["carriers_part"]) == ("deficit", "-80.00", "3.93", "22.82", "53.25")
    assert [c["code"] for c in result["reason_codes"]] == ["year_result", "deficit_from_fees", "deficit_split"]
    assert result["reasons"] == [c["detail"] for c in result["reason_codes"]]  # the sentences, as before
    assert result["reason_codes"][2]["params"]["carriers_part"] == "53.25"
    assert [c["code"] for c in result["budget_reason_codes"]] == ["budget_planned"]
    acc = {a["account"]["tenant"]: a["account"] for a in r.json()["accounts"]}
    assert (acc["hz-p1"]["fee_deduction"], acc["hz-p1"]["carrier_deficit"], acc["hz-p1"]["settlement"]) == (
        "2.30", "31.95", "385.75")
    assert (acc["hz-p2"]["fee_deduction"], acc["hz-p2"]["carrier_deficit"], acc["hz-p2"]["returned"]) == (
        "1.63", "21.30", "62.93")
    assert [c["code"] for c in acc["hz-p1"]["reason_codes"]] == ["fee_deduction", "carrier_deficit",
                                                                 "deficit_settlement"]
    p1, p2 = await balances(platform, http, "hz-p1"), await balances(platform, http, "hz-p2")
    assert (p1["bank"], p1["fund_payable"], p1["benefits_paid"], p1["deficit_carrier"]) == (
        "385.75", "0.00", "0.00", "31.95")
    assert (p2["bank"], p2["service_fee_offset"]) == ("0.07", "1.63")
    again = await http.post(close, headers=sup(), json={"date": "2026-01-20"})
    assert again.status_code == 200 and again.json()["replayed"] is True
    year = (await http.get(url(platform, "/years/2025"), headers=auth("hz-p2", "finance"))).json()
    assert year["status"] == "closed" and year["account"]["carrier_share"] == "22.93"
    r = await http.post(url(platform, "/interest"), headers=auth("hz-p1", "finance"),
                        json={"interest_id": "I-late", "date": "2026-01-25", "year": 2025, "amount": "1.00"})
    assert r.status_code == 409 and "closed" in r.json()["error"]["message"]

    async def closed() -> list[Any] | None:
        evs = [decode(m.value) for m in platform.bus.messages(topic_for("hz-p1", "fund_year.closed"))]
        return evs or None

    ev = (await eventually(closed, what="fund_year.closed"))[0]
    assert (ev.payload.outcome, ev.payload.amount, ev.payload.carrier_share) == ("deficit", "80.00", "34.25")
    detail = json.loads(ev.payload.detail_json)  # the calculation with its reasons, as codes too
    assert [c["code"] for c in detail["account"]["reason_codes"]] == ["fee_deduction", "carrier_deficit",
                                                                      "deficit_settlement"]


async def test_tenants_never_see_each_other(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    p2 = auth("hz-p2", "finance")
    ledger = (await http.get(url(platform, "/ledger"), params={"year": 2025}, headers=p2)).json()
    assert ledger["entries"] and {e["tenant"] for e in ledger["entries"]} == {"hz-p2"}
    for path, params in (("/ledger", {"year": 2025}), ("/balance", {"on": "2025-12-31"}),
                         ("/trial-balance", {"year": 2025}), ("/reconciliation", {"year": 2025}),
                         ("/years/2025", {}), ("/service-fee", {"year": 2025})):
        r = await http.get(url(platform, path), params={**params, "tenant": "hz-p1"}, headers=p2)
        assert r.status_code == 404, (path, r.text)
        r = await http.get(url(platform, path), params={**params, "tenant": "hz-p1"}, headers=auth("qz-ci", "finance"))
        assert r.status_code == 404, path
        r = await http.get(url(platform, path), params={**params, "tenant": "hz-p1"}, headers=sup("hz-p2"))
        assert r.status_code == 200, (path, r.text)
    r = await http.post(url(platform, "/entries/allocation:HZ2025-INIT/reversal"), headers=auth("qz-ci", "finance"),
                        json={"date": "2025-02-01"})
    assert r.status_code == 404
    accounts = (await http.get(url(platform, "/accounts"), headers=p2)).json()["accounts"]
    assert {a["tenant"] for a in accounts} == {"hz-p2"}
    accounts = (await http.get(url(platform, "/accounts"), headers=sup())).json()["accounts"]
    assert {a["tenant"] for a in accounts} == {"hz-p1", "hz-p2"}
    fee = (await http.get(url(platform, "/service-fee"), params={"year": 2025, "targets_met": 1, "targets_total": 2},
                          headers=auth("hz-p1", "finance"))).json()
    assert (fee["fee"], fee["base"], fee["performance"]) == ("2.30", "1.84", "0.23")
    assert [c["code"] for c in fee["reason_codes"]] == ["service_fee", "fee_below_cap", "base_fee", "performance_fee"]
    assert [c["code"] for c in fee["total_reimbursement_reason_codes"]] == ["total_from_books"]


async def test_reversal_of_an_entry(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    q = auth("qz-ci", "finance")
    r = await http.post(url(platform, "/interest"), headers=q,
                        json={"interest_id": "QI-1", "date": "2026-03-01", "amount": "5.00"})
    assert r.status_code == 201, r.text
    r = await http.post(url(platform, "/entries/interest:QI-1/reversal"), headers=q, json={"date": "2026-03-02"})
    assert r.status_code == 201 and r.json()["reverses"] == "interest:QI-1"
    r = await http.post(url(platform, "/entries/reversal:interest:QI-1/reversal"), headers=q, json={})
    assert r.status_code == 409
    b = (await http.get(url(platform, "/balance"), params={"on": "2026-03-02"}, headers=q)).json()["balances"]
    assert b["interest_income"] == "0.00"


async def test_the_agency_sets_the_years_budget(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    """The budget (年度预算) is the agency's: set in both carriers' books, read by each, refused to anyone else,
    refused below the allocations already made, and then the allocation limits follow it."""
    path = url(platform, "/budgets/2026")
    planned = (await http.get(path, headers=auth("hz-p2", "finance"))).json()
    assert [c["code"] for c in planned["reason_codes"]] == ["budget_planned"]
    for headers in (auth("hz-p1", "finance"), sup("hz-p1", "qz-critical")):
        r = await http.put(path, headers=headers, json={"amount": "1000.00"})
        assert r.status_code in (403, 404), r.text
    # Quzhou's agency sets its own program's budget: only qz-ci's books.
    r = await http.put(path, headers=sup("qz-ci", "qz-critical"), json={"amount": "7000.00"})
    assert r.status_code == 200 and r.json()["tenants"] == ["qz-ci"], r.text
    r = await http.put(path, headers=sup(), json={"amount": "1000.005"})
    assert r.status_code == 422 and "amount" in r.text
    assert (await http.get(path, headers=auth("hz-p2", "finance"))).json()["amount"] == planned["amount"]
    r = await http.put(path, headers=sup(), json={"amount": "1000.00"})
    assert r.status_code == 200, r.text
    for tenant in ("hz-p1", "hz-p2"):
        mine = (await http.get(path, headers=auth(tenant, "finance"))).json()
        assert (mine["amount"], mine["tenant"]) == ("1000.00", tenant)
        assert [c["code"] for c in mine["reason_codes"]] == ["budget_set"]
    assert (await http.get(path, headers=auth("qz-ci", "finance"))).json()["program"] == "qz-critical"
    # 25% of 1,000 may be allocated at the start of 2026, not a fen more; then the budget cannot drop below it.
    body = {"allocation_id": "HZ2026-INIT", "year": 2026, "kind": "initial", "amount": "250.01",
            "date": today_cn().isoformat()}
    r = await http.post(url(platform, "/allocations"), headers=sup(), json=body)
    assert r.status_code == 422 and "amount" in r.text
    r = await http.post(url(platform, "/allocations"), headers=sup(), json={**body, "amount": "250.00"})
    assert r.status_code == 201, r.text
    r = await http.put(path, headers=sup(), json={"amount": "999.00"})
    assert r.status_code == 422 and "exceed" in r.text
