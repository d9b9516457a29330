"""Conclusions made before the platform (既往失能等级评定结论, 迁移导入): the program ran before its carriers worked on
this platform, so a lot's book of assessed persons comes over from the system it was kept in — each conclusion with
its grade, the day it was made and the scale version it was graded with. A migrated conclusion is an assessment of
kind `migrated`, concluded on its own day (the person's cover runs from it, as from any conclusion), with no draw,
visit or item scores (the platform did not see them) and no fee unless one is still to settle.

Checked before anything is written, each refusal naming `conclusions[i].<field>`:
- the person's district is one of the caller's lot (division code, program.yaml `counties`), or the city's own
  (市本级) for a city-level person whose identity number's sequence code gives the caller's lot (lots.yaml's
  `city_level` rule: the 3-digit sequence code mod 3 picks A, B or C) — `wrong_lot`;
- the insurance type is a member's (`not_a_member`); the day is not in the future; a severe grade on an illness
  basis says since when the person is disabled (how long it lasted decides the cover, as for a live conclusion).
Pure."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from chassis.errors import InvalidInput
from services.appraisal.disability.domain.assessment import LtcSettings
from services.appraisal.disability.domain.eligibility import add_months, eligibility
from services.appraisal.disability.domain.reasons import REASONS
from services.appraisal.disability.domain.scale import Grading, Scale

MIGRATED = "migrated"
_IDS = uuid.UUID("5c1e2f7a-93d4-4b8e-a6f0-2d7c9e41b385")


@dataclass(frozen=True)
class LotRules:
    """Where the caller's lot is: its districts' division codes, the city's own code and, for city-level persons,
    the lot letters the sequence-code rule picks from (lots.yaml) and the caller's own letter."""

    tenant: str
    lot: str                      # the caller's lot letter (A–E)
    districts: frozenset[str]     # division codes routed to the caller's tenant
    city_division: str            # 市本级 (e.g. 330300)
    city_lots: tuple[str, ...]    # lots.yaml city_level.lots, e.g. (A, B, C)


def migrated_assessment_id(source_id: str) -> str:
    """One assessment per migrated conclusion: the same source id imported again meets the same assessment."""
    return "DA-M" + uuid.uuid5(_IDS, source_id).hex[:19]


def city_lot(person_id: str, city_lots: Sequence[str]) -> str:
    """A city-level person's lot by lots.yaml's rule (sequence-code-mod-3: digits 15–17 of the identity number)."""
    return city_lots[int(person_id[14:17]) % len(city_lots)]


def _bad(i: int, field: str, message: str, code: str = "invalid_input", **params: str) -> InvalidInput:
    return InvalidInput(message, f"conclusions[{i}].{field}", code=code, params=params or None)


def check_migrated(rows: Sequence[Mapping[str, Any]], rules: LotRules, members: Sequence[str], scale: Scale,
                   today: date) -> None:
    """Every row checked before anything is written (the first refusal raised, naming its row and field)."""
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        if row["source_id"] in seen:
            raise _bad(i, "source_id", f"source_id appears twice in the import (conclusions[{seen[row['source_id']]}])")
        seen[row["source_id"]] = i
        district = row["district"]
        if district == rules.city_division:
            lot = city_lot(row["person_id"], rules.city_lots) if rules.city_lots else ""
            if lot != rules.lot:
                raise _bad(i, "district", f"a city-level person of lot {lot or '(none)'} by the sequence-code rule, "
                           f"not of lot {rules.lot}", "wrong_lot", lot=lot)
        elif district not in rules.districts:
            raise _bad(i, "district", f"district {district} is not one of lot {rules.lot}'s", "wrong_lot",
                       district=district)
        if row["insutype"] not in members:
            raise _bad(i, "insutype", f"insurance type {row['insutype']} is not one of the program's members "
                       f"{sorted(members)}", "not_a_member", insutype=row["insutype"])
        concluded_on: date = row["concluded_on"]
        if concluded_on > today:
            raise _bad(i, "concluded_on", f"concluded_on {concluded_on.isoformat()} is in the future")
        since: date | None = row.get("disabled_since")
        if since is not None and since > concluded_on:
            raise _bad(i, "disabled_since", "disabled_since is after the conclusion")
        if row["basis"] == "old_age" and since is not None:
            raise _bad(i, "disabled_since", "an old-age basis has no disabled_since (it belongs to an illness basis)")
        if row["basis"] == "illness" and row["grade"] >= scale.eligible_from_grade and since is None:
            raise _bad(i, "disabled_since", "a severe grade on an illness basis says since when the person is "
                       "disabled (how long decides the cover)", "missing_item")


def migrated_conclusion(row: Mapping[str, Any], scale: Scale, settings: LtcSettings, *, concluded_at: str,
                        by: str, imported_at: str) -> dict[str, Any]:
    """The conclusion as stored: the grade of record with its scale version, who is covered (the same rule as a
    live conclusion), the re-check due date, the fee still to settle if any, the objection deadline counted from
    the day it was made."""
    g = int(row["grade"])
    grading = Grading(scale.version, {}, {}, g, scale.grades[g], g >= scale.eligible_from_grade, ())
    concluded_on: date = row["concluded_on"]
    old_age = row["basis"] == "old_age"
    covered = eligibility(grading, scale, concluded_on, None if old_age else row.get("disabled_since"),
                          through_old_age=old_age)
    reasons = [REASONS.reason(MIGRATED, f"concluded on {concluded_on.isoformat()} before the platform "
                              f"({row['source_id']}), graded with {row['scale_version']}",
                              source_id=row["source_id"], scale_version=row["scale_version"]), *covered.reasons]
    recheck_due = add_months(concluded_on, settings.recheck_months) if covered.eligible else None
    if recheck_due:
        reasons.append(REASONS.reason("recheck_due", f"re-checked {settings.recheck_months} months after the "
                                      f"conclusion: {recheck_due.isoformat()}", months=settings.recheck_months,
                                      due_on=recheck_due.isoformat()))
    fee: Decimal | None = row.get("assessment_fee")
    since: date | None = row.get("disabled_since")
    return {
        "grade": g, "grade_name": scale.grades[g], "severe": grading.severe, "indicators": {}, "items": {},
        "scale_version": row["scale_version"], "scale_label": "migrated (既往结论)", "sample": False,
        "eligible": covered.eligible, "earliest_on": covered.earliest_on.isoformat() if covered.earliest_on else None,
        "basis": row["basis"], "disabled_since": since.isoformat() if since else None,
        "disabled_since_from": MIGRATED if since else "",
        "reasons": [str(r) for r in reasons], "reason_codes": [r.to_json() for r in reasons],
        "recheck_due": recheck_due.isoformat() if recheck_due else None,
        "assessment_fee": f"{fee:.2f}" if fee is not None else "0.00",
        "assessors": [], "concluded_by": by, "concluded_on": concluded_on.isoformat(), "concluded_at": concluded_at,
        "notice_on": concluded_on.isoformat(), "objection_days": settings.objection_days,
        "objection_deadline": (concluded_on + timedelta(days=settings.objection_days)).isoformat(),
        "migrated": {"source_id": row["source_id"], "imported_at": imported_at, "imported_by": by},
    }
