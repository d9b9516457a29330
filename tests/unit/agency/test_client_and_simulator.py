"""The agency adapter against its simulator, in-process: receipts, idempotency by msgid, the system's answer codes
for bad fields (never quoting an identity number), retries on transport failures only, and the admin endpoints."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from agency import (
    AgencyClient,
    AgencyError,
    AgencyProtocolError,
    AgencyUnavailable,
    AssessmentConclusion,
    ServiceRecord,
    Settlement,
    split_batch,
)
from agency import envelope as env
from agency.simulator import AgencyState, create_app, process
from tests.unit.agency.conftest import BAD, OTHER, PERSON, SENDER, make_client


def conclusion(**change: Any) -> AssessmentConclusion:
    base = dict(assessment_id="as1", application_id="ap1", person_id=PERSON, grade=4, grade_name="重度失能II级",
                adl_level=3, cognition_level=2, perception_level=1, eligible=True, scale_version="sample-2021.1",
                concluded_at="2026-01-05T02:00:00+00:00", recheck_due="2027-01-05", round=1, kind="initial",
                assessors=("A01", "A02"), city_level=False, assessment_fee="200.00")
    return AssessmentConclusion(**{**base, **change})


def record(n: int, person: str = PERSON, **change: Any) -> ServiceRecord:
    base = dict(record_id=f"r{n}", person_id=person, caregiver_id="CG1", date="2026-01-02", items=("basic_care",),
                start="08:00", end="09:00", plan_id="p1")
    return ServiceRecord(**{**base, **change})


def settlement(**change: Any) -> Settlement:
    base = dict(statement_id="WZB-C001-2026-01", institution_id="WZB-C001", month="2026-01", amount="1234.50",
                records=40, person_ids=(PERSON, OTHER), paid_at="2026-02-10T02:00:00+00:00",
                benefits_version="sample-2026.1")
    return Settlement(**{**base, **change})


async def test_each_transaction_is_received_with_its_receipt(client: AgencyClient, state: AgencyState) -> None:
    first = await client.push_assessment(conclusion())
    assert (first.txn, first.accepted, first.duplicates) == ("LTC01", 1, 0)
    assert first.rcv_no.startswith("PG") and first.rcv_msgid.startswith("330300")
    [batch] = split_batch("b1", "WZB-C001", "2026-01", [record(1), record(2, OTHER)])
    assert (await client.push_service_records(batch)).accepted == 2
    assert (await client.push_settlement(settlement())).accepted == 1
    received = state.received()
    assert [m.txn for m in received] == ["LTC01", "LTC02", "LTC03"]
    assert received[0].data is not None and received[0].data["certno"] == PERSON  # the system gets the number
    assert (received[1].records, received[1].persons, received[1].business_id) == (2, 2, "b1#1/1")
    assert state.holdings.records_accepted == 2


async def test_the_same_msgid_is_answered_once_and_other_content_under_it_is_refused(
        client: AgencyClient, state: AgencyState) -> None:
    msgid = client.new_msgid()
    first = await client.push_assessment(conclusion(), msgid=msgid)
    again = await client.push_assessment(conclusion(), msgid=msgid)
    assert again.rcv_msgid == first.rcv_msgid and again.accepted == 1  # the first answer, nothing received twice
    assert len(state.holdings.assessments) == 1
    assert [m.outcome for m in state.received()] == ["ok", "replayed"]
    with pytest.raises(AgencyError) as refused:
        await client.push_assessment(conclusion(grade=5, grade_name="重度失能III级"), msgid=msgid)
    assert refused.value.answer_code == 1005


async def test_a_conclusion_or_statement_sent_again_is_a_duplicate_and_with_other_content_2004(
        client: AgencyClient) -> None:
    await client.push_assessment(conclusion())
    assert (await client.push_assessment(conclusion())).duplicates == 1  # another msgid, the same conclusion
    with pytest.raises(AgencyError) as refused:
        await client.push_assessment(conclusion(grade=3, grade_name="重度失能I级"))
    assert refused.value.answer_code == 2004
    await client.push_settlement(settlement())
    with pytest.raises(AgencyError) as refused:
        await client.push_settlement(settlement(amount="1.00"))
    assert refused.value.answer_code == 2004


async def test_records_seen_before_count_as_duplicates(client: AgencyClient, state: AgencyState) -> None:
    [one] = split_batch("b1", "WZB-C001", "2026-01", [record(1), record(2)])
    [two] = split_batch("b2", "WZB-C001", "2026-01", [record(2), record(3)])
    await client.push_service_records(one)
    receipt = await client.push_service_records(two)
    assert (receipt.accepted, receipt.duplicates) == (1, 1)
    assert state.holdings.records_accepted == 3


@pytest.mark.parametrize("send, code, words", [
    (lambda c: c.push_assessment(conclusion(person_id=BAD)), 2001, "证件号码校验失败：certno"),
    (lambda c: c.push_assessment(conclusion(grade=6)), 2002, "dsbl_lv"),
    (lambda c: c.push_assessment(conclusion(adl_level=4)), 2002, "adl_lv"),
    (lambda c: c.push_assessment(conclusion(grade=2, grade_name="中度失能")), 2002, "不属于重度失能"),
    (lambda c: c.push_assessment(conclusion(recheck_due="")), 1002, "rechk_date"),
    (lambda c: c.push_assessment(conclusion(assessors=("A01",))), 2002, "评定人员不少于2人"),
    (lambda c: c.push_assessment(conclusion(assessors=("A01", "A01"))), 2002, "评定人员不少于2人"),
    (lambda c: c.push_assessment(conclusion(kind="later")), 2002, "asmt_type"),
    (lambda c: c.push_assessment(conclusion(concluded_at="soon")), 2002, "asmt_time"),
    (lambda c: c.push_assessment(conclusion(assessment_id="")), 1002, "asmt_id"),
    (lambda c: c.push_service_records(split_batch("b", "I", "2026-01", [record(1), record(2, BAD)])[0]), 2001,
     "第 2 条记录"),
    (lambda c: c.push_service_records(split_batch("b", "I", "2026-01", [record(1, date="2026-02-01")])[0]), 2002,
     "不属于 2026-01"),
    (lambda c: c.push_service_records(split_batch("b", "I", "2026-01", [record(1, end="07:00")])[0]), 2002,
     "结束时间"),
    (lambda c: c.push_service_records(split_batch("b", "I", "2026-01", [record(1, start="8am")])[0]), 2002,
     "HH:mm"),
    (lambda c: c.push_service_records(split_batch("b", "I", "2026-01", [record(1, items=())])[0]), 2002,
     "srv_items"),
    (lambda c: c.push_service_records(split_batch("b", "I", "2026-01", [record(1), record(1)])[0]), 2002,
     "记录编号重复"),
    (lambda c: c.push_service_records(split_batch("b", "I", "2026-13", [record(1)])[0]), 2002, "month"),
    (lambda c: c.push_service_records(split_batch("b", "I", "2026-01", [record(n) for n in range(501)],
                                                  size=501)[0]), 2003, "上限 500"),
    (lambda c: c.push_settlement(settlement(amount="12.345")), 2002, "setl_amt"),
    (lambda c: c.push_settlement(settlement(amount="-1.00")), 2002, "负数"),
    (lambda c: c.push_settlement(settlement(persons=3)), 2002, "人数不符"),
    (lambda c: c.push_settlement(settlement(person_ids=(PERSON, BAD))), 2001, "psn_list 第 2 人"),
    (lambda c: c.push_settlement(settlement(paid_at="")), 1002, "pay_time"),
])
async def test_bad_fields_get_the_systems_code_and_nothing_is_received(client: AgencyClient, state: AgencyState,
                                                                       send: Any, code: int, words: str) -> None:
    with pytest.raises(AgencyError) as refused:
        await send(client)
    error = refused.value
    assert error.answer_code == code and words in error.err_msg, error.err_msg
    assert error.code == "agency_error" and error.http_status == 422
    assert BAD not in str(error) and BAD not in error.err_msg  # never quoted, whoever's number it is
    assert state.holdings.assessments == {} and state.holdings.settlements == {}
    assert state.holdings.records_accepted == 0


def envelope(**change: Any) -> dict[str, Any]:
    request = env.build_request("LTC03", settlement().to_wire(), sender=SENDER, sender_name="B", lot="B",
                                admdvs="330300", operator="op")
    request.update(change)
    return request


@pytest.mark.parametrize("document, code", [
    ("not json", 1001),
    (envelope(lot=""), 1002),
    (envelope(txn="LTC99"), 1003),
    (envelope(msgid="H330300000022026"), 1004),
    (envelope(msgid="X33030000002202601011200000001"), 1004),  # not the sender's
    (envelope(lot="F"), 1006),
    (envelope(send_time="yesterday"), 2002),
    (envelope(input={"other": {}}), 1001),
])
def test_an_envelope_that_is_wrong_is_refused_with_its_code(document: Any, code: int) -> None:
    state = AgencyState()
    answer = process(state, document if isinstance(document, dict) else None, env.now_beijing())
    assert answer["code"] == code and answer["output"] is None and answer["err_msg"]


async def test_transport_failures_are_retried_with_the_same_msgid(state: AgencyState) -> None:
    state.inject_fault("http_503", 2)
    async with make_client(state) as client:
        receipt = await client.push_settlement(settlement())
    assert receipt.attempts == 3 and receipt.accepted == 1
    outcomes = [(m.outcome, m.msgid) for m in state.received()]
    assert [o for o, _ in outcomes] == ["http_503", "http_503", "ok"] and len({m for _, m in outcomes}) == 1


async def test_no_answer_after_every_retry_is_unavailable(state: AgencyState) -> None:
    state.inject_fault("http_503", 10)
    async with make_client(state, retries=2) as client:
        with pytest.raises(AgencyUnavailable, match="after 3 attempts"):
            await client.push_settlement(settlement())
    assert state.holdings.settlements == {}


async def test_a_late_answer_is_retried_and_counted_once(state: AgencyState) -> None:
    state.inject_fault("delay", 1, delay_seconds=1.0)
    async with make_client(state, timeout=0.3) as client:
        receipt = await client.push_settlement(settlement())
    assert receipt.accepted == 1 and receipt.attempts == 2
    assert len(state.holdings.settlements) == 1
    assert [m.outcome for m in state.received()] == ["ok", "replayed"]


async def test_a_refusal_is_not_retried(state: AgencyState) -> None:
    state.inject_fault("refuse", 1, code=9999, err_msg="系统维护中")
    async with make_client(state) as client:
        with pytest.raises(AgencyError) as refused:
            await client.push_settlement(settlement())
    assert refused.value.answer_code == 9999 and "系统维护中" in refused.value.err_msg
    assert len(state.received()) == 1


async def test_something_that_is_not_the_system_is_a_protocol_error() -> None:
    async def not_found(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, text="no such path")

    client = AgencyClient("http://agency/", SENDER, "B", "B", transport=httpx.MockTransport(not_found), backoff=0)
    with pytest.raises(AgencyProtocolError, match="HTTP 404"):
        await client.push_settlement(settlement())
    await client.aclose()


def test_a_client_needs_a_registered_sender_and_lot() -> None:
    with pytest.raises(ValueError, match="12 characters"):
        AgencyClient("http://agency/", "H3303", "B", "B")
    with pytest.raises(ValueError, match="lot"):
        AgencyClient("http://agency/", SENDER, "B", "F")


async def test_admin_endpoints_show_what_was_received_and_take_faults(state: AgencyState) -> None:
    app = create_app(state)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://agency") as http, \
            make_client(state) as client:
        assert (await http.get("/healthz")).json()["service"] == "agency-simulator"
        r = await http.post("/admin/faults", json={"mode": "http_503", "count": 1, "txn": "LTC01"})
        assert r.json()["pending"][0]["txn"] == "LTC01"
        await client.push_assessment(conclusion())
        await client.push_settlement(settlement())
        body = (await http.get("/admin/received", params={"txn": "LTC01"})).json()
        assert [m["outcome"] for m in body["messages"]] == ["http_503", "ok"]
        assert body["messages"][-1]["data"]["certno"] == PERSON
        assert body["holdings"] == {"assessments": 1, "settlements": 1, "records": 0}
        assert (await http.get("/admin/faults")).json() == {"pending": []}
        await http.post("/admin/faults", json={"mode": "refuse", "count": 3, "code": 2004})
        assert (await http.delete("/admin/faults")).json() == {"pending": []}
        assert (await http.post("/admin/reset")).json() == {"reset": True}
        assert (await http.get("/admin/received")).json()["messages"] == []
        assert (await http.post("/admin/faults", json={"mode": "explode"})).status_code == 422


async def test_only_the_latest_messages_keep_their_data(state: AgencyState) -> None:
    async with make_client(state) as client:
        for n in range(205):
            await client.push_assessment(conclusion(assessment_id=f"as{n}"))
    kept = [m.data is not None for m in state.received(limit=1000)]
    assert kept.count(True) == 200 and kept[:5] == [False] * 5
    assert copy.deepcopy(state.received(limit=1)[0].data)["asmt_id"] == "as204"
