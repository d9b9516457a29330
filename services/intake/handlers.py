"""intake's event handlers: what appraisal decides shows on the applicant's timeline and reaches them
as a notification (结果送达)."""

from __future__ import annotations

from typing import Any

from chassis.consumer import Handler
from chassis.events import Event
from chassis.host import ServiceContext
from services.intake.domain.application import timeline_entry
from services.intake.notifications import OutboxNotifier
from services.intake.store import IntakeStore


def on_appraisal_event(ctx: ServiceContext) -> Handler:
    notifier = OutboxNotifier(ctx.db)

    async def handle(event: Event) -> None:
        p = event.payload
        at = event.occurred_at.isoformat()
        if event.type == "experts.assigned":
            app_id, status, note, template, params = p.application_id, "in_appraisal", "experts appointed", None, {}
        elif event.type == "appraisal.concluded":
            app_id = p.application_id
            status = "approved" if p.outcome == "approved" else "not_approved"
            note, template, params = p.reason, ("not_approved" if status == "not_approved" else None), {
                "reason": p.reason}
        else:
            q = p.qualification
            app_id = q.application_id
            status, note, template, params = {
                "qualification.granted": ("approved", f"benefits from {q.benefit_start}", "approved",
                                          {"disease": q.disease_code, "benefit_start": q.benefit_start}),
                "qualification.filed": ("filed", f"filing {getattr(p, 'filing_serial', '')}", "filed",
                                        {"disease": q.disease_code}),
                "qualification.revoked": ("revoked", getattr(p, "reason", ""), "revoked",
                                          {"disease": q.disease_code, "reason": getattr(p, "reason", "")}),
                "qualification.review_due": ("filed", f"re-review due {getattr(p, 'due_on', '')}", "review_due",
                                             {"disease": q.disease_code, "due_on": getattr(p, "due_on", "")}),
            }[event.type]
        store = IntakeStore(ctx.db(event.tenant))
        app = await store.application(app_id)
        if app is None:
            return  # an application filed before intake kept one (e.g. migrated data): nothing to show
        changes: dict[str, Any] = {} if event.type == "qualification.review_due" else {"status": status}
        if await store.note_on_timeline(app_id, event.id, changes, timeline_entry(status, at, note)) and template:
            await notifier.send(event.tenant, app["person_id"], app.get("phone"), template,
                                {**params, "dedupe_key": event.id})

    return handle


APPRAISAL_EVENTS = ("experts.assigned", "appraisal.concluded", "qualification.granted", "qualification.filed",
                    "qualification.revoked", "qualification.review_due")
