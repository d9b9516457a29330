"""The simulated platform's rules: one request envelope in, one response envelope out, no HTTP here.

Failures answer `infcode` -1 with the platform's kind of Chinese `err_msg`; a msgid seen before with the same
request is answered with the first answer again, so a client retry after a lost response does nothing twice.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from chassis.errors import InvalidInput
from chassis.money import fmt, parse_yuan
from provincial import envelope as env
from provincial import ids
from provincial.models import (
    AMOUNTS_DIFFER,
    BALANCED,
    DETAIL_FIELDS,
    ONLY_AT_INSTITUTION,
    ONLY_ON_PLATFORM,
    DetailRow,
    decode_detail_file,
    totals,
)
from provincial.simulator.state import (
    RESIDENT_PERSON_TYPE,
    CallRecord,
    FilingRecord,
    Person,
    Session,
    SimulatorState,
    UploadedFile,
)

log = logging.getLogger("provincial.simulator")

FAILURE = -1
NOT_BALANCED = "1"
SESSION_EXPIRED = "签到信息不存在或已过期，请重新签到"
PERSON_NOT_FOUND = "人员信息不存在"
DUPLICATE_FILING = "该人员已存在有效的备案信息"
MAX_FILE_BYTES = 10 * 1024 * 1024

_MSGID = re.compile(r"^.{12}\d{18}$")
_DIVISION = re.compile(r"^\d{6}$")
_CLEARING_TYPES = {"11": "门诊", "21": "住院", "41": "药店购药", "99": "其他"}
# 险种类型 (insutype): the national codes the platform knows.
_INSURANCE_TYPES = {"310": "职工基本医疗保险", "320": "公务员医疗补助", "330": "大额医疗费用补助",
                    "340": "离休人员医疗保障", "390": "城乡居民基本医疗保险", "392": "城乡居民大病医疗保险",
                    "510": "生育保险"}


class PlatformError(Exception):
    """A refusal: becomes infcode -1 with this err_msg."""

    def __init__(self, err_msg: str) -> None:
        super().__init__(err_msg)
        self.err_msg = err_msg


@dataclass(frozen=True)
class Context:
    infno: str
    envelope: Mapping[str, Any]
    fixmedins_code: str
    now: datetime


Output = dict[str, Any]
Handler = Callable[[SimulatorState, Context, Mapping[str, Any]], Output | tuple[Output, str]]


# --- the envelope -------------------------------------------------------------------------------------------

def reply(state: SimulatorState, received: datetime, *, output: Output | None = None, err_msg: str = "",
          warn_msg: str = "") -> dict[str, Any]:
    """A response envelope; inf_refmsgid = platform division (6) + time (14) + sequence (10)."""
    now = state.clock()
    return {
        "infcode": FAILURE if err_msg else 0,
        "inf_refmsgid": f"{state.division}{env.compact_time(now)}{state.next_number():010d}",
        "refmsg_time": env.millis_time(received),
        "respond_time": env.millis_time(now),
        "err_msg": err_msg or None,
        "warn_msg": warn_msg or None,
        "cainfo": None,
        "signtype": None,
        "output": output if not err_msg else None,
    }


def parse(body: bytes) -> Any:
    """The request document, or None when the body is not JSON."""
    try:
        return env.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def process(state: SimulatorState, document: Any, received: datetime) -> dict[str, Any]:
    """Answer one request document (as `parse` returned it)."""
    if not isinstance(document, dict):
        state.record_call(CallRecord("", "", "error", FAILURE))
        return reply(state, received, err_msg="报文格式错误：请求体不是合法的 JSON 对象")

    infno = _text(document.get("infno"))
    msgid = _text(document.get("msgid"))
    missing = [name for name in env.REQUIRED_REQUEST_FIELDS if document.get(name) in (None, "", {})]
    if missing:
        state.record_call(CallRecord(infno, msgid, "error", FAILURE))
        return reply(state, received, err_msg=f"入参校验失败：缺少必填字段 {', '.join(missing)}")

    fingerprint = json.dumps([infno, document.get("input")], sort_keys=True, ensure_ascii=False, default=str)
    seen = state.reply_for(msgid)
    if seen is not None:
        if seen[0] == fingerprint:
            state.record_call(CallRecord(infno, msgid, "replayed", seen[1]["infcode"]))
            return seen[1]
        state.record_call(CallRecord(infno, msgid, "error", FAILURE))
        return reply(state, received, err_msg=f"报文ID重复：{msgid}")

    try:
        answer = _dispatch(state, document, infno, msgid, received)
    except PlatformError as exc:
        answer = reply(state, received, err_msg=exc.err_msg)
    except Exception as exc:  # a simulator bug: answer like the platform would, keep the trace in the log
        log.exception("simulator failed on %s", infno)
        answer = reply(state, received, err_msg=f"系统内部错误：{type(exc).__name__}")
    if _MSGID.match(msgid):
        state.remember_reply(msgid, fingerprint, answer)
    state.record_call(CallRecord(infno, msgid, "ok" if answer["infcode"] == 0 else "error", answer["infcode"]))
    return answer


def _dispatch(state: SimulatorState, document: Mapping[str, Any], infno: str, msgid: str,
              received: datetime) -> dict[str, Any]:
    handler = HANDLERS.get(infno)
    if handler is None:
        raise PlatformError(f"交易编号不存在：{infno}")
    code = _text(document.get("fixmedins_code"))
    if not (_MSGID.match(msgid) and msgid.startswith(code)):
        raise PlatformError("msgid 格式错误：应为定点医药机构编号(12位)+yyyyMMddHHmmss(14位)+顺序号(4位)")
    if not _DIVISION.match(_text(document.get("mdtrtarea_admvs"))):
        raise PlatformError("mdtrtarea_admvs 格式错误：应为 6 位医保区划")
    try:
        datetime.strptime(_text(document.get("inf_time")), "%Y-%m-%d %H:%M:%S")
    except ValueError as exc:
        raise PlatformError("inf_time 格式错误：应为 yyyy-MM-dd HH:mm:ss") from exc
    if infno != env.SIGN_IN:
        _check_session(state, code, _text(document.get("sign_no")))
    node = env.input_node(infno)
    payload = document["input"]
    data = payload.get(node) if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        raise PlatformError(f"入参校验失败：input 缺少节点 {node}")
    result = handler(state, Context(infno, document, code, state.clock()), data)
    output, warn = result if isinstance(result, tuple) else (result, "")
    return reply(state, received, output=output, warn_msg=warn)


def _check_session(state: SimulatorState, code: str, sign_no: str) -> None:
    with state.lock:
        session = state.sessions.get(sign_no)
        if session is None or session.fixmedins_code != code or session.expires_at <= state.clock():
            raise PlatformError(SESSION_EXPIRED)


# --- field helpers ------------------------------------------------------------------------------------------

def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _require(data: Mapping[str, Any], *names: str, node: str = "data") -> None:
    missing = [name for name in names if _text(data.get(name)) == ""]
    if missing:
        raise PlatformError(f"入参校验失败：{node} 缺少必填字段 {', '.join(missing)}")


def _date(data: Mapping[str, Any], name: str) -> date | None:
    raw = _text(data.get(name))
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError as exc:
        raise PlatformError(f"日期格式错误：{name} 应为 yyyy-MM-dd") from exc


def _amount(data: Mapping[str, Any], name: str) -> Decimal:
    try:
        return parse_yuan(data.get(name), name)
    except InvalidInput as exc:
        raise PlatformError(f"金额格式错误：{name} 应为两位小数，收到 {data.get(name)!r}") from exc


def _count(data: Mapping[str, Any], name: str) -> int:
    raw = data.get(name)
    if isinstance(raw, bool) or not (isinstance(raw, int) or (isinstance(raw, str) and raw.strip().isdigit())):
        raise PlatformError(f"笔数格式错误：{name} 应为非负整数，收到 {raw!r}")
    return int(raw)


def _period(data: Mapping[str, Any]) -> tuple[date, date]:
    begin, end = _date(data, "stmt_begndate"), _date(data, "stmt_enddate")
    assert begin is not None and end is not None  # required before
    if end < begin:
        raise PlatformError("对账结束日期不能早于开始日期")
    return begin, end


def _insurance_type(data: Mapping[str, Any]) -> str:
    insutype = _text(data.get("insutype"))
    if insutype not in _INSURANCE_TYPES:
        raise PlatformError(f"险种类型不存在：{insutype}")
    return insutype


def _clearing_type(data: Mapping[str, Any]) -> str:
    clr_type = _text(data.get("clr_type"))
    if clr_type not in _CLEARING_TYPES:
        raise PlatformError(f"清算类别不存在：{clr_type}")
    return clr_type


# --- 9001 sign-in -------------------------------------------------------------------------------------------

def sign_in(state: SimulatorState, ctx: Context, data: Mapping[str, Any]) -> Output:
    _require(data, "opter_no", node="signIn")
    sign_no = f"{env.compact_time(ctx.now)}{state.next_number():06d}"
    with state.lock:
        state.sessions[sign_no] = Session(sign_no, ctx.fixmedins_code, _text(data.get("opter_no")),
                                          ctx.now + state.session_ttl)
    return {"signinoutb": {"sign_time": env.inf_time(ctx.now), "sign_no": sign_no}}


# --- 1101 person info ---------------------------------------------------------------------------------------

def person_info(state: SimulatorState, ctx: Context, data: Mapping[str, Any]) -> tuple[Output, str]:
    _require(data, "mdtrt_cert_type")
    cert_type = _text(data.get("mdtrt_cert_type"))
    if cert_type == "02":
        _require(data, "mdtrt_cert_no")
        cert_no = _text(data.get("mdtrt_cert_no"))
    elif cert_type in {"01", "03"}:
        # The simulator has no e-vouchers or cards: it resolves them through the certno sent alongside.
        _require(data, "certno")
        cert_no = _text(data.get("certno"))
    else:
        raise PlatformError(f"就诊凭证类型不存在：{cert_type}")
    if not ids.valid_resident_id(cert_no):
        raise PlatformError(f"证件号码校验失败：{cert_no}")
    given_name = _text(data.get("psn_name"))
    configured = state.configured_name(cert_no)
    if configured and given_name and configured != given_name:
        raise PlatformError("人员姓名与证件号码不一致")
    person = state.person(cert_no)
    if person is None:
        raise PlatformError(PERSON_NOT_FOUND)
    with state.lock:
        person.name = configured or given_name or f"参保人{person.cert_no[-4:]}"
    warn = "该人员当前为暂停参保状态" if person.status == "suspended" else ""
    return _person_output(person, ctx.now), warn


def _person_output(person: Person, now: datetime) -> Output:
    born = ids.birth_date(person.cert_no)
    today = now.date()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    insured_since = max(born, date(2018, 1, 1))  # the year the simulator's resident scheme began
    return {
        "baseinfo": {
            "psn_no": person.psn_no,
            "psn_cert_type": "01",
            "certno": person.cert_no,
            "psn_name": person.name,
            "gend": ids.gender(person.cert_no),
            "naty": "01",
            "brdy": born.isoformat(),
            "age": age,
        },
        "insuinfo": [{
            "balc": "0.00",  # residents have no personal account
            "insutype": person.insutype,
            "psn_type": RESIDENT_PERSON_TYPE,
            "psn_insu_stas": "1" if person.status == "insured" else "2",
            "psn_insu_date": insured_since.isoformat(),
            "paus_insu_date": person.suspended_on.isoformat() if person.suspended_on else None,
            "cvlserv_flag": "0",
            "insuplc_admdvs": person.division,
            "emp_name": "",
        }],
        "idetinfo": [{
            "psn_idet_type": ident.psn_idet_type,
            "psn_type_lv": ident.psn_type_lv,
            "memo": ident.memo,
            "begntime": env.inf_time(ident.begntime.replace(tzinfo=env.BEIJING)) if ident.begntime else None,
            "endtime": env.inf_time(ident.endtime.replace(tzinfo=env.BEIJING)) if ident.endtime else None,
        } for ident in person.identities],
    }


# --- 2503 / 2504 / 5301 filings -----------------------------------------------------------------------------

def _known_person(state: SimulatorState, psn_no: str) -> Person:
    person = state.person_by_no(psn_no)
    if person is None:
        raise PlatformError(f"{PERSON_NOT_FOUND}：psn_no {psn_no}")
    return person


def file_qualification(state: SimulatorState, ctx: Context, data: Mapping[str, Any]) -> Output:
    _require(data, "psn_no", "insutype", "opsp_dise_code", "opsp_dise_name", "begndate")
    person = _known_person(state, _text(data["psn_no"]))
    if person.status != "insured":
        raise PlatformError("该人员参保状态异常（暂停参保），不能办理备案")
    if _text(data["insutype"]) != person.insutype:
        raise PlatformError(f"该人员未参加险种 {_text(data['insutype'])}")
    begin, end = _date(data, "begndate"), _date(data, "enddate")
    _date(data, "hosp_ide_date")
    assert begin is not None
    if end is not None and end < begin:
        raise PlatformError("结束日期不能早于开始日期")
    disease = _text(data["opsp_dise_code"])
    with state.lock:
        today = ctx.now.date()
        if any(f.psn_no == person.psn_no and f.data["opsp_dise_code"] == disease and f.active_on(today)
               for f in state.filings.values()):
            raise PlatformError(DUPLICATE_FILING)
        serial = f"{person.division[:4]}{ctx.now:%Y%m%d}{state.next_number():010d}"
        state.filings[serial] = FilingRecord(
            serial=serial, psn_no=person.psn_no, fixmedins_code=ctx.fixmedins_code,
            data={key: _text(value) for key, value in data.items()}, filed_at=ctx.now,
        )
    return {"result": {"trt_dcla_detl_sn": serial}}


def revoke_filing(state: SimulatorState, ctx: Context, data: Mapping[str, Any]) -> Output:
    _require(data, "psn_no", "trt_dcla_detl_sn")
    serial = _text(data["trt_dcla_detl_sn"])
    with state.lock:
        filing = state.filings.get(serial)
        if filing is None or filing.psn_no != _text(data["psn_no"]):
            raise PlatformError(f"备案信息不存在：{serial}")
        if filing.revoked_at is not None:
            raise PlatformError(f"该备案信息已撤销：{serial}")
        filing.revoked_at = ctx.now
        filing.revoke_memo = _text(data.get("memo"))
    return {}


def query_filings(state: SimulatorState, ctx: Context, data: Mapping[str, Any]) -> Output:
    _require(data, "psn_no")
    person = _known_person(state, _text(data["psn_no"]))
    today = ctx.now.date()
    with state.lock:
        rows = [f for f in state.filings.values() if f.psn_no == person.psn_no and f.active_on(today)]
    return {"feedetail": [{
        "trt_dcla_detl_sn": f.serial,
        "opsp_dise_code": f.data["opsp_dise_code"],
        "opsp_dise_name": f.data["opsp_dise_name"],
        "begndate": f.data["begndate"],
        "enddate": f.data.get("enddate") or None,
    } for f in rows]}


# --- 9101 file upload ---------------------------------------------------------------------------------------

def upload_file(state: SimulatorState, ctx: Context, data: Mapping[str, Any]) -> Output:
    _require(data, "in", "filename", "fixmedins_code", node="fsUploadIn")
    if _text(data["fixmedins_code"]) != ctx.fixmedins_code:
        raise PlatformError("fixmedins_code 与报文头不一致")
    try:
        content = base64.b64decode(_text(data["in"]), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PlatformError("文件内容不是合法的 Base64 编码") from exc
    if len(content) > MAX_FILE_BYTES:
        raise PlatformError(f"文件过大：超过 {MAX_FILE_BYTES // (1024 * 1024)}MB")
    number = f"F{ctx.fixmedins_code}{env.compact_time(ctx.now)}{state.next_number():06d}"
    with state.lock:
        state.files[number] = UploadedFile(number, ctx.fixmedins_code, _text(data["filename"]), content)
    return {"file_qury_no": number, "filename": _text(data["filename"]),
            "dld_end_time": env.inf_time(ctx.now.replace(hour=23, minute=59, second=59))}


# --- 3201 / 3202 reconciliation -----------------------------------------------------------------------------

def _total_differences(fee: Decimal, fund: Decimal, count: int, other_fee: Decimal, other_fund: Decimal,
                       other_count: int, other: str = "中心") -> list[str]:
    """The institution's totals against another side's (the platform, 中心; or the detail file)."""
    differences = []
    if fee != other_fee:
        differences.append(f"医疗费总额不符：机构 {fmt(fee)}，{other} {fmt(other_fee)}")
    if fund != other_fund:
        differences.append(f"基金支付总额不符：机构 {fmt(fund)}，{other} {fmt(other_fund)}")
    if count != other_count:
        differences.append(f"结算笔数不符：机构 {count}，{other} {other_count}")
    return differences


def _stmtinfo(setl_optins: str, differences: list[str], no_record: bool) -> dict[str, str]:
    if differences:
        return {"setl_optins": setl_optins, "stmt_rslt": NOT_BALANCED, "stmt_rslt_dscr": "；".join(differences)}
    words = "对账一致（中心无该期间结算记录，以机构申报为准）" if no_record else "对账一致"
    return {"setl_optins": setl_optins, "stmt_rslt": BALANCED, "stmt_rslt_dscr": words}


def reconcile_totals(state: SimulatorState, ctx: Context, data: Mapping[str, Any]) -> Output:
    _require(data, "insutype", "clr_type", "setl_optins", "stmt_begndate", "stmt_enddate", "medfee_sumamt",
             "fund_pay_sumamt", "acct_pay", "fixmedins_setl_cnt")
    clr_type = _clearing_type(data)
    insutype = _insurance_type(data)
    begin, end = _period(data)
    fee, fund = _amount(data, "medfee_sumamt"), _amount(data, "fund_pay_sumamt")
    _amount(data, "acct_pay")
    count = _count(data, "fixmedins_setl_cnt")
    record = state.settlement_for(ctx.fixmedins_code, begin, end, clr_type, insutype)
    differences = [] if record is None else _total_differences(
        fee, fund, count, record.medical_fee_total, record.fund_paid_total, record.count)
    return {"stmtinfo": _stmtinfo(_text(data["setl_optins"]), differences, record is None)}


def reconcile_details(state: SimulatorState, ctx: Context, data: Mapping[str, Any]) -> Output:
    _require(data, "setl_optins", "file_qury_no", "stmt_begndate", "stmt_enddate", "medfee_sumamt",
             "fund_pay_sumamt", "cash_payamt", "fixmedins_setl_cnt", "clr_type")
    clr_type = _clearing_type(data)
    begin, end = _period(data)
    fee, fund = _amount(data, "medfee_sumamt"), _amount(data, "fund_pay_sumamt")
    _amount(data, "cash_payamt")
    count = _count(data, "fixmedins_setl_cnt")
    number = _text(data["file_qury_no"])
    with state.lock:
        uploaded = state.files.get(number)
    if uploaded is None or uploaded.fixmedins_code != ctx.fixmedins_code:
        raise PlatformError(f"文件查询号不存在：{number}")
    try:
        rows = decode_detail_file(uploaded.content)
    except ValueError as exc:
        raise PlatformError(f"明细文件格式错误：{exc}（字段顺序 {'、'.join(DETAIL_FIELDS)}）") from exc
    file_differences = _total_differences(fee, fund, count, *totals(rows), other="明细文件")
    if file_differences:
        # The institution's own file and its declared totals disagree: the platform refuses to reconcile.
        raise PlatformError("明细文件合计与申报总额不一致：" + "；".join(file_differences))

    record = state.settlement_for(ctx.fixmedins_code, begin, end, clr_type)
    if record is None:
        return {"stmtinfo": _stmtinfo(_text(data["setl_optins"]), [], True), "fileinfo": []}
    differences = _total_differences(fee, fund, count, record.medical_fee_total, record.fund_paid_total,
                                     record.count)
    mismatches = _row_differences(rows, record.details) if record.details is not None else []
    if mismatches and not differences:
        differences.append(f"明细不符：{len(mismatches)} 笔")
    return {"stmtinfo": _stmtinfo(_text(data["setl_optins"]), differences, False), "fileinfo": mismatches}


def _row_differences(institution: list[DetailRow], platform: list[DetailRow]) -> list[dict[str, str]]:
    ours = {row.settlement_id: row for row in platform}
    theirs = {row.settlement_id: row for row in institution}
    out: list[dict[str, str]] = []
    for setl_id in sorted(ours.keys() | theirs.keys()):
        mine, yours = ours.get(setl_id), theirs.get(setl_id)
        if mine is None:
            assert yours is not None
            out.append(_mismatch(yours, ONLY_AT_INSTITUTION, "机构有、中心无"))
            continue
        if yours is None:
            out.append(_mismatch(mine, ONLY_ON_PLATFORM, "中心有、机构无"))
            continue
        notes = []
        for label, a, b in (("医疗费总额", yours.medical_fee_total, mine.medical_fee_total),
                            ("基金支付", yours.fund_paid, mine.fund_paid),
                            ("个人账户支付", yours.account_paid, mine.account_paid)):
            if a != b:
                notes.append(f"{label} 机构 {fmt(a)}，中心 {fmt(b)}")
        if notes:
            out.append(_mismatch(mine, AMOUNTS_DIFFER, "；".join(notes)))
    return out


def _mismatch(row: DetailRow, result: str, memo: str) -> dict[str, str]:
    return {**row.to_wire(), "stmt_rslt": result, "memo": memo}


HANDLERS: dict[str, Handler] = {
    env.SIGN_IN: sign_in,
    env.PERSON_INFO: person_info,
    env.FILING: file_qualification,
    env.FILING_REVOCATION: revoke_filing,
    env.FILING_QUERY: query_filings,
    env.FILE_UPLOAD: upload_file,
    env.RECONCILE_TOTALS: reconcile_totals,
    env.RECONCILE_DETAILS: reconcile_details,
}
