"""settlement on the embedded platform, for the re-review (复审) and the insurance type (险种) of chronic holdings:
a qualification past its review date pays nothing from the next day (`review_overdue`) until a passed re-review
(`qualification.renewed`) moves it on; statements reconcile with the provincial platform with one 3201 per
insurance type present, balanced only when every one balances."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from chassis.bus.port import BusMessage
from chassis.events import encode, new_event, topic_for
from contracts.v1 import common_pb2, events_pb2
from jingban.embedded import EmbeddedPlatform
from tests.conftest import auth, embedded_port_offset, eventually
from tests.support.review import reviewed

SAMPLE = Path(__file__).resolve().parents[2] / "programs" / "hz-chronic" / "policy-2025.yaml"
CARRIER = "H61070000001"  # hz-p1's registered code: the reconciliation's fixmedins_code


@pytest.fixture(scope="module")
async def platform() -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={}, port_offset=embedded_port_offset())
    await p.start()
    async with httpx.AsyncClient(timeout=20) as http:
        r = await http.post(f"{p.url('settlement')}/v1/policies", content=SAMPLE.read_bytes(),
                            headers={**auth("hz-p1", "ops"), "content-type": "application/yaml"})
        assert r.status_code in (200, 201), r.text
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


def codes(line: dict[str, Any]) -> list[str]:
    """A claim line's reason codes, as the answer gives them (reason_codes), never read out of the sentences."""
    return [r["code"] for r in line["reason_codes"]]


def qualification(person: str, disease: str, granted_on: str, review_due: str = "", insutype: str = ""
                  ) -> common_pb2.Qualification:
    return common_pb2.Qualification(qualification_id=f"q-{person}-{disease}", person_id=person, disease_code=disease,
                                    granted_on=granted_on, benefit_start=granted_on, status="active",
                                    review_due=review_due, insutype=insutype)


async def publish(platform: EmbeddedPlatform, event_type: str, person: str, payload: Any,
                  tenant: str = "hz-p1") -> None:
    """An appraisal event as appraisal publishes it, straight onto the in-memory bus."""
    ev = new_event(event_type, tenant, person, payload, source="appraisal", trace_context={})
    await platform.bus.publish([BusMessage(topic_for(tenant, event_type), person, encode(ev))])


async def holding(platform: EmbeddedPlatform, http: httpx.AsyncClient, person: str, review_due: str | None,
                  tenant: str = "hz-p1") -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        r = await http.get(f"{platform.url('settlement')}/v1/persons/{person}/accumulators", params={"year": 2025},
                           headers=auth(tenant, "finance"))
        rows = r.json()["accounts"] if r.status_code == 200 else []
        return rows[0] if rows and rows[0]["review_due"] == review_due else None

    return await eventually(probe, what=f"{person}'s holding due {review_due}")


def line(claim: str, person: str, day: str, disease: str, amount: str) -> dict[str, Any]:
    return {"claim_id": claim, "person_id": person, "date": day, "disease": disease, "amount": amount,
            "covered": True, "item_code": "X01", "description": "药品"}


