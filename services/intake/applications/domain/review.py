"""The clerk's preliminary review (初审) of an application, decided: complete, documents missing, or rejected —
the note on the applicant's timeline, the reasons (codes), the event that follows and the notification the applicant
gets. Pure: the service has checked that the review may happen (`application.check_review`) and asked the provincial
platform (1101) whether the person is insured; it carries the decision out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chassis.reasons import Reason
from services.intake.applications.domain.reasons import REASONS

REFUSED_BY_DEFAULT = "refused at preliminary review"


@dataclass(frozen=True)
class ReviewDecision:
    status: str  # the application's new status: complete | documents_missing | rejected
    event: str  # what follows: application.completed | application.documents_requested | application.rejected
    note: str  # the timeline entry's note (and the documents request's)
    template: str  # the applicant's notification (结果告知)
    params: Mapping[str, str] = field(default_factory=dict)  # its parameters
    missing: tuple[str, ...] = ()  # documents still to add (documents_missing)
    rejection: str = ""  # the refusal's sentence, as the application.rejected event carries it (rejected)
    reasons: tuple[Reason, ...] = ()  # why (empty for a complete application)
    # The timeline entry's code and params (application.TIMELINE_EVENTS): no personal data — 1101's error, which may
    # quote the identity number, stays in the sealed note and reasons.
    entry_event: str = ""
    entry_params: Mapping[str, Any] = field(default_factory=dict)


def decide_review(requested: str, note: str, named_missing: Sequence[str], checklist_missing: Sequence[str],
                  insurance: Mapping[str, Any]) -> ReviewDecision:
    """The outcome of the clerk's review: `requested` is the clerk's decision (complete | missing | reject), `note`
    theirs, `named_missing` the documents they ask for, `checklist_missing` what the disease's checklist still lacks,
    `insurance` the 1101 answer kept on the application. A complete application whose person the platform does not
    confirm insured is rejected instead."""
    if requested == "complete" and not insurance["insured"]:
        error = insurance.get("error") or "suspended"
        note = f"not insured per the provincial platform (1101): {error}"
        return _rejected(note, REASONS.reason("not_insured", note, error=error), "not_insured")
    if requested == "complete":
        return ReviewDecision("complete", "application.completed", note, "complete", entry_event="review_completed")
    if requested == "missing":
        missing = tuple(sorted(set(named_missing) | set(checklist_missing)))
        return ReviewDecision(
            "documents_missing", "application.documents_requested", note, "documents_missing",
            {"missing": "、".join(missing), "note": note}, missing=missing,
            reasons=(REASONS.reason("documents_missing", "、".join(missing), missing=",".join(missing)),),
            entry_event="documents_requested", entry_params={"missing": list(missing)})
    rejection = note or REFUSED_BY_DEFAULT
    return _rejected(note, REASONS.reason("refused_at_review", rejection), "review_refused")


def _rejected(note: str, reason: Reason, entry_event: str) -> ReviewDecision:
    rejection = note or REFUSED_BY_DEFAULT
    return ReviewDecision("rejected", "application.rejected", note, "rejected", {"reason": rejection},
                          rejection=rejection, reasons=(reason,), entry_event=entry_event)
