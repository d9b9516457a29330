"""Long-term care's reports (长护险报表, Wenzhou tender 三、3.3, 3.4 and 5.5), computed from the read model alone:

- the accounting and business statistics (会计报表、业务统计报表) of a month, quarter, half year or year: applications
  received, accepted and rejected; assessments concluded by grade, eligible, and their fees; persons covered at the
  period's end; care services recorded (counts); care statements paid and their amounts; assessment fees paid;
- the operation report (运营报告) of a quarter, half year or year: patrols, the care services sampled against each
  quarter's 20% (and the year's 100%), violation interviews, status surveys (and the year's 100%), the carrier's
  yearly score.

Counts of persons are counts: no identity number reaches a report. Amounts are Decimal (`figures.jsonable` turns
them into "0.00" strings)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from chassis.money import from_fen
from services.audit.patrols.domain.quotas import quarter_sampling, status_survey, year_coverage
from services.audit.reports.domain.periods import Period, cn_date, parse_period

Doc = Mapping[str, Any]
ZERO = Decimal("0.00")
# kind → (what the report is, the period it covers)
KINDS: dict[str, tuple[str, str]] = {
    "ltc_monthly": ("business", "month"), "ltc_quarterly": ("business", "quarter"),
    "ltc_half_yearly": ("business", "half"), "ltc_yearly": ("business", "year"),
    "ltc_operation_quarterly": ("operation", "quarter"), "ltc_operation_half_yearly": ("operation", "half"),
    "ltc_operation_yearly": ("operation", "year"),
}
GRADES = tuple(str(g) for g in range(6))  # 0 基本正常 … 5 重度失能III级
STEPS = ("submitted", "documents_requested", "accepted", "rejected")


@dataclass
class LtcInputs:
    applications: list[Doc] = field(default_factory=list)
    assessments: list[Doc] = field(default_factory=list)
    services: list[Doc] = field(default_factory=list)
    statements: list[Doc] = field(default_factory=list)
    assessment_fees: list[Doc] = field(default_factory=list)
    patrols: list[Doc] = field(default_factory=list)
    surveys: list[Doc] = field(default_factory=list)
    interviews: list[Doc] = field(default_factory=list)
    scores: list[Doc] = field(default_factory=list)  # each scored year's score in force: {year, score, grade, ...}


def _in(period: Period, value: str | None) -> bool:
    return period.contains(cn_date(value))


def _total(docs: Sequence[Doc], key: str = "amount_fen") -> Decimal:
    return sum((from_fen(int(d.get(key, 0))) for d in docs), ZERO)


def covered_persons(data: LtcInputs, on: date) -> set[str]:
    """Persons covered on a day (享受待遇): their latest conclusion by then is eligible, and no status survey by then
    found them deceased."""
    latest: dict[str, Doc] = {}
    for a in data.assessments:
        day = cn_date(a.get("concluded_on"))
        if day is None or day > on or not a.get("person_id"):
            continue
        key = (a.get("concluded_on") or "", int(a.get("round") or 0))
        held = latest.get(a["person_id"])
        if held is None or key >= (held.get("concluded_on") or "", int(held.get("round") or 0)):
            latest[a["person_id"]] = a
    deceased = {s["person_id"] for s in data.surveys if s.get("status") == "deceased"
                and (cn_date(s.get("surveyed_on")) or date.max) <= on}
    return {p for p, a in latest.items() if a.get("eligible") and p not in deceased}


def business_figures(period: Period, data: LtcInputs) -> dict[str, Any]:
    """The accounting and business statistics of the period."""
    steps = Counter(step for a in data.applications for step in STEPS if _in(period, a.get(f"{step}_on")))
    received = [a for a in data.applications if _in(period, a.get("submitted_on"))]
    concluded = [a for a in data.assessments if _in(period, a.get("concluded_on"))]
    months = set(period.months())
    services = [s for s in data.services if s.get("month") in months]
    statements = [s for s in data.statements if _in(period, s.get("paid_on"))]
    fees = [f for f in data.assessment_fees if _in(period, f.get("paid_on"))]

    by_institution: dict[str, dict[str, Any]] = {}
    for s in statements:
        row = by_institution.setdefault(s.get("institution_id") or "", {"statements": 0, "records": 0,
                                                                       "persons": 0, "amount": ZERO})
        row["statements"] += 1
        row["records"] += int(s.get("records", 0))
        row["persons"] += int(s.get("persons", 0))
        row["amount"] += from_fen(int(s.get("amount_fen", 0)))
    services_by_institution = Counter[str]()
    services_by_month = Counter[str]()
    for s in services:
        services_by_institution[s.get("institution_id") or ""] += int(s.get("records", 0))
        services_by_month[s.get("month") or ""] += int(s.get("records", 0))
    due_from: dict[str, Decimal] = {}
    for f in fees:
        for tenant, owed in (f.get("due_from_fen") or {}).items():
            due_from[tenant] = due_from.get(tenant, ZERO) + from_fen(int(owed))
    paid_by_month: dict[str, dict[str, Decimal]] = {m: {"care_benefits": ZERO, "assessment_fees": ZERO}
                                                    for m in period.months()}
    for docs, key in ((statements, "care_benefits"), (fees, "assessment_fees")):
        for d in docs:
            month = (cn_date(d.get("paid_on")) or period.start).isoformat()[:7]
            paid_by_month.setdefault(month, {"care_benefits": ZERO, "assessment_fees": ZERO})[key] += from_fen(
                int(d.get("amount_fen", 0)))
    care, assessment = _total(statements), _total(fees)
    return {
        "section": "business", "period": period.label, "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "applications": {"received": steps["submitted"], "documents_requested": steps["documents_requested"],
                         "accepted": steps["accepted"], "rejected": steps["rejected"],
                         "city_level": sum(1 for a in received if a.get("city_level")),
                         "by_channel": dict(sorted(Counter(a.get("channel") or "" for a in received).items())),
                         "by_basis": dict(sorted(Counter(a.get("basis") or "" for a in received).items()))},
        "assessments": {"concluded": len(concluded), "eligible": sum(1 for a in concluded if a.get("eligible")),
                        "by_grade": {g: sum(1 for a in concluded if str(a.get("grade")) == g) for g in GRADES},
                        "by_kind": dict(sorted(Counter(a.get("kind") or "initial" for a in concluded).items())),
                        "fees": _total(concluded, "assessment_fee_fen")},
        "persons_covered": {"at_end": len(covered_persons(data, period.end))},
        "care_services": {"batches": len(services), "records": sum(int(s.get("records", 0)) for s in services),
                          "by_month": dict(sorted(services_by_month.items())),
                          "by_institution": dict(sorted(services_by_institution.items()))},
        "care_statements": {"paid": len(statements), "amount": care,
                            "records": sum(int(s.get("records", 0)) for s in statements),
                            "persons": sum(int(s.get("persons", 0)) for s in statements),
                            "by_institution": dict(sorted(by_institution.items()))},
        "assessment_fees": {"paid": len(fees), "amount": assessment,
                            "assessments": sum(int(f.get("assessments", 0)) for f in fees),
                            "due_from": dict(sorted(due_from.items()))},
        "accounting": {"care_benefits_paid": care, "assessment_fees_paid": assessment,
                       "total_paid": care + assessment, "by_month": dict(sorted(paid_by_month.items()))},
    }


def _quarters(period: Period) -> list[Period]:
    return [parse_period(f"{period.start.year}-Q{q}", ("quarter",)) for q in range(1, 5)
            if parse_period(f"{period.start.year}-Q{q}", ("quarter",)).within(period)]


def _records_in(services: Sequence[Doc], months: set[str]) -> int:
    return sum(int(s.get("records", 0)) for s in services if s.get("month") in months)


def operation_figures(period: Period, data: LtcInputs) -> dict[str, Any]:
    """The operation report of the period (a quarter, half year or year)."""
    patrols = [p for p in data.patrols if _in(period, p.get("completed_on"))]
    interviews = [i for i in data.interviews if _in(period, i.get("held_on"))]
    rows = []
    for q in _quarters(period):
        delivered = _records_in(data.services, set(q.months()))
        sampled = sum(int(p.get("records", 0)) for p in data.patrols if p.get("quarter") == q.label)
        att = quarter_sampling(delivered, min(sampled, delivered))
        rows.append({"quarter": q.label, "delivered": delivered, "sampled": sampled, "required": att.required,
                     "met": att.met, "reason_codes": [att.reason.to_json()]})
    year = period.start.year
    year_to_end = parse_period(str(year), ("year",))
    months_to_end = {m for m in year_to_end.months() if m <= period.end.isoformat()[:7]}
    delivered_year = _records_in(data.services, months_to_end)
    sampled_year = sum(int(p.get("records", 0)) for p in data.patrols
                       if str(p.get("quarter", "")).startswith(f"{year}-")
                       and (cn_date(p.get("completed_on")) or date.max) <= period.end)
    coverage = year_coverage(delivered_year, min(sampled_year, delivered_year))
    surveys = [s for s in data.surveys if _in(period, s.get("surveyed_on"))]
    surveyed_year = {s["person_id"] for s in data.surveys if int(s.get("year") or 0) == year and s.get("person_id")
                     and (cn_date(s.get("surveyed_on")) or date.max) <= period.end}
    survey_att = status_survey(covered_persons(data, period.end) | surveyed_year, surveyed_year)
    scored = sorted((s for s in data.scores if int(s.get("year") or 0) <= year), key=lambda s: int(s["year"]))
    score = scored[-1] if scored else None
    return {
        "section": "operation", "period": period.label, "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "patrols": {"count": len(patrols),
                    "institutions": len({i for p in patrols for i in p.get("institution_ids", [])}),
                    "records_sampled": sum(int(p.get("records", 0)) for p in patrols),
                    "persons_visited": sum(int(p.get("persons", 0)) for p in patrols),
                    "findings": sum(len(p.get("findings", [])) for p in patrols),
                    "by_finding": dict(sorted(Counter(f for p in patrols for f in p.get("findings", [])).items()))},
        "samples": {"quarters": rows,
                    "year": {"year": year, "delivered": delivered_year, "sampled": sampled_year,
                             "met": coverage.met, "reason_codes": [coverage.reason.to_json()]}},
        "interviews": {"count": len(interviews), "institutions": len({i.get("institution_id") for i in interviews}),
                       "violations": sum(len(i.get("violations", [])) for i in interviews),
                       "by_outcome": dict(sorted(Counter(i.get("outcome") or "" for i in interviews).items()))},
        "status_surveys": {"count": len(surveys),
                           "by_status": dict(sorted(Counter(s.get("status") or "" for s in surveys).items())),
                           "year": {"year": year, "required": survey_att.required, "surveyed": survey_att.done,
                                    "met": survey_att.met, "reason_codes": [survey_att.reason.to_json()]}},
        "score": {k: score.get(k) for k in ("year", "score", "grade", "revision", "items_version", "assessed_on")}
        if score else None,
    }
