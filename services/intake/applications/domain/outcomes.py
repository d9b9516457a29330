"""What the applicant sees of appraisal's decisions (结果送达): each appraisal event becomes a status of the
application (per disease), a note on its timeline and, for some, a notification. Pure: reads the event's payload
fields only.

An application may list several diseases, each appraised in its own case: every event carries its disease, kept
per disease in `disease_status` (the application's own status sums them up when read)."""

from __future__ import annotations

from typing import Any

from services.intake.applications.domain.application import timeline_entry

APPRAISAL_EVENTS = ("experts.assigned", "appraisal.concluded", "qualification.granted", "qualification.filed",
                    "qualification.revoked", "qualification.review_due", "qualification.renewed")


def outcome(event: Any) -> tuple[str, str, str, str | None, dict[str, str], str]:
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


def status_changes(event_type: str, status: str, disease: str) -> dict[str, str]:
    """The application's status (and its disease's) after the event: a reminder (review_due) changes none."""
    if event_type == "qualification.review_due":
        return {}
    return {"status": status, **({f"disease_status.{disease}": status} if disease else {})}


def timeline_event(event: Any) -> tuple[str, dict[str, Any]]:
    """The timeline entry's `event` code and `params` (application.TIMELINE_EVENTS) for an appraisal event: dates,
    the outcome's code, the filing number — the experts' or the revocation's reason stays in the (sealed) note."""
    p = event.payload
    if event.type == "experts.assigned":
        return "experts_appointed", {}
    if event.type == "appraisal.concluded":
        return ("review_concluded" if p.kind == "review" else "appraisal_concluded"), {"outcome": p.outcome}
    q = p.qualification
    if event.type == "qualification.renewed":
        return "benefits_renewed", {"review_due": q.review_due or None}
    return {
        "qualification.granted": ("benefits_granted", {"benefit_start": q.benefit_start}),
        "qualification.filed": ("qualification_filed", {"filing_serial": getattr(p, "filing_serial", "")}),
        "qualification.revoked": ("qualification_revoked", {}),
        "qualification.review_due": ("review_due", {"due_on": getattr(p, "due_on", "")}),
    }[event.type]


def timeline_note(app: dict[str, Any], status: str, at: str, note: str, disease: str, event: str = "",
                  params: dict[str, Any] | None = None) -> dict[str, Any]:
    """The timeline entry; on an application of several diseases it names the disease (in the note, and as the
    `disease` param)."""
    several = bool(disease) and len(app.get("diseases") or []) > 1
    if event and several:
        params = {**(params or {}), "disease": disease}
    return timeline_entry(status, at, f"{disease}: {note}" if several else note, event=event, params=params)
