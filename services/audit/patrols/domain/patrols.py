"""A supervision patrol (监管巡查) as recorded: its team, the institutions visited on site, the sampled services
checked and what was found — checked whole before anything is written, each refusal naming its rule and field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from chassis.errors import InvalidInput
from services.audit.patrols.domain.quotas import Inspector, check_patrol_team
from services.audit.patrols.domain.suggestions import SuggestionTable
from services.audit.reports.domain.periods import Period

BACKGROUNDS = ("medical", "nursing", "other")  # 医学, 护理学 (医护学专业) or another profession


def parse_day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be a date YYYY-MM-DD, got {value!r}", field) from None


def check_day(value: str, period: Period, today: date, field: str, outside: str) -> date:
    """A day within `period` and not after today."""
    day = parse_day(value, field)
    if not period.contains(day):
        raise InvalidInput(f"{field} {day.isoformat()} is outside {period.label}", field, code=outside,
                           params={"period": period.label})
    if day > today:
        raise InvalidInput(f"{field} {day.isoformat()} is still to come", field, code="date_in_future")
    return day


def team(inspectors: Sequence[Mapping[str, Any]]) -> list[Inspector]:
    out = []
    for n, i in enumerate(inspectors):
        if i.get("background") not in BACKGROUNDS:
            raise InvalidInput(f"background is one of {', '.join(BACKGROUNDS)}", f"inspectors[{n}].background")
        out.append(Inspector(str(i["inspector_id"]), i["background"] in ("medical", "nursing"), str(i["degree"])))
    check_patrol_team(out)
    return out


def check_patrol(body: Mapping[str, Any], quarter: Period, today: date, institutions: set[str],
                 sampled: set[str], table: SuggestionTable) -> dict[str, Any]:
    """The patrol's content as stored (without its id and times). `institutions`: the care institutions known to the
    lot; `sampled`: the services of the year's samples up to the patrol's quarter."""
    day = check_day(body["date"], quarter, today, "date", "patrol_date_outside_quarter")
    team(body["inspectors"])
    visited = list(dict.fromkeys(body.get("institution_ids") or ()))
    for n, institution in enumerate(visited):
        if institution not in institutions:
            raise InvalidInput(f"no care institution {institution} is known", f"institution_ids[{n}]",
                               code="unknown_institution")
    checked = list(dict.fromkeys(body.get("checked_record_ids") or ()))
    for n, record in enumerate(checked):
        if record not in sampled:
            raise InvalidInput(f"service {record} is not in a sample of {quarter.start.year} up to {quarter.label}",
                               f"checked_record_ids[{n}]", code="record_not_in_sample")
    if not visited and not checked:
        raise InvalidInput("a patrol visits an institution or checks a sampled service", "institution_ids",
                           code="patrol_empty")
    findings = []
    for n, f in enumerate(body.get("findings") or ()):
        table.kind(str(f["code"]), f"findings[{n}].code")
        if f["institution_id"] not in institutions:
            raise InvalidInput(f"no care institution {f['institution_id']} is known", f"findings[{n}].institution_id",
                               code="unknown_institution")
        record = f.get("record_id") or None
        if record is not None and record not in checked:
            raise InvalidInput(f"service {record} was not checked by this patrol", f"findings[{n}].record_id",
                               code="finding_record_not_checked")
        findings.append({"code": str(f["code"]), "institution_id": f["institution_id"], "record_id": record,
                         "detail": str(f.get("detail") or "")})
    return {"quarter": quarter.label, "year": quarter.start.year, "date": day.isoformat(),
            "inspectors": [{"inspector_id": str(i["inspector_id"]), "background": i["background"],
                            "degree": str(i["degree"])} for i in body["inspectors"]],
            "institution_ids": visited, "checked_record_ids": checked, "findings": findings,
            "table_version": table.version}
