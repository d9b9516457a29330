"""How audit's documents look over HTTP (no internal fields, amounts as "0.00" strings)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from chassis.calendar import deadline_view, due_by, refreshed, working_days_after
from chassis.money import fmt, from_fen
from services.audit.domain.figures import warning_overdue
from services.audit.domain.periods import parse_period, report_due
from services.audit.domain.sampling import attainment


def finding_view(f: dict[str, Any]) -> dict[str, Any]:
    return {"finding_id": f["_id"], "person_id": f.get("person_id", ""), "kind": f.get("kind", ""),
            "description": f.get("description", ""), "amount": fmt(from_fen(f.get("amount_fen", 0))),
            "raised_at": f.get("raised_at", ""), "raised_on": f.get("raised_on", ""),
            "source": f.get("source", "event"), "plan_id": f.get("plan_id"), "raised_by": f.get("raised_by"),
            "carrier_caused": bool(f.get("carrier_caused")), "carrier_reason": f.get("carrier_reason"),
            "fund_year": f.get("fund_year")}


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


def current_report_deadline(r: dict[str, Any]) -> dict[str, Any]:
    """A report whose due date was provisional, worked out again; `overdue` follows (produced after it)."""
    if not r.get("due_provisional") or not r.get("report_day"):
        return r
    fresh = refreshed(r, lambda: report_due(parse_period(r["period"]), int(r["report_day"]), due_by))
    return {**fresh, "overdue": date.fromisoformat(r["produced_on"]) > date.fromisoformat(fresh["due_on"])}


def task_view(t: dict[str, Any]) -> dict[str, Any]:
    keys = ("plan_id", "case_id", "person_id", "disease_code", "uncapped", "status", "outcome", "notes",
            "checked_by", "checked_at", "finding_id")
    return {"task_id": t["_id"], **{k: t.get(k) for k in keys}}


def callback_view(c: dict[str, Any]) -> dict[str, Any]:
    keys = ("plan_id", "person_id", "case_ids", "disease_codes", "status", "attempts", "finding_id", "created_at")
    return {"callback_id": c["_id"], **{k: c.get(k) for k in keys}}


def plan_view(plan: dict[str, Any], checked: dict[str, int], population: bool = False) -> dict[str, Any]:
    keys = ("period", "start", "end", "seed", "method", "uncapped_ratio", "other_ratio", "program",
            "policy_version", "created_at", "created_by")
    strata = [{"disease_code": s["disease_code"], "uncapped": s["uncapped"], "population": len(s["population"]),
               "required": s["required"], "sample": s["sample"],
               **({"population_ids": s["population"]} if population else {})} for s in plan["strata"]]
    return {"plan_id": plan["_id"], **{k: plan.get(k) for k in keys}, "strata": strata,
            "attainment": attainment(plan["strata"], checked)}


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
