"""What can go wrong talking to the agency's system, as chassis errors (so the services' doors map them), and the
answer codes the system gives (ANSWER_CODES).

Messages never carry a person's identity number: the system's own `err_msg` is masked (chassis/masking.py) before it
goes into an error, and the simulator never quotes one (it names the record by its position instead)."""

from __future__ import annotations

from agency.envelope import TRANSACTIONS
from chassis.errors import JingbanError
from chassis.masking import mask

# The system's answer codes (`code` of the response envelope). 1xxx: the message; 2xxx: the business data; 9xxx: the
# system itself. Only 0 is success.
SUCCESS = 0
MALFORMED = 1001
MISSING_FIELD = 1002
UNKNOWN_TRANSACTION = 1003
BAD_MSGID = 1004
DUPLICATE_MSGID = 1005
UNKNOWN_SENDER = 1006
BAD_CERTNO = 2001
BAD_VALUE = 2002
TOO_MANY_RECORDS = 2003
CONFLICTING_DUPLICATE = 2004
INTERNAL = 9999

ANSWER_CODES: dict[int, str] = {
    SUCCESS: "成功",
    MALFORMED: "报文格式错误（不是 JSON 对象，或 input 缺少 data 节点）",
    MISSING_FIELD: "必填字段缺失",
    UNKNOWN_TRANSACTION: "交易编号不存在",
    BAD_MSGID: "报文ID格式错误（发送方编号12位 + yyyyMMddHHmmss + 4位顺序号）",
    DUPLICATE_MSGID: "报文ID重复：同一报文ID的内容不一致",
    UNKNOWN_SENDER: "发送方或片区不存在",
    BAD_CERTNO: "证件号码校验失败",
    BAD_VALUE: "字段值不合法（日期、时间、金额、等级、笔数）",
    TOO_MANY_RECORDS: "单笔报文记录数超过上限",
    CONFLICTING_DUPLICATE: "业务数据已上传且内容不一致",
    INTERNAL: "系统内部错误",
}


class AgencyError(JingbanError):
    """The system answered and refused (code != 0): a business error, never retried as it is.

    422 because the request reached the system and was judged; the sender has to change something."""

    http_status = 422
    grpc_status = "FAILED_PRECONDITION"

    def __init__(self, txn: str, answer_code: int, err_msg: str, *, msgid: str = "", rcv_msgid: str = "") -> None:
        name = TRANSACTIONS.get(txn)
        label = f"{txn} ({name})" if name else txn
        self.err_msg = mask(err_msg or ANSWER_CODES.get(answer_code, ""))
        refs = ", ".join(part for part in (f"msgid {msgid}" if msgid else "",
                                           f"rcv_msgid {rcv_msgid}" if rcv_msgid else "") if part)
        message = f"the agency's system refused {label}: code {answer_code}: {self.err_msg or '(no err_msg)'}"
        super().__init__(message + (f" [{refs}]" if refs else ""))
        self.txn = txn
        self.answer_code = answer_code
        self.msgid = msgid
        self.rcv_msgid = rcv_msgid


class AgencyUnavailable(JingbanError):
    """No answer after every retry: connection refused, timeouts, HTTP 5xx."""

    http_status = 503
    grpc_status = "UNAVAILABLE"


class AgencyProtocolError(JingbanError):
    """An answer that is not a response envelope (HTTP 4xx, not JSON, no code): a configuration problem."""

    http_status = 502
    grpc_status = "UNAVAILABLE"


# The codes these errors answer with (the class names in snake case).
ERRORS: dict[str, str] = {
    "agency_error": "the agency's long-term care system refused the transaction (code ≠ 0): change the data",
    "agency_unavailable": "the agency's long-term care system did not answer after every retry",
    "agency_protocol_error": "the agency's long-term care system answered with something that is not a response",
}
