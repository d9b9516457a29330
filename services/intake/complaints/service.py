"""The complaints' use cases: file one (its deadline from the caller's program), list them with overdue flags,
answer one (and tell the person)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.events import new_event
from chassis.programs import program_of_tenant
from chassis.scope import TenantScope
from chassis.telemetry import current_carrier
from contracts.v1 import events_pb2
from services.intake.complaints.domain.complaint import (
    ALREADY_RESOLVED,
    answer_deadline,
    answer_deadlines,
    complaint_view,
    current_deadline,
    is_overdue,
)
from services.intake.complaints.store import ComplaintStore
from services.intake.notifications.service import Notifier


def _now() -> str:
    return datetime.now(UTC).isoformat()


async def file(scope: TenantScope, complaint_in: dict[str, Any]) -> dict[str, Any]:
    """`complaint_in`: person_id, kind (consultation | complaint), subject, detail, phone — as the door checked it."""
    if scope.role == "applicant" and complaint_in["person_id"] != scope.subject:
        raise InvalidInput("an applicant files only for themself", "person_id")
    # The answer deadline is the caller's own program's (from the verified token's tenant), not Hanzhong's.
    rules = answer_deadlines(program_of_tenant(scope.tenant))
    filed_on = today_cn()
    deadline = answer_deadline(complaint_in["kind"], filed_on, rules)
    now = _now()
    complaint = {"_id": str(uuid.uuid4()), **complaint_in, "status": "open", "filed_at": now,
                 "filed_on": filed_on.isoformat(), **deadline, "filed_by": scope.subject}
    event = new_event("complaint.filed", scope.tenant, complaint["person_id"], events_pb2.ComplaintFiled(
        complaint_id=complaint["_id"], person_id=complaint["person_id"], kind=complaint["kind"],
        subject=complaint["subject"], filed_at=now, due_on=deadline["due_on"],
        due_provisional=bool(deadline.get("due_provisional")),
        due_working_days=int(deadline.get("due_working_days") or 0), filed_on=filed_on.isoformat()),
        source="intake", trace_context=current_carrier())
    await ComplaintStore(scope.db()).add_complaint(complaint, [event])
    return complaint_view(complaint, filed_on)


async def listed(scope: TenantScope, status: str | None, overdue: bool | None) -> list[dict[str, Any]]:
    today = today_cn()
    views = [complaint_view(c, today) for c in await ComplaintStore(scope.db()).complaints(status, 2000)]
    return [v for v in views if overdue is None or v["overdue"] == overdue]


async def resolve(scope: TenantScope, notifier: Notifier, complaint_id: str, resolution: str) -> dict[str, Any]:
    store = ComplaintStore(scope.db())
    complaint = await store.complaint(complaint_id)
    if complaint is None:
        raise NotFound(f"complaint {complaint_id} not found")
    if complaint["status"] != "open":
        raise Conflict("this complaint is already resolved", code=ALREADY_RESOLVED)
    today, now = today_cn(), _now()
    complaint = current_deadline(complaint)
    overdue = is_overdue(date.fromisoformat(complaint["due_on"]), today, today)
    changes = {"status": "resolved", "resolution": resolution, "resolved_at": now,
               "resolved_on": today.isoformat(), "overdue": overdue, "resolved_by": scope.subject,
               **{k: complaint[k] for k in ("due_on", "due_provisional", "due_calendar") if k in complaint}}
    event = new_event("complaint.resolved", scope.tenant, complaint["person_id"], events_pb2.ComplaintResolved(
        complaint_id=complaint_id, person_id=complaint["person_id"], resolution=resolution, resolved_at=now,
        overdue=overdue), source="intake", trace_context=current_carrier())
    if not await store.resolve_complaint(complaint_id, changes, [event]):
        raise Conflict("this complaint is already resolved", code=ALREADY_RESOLVED)
    await notifier.send(scope.tenant, complaint["person_id"], complaint.get("phone"), "complaint_resolved",
                        {"kind": "咨询" if complaint["kind"] == "consultation" else "投诉",
                         "resolution": resolution, "dedupe_key": event["event_id"]})
    return complaint_view({**complaint, **changes}, today)
