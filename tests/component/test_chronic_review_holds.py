"""Smart review (智能审核) of chronic month-end uploads, settlement and audit together on the embedded platform
(in-memory bus and stores): an upload with planted duplicates, an over-priced line and a sex-restricted one is
adjudicated, sent to audit (claim_lines.submitted), reviewed with hz-chronic's rule set and answered
(claim_review.completed): the hit lines are held and the statement does not close (409 `review_pending`, with the
counts); a reviewer confirms one hit (its lines refused, 拒付, reason `smart_review_refused` with the rule and hit)
and dismisses the others (released) → the statement closes and pays the rest, showing the refused amount with its
reason codes. Quantity and unit price columns (JSON and CSV), an amount that is not quantity × unit price refused on
its line and field with nothing stored, and a person whose sex and birth date come from the identity number."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from chassis.bus.port import BusMessage
from chassis.events import decode, encode, new_event, topic_for
from contracts.v1 import common_pb2, events_pb2
from jingban.embedded import EmbeddedPlatform
from tests.conftest import auth, embedded_port_offset, eventually
from tests.support.review import reviewed

pytestmark = pytest.mark.usefixtures("fixture_business_date")

SAMPLE = Path(__file__).resolve().parents[2] / "programs" / "hz-chronic" / "policy-2025.yaml"
MAN = "610702196001010531"     # born 1960-01-01, 17th digit 3: a man
WOMAN = "61070219750315002X"   # born 1975-03-15, 17th digit 2: a woman
HOSPITAL = "H610702031"
MONTH = "2025-06"


@pytest.fixture(scope="module")
async def platform() -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={}, port_offset=embedded_port_offset())
    await p.start()
    async with httpx.AsyncClient(timeout=20) as http:
        r = await http.post(f"{p.url('settlement')}/v1/policies", content=SAMPLE.read_bytes(),
                            headers={**auth("hz-p1", "ops"), "content-type": "application/yaml"})
        assert r.status_code in (200, 201), r.text
        for person in (MAN, WOMAN):
            q = common_pb2.Qualification(qualification_id=f"q-{person}", person_id=person, disease_code="DL",
                                         granted_on="2025-01-02", benefit_start="2025-01-02", status="active")
            ev = new_event("qualification.granted", "hz-p1", person, events_pb2.QualificationGranted(qualification=q),
                           source="appraisal", trace_context={})
            await p.bus.publish([BusMessage(topic_for("hz-p1", "qualification.granted"), person, encode(ev))])
        for person in (MAN, WOMAN):
            async def holds(person: str = person) -> bool:
                r = await http.get(f"{p.url('settlement')}/v1/persons/{person}/accumulators", params={"year": 2025},
                                   headers=auth("hz-p1", "finance"))
                return r.status_code == 200 and len(r.json()["accounts"]) == 1
            await eventually(holds, what="the holdings")
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


def line(claim: str, person: str, day: str, item: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {"claim_id": claim, "person_id": person, "date": day, "disease": "DL", "amount": amount, "covered": True,
            "item_code": item, "description": "", **extra}


async def upload(platform: EmbeddedPlatform, http: httpx.AsyncClient, lines: list[dict[str, Any]],
                 batch_id: str, institution: str = HOSPITAL, month: str = MONTH) -> httpx.Response:
    return await http.post(f"{platform.url('settlement')}/v1/claims/batches",
                           json={"month": month, "batch_id": batch_id, "lines": lines},
                           headers=auth("hz-p1", "institution", institution))


def settlement(platform: EmbeddedPlatform, path: str) -> str:
    return f"{platform.url('settlement')}/v1{path}"


def review(platform: EmbeddedPlatform, path: str) -> str:
    return f"{platform.url('audit')}/v1/review{path}"


# The planted month: S011 (血糖测定, max 8.00, four a day) twice for the man on 3 June in two claims — a duplicate
# charge; D101 (metformin 0.5g, max 0.50 a tablet) at 0.80 × 60 — over price; D203 (tamsulosin, men only) for the
# woman; the rest clean.
PLANTED = [
    line("C1", MAN, "2025-06-03", "S011", "8.00"),
    line("C1", MAN, "2025-06-03", "D101", "48.00", quantity="60", unit_price="0.80", days_supply=30),
    line("C2", MAN, "2025-06-03", "S011", "8.00"),
    line("C3", WOMAN, "2025-06-05", "D203", "90.00", quantity="30", unit_price="3.00"),
    line("C4", WOMAN, "2025-06-06", "S200", "400.00"),
]


async def test_planted_hits_are_held_decided_and_the_statement_pays_the_rest(
        platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    r = await upload(platform, http, PLANTED, "rv-june")
    assert r.status_code == 201, r.text
    assert r.json()["review"]["state"] in ("pending", "reviewed") and r.json()["review"]["parts"] == 1
    batch = await reviewed(http, platform.url("settlement"), "rv-june")
    hits = {h["rule"]: h for h in batch["review"]["hits"]}
    assert set(hits) == {"duplicate_charge", "over_price", "sex_restricted"}, hits
    assert batch["review"]["rule_set_version"] == "hz-review-sample.1"
    assert batch["review"]["catalogue_version"] == "hz-catalogue-sample.1"
    # The duplicate holds the later line (C2|1, the one charged twice), not the first.
    assert hits["duplicate_charge"]["line_ids"] == ["C2|1"] and hits["duplicate_charge"]["amount"] == "8.00"
    assert hits["over_price"]["line_ids"] == ["C1|2"] and hits["over_price"]["amount"] == "18.00"
    assert hits["sex_restricted"]["line_ids"] == ["C3|1"]

    sid = f"{HOSPITAL}-{MONTH}"
    statement = (await http.get(settlement(platform, f"/statements/{sid}"), headers=auth("hz-p1", "finance"))).json()
    assert statement["held_lines"] == 3 and statement["review"]["open_hits"] == 3
    closing = await http.post(settlement(platform, f"/statements/{sid}/close"), headers=auth("hz-p1", "finance"))
    assert closing.status_code == 409, closing.text
    error = closing.json()["error"]
    assert error["code"] == "review_pending" and error["params"]["held_lines"] == "3", error
    assert error["params"]["pending_batches"] == "0"

    # The claims show each held line's review; the institution sees its own hits at audit's door.
    claims = (await http.get(settlement(platform, "/claims"), params={"batch_id": "rv-june"},
                             headers=auth("hz-p1", "finance"))).json()["claims"]
    by_line = {f"{c['claim_id']}|{ln['line']}": ln for c in claims for ln in c["lines"]}
    assert by_line["C2|1"]["review"]["state"] == "held" and "review" not in by_line["C1|1"]
    assert by_line["C1|2"]["quantity"] == "60" and by_line["C1|2"]["unit_price"] == "0.80"
    own = await http.get(review(platform, "/hits"), params={"batch_id": "rv-june"},
                         headers=auth("hz-p1", "institution", HOSPITAL))
    assert own.status_code == 200 and len(own.json()["hits"]) == 3
    hit = own.json()["hits"][0]
    assert MAN not in str(own.json()) and WOMAN not in str(own.json())  # hits never name the person
    assert hit["reason"]["code"] == hit["rule"]

    # A reviewer confirms the duplicate (拒付) and dismisses the others.
    decided = await http.post(review(platform, f"/hits/{hits['duplicate_charge']['hit_id']}/decision"),
                              json={"decision": "confirm", "note": "同日重复收取诊查费"},
                              headers=auth("hz-p1", "reviewer", "rev-1"))
    assert decided.status_code == 200 and decided.json()["state"] == "confirmed", decided.text
    for rule in ("over_price", "sex_restricted"):
        r = await http.post(review(platform, f"/hits/{hits[rule]['hit_id']}/decision"),
                            json={"decision": "dismiss", "note": "核实无误"}, headers=auth("hz-p1", "reviewer"))
        assert r.status_code == 200, r.text
    again = await http.post(review(platform, f"/hits/{hits['over_price']['hit_id']}/decision"),
                            json={"decision": "confirm", "note": "改判"}, headers=auth("hz-p1", "reviewer"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "hit_already_decided"

    async def released() -> dict[str, Any] | None:
        s = (await http.get(settlement(platform, f"/statements/{sid}"), headers=auth("hz-p1", "finance"))).json()
        return s if s["held_lines"] == 0 and s["refused_lines"] == 1 else None

    before = await eventually(released, what="the decisions at settlement")
    closed = await http.post(settlement(platform, f"/statements/{sid}/close"), headers=auth("hz-p1", "finance"))
    assert closed.status_code == 200, closed.text
    s = closed.json()
    # DL: each person's deductible 300 a year first, then 90%. Claimed 8 + 48 + 8 + 90 + 400 = 554; the man's 64
    # all go to his deductible (his duplicate was to pay nothing: refused 0.00); the woman's 490: 300, then 171.00.
    assert Decimal(s["claimed"]) == Decimal("554.00") and s["refused_lines"] == 1
    assert (s["payable"], s["refused"]) == ("171.00", "0.00")
    (refusal,) = s["refusals"]
    assert (refusal["claim_id"], refusal["line"], refusal["rule"]) == ("C2", 1, "duplicate_charge")
    (reason,) = refusal["reason_codes"]
    assert reason["code"] == "smart_review_refused"
    assert reason["params"] == {"rule": "duplicate_charge", "hit_id": hits["duplicate_charge"]["hit_id"]}
    assert Decimal(s["payable"]) == Decimal(before["payable"])
    assert Decimal(s["payable"]) + Decimal(s["refused"]) + Decimal(s["patient_pays"]) == Decimal(s["claimed"])


async def test_a_refused_line_pays_nothing_of_what_adjudication_gave_it(
        platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    """After the deductible (the woman spent hers in June), an over-priced dialysis line confirmed: the fund's 90%
    of the excess above the item's maximum price is not paid, the standard price still is."""
    inst, month = "H610702032", "2025-07"
    lines = [line("K1", WOMAN, "2025-07-02", "S200", "400.00"),
             line("K2", WOMAN, "2025-07-09", "S200", "500.00")]   # above S200's 450.00
    assert (await upload(platform, http, lines, "rv-july", inst, month)).status_code == 201
    batch = await reviewed(http, platform.url("settlement"), "rv-july")
    (hit,) = batch["review"]["hits"]
    assert (hit["rule"], hit["line_ids"], hit["amount"]) == ("over_price", ["K2|1"], "50.00")
    r = await http.post(review(platform, f"/hits/{hit['hit_id']}/decision"),
                        json={"decision": "confirm", "note": "超限价"}, headers=auth("hz-p1", "reviewer"))
    assert r.status_code == 200
    sid = f"{inst}-{month}"

    async def refused() -> dict[str, Any] | None:
        s = (await http.get(settlement(platform, f"/statements/{sid}"), headers=auth("hz-p1", "finance"))).json()
        return s if s["refused_lines"] == 1 else None

    s = await eventually(refused, what="the refusal at settlement")
    # K1 400 × 90% = 360; K2 500 × 90% = 450, of which the excess's share 450 × 50 / 500 = 45 is refused.
    assert s["refused"] == "45.00" and s["payable"] == "765.00"
    (refusal,) = s["refusals"]
    assert (refusal["claimed"], refusal["adjudicated"], refusal["refused"], refusal["hit_amount"]) == (
        "500.00", "450.00", "45.00", "50.00")
    claims = (await http.get(settlement(platform, "/claims"), params={"batch_id": "rv-july"},
                             headers=auth("hz-p1", "finance"))).json()["claims"]
    k2 = next(c for c in claims if c["claim_id"] == "K2")["lines"][0]
    assert k2["review"]["state"] == "refused" and k2["review"]["refused"] == "45.00"
    assert k2["review"]["reason_codes"][0]["code"] == "smart_review_refused"
    assert (await http.post(settlement(platform, f"/statements/{sid}/close"),
                            headers=auth("hz-p1", "finance"))).status_code == 200


