"""The agency's system adapter (长护险信息管理系统接口): the one way Jingban speaks to the long-term care information
system the buyer provides.

Why: the Wenzhou tender (二、(二)6) has the carrier work in the buyer's 长护险信息管理系统 — "使用采购人提供的长护险
信息管理系统 … 做好在长护险评估、服务、结算等环节信息的推送" — so every assessment conclusion, every upload of care
service records and every care statement paid is pushed to it. settlement's agency feed room
(services/settlement/agency_feed/) turns the events into pushes and sends them with this adapter.

- `envelope`: the JSON envelope every transaction rides in — `txn`, `msgid` (the sender's 12-character code +
  yyyyMMddHHmmss + a 4-digit sequence; the idempotency key), sender, lot, division, operator, `send_time`, and
  `input.data`; the answer's `code` (0 success), `rcv_msgid`, `err_msg`, `output`. The codec is pluggable as the
  provincial adapter's (SM4/SM2 where the agency asks for them).
- `messages`: the three transactions, typed — LTC01 失能等级评定结论上传 (`AssessmentConclusion`), LTC02
  护理服务记录上传 (`ServiceRecordBatch`, at most 500 records a message: `split_batch`), LTC03 护理费用结算信息上传
  (`Settlement`) — and the system's receipt (`Receipt`).
- `client.AgencyClient`: async calls retrying only transport failures (connection errors, timeouts, HTTP 5xx; the same
  msgid re-sent), raising `AgencyError` (with the system's answer code) on a refusal, `AgencyUnavailable` when it never
  answered.
- `errors`: those errors and the system's answer codes (`ANSWER_CODES`: 1001–1006 the message, 2001–2004 the data,
  9999 the system).
- `simulator`: the system itself, as a FastAPI app (`create_app`, in-process in embedded mode) or a process
  (`python -m agency.simulator --port 8191`, started by local mode), checking every field and answering realistic
  codes, with `/admin/received` and `/admin/faults`.

Settings: `JINGBAN_AGENCY_URL` (chassis/config.py `agency_url`, default `http://127.0.0.1:8191/`).

Personal data: the envelope carries the person's identity number (`certno`: the agency's system files everything
under it), and nothing else the adapter writes does — log lines name transactions and msgids, errors mask any number
the system quotes (chassis/masking.py), and the simulator names a bad record by its position.
"""

from __future__ import annotations

from agency.client import AgencyClient
from agency.envelope import ASSESSMENT_CONCLUSION, SERVICE_RECORDS, SETTLEMENT, TRANSACTIONS
from agency.errors import ANSWER_CODES, AgencyError, AgencyProtocolError, AgencyUnavailable
from agency.messages import AssessmentConclusion, Receipt, ServiceRecord, ServiceRecordBatch, Settlement, split_batch

__all__ = [
    "ANSWER_CODES",
    "ASSESSMENT_CONCLUSION",
    "SERVICE_RECORDS",
    "SETTLEMENT",
    "TRANSACTIONS",
    "AgencyClient",
    "AgencyError",
    "AgencyProtocolError",
    "AgencyUnavailable",
    "AssessmentConclusion",
    "Receipt",
    "ServiceRecord",
    "ServiceRecordBatch",
    "Settlement",
    "split_batch",
]
