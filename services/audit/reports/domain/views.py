"""How a report looks over HTTP (no internal fields, amounts as "0.00" strings)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from chassis.calendar import deadline_view, due_by, refreshed
from services.audit.reports.domain.periods import ALL_KINDS, parse_period, report_due


def current_report_deadline(r: dict[str, Any]) -> dict[str, Any]:
    """A report whose due date was provisional, worked out again; `overdue` follows (produced after it)."""
    if not r.get("due_provisional") or not r.get("report_day"):
        return r
    fresh = refreshed(r, lambda: report_due(parse_period(r["period"], ALL_KINDS), int(r["report_day"]), due_by))
    return {**fresh, "overdue": date.fromisoformat(r["produced_on"]) > date.fromisoformat(fresh["due_on"])}


def report_view(r: dict[str, Any]) -> dict[str, Any]:
    keys = ("kind", "period", "start", "end", "due_on", "produced_at", "produced_on", "overdue", "produced_by",
            "program", "policy_version", "interim")
    r = current_report_deadline(r)
    view = {"report_id": r["_id"], **{k: r.get(k) for k in keys}, "deadline": deadline_view(r),
            "files": {name: {k: f[k] for k in ("name", "sha256", "size", "content_type")}
                      for name, f in r.get("files", {}).items()}}
    if "figures_json" in r:
        view["figures"] = json.loads(r["figures_json"])
    return view
