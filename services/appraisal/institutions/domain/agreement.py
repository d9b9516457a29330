"""The designated-institution agreement as a state machine (定点协议管理). Pure: each move takes the institution's
file (a plain dict, clear values) and answers the file after it, or refuses with a stable code.

    (none) ──apply──▶ applied ──documents_reviewed──▶ documents_reviewed ──accepted_on_site──▶ accepted_on_site
        ──expert_reviewed──▶ expert_reviewed ──agreement──▶ designated ◀──resumption── suspended
                 any step failed ──▶ rejected           designated ──suspension──▶ suspended
      designated | suspended ──termination──▶ terminated;   designated ──agreement (renewal)──▶ designated
      rejected | terminated ──apply──▶ applied (a new review round; the earlier ones stay in the file)
    (none) ──import──▶ designated (step `migrated`, with its agreement term)

The review steps (资料审核 → 现场验收 → 专家评审) come in that order, each once per round, each passed or failed; a
failed one rejects the application. Whether the institution may serve on a day (`designated_on`) follows from its
agreement terms, suspensions and termination, not from its status alone (a term may have ended, or not begun).

**SAMPLE figures** (the tender sets none; the agency's 定点协议管理办法 does): an expert review names at least
`MIN_EXPERTS` = 3 distinct experts (an odd panel: a majority is always possible); an agreement term is at most
`MAX_TERM_YEARS` = 3 years (valid_to at most the day before the third anniversary of valid_from)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from chassis.errors import Conflict, Forbidden, InvalidInput
from services.appraisal.institutions.domain.reasons import REASONS

STEPS = ("documents_reviewed", "accepted_on_site", "expert_reviewed")   # 资料审核, 现场验收, 专家评审
OUTCOMES = ("pass", "fail")
# Who records a step: the reviewer any; a clerk (the window) the document review only.
STEP_ROLES = {"documents_reviewed": ("reviewer", "clerk"), "accepted_on_site": ("reviewer",),
              "expert_reviewed": ("reviewer",)}
# What an interview (违规约谈) concluded: 警告, 限期整改, 建议暂停协议, 建议解除协议. A proposal is carried out by a
# suspension or termination of its own.
INTERVIEW_OUTCOMES = ("warning", "rectification", "suspension_proposed", "termination_proposed")

APPLIED, DESIGNATED, SUSPENDED, TERMINATED, REJECTED = "applied", "designated", "suspended", "terminated", "rejected"
EXPERT_REVIEWED = STEPS[-1]
STATUSES = (APPLIED, *STEPS, DESIGNATED, SUSPENDED, TERMINATED, REJECTED)
HOLDING = (DESIGNATED, SUSPENDED)   # statuses with an agreement
MIGRATED = "migrated"
# What happened, as institution.changed's `step` names it.
CHANGES = (APPLIED, *STEPS, DESIGNATED, "renewed", SUSPENDED, "resumed", TERMINATED, MIGRATED)

MIN_EXPERTS = 3      # SAMPLE (see the module's docstring)
MAX_TERM_YEARS = 3   # SAMPLE


@dataclass(frozen=True)
class Actor:
    """Who makes a change and when: `by` is "role:subject", `at` the instant, `on` the business day (Beijing)."""

    by: str
    at: str
    on: date


@dataclass(frozen=True)
class Change:
    """The institution's file after a move, and what institution.changed says of it."""

    record: dict[str, Any]
    step: str
    effective_on: str
    outcome: str = ""
    reason: str = ""


# ---- reading the file ------------------------------------------------------------------------------------------

