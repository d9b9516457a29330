"""Consultations, complaints and tips (咨询, 投诉, 举报): each has a working-day deadline and an overdue flag. A tip
names the designated institution it is about and may come from an anonymous tip-giver; it is taken only where the
program supervises its institutions' use of the fund (基金监管: audit turns each tip into a lead, 线索)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from chassis.calendar import deadline_view, refreshed, working_days_after
from chassis.errors import InvalidInput
from chassis.programs import Program

# (choice) When the caller's program sets no answer deadlines (the tenders set none), these apply.
DEFAULT_CONSULTATION_WORKING_DAYS = 3
DEFAULT_COMPLAINT_WORKING_DAYS = 10


@dataclass(frozen=True)
class AnswerDeadlines:
    """Working days to answer a consultation or a complaint (答复时限), from the caller's own program."""

    program: str
    consultation_working_days: int
    complaint_working_days: int
    basis: str  # where the numbers come from: "programs/<code>/program.yaml intake" or "default"

    def working_days(self, kind: str) -> int:
        """A tip is answered like a complaint (the tenders set no deadline of its own)."""
        return self.consultation_working_days if kind == "consultation" else self.complaint_working_days


def answer_deadlines(program: Program | None) -> AnswerDeadlines:
    """The program's `intake.consultation_working_days` / `intake.complaint_working_days`; the platform's defaults
    for a program (or a tenant without one) that sets none. A setting that is not a positive whole number is
    refused, naming it, rather than quietly replaced."""
    if program is None:
        return AnswerDeadlines("", DEFAULT_CONSULTATION_WORKING_DAYS, DEFAULT_COMPLAINT_WORKING_DAYS, "default")
    days = {}
    for key, default in (("consultation_working_days", DEFAULT_CONSULTATION_WORKING_DAYS),
                         ("complaint_working_days", DEFAULT_COMPLAINT_WORKING_DAYS)):
        raw = program.setting("intake", key, default)
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 60:
            raise InvalidInput(f"programs/{program.code}/program.yaml intake.{key} must be a whole number of "
                               f"working days between 1 and 60, not {raw!r}", f"intake.{key}")
        days[key] = raw
    configured = any(program.setting("intake", k) is not None
                     for k in ("consultation_working_days", "complaint_working_days"))
    basis = f"programs/{program.code}/program.yaml intake" if configured else "default"
    return AnswerDeadlines(program.code, days["consultation_working_days"], days["complaint_working_days"], basis)


def answer_deadline(kind: str, filed_on: date, rules: AnswerDeadlines) -> dict[str, Any]:
    """The fields a complaint stores for its deadline: the date, whether the calendar was provisional and which,
    and what it was computed from (so a provisional one can be worked out again when read)."""
    days = rules.working_days(kind)
    return {**working_days_after(filed_on, days).stored(), "due_working_days": days, "due_basis": rules.basis}


def current_deadline(complaint: dict[str, Any]) -> dict[str, Any]:
    """The complaint with a provisional deadline worked out again on today's calendar."""
    if not complaint.get("due_working_days"):
        return complaint
    return refreshed(complaint, lambda: working_days_after(date.fromisoformat(complaint["filed_on"]),
                                                           int(complaint["due_working_days"])))


def is_overdue(due: date, resolved_on: date | None, today: date) -> bool:
    """Overdue if answered after the deadline, or still open past it."""
    return (resolved_on or today) > due


ALREADY_RESOLVED = "complaint_already_resolved"
KINDS = ("consultation", "complaint", "tip")
TIP = "tip"
# The programs that take tips (举报): those whose fund use the carrier supervises for the agency (Karamay's tender
# 二(一)1(7): 群众举报案件线索核查). Elsewhere a tip has nobody to verify it: file it as a complaint.
TIP_PROGRAMS = ("km-supervision",)
LABELS = {"consultation": "咨询", "complaint": "投诉", TIP: "举报"}


def check_filing(complaint_in: dict[str, Any], program_code: str, role: str, subject: str) -> None:
    """Who files what: a consultation or complaint names the person filing it; a tip names the institution it is
    about and may leave the tip-giver out (anonymous); an applicant files only as themself. Refused naming the field;
    nothing is written."""
    kind, person = complaint_in["kind"], complaint_in.get("person_id")
    if kind == TIP:
        if program_code not in TIP_PROGRAMS:
            raise InvalidInput("this program takes no tips (举报): file it as a complaint", "kind",
                               code="tips_not_taken")
        if not complaint_in.get("institution_id"):
            raise InvalidInput("a tip names the designated institution it is about", "institution_id",
                               code="tip_institution_required")
    elif not person:
        raise InvalidInput(f"a {kind} names the person filing it", "person_id")
    if role == "applicant" and person is not None and person != subject:
        raise InvalidInput("an applicant files only for themself", "person_id")


def is_anonymous(c: dict[str, Any]) -> bool:
    """A tip whose giver gave neither identity number nor name (匿名举报)."""
    return not c.get("person_id") and not c.get("name")


def complaint_view(c: dict[str, Any], today: date) -> dict[str, Any]:
    """A complaint as answered: its deadline (worked out again when provisional) and whether it is overdue."""
    c = current_deadline(c)
    resolved_on = date.fromisoformat(c["resolved_on"]) if c.get("resolved_on") else None
    return {"complaint_id": c["_id"], "person_id": c.get("person_id"), "kind": c["kind"], "subject": c["subject"],
            **({"institution_id": c.get("institution_id"), "anonymous": is_anonymous(c)} if c["kind"] == TIP else
               {"institution_id": c["institution_id"]} if c.get("institution_id") else {}),
            "status": c["status"], "filed_on": c["filed_on"], "due_on": c["due_on"],
            "overdue": is_overdue(date.fromisoformat(c["due_on"]), resolved_on, today),
            "deadline": {**(deadline_view(c) or {}), "working_days": c.get("due_working_days"),
                         "basis": c.get("due_basis")},
            "resolution": c.get("resolution")}