async def test_quantity_and_unit_price_must_make_the_amount_nothing_stored(
        platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    bad = [line("Q1", MAN, "2025-08-02", "D101", "30.00", quantity="60", unit_price="0.50"),
           line("Q2", MAN, "2025-08-02", "D101", "31.00", quantity="60", unit_price="0.50")]
    r = await upload(platform, http, bad, "rv-bad", "H610702033", "2025-08")
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "amount_mismatch"
    assert error["fields"] == [{"line": 2, "field": "amount", "code": "amount_mismatch",
                                "message": "amount 31.00 is not quantity 60 × unit_price 0.50 (30.00)"}]
    gone = await http.get(settlement(platform, "/claims/batches/rv-bad"), headers=auth("hz-p1", "finance"))
    assert gone.status_code == 404
    for field, value in (("quantity", "0"), ("quantity", "-1"), ("quantity", "abc"), ("unit_price", "1.234"),
                         ("days_supply", "0"), ("days_supply", "400")):
        r = await upload(platform, http, [line("Q3", MAN, "2025-08-02", "D101", "1.00", **{field: value})],
                         "rv-bad2", "H610702033", "2025-08")
        assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == field, (field, value, r.text)
    # CSV with the optional columns (a line without them: one, priced at its amount).
    csv = ("claim_id,person_id,date,disease,amount,covered,item_code,description,quantity,unit_price,days_supply\n"
           f"V1,{MAN},2025-08-03,DL,30.00,true,D101,,60,0.50,30\n"
           f"V2,{MAN},2025-08-04,DL,12.00,true,S010,,3,4.00,\n"
           f"V3,{MAN},2025-08-05,DL,5.00,true,T102,,,,\n")
    r = await http.post(settlement(platform, "/claims/batches"), content=csv.encode(),
                        params={"month": "2025-08", "batch_id": "rv-csv"},
                        headers={**auth("hz-p1", "institution", "H610702033"), "content-type": "text/csv"})
    assert r.status_code == 201, r.text
    batch = await reviewed(http, platform.url("settlement"), "rv-csv")
    # S010 (静脉采血, at most 2 a day, 3.00 a unit) three times at 4.00: over price and over quantity
    assert {h["rule"] for h in batch["review"]["hits"]} == {"over_price", "over_quantity"}
    claims = (await http.get(settlement(platform, "/claims"), params={"batch_id": "rv-csv"},
                             headers=auth("hz-p1", "finance"))).json()["claims"]
    v2 = next(c for c in claims if c["claim_id"] == "V2")["lines"][0]
    assert (v2["quantity"], v2["unit_price"]) == ("3", "4.00")
    v3 = next(c for c in claims if c["claim_id"] == "V3")["lines"][0]
    assert (v3["quantity"], v3["unit_price"], "days_supply" in v3) == ("1", "5.00", False)


async def test_audit_received_what_settlement_sent(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    """claim_lines.submitted keyed by the batch (never a person), with sex and birth date from the number."""
    sent = [decode(m.value) for m in platform.bus.messages(topic_for("hz-p1", "claim_lines.submitted"))]  # type: ignore[attr-defined]
    june = next(e for e in sent if e.payload.batch_id == "rv-june")
    assert (june.payload.part, june.payload.parts, june.payload.source) == (1, 1, "chronic")
    assert june.payload.institution_kind == "hospital" and june.payload.program == "hz-chronic"
    facts = {c.person_id: (c.sex, c.birth_date) for c in june.payload.claims}
    assert facts == {MAN: ("M", "1960-01-01"), WOMAN: ("F", "1975-03-15")}
    keys = {m.key for m in platform.bus.messages(topic_for("hz-p1", "claim_lines.submitted"))}  # type: ignore[attr-defined]
    assert not any(MAN in k or WOMAN in k for k in keys)
