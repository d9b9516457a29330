"""Applicant notifications (结果告知: push/SMS) behind a port. Locally (and in tests) notifications
go to an outbox collection anyone with access can read; a real SMS/push gateway adapter implements the
same `Notifier` protocol and is chosen by configuration."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Protocol


class Notifier(Protocol):
    async def send(self, tenant: str, person_id: str, phone: str | None, template: str,
                   params: dict[str, str]) -> str: ...


TEMPLATES = {
    "documents_missing": "您的门诊慢特病申请需补充材料：{missing}。{note}",
    "complete": "您的门诊慢特病申请已受理，正在组织专家鉴定。",
    "rejected": "您的门诊慢特病申请未予受理：{reason}",
    "approved": "您的门诊慢特病鉴定已通过（{disease}），待遇自{benefit_start}起享受。",
    "not_approved": "您的门诊慢特病鉴定未通过：{reason}",
    "filed": "您的门诊慢特病资格（{disease}）已完成备案。",
    "revoked": "您的门诊慢特病资格（{disease}）已撤销：{reason}",
    "review_due": "您的门诊慢特病资格（{disease}）将于{due_on}到期复审，请及时申请。",
    "renewed": "您的门诊慢特病资格（{disease}）复审通过，待遇继续享受，下次复审日期：{review_due}。",
    "complaint_resolved": "您的{kind}已办结：{resolution}",
}


class OutboxNotifier:
    """Stores each message in intake's `notifications` collection of the tenant (readable over HTTP)."""

    def __init__(self, db_for_tenant: Any) -> None:
        self._db_for = db_for_tenant

    async def send(self, tenant: str, person_id: str, phone: str | None, template: str,
                   params: dict[str, str]) -> str:
        text = TEMPLATES[template].format_map({k: v for k, v in params.items()})
        doc = {"_id": params.get("dedupe_key") or str(uuid.uuid4()), "person_id": person_id, "phone": phone,
               "template": template, "text": text, "channel": "sms" if phone else "push",
               "at": datetime.now(UTC).isoformat(), "status": "queued"}
        try:
            await self._db_for(tenant)["notifications"].insert_one(doc)
        except Exception as exc:  # a redelivered event must not notify twice
            from pymongo.errors import DuplicateKeyError

            if not isinstance(exc, DuplicateKeyError):
                raise
        return doc["_id"]
