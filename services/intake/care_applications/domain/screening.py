"""The screening (初步筛查) of a long-term care application: the eligibility preconditions the platform checks itself
— a member's insurance type; on an illness basis, disabled at least six months before the application's date
(经规范诊疗、失能状态持续6个月以上); on an old-age basis, the program's age reached (因年老失能); every document it
needs present; no earlier application of the person still open — each with its reason, passed or failed; the
clerk's outcome checked against them (an accept they do not allow is refused); the screening's working-day clock;
the applicant-visible statuses and what appraisal's assessment shows on the timeline. Pure."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from chassis.errors import Conflict, InvalidInput
from chassis.reasons import Reason, as_json
from services.intake.care_applications.domain.filing import DOCUMENT_KINDS
from services.intake.care_applications.domain.reasons import REASONS

DISABLED_MONTHS = 6  # 失能状态持续6个月以上 (tender 一、2)
OUTCOMES = ("accept", "missing", "reject")

# The applicant-visible life of an application (申请状态).
STATUS_LABELS = {
    "submitted": "已提交 submitted, awaiting screening (初步筛查)",
    "documents_requested": "待补充材料 documents requested",
    "accepted": "筛查通过 accepted, the assessment is being organised",
    "rejected": "不予受理 rejected at screening",
    "in_assessment": "评定中 two assessors drawn",
    "concluded": "评定已出结论 the assessment concluded",
}
SCREENABLE = frozenset({"submitted"})
TAKES_DOCUMENTS = frozenset({"submitted", "documents_requested"})
# Still under way: an earlier one of these keeps a person's later application from being accepted.
OPEN = frozenset({"submitted", "documents_requested", "accepted", "in_assessment"})
# The field each failed precondition concerns (an accept refused names them).
FIELDS = {"not_member": "application.insutype", "disabled_too_recent": "application.disabled_since",
          "old_age_not_reached": "application.person_id", "documents_missing": "documents",
          "another_open_application": "application.person_id"}


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has fewer)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def age_on(born: date, day: date) -> int:
    """Full years of age on a day."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass(frozen=True)
class Facts:
    """What the screening looks at, as the application and the program say."""

    basis: str
    insutype: str
    members: frozenset[str]
    born: date
    applied_on: date
    disabled_since: date | None
    old_age_from: int
    required: tuple[str, ...]
    provided: frozenset[str]
    outstanding: tuple[str, ...] = ()  # listed missing on the application: asked for and not added since
    earlier_open: bool = False


@dataclass(frozen=True)
class Preconditions:
    passed: tuple[Reason, ...]
    failed: tuple[Reason, ...]
    missing: tuple[str, ...]

    @property
    def reasons(self) -> tuple[Reason, ...]:
        return (*self.passed, *self.failed)


def preconditions(f: Facts) -> Preconditions:
    """Each eligibility precondition, passed or failed, with its reason."""
    passed: list[Reason] = []
    failed: list[Reason] = []

    def check(ok: bool, yes: str, no: str, detail: str, **params: object) -> None:
        (passed if ok else failed).append(REASONS.reason(yes if ok else no, detail, **params))

    check(f.insutype in f.members, "member", "not_member",
          f"insurance type {f.insutype}; members {', '.join(sorted(f.members))}", insutype=f.insutype)
    if f.basis == "illness":
        if f.disabled_since is None:
            raise InvalidInput("an illness basis says since when the person is disabled", "disabled_since",
                               code="disabled_since_required")
        reached = add_months(f.disabled_since, DISABLED_MONTHS)
        check(reached <= f.applied_on, "disabled_six_months", "disabled_too_recent",
              f"disabled since {f.disabled_since.isoformat()}: {DISABLED_MONTHS} months reached on "
              f"{reached.isoformat()}, applied on {f.applied_on.isoformat()}",
              disabled_since=f.disabled_since.isoformat(), applied_on=f.applied_on.isoformat(),
              months=DISABLED_MONTHS, reached_on=reached.isoformat())
    else:
        age = age_on(f.born, f.applied_on)
        check(age >= f.old_age_from, "old_age_reached", "old_age_not_reached",
              f"aged {age} on the application's date; disability through old age from {f.old_age_from}",
              age=age, old_age_from=f.old_age_from)
    missing = tuple(dict.fromkeys([*(k for k in f.required if k not in f.provided), *f.outstanding]))
    if missing:
        failed.append(REASONS.reason("documents_missing", f"missing: {', '.join(missing)}",
                                     missing=",".join(missing)))
    else:
        passed.append(REASONS.reason("documents_present", f"required: {', '.join(f.required)}",
                                     required=",".join(f.required)))
    check(not f.earlier_open, "only_open_application", "another_open_application",
          "an earlier application of the person is still open" if f.earlier_open else "none other open")
    return Preconditions(tuple(passed), tuple(failed), missing)


@dataclass(frozen=True)
class Decision:
    """What the screening does: the new status, its event, the documents asked for, the reasons."""

    status: str
    event: str
    missing: tuple[str, ...]
    reasons: tuple[Reason, ...]
    note: str


