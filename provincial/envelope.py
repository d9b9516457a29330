"""The envelope (报文) every transaction rides in: building requests, parsing responses, pluggable codecs.

Request: `infno`, `msgid`, divisions, receiver and version, operator, `inf_time`, the institution, `sign_no`,
optional `signtype`/`cainfo`, and `input: {<node>: {...}}`. Response: `infcode` (0 success), `inf_refmsgid`,
`refmsg_time`, `respond_time`, `err_msg`, `warn_msg`, `output`.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

# China has had no daylight saving since 1991: a fixed +08:00 needs no tz database in slim images.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

RECEIVER_SYSTEM = "YBXT"  # recer_sys_code: the medical insurance system (医保系统)
INTERFACE_VERSION = "V1.0"
INSTITUTION_CODE_LENGTH = 12

SIGN_IN = "9001"
FILE_UPLOAD = "9101"
PERSON_INFO = "1101"
FILING = "2503"
FILING_REVOCATION = "2504"
FILING_QUERY = "5301"
RECONCILE_TOTALS = "3201"
RECONCILE_DETAILS = "3202"

TRANSACTIONS: dict[str, str] = {
    SIGN_IN: "签到",
    FILE_UPLOAD: "文件上传",
    PERSON_INFO: "人员信息获取",
    FILING: "人员慢特病备案",
    FILING_REVOCATION: "人员慢特病备案撤销",
    FILING_QUERY: "人员慢特病备案查询",
    RECONCILE_TOTALS: "医药机构费用结算对总账",
    RECONCILE_DETAILS: "医药机构费用结算对明细账",
}

# The node under `input` is `data` for most transactions; sign-in and file upload name their own.
_INPUT_NODES = {SIGN_IN: "signIn", FILE_UPLOAD: "fsUploadIn"}

# Envelope fields a request must carry (non-empty); `sign_no` is checked per transaction (9001 has none yet).
REQUIRED_REQUEST_FIELDS = (
    "infno", "msgid", "mdtrtarea_admvs", "recer_sys_code", "infver", "opter_type", "opter", "opter_name",
    "inf_time", "fixmedins_code", "fixmedins_name", "input",
)


def input_node(infno: str) -> str:
    return _INPUT_NODES.get(infno, "data")


def now_beijing() -> datetime:
    return datetime.now(BEIJING)


def inf_time(moment: datetime) -> str:
    """`yyyy-MM-dd HH:mm:ss` in Beijing time."""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def compact_time(moment: datetime) -> str:
    """`yyyyMMddHHmmss` in Beijing time, as in msgid and inf_refmsgid."""
    return moment.astimezone(BEIJING).strftime("%Y%m%d%H%M%S")


def millis_time(moment: datetime) -> str:
    """`yyyyMMddHHmmssSSS` in Beijing time, as in refmsg_time and respond_time."""
    local = moment.astimezone(BEIJING)
    return local.strftime("%Y%m%d%H%M%S") + f"{local.microsecond // 1000:03d}"


class MessageSequence:
    """The 4-digit tail of a msgid: 0001..9999 then 0001 again; safe across threads."""

    def __init__(self, start: int = 0) -> None:
        self._lock = threading.Lock()
        self._value = start % 9999

    def next(self) -> int:
        with self._lock:
            self._value = self._value % 9999 + 1
            return self._value


# One sequence per process: two clients of the same institution in one second must not share a msgid.
# Several processes (intake, appraisal, settlement) send as the same carrier, so each starts at a random
# point of the 9,999 values: two of them colliding within one second becomes very unlikely.
_PROCESS_SEQUENCE = MessageSequence(secrets.randbelow(9999))


def make_msgid(fixmedins_code: str, moment: datetime | None = None, sequence: MessageSequence | None = None) -> str:
    """msgid (发送方报文ID) = institution code (12) + yyyyMMddHHmmss + 4-digit sequence: 30 characters."""
    if len(fixmedins_code) != INSTITUTION_CODE_LENGTH:
        raise ValueError(f"fixmedins_code must be {INSTITUTION_CODE_LENGTH} characters: {fixmedins_code!r}")
    seq = (sequence or _PROCESS_SEQUENCE).next()
    return f"{fixmedins_code}{compact_time(moment or now_beijing())}{seq:04d}"


@runtime_checkable
class Codec(Protocol):
    """How `input` goes out and `output` comes back, and how the envelope is signed.

    `PlainCodec` sends JSON as is. A province that encrypts (SM4 over `input`/`output`) and signs (SM2 over the
    sorted envelope fields except `cainfo` and `input`, see `signing_fields`) plugs in its own codec.
    """

    def encode(self, infno: str, payload: dict[str, Any]) -> Any:
        """The value to put under `input` for `{node: {...}}`."""
        ...

    def decode(self, infno: str, output: Any) -> dict[str, Any]:
        """The `output` of a response as a JSON object ({} when there is none)."""
        ...

    def sign(self, fields: list[tuple[str, str]]) -> tuple[str, str] | None:
        """(`signtype`, `cainfo`) for the sorted fields, or None to send no signature."""
        ...


class PlainCodec:
    """No encryption, no signature: the default, and what the simulator speaks."""

    def encode(self, infno: str, payload: dict[str, Any]) -> Any:
        return payload

    def decode(self, infno: str, output: Any) -> dict[str, Any]:
        if output is None or output == "":
            return {}
        if not isinstance(output, dict):
            raise ValueError(f"output of {infno} is not a JSON object: {type(output).__name__}")
        return output

    def sign(self, fields: list[tuple[str, str]]) -> tuple[str, str] | None:
        return None


def signing_fields(envelope: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The fields a signature covers: every envelope field except `cainfo`, `signtype` and `input`, sorted."""
    return sorted(
        (key, "" if value is None else str(value))
        for key, value in envelope.items()
        if key not in {"cainfo", "signtype", "input"}
    )


