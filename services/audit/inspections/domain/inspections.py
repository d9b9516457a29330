"""An inspection's rules (现场检查): who makes it (a team of at least two), its days, a double-random draw it carries
out, the checklist of its institution's kind answered item by item, its findings (catalogue code of the kind, amount,
description) and when its report may be filed (only after the inspection ended; checklist complete). Pure: each check
takes clear values and answers the values to keep, or refuses with a stable code and the field.

    open ──end──▶ ended ──report──▶ reported      (an inspection recorded with its end day starts ended)"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from chassis.errors import Conflict, InvalidInput
from chassis.money import CENT, parse_amount
from services.audit.inspections.domain.catalogue import Catalogue

OPEN, ENDED, REPORTED = "open", "ended", "reported"
STATES = (OPEN, ENDED, REPORTED)
ANSWERS = ("checked", "finding", "not_applicable")   # 已查无问题, 发现问题, 不适用
FILL = ("checked", "not_applicable")


def check_team(team: Sequence[Mapping[str, Any]], min_team: int) -> list[dict[str, Any]]:
    """At least `min_team` distinct inspectors (422 `team_too_small`, field `team`), none twice
    (`duplicate_inspector`)."""
    ids = [str(m["inspector_id"]) for m in team]
    if len(set(ids)) < min_team:
        raise InvalidInput(f"an inspection is made by at least {min_team} inspectors; the team names "
                           f"{len(set(ids))}", "team", code="team_too_small", params={"minimum": str(min_team)})
    seen: set[str] = set()
    for n, ident in enumerate(ids):
        if ident in seen:
            raise InvalidInput(f"inspector {ident} is named twice", f"team[{n}].inspector_id",
                               code="duplicate_inspector")
        seen.add(ident)
    return [{"inspector_id": str(m["inspector_id"]), "name": m.get("name") or "",
             "profession": m.get("profession") or ""} for m in team]


def check_days(started_on: date, ended_on: date | None, today: date) -> None:
    """Recorded once it began (never a day to come); it ends on or after the day it started."""
    if started_on > today:
        raise InvalidInput(f"started_on {started_on} is after today", "started_on", code="date_in_future")
    if ended_on is not None:
        check_end(started_on, ended_on, today)


def check_end(started_on: date, ended_on: date, today: date) -> None:
    if ended_on < started_on:
        raise InvalidInput(f"ended_on {ended_on} is before started_on {started_on}", "ended_on",
                           code="ended_before_start")
    if ended_on > today:
        raise InvalidInput(f"ended_on {ended_on} is after today: an inspection is ended once it has",
                           "ended_on", code="date_in_future")


def check_method(method: str, methods: Sequence[str], draw: Mapping[str, Any] | None, institution_id: str,
                 team_ids: Iterable[str], draw_given: bool) -> None:
    """A double-random inspection carries out a draw (`draw_id`): of its institutions, by inspectors it drew; a draw
    is carried out only by a double-random inspection."""
    if method not in methods:
        raise InvalidInput(f"method is one of {', '.join(methods)}", "method")
    if method == "double_random" and not draw_given:
        raise InvalidInput("a double-random inspection names its draw (draw_id)", "draw_id", code="draw_required")
    if not draw_given:
        return
    if method != "double_random":
        raise InvalidInput("an inspection carrying out a draw is a double-random one", "method",
                           code="draw_method_mismatch")
    if draw is None:
        raise InvalidInput("no such draw", "draw_id", code="unknown_draw")
    if institution_id not in draw["institutions"]:
        raise InvalidInput(f"institution {institution_id} was not drawn by {draw['_id']}", "institution_id",
                           code="institution_not_drawn")
    for n, ident in enumerate(team_ids):
        if ident not in draw["inspectors"]:
            raise InvalidInput(f"inspector {ident} was not drawn by {draw['_id']}", f"team[{n}].inspector_id",
                               code="inspector_not_drawn")


def require_not_reported(state: str, inspection_id: str) -> None:
    if state == REPORTED:
        raise Conflict(f"inspection {inspection_id} is reported: it no longer changes", "state",
                       code="inspection_reported")


# ---- the checklist (检查清单) -----------------------------------------------------------------------------------

def checklist_view(catalogue: Catalogue, kind: str, answers: Mapping[str, Mapping[str, Any]],
                   finding_codes: Mapping[str, int]) -> dict[str, Any]:
    """Every item of the kind's checklist with its answer (or none yet) and the findings recorded under it."""
    items = []
    for item in catalogue.checklist(kind):
        given = answers.get(item.code) or {}
        items.append({**item.as_json(), "answer": given.get("answer"), "note": given.get("note", ""),
                      "answered_by": given.get("by"), "findings": finding_codes.get(item.code, 0)})
    unanswered = [i["code"] for i in items if i["answer"] is None]
    return {"kind": kind, "catalogue_version": catalogue.version, "items": items, "total": len(items),
            "answered": len(items) - len(unanswered), "unanswered": unanswered, "complete": not unanswered}


