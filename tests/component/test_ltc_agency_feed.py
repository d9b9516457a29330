"""The agency feed on the embedded platform (长护险信息管理系统推送, issue 12 item 10): an assessment concluded, an
upload of care service records and a care statement paid — published here as appraisal and settlement publish them — are
pushed by settlement to the agency's system (its in-process simulator) as LTC01, LTC02 (a message per 500 records)
and LTC03, carrying the person's number to the system and nowhere else; transport failures are retried, a refusal is
parked with the system's code for ops to retry. Ops and the agency supervisor read the pushes; other roles 403;
another lot's carrier 404; a tenant outside long-term care 404."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from contracts.v1 import events_pb2
from jingban.embedded import EmbeddedPlatform
from tests.conftest import auth, embedded_port_offset, eventually
from tests.support.pii_scan import scan_stores
from tests.unit.audit.builders import message, stored

T, OTHER_LOT = "wz-b", "wz-a"
PERSON = "33030319580312001X"
OTHER = "330303196204250028"
BAD = "330303196204250027"  # fails the GB 11643 check: the system refuses it (2001)
PUSHES = "/v1/ltc/agency-pushes"


@pytest.fixture(scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={"JINGBAN_DATA_DIR": str(tmp_path_factory.mktemp("ltc-feed"))},
                         port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def publish(platform: EmbeddedPlatform, event_type: str, payload: Any, key: str, tenant: str = T) -> str:
    ev = stored(event_type, payload, tenant=tenant, key=key)
    await platform.bus.publish([message(ev)])
    return str(ev["event_id"])


def concluded(assessment: str, person: str = PERSON) -> events_pb2.DisabilityConcluded:
    return events_pb2.DisabilityConcluded(
        assessment_id=assessment, application_id="ca1", person_id=person, grade=4, grade_name="重度失能II级",
        adl_level=3, cognition_level=2, perception_level=1, eligible=True, scale_version="sample-2021.1",
        concluded_at="2026-01-05T02:00:00+00:00", recheck_due="2027-01-05", round=1, assessors=["A01", "A02"],
        lot="B", kind="initial", assessment_fee="200.00")


def recorded(batch: str, n: int) -> events_pb2.CareServicesRecorded:
    return events_pb2.CareServicesRecorded(batch_id=batch, institution_id="WZB-C001", month="2026-01", records=[
        events_pb2.CareServiceRecord(record_id=f"{batch}-{i}", person_id=PERSON if i % 2 else OTHER,
                                     caregiver_id=f"CG{i % 7}", date=f"2026-01-{i % 28 + 1:02d}",
                                     items=["basic_care"], start="08:00", end="09:00", plan_id="p1")
        for i in range(n)])


def paid(statement: str) -> events_pb2.CareStatementPaid:
    return events_pb2.CareStatementPaid(statement_id=statement, institution_id="WZB-C001", month="2026-01",
                                        amount="1234.50", records=601, persons=2, benefits_version="sample-2026.1",
                                        paid_at="2026-02-10T02:00:00+00:00", person_ids=[PERSON, OTHER])


async def pushes(platform: EmbeddedPlatform, http: httpx.AsyncClient, tenant: str = T, role: str = "ops",
                 **params: Any) -> httpx.Response:
    return await http.get(f"{platform.url('settlement')}{PUSHES}", params=params, headers=auth(tenant, role))


async def of_event(platform: EmbeddedPlatform, http: httpx.AsyncClient, event_id: str,
                   status: str = "sent", count: int = 1) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        rows = [p for p in (await pushes(platform, http)).json()["pushes"] if p["source_event_id"] == event_id]
        return rows if len(rows) == count and all(p["status"] == status for p in rows) else None

    return await eventually(probe, timeout=30, what=f"{count} push(es) of {event_id} {status}")


async def test_each_step_reaches_the_agencys_system_with_the_persons_number(platform: EmbeddedPlatform,
                                                                            http: httpx.AsyncClient) -> None:
    conclusion = await publish(platform, "disability.concluded", concluded("as1"), PERSON)
    upload = await publish(platform, "care_services.recorded", recorded("b1", 601), "b1")
    statement = await publish(platform, "care_statement.paid", paid("WZB-C001-2026-01"), "WZB-C001-2026-01")
    [ltc01] = await of_event(platform, http, conclusion)
    parts = sorted(await of_event(platform, http, upload, count=2), key=lambda p: p["part"])
    [ltc03] = await of_event(platform, http, statement)
    assert (ltc01["txn"], ltc01["business_id"], ltc01["attempts"], ltc01["code"]) == ("LTC01", "as1", 1, 0)
    assert [(p["txn"], p["part"], p["parts"], p["records"]) for p in parts] == [("LTC02", 1, 2, 500),
                                                                                ("LTC02", 2, 2, 101)]
    assert (ltc03["txn"], ltc03["persons"], ltc03["answer"]["accepted"]) == ("LTC03", 2, 1)
    body = (await pushes(platform, http)).json()
    assert body["tenant"] == T and body["counts"]["sent"] >= 4
    assert PERSON not in str(body) and OTHER not in str(body)  # the list never names who
    # The agency's system got the numbers (it files everything under them), from B's carrier.
    held = {m.txn: m for m in platform.agency_state.received(limit=1000) if m.outcome == "ok"}
    assert held["LTC01"].data["certno"] == PERSON and held["LTC01"].sender == "H33030000002"
    assert held["LTC01"].lot == "B" and held["LTC01"].data["asmt_time"] == "2026-01-05 10:00:00"
    assert {p["certno"] for p in held["LTC03"].data["psn_list"]} == {PERSON, OTHER}
    assert platform.agency_state.holdings.records_accepted == 601
    # At rest in settlement, nothing of them in clear (the bodies are gone once sent, and sealed before).
    found, _ = await scan_stores(platform.store, ["settlement"], [T], [PERSON, OTHER])
    assert found == []


async def test_a_redelivered_event_is_pushed_once(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    ev = stored("disability.concluded", concluded("as-redelivered"), tenant=T, key=PERSON)
    await platform.bus.publish([message(ev)])
    await of_event(platform, http, str(ev["event_id"]))
    before = len(platform.agency_state.holdings.assessments)
    await platform.bus.publish([message(ev)])
    await platform.bus.publish([message(ev)])
    await of_event(platform, http, str(ev["event_id"]))
    assert len(platform.agency_state.holdings.assessments) == before


async def test_transport_failures_are_retried_until_sent(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    platform.agency_state.inject_fault("http_503", 4, txn="LTC01")  # one pass posts 3 times, the next gets through
    event_id = await publish(platform, "disability.concluded", concluded("as-flaky"), PERSON)
    [push] = await of_event(platform, http, event_id)
    assert push["attempts"] == 2 and push["error"] is None


async def test_a_refusal_is_parked_with_the_code_and_ops_sends_it_again(platform: EmbeddedPlatform,
                                                                        http: httpx.AsyncClient) -> None:
    bad = await publish(platform, "disability.concluded", concluded("as-bad", person=BAD), BAD)
    [parked] = await of_event(platform, http, bad, status="failed")
    assert (parked["failure"], parked["code"], parked["attempts"]) == ("refused", 2001, 1)
    assert BAD not in str(parked) and "证件号码校验失败" in parked["answer"]["message"]
    failed = (await pushes(platform, http, status="failed")).json()["pushes"]
    assert parked["push_id"] in {p["push_id"] for p in failed}

    platform.agency_state.inject_fault("refuse", 1, txn="LTC03", code=9999, err_msg="系统维护中")
    statement = await publish(platform, "care_statement.paid", paid("WZB-C001-2026-01-b"), "WZB-C001-2026-01-b")
    [refused] = await of_event(platform, http, statement, status="failed")
    assert refused["code"] == 9999
    url = f"{platform.url('settlement')}{PUSHES}/{refused['push_id']}/retry"
    r = await http.post(url, headers=auth(T, "ops"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending" and r.json()["msgid"] != refused["msgid"] and r.json()["retries"] == 1
    [sent] = await of_event(platform, http, statement)
    assert sent["answer"]["accepted"] == 1
    r = await http.post(url, headers=auth(T, "ops"))  # sent: nothing to retry
    assert r.status_code == 409 and r.json()["error"]["code"] == "agency_push_not_retryable"


async def test_the_agency_supervisor_reads_every_lot_of_its_program(platform: EmbeddedPlatform,
                                                                    http: httpx.AsyncClient) -> None:
    url = f"{platform.url('settlement')}{PUSHES}"
    r = await http.get(url, params={"tenant": T}, headers=auth(OTHER_LOT, "supervisor", program="wz-ltc"))
    assert r.status_code == 200 and r.json()["tenant"] == T and r.json()["pushes"]
    r = await http.get(url, params={"tenant": T}, headers=auth(OTHER_LOT, "supervisor"))  # no program claim
    assert r.status_code == 404
    r = await http.get(url, params={"tenant": "hz-p1"}, headers=auth(OTHER_LOT, "supervisor", program="wz-ltc"))
    assert r.status_code == 404


async def test_another_lot_cannot_see_or_retry_them(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    mine = (await pushes(platform, http)).json()["pushes"]
    theirs = (await pushes(platform, http, tenant=OTHER_LOT)).json()
    assert theirs["pushes"] == [] and theirs["tenant"] == OTHER_LOT
    r = await http.get(f"{platform.url('settlement')}{PUSHES}", params={"tenant": T}, headers=auth(OTHER_LOT, "ops"))
    assert r.status_code == 404
    r = await http.post(f"{platform.url('settlement')}{PUSHES}/{mine[0]['push_id']}/retry",
                        headers=auth(OTHER_LOT, "ops"))
    assert r.status_code == 404


async def test_a_tenant_outside_long_term_care_gets_404(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    assert (await pushes(platform, http, tenant="hz-p1")).status_code == 404
    r = await http.post(f"{platform.url('settlement')}{PUSHES}/x.1/retry", headers=auth("hz-p1", "ops"))
    assert r.status_code == 404


@pytest.mark.parametrize("role", ["clerk", "finance", "inspector", "institution", "applicant", "reviewer"])
async def test_other_roles_are_refused(platform: EmbeddedPlatform, http: httpx.AsyncClient, role: str) -> None:
    assert (await pushes(platform, http, role=role, status="bogus")).status_code == 403
    r = await http.post(f"{platform.url('settlement')}{PUSHES}/x.1/retry", headers=auth(T, role))
    assert r.status_code == 403
    r = await http.post(f"{platform.url('settlement')}{PUSHES}/x.1/retry", headers=auth(T, "supervisor"))
    assert r.status_code == 403


@pytest.mark.parametrize("params, field", [({"status": "bogus"}, "query.status"), ({"limit": 0}, "query.limit"),
                                           ({"limit": 5001}, "query.limit")])
async def test_bad_queries_name_the_field(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                          params: dict[str, Any], field: str) -> None:
    r = await pushes(platform, http, **params)
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == field


async def test_a_retry_of_nothing_writes_nothing(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    before = (await pushes(platform, http)).json()["counts"]
    url = f"{platform.url('settlement')}{PUSHES}"
    assert (await http.post(f"{url}/nothing.1/retry", headers=auth(T, "ops"))).status_code == 404
    r = await http.post(f"{url}/{'x' * 121}/retry", headers=auth(T, "ops"))
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "path.push_id"
    assert (await pushes(platform, http)).json()["counts"] == before
