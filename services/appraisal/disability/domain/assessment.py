"""An assessment's life (失能等级评定): opened from an accepted application (or an objection, or a periodic
re-check), two assessors drawn at random → the on-site visit recorded → the pair's scores concluded into a grade
with the scale's version, who is covered and when the re-check falls due → the conclusion notice with its objection
deadline → an objection re-assesses by a different pair.

Statuses: `awaiting_assessors` (the pool cannot give a pair: reason `pool_too_small`) → `open` (drawn) → `visited`
→ `concluded`. Kinds: `initial`, `objection` (复评), `recheck` (待遇资格审查). Pure: documents in, decisions out."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from chassis.errors import Conflict, InvalidInput
from chassis.money import parse_amount
from chassis.programs import Program
from chassis.reasons import Reason
from services.appraisal.disability.domain.eligibility import Eligibility, add_months
from services.appraisal.disability.domain.reasons import REASONS
from services.appraisal.disability.domain.scale import INDICATORS, Grading, Scale

KINDS = ("initial", "objection", "recheck")
STATUSES = ("awaiting_assessors", "open", "visited", "concluded")
BASES = ("illness", "old_age")  # 经规范诊疗失能 | 因年老失能
POOL_TOO_SMALL = "pool_too_small"
_IDS = uuid.UUID("0b6f4c8e-5d1a-4f27-9a51-7c3e2d9b1a64")


@dataclass(frozen=True)
class LtcSettings:
    """The program's `ltc:` settings an assessment uses (programs/<program>/program.yaml)."""

    program: str
    scale_file: str          # ltc.assessment: the versioned scale (assessment-*.yaml)
    recheck_months: int      # ltc.recheck_months: 待遇资格审查 this long after an eligible conclusion
    objection_days: int      # ltc.objection_days: 异议 within this many calendar days of the notice
    assessment_fee: Decimal  # ltc.assessment_fee: what an assessment costs the carrier (评估费用)


def runs_assessments(program: Program | None) -> bool:
    """Whether a program assesses disability (has an `ltc.assessment` scale): long-term care's doors exist only
    for its tenants."""
    return program is not None and bool(program.setting("ltc", "assessment"))


def _bad(program: Program, key: str, wanted: str, got: Any) -> InvalidInput:
    return InvalidInput(f"programs/{program.code}/program.yaml ltc.{key} must be {wanted}, not {got!r}",
                        f"ltc.{key}", code="invalid_ltc_setting")


def ltc_settings(program: Program) -> LtcSettings:
    """The settings, each checked: a malformed one is refused, naming it, rather than replaced by a guess."""
    scale = program.setting("ltc", "assessment")
    if not isinstance(scale, str) or "/" in scale or not scale.startswith("assessment-") or not scale.endswith(".yaml"):
        raise _bad(program, "assessment", "an assessment-*.yaml file of the program", scale)
    ints: dict[str, int] = {}
    for key, low, high in (("recheck_months", 1, 120), ("objection_days", 1, 365)):
        raw = program.setting("ltc", key)
        if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
            raise _bad(program, key, f"a whole number from {low} to {high}", raw)
        ints[key] = raw
    fee = program.setting("ltc", "assessment_fee")
    try:
        amount = parse_amount(fee, "ltc.assessment_fee", minimum=Decimal(0))
    except InvalidInput:
        raise _bad(program, "assessment_fee", "an amount in yuan with at most two decimals", fee) from None
    return LtcSettings(program.code, scale, ints["recheck_months"], ints["objection_days"], amount)


def assessment_id_for(application_id: str, round_: int) -> str:
    """One assessment per application and round (1 the first; each objection or re-check the next): a redelivered
    event, a retried objection or two clerks opening the same re-check meet the same id."""
    return "DA-" + uuid.uuid5(_IDS, f"{application_id}|{round_}").hex[:20]


def next_assessment(previous: Mapping[str, Any], kind: str, excluded: Sequence[str] = ()) -> dict[str, Any]:
    """The fields an objection's or a re-check's assessment takes over from the one before it (the application, the
    person, the lot, the basis, the care institution), its round the next; `excluded` the assessors it may not draw."""
    round_ = int(previous.get("round", 1)) + 1
    carried = ("application_id", "person_id", "lot", "city_level", "district", "basis", "disabled_since",
               "care_institution_id", "insutype", "program", "trace_context")
    return {"_id": assessment_id_for(previous["application_id"], round_), "kind": kind, "round": round_,
            "previous_assessment_id": previous["_id"], "excluded": sorted(set(excluded)),
            **{k: previous[k] for k in carried if k in previous}}


