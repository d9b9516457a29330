"""How a warning looks over HTTP: its due date worked out again when it was provisional, and whether overdue."""

from __future__ import annotations

from datetime import date
from typing import Any

from chassis.calendar import deadline_view, refreshed, working_days_after
from services.audit.warnings.domain.warnings import warning_overdue


def warning_view(w: dict[str, Any], today: date) -> dict[str, Any]:
    keys = ("kind", "description", "detected_on", "due_on", "issued_at", "issued_by", "status", "source",
            "reported_at", "reported_on", "reported_by", "sent_to", "report", "evidence")
    w = current_warning_deadline(w)
    return {"warning_id": w["_id"], **{k: w.get(k) for k in keys}, "overdue": warning_overdue(w, today),
            "deadline": deadline_view(w)}


def current_warning_deadline(w: dict[str, Any]) -> dict[str, Any]:
    """A warning whose due date was worked out on a provisional year, worked out again on today's calendar."""
    if not w.get("due_working_days"):
        return w
    return refreshed(w, lambda: working_days_after(date.fromisoformat(w["detected_on"]), int(w["due_working_days"])))
