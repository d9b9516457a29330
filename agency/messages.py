"""The three transactions' data (input.data), typed, with the system's field names on the wire.

- LTC01 失能等级评定结论上传, an assessment's conclusion (评定结论): asmt_id, aply_id, psn_cert_type, certno,
  dsbl_lv (0–5), dsbl_lv_name, adl_lv / cogn_lv / perc_lv (0–3), elig_flag (1 eligible), scale_ver, asmt_round,
  asmt_type (1 initial, 2 objection, 3 recheck), asmt_time, rechk_date, asmt_psn_list, city_lv_flag, asmt_fee.
- LTC02 护理服务记录上传, an institution's upload of service records (护理服务记录), at most 500 a message: batch_id,
  part, parts, ltc_inst_code, month, rec_cnt, reclist [{rec_id, psn_cert_type, certno, nurs_psn_id, srv_date,
  srv_begntime, srv_endtime, srv_items, plan_id}].
- LTC03 护理费用结算信息上传, an institution's monthly care statement paid (结算): setl_id, ltc_inst_code, month,
  setl_amt, rec_cnt, psn_cnt, psn_list [{psn_cert_type, certno}], ver, pay_time.

`certno` is the person's identity number (居民身份证号码, `psn_cert_type` 01): the agency's system files everything
under it, so it travels in clear inside the envelope (HTTPS, or the codec's SM4 in production) — and nowhere else:
never in a log line, an error message or a span.

Times go as `yyyy-MM-dd HH:mm:ss` Beijing time, dates as `yyyy-MM-dd`, months `yyyy-MM`, amounts as yuan strings with
two decimals. A value this side cannot read is sent as it came: the system judges it (2002) and the refusal is kept
with its code, rather than a guess sent in its place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from agency.envelope import BEIJING, inf_time

RESIDENT_ID = "01"  # psn_cert_type 01 居民身份证
MAX_RECORDS_PER_MESSAGE = 500  # the system's limit for one LTC02 message (2003 above it)
ASSESSMENT_KINDS = {"initial": "1", "objection": "2", "recheck": "3"}


def wire_time(value: str) -> str:
    """An ISO 8601 time (or date) as `yyyy-MM-dd HH:mm:ss` in Beijing time; anything else as it came."""
    raw = (value or "").strip()
    if not raw:
        return ""
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return raw
    if moment.tzinfo is None:  # a date, or a wall-clock time: already Beijing's
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    return inf_time(moment.astimezone(BEIJING))


def wire_date(value: str) -> str:
    """`yyyy-MM-dd` from a date or an ISO time (its Beijing date); anything else as it came."""
    raw = (value or "").strip()
    if len(raw) == 10:
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            return raw
    return wire_time(raw)[:10] if raw else ""


@dataclass(frozen=True)
class AssessmentConclusion:
    """LTC01: a disability assessment's conclusion (失能等级评定结论), with the scale version it was graded on."""

    assessment_id: str
    application_id: str
    person_id: str
    grade: int
    grade_name: str
    adl_level: int
    cognition_level: int
    perception_level: int
    eligible: bool
    scale_version: str
    concluded_at: str
    recheck_due: str = ""
    round: int = 1
    kind: str = "initial"
    assessors: tuple[str, ...] = ()
    city_level: bool = False
    assessment_fee: str = ""

    @property
    def business_id(self) -> str:
        return self.assessment_id

    def to_wire(self) -> dict[str, Any]:
        return {
            "asmt_id": self.assessment_id,
            "aply_id": self.application_id,
            "psn_cert_type": RESIDENT_ID,
            "certno": self.person_id,
            "dsbl_lv": self.grade,
            "dsbl_lv_name": self.grade_name,
            "adl_lv": self.adl_level,
            "cogn_lv": self.cognition_level,
            "perc_lv": self.perception_level,
            "elig_flag": "1" if self.eligible else "0",
            "scale_ver": self.scale_version,
            "asmt_round": self.round,
            "asmt_type": ASSESSMENT_KINDS.get(self.kind or "initial", self.kind),
            "asmt_time": wire_time(self.concluded_at),
            "rechk_date": wire_date(self.recheck_due),
            "asmt_psn_list": list(self.assessors),
            "city_lv_flag": "1" if self.city_level else "0",
            "asmt_fee": self.assessment_fee,
        }


