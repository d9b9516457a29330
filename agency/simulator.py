"""A simulator of the agency's long-term care information system (长护险信息管理系统模拟): `create_app(state)`
in-process (embedded mode), or `python -m agency.simulator --port 8191` as its own process (local mode).

It speaks the envelope of agency/envelope.py on `/` (and `AGENCY_PATH`), checks every field of LTC01/LTC02/LTC03
(agency/messages.py) and answers the system's codes (agency/errors.py ANSWER_CODES): a missing field 1002, an unknown
transaction 1003, a bad msgid 1004, a msgid reused for other content 1005, an unknown lot 1006, an identity number
failing its check 2001 (naming the record's position, never the number), a bad date, time, grade or amount 2002, more
than 500 records in a message 2003, a statement or conclusion sent again with other content 2004. Idempotent by msgid:
the same msgid with the same input is answered with its first answer and nothing is received twice; records and
statements seen before under another msgid are counted as duplicates (`dup_cnt`), not again.

Admin endpoints for tests and demos: `GET /admin/received?txn=&limit=` (what the system holds: counts, and the latest
messages with their data), `POST /admin/faults` `{mode: http_503|delay|refuse, count, txn?, delay_seconds?, code?,
err_msg?}` (the next calls answer HTTP 503, answer late after processing, or are refused with a code), `GET` and
`DELETE /admin/faults`, `POST /admin/reset`; `GET /healthz`."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import re
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from agency import envelope as env
from agency import errors as codes
from agency.messages import MAX_RECORDS_PER_MESSAGE
from chassis.errors import InvalidInput
from chassis.money import parse_yuan
from provincial import ids

log = logging.getLogger("agency.simulator")

AGENCY_PATH = "/ltcis/api/callService"  # the path a real deployment exposes; `/` answers as well
DEFAULT_PORT = 8191

FaultMode = Literal["http_503", "delay", "refuse"]
_MSGID = re.compile(r"^.{12}\d{18}$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_REPLAY_LIMIT = 20_000      # answers kept by msgid (a retried message is answered once)
_RECORD_MEMORY = 2_000_000  # service record ids remembered for duplicates (a month of a busy city, and then some)
_DETAIL_LIMIT = 200         # the latest messages kept with their data for /admin/received
_MESSAGE_LIMIT = 20_000     # the latest messages kept in summary


class Refusal(Exception):
    """A refusal: becomes `code` with this err_msg (never quoting an identity number)."""

    def __init__(self, code: int, err_msg: str) -> None:
        super().__init__(err_msg)
        self.code = code
        self.err_msg = err_msg


@dataclass
class Fault:
    mode: FaultMode
    remaining: int
    delay_seconds: float = 5.0
    txn: str | None = None
    code: int = codes.INTERNAL
    err_msg: str = ""


@dataclass
class Received:
    """One message as the system saw it; `data` kept for the latest ones only."""

    txn: str
    msgid: str
    sender: str
    lot: str
    outcome: str  # ok | error | replayed | http_503
    code: int | None
    received_at: str
    rcv_msgid: str = ""
    business_id: str = ""
    records: int = 0
    persons: int = 0
    accepted: int = 0
    duplicates: int = 0
    err_msg: str = ""
    data: dict[str, Any] | None = None


@dataclass
class Holdings:
    """What the system has filed, by business id, with the fingerprint of the data (a resend with other content is
    2004)."""

    assessments: dict[str, str] = field(default_factory=dict)
    settlements: dict[str, str] = field(default_factory=dict)
    record_ids: OrderedDict[str, None] = field(default_factory=OrderedDict)
    records_accepted: int = 0


class AgencyState:
    """All the simulator's memory; thread-safe so an embedded host can look at it while it serves."""

    def __init__(self, *, division: str = "330300", clock: Callable[[], datetime] = env.now_beijing) -> None:
        self.division = division  # first 6 of rcv_msgid
        self.clock = clock
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.holdings = Holdings()
            self.faults: list[Fault] = []
            self.messages: deque[Received] = deque(maxlen=_MESSAGE_LIMIT)
            self.counts: dict[str, int] = {}
            self.replies: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()
            self._counter = itertools.count(1)

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def next_number(self) -> int:
        with self._lock:
            return next(self._counter)

    def inject_fault(self, mode: FaultMode, count: int = 1, *, delay_seconds: float = 5.0, txn: str | None = None,
                     code: int = codes.INTERNAL, err_msg: str = "") -> Fault:
        """The next `count` calls (of `txn`, or any) answer HTTP 503, are answered only after a delay (processed
        first), or are refused with `code`."""
        if count < 1:
            raise ValueError("count must be >= 1")
        fault = Fault(mode, count, delay_seconds, txn, code, err_msg)
        with self._lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, txn: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.txn in (None, txn):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                    return fault
            return None

    def record(self, message: Received) -> None:
        with self._lock:
            self.messages.append(message)
            self.counts[message.outcome] = self.counts.get(message.outcome, 0) + 1
            # Only the latest messages keep their data (a month of service records would not fit in memory).
            if len(self.messages) > _DETAIL_LIMIT:
                self.messages[-_DETAIL_LIMIT - 1].data = None

    def received(self, txn: str | None = None, limit: int = 100) -> list[Received]:
        with self._lock:
            chosen = [m for m in self.messages if txn is None or m.txn == txn]
        return chosen[-limit:] if limit else []

    def remember_reply(self, msgid: str, fingerprint: str, answer: dict[str, Any]) -> None:
        with self._lock:
            self.replies[msgid] = (fingerprint, answer)
            while len(self.replies) > _REPLAY_LIMIT:
                self.replies.popitem(last=False)

    def reply_for(self, msgid: str) -> tuple[str, dict[str, Any]] | None:
        with self._lock:
            return self.replies.get(msgid)