def answer(catalogue: Catalogue, kind: str, current: Mapping[str, Mapping[str, Any]],
           answers: Sequence[Mapping[str, Any]], others: str | None, finding_codes: Mapping[str, int],
           by: str) -> dict[str, dict[str, Any]]:
    """The checklist after these answers (and `others` filling every item still unanswered): 422
    `checklist_code_invalid` (not an item of the kind's checklist), `duplicate_answer`, `answer_contradicts_finding`
    (an item a finding was recorded under is answered otherwise than `finding`)."""
    out = {code: dict(v) for code, v in current.items()}
    seen: set[str] = set()
    for n, given in enumerate(answers):
        code, said = str(given["code"]), str(given["answer"])
        if not catalogue.valid_for(kind, code):
            raise InvalidInput(f"{code} is not an item of a {kind}'s checklist", f"answers[{n}].code",
                               code="checklist_code_invalid", params={"kind": kind})
        if code in seen:
            raise InvalidInput(f"{code} is answered twice", f"answers[{n}].code", code="duplicate_answer")
        seen.add(code)
        if said not in ANSWERS:
            raise InvalidInput(f"an answer is one of {', '.join(ANSWERS)}", f"answers[{n}].answer")
        if finding_codes.get(code) and said != "finding":
            raise InvalidInput(f"a finding is recorded under {code}: its answer is `finding`", f"answers[{n}].answer",
                               code="answer_contradicts_finding")
        out[code] = {"answer": said, "note": str(given.get("note") or ""), "by": by}
    if others is not None:
        if others not in FILL:
            raise InvalidInput(f"others is one of {', '.join(FILL)}", "others")
        for item in catalogue.checklist(kind):
            if item.code not in out:
                out[item.code] = {"answer": others, "note": "", "by": by}
    return out


# ---- findings (检查发现) ----------------------------------------------------------------------------------------

def check_findings(catalogue: Catalogue, kind: str, findings: Sequence[Mapping[str, Any]],
                   evidence_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Each finding with its catalogue item, or 422 naming it: `finding_code_required` / `finding_code_invalid`
    (`findings[i].code`: an item of the institution kind's checklist), `invalid_amount` (`findings[i].amount`:
    yuan, at most two decimals, not negative), `unknown_evidence` (`findings[i].evidence_ids[j]`: a file uploaded to
    this inspection)."""
    if not findings:
        raise InvalidInput("send at least one finding", "findings")
    kept, known = [], set(evidence_ids)
    for n, f in enumerate(findings):
        code = str(f.get("code") or "").strip()
        if not code:
            raise InvalidInput("a finding names its catalogue code (H01…, P01…, D01…, I01…, A01…)",
                               f"findings[{n}].code", code="finding_code_required")
        if not catalogue.valid_for(kind, code):
            raise InvalidInput(f"{code} is not a violation a {kind}'s inspection records (catalogue "
                               f"{catalogue.version})", f"findings[{n}].code", code="finding_code_invalid",
                               params={"kind": kind, "code": code[:10]})
        amount = parse_amount(f.get("amount", "0"), f"findings[{n}].amount", minimum=Decimal(0))
        for j, ev in enumerate(f.get("evidence_ids") or []):
            if ev not in known:
                raise InvalidInput(f"evidence {ev} was not uploaded to this inspection",
                                   f"findings[{n}].evidence_ids[{j}]", code="unknown_evidence")
        item = catalogue.items[code]
        kept.append({"code": code, "name": item.name, "group": item.group, "amount": str(amount.quantize(CENT)),
                     "description": str(f.get("description") or ""),
                     "evidence_ids": list(dict.fromkeys(f.get("evidence_ids") or []))})
    return kept


def total(findings: Iterable[Mapping[str, Any]]) -> Decimal:
    return sum((Decimal(f["amount"]) for f in findings), Decimal("0.00")).quantize(CENT)


def finding_counts(findings: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in findings:
        out[f["code"]] = out.get(f["code"], 0) + 1
    return out


# ---- the report (调查报告) ---------------------------------------------------------------------------------------

def check_report(inspection: Mapping[str, Any], catalogue: Catalogue, reported_on: date, today: date) -> None:
    """Filed once: after the inspection ended (409 `inspection_not_ended`, field `ended_on`), on or after its end day
    and not in the future, with every checklist item answered (`checklist_incomplete`) and each `finding` answer
    backed by a finding recorded under it (`finding_not_recorded`)."""
    require_not_reported(inspection["state"], inspection["_id"])
    if inspection["state"] != ENDED or not inspection.get("ended_on"):
        raise Conflict(f"inspection {inspection['_id']} has not ended: end it first (POST …/end), then report",
                       "ended_on", code="inspection_not_ended")
    if reported_on < date.fromisoformat(inspection["ended_on"]):
        raise InvalidInput(f"reported_on {reported_on} is before the inspection ended ({inspection['ended_on']})",
                           "reported_on", code="reported_before_end")
    if reported_on > today:
        raise InvalidInput(f"reported_on {reported_on} is after today", "reported_on", code="date_in_future")
    counts = finding_counts(inspection.get("findings") or [])
    answers = {a["code"]: a for a in inspection.get("checklist") or []}   # kept as a list, one entry per item
    view = checklist_view(catalogue, inspection["institution_kind"], answers, counts)
    if not view["complete"]:
        raise InvalidInput(f"{len(view['unanswered'])} checklist item(s) unanswered, e.g. "
                           f"{', '.join(view['unanswered'][:5])}", "checklist", code="checklist_incomplete",
                           params={"unanswered": ",".join(view["unanswered"])})
    for item in view["items"]:
        if item["answer"] == "finding" and not counts.get(item["code"]):
            raise InvalidInput(f"{item['code']} is answered `finding` with no finding recorded under it",
                               f"checklist.{item['code']}", code="finding_not_recorded")