def decide(status: str, outcome: str, named_missing: Sequence[str], note: str,
           checked: Preconditions) -> Decision:
    """The clerk's outcome checked against the preconditions (初步筛查)."""
    if status not in SCREENABLE:
        raise Conflict(f"the application is {status}; only a submitted application is screened",
                       code="application_not_screenable", params={"status": status})
    unknown = [k for k in named_missing if k not in DOCUMENT_KINDS]
    if unknown:
        raise InvalidInput(f"unknown document kinds {unknown}; expected from {list(DOCUMENT_KINDS)}", "missing",
                           code="document_kind_unknown")
    if named_missing and outcome != "missing":
        raise InvalidInput("documents are named missing only with the outcome `missing`", "missing",
                           code="missing_with_other_outcome")
    if outcome == "accept":
        if checked.failed:
            codes = [r.code for r in checked.failed]
            raise InvalidInput(
                "the preconditions do not allow accepting: " + "; ".join(str(r) for r in checked.failed),
                FIELDS[codes[0]], code="screening_preconditions_failed",
                fields=[{"field": FIELDS[r.code], "message": str(r), "code": r.code} for r in checked.failed],
                params={"reasons": ",".join(codes)})
        return Decision("accepted", "care_application.accepted", (), checked.reasons, note)
    if outcome == "missing":
        missing = tuple(dict.fromkeys([*named_missing, *checked.missing]))
        if not missing:
            raise InvalidInput("say which documents are missing", "missing", code="missing_documents_unnamed")
        reason = REASONS.reason("documents_missing", f"missing: {', '.join(missing)}", missing=",".join(missing))
        return Decision("documents_requested", "care_application.documents_requested", missing, (reason,), note)
    reasons = list(checked.failed)
    if note.strip():
        reasons.append(REASONS.reason("refused_at_screening", note.strip()))
    if not reasons:
        raise InvalidInput("a rejection needs reasons: no precondition failed, so give the clerk's note", "note",
                           code="rejection_reasons_required")
    return Decision("rejected", "care_application.rejected", (), tuple(reasons), note)


def overdue(due_on: date | None, status: str, missing: Iterable[str], today: date) -> bool:
    """The screening is late: a complete application still waiting past its due day."""
    return due_on is not None and status == "submitted" and not list(missing) and today > due_on


# What the platform writes on the timeline (办理进度), by a stable code: each entry says which (`event`) with its
# values (`params`) beside the English `note`, so a page says it in the person's language without reading the note.
# Params are codes, counts and dates only — never a name, an identity number or a phone (they stay clear at rest);
# what a person wrote (the clerk's note) stays in the sealed `note` and reasons.
TIMELINE_EVENTS: dict[str, str] = {
    "submitted": "filed (params: channel, lot, missing)",
    "documents_added": "documents added (count, kinds, still_missing)",
    "screening_accepted": "accepted at the screening (note: the clerk's)",
    "documents_requested": "the clerk asked for documents (missing; note: the clerk's)",
    "screening_rejected": "rejected at the screening (reasons in reason_codes; note: the clerk's)",
    "assessors_drawn": "two assessors drawn (round, kind)",
    "assessment_concluded": "the assessment concluded (round, kind, grade, grade_name, eligible, scale_version)",
}
SCREENING_EVENTS = {"accepted": "screening_accepted", "documents_requested": "documents_requested",
                    "rejected": "screening_rejected"}


def timeline_entry(status: str, at: str, note: str = "", reasons: Sequence[Reason] = (), event: str = "",
                   params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One step of the applicant-visible timeline; a decision's step carries its reasons' codes too, and every step
    the platform writes its `event` code (TIMELINE_EVENTS) and `params`."""
    entry: dict[str, Any] = {"status": status, "label": STATUS_LABELS.get(status, status), "at": at, "note": note}
    if event:
        entry["event"], entry["params"] = event, dict(params or {})
    if reasons:
        entry["reason_codes"] = as_json(reasons)
    return entry


# What appraisal's assessment shows on the application (its events' payload fields only).
ASSESSMENT_EVENTS = ("disability.assessment_opened", "disability.concluded")
AFTER_ACCEPT = frozenset({"accepted", "in_assessment", "concluded"})


def assessment_note(event_type: str, payload: Any, status: str) -> tuple[str, dict[str, Any], str]:
    """(the step the event is — in_assessment or concluded —, the application's changes, the timeline note) for an
    assessment event. The application takes the step as its status only once accepted: nothing of an assessment
    reverses a screening."""
    if event_type == "disability.assessment_opened":
        changes: dict[str, Any] = {"assessment": {
            "assessment_id": payload.assessment_id, "round": payload.round, "kind": payload.kind,
            "opened_at": payload.opened_at}}
        note = f"评定人员已抽取 two assessors drawn (round {payload.round}, {payload.kind})"
        new_status = "in_assessment"
    else:
        changes = {"assessment": {
            "assessment_id": payload.assessment_id, "round": payload.round, "kind": payload.kind,
            "grade": payload.grade, "grade_name": payload.grade_name, "eligible": payload.eligible,
            "scale_version": payload.scale_version, "concluded_at": payload.concluded_at,
            "recheck_due": payload.recheck_due}}
        covered = "eligible (符合待遇)" if payload.eligible else "not eligible (不符合待遇)"
        note = f"评定结论 {payload.grade_name} (grade {payload.grade}), {covered}; scale {payload.scale_version}"
        new_status = "concluded"
    if status in AFTER_ACCEPT:
        changes["status"] = new_status
    return new_status, changes, note


def assessment_event(event_type: str, payload: Any) -> tuple[str, dict[str, Any]]:
    """The timeline entry's `event` and `params` for an assessment event: the round and its kind, and once concluded
    the grade (code and the scale's name), whether it is covered and the scale's version — the scale's values, no
    person's."""
    params: dict[str, Any] = {"round": int(payload.round), "kind": payload.kind}
    if event_type == "disability.assessment_opened":
        return "assessors_drawn", params
    return "assessment_concluded", {**params, "grade": int(payload.grade), "grade_name": payload.grade_name,
                                    "eligible": bool(payload.eligible), "scale_version": payload.scale_version}
