"""Importing conclusions made before the platform (迁移导入, domain/migration.py): the whole import checked first,
then each conclusion stored as a concluded assessment of kind `migrated` with its `disability.concluded` (settlement
covers the person from the conclusion's own day, audit counts them in the status-survey population, the archive files
it). Importing the same source id again changes nothing (its assessment id is derived from it)."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

import yaml

from chassis.calendar import today_cn
from chassis.events import derived_event_id, new_event
from chassis.programs import PROGRAMS_DIR, program_of_tenant
from chassis.telemetry import current_carrier
from contracts.v1 import events_pb2
from services.appraisal.disability.domain.assessment import view
from services.appraisal.disability.domain.migration import (
    MIGRATED,
    LotRules,
    check_migrated,
    migrated_assessment_id,
    migrated_conclusion,
)
from services.appraisal.disability.service.common import SERVICE, now, scale_of, serves
from services.appraisal.disability.store import DisabilityStore

CONCLUDED = "disability.concluded"


@cache
def _lots(program: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """tenant → lot letter, and the city-level rule's lots (programs/<program>/lots.yaml)."""
    path = PROGRAMS_DIR / program / "lots.yaml"
    if not path.exists():
        return {}, ()
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    letters = {str(v["tenant"]): str(k) for k, v in (raw.get("lots") or {}).items()}
    return letters, tuple(str(x) for x in (raw.get("city_level") or {}).get("lots") or ())


def lot_rules(tenant: str) -> LotRules:
    program = program_of_tenant(tenant)
    assert program is not None  # serves() answered 404 before
    letters, city = _lots(program.code)
    districts = frozenset(code for code, t in program.counties.items() if t == tenant)
    return LotRules(tenant, letters.get(tenant, ""), districts, str(program.division or ""), city)


def members(tenant: str) -> list[str]:
    program = program_of_tenant(tenant)
    assert program is not None
    return sorted(str(v) for v in (program.setting("ltc", "insutypes") or {}).values())


def _stamp(day: date) -> str:
    """The conclusion's time as the event carries it: noon of its day in China Standard Time (the day is what
    counts; the hour of a conclusion made elsewhere is not known)."""
    return f"{day.isoformat()}T12:00:00+08:00"


async def import_conclusions(db: Any, tenant: str, by: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    settings = serves(tenant)
    scale = scale_of(settings.program, settings.scale_file)
    rules = lot_rules(tenant)
    today = today_cn()
    check_migrated(rows, rules, members(tenant), scale, today)
    store = DisabilityStore(db)
    at = now()
    out: list[dict[str, Any]] = []
    imported = 0
    for row in rows:
        aid = migrated_assessment_id(row["source_id"])
        concluded_at = _stamp(row["concluded_on"])
        result = migrated_conclusion(row, scale, settings, concluded_at=concluded_at, by=by, imported_at=at)
        city_level = row["district"] == rules.city_division
        doc = {"_id": aid, "kind": MIGRATED, "round": 1, "application_id": f"MIG-{row['source_id']}",
               "person_id": row["person_id"], "lot": rules.lot, "city_level": city_level,
               "district": row["district"], "basis": row["basis"], "insutype": row["insutype"],
               "disabled_since": row["disabled_since"].isoformat() if row.get("disabled_since") else "",
               "care_institution_id": row.get("care_institution_id") or "", "program": settings.program,
               "excluded": [], "status": "concluded", "assessors": [], "draws": [], "awaiting": None,
               "opened_at": at, "opened_on": today.isoformat(), "opened_by": by, "conclusion": result,
               "trace_context": {}}
        fee = row.get("assessment_fee")
        event = new_event(CONCLUDED, tenant, row["person_id"], events_pb2.DisabilityConcluded(
            assessment_id=aid, application_id=doc["application_id"], person_id=row["person_id"],
            grade=result["grade"], grade_name=result["grade_name"], eligible=result["eligible"],
            scale_version=result["scale_version"], reasons=[r["code"] for r in result["reason_codes"]],
            concluded_at=concluded_at, recheck_due=result["recheck_due"] or "", round=1, lot=rules.lot,
            city_level=city_level, kind=MIGRATED, assessment_fee=f"{fee:.2f}" if fee is not None else "",
            concluded_on=str(row["concluded_on"])),
            source=SERVICE, trace_context=current_carrier(), event_id=derived_event_id(aid, CONCLUDED, MIGRATED))
        fresh = await store.open_assessment(doc, [event])
        imported += fresh
        stored = doc if fresh else await store.assessment(aid)
        assert stored is not None
        v = view(stored)
        out.append({"source_id": row["source_id"], "assessment_id": aid, "person_id": v["person_id"],
                    "grade": v["conclusion"]["grade"], "eligible": v["conclusion"]["eligible"],
                    "concluded_on": v["conclusion"]["concluded_on"], "recheck_due": v["conclusion"]["recheck_due"],
                    "imported": bool(fresh)})
    return {"imported": imported, "already": len(rows) - imported, "conclusions": out}