# --- the rules: one request document in, one response document out ------------------------------------------

def reply(state: AgencyState, received: datetime, msgid: str, *, code: int = codes.SUCCESS,
          output: dict[str, Any] | None = None, err_msg: str = "") -> dict[str, Any]:
    """A response envelope; rcv_msgid = the system's division (6) + time (14) + sequence (10)."""
    now = state.clock()
    return {
        "code": code,
        "msgid": msgid,
        "rcv_msgid": f"{state.division}{env.compact_time(now)}{state.next_number():010d}",
        "rcv_time": env.millis_time(received),
        "respond_time": env.millis_time(now),
        "err_msg": (err_msg or codes.ANSWER_CODES.get(code, "")) if code else None,
        "warn_msg": None,
        "output": output if code == codes.SUCCESS else None,
    }


def parse(body: bytes) -> Any:
    """The request document, or None when the body is not JSON."""
    try:
        return env.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def process(state: AgencyState, document: Any, received: datetime) -> dict[str, Any]:
    """Answer one request document (as `parse` returned it)."""
    at = env.inf_time(received)
    if not isinstance(document, dict):
        state.record(Received("", "", "", "", "error", codes.MALFORMED, at))
        return reply(state, received, "", code=codes.MALFORMED, err_msg="报文格式错误：请求体不是合法的 JSON 对象")
    txn, msgid = _text(document.get("txn")), _text(document.get("msgid"))
    sender, lot = _text(document.get("sender")), _text(document.get("lot"))
    seen = Received(txn, msgid, sender, lot, "error", None, at)
    missing = [name for name in env.REQUIRED_REQUEST_FIELDS if document.get(name) in (None, "", {})]
    if missing:
        seen.code = codes.MISSING_FIELD
        state.record(seen)
        return reply(state, received, msgid, code=codes.MISSING_FIELD,
                     err_msg=f"必填字段缺失：{', '.join(missing)}")

    fingerprint = _fingerprint([txn, document.get("input")])
    earlier = state.reply_for(msgid)
    if earlier is not None:
        if earlier[0] == fingerprint:
            seen.outcome, seen.code = "replayed", earlier[1]["code"]
            state.record(seen)
            return earlier[1]
        seen.code = codes.DUPLICATE_MSGID
        state.record(seen)
        return reply(state, received, msgid, code=codes.DUPLICATE_MSGID, err_msg=f"报文ID重复：{msgid}")

    try:
        output = _dispatch(state, document, seen)
        answer = reply(state, received, msgid, output=output)
        seen.outcome, seen.code = "ok", codes.SUCCESS
    except Refusal as exc:
        answer = reply(state, received, msgid, code=exc.code, err_msg=exc.err_msg)
        seen.code, seen.err_msg, seen.data = exc.code, exc.err_msg, None
    except Exception as exc:  # a simulator bug: answer like the system would, keep the trace in the log
        log.exception("simulator failed on %s", txn)
        answer = reply(state, received, msgid, code=codes.INTERNAL, err_msg=f"系统内部错误：{type(exc).__name__}")
        seen.code, seen.data = codes.INTERNAL, None
    seen.rcv_msgid = answer["rcv_msgid"]
    if _MSGID.match(msgid):
        state.remember_reply(msgid, fingerprint, answer)
    state.record(seen)
    return answer


