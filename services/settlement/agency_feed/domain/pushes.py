"""A push to the agency's long-term care system (长护险信息管理系统推送) and its explicit states:

- `pending` → sent (one transaction, its msgid kept from the start) → `sent`, with the system's receipt;
- `pending` → the system refuses it (its answer code, e.g. 2001 证件号码校验失败) → `failed`, `failure: refused`, parked
  with the code for a person to look at — sending the same message again cannot change the answer;
- `pending` → no answer (connection refused, timeout, HTTP 5xx; the client already re-sent the same msgid twice) →
  `pending` again after a backoff (2, 4, 8 … 300 s), and after MAX_ATTEMPTS → `failed`, `failure: unavailable`;
- ops retries a `failed` push → `pending`, attempts from 0. A refused one goes with a new msgid (the system answers a
  msgid it has judged with the same answer again); one that never got an answer keeps its msgid, so the system counts
  it once even if an earlier attempt did reach it.

Which event becomes which transaction: `disability.concluded` → LTC01, `care_services.recorded` → LTC02 (one push per
message of at most 500 records), `care_statement.paid` → LTC03. A push's id derives from the event's id and the
message's part (`<event id>.<part>`), so filing the same event twice makes no second push."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from chassis.masking import mask

TRANSACTION_OF_EVENT = {
    "disability.concluded": "LTC01",       # 失能等级评定结论上传
    "care_services.recorded": "LTC02",     # 护理服务记录上传
    "care_statement.paid": "LTC03",        # 护理费用结算信息上传
}
TRANSACTION_NAMES = {"LTC01": "失能等级评定结论上传", "LTC02": "护理服务记录上传", "LTC03": "护理费用结算信息上传"}
STATUSES = ("pending", "sent", "failed")
RETRYABLE = ("failed",)
MAX_ATTEMPTS = 8
REFUSED, UNAVAILABLE = "refused", "unavailable"


def push_id(event_id: str, part: int = 1) -> str:
    return f"{event_id}.{part}"


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(300, 2 ** attempts))


def new_push(pid: str, txn: str, event_type: str, event_id: str, business_id: str, body: Mapping[str, Any],
             msgid: str, now: datetime, **facts: Any) -> dict[str, Any]:
    """A push as first stored: pending and due at once. `body` is the transaction's wire data (it names persons:
    the store seals it); `facts` are what the list shows of it (institution, month, part, records, persons)."""
    return {"_id": pid, "txn": txn, "event_type": event_type, "source_event_id": event_id, "business_id": business_id,
            "msgid": msgid, "body": dict(body), "status": "pending", "attempts": 0, "retries": 0,
            "created_at": now.isoformat(), "next_at": now.isoformat(), **facts}


def after_sent(answer: Mapping[str, Any], attempts: int, now: datetime) -> dict[str, Any]:
    """The system's receipt: sent. (The store then drops the body: the system holds it now.)"""
    return {"status": "sent", "attempts": attempts, "answer": dict(answer), "sent_at": now.isoformat(),
            "failure": "", "error": ""}


def after_refusal(code: int, message: str, attempts: int, now: datetime) -> dict[str, Any]:
    """The system judged the message and refused it: parked with its code; retrying it unchanged cannot help."""
    return {"status": "failed", "failure": REFUSED, "attempts": attempts, "failed_at": now.isoformat(),
            "answer": {"code": code, "message": message}, "error": ""}


def after_transport_failure(attempts: int, error: str, now: datetime) -> dict[str, Any]:
    """No answer: the same message again after a backoff, then given up visibly (`failed`, `unavailable`)."""
    if attempts >= MAX_ATTEMPTS:
        return {"status": "failed", "failure": UNAVAILABLE, "attempts": attempts, "error": error,
                "failed_at": now.isoformat()}
    return {"status": "pending", "attempts": attempts, "error": error,
            "next_at": (now + backoff(attempts)).isoformat()}


def retried(push: Mapping[str, Any], now: datetime, fresh_msgid: str) -> dict[str, Any]:
    """Ops sends a failed push again: pending at once; a refused one under a new msgid."""
    changes: dict[str, Any] = {"status": "pending", "attempts": 0, "retries": int(push.get("retries", 0)) + 1,
                               "next_at": now.isoformat(), "failure": "", "error": ""}
    if push.get("failure") == REFUSED:
        changes["msgid"] = fresh_msgid
        changes["previous_answer"] = dict(push.get("answer") or {})
    return changes


def push_view(push: Mapping[str, Any]) -> dict[str, Any]:
    """A push as the list answers it: never its body (the persons' numbers); the system's message masked."""
    answer = dict(push.get("answer") or {})
    if answer.get("message"):
        answer["message"] = mask(str(answer["message"]))
    return {
        "push_id": push["_id"], "txn": push["txn"], "txn_name": TRANSACTION_NAMES.get(push["txn"], ""),
        "event_type": push.get("event_type", ""), "source_event_id": push.get("source_event_id", ""),
        "business_id": push.get("business_id", ""), "institution_id": push.get("institution_id", ""),
        "month": push.get("month", ""), "part": push.get("part", 1), "parts": push.get("parts", 1),
        "records": push.get("records", 0), "persons": push.get("persons", 0), "msgid": push.get("msgid", ""),
        "status": push["status"], "attempts": push.get("attempts", 0), "retries": push.get("retries", 0),
        "failure": push.get("failure", "") or None,
        "code": answer.get("code") if push["status"] != "pending" else None,
        "answer": answer or None, "error": mask(str(push.get("error") or "")) or None,
        "created_at": push.get("created_at"), "next_at": push.get("next_at") if push["status"] == "pending" else None,
        "sent_at": push.get("sent_at"), "failed_at": push.get("failed_at"),
    }