@dataclass(frozen=True)
class ServiceRecord:
    """One visit's or day's care (护理服务记录): who cared for whom, when, which catalogue items, under which plan."""

    record_id: str
    person_id: str
    caregiver_id: str
    date: str
    items: tuple[str, ...]
    start: str
    end: str
    plan_id: str = ""

    def to_wire(self) -> dict[str, Any]:
        return {"rec_id": self.record_id, "psn_cert_type": RESIDENT_ID, "certno": self.person_id,
                "nurs_psn_id": self.caregiver_id, "srv_date": self.date, "srv_begntime": self.start,
                "srv_endtime": self.end, "srv_items": list(self.items), "plan_id": self.plan_id}


@dataclass(frozen=True)
class ServiceRecordBatch:
    """LTC02: one message of an institution's upload (part `part` of `parts`, at most 500 records)."""

    batch_id: str
    institution_id: str
    month: str
    records: tuple[ServiceRecord, ...]
    part: int = 1
    parts: int = 1

    @property
    def business_id(self) -> str:
        return f"{self.batch_id}#{self.part}/{self.parts}"

    def to_wire(self) -> dict[str, Any]:
        return {"batch_id": self.batch_id, "part": self.part, "parts": self.parts, "ltc_inst_code": self.institution_id,
                "month": self.month, "rec_cnt": len(self.records), "reclist": [r.to_wire() for r in self.records]}


def split_batch(batch_id: str, institution_id: str, month: str, records: Sequence[ServiceRecord],
                size: int = MAX_RECORDS_PER_MESSAGE) -> list[ServiceRecordBatch]:
    """An upload as the messages it takes: parts of at most `size` records, in the upload's order (an empty upload is
    one empty message: the system learns the batch came)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    chunks = [tuple(records[i:i + size]) for i in range(0, len(records), size)] or [()]
    return [ServiceRecordBatch(batch_id, institution_id, month, chunk, n, len(chunks))
            for n, chunk in enumerate(chunks, start=1)]


@dataclass(frozen=True)
class Settlement:
    """LTC03: an institution's monthly care statement (护理费用结算单), paid from the lot's account."""

    statement_id: str
    institution_id: str
    month: str
    amount: str
    records: int
    person_ids: tuple[str, ...]
    paid_at: str
    benefits_version: str = ""
    persons: int | None = None  # as the statement counts them; default: the persons listed

    @property
    def business_id(self) -> str:
        return self.statement_id

    def to_wire(self) -> dict[str, Any]:
        return {"setl_id": self.statement_id, "ltc_inst_code": self.institution_id, "month": self.month,
                "setl_amt": self.amount, "rec_cnt": self.records,
                "psn_cnt": len(self.person_ids) if self.persons is None else self.persons,
                "psn_list": [{"psn_cert_type": RESIDENT_ID, "certno": p} for p in self.person_ids],
                "ver": self.benefits_version, "pay_time": wire_time(self.paid_at)}


@dataclass(frozen=True)
class Receipt:
    """The system's acknowledgement (回执) of one message."""

    txn: str
    msgid: str
    rcv_msgid: str
    rcv_no: str
    accepted: int
    duplicates: int
    respond_time: str
    warn_msg: str = ""
    attempts: int = 1  # HTTP posts it took (a transport failure re-sends the same msgid)
    output: Mapping[str, Any] = field(default_factory=dict)

    def answer(self) -> dict[str, Any]:
        """What a sender keeps of it."""
        return {"code": 0, "message": "成功", "rcv_msgid": self.rcv_msgid, "rcv_no": self.rcv_no,
                "accepted": self.accepted, "duplicates": self.duplicates, "respond_time": self.respond_time,
                "warn_msg": self.warn_msg}
