"""Applicant notifications (结果告知: push/SMS) behind a port. Locally (and in tests) notifications
go to an outbox collection anyone with access can read; a real SMS/push gateway adapter implements the
same `Notifier` protocol and is chosen by configuration. A decided application of a program that runs a
satisfaction survey also brings its applicant an invitation to it (`invite_to_survey`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from chassis.errors import NotFound
from chassis.programs import load_program
from services.intake.store import IntakeStore
from services.intake.survey import DECIDED, questions_of


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
    "survey_invitation": "您的门诊慢特病申请已有结果，诚邀您参加满意度测评（共{questions}题，1–5分），"
                         "请在申报小程序中对本次申请（{application_id}）作出评价。",
}
SURVEY_INVITATION = "survey_invitation"


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
        await IntakeStore(self._db_for(tenant)).add_notification(doc)  # a redelivered event must not notify twice
        return doc["_id"]


async def invite_to_survey(notifier: Notifier, tenant: str, app: Mapping[str, Any], status: str) -> bool:
    """Once an application is decided (approved, not approved, filed, rejected, revoked), its applicant is invited to
    the satisfaction survey (满意度测评) — only where the program runs one (program.yaml `survey`). Once per
    application, whichever decision comes first and however often events are redelivered. True when invited."""
    if status not in DECIDED:
        return False
    try:
        questions = questions_of(load_program(str(app.get("program") or "")))
    except NotFound:
        return False
    if not questions:
        return False
    await notifier.send(tenant, app["person_id"], app.get("phone"), SURVEY_INVITATION,
                        {"questions": str(len(questions)), "application_id": str(app["_id"]),
                         "dedupe_key": f"{SURVEY_INVITATION}:{app['_id']}"})
    return True
