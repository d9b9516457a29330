"""The complaints' use cases: file a consultation, complaint or tip (举报: naming an institution, possibly
anonymous; its deadline from the caller's program), list them with overdue flags, answer one (and tell the person)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, NotFound
from chassis.events import new_event
from chassis.programs import program_of_tenant
from chassis.scope import TenantScope
from chassis.telemetry import current_carrier
from contracts.v1 import events_pb2
from services.intake.complaints.domain.complaint import (
    ALREADY_RESOLVED,
    LABELS,
    TIP,
    answer_deadline,
    answer_deadlines,
    check_filing,
    complaint_view,
    current_deadline,
    is_overdue,
)
from services.intake.complaints.store import ComplaintStore
from services.intake.notifications.service import Notifier


def _now() -> str:
    return datetime.now(UTC).isoformat()


async def file(scope: TenantScope, complaint_in: dict[str, Any]) -> dict[str, Any]:
    """`complaint_in`: person_id, kind (consultation | complaint | tip), subject, detail, phone, and for a tip the
    institution it names (institution_id) and the tip-giver's name — as the door checked it. A tip may come without
    person or name (anonymous); its event carries the institution and the tip's words for audit's lead (线索), never
    the tip-giver's name or phone."""
    program = program_of_tenant(scope.tenant)
    check_filing(complaint_in, program.code if program else "", scope.role, scope.subject)
    # The answer deadline is the caller's own program's (from the verified token's tenant), not Hanzhong's.
    rules = answer_deadlines(program)
    filed_on = today_cn()
    deadline = answer_deadline(complaint_in["kind"], filed_on, rules)
    now = _now()
    complaint = {"_id": str(uuid.uuid4()), **{k: v for k, v in complaint_in.items() if v is not None},
                 "status": "open", "filed_at": now, "filed_on": filed_on.isoformat(), **deadline,
                 "filed_by": scope.subject}
    person = complaint.get("person_id") or ""
    tip = complaint["kind"] == TIP
    # An anonymous tip has no person: its events are keyed by the complaint.
    event = new_event("complaint.filed", scope.tenant, person or complaint["_id"], events_pb2.ComplaintFiled(
        complaint_id=complaint["_id"], person_id=person, kind=complaint["kind"],
        subject=complaint["subject"], filed_at=now, due_on=deadline["due_on"],
        due_provisional=bool(deadline.get("due_provisional")),
        due_working_days=int(deadline.get("due_working_days") or 0), filed_on=filed_on.isoformat(),
        institution_id=complaint.get("institution_id") or "", detail=complaint.get("detail", "") if tip else ""),
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
    person = complaint.get("person_id") or ""
    event = new_event("complaint.resolved", scope.tenant, person or complaint_id, events_pb2.ComplaintResolved(
        complaint_id=complaint_id, person_id=person, resolution=resolution, resolved_at=now,
        overdue=overdue), source="intake", trace_context=current_carrier())
    if not await store.resolve_complaint(complaint_id, changes, [event]):
        raise Conflict("this complaint is already resolved", code=ALREADY_RESOLVED)
    if person or complaint.get("phone"):  # an anonymous tip-giver who left no phone is told nothing
        await notifier.send(scope.tenant, person, complaint.get("phone"), "complaint_resolved",
                            {"kind": LABELS.get(complaint["kind"], "投诉"), "resolution": resolution,
                             "dedupe_key": event["event_id"]})
    return complaint_view({**complaint, **changes}, today)
