"""ProvincialClient against the simulator in-process: every transaction, its refusals, retries and re-sign-in."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import httpx
import pytest

from provincial import DetailRow, ProvincialClient, ProvincialError, ProvincialProtocolError, ProvincialUnavailable
from provincial.simulator import Identity, SimulatorState
from provincial.simulator.state import person_no

from .conftest import INSTITUTION, OTHER, PERSON, make_client

JUNE = (date(2025, 6, 1), date(2025, 6, 30))


async def _person_no(client: ProvincialClient, cert_no: str = PERSON) -> str:
    return (await client.person_info(cert_no, "张建国")).person_no


# --- 9001 ---------------------------------------------------------------------------------------------------

async def test_sign_in_caches_the_session(client: ProvincialClient, state: SimulatorState) -> None:
    signed = await client.sign_in()
    assert client.sign_no == signed.sign_no and signed.sign_no in state.sessions
    assert signed.signed_in_at is not None


async def test_business_calls_sign_in_first_and_only_once(client: ProvincialClient, state: SimulatorState) -> None:
    await client.person_info(PERSON, "张建国")
    await client.person_info(OTHER, "李秀英")
    assert len(state.calls_of("9001")) == 1


async def test_expired_session_signs_in_again_and_repeats_once(client: ProvincialClient,
                                                               state: SimulatorState) -> None:
    await client.sign_in()
    first = client.sign_no
    state.expire_sessions()
    person = await client.person_info(PERSON, "张建国")
    assert person.insured
    assert client.sign_no != first
    assert [c.outcome for c in state.calls_of("1101")] == ["error", "ok"]
    assert len(state.calls_of("9001")) == 2


async def test_another_institutions_sign_no_is_refused(state: SimulatorState) -> None:
    async with make_client(state) as ours, make_client(state, code="H61070200002") as theirs:
        await ours.sign_in()
        await theirs.sign_in()
        theirs._sign_no = ours.sign_no  # a session must belong to the caller
        await theirs.person_info(PERSON, "张建国")  # refused, so it signs in again by itself
        assert theirs.sign_no != ours.sign_no


# --- 1101 ---------------------------------------------------------------------------------------------------

async def test_any_valid_id_is_an_insured_resident(client: ProvincialClient) -> None:
    person = await client.person_info(PERSON, "张建国")
    assert person.name == "张建国" and person.cert_no == PERSON and person.cert_type == "01"
    assert person.person_no == person_no(PERSON, "610702")  # deterministic
    assert person.gender == "1" and person.birth_date == date(1958, 3, 12) and person.age is not None
    assert person.insured and not person.assistance_recipient
    line = person.insurance("390")
    assert line is not None and line.status == "1" and line.balance == Decimal("0.00")
    assert person.insured_division == "610702"  # from the ID's first six digits
    again = await client.person_info(PERSON, "张建国")
    assert again.person_no == person.person_no


async def test_female_with_x_check_character(client: ProvincialClient) -> None:
    person = await client.person_info(OTHER.lower(), "李秀英")
    assert person.gender == "2" and person.insured_division == "610721" and person.cert_no == OTHER


async def test_suspended_person_is_not_insured_and_warned(client: ProvincialClient, state: SimulatorState) -> None:
    state.suspend(PERSON, on=date(2025, 1, 1))
    person = await client.person_info(PERSON, "张建国")
    assert not person.insured
    line = person.insurance("390")
    assert line is not None and line.status == "2" and line.suspended_since == date(2025, 1, 1)


async def test_assistance_recipient_from_idetinfo(client: ProvincialClient, state: SimulatorState) -> None:
    state.add_assistance_recipient(PERSON, begins=datetime(2020, 1, 1))
    person = await client.person_info(PERSON, "张建国")
    assert person.insured and person.assistance_recipient
    assert person.identities[0].identity_type == "2302"


async def test_expired_identity_is_not_assistance(client: ProvincialClient, state: SimulatorState) -> None:
    state.add_person(PERSON, identities=[Identity("2301", "", datetime(2019, 1, 1), datetime(2020, 12, 31))])
    person = await client.person_info(PERSON, "张建国")
    assert len(person.identities) == 1 and not person.assistance_recipient


async def test_unknown_person(client: ProvincialClient, state: SimulatorState) -> None:
    state.forget(PERSON)
    with pytest.raises(ProvincialError) as caught:
        await client.person_info(PERSON, "张建国")
    assert (caught.value.infno, caught.value.infcode, caught.value.err_msg) == ("1101", -1, "人员信息不存在")
    assert caught.value.http_status == 422


async def test_invalid_check_character_is_refused_without_retry(client: ProvincialClient,
                                                                 state: SimulatorState) -> None:
    with pytest.raises(ProvincialError, match="证件号码校验失败"):
        await client.person_info("610702195803120013", "张建国")
    assert len(state.calls_of("1101")) == 1  # a business error is never retried


async def test_configured_name_must_match(client: ProvincialClient, state: SimulatorState) -> None:
    state.add_person(PERSON, name="张建国")
    with pytest.raises(ProvincialError, match="人员姓名与证件号码不一致"):
        await client.person_info(PERSON, "张建华")


# --- 2503 / 2504 / 5301 -------------------------------------------------------------------------------------

async def test_file_query_revoke(client: ProvincialClient, state: SimulatorState) -> None:
    psn_no = await _person_no(client)
    filed = await client.file_qualification(psn_no, "M03900", "高血压", date(2025, 7, 1), ends=date(2027, 6, 30),
                                            hospital_code="H61070200099", hospital_name="汉中市中心医院",
                                            appraised_on=date(2025, 6, 20), doctor_code="D1", doctor_name="李医生")
    assert filed.serial and filed.person_no == psn_no
    filings = await client.query_filings(psn_no)
    assert [(f.disease_code, f.disease_name, f.begins, f.ends, f.serial) for f in filings] == [
        ("M03900", "高血压", date(2025, 7, 1), date(2027, 6, 30), filed.serial)]

    await client.revoke_filing(psn_no, filed.serial, "申请人撤回")
    assert await client.query_filings(psn_no) == []
    assert state.filings[filed.serial].revoke_memo == "申请人撤回"
    assert state.filings[filed.serial].data["hosp_ide_date"] == "2025-06-20"
    # Revoked, the same disease may be filed again.
    again = await client.file_qualification(psn_no, "M03900", "高血压", date(2025, 8, 1))
    assert again.serial != filed.serial


async def test_duplicate_active_filing_is_refused(client: ProvincialClient, state: SimulatorState) -> None:
    psn_no = await _person_no(client)
    await client.file_qualification(psn_no, "M03900", "高血压", date(2025, 7, 1))
    with pytest.raises(ProvincialError) as caught:
        await client.file_qualification(psn_no, "M03900", "高血压", date(2025, 7, 2))
    assert caught.value.err_msg == "该人员已存在有效的备案信息"
    assert len(state.calls_of("2503")) == 2
    # Another disease is a separate filing.
    await client.file_qualification(psn_no, "M01600", "糖尿病", date(2025, 7, 1))
    assert len(await client.query_filings(psn_no)) == 2


async def test_filing_needs_a_known_insured_person(client: ProvincialClient, state: SimulatorState) -> None:
    with pytest.raises(ProvincialError, match="人员信息不存在"):
        await client.file_qualification("61070000000000000000000000", "M03900", "高血压", date(2025, 7, 1))
    state.suspend(PERSON)
    psn_no = await _person_no(client)
    with pytest.raises(ProvincialError, match="暂停参保"):
        await client.file_qualification(psn_no, "M03900", "高血压", date(2025, 7, 1))


async def test_revoking_unknown_or_revoked_filing_is_refused(client: ProvincialClient) -> None:
    psn_no = await _person_no(client)
    with pytest.raises(ProvincialError, match="备案信息不存在：NOPE"):
        await client.revoke_filing(psn_no, "NOPE", "x")
    filed = await client.file_qualification(psn_no, "M03900", "高血压", date(2025, 7, 1))
    await client.revoke_filing(psn_no, filed.serial, "x")
    with pytest.raises(ProvincialError, match="已撤销"):
        await client.revoke_filing(psn_no, filed.serial, "x")


# --- 3201 ---------------------------------------------------------------------------------------------------

async def test_totals_balance_when_the_platform_holds_nothing(client: ProvincialClient) -> None:
    result = await client.reconcile_totals(clr_type="11", begin_date=JUNE[0], end_date=JUNE[1],
                                           medical_fee_total=Decimal("1234.50"), fund_paid_total=Decimal("800.00"),
                                           settlement_count=3)
    assert result.balanced and result.result == "0" and result.settlement_agency == "610700"


async def test_totals_against_recorded_settlements(client: ProvincialClient, state: SimulatorState) -> None:
    state.record_settlements(INSTITUTION, *JUNE, medical_fee_total=Decimal("1000.00"),
                             fund_paid_total=Decimal("600.00"), count=10)
    same = await client.reconcile_totals(clr_type="11", begin_date=JUNE[0], end_date=JUNE[1],
                                         medical_fee_total=Decimal("1000.00"), fund_paid_total=Decimal("600.00"),
                                         settlement_count=10)
    assert same.balanced
    off = await client.reconcile_totals(clr_type="11", begin_date=JUNE[0], end_date=JUNE[1],
                                        medical_fee_total=Decimal("1000.00"), fund_paid_total=Decimal("600.01"),
                                        settlement_count=9)
    assert not off.balanced and off.result == "1"
    assert off.description == "基金支付总额不符：机构 600.01，中心 600.00；结算笔数不符：机构 9，中心 10"


async def test_totals_refuse_floats_before_sending(client: ProvincialClient, state: SimulatorState) -> None:
    with pytest.raises(Exception, match="float"):
        await client.reconcile_totals(clr_type="11", begin_date=JUNE[0], end_date=JUNE[1],
                                      medical_fee_total=1000.0,  # type: ignore[arg-type]
                                      fund_paid_total=Decimal("1"), settlement_count=1)
    assert state.calls_of("3201") == []


# --- 3202 (with 9101) ---------------------------------------------------------------------------------------

def _row(setl_id: str, fee: str, fund: str) -> DetailRow:
    return DetailRow(setl_id, f"M{setl_id}", "P1", Decimal(fee), Decimal(fund))


async def test_details_list_mismatched_rows(client: ProvincialClient, state: SimulatorState) -> None:
    state.record_settlements(INSTITUTION, *JUNE, clr_type="11",
                             details=[_row("S1", "100.00", "60.00"), _row("S2", "200.00", "120.00"),
                                      _row("S3", "50.00", "30.00")])
    ours = [_row("S1", "100.00", "60.00"), _row("S2", "210.00", "120.00"), _row("S4", "40.00", "20.00")]
    result = await client.reconcile_details(clr_type="11", begin_date=JUNE[0], end_date=JUNE[1],
                                            medical_fee_total=Decimal("350.00"), fund_paid_total=Decimal("200.00"),
                                            cash_paid_total=Decimal("150.00"), settlement_count=3, rows=ours)
    assert not result.balanced
    assert result.description == "基金支付总额不符：机构 200.00，中心 210.00"
    by_id = {m.settlement_id: m for m in result.mismatches}
    assert set(by_id) == {"S2", "S3", "S4"}
    assert by_id["S2"].result == "3" and "医疗费总额 机构 210.00，中心 200.00" in by_id["S2"].memo
    assert by_id["S3"].result == "1" and by_id["S3"].medical_fee_total == Decimal("50.00")
    assert by_id["S4"].result == "2"
    assert len(state.calls_of("9101")) == 1


async def test_details_balanced(client: ProvincialClient, state: SimulatorState) -> None:
    rows = [_row("S1", "100.00", "60.00"), _row("S2", "200.00", "120.00")]
    state.record_settlements(INSTITUTION, *JUNE, details=rows)
    result = await client.reconcile_details(clr_type="21", begin_date=JUNE[0], end_date=JUNE[1],
                                            medical_fee_total=Decimal("300.00"), fund_paid_total=Decimal("180.00"),
                                            cash_paid_total=Decimal("120.00"), settlement_count=2, rows=rows)
    assert result.balanced and result.mismatches == ()


async def test_details_file_must_match_declared_totals(client: ProvincialClient) -> None:
    expected = "明细文件合计与申报总额不一致：医疗费总额不符：机构 999.00，明细文件 100.00"
    with pytest.raises(ProvincialError, match=re.escape(expected)):
        await client.reconcile_details(clr_type="11", begin_date=JUNE[0], end_date=JUNE[1],
                                       medical_fee_total=Decimal("999.00"), fund_paid_total=Decimal("60.00"),
                                       cash_paid_total=Decimal("40.00"), settlement_count=1,
                                       rows=[_row("S1", "100.00", "60.00")])


async def test_details_with_unknown_file(client: ProvincialClient) -> None:
    with pytest.raises(ProvincialError, match="文件查询号不存在：F1"):
        await client.reconcile_details(clr_type="11", begin_date=JUNE[0], end_date=JUNE[1],
                                       medical_fee_total=Decimal("0"), fund_paid_total=Decimal("0"),
                                       cash_paid_total=Decimal("0"), settlement_count=0, file_qury_no="F1")


# --- retries ------------------------------------------------------------------------------------------------

async def test_retries_injected_503s_then_succeeds(client: ProvincialClient, state: SimulatorState) -> None:
    await client.sign_in()
    state.inject_fault("http_503", 3, infno="1101")
    person = await client.person_info(PERSON, "张建国")
    assert person.insured
    assert [c.outcome for c in state.calls_of("1101")] == ["http_503"] * 3 + ["ok"]
    msgids = {c.msgid for c in state.calls_of("1101")}
    assert len(msgids) == 1  # a retry re-sends the same message


async def test_gives_up_after_the_retries(state: SimulatorState) -> None:
    async with make_client(state, retries=2) as client:
        await client.sign_in()
        state.inject_fault("http_503", 5, infno="1101")
        with pytest.raises(ProvincialUnavailable, match="after 3 attempts: HTTP 503"):
            await client.person_info(PERSON, "张建国")
    assert len(state.calls_of("1101")) == 3


async def test_no_retry_on_a_business_error(client: ProvincialClient, state: SimulatorState) -> None:
    psn_no = await _person_no(client)
    with pytest.raises(ProvincialError):
        await client.revoke_filing(psn_no, "NOPE", "x")
    assert len(state.calls_of("2504")) == 1


async def test_timeout_is_retried_and_the_platform_answers_the_msgid_once(state: SimulatorState) -> None:
    async with make_client(state, timeout=0.2) as client:
        psn_no = await _person_no(client)
        state.inject_fault("delay", 1, delay_seconds=1.0, infno="2503")
        filed = await client.file_qualification(psn_no, "M03900", "高血压", date(2025, 7, 1))
    # The first attempt was processed but answered too late; the retry got the same answer, not a duplicate error.
    assert [c.outcome for c in state.calls_of("2503")] == ["ok", "replayed"]
    assert list(state.filings) == [filed.serial]


async def test_connection_errors_are_retried_then_unavailable() -> None:
    attempts = 0

    def refuse(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        raise httpx.ConnectError("connection refused", request=request)

    client = ProvincialClient("http://nowhere/", INSTITUTION, "x", "op", transport=httpx.MockTransport(refuse),
                              retries=1, backoff=0.001)
    async with client:
        with pytest.raises(ProvincialUnavailable, match="ConnectError"):
            await client.sign_in()
    assert attempts == 2


async def test_not_an_envelope_is_a_protocol_error_not_retried() -> None:
    attempts = 0

    def html(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        return httpx.Response(200, text="<html>login</html>")

    async with ProvincialClient("http://x/", INSTITUTION, "x", "op", transport=httpx.MockTransport(html)) as client:
        with pytest.raises(ProvincialProtocolError, match="no envelope"):
            await client.sign_in()
    assert attempts == 1


def test_constructor_checks_its_configuration() -> None:
    with pytest.raises(ValueError, match="12 characters"):
        ProvincialClient("http://x/", "H1", "x", "op")
    with pytest.raises(ValueError, match="6 digits"):
        ProvincialClient("http://x/", INSTITUTION, "x", "op", division="6107")


async def test_keyword_calls_as_the_services_make_them(client: ProvincialClient) -> None:
    """Pins the names intake (1101) and appraisal's filing worker (2503/2504) call with."""
    info = await client.person_info(PERSON, "张建国")
    assert (info.psn_no, info.insuplc_admdvs, info.insutype) == (info.person_no, "610702", "390")
    result = await client.file_qualification(
        person_no=info.psn_no, disease_code="M03900", disease_name="高血压", insurance_type="390",
        begins=date(2025, 7, 1), ends=None, hospital_code="H61070200099", appraised_on=date(2025, 6, 20),
        doctor_name="专家组")
    await client.revoke_filing(person_no=info.psn_no, serial=result.serial, memo="资格撤销")
    assert await client.query_filings(person_no=info.psn_no) == []