async def upload(platform: EmbeddedPlatform, http: httpx.AsyncClient, institution: str, month: str,
                 lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Upload a month's lines; the stored claims of the batch by claim id."""
    r = await http.post(f"{platform.url('settlement')}/v1/claims/batches", json={"month": month, "lines": lines},
                        headers=auth("hz-p1", "institution", institution))
    assert r.status_code == 201, r.text
    await reviewed(http, platform.url("settlement"), r.json()["batch_id"])  # smart review answered: may close
    got = await http.get(f"{platform.url('settlement')}/v1/claims", headers=auth("hz-p1", "finance"),
                         params={"batch_id": r.json()["batch_id"], "limit": 1000})
    return {c["claim_id"]: c for c in got.json()["claims"]}


async def test_review_overdue_across_the_day_boundary_then_paid_again_after_continue(
        platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    person, inst = "610702196001010501", "H610702021"
    q = qualification(person, "HTN", "2024-03-10", review_due="2025-06-30", insutype="390")
    await publish(platform, "qualification.granted", person, events_pb2.QualificationGranted(qualification=q))
    await holding(platform, http, person, "2025-06-30")

    june = await upload(platform, http, inst, "2025-06", [line("J29", person, "2025-06-29", "HTN", "100.00"),
                                                          line("J30", person, "2025-06-30", "HTN", "100.00")])
    assert (june["J29"]["payable"], june["J30"]["payable"]) == ("80.00", "80.00")  # up to the review date
    july = await upload(platform, http, inst, "2025-07", [line("L01", person, "2025-07-01", "HTN", "100.00")])
    assert july["L01"]["payable"] == "0.00"  # the day after, with no passed re-review
    (reason,) = july["L01"]["lines"][0]["reason_codes"]
    assert reason["code"] == "review_overdue" and reason["params"]["due"] == "2025-06-30"
    assert july["L01"]["lines"][0]["reasons"] == [f"review_overdue: {reason['detail']}"]  # the sentence kept

    # The re-review passes on 15 July: paid again from that day, the days between stay unpaid.
    renewed = qualification(person, "HTN", "2024-03-10", review_due="2028-06-30", insutype="390")
    await publish(platform, "qualification.renewed", person, events_pb2.QualificationRenewed(
        qualification=renewed, previous_review_due="2025-06-30", renewed_on="2025-07-15",
        review_case_id="review-1", application_id="review-app-1"))
    held = await holding(platform, http, person, "2028-06-30")
    assert held["lapses"] == [{"due": "2025-06-30", "resumed_on": "2025-07-15"}]
    later = await upload(platform, http, inst, "2025-07", [line("L14", person, "2025-07-14", "HTN", "100.00"),
                                                           line("L15", person, "2025-07-15", "HTN", "100.00")])
    assert later["L14"]["payable"] == "0.00" and codes(later["L14"]["lines"][0]) == ["review_overdue"]
    assert later["L15"]["payable"] == "80.00"
    # the event was hz-p1's: hz-p2 holds nothing of it
    r = await http.get(f"{platform.url('settlement')}/v1/persons/{person}/accumulators", params={"year": 2025},
                       headers=auth("hz-p2", "finance"))
    assert r.status_code == 200 and r.json()["accounts"] == []


async def test_one_3201_per_insurance_type_balanced_only_when_all_are(platform: EmbeddedPlatform,
                                                                      http: httpx.AsyncClient) -> None:
    simulator = platform.simulator.config.app.state.simulator  # type: ignore[union-attr]
    inst, month = "H610702022", "2025-09"
    sid = f"{inst}-{month}"
    employee, resident, unnamed = "610702196001010511", "610702196001010522", "610702196001010533"
    for person, insutype in ((employee, "310"), (resident, "390"), (unnamed, "")):  # unnamed: imported without
        await publish(platform, "qualification.granted", person, events_pb2.QualificationGranted(
            qualification=qualification(person, "SCZ", "2025-01-03", insutype=insutype)))
        await holding(platform, http, person, None)
    await upload(platform, http, inst, month, [line("E1", employee, "2025-09-02", "SCZ", "400.00"),
                                               line("R1", resident, "2025-09-03", "SCZ", "250.00"),
                                               line("U1", unnamed, "2025-09-04", "SCZ", "100.00")])
    base = f"{platform.url('settlement')}/v1/statements/{sid}"
    assert (await http.post(f"{base}/close", headers=auth("hz-p1", "finance"))).status_code == 200
    begin, end = date(2025, 9, 1), date(2025, 9, 30)
    simulator.record_settlements(CARRIER, begin, end, insutype="310", medical_fee_total=Decimal("400.00"),
                                 fund_paid_total=Decimal("320.00"), count=1)
    simulator.record_settlements(CARRIER, begin, end, insutype="390", medical_fee_total=Decimal("350.00"),
                                 fund_paid_total=Decimal("250.00"), count=2)  # the platform says 250, we pay 280
    calls = len(simulator.calls_of("3201"))
    r = await http.post(f"{base}/reconcile", headers=auth("hz-p1", "finance"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_balanced", r.text
    assert "insutype 390" in r.json()["error"]["message"] and "insutype 310" not in r.json()["error"]["message"]
    assert len(simulator.calls_of("3201")) == calls + 2  # one per insurance type present
    record = (await http.get(base, headers=auth("hz-p1", "finance"))).json()["reconciliation"]
    parts = {p["insutype"]: p for p in record["by_insutype"]}
    assert record["balanced"] is False and (parts["310"]["balanced"], parts["390"]["balanced"]) == (True, False)
    assert (parts["310"]["payable"], parts["390"]["payable"]) == ("320.00", "280.00")
    # the person whose type settlement never learnt counts under the program's default, and says so
    assert (parts["390"]["persons"], parts["390"]["assumed_persons"]) == (2, 1)

    simulator.record_settlements(CARRIER, begin, end, insutype="390", medical_fee_total=Decimal("350.00"),
                                 fund_paid_total=Decimal("280.00"), count=2)
    r = await http.post(f"{base}/reconcile", headers=auth("hz-p1", "finance"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "reconciled"
    assert [p["balanced"] for p in r.json()["reconciliation"]["by_insutype"]] == [True, True]