def _fingerprint(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _dispatch(state: AgencyState, document: Mapping[str, Any], seen: Received) -> dict[str, Any]:
    handler = HANDLERS.get(seen.txn)
    if handler is None:
        raise Refusal(codes.UNKNOWN_TRANSACTION, f"交易编号不存在：{seen.txn}")
    if not (_MSGID.match(seen.msgid) and seen.msgid.startswith(seen.sender)):
        raise Refusal(codes.BAD_MSGID, "报文ID格式错误：应为发送方编号(12位)+yyyyMMddHHmmss(14位)+顺序号(4位)")
    if seen.lot not in env.LOTS:
        raise Refusal(codes.UNKNOWN_SENDER, f"片区不存在：{seen.lot}（应为 {'/'.join(env.LOTS)}）")
    try:
        datetime.strptime(_text(document.get("send_time")), "%Y-%m-%d %H:%M:%S")
    except ValueError as exc:
        raise Refusal(codes.BAD_VALUE, "send_time 格式错误：应为 yyyy-MM-dd HH:mm:ss") from exc
    payload = document["input"]
    data = payload.get(env.DATA_NODE) if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        raise Refusal(codes.MALFORMED, f"报文格式错误：input 缺少节点 {env.DATA_NODE}")
    return handler(state, data, seen)


# --- field checks -------------------------------------------------------------------------------------------

def _require(data: Mapping[str, Any], *names: str, where: str = "data") -> None:
    missing = [n for n in names if data.get(n) is None or (isinstance(data.get(n), str) and not _text(data.get(n)))]
    if missing:
        raise Refusal(codes.MISSING_FIELD, f"必填字段缺失：{where} 缺少 {', '.join(missing)}")


def _int(data: Mapping[str, Any], name: str, low: int, high: int, where: str = "data") -> int:
    raw = data.get(name)
    if isinstance(raw, bool) or not (isinstance(raw, int) or (isinstance(raw, str) and raw.strip().isdigit())):
        raise Refusal(codes.BAD_VALUE, f"字段值不合法：{where}.{name} 应为整数")
    value = int(raw)
    if not low <= value <= high:
        raise Refusal(codes.BAD_VALUE, f"字段值不合法：{where}.{name} 应在 {low}–{high} 之间，收到 {value}")
    return value


def _flag(data: Mapping[str, Any], name: str) -> bool:
    raw = _text(data.get(name)) or "0"
    if raw not in ("0", "1"):
        raise Refusal(codes.BAD_VALUE, f"字段值不合法：{name} 应为 0 或 1")
    return raw == "1"


def _day(value: Any, name: str) -> date:
    try:
        return date.fromisoformat(_text(value))
    except ValueError as exc:
        raise Refusal(codes.BAD_VALUE, f"日期格式错误：{name} 应为 yyyy-MM-dd") from exc


def _time(value: Any, name: str) -> None:
    try:
        datetime.strptime(_text(value), "%Y-%m-%d %H:%M:%S")
    except ValueError as exc:
        raise Refusal(codes.BAD_VALUE, f"时间格式错误：{name} 应为 yyyy-MM-dd HH:mm:ss") from exc


def _month(data: Mapping[str, Any]) -> str:
    month = _text(data.get("month"))
    if not _MONTH.match(month):
        raise Refusal(codes.BAD_VALUE, "月份格式错误：month 应为 yyyy-MM")
    return month


def _certno(value: Any, where: str) -> str:
    """A valid resident identity number; the refusal names where it was, never the number."""
    number = ids.normalize(_text(value))
    if not ids.valid_resident_id(number):
        raise Refusal(codes.BAD_CERTNO, f"证件号码校验失败：{where}")
    return number


def _cert_type(data: Mapping[str, Any], where: str) -> None:
    if _text(data.get("psn_cert_type")) not in ("", "01"):
        raise Refusal(codes.BAD_VALUE, f"字段值不合法：{where}.psn_cert_type 仅支持 01（居民身份证）")


def _amount(value: Any, name: str) -> str:
    try:
        amount = parse_yuan(value, name)
    except InvalidInput as exc:
        raise Refusal(codes.BAD_VALUE, f"金额格式错误：{name} 应为两位小数的元，收到 {value!r}") from exc
    if amount < 0:
        raise Refusal(codes.BAD_VALUE, f"金额不合法：{name} 不能为负数")
    return f"{amount:.2f}"


def _same_or_new(table: dict[str, str], key: str, data: Mapping[str, Any], what: str) -> bool:
    """True when `key` was filed before with the same data (a duplicate); 2004 when with other data."""
    fingerprint = _fingerprint(data)
    known = table.get(key)
    if known is None:
        table[key] = fingerprint
        return False
    if known != fingerprint:
        raise Refusal(codes.CONFLICTING_DUPLICATE, f"{what}已上传且内容不一致：{key}")
    return True


def _receipt(state: AgencyState, prefix: str, accepted: int, duplicates: int) -> dict[str, Any]:
    return {"rcv_no": f"{prefix}{env.compact_time(state.clock())}{state.next_number():08d}", "acpt_cnt": accepted,
            "dup_cnt": duplicates}


# --- LTC01 失能等级评定结论上传 -----------------------------------------------------------------------------------

def assessment_conclusion(state: AgencyState, data: Mapping[str, Any], seen: Received) -> dict[str, Any]:
    _require(data, "asmt_id", "aply_id", "certno", "dsbl_lv", "dsbl_lv_name", "adl_lv", "cogn_lv", "perc_lv",
             "elig_flag", "scale_ver", "asmt_round", "asmt_type", "asmt_time", "asmt_psn_list")
    _cert_type(data, "data")
    _certno(data["certno"], "certno")
    grade = _int(data, "dsbl_lv", 0, 5)
    for name in ("adl_lv", "cogn_lv", "perc_lv"):
        _int(data, name, 0, 3)
    _int(data, "asmt_round", 1, 99)
    if _text(data.get("asmt_type")) not in ("1", "2", "3"):
        raise Refusal(codes.BAD_VALUE, "字段值不合法：asmt_type 应为 1 初次评定、2 异议复评 或 3 资格复查")
    _time(data.get("asmt_time"), "asmt_time")
    assessors = data.get("asmt_psn_list")
    if not isinstance(assessors, list) or len({_text(a) for a in assessors if _text(a)}) < 2:
        raise Refusal(codes.BAD_VALUE, "评定人员不少于2人：asmt_psn_list 应列出两名不同的评定人员")
    eligible = _flag(data, "elig_flag")
    if eligible and grade < 3:
        raise Refusal(codes.BAD_VALUE, f"评定等级与待遇资格不符：失能等级 {grade} 不属于重度失能，elig_flag 应为 0")
    if eligible:
        if not _text(data.get("rechk_date")):
            raise Refusal(codes.MISSING_FIELD, "必填字段缺失：符合待遇的评定结论须有 rechk_date（待遇资格复查日期）")
        _day(data.get("rechk_date"), "rechk_date")
    _flag(data, "city_lv_flag")
    if _text(data.get("asmt_fee")):
        _amount(data.get("asmt_fee"), "asmt_fee")
    asmt_id = _text(data["asmt_id"])
    with state.lock:
        duplicate = _same_or_new(state.holdings.assessments, asmt_id, data, "评定结论")
    seen.business_id, seen.persons, seen.data = asmt_id, 1, dict(data)
    seen.accepted, seen.duplicates = (0, 1) if duplicate else (1, 0)
    return _receipt(state, "PG", seen.accepted, seen.duplicates)


# --- LTC02 护理服务记录上传 -------------------------------------------------------------------------------------

def service_records(state: AgencyState, data: Mapping[str, Any], seen: Received) -> dict[str, Any]:
    _require(data, "batch_id", "part", "parts", "ltc_inst_code", "month", "rec_cnt", "reclist")
    parts = _int(data, "parts", 1, 100_000)
    _int(data, "part", 1, parts)
    month = _month(data)
    rows = data.get("reclist")
    if not isinstance(rows, list):
        raise Refusal(codes.MALFORMED, "报文格式错误：reclist 应为数组")
    if len(rows) > MAX_RECORDS_PER_MESSAGE:
        raise Refusal(codes.TOO_MANY_RECORDS,
                      f"单笔报文记录数超过上限：{len(rows)} 条，上限 {MAX_RECORDS_PER_MESSAGE} 条，请分批上传")
    if _int(data, "rec_cnt", 0, MAX_RECORDS_PER_MESSAGE) != len(rows):
        raise Refusal(codes.BAD_VALUE, f"记录数不符：rec_cnt 为 {data.get('rec_cnt')}，reclist 有 {len(rows)} 条")
    ids_here: set[str] = set()
    persons: set[str] = set()
    for n, row in enumerate(rows, start=1):
        where = f"第 {n} 条记录"
        if not isinstance(row, dict):
            raise Refusal(codes.MALFORMED, f"报文格式错误：{where}不是对象")
        _require(row, "rec_id", "certno", "nurs_psn_id", "srv_date", "srv_begntime", "srv_endtime", "srv_items",
                 where=where)
        _cert_type(row, where)
        persons.add(_certno(row["certno"], where))
        day = _day(row["srv_date"], f"{where} srv_date")
        if day.strftime("%Y-%m") != month:
            raise Refusal(codes.BAD_VALUE, f"服务日期不在上传月份内：{where} srv_date {day} 不属于 {month}")
        start, end = _text(row["srv_begntime"]), _text(row["srv_endtime"])
        if not (_CLOCK.match(start) and _CLOCK.match(end)):
            raise Refusal(codes.BAD_VALUE, f"时间格式错误：{where} srv_begntime/srv_endtime 应为 HH:mm")
        if end <= start:
            raise Refusal(codes.BAD_VALUE, f"服务结束时间应晚于开始时间：{where}")
        items = row["srv_items"]
        if not isinstance(items, list) or not items or not all(_text(i) for i in items):
            raise Refusal(codes.BAD_VALUE, f"字段值不合法：{where} srv_items 应为非空的服务项目编码数组")
        rec_id = _text(row["rec_id"])
        if rec_id in ids_here:
            raise Refusal(codes.BAD_VALUE, f"记录编号重复：{where} rec_id {rec_id}")
        ids_here.add(rec_id)
    with state.lock:
        memory = state.holdings.record_ids
        duplicates = sum(1 for rec_id in ids_here if rec_id in memory)
        for rec_id in ids_here:
            memory[rec_id] = None
        while len(memory) > _RECORD_MEMORY:
            memory.popitem(last=False)
        state.holdings.records_accepted += len(ids_here) - duplicates
    seen.business_id = f"{_text(data['batch_id'])}#{data['part']}/{parts}"
    seen.records, seen.persons, seen.data = len(rows), len(persons), dict(data)
    seen.accepted, seen.duplicates = len(ids_here) - duplicates, duplicates
    return _receipt(state, "FW", seen.accepted, seen.duplicates)


# --- LTC03 护理费用结算信息上传 -----------------------------------------------------------------------------------

def settlement(state: AgencyState, data: Mapping[str, Any], seen: Received) -> dict[str, Any]:
    _require(data, "setl_id", "ltc_inst_code", "month", "setl_amt", "rec_cnt", "psn_cnt", "psn_list", "pay_time")
    _month(data)
    _amount(data.get("setl_amt"), "setl_amt")
    _int(data, "rec_cnt", 0, 10_000_000)
    listed = data.get("psn_list")
    if not isinstance(listed, list):
        raise Refusal(codes.MALFORMED, "报文格式错误：psn_list 应为数组")
    persons = _int(data, "psn_cnt", 0, 10_000_000)
    if persons != len(listed):
        raise Refusal(codes.BAD_VALUE, f"人数不符：psn_cnt 为 {persons}，psn_list 有 {len(listed)} 人")
    for n, row in enumerate(listed, start=1):
        where = f"psn_list 第 {n} 人"
        if not isinstance(row, dict):
            raise Refusal(codes.MALFORMED, f"报文格式错误：{where}不是对象")
        _require(row, "certno", where=where)
        _cert_type(row, where)
        _certno(row["certno"], where)
    _time(data.get("pay_time"), "pay_time")
    setl_id = _text(data["setl_id"])
    with state.lock:
        duplicate = _same_or_new(state.holdings.settlements, setl_id, data, "结算单")
    seen.business_id, seen.persons, seen.records = setl_id, persons, int(data["rec_cnt"])
    seen.data = dict(data)
    seen.accepted, seen.duplicates = (0, 1) if duplicate else (1, 0)
    return _receipt(state, "JS", seen.accepted, seen.duplicates)


Handler = Callable[[AgencyState, Mapping[str, Any], Received], dict[str, Any]]
HANDLERS: dict[str, Handler] = {
    env.ASSESSMENT_CONCLUSION: assessment_conclusion,
    env.SERVICE_RECORDS: service_records,
    env.SETTLEMENT: settlement,
}


# --- HTTP ---------------------------------------------------------------------------------------------------

class FaultIn(BaseModel):
    """POST /admin/faults: the next `count` calls (of `txn`, or any) fail this way."""

    mode: FaultMode = "http_503"
    count: int = Field(1, ge=1, le=1000)
    delay_seconds: float = Field(5.0, ge=0, le=600)
    txn: str | None = None
    code: int = Field(codes.INTERNAL, description="refuse: the answer code (agency/errors.py ANSWER_CODES)")
    err_msg: str = ""


def _faults(state: AgencyState) -> list[dict[str, Any]]:
    with state.lock:
        return [{"mode": f.mode, "remaining": f.remaining, "delay_seconds": f.delay_seconds, "txn": f.txn,
                 "code": f.code} for f in state.faults]


def _message_view(m: Received) -> dict[str, Any]:
    view = {k: v for k, v in m.__dict__.items() if k != "data"}
    if m.data is not None:
        view["data"] = m.data
    return view


def create_app(state: AgencyState | None = None) -> FastAPI:
    """The simulated system; `app.state.agency` is its memory, for in-process configuration."""
    sim = state or AgencyState()
    app = FastAPI(title="Agency long-term care system simulator (长护险信息管理系统模拟)", version="0.1.0")
    app.state.agency = sim

    async def call_service(request: Request) -> Response:
        received = sim.clock()
        document = parse(await request.body())
        txn = _text(document.get("txn")) if isinstance(document, dict) else ""
        msgid = _text(document.get("msgid")) if isinstance(document, dict) else ""
        fault = sim.take_fault(txn)
        if fault is not None and fault.mode == "http_503":
            sim.record(Received(txn, msgid, "", "", "http_503", None, env.inf_time(received)))
            return PlainTextResponse("Service Unavailable", status_code=503)
        if fault is not None and fault.mode == "refuse":
            answer = reply(sim, received, msgid, code=fault.code or codes.INTERNAL, err_msg=fault.err_msg)
            sim.record(Received(txn, msgid, "", "", "error", answer["code"], env.inf_time(received),
                                rcv_msgid=answer["rcv_msgid"], err_msg=answer["err_msg"] or ""))
        else:
            answer = process(sim, document, received)
        if fault is not None and fault.mode == "delay":
            # Processed, then answered late: the sender may time out and retry; the msgid replay answers it.
            await asyncio.sleep(fault.delay_seconds)
        return Response(env.dumps(answer), media_type="application/json;charset=utf-8")

    app.add_api_route("/", call_service, methods=["POST"], tags=["system"], summary="call a transaction")
    app.add_api_route(AGENCY_PATH, call_service, methods=["POST"], tags=["system"], include_in_schema=False)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "agency-simulator"}

    @app.get("/admin/received", tags=["admin"])
    async def received(txn: str | None = None, limit: int = Query(100, ge=0, le=_MESSAGE_LIMIT)) -> dict[str, Any]:
        with sim.lock:
            held = {"assessments": len(sim.holdings.assessments), "settlements": len(sim.holdings.settlements),
                    "records": sim.holdings.records_accepted}
            outcomes = dict(sim.counts)
        return {"holdings": held, "outcomes": outcomes,
                "messages": [_message_view(m) for m in sim.received(txn, limit)]}

    @app.post("/admin/faults", tags=["admin"])
    async def inject_fault(body: FaultIn) -> dict[str, Any]:
        sim.inject_fault(body.mode, body.count, delay_seconds=body.delay_seconds, txn=body.txn, code=body.code,
                         err_msg=body.err_msg)
        return {"pending": _faults(sim)}

    @app.get("/admin/faults", tags=["admin"])
    async def list_faults() -> dict[str, Any]:
        return {"pending": _faults(sim)}

    @app.delete("/admin/faults", tags=["admin"])
    async def clear_faults() -> dict[str, Any]:
        with sim.lock:
            sim.faults.clear()
        return {"pending": []}

    @app.post("/admin/reset", tags=["admin"])
    async def reset() -> dict[str, bool]:
        sim.reset()
        return {"reset": True}

    return app


def main(argv: list[str] | None = None) -> None:
    """`python -m agency.simulator --port 8191 [--host 127.0.0.1] [--division 330300]`: the system as a process."""
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m agency.simulator", description=main.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--division", default="330300", help="the system's 6-digit division (rcv_msgid)")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    uvicorn.run(create_app(AgencyState(division=args.division)), host=args.host, port=args.port,
                log_level=args.log_level)


if __name__ == "__main__":
    main()
