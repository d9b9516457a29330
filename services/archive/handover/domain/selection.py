"""Which persons' files a handover (移交) holds. By default a tenant's archive whole (at contract end); a program that
hands over the approved applicants' materials as it goes (program.yaml `archive.handover_scope: approved`; Xunyang:
"将通过鉴定的患者申请资料（纸质、电子影像件）移交区医保部门存档") exports only persons with a granted qualification
— all of them, those granted in a period (2025-06, 2025-Q2, 2025), or one applicant."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.programs import Program

SCOPES = ("all", "approved")
_PERIOD = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?$")
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a period may name (as the fund's years)


@dataclass(frozen=True)
class Selection:
    scope: str
    period: str = ""
    person_id: str = ""

    def manifest(self) -> dict[str, str]:
        return {"scope": self.scope, "period": self.period, "person": "1" if self.person_id else ""}


def period_bounds(value: str) -> tuple[date, date]:
    """2025-06, 2025-Q2 or 2025 → its first and last day."""
    m = _PERIOD.match(value)
    if not m:
        raise InvalidInput(f"period must be YYYY-MM, YYYY-Qn or YYYY, got {value!r}", "period")
    year = int(m.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:  # "0000" or "9999-12" names no period of a program
        raise InvalidInput(f"period {value!r}: the year must be between {FIRST_YEAR} and {LAST_YEAR}", "period")
    first, last = ((int(m.group(2)),) * 2 if m.group(2) else
                   (3 * int(m.group(3)) - 2, 3 * int(m.group(3))) if m.group(3) else (1, 12))
    return date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])


def selection_for(program: Program, scope: str | None, period: str | None, person_id: str | None) -> Selection:
    """The export's selection: the request's, else the program's default scope; a period or a person means the
    approved applicants."""
    default = str(program.setting("archive", "handover_scope", "all"))
    chosen = scope or ("approved" if (period or person_id) else default)
    if chosen not in SCOPES:
        raise InvalidInput(f"scope must be one of {SCOPES}, got {chosen!r}", "scope")
    if chosen == "all" and (period or person_id):
        raise InvalidInput("a period or a person selects approved applicants: use scope approved", "scope")
    if period:
        period_bounds(period)
    return Selection(chosen, period or "", person_id or "")


def granted_days(entries: Iterable[Mapping[str, Any]]) -> list[date]:
    """The days the person's qualifications were granted (鉴定通过), from their file."""
    out = []
    for e in entries:
        if e["kind"] == "qualification" and e["attributes"].get("granted_on"):
            try:
                out.append(date.fromisoformat(e["attributes"]["granted_on"]))
            except ValueError:
                continue
    return out


def select(persons: Mapping[str, list[Mapping[str, Any]]], sel: Selection) -> dict[str, list[Mapping[str, Any]]]:
    """The persons the handover holds; refused when a named person is not an approved applicant, or nothing is."""
    if sel.scope == "all":
        return dict(persons)
    bounds = period_bounds(sel.period) if sel.period else None
    chosen = {}
    for pid, entries in persons.items():
        if sel.person_id and pid != sel.person_id:
            continue
        days = granted_days(entries)
        if days and (bounds is None or any(bounds[0] <= d <= bounds[1] for d in days)):
            chosen[pid] = entries
    if sel.person_id and not chosen:
        raise NotFound("no approved applicant with that person id in this archive"
                       + (f" for {sel.period}" if sel.period else ""), "person_id")
    if not chosen:
        raise Conflict(f"no approved applicant in this archive{' for ' + sel.period if sel.period else ''}: "
                       "nothing to hand over", "period")
    return chosen