@dataclass(frozen=True)
class Operator:
    """Who acts (经办人): `opter_type` 1 staff, 2 self-service terminal; `opter` id; `opter_name`."""

    id: str
    name: str
    type: str = "1"


def build_request(
    infno: str,
    payload: dict[str, Any],
    *,
    fixmedins_code: str,
    fixmedins_name: str,
    operator: Operator,
    mdtrtarea_admvs: str,
    insuplc_admdvs: str = "",
    sign_no: str = "",
    codec: Codec | None = None,
    moment: datetime | None = None,
    sequence: MessageSequence | None = None,
    msgid: str | None = None,
) -> dict[str, Any]:
    """A request envelope for `infno` with `payload` under its input node."""
    moment = moment or now_beijing()
    codec = codec or PlainCodec()
    envelope: dict[str, Any] = {
        "infno": infno,
        "msgid": msgid or make_msgid(fixmedins_code, moment, sequence),
        "mdtrtarea_admvs": mdtrtarea_admvs,
        "insuplc_admdvs": insuplc_admdvs,
        "recer_sys_code": RECEIVER_SYSTEM,
        "dev_no": "",
        "dev_safe_info": "",
        "cainfo": "",
        "signtype": "",
        "infver": INTERFACE_VERSION,
        "opter_type": operator.type,
        "opter": operator.id,
        "opter_name": operator.name,
        "inf_time": inf_time(moment),
        "fixmedins_code": fixmedins_code,
        "fixmedins_name": fixmedins_name,
        "sign_no": sign_no,
    }
    signature = codec.sign(signing_fields(envelope))
    if signature is not None:
        envelope["signtype"], envelope["cainfo"] = signature
    envelope["input"] = {input_node(infno): codec.encode(infno, payload)}
    return envelope


def dumps(document: Mapping[str, Any]) -> bytes:
    """UTF-8 JSON with Chinese kept readable; a Decimal here is a bug upstream (amounts go as strings)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(body: bytes | str) -> Any:
    """JSON with numbers that have a fraction read as Decimal: money never passes through float."""
    return json.loads(body, parse_float=Decimal)


@dataclass(frozen=True)
class Response:
    """A parsed response envelope; `output` already decoded by the codec (empty on failure)."""

    infcode: int
    inf_refmsgid: str
    refmsg_time: str
    respond_time: str
    err_msg: str
    warn_msg: str
    output: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.infcode == 0


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def parse_response(body: bytes | str | Mapping[str, Any], infno: str, codec: Codec | None = None) -> Response:
    """Parse a response envelope; raises ValueError naming what is wrong when it is not one."""
    document = loads(body) if isinstance(body, bytes | str) else body
    if not isinstance(document, Mapping):
        raise ValueError(f"response to {infno} is not a JSON object")
    if "infcode" not in document:
        raise ValueError(f"response to {infno} has no infcode")
    raw_code = document["infcode"]
    try:
        infcode = int(raw_code)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"response to {infno} has a non-numeric infcode {raw_code!r}") from exc
    output: dict[str, Any] = {}
    if infcode == 0:
        output = (codec or PlainCodec()).decode(infno, document.get("output"))
    return Response(
        infcode=infcode,
        inf_refmsgid=_text(document.get("inf_refmsgid")),
        refmsg_time=_text(document.get("refmsg_time")),
        respond_time=_text(document.get("respond_time")),
        err_msg=_text(document.get("err_msg")),
        warn_msg=_text(document.get("warn_msg")),
        output=output,
    )
