"""The carrier score's use cases: score a year (or correct its score) from the evaluation table's deductions, with
`carrier_score.assessed` in the same write; record the carrier's yearly report; show a year with its due dates.
The door kicks the relay after a write."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.events import new_event
from chassis.money import fmt, from_fen
from chassis.programs import Program, program_of_tenant
from chassis.telemetry import current_carrier
from contracts.v1 import events_pb2
from services.audit.readmodel import service as readmodel
from services.audit.readmodel.domain.readmodel import LTC_PERFORMANCE
from services.audit.scores.domain import score as sc
from services.audit.scores.store import OUTBOX, ScoreStore

__all__ = ["OUTBOX"]

Doc = dict[str, Any]
SHA256 = re.compile(r"^[0-9a-f]{64}\Z")  # `\Z`: Python's `$` takes a final newline too
ASSESSMENT_FIELDS = ("year", "deductions", "note", "assessed_on")
REPORT_FIELDS = ("sha256", "file_name", "submitted_on")
MAX_NOTE = 2000


def serves(tenant: str) -> Program:
    """The long-term care program the tenant carries a lot of; 404 for any other tenant."""
    program = program_of_tenant(tenant)
    if program is None or program.code != sc.PROGRAM:
        raise NotFound("long-term care insurance is not run by this tenant")
    return program


async def ensure_indexes(db: Any) -> None:
    await ScoreStore(db).ensure_indexes()


# ---- checking a body ------------------------------------------------------------------------------------------


def _only(body: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for key in body:
        if key in sc.RESULT_FIELDS:
            raise InvalidInput(f"{key} cannot be set: the score is 100 less the deductions (扣分制)", key,
                               code="score_not_settable")
        if key not in allowed:
            raise InvalidInput(f"unknown field {key!r}; the fields are {', '.join(allowed)}", key)


def check_year(value: Any, program: Program, today: date | None = None) -> int:
    """A service year of the program: from its first (ltc.first_service_year) to this one."""
    today = today or today_cn()
    first = int(program.setting("ltc", "first_service_year"))
    if isinstance(value, bool) or not isinstance(value, int) or not first <= value <= today.year:
        raise InvalidInput(f"year must be a service year from {first} to {today.year}, got {value!r}", "year")
    return value


def _day(value: Any, field: str, today: date, year: int) -> date:
    """A date given (today when absent): not in the future, after the service year."""
    if value is None:
        day = today
    else:
        try:
            day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise InvalidInput(f"{field} must be a date YYYY-MM-DD, got {value!r}", field)
        if day > today:
            raise InvalidInput(f"{field} {day} is in the future", field)
    sc.check_after_year(year, day, field)
    return day


# ---- scoring --------------------------------------------------------------------------------------------------


async def assess(db: Any, tenant: str, program: Program, by: str, body: Mapping[str, Any]) -> Doc:
    """Score the year (or correct its score): checked whole before anything is written."""
    today = today_cn()
    _only(body, ASSESSMENT_FIELDS)
    year = check_year(body.get("year"), program, today)
    if "deductions" not in body:
        raise InvalidInput("deductions are required: item → points (an empty object deducts nothing)", "deductions")
    items = sc.load_items(program.code)
    score, reasons = sc.yearly_score(items.weights, body["deductions"])
    grade = sc.grade_of(score, program.setting("ltc", "score_bands") or ())
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise InvalidInput(f"note must be text of at most {MAX_NOTE} characters", "note")
    day = _day(body.get("assessed_on"), "assessed_on", today, year)
    store = ScoreStore(db)
    doc = await store.year(year) or {}
    previous = doc.get("current")
    # The year was assessed on its first score's date (评价结束); a correction keeps it and has its own.
    assessed_on = previous["assessed_on"] if previous else day.isoformat()
    now = datetime.now(UTC).isoformat()
    deductions = {str(k): str(sc.parse_points(v, f"deductions.{k}")) for k, v in body["deductions"].items()}
    current = {"revision": (previous["revision"] if previous else 0) + 1, "score": str(score),
               "grade": grade.grade, "grade_name": grade.name, "contract_lost": grade.contract_lost,
               "deductions": deductions, "items_version": items.version, "items_label": items.label,
               "note": note, "assessed_on": assessed_on, "recorded_on": day.isoformat(), "recorded_at": now,
               "assessed_by": by, "reason_codes": [r.to_json() for r in (*reasons, grade.reason)]}
    lot = sc.lot_of(tenant, program.code)
    payment_due = sc.performance_payment_due(date.fromisoformat(assessed_on))
    event = new_event("carrier_score.assessed", tenant, f"carrier_score:{year}", events_pb2.CarrierScoreAssessed(
        year=year, score=str(score), grade=grade.grade, items_version=items.version, deductions=deductions,
        assessed_at=now, revision=current["revision"], lot=lot, assessed_on=assessed_on,
        performance_due_on=payment_due.due.isoformat()), source="audit", trace_context=current_carrier())
    if not await store.assess(year, previous, current, [event]):
        raise Conflict(f"the score of {year} was changed meanwhile: read it and correct it again")
    return await year_view(db, tenant, program, year)


async def submit_carrier_report(db: Any, tenant: str, program: Program, by: str, year: int,
                                body: Mapping[str, Any]) -> Doc:
    """The carrier's yearly operation report (年度长期护理保险运行情况报告) recorded submitted, by its file's sha256."""
    today = today_cn()
    _only(body, REPORT_FIELDS)
    digest = body.get("sha256")
    if not isinstance(digest, str) or not SHA256.match(digest):
        raise InvalidInput("sha256 must be the report file's SHA-256, 64 lower-case hex digits", "sha256")
    name = body.get("file_name", "")
    if not isinstance(name, str) or len(name) > 200:
        raise InvalidInput("file_name must be text of at most 200 characters", "file_name")
    day = _day(body.get("submitted_on"), "submitted_on", today, year)
    report = {"sha256": digest, "file_name": name, "submitted_on": day.isoformat(), "submitted_by": by,
              "recorded_at": datetime.now(UTC).isoformat()}
    if not await ScoreStore(db).submit_carrier_report(year, report):
        raise Conflict(f"the carrier report of {year} is recorded already", code="carrier_report_submitted")
    return await year_view(db, tenant, program, year)


# ---- reading --------------------------------------------------------------------------------------------------


def _on(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


async def _performance_paid(db: Any, year: int) -> Doc | None:
    paid = [p for p in await readmodel.all_of(db, LTC_PERFORMANCE) if p.get("year") == year]
    return paid[0] if paid else None


def _assessment_view(entry: Mapping[str, Any]) -> Doc:
    keys = ("revision", "score", "grade", "grade_name", "contract_lost", "deductions", "items_version",
            "items_label", "note", "assessed_on", "recorded_on", "assessed_by", "reason_codes")
    return {k: entry.get(k) for k in keys}


async def year_view(db: Any, tenant: str, program: Program, year: int) -> Doc:
    """The year: its score in force (or none yet), the scores it replaced, the carrier report and the three due
    dates with what is done and what is overdue."""
    doc = await ScoreStore(db).year(year) or {}
    current = doc.get("current")
    report = doc.get("carrier_report")
    paid = await _performance_paid(db, year)
    steps = sc.schedule(year, today_cn(), _on(report and report["submitted_on"]),
                        _on(current and current["assessed_on"]), _on(paid and paid.get("paid_on")))
    return {
        "tenant": tenant, "program": program.code, "lot": sc.lot_of(tenant, program.code), "year": year,
        "status": "assessed" if current else "not_assessed",
        "score": _assessment_view(current) if current else None,
        "history": [_assessment_view(h) for h in doc.get("history", [])],
        "carrier_report": {k: report[k] for k in ("sha256", "file_name", "submitted_on", "submitted_by")}
        if report else None,
        "performance_payment": {"amount": fmt(from_fen(int(paid.get("amount_fen", 0)))),
                                "paid_on": paid.get("paid_on"), "score_revision": paid.get("score_revision")}
        if paid else None,
        "schedule": [{"step": s.step, "due_on": s.due.due.isoformat() if s.due else None,
                      "provisional": s.due.provisional if s.due else None,
                      "done_on": s.done_on.isoformat() if s.done_on else None, "overdue": s.overdue,
                      "reason_codes": [s.reason.to_json()]} for s in steps],
    }


async def years(db: Any, tenant: str, program: Program) -> list[Doc]:
    return [await year_view(db, tenant, program, int(d["year"])) for d in await ScoreStore(db).years()]


async def scores_in_force(db: Any) -> list[Doc]:
    """Each scored year's score in force (for the operation reports): year, score, grade, revision, items version,
    assessment date."""
    keys = ("score", "grade", "revision", "items_version", "assessed_on")
    return [{"year": int(d["year"]), **{k: d["current"].get(k) for k in keys}}
            for d in await ScoreStore(db).years() if d.get("current")]
