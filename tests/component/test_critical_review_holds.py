"""Smart review (智能审核) of critical illness claims with item lines (qz-ci), settlement and audit together on the
embedded platform (in-memory bus and stores): an upload whose claims carry lines — a duplicate charge planted across
two claims, an over-priced line — is settled and sent to audit (claim_lines.submitted, source `critical`), reviewed
with qz-critical's rule set and answered: the lines are held and the institution's statement of the month does not
close (409 `review_pending`); a reviewer confirms the duplicate (拒付: the fund's share of the hit's amount,
payable × hit amount ÷ the claim's total, taken off the statement with `smart_review_refused`) and dismisses the
other (released) → the statement closes and pays the rest. Bad lines are refused on their field, nothing stored;
a claim without lines is not reviewed and its statement closes as before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from jingban.embedded import EmbeddedPlatform
from tests.conftest import auth, embedded_port_offset, eventually

pytestmark = pytest.mark.usefixtures("fixture_business_date")   # today 2026-11-30: March 2025 is over

T = "qz-ci"
HOSP = "H330802001"
MAN = "330802196001010531"     # born 1960-01-01, a man
OTHER = "330802197001010521"
FIN = auth(T, "finance")


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


def review(platform: EmbeddedPlatform, path: str) -> str:
    return f"{platform.url('audit')}/v1/review{path}"


def item(line_id: str, code: str, day: str, price: str, quantity: str = "1", amount: str | None = None
         ) -> dict[str, Any]:
    return {"line_id": line_id, "item_code": code, "date": day, "quantity": quantity, "unit_price": price,
            "amount": amount or price}


def claim(cid: str, person: str, day: str, total: str, self_pay: str, care: str = "inpatient",
          **extra: Any) -> dict[str, Any]:
    return {"claim_id": cid, "person_id": person, "date": day, "care": care, "area": "in_area", "networked": True,
            "total_cost": total, "self_pay": self_pay, **extra}


async def statement(platform: EmbeddedPlatform, http: httpx.AsyncClient, sid: str) -> dict[str, Any]:
    r = await http.get(url(platform, f"/critical/statements/{sid}"), headers=FIN)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_planted_duplicate_held_confirmed_and_the_statement_refuses_the_share(
        platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    # C1 (self-pay 19,000: 1,000 above the deductible, 70% → 700.00) bills S011 on 2 March and S002 above its
    # maximum price (30.00 > 25.00); C2 (a special-disease visit, self-pay 1,000 → 700.00) bills the same S011 again.
    c1 = claim("C1", MAN, "2025-03-10", "19000.00", "19000.00", lines=[
        item("1", "B001", "2025-03-02", "50.00"), item("2", "S011", "2025-03-02", "20.00"),
        item("3", "S002", "2025-03-02", "30.00")])
    c2 = claim("C2", MAN, "2025-03-12", "1000.00", "1000.00", "special_outpatient",
               lines=[item("1", "S011", "2025-03-02", "20.00")])
    r = await http.post(url(platform, "/critical/claims"), json={"claims": [c1, c2]},
                        headers=auth(T, "institution", HOSP))
    assert r.status_code == 201, r.text
    assert [c["payable"] for c in r.json()["claims"]] == ["700.00", "700.00"]
    assert r.json()["claims"][0]["lines"][2]["amount"] == "30.00"
    sid = f"CI-{HOSP}-2025-03"

    async def held() -> dict[str, Any] | None:
        s = await statement(platform, http, sid)
        return s if s["review"]["pending_batches"] == 0 and s["review"]["held_lines"] == 2 else None

    s = await eventually(held, what="the review of the critical claims")
    assert s["review"]["open_hits"] == 2 and s["payable"] == "1400.00" and s["refused"] == "0.00"
    closing = await http.post(url(platform, f"/critical/statements/{sid}/close"), headers=FIN)
    assert closing.status_code == 409, closing.text
    error = closing.json()["error"]
    assert error["code"] == "review_pending" and error["params"]["held_lines"] == "2"
    run = await http.post(url(platform, "/critical/statements/closings"), json={"month": "2025-03"}, headers=FIN)
    assert run.status_code == 200 and run.json()["statements"][0]["reason"] == "review_pending", run.text
    named = await http.post(url(platform, "/critical/statements/closings"), json={"statement_ids": [sid]},
                            headers=FIN)
    assert named.status_code == 409 and named.json()["error"]["code"] == "review_pending"

    found = (await http.get(review(platform, "/hits"), params={"source": "critical"},
                            headers=auth(T, "reviewer"))).json()["hits"]
    hits = {h["rule"]: h for h in found}
    assert set(hits) == {"duplicate_charge", "over_price"}, found
    assert hits["duplicate_charge"]["held_line_ids"] == ["C2|1"] and hits["duplicate_charge"]["amount"] == "20.00"
    assert MAN not in str(found)
    for rule, decision in (("duplicate_charge", "confirm"), ("over_price", "dismiss")):
        d = await http.post(review(platform, f"/hits/{hits[rule]['hit_id']}/decision"),
                            json={"decision": decision, "note": "核查"}, headers=auth(T, "reviewer"))
        assert d.status_code == 200, d.text

    async def decided() -> dict[str, Any] | None:
        s = await statement(platform, http, sid)
        return s if s["review"]["open_hits"] == 0 and s["refused_claims"] == 1 else None

    s = await eventually(decided, what="the decisions at settlement")
    # C2 pays 700.00 of its total 1,000.00: the duplicate's 20.00 refuses 700 × 20 / 1000 = 14.00 of it.
    assert (s["refused"], s["payable"]) == ("14.00", "1386.00")
    (refusal,) = s["refusals"]
    assert (refusal["claim_id"], refusal["rule"], refusal["refused"], refusal["hit_amount"]) == (
        "C2", "duplicate_charge", "14.00", "20.00")
    (reason,) = refusal["reason_codes"]
    assert reason["code"] == "smart_review_refused"
    assert reason["params"] == {"rule": "duplicate_charge", "hit_id": hits["duplicate_charge"]["hit_id"]}
    closed = await http.post(url(platform, f"/critical/statements/{sid}/close"), headers=FIN)
    assert closed.status_code == 200, closed.text
    assert (closed.json()["payable"], closed.json()["refused"]) == ("1386.00", "14.00")
    # The 3201 groups keep what the platform settled; the statement pays the rest.
    assert sum(float(g["payable"]) for g in closed.json()["groups"]) == 1400.00
    again = await statement(platform, http, sid)
    assert again["status"] == "closed" and again["refusals"][0]["hit_id"] == hits["duplicate_charge"]["hit_id"]


@pytest.mark.parametrize(("lines", "field", "code"), [
    ([item("1", "S011", "2025-04-02", "20.00"), item("2", "S002", "2025-04-02", "12.50", "3", "37.49")],
     "claims[0].lines[1].amount", "amount_mismatch"),
    ([item("1", "S011", "2025-04-02", "20.00"), item("1", "S002", "2025-04-02", "25.00")],
     "claims[0].lines[1].line_id", "duplicate_line_id"),
    ([item("1", "S400", "2025-04-02", "300.00", "5", "1500.00")], "claims[0].lines", "lines_exceed_total"),
    ([item("1", "S011", "2025-04-02", "20.00", "0")], "claims[0].lines[0].quantity", "invalid_input"),
    ("x", "claims[0].lines", "invalid_input"),
])
async def test_bad_lines_are_refused_on_their_field_and_nothing_is_stored(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, lines: Any, field: str, code: str) -> None:
    r = await http.post(url(platform, "/critical/claims"),
                        json={"claims": [claim("B1", OTHER, "2025-04-10", "1000.00", "900.00", lines=lines)]},
                        headers=auth(T, "institution", HOSP))
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["fields"][0]["field"] == field and error["code"] == code, error
    account = await http.get(url(platform, f"/critical/persons/{OTHER}/account"), params={"year": 2025},
                             headers=auth(T, "clerk"))
    assert account.status_code == 404


async def test_a_claim_without_lines_is_not_reviewed(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    inst = "H330802009"
    r = await http.post(url(platform, "/critical/imports"), json={"records": [{
        "setl_id": "S-1", "psn_no": OTHER, "setl_time": "2025-05-06 10:00:00", "med_type": "21",
        "medfee_sumamt": "20000.00", "psn_part_amt": "19000.00", "fulamt_ownpay_amt": "0.00",
        "mdtrt_admdvs": "330802", "fixmedins_code": inst}]}, headers=auth(T, "clerk"))
    assert r.status_code == 201, r.text
    assert "lines" not in r.json()["claims"][0]
    s = await statement(platform, http, f"CI-{inst}-2025-05")
    assert s["review"] == {"pending_batches": 0, "held_lines": 0, "open_hits": 0, "refused_lines": 0}
    closed = await http.post(url(platform, f"/critical/statements/CI-{inst}-2025-05/close"), headers=FIN)
    assert closed.status_code == 200 and closed.json()["refused"] == "0.00", closed.text
