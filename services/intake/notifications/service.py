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
from chassis.scope import TenantScope
from services.intake.notifications.domain.templates import SURVEY_INVITATION, TEMPLATES
from services.intake.notifications.store import NotificationStore
from services.intake.surveys.domain.survey import DECIDED, questions_of


class Notifier(Protocol):
    async def send(self, tenant: str, person_id: str, phone: str | None, template: str,
                   params: dict[str, str]) -> str: ...


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
        await NotificationStore(self._db_for(tenant)).add_notification(doc)  # a redelivered event must not notify twice
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


async def sent(scope: TenantScope, person_id: str | None, limit: int) -> list[dict[str, Any]]:
    """The notifications of the caller's tenant (an applicant's own only), oldest first."""
    if scope.role == "applicant":
        person_id = scope.subject
    docs = await NotificationStore(scope.db()).notifications(person_id, limit)
    return [{"notification_id": d["_id"], **{k: d[k] for k in ("person_id", "template", "text", "channel", "at",
                                                                 "status")}} for d in docs]
