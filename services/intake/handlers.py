"""intake's event handlers: what appraisal decides shows on the applicant's timeline and reaches them
as a notification (结果送达); the experts drawn for an application's cases may open its documents.

An application may list several diseases, each appraised in its own case: every event carries its disease, kept
per disease in `disease_status` (the application's own status sums them up when read)."""

from __future__ import annotations

from typing import Any

from chassis.consumer import Handler
from chassis.events import Event
from chassis.host import ServiceContext
from services.intake.domain.application import timeline_entry
from services.intake.notifications import OutboxNotifier, invite_to_survey
from services.intake.store import IntakeStore


def outcome(event: Event) -> tuple[str, str, str, str | None, dict[str, str], str]:
    """(application id, status, timeline note, notification template or None, its parameters, disease)."""
    p = event.payload
    if event.type == "experts.assigned":
        return p.application_id, "in_appraisal", "experts appointed", None, {}, p.disease_code
    if event.type == "appraisal.concluded":
        if p.kind == "review":
            # The person hears of a re-review's outcome from qualification.renewed / .revoked (one message each).
            status = "review_passed" if p.outcome == "continue" else "review_failed"
            return p.application_id, status, p.reason, None, {}, p.disease_code
        status = "approved" if p.outcome == "approved" else "not_approved"
        template = "not_approved" if status == "not_approved" else None
        return p.application_id, status, p.reason, template, {"reason": p.reason}, p.disease_code
    q = p.qualification
    if event.type == "qualification.renewed":
        due = q.review_due or "—"
        return (p.application_id, "renewed", f"benefits continue; next re-review {due}", "renewed",
                {"disease": q.disease_code, "review_due": due}, q.disease_code)
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
    return q.application_id, status, note, template, params, q.disease_code


def on_appraisal_event(ctx: ServiceContext) -> Handler:
    notifier = OutboxNotifier(ctx.db)

    async def handle(event: Event) -> None:
        app_id, status, note, template, params, disease = outcome(event)
        at = event.occurred_at.isoformat()
        store = IntakeStore(ctx.db(event.tenant))
        app = await store.application(app_id)
        if app is None:
            return  # an application filed before intake kept one (e.g. migrated data): nothing to show
        changes: dict[str, Any] = {}
        if event.type != "qualification.review_due":  # a reminder changes no status
            changes["status"] = status
            if disease:
                changes[f"disease_status.{disease}"] = status
        # The experts drawn may read the application's documents (and nothing else).
        experts = {"assigned_experts": list(event.payload.expert_ids)} if event.type == "experts.assigned" else None
        entry = timeline_entry(status, at, f"{disease}: {note}" if disease and len(app.get("diseases") or []) > 1
                               else note)
        await store.note_on_timeline(app_id, event.id, changes, entry, experts)
        # Sent whether or not the note above was new: a process killed between the two writes gets the event again
        # and must still notify. Both sends are keyed (the event id; the application), so a redelivery sends nothing.
        if template:
            await notifier.send(event.tenant, app["person_id"], app.get("phone"), template,
                                {**params, "dedupe_key": event.id})
        # Decided: the applicant is invited to the program's satisfaction survey (满意度测评), once.
        await invite_to_survey(notifier, event.tenant, app, changes.get("status", ""))

    return handle


APPRAISAL_EVENTS = ("experts.assigned", "appraisal.concluded", "qualification.granted", "qualification.filed",
                    "qualification.revoked", "qualification.review_due", "qualification.renewed")
