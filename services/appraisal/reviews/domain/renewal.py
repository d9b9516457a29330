"""When a qualification's re-review (复审) falls due and what a passed one moves it to."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from chassis.errors import Conflict, InvalidInput
from services.appraisal.cases.domain.case import review_due

RENEWAL_FROM = ("due", "conclusion")
# Stable rule code: a re-review concludes only on an active qualification.
RULE_REVIEW_NEEDS_ACTIVE = "review_requires_active_qualification"


def renewed_review_due(previous_due: date | None, concluded_on: date, review_months: int,
                       renewal_from: str = "due") -> date | None:
    """The next re-review date after a re-review concluded "continue"; None when the table sets no period.

    (choice) `due` (default): the new period runs from the old review date, or from the conclusion when that came
    later — a re-review passed early loses no time, one passed late gives none back. `conclusion`: from the
    conclusion day."""
    if renewal_from not in RENEWAL_FROM:
        raise InvalidInput(f"appraisal.review_renewal_from must be one of {list(RENEWAL_FROM)}", "review_renewal_from")
    base = concluded_on
    if renewal_from == "due" and previous_due is not None and previous_due > concluded_on:
        base = previous_due
    return review_due(base, review_months)


def renewal(qualification: dict[str, Any], review_case: dict[str, Any], renewed_on: date, review_months: int,
            renewal_from: str, policy_version: str, by: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A passed re-review: (the qualification with its next review date, the renewal the qualification records)."""
    previous = qualification.get("review_due") or ""
    due = renewed_review_due(date.fromisoformat(previous) if previous else None, renewed_on, review_months,
                             renewal_from)
    renewed = {**qualification, "review_due": due.isoformat() if due else ""}
    record = {"review_case_id": review_case["_id"], "application_id": review_case["application_id"],
              "previous_review_due": previous, "renewed_on": renewed_on.isoformat(),
              "review_due": renewed["review_due"], "by": by, "policy_version": policy_version}
    return renewed, record


def notice_due(review_due_on: date, notice_days: int, on: date) -> bool:
    """The qualification has entered its notice window (`notice_days` before its review date) on `on`."""
    return review_due_on - timedelta(days=notice_days) <= on


def applied_by(qcase: dict[str, Any], review_case_id: str) -> bool:
    """The qualification already carries this re-review's outcome (a retry after the first write)."""
    return (any(r.get("review_case_id") == review_case_id for r in qcase.get("renewals") or [])
            or (qcase.get("revocation") or {}).get("review_case_id") == review_case_id)


def check_reviewable(qualification_id: str, qcase: dict[str, Any] | None, review_case_id: str) -> bool:
    """A re-review concludes only on an active qualification held here (refused naming the rule; nothing is
    written). True when the qualification already carries this re-review's outcome (a retry)."""
    if qcase is None:
        raise Conflict(f"{RULE_REVIEW_NEEDS_ACTIVE}: qualification {qualification_id} of this re-review is not held "
                       "here", "qualification_id", code=RULE_REVIEW_NEEDS_ACTIVE)
    done = applied_by(qcase, review_case_id)
    status = qcase["qualification"]["status"]
    if not done and status != "active":
        raise Conflict(f"{RULE_REVIEW_NEEDS_ACTIVE}: qualification {qualification_id} is {status}; a re-review (复审) "
                       "concludes only on an active qualification — nothing was changed", "qualification_id",
                       code=RULE_REVIEW_NEEDS_ACTIVE)
    return done


def revocation_record(reason: str, revoked_on: date, by: str, review_case_id: str = "") -> dict[str, Any]:
    return {"reason": reason, "revoked_on": revoked_on.isoformat(), "by": by,
            **({"review_case_id": review_case_id} if review_case_id else {})}


def worklist_row(case: dict[str, Any], day: date) -> dict[str, Any]:
    """A qualification on the re-review worklist as of `day`."""
    return {"qualification_id": case["qualification_id"], "person_id": case["person_id"],
            "person_name": case.get("person_name"), "disease_code": case["disease_code"],
            "review_due": case["review_due"], "notified": bool(case.get("review_notified")),
            # Past its date without a passed re-review: settlement pays nothing (review_overdue).
            "overdue": case["review_due"] < day.isoformat()}