# ---- checks before a write (each refusal precise; nothing is written when one fails) ---------------------------

def check_drawable(assessment: Mapping[str, Any]) -> None:
    if assessment["status"] != "awaiting_assessors":
        raise Conflict("the assessors of this assessment are drawn already", code="already_drawn")


def check_visitable(assessment: Mapping[str, Any]) -> None:
    status = assessment["status"]
    if status == "concluded":
        raise Conflict("the assessment is concluded already", code="already_concluded")
    if status == "visited":
        raise Conflict("the on-site visit of this assessment is recorded already", "visit",
                       code="visit_already_recorded")


def check_scorable(assessment: Mapping[str, Any]) -> None:
    status = assessment["status"]
    if status == "concluded":
        raise Conflict("the assessment is concluded already", code="already_concluded")
    if status != "visited":
        raise Conflict("no on-site visit is recorded for this assessment yet: record it first", "visit",
                       code="visit_required")


def check_pair(assessment: Mapping[str, Any], named: Any) -> tuple[str, str]:
    """The assessors a conclusion names: both of the drawn pair, no one else."""
    if (not isinstance(named, list) or len(named) != 2 or not all(isinstance(a, str) and a for a in named)
            or named[0] == named[1]):
        raise InvalidInput("a conclusion names both assessors of the pair: two different assessor ids", "assessors",
                           code="two_assessors_required")
    if set(named) != set(assessment.get("assessors") or ()):
        raise InvalidInput("the assessors named are not the pair drawn for this assessment", "assessors",
                           code="not_the_drawn_pair")
    return named[0], named[1]


def parse_day(value: Any, field: str) -> date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) != 10:
        raise InvalidInput(f"{field} must be a date YYYY-MM-DD", field)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field} must be a date YYYY-MM-DD, got {value!r}", field) from None


# ---- the conclusion and its notice ------------------------------------------------------------------------------

def conclusion(scale: Scale, grading: Grading, covered: Eligibility, settings: LtcSettings, *,
               items: Mapping[str, Mapping[str, int]], assessors: Sequence[str], concluded_on: date,
               concluded_at: str, by: str, basis: str, disabled_since: date | None,
               disabled_since_from: str) -> dict[str, Any]:
    """The conclusion as stored and answered: the grade with the scale's version (and its SAMPLE label), each
    indicator's sum and level, who is covered and why, the re-check date when covered, the fee, and the notice's
    objection deadline."""
    reasons: list[Reason] = [*grading.reasons, *covered.reasons]
    recheck_due = add_months(concluded_on, settings.recheck_months) if covered.eligible else None
    if recheck_due:
        reasons.append(REASONS.reason("recheck_due", f"re-checked {settings.recheck_months} months after the "
                                      f"conclusion: {recheck_due.isoformat()}", months=settings.recheck_months,
                                      due_on=recheck_due.isoformat()))
    return {
        "grade": grading.grade, "grade_name": grading.grade_name, "severe": grading.severe,
        "indicators": {code: {"sum": grading.sums[code], "level": grading.levels[code],
                              "level_name": scale.levels[grading.levels[code]]} for code in INDICATORS},
        "items": {code: dict(items[code]) for code in INDICATORS},
        "scale_version": scale.version, "scale_label": scale.label, "sample": scale.sample,
        "eligible": covered.eligible, "earliest_on": covered.earliest_on.isoformat() if covered.earliest_on else None,
        "basis": basis, "disabled_since": disabled_since.isoformat() if disabled_since else None,
        "disabled_since_from": disabled_since_from,
        "reasons": [str(r) for r in reasons], "reason_codes": [r.to_json() for r in reasons],
        "recheck_due": recheck_due.isoformat() if recheck_due else None,
        "assessment_fee": f"{settings.assessment_fee:.2f}",
        "assessors": list(assessors), "concluded_by": by, "concluded_on": concluded_on.isoformat(),
        "concluded_at": concluded_at,
        # 评定结论通知书: issued with the conclusion; an objection within the program's days of it.
        "notice_on": concluded_on.isoformat(),
        "objection_days": settings.objection_days,
        "objection_deadline": (concluded_on + timedelta(days=settings.objection_days)).isoformat(),
    }