def _round(record: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [x for x in record.get(key) or [] if x.get("round") == record.get("round")]


def next_step(record: dict[str, Any]) -> str | None:
    """The review step expected now, or None (none is: awaiting the agreement, or the review is over)."""
    status = record.get("status")
    if status == APPLIED:
        return STEPS[0]
    if status in STEPS and status != EXPERT_REVIEWED:
        return STEPS[STEPS.index(status) + 1]
    return None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def effective_terms(record: dict[str, Any]) -> list[tuple[str, str]]:
    """Every agreement term as it held (oldest first, both ends inclusive): a term is cut short by the termination
    of its round, and one that would begin on or after it never held."""
    ended = {t["round"]: _day(t["on"]) for t in record.get("terminations") or []}
    out = []
    for a in record.get("agreements") or []:
        start, end = date.fromisoformat(a["valid_from"]), date.fromisoformat(a["valid_to"])
        stop = ended.get(a.get("round"))
        if stop is not None:
            end = min(end, stop - timedelta(days=1))
        if end >= start:
            out.append((start.isoformat(), end.isoformat()))
    return out


def suspension_periods(record: dict[str, Any]) -> list[tuple[str, str]]:
    """Every suspension (both ends inclusive; the end empty while it lasts): it ends the day before its resumption
    (or the agreement's termination)."""
    out = []
    for s in record.get("suspensions") or []:
        end = _day(s.get("ended_on"))
        if end is None:
            out.append((s["from"], ""))
        elif end > date.fromisoformat(s["from"]):
            out.append((s["from"], (end - timedelta(days=1)).isoformat()))
    return out


def terminated_on(record: dict[str, Any]) -> str:
    """The day the current round's agreement was terminated from, or ""."""
    done = _round(record, "terminations")
    return done[-1]["on"] if done else ""


def designated_on(record: dict[str, Any], day: date) -> bool:
    """Whether the institution may serve on `day` (定点资格): within an agreement term as it held, not suspended."""
    d = day.isoformat()
    if not any(start <= d <= end for start, end in effective_terms(record)):
        return False
    return not any(start <= d and (not end or d <= end) for start, end in suspension_periods(record))


def current_term(record: dict[str, Any], day: date) -> dict[str, Any] | None:
    """The agreement in force on `day`, else the latest one (None before the first)."""
    agreements = record.get("agreements") or []
    d = day.isoformat()
    holding = [a for a in agreements if a["valid_from"] <= d <= a["valid_to"]]
    return (holding or agreements or [None])[-1]


# ---- the moves -------------------------------------------------------------------------------------------------

def _history(record: dict[str, Any], actor: Actor, code: str, status_after: str, detail: str = "",
             **params: object) -> list[dict[str, Any]]:
    entry = {"at": actor.at, "on": actor.on.isoformat(), "by": actor.by, "status_before": record.get("status"),
             "status_after": status_after, **REASONS.reason(code, detail, **params).to_json()}
    return [*(record.get("history") or []), entry]


def _moved(record: dict[str, Any], actor: Actor, status: str, step: str, code: str, detail: str = "",
           **changes: Any) -> dict[str, Any]:
    return {**record, **changes, "status": status, "step": step, "updated_at": actor.at,
            "version": int(record.get("version") or 0) + 1,
            "history": _history(record, actor, code, status, detail, step=step)}


def _refuse_unless_holding(record: dict[str, Any], what: str) -> None:
    status = record["status"]
    if status == TERMINATED:
        raise Conflict(f"the agreement of {record['institution_id']} is terminated: it must apply again",
                       "status", code="institution_terminated")
    if status not in HOLDING:
        raise Conflict(f"{record['institution_id']} holds no agreement (status {status}): nothing to {what}",
                       "status", code="not_designated", params={"status": status})


def apply(record: dict[str, Any] | None, particulars: dict[str, Any], documents: list[dict[str, Any]],
          actor: Actor) -> Change:
    """申请受理: a new institution, or a new review round of a rejected or terminated one (its earlier rounds kept);
    any other is refused (409 `institution_exists`)."""
    if record is None:
        record = {"_id": particulars["institution_id"], "round": 0, "applications": [], "steps": [],
                  "agreements": [], "suspensions": [], "terminations": [], "interviews": [], "history": [],
                  "version": 0, "created_at": actor.at, "status": None}
        code = "applied"
    elif record["status"] in (REJECTED, TERMINATED):
        code = "reapplied"
    else:
        raise Conflict(f"institution {particulars['institution_id']} is registered ({record['status']}); it applies "
                       "again only once rejected or terminated", "institution.institution_id",
                       code="institution_exists", params={"status": record["status"]})
    round_ = int(record.get("round") or 0) + 1
    application = {"round": round_, "applied_at": actor.at, "applied_on": actor.on.isoformat(),
                   "applied_by": actor.by, "documents": documents}
    new = _moved(record, actor, APPLIED, APPLIED, code, f"round {round_}", **particulars, round=round_,
                 applications=[*record["applications"], application])
    return Change(new, APPLIED, actor.on.isoformat())


def check_step_input(step: str, outcome: str, note: str, experts: list[str], role: str,
                     min_experts: int = MIN_EXPERTS) -> list[str]:
    """A step as sent, before the file is looked at: the caller's role may record it (403 `step_not_for_role`), a
    failure says why, an expert review names its panel (422 `too_few_experts`), no other step does. Answers the
    experts de-duplicated in the order given."""
    if role not in STEP_ROLES[step]:
        raise Forbidden(f"role {role!r} may not record {step}; needs one of {list(STEP_ROLES[step])}", "step",
                        code="step_not_for_role", params={"step": step})
    if outcome == "fail" and not note.strip():
        raise InvalidInput("a failed step says why (note)", "note")
    panel = list(dict.fromkeys(experts))
    if step == EXPERT_REVIEWED and len(panel) < min_experts:
        raise InvalidInput(f"an expert review names at least {min_experts} distinct experts, not {len(panel)}",
                           "experts", code="too_few_experts", params={"minimum": str(min_experts)})
    if step != EXPERT_REVIEWED and panel:
        raise InvalidInput("experts are named for the expert review (专家评审) only", "experts")
    return panel


def record_step(record: dict[str, Any], step: str, outcome: str, note: str, experts: list[str],
                evidence: list[dict[str, Any]], actor: Actor) -> Change:
    """资料审核 / 现场验收 / 专家评审, in order, once each per round (inputs checked by `check_step_input` first): a
    pass moves the application on, a fail rejects it."""
    status = record["status"]
    if status == REJECTED:
        raise Conflict(f"the application of {record['institution_id']} was rejected at a failed step; it may apply "
                       "again", "step", code="application_rejected")
    if status == TERMINATED:
        raise Conflict(f"the agreement of {record['institution_id']} is terminated: it must apply again", "step",
                       code="institution_terminated")
    expected = next_step(record)
    if step != expected:
        wanted = f"the next step is {expected}" if expected else "no review step is expected now"
        raise Conflict(f"{step} is out of order for {record['institution_id']} (status {status}): {wanted}", "step",
                       code="step_out_of_order", params={"expected": expected or "", "step": step})
    entry = {"round": record["round"], "step": step, "outcome": outcome, "note": note, "experts": experts,
             "evidence": evidence, "by": actor.by, "at": actor.at, "on": actor.on.isoformat()}
    passed = outcome == "pass"
    new = _moved(record, actor, step if passed else REJECTED, step, "step_passed" if passed else "step_failed",
                 note, steps=[*record["steps"], entry])
    return Change(new, step, actor.on.isoformat(), outcome=outcome, reason=note)


def term_end_limit(valid_from: date, years: int = MAX_TERM_YEARS) -> date:
    """The last day a term starting on `valid_from` may run to: the day before its `years`-th anniversary (from
    29 February, the anniversary is 28 February of a year without a 29th)."""
    try:
        anniversary = valid_from.replace(year=valid_from.year + years)
    except ValueError:  # 29 February in a year without one
        anniversary = valid_from.replace(year=valid_from.year + years, day=28)
    return anniversary - timedelta(days=1)


def check_term(valid_from: date, valid_to: date, max_years: int = MAX_TERM_YEARS, prefix: str = "") -> None:
    """An agreement term (协议期限): ends on or after its start, at most `max_years` long (422 naming the field)."""
    if valid_to < valid_from:
        raise InvalidInput(f"valid_to {valid_to} is before valid_from {valid_from}", f"{prefix}valid_to")
    try:
        limit = term_end_limit(valid_from, max_years)
    except ValueError:  # its anniversary is past the year 9999: no term starts so late
        raise InvalidInput(f"valid_from {valid_from} is too late: a term from it ends past any calendar",
                           f"{prefix}valid_from") from None
    if valid_to > limit:
        raise InvalidInput(f"an agreement term is at most {max_years} years: from {valid_from} it ends by {limit}",
                           f"{prefix}valid_to", code="agreement_term_too_long",
                           params={"max_years": str(max_years), "latest_end": limit.isoformat()})


def sign_agreement(record: dict[str, Any], valid_from: date, valid_to: date, actor: Actor,
                   max_years: int = MAX_TERM_YEARS) -> Change:
    """签订协议 once all three steps passed (→ designated), or a renewal (续签) of a designated institution: a new term
    starting after the latest one ends (the earlier terms stay in the file)."""
    check_term(valid_from, valid_to, max_years)
    status, iid = record["status"], record["institution_id"]
    if status == REJECTED:
        raise Conflict(f"the application of {iid} was rejected", "status", code="application_rejected")
    if status == TERMINATED:
        raise Conflict(f"the agreement of {iid} is terminated: it must apply again", "status",
                       code="institution_terminated")
    if status == SUSPENDED:
        raise Conflict(f"the agreement of {iid} is suspended: resume it before renewing", "status",
                       code="agreement_suspended")
    if status not in (EXPERT_REVIEWED, DESIGNATED):
        done = {s["step"] for s in _round(record, "steps") if s["outcome"] == "pass"}
        missing = [s for s in STEPS if s not in done]
        raise Conflict(f"the agreement is signed after every review step passed; missing: {', '.join(missing)}",
                       "status", code="steps_incomplete", params={"missing": ",".join(missing)})
    renewal = status == DESIGNATED
    if renewal:
        latest = record["agreements"][-1]
        if valid_from.isoformat() <= latest["valid_to"]:
            raise InvalidInput(f"a renewed term starts after the latest one ends ({latest['valid_to']})",
                               "valid_from", code="agreement_overlaps", params={"latest_end": latest["valid_to"]})
    agreement = {"agreement_id": f"{iid}-A{len(record['agreements']) + 1}", "round": record["round"],
                 "kind": "renewal" if renewal else "initial", "valid_from": valid_from.isoformat(),
                 "valid_to": valid_to.isoformat(), "by": actor.by, "at": actor.at, "on": actor.on.isoformat()}
    step = "renewed" if renewal else DESIGNATED
    new = _moved(record, actor, DESIGNATED, step, step, f"{valid_from} – {valid_to}",
                 agreements=[*record["agreements"], agreement])
    return Change(new, step, valid_from.isoformat())


def migrated(particulars: dict[str, Any], valid_from: date, valid_to: date, actor: Actor,
             max_years: int = MAX_TERM_YEARS, prefix: str = "") -> Change:
    """迁移导入: an institution designated before the platform, with its agreement term (step `migrated`)."""
    check_term(valid_from, valid_to, max_years, prefix)
    iid = particulars["institution_id"]
    agreement = {"agreement_id": f"{iid}-A1", "round": 1, "kind": MIGRATED, "valid_from": valid_from.isoformat(),
                 "valid_to": valid_to.isoformat(), "by": actor.by, "at": actor.at, "on": actor.on.isoformat()}
    step = {"round": 1, "step": MIGRATED, "outcome": "pass", "note": "designated before the platform (迁移)",
            "experts": [], "evidence": [], "by": actor.by, "at": actor.at, "on": actor.on.isoformat()}
    record = {"_id": iid, "status": None, "round": 1, "applications": [], "steps": [step], "agreements": [agreement],
              "suspensions": [], "terminations": [], "interviews": [], "history": [], "version": 0,
              "created_at": actor.at}
    new = _moved(record, actor, DESIGNATED, MIGRATED, "migrated", f"{valid_from} – {valid_to}", **particulars)
    return Change(new, MIGRATED, valid_from.isoformat())


def suspend(record: dict[str, Any], reason: str, start: date, actor: Actor) -> Change:
    """暂停协议 from `start`, a day within the latest term, after any earlier suspension ended."""
    if record["status"] == SUSPENDED:
        raise Conflict(f"the agreement of {record['institution_id']} is suspended already", "status",
                       code="already_suspended")
    _refuse_unless_holding(record, "suspend")
    latest = record["agreements"][-1]
    day = start.isoformat()
    if not latest["valid_from"] <= day <= latest["valid_to"]:
        raise InvalidInput(f"a suspension starts within the latest agreement term ({latest['valid_from']} – "
                           f"{latest['valid_to']})", "from", code="date_outside_term")
    earlier = [s for s in record["suspensions"] if s.get("ended_on")]
    if earlier and day < earlier[-1]["ended_on"]:
        raise InvalidInput(f"the previous suspension lasted until {earlier[-1]['ended_on']}", "from",
                           code="suspension_overlaps")
    suspension = {"suspension_id": f"{record['institution_id']}-S{len(record['suspensions']) + 1}",
                  "round": record["round"], "reason": reason, "from": day, "by": actor.by, "at": actor.at}
    new = _moved(record, actor, SUSPENDED, SUSPENDED, "suspended", reason,
                 suspensions=[*record["suspensions"], suspension])
    return Change(new, SUSPENDED, day, reason=reason)


def resume(record: dict[str, Any], on: date, note: str, actor: Actor) -> Change:
    """恢复协议 on `on` (after the day the suspension began): the suspension ends the day before."""
    if record["status"] == TERMINATED:
        raise Conflict(f"the agreement of {record['institution_id']} is terminated: it must apply again", "status",
                       code="institution_terminated")
    if record["status"] != SUSPENDED:
        raise Conflict(f"the agreement of {record['institution_id']} is not suspended (status {record['status']})",
                       "status", code="not_suspended", params={"status": str(record["status"])})
    suspensions = [dict(s) for s in record["suspensions"]]
    current = suspensions[-1]
    if on.isoformat() <= current["from"]:
        raise InvalidInput(f"the suspension began on {current['from']}: a resumption comes after it", "on",
                           code="resumption_before_suspension")
    current.update(ended_on=on.isoformat(), ended_by="resumption", resumption_note=note, resumed_by=actor.by,
                   resumed_at=actor.at)
    new = _moved(record, actor, DESIGNATED, "resumed", "resumed", note, suspensions=suspensions)
    return Change(new, "resumed", on.isoformat(), reason=note)


def terminate(record: dict[str, Any], reason: str, on: date, actor: Actor) -> Change:
    """解除协议 from `on` (not before the round's first term began): a suspension still open ends with it."""
    _refuse_unless_holding(record, "terminate")
    first = _round(record, "agreements")[0]
    day = on.isoformat()
    if day < first["valid_from"]:
        raise InvalidInput(f"a termination falls on or after the agreement began ({first['valid_from']})", "on",
                           code="date_outside_term")
    suspensions = [dict(s) for s in record["suspensions"]]
    for s in suspensions:
        if not s.get("ended_on"):
            s.update(ended_on=max(day, s["from"]), ended_by="termination")
    termination = {"round": record["round"], "reason": reason, "on": day, "by": actor.by, "at": actor.at}
    new = _moved(record, actor, TERMINATED, TERMINATED, "terminated", reason, suspensions=suspensions,
                 terminations=[*record["terminations"], termination])
    return Change(new, TERMINATED, day, reason=reason)


def interview(record: dict[str, Any], held_on: date, attendees: list[str], violations: list[str], outcome: str,
              rectify_by: date | None, note: str, minutes: dict[str, Any], actor: Actor) -> Change:
    """违规约谈 with a designated (or suspended) institution, held by today; its minutes' reference (with sha256) is
    kept in the file. The status does not move: a proposal to suspend or terminate is carried out on its own."""
    if held_on > actor.on:
        raise InvalidInput(f"the interview is recorded once held: {held_on} is after today ({actor.on})", "held_on",
                           code="held_on_in_future")
    if rectify_by is not None and rectify_by < held_on:
        raise InvalidInput(f"rectify_by {rectify_by} is before the interview ({held_on})", "rectify_by")
    _refuse_unless_holding(record, "interview about")
    entry = {"interview_id": f"{record['institution_id']}-V{len(record['interviews']) + 1}",
             "round": record["round"], "held_on": held_on.isoformat(), "attendees": attendees,
             "violations": violations, "outcome": outcome, "rectify_by": rectify_by.isoformat() if rectify_by else None,
             "note": note, "minutes": minutes, "by": actor.by, "at": actor.at, "on": actor.on.isoformat()}
    new = {**record, "interviews": [*record["interviews"], entry], "updated_at": actor.at,
           "version": int(record.get("version") or 0) + 1,
           "history": _history(record, actor, "interviewed", record["status"], outcome,
                                interview_id=entry["interview_id"])}
    return Change(new, "interviewed", held_on.isoformat(), outcome=outcome)
