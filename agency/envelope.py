"""The envelope (报文) of the agency's long-term care information system (长护险信息管理系统): building requests,
parsing responses. One POST endpoint takes every transaction; the transaction code (`txn`) names what `input.data`
holds.

Request::

    {"txn": "LTC02", "msgid": "<sender 12><yyyyMMddHHmmss><4-digit sequence>", "sender": "H33030000002",
     "sender_name": "长护险B片区经办机构", "lot": "B", "admdvs": "330300", "opter": "settlement-wz-b",
     "send_time": "2026-02-03 10:15:00", "infver": "V1.0", "signtype": "", "cainfo": "",
     "input": {"data": {...}}}

Response::

    {"code": 0, "msgid": "<the request's>", "rcv_msgid": "<admdvs 6><yyyyMMddHHmmss><10-digit sequence>",
     "rcv_time": "yyyyMMddHHmmssSSS", "respond_time": "yyyyMMddHHmmssSSS", "err_msg": null, "warn_msg": null,
     "output": {"rcv_no": "...", "acpt_cnt": 1, "dup_cnt": 0}}

`code` 0 is success; anything else is the system's refusal (errors.ANSWER_CODES), with `err_msg` in Chinese and no
`output`. The msgid is the idempotency key: the same msgid with the same `input` is answered with the first answer
again (a retry after a lost answer does nothing twice); the same msgid with another `input` is refused (1005).

The time helpers, the msgid sequence and the pluggable `Codec` (SM4 over `input`/`output`, an SM2 signature over the
sorted envelope fields) are the provincial adapter's (provincial/envelope.py): the same conventions of the medical
insurance systems, one implementation.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from provincial.envelope import (
    BEIJING,
    Codec,
    MessageSequence,
    PlainCodec,
    compact_time,
    dumps,
    inf_time,
    loads,
    millis_time,
    now_beijing,
    signing_fields,
)

__all__ = [
    "BEIJING", "INTERFACE_VERSION", "LOTS", "REQUIRED_REQUEST_FIELDS", "SENDER_CODE_LENGTH", "TRANSACTIONS", "Codec",
    "PlainCodec", "Response", "build_request", "compact_time", "dumps", "inf_time", "loads", "make_msgid",
    "millis_time", "now_beijing", "parse_response",
]

INTERFACE_VERSION = "V1.0"
SENDER_CODE_LENGTH = 12  # the carrier's registered code (经办机构编号), as in programs/wz-ltc/program.yaml

ASSESSMENT_CONCLUSION = "LTC01"
SERVICE_RECORDS = "LTC02"
SETTLEMENT = "LTC03"

TRANSACTIONS: dict[str, str] = {
    ASSESSMENT_CONCLUSION: "失能等级评定结论上传",
    SERVICE_RECORDS: "护理服务记录上传",
    SETTLEMENT: "护理费用结算信息上传",
}

LOTS = ("A", "B", "C", "D", "E")  # 片区 of the Wenzhou tender

DATA_NODE = "data"

# Envelope fields a request must carry (non-empty).
REQUIRED_REQUEST_FIELDS = ("txn", "msgid", "sender", "sender_name", "lot", "admdvs", "opter", "send_time", "infver",
                           "input")

# This process's msgid tail starts at a random point: two processes sending as one carrier within the same second
# then almost never meet (the msgid is kept with its push, so a retry re-sends the same one).
_PROCESS_SEQUENCE = MessageSequence(secrets.randbelow(9999))


def make_msgid(sender: str, moment: datetime | None = None, sequence: MessageSequence | None = None) -> str:
    """msgid (发送方报文ID) = the sender's code (12) + yyyyMMddHHmmss + a 4-digit sequence: 30 characters."""
    if len(sender) != SENDER_CODE_LENGTH:
        raise ValueError(f"sender must be {SENDER_CODE_LENGTH} characters: {sender!r}")
    seq = (sequence or _PROCESS_SEQUENCE).next()
    return f"{sender}{compact_time(moment or now_beijing())}{seq:04d}"


def build_request(txn: str, data: Mapping[str, Any], *, sender: str, sender_name: str, lot: str, admdvs: str,
                  operator: str, msgid: str | None = None, codec: Codec | None = None,
                  moment: datetime | None = None) -> dict[str, Any]:
    """A request envelope for `txn` with `data` under `input.data`."""
    moment = moment or now_beijing()
    codec = codec or PlainCodec()
    envelope: dict[str, Any] = {
        "txn": txn,
        "msgid": msgid or make_msgid(sender, moment),
        "sender": sender,
        "sender_name": sender_name,
        "lot": lot,
        "admdvs": admdvs,
        "opter": operator,
        "send_time": inf_time(moment),
        "infver": INTERFACE_VERSION,
        "signtype": "",
        "cainfo": "",
    }
    signature = codec.sign(signing_fields(envelope))
    if signature is not None:
        envelope["signtype"], envelope["cainfo"] = signature
    envelope["input"] = {DATA_NODE: codec.encode(txn, dict(data))}
    return envelope


@dataclass(frozen=True)
class Response:
    """A parsed response envelope; `output` already decoded by the codec (empty on a refusal)."""

    code: int
    msgid: str
    rcv_msgid: str
    rcv_time: str
    respond_time: str
    err_msg: str
    warn_msg: str
    output: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.code == 0


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def parse_response(body: bytes | str | Mapping[str, Any], txn: str, codec: Codec | None = None) -> Response:
    """Parse a response envelope; raises ValueError naming what is wrong when it is not one."""
    document = loads(body) if isinstance(body, bytes | str) else body
    if not isinstance(document, Mapping):
        raise ValueError(f"response to {txn} is not a JSON object")
    if "code" not in document:
        raise ValueError(f"response to {txn} has no code")
    raw = document["code"]
    try:
        code = int(raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"response to {txn} has a non-numeric code {raw!r}") from exc
    output: dict[str, Any] = {}
    if code == 0:
        output = (codec or PlainCodec()).decode(txn, document.get("output"))
    return Response(code=code, msgid=_text(document.get("msgid")), rcv_msgid=_text(document.get("rcv_msgid")),
                    rcv_time=_text(document.get("rcv_time")), respond_time=_text(document.get("respond_time")),
                    err_msg=_text(document.get("err_msg")), warn_msg=_text(document.get("warn_msg")), output=output)