def notice(assessment: Mapping[str, Any]) -> dict[str, Any]:
    """评定结论通知书: what the person is told of the conclusion, and until when they may object."""
    c = assessment.get("conclusion")
    if not c:
        raise Conflict("the assessment has no conclusion yet: no notice", code="not_concluded")
    return {"notice": "评定结论通知书", "assessment_id": assessment["_id"],
            "application_id": assessment["application_id"], "person_id": assessment["person_id"],
            "kind": assessment["kind"], "round": assessment["round"],
            "grade": c["grade"], "grade_name": c["grade_name"],
            "levels": {code: {"level": v["level"], "level_name": v["level_name"], "sum": v["sum"]}
                       for code, v in c["indicators"].items()},
            "scale_version": c["scale_version"], "scale_label": c["scale_label"], "sample": c["sample"],
            "eligible": c["eligible"], "reasons": c["reasons"], "reason_codes": c["reason_codes"],
            "recheck_due": c["recheck_due"], "concluded_on": c["concluded_on"],
            "notice_on": c["notice_on"], "objection_days": c["objection_days"],
            "objection_deadline": c["objection_deadline"],
            "objection_allowed": assessment["kind"] != "objection" and not assessment.get("objection")}


def check_objection(assessment: Mapping[str, Any], today: date) -> None:
    """An objection (异议) to a conclusion: within its deadline, once, never to a re-assessment's own conclusion."""
    c = assessment.get("conclusion")
    if assessment["status"] != "concluded" or not c:
        raise Conflict("the assessment has no conclusion yet to object to", code="not_concluded")
    if assessment["kind"] == "objection":
        raise Conflict("the conclusion of a re-assessment after an objection is final (复评结论为最终结论)",
                       code="objection_final")
    if assessment.get("objection") or assessment.get("next_assessment_id"):
        raise Conflict("this conclusion was objected to already, or a later assessment replaced it",
                       code="already_objected")
    if today.isoformat() > c["objection_deadline"]:
        raise Conflict(f"the objection deadline was {c['objection_deadline']} ({c['objection_days']} days after the "
                       f"notice of {c['notice_on']})", code="objection_out_of_time",
                       params={"deadline": c["objection_deadline"]})


def check_recheckable(current: Mapping[str, Any] | None, under_way: Sequence[Mapping[str, Any]]) -> None:
    """A re-check (待遇资格审查) opens on the person's current conclusion when it makes them eligible and nothing else
    is under way for them. (No conclusion at all is answered as not found by the caller.)"""
    if under_way:
        raise Conflict(f"assessment {under_way[0]['_id']} of the person is under way", code="assessment_open")
    assert current is not None
    if not current["conclusion"]["eligible"]:
        raise Conflict("the person's current conclusion does not make them eligible: a new application, not a "
                       "re-check", code="recheck_not_eligible")


def recheck_row(assessment: Mapping[str, Any], today: date, next_status: str | None = None) -> dict[str, Any]:
    """A row of the re-check worklist; `next_status` the status of the assessment that follows it, if any."""
    c = assessment["conclusion"]
    return {"person_id": assessment["person_id"], "assessment_id": assessment["_id"],
            "application_id": assessment["application_id"], "grade": c["grade"], "grade_name": c["grade_name"],
            "concluded_on": c["concluded_on"], "recheck_due": c["recheck_due"],
            "overdue": c["recheck_due"] < today.isoformat(), "lot": assessment.get("lot", ""),
            "next_assessment_id": assessment.get("next_assessment_id"), "next_status": next_status,
            "notified": bool(assessment.get("recheck_notified"))}


# ---- what a reader sees ----------------------------------------------------------------------------------------

def view(a: Mapping[str, Any]) -> dict[str, Any]:
    visit = a.get("visit")
    return {
        "assessment_id": a["_id"], "application_id": a["application_id"], "person_id": a["person_id"],
        "kind": a["kind"], "round": a["round"], "status": a["status"], "awaiting": a.get("awaiting"),
        "lot": a.get("lot", ""), "city_level": bool(a.get("city_level")), "district": a.get("district", ""),
        "basis": a.get("basis", ""), "disabled_since": a.get("disabled_since") or None,
        "care_institution_id": a.get("care_institution_id", ""), "insutype": a.get("insutype", ""),
        "assessors": list(a.get("assessors") or []), "excluded": list(a.get("excluded") or []),
        "draws": [dict(d) for d in a.get("draws") or []],
        "opened_at": a["opened_at"], "opened_on": a["opened_on"],
        "visit": ({**{k: v for k, v in visit.items() if k != "evidence"},
                   "evidence": [dict(e) for e in visit.get("evidence") or []]} if visit else None),
        "conclusion": dict(a["conclusion"]) if a.get("conclusion") else None,
        "objection": dict(a["objection"]) if a.get("objection") else None,
        "previous_assessment_id": a.get("previous_assessment_id"),
        "next_assessment_id": a.get("next_assessment_id"),
    }
