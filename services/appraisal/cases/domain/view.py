"""A case as the doors answer it: its fields, its deadline (a provisional one worked out again on today's calendar),
whether it is overdue, and the outcome the experts' majority recommends."""

from __future__ import annotations

from datetime import date
from typing import Any

from chassis.calendar import deadline_view, today_cn
from services.appraisal.cases.domain.case import majority, outcome_for
from services.appraisal.cases.domain.conclusion import with_reason_codes
from services.appraisal.cases.domain.deadline import current_case, overdue_on

KEYS = ("application_id", "person_id", "person_name", "disease_code", "program", "status", "opened_at",
        "opinions", "conclusion", "qualification", "documents", "assigned", "draws", "due_on", "specialty",
        "opinions_required", "filing_status", "filing_error", "awaiting", "clock_from", "insutype",
        "reviews_qualification_id", "renewals", "revocation")


def case_view(case: dict[str, Any], today: date | None = None) -> dict[str, Any]:
    case = current_case(case)  # a provisional deadline is worked out again on today's calendar
    view = {"case_id": case["_id"], **{k: case.get(k) for k in KEYS}, "deadline": deadline_view(case)}
    view["conclusion"] = with_reason_codes(view["conclusion"], case.get("opinions") or [])
    today = today or today_cn()
    done_on = (case.get("conclusion") or {}).get("concluded_on")
    view["overdue"] = overdue_on(case, date.fromisoformat(done_on) if done_on else today)
    view["kind"] = case.get("kind", "initial")  # initial | review (复审)
    view["recommended"] = outcome_for(view["kind"], majority(case["opinions"])) if case.get("opinions") else None
    return view
