"""The simulator's HTTP surface: raw envelopes, envelope-level refusals, admin endpoints, and the real process."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from provincial import ProvincialClient
from provincial.envelope import Operator, build_request
from provincial.simulator import PLATFORM_PATH, SimulatorState, create_app

from .conftest import INSTITUTION, PERSON, make_client

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def http(state: SimulatorState) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(state)), base_url="http://sim") as c:
        yield c


def _request(infno: str, payload: dict[str, Any], sign_no: str = "") -> dict[str, Any]:
    return build_request(infno, payload, fixmedins_code=INSTITUTION, fixmedins_name="x",
                         operator=Operator("op", "op"), mdtrtarea_admvs="610700", sign_no=sign_no)


async def _post(http: httpx.AsyncClient, document: Any, path: str = "/") -> dict[str, Any]:
    reply = await http.post(path, json=document)
    assert reply.status_code == 200
    return reply.json()  # type: ignore[no-any-return]


async def _sign_no(http: httpx.AsyncClient) -> str:
    answer = await _post(http, _request("9001", {"opter_no": "op"}))
    return str(answer["output"]["signinoutb"]["sign_no"])


async def test_response_envelope_shape(http: httpx.AsyncClient) -> None:
    answer = await _post(http, _request("9001", {"opter_no": "op"}), PLATFORM_PATH)
    assert answer["infcode"] == 0 and answer["err_msg"] is None
    assert len(answer["inf_refmsgid"]) == 30 and answer["inf_refmsgid"].startswith("610000")
    assert len(answer["refmsg_time"]) == 17 and len(answer["respond_time"]) == 17
    assert answer["respond_time"] >= answer["refmsg_time"]


async def test_health(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok", "service": "provincial-simulator"}


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d.pop("msgid"), "入参校验失败：缺少必填字段 msgid"),
    (lambda d: (d.pop("opter"), d.update(inf_time="")), "入参校验失败：缺少必填字段 opter, inf_time"),
    (lambda d: d.update(infno="9999"), "交易编号不存在：9999"),
    (lambda d: d.update(msgid="short"), "msgid 格式错误"),
    (lambda d: d.update(inf_time="2025/07/01"), "inf_time 格式错误"),
    (lambda d: d.update(input={"wrong": {}}), "入参校验失败：input 缺少节点 signIn"),
    (lambda d: d.update(input={"signIn": {"mac": ""}}), "入参校验失败：signIn 缺少必填字段 opter_no"),
])
async def test_malformed_envelopes(http: httpx.AsyncClient, mutate: Any, message: str) -> None:
    document = _request("9001", {"opter_no": "op"})
    mutate(document)
    answer = await _post(http, document)
    assert answer["infcode"] == -1 and answer["err_msg"].startswith(message) and answer["output"] is None


async def test_not_json(http: httpx.AsyncClient) -> None:
    reply = await http.post("/", content=b"<xml/>")
    assert reply.json()["err_msg"] == "报文格式错误：请求体不是合法的 JSON 对象"


async def test_business_call_without_sign_in(http: httpx.AsyncClient) -> None:
    answer = await _post(http, _request("1101", {"mdtrt_cert_type": "02", "mdtrt_cert_no": PERSON}))
    assert answer["err_msg"] == "签到信息不存在或已过期，请重新签到"


async def test_missing_business_fields(http: httpx.AsyncClient) -> None:
    sign_no = await _sign_no(http)
    answer = await _post(http, _request("2503", {"psn_no": "P"}, sign_no))
    assert answer["err_msg"] == "入参校验失败：data 缺少必填字段 insutype, opsp_dise_code, opsp_dise_name, begndate"


async def test_amounts_must_have_two_places(http: httpx.AsyncClient) -> None:
    sign_no = await _sign_no(http)
    payload = {"insutype": "390", "clr_type": "11", "setl_optins": "610700", "stmt_begndate": "2025-06-01",
               "stmt_enddate": "2025-06-30", "medfee_sumamt": "1.234", "fund_pay_sumamt": "1.00", "acct_pay": "0",
               "fixmedins_setl_cnt": 1}
    answer = await _post(http, _request("3201", payload, sign_no))
    assert answer["err_msg"].startswith("金额格式错误：medfee_sumamt")


async def test_same_msgid_with_another_request_is_refused(http: httpx.AsyncClient) -> None:
    first = _request("9001", {"opter_no": "op"})
    assert (await _post(http, first))["infcode"] == 0
    assert (await _post(http, first))["infcode"] == 0  # the same request again: the same answer
    second = {**first, "input": {"signIn": {"opter_no": "someone else"}}}
    assert (await _post(http, second))["err_msg"] == f"报文ID重复：{first['msgid']}"


# --- admin --------------------------------------------------------------------------------------------------

async def test_admin_persons(http: httpx.AsyncClient, state: SimulatorState) -> None:
    reply = await http.post("/admin/persons", json=[
        {"certno": PERSON, "psn_name": "张建国", "assistance_recipient": True},
        {"certno": "61072119620425002X", "status": "suspended"},
    ])
    assert reply.status_code == 200
    persons = reply.json()["persons"]
    assert persons[0]["psn_no"] and persons[1]["status"] == "suspended"
    refused = await http.post("/admin/persons", json={"certno": "610702195803120013"})
    assert refused.status_code == 422 and "check character" in refused.json()["error"]["message"]
    async with make_client(state) as client:
        person = await client.person_info(PERSON, "张建国")
        assert person.assistance_recipient and person.person_no == persons[0]["psn_no"]
        assert not (await client.person_info("61072119620425002X", "李秀英")).insured


async def test_admin_settlements_and_their_money_rules(http: httpx.AsyncClient, state: SimulatorState) -> None:
    body = {"fixmedins_code": INSTITUTION, "stmt_begndate": "2025-06-01", "stmt_enddate": "2025-06-30",
            "medfee_sumamt": "1000.00", "fund_pay_sumamt": "600.00", "fixmedins_setl_cnt": 10}
    reply = await http.post("/admin/settlements", json=body)
    assert reply.status_code == 200 and reply.json()["recorded"]["medfee_sumamt"] == "1000.00"
    assert (await http.post("/admin/settlements", json={**body, "medfee_sumamt": 1000.5})).status_code == 422
    no_totals = {k: v for k, v in body.items() if k != "fixmedins_setl_cnt"}
    assert (await http.post("/admin/settlements", json=no_totals)).status_code == 422
    details = {**no_totals, "medfee_sumamt": None, "fund_pay_sumamt": None,
               "details": [{"setl_id": "S1", "medfee_sumamt": "10.00", "fund_pay_sumamt": "6.00"}]}
    recorded = (await http.post("/admin/settlements", json=details)).json()["recorded"]
    assert (recorded["medfee_sumamt"], recorded["fixmedins_setl_cnt"], recorded["details"]) == ("10.00", 1, 1)


async def test_admin_faults_sessions_calls_reset(http: httpx.AsyncClient, state: SimulatorState) -> None:
    pending = (await http.post("/admin/faults", json={"mode": "http_503", "count": 2})).json()["pending"]
    assert pending == [{"mode": "http_503", "remaining": 2, "delay_seconds": 5.0, "infno": None}]
    assert (await http.post("/", json=_request("9001", {"opter_no": "op"}))).status_code == 503
    assert (await http.get("/admin/faults")).json()["pending"][0]["remaining"] == 1
    assert (await http.delete("/admin/faults")).json() == {"pending": []}
    await _sign_no(http)
    assert (await http.post("/admin/sessions/expire")).json() == {"expired": 1}
    outcomes = [c["outcome"] for c in (await http.get("/admin/calls")).json()["calls"]]
    assert outcomes == ["http_503", "ok"]
    assert (await http.post("/admin/reset")).json() == {"reset": True}
    assert state.calls == [] and (await http.get("/admin/filings")).json() == {"filings": []}


# --- the real process ---------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_simulator_as_a_process_over_real_http() -> None:
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "provincial.simulator", "--port", str(port), "--log-level", "warning",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as http:
            for _ in range(200):
                if proc.returncode is not None:
                    output = await proc.stdout.read() if proc.stdout else b""
                    pytest.fail(f"simulator exited: {output.decode()}")
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass  # not listening yet
                await asyncio.sleep(0.05)
            else:
                pytest.fail("simulator did not answer /healthz within 10s")
            await http.post("/admin/persons", json={"certno": PERSON, "psn_name": "张建国",
                                                    "assistance_recipient": True})
        async with ProvincialClient(f"{base}{PLATFORM_PATH}", INSTITUTION, "汉中经办", "op001") as client:
            person = await client.person_info(PERSON, "张建国")
        assert person.insured and person.assistance_recipient and person.name == "张建国"
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), timeout=10)
            except TimeoutError:
                proc.kill()
                await proc.wait()
