"""The supervision figures of a lot's year, live: the quarter's attainment (like the critical-illness review quota
dashboard: required, done, met, shortfall per quota) and the patrol statistics (巡查工作统计表), both from one
reading of what the lot knows — its services, samples, patrols, institutions, disabled persons and surveys."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.audit.patrols.domain import quotas
from services.audit.patrols.domain.plans import sample_percent
from services.audit.patrols.domain.populations import designated_institutions, survey_population
from services.audit.patrols.domain.sampling import quarter_number
from services.audit.reports.domain.periods import Period, parse_period


@dataclass(frozen=True)
class Service:
    """One care service of the sampling population (the compact index): its quarter and institution. Services are
    keyed by service id `<institution>:<YYYY-MM>:<record id>` (domain/services.py): a record id alone is only the
    institution's own within its month."""

    quarter: str
    institution_id: str


@dataclass
class YearData:
    year: int
    services: Mapping[str, Service]                  # service id → its quarter and institution
    sampled: Mapping[str, str]                       # service id → the quarter whose sample holds it
    patrols: Sequence[Mapping[str, Any]]
    institutions: Sequence[Mapping[str, Any]]
    persons: Sequence[Mapping[str, Any]]             # {_id: person key, conclusions}
    surveys: Sequence[Mapping[str, Any]]             # the year's: {person_key, status, surveyed_on}
    left_before: set[str] = field(default_factory=set)  # person keys found deceased or moved in an earlier year
    plan: Mapping[str, Any] | None = None

    def checked(self) -> set[str]:
        """Services checked by the year's patrols (service ids)."""
        return checked_in(self.patrols)


def checked_in(patrols: Sequence[Mapping[str, Any]]) -> set[str]:
    return {r for p in patrols for r in p["checked_record_ids"]}


def _row(a: quotas.Attainment, **extra: Any) -> dict[str, Any]:
    return {**extra, "required": a.required, "done": a.done, "met": a.met, "shortfall": a.shortfall,
            "reason": a.reason.to_json()}


def quarter_label(year: int, n: int) -> str:
    return f"{year:04d}-Q{n}"


def attainment(data: YearData, quarter: Period, today: date) -> dict[str, Any]:
    """The quarter's quotas: its services checked vs 20% (and sampled vs the plan's share), every designated
    institution visited on site, the year's services to date checked vs 100% (and on pace), and the year's status
    surveys vs every disabled person (the missing ones counted, never named: they are persons)."""
    q, n = quarter.label, quarter_number(quarter)
    checked = data.checked()
    own = {r for r, s in data.services.items() if s.quarter == q}
    to_date = {r for r, s in data.services.items() if s.quarter <= q}
    percent, plan_percent = quotas.QUARTER_SHARE_PERCENT, sample_percent(data.plan, n)
    sampled_own = len(own & data.sampled.keys())
    services = quotas.quarter_sampling(len(own), len(own & checked))
    designated = designated_institutions(data.institutions, min(quarter.end, today))
    visited = {i for p in data.patrols if p["quarter"] == q for i in p["institution_ids"]}
    on_site = quotas.institution_patrols(designated, visited)
    coverage = quotas.year_coverage(len(to_date), len(to_date & checked))
    pace = quotas.year_pace(len(to_date), len(to_date & data.sampled.keys()), n)
    population = survey_population(data.persons, data.year, data.left_before)
    surveyed = {s["person_key"] for s in data.surveys}
    survey = quotas.status_survey(population, surveyed)
    return {
        "quarter": q, "year": data.year,
        "services": _row(services, delivered=len(own), sampled=sampled_own, checked=services.done,
                         percent=percent, plan_percent=plan_percent,
                         sample_target=quotas.quarter_target(len(own), plan_percent),
                         selection_met=sampled_own >= services.required),
        "institutions": _row(on_site, designated=len(designated), visited=len(visited & designated),
                             missing=list(on_site.missing),
                             visited_not_designated=sorted(visited - designated)),
        "year_to_date": _row(coverage, delivered=len(to_date), sampled=pace.done, checked=coverage.done,
                             pace=_row(pace)),
        "status_surveys": _row(survey, disabled=len(population), surveyed=survey.done,
                               missing_count=len(survey.missing), surveys=len(data.surveys)),
        "met": services.met and on_site.met,
    }


def statistics(data: YearData, today: date, quarters: int = 4) -> dict[str, Any]:
    """巡查工作统计表: per quarter the services delivered, sampled and checked, the institutions designated and visited,
    the patrols, inspectors and findings; the year's coverage and status surveys; findings by code and the
    suggested actions; per institution its services, checks, visits and findings."""
    rows = []
    for n in range(1, quarters + 1):
        a = attainment(data, parse_period(quarter_label(data.year, n), ("quarter",)), today)
        patrols = [p for p in data.patrols if p["quarter"] == a["quarter"]]
        rows.append({"quarter": a["quarter"], "delivered": a["services"]["delivered"],
                     "sampled": a["services"]["sampled"], "checked": a["services"]["checked"],
                     "required": a["services"]["required"], "sampling_met": a["services"]["met"],
                     "institutions": a["institutions"]["designated"], "visited": a["institutions"]["visited"],
                     "institutions_missing": a["institutions"]["missing"], "on_site_met": a["institutions"]["met"],
                     "patrols": len(patrols),
                     "inspectors": len({i["inspector_id"] for p in patrols for i in p["inspectors"]}),
                     "findings": sum(len(p["findings"]) for p in patrols)})
    year = attainment(data, parse_period(quarter_label(data.year, quarters), ("quarter",)), today)
    findings = [f for p in data.patrols for f in p["findings"]]
    actions = Counter(a["action"] for p in data.patrols for s in p.get("suggestions") or () for a in s["actions"])
    by_institution: dict[str, dict[str, int]] = {}

    def inst(i: str) -> dict[str, int]:
        return by_institution.setdefault(i, {"delivered": 0, "sampled": 0, "checked": 0, "visits": 0,
                                             "findings": 0})

    checked = data.checked()
    for sid, s in data.services.items():
        row = inst(s.institution_id)
        row["delivered"] += 1
        row["sampled"] += sid in data.sampled
        row["checked"] += sid in checked
    for p in data.patrols:
        for i in p["institution_ids"]:
            inst(i)["visits"] += 1
        for f in p["findings"]:
            inst(f["institution_id"])["findings"] += 1
    statuses = Counter(s["status"] for s in data.surveys)
    return {
        "year": data.year, "quarters": rows,
        "year_coverage": year["year_to_date"], "status_surveys": {**year["status_surveys"],
                                                                  "by_status": dict(sorted(statuses.items()))},
        "patrols": len(data.patrols), "findings": len(findings),
        "findings_by_code": dict(sorted(Counter(f["code"] for f in findings).items())),
        "suggested_actions": dict(sorted(actions.items())),
        "by_institution": [{"institution_id": i, **v} for i, v in sorted(by_institution.items())],
        "plan_version": (data.plan or {}).get("version"),
    }
