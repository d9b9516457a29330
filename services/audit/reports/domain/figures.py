"""The figures of a monthly or quarterly report, computed from the read model alone."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from chassis.money import fmt, from_fen
from services.audit.readmodel.domain.readmodel import case_status, current_deadline, uncapped_codes
from services.audit.reports.domain.periods import Period, cn_date, parse_period
from services.audit.sampling.domain.sampling import attainment
from services.audit.warnings.domain.warnings import warning_overdue

UNATTRIBUTED = "UNATTRIBUTED"

Doc = Mapping[str, Any]


@dataclass
class ReportInputs:
    cases: list[Doc] = field(default_factory=list)
    applications: list[Doc] = field(default_factory=list)
    appraisals: list[Doc] = field(default_factory=list)
    complaints: list[Doc] = field(default_factory=list)
    benefits: list[Doc] = field(default_factory=list)
    statements: list[Doc] = field(default_factory=list)
    payments: list[Doc] = field(default_factory=list)
    findings: list[Doc] = field(default_factory=list)
    warnings: list[Doc] = field(default_factory=list)
    plans: list[Doc] = field(default_factory=list)
    checked: dict[str, dict[str, int]] = field(default_factory=dict)  # plan id -> disease -> checked tasks
    callbacks: list[Doc] = field(default_factory=list)
    policy: Doc | None = None


def _in(period: Period, value: str | None) -> bool:
    return period.contains(cn_date(value))


def disease_group(cases: Iterable[Doc], person_id: str, month: str) -> str:
    """Which disease(s) a person's settled month belongs to. (choice) `benefits.settled` carries no disease,
    so the month is put under the person's diseases in force that month, joined ("DM+HTN") so that the
    groups still add up to the total; UNATTRIBUTED when none is known."""
    month_period = parse_period(month, ("month",))
    codes = sorted({c["disease_code"] for c in cases
                    if c.get("person_id") == person_id and _holds(c, month_period)})
    return "+".join(codes) if codes else UNATTRIBUTED


def _holds(case: Doc, period: Period) -> bool:
    start = cn_date(case.get("benefit_start")) or cn_date(case.get("granted_on"))
    revoked = cn_date(case.get("revoked_on"))
    return start is not None and start <= period.end and (revoked is None or revoked >= period.start)


def _money_tally() -> dict[str, Any]:
    return {"claimed": Decimal("0.00"), "payable": Decimal("0.00"), "lines": 0, "persons": set()}


def compute_figures(period: Period, data: ReportInputs, as_of: date) -> dict[str, Any]:
    """Figures with Decimal amounts; `jsonable` turns them into "0.00" strings for storage and JSON."""
    unc = uncapped_codes(data.policy)
    known = {d["code"] for d in (data.policy or {}).get("diseases", [])}

    apps: dict[str, Counter[str]] = defaultdict(Counter)
    for a in data.applications:
        code = a.get("disease_code") or UNATTRIBUTED
        for what, key in (("submitted", "submitted_on"), ("documents_requested", "documents_requested_on"),
                          ("completed", "completed_on"), ("rejected", "rejected_on")):
            if _in(period, a.get(key)):
                apps[code][what] += 1
    app_totals = Counter[str]()
    for counts in apps.values():
        app_totals.update(counts)

    grants: dict[str, dict[str, Any]] = {}
    for c in data.cases:
        code = c.get("disease_code") or UNATTRIBUTED
        row = grants.setdefault(code, {"granted": 0, "revoked": 0, "active_at_end": 0,
                                       "uncapped": code in unc if code in known else None})
        row["granted"] += _in(period, c.get("granted_on"))
        row["revoked"] += _in(period, c.get("revoked_on"))
        granted = cn_date(c.get("granted_on"))
        row["active_at_end"] += granted is not None and granted <= period.end and case_status(c, period.end) == "active"

    by_disease: dict[str, dict[str, Any]] = defaultdict(_money_tally)
    by_institution: dict[str, dict[str, Any]] = defaultdict(_money_tally)
    total = _money_tally()
    months = set(period.months())
    for b in data.benefits:
        if b.get("month") not in months:
            continue
        claimed, payable = from_fen(b.get("claimed_fen", 0)), from_fen(b.get("payable_fen", 0))
        group = disease_group(data.cases, b["person_id"], b["month"])
        for bucket in (by_disease[group], by_institution[b.get("institution_code") or UNATTRIBUTED], total):
            bucket["claimed"] += claimed
            bucket["payable"] += payable
            bucket["lines"] += int(b.get("lines", 0))
            bucket["persons"].add(b["person_id"])

    def money_view(bucket: dict[str, Any]) -> dict[str, Any]:
        return {**bucket, "persons": len(bucket["persons"])}

    statements = [s for s in data.statements if s.get("month") in months]
    payments = [p for p in data.payments if _in(period, p.get("issued_on"))]

    plan_rows: list[dict[str, Any]] = []
    unc_required = unc_checked = 0
    for plan in data.plans:
        plan_period = parse_period(plan["period"])
        if not plan_period.within(period):
            continue
        att = attainment(plan["strata"], data.checked.get(plan["_id"], {}))
        unc_required += att["uncapped"]["required"]
        unc_checked += att["uncapped"]["checked"]
        plan_rows += [{"plan_id": plan["_id"], "period": plan["period"], **row} for row in att["by_disease"]]

    callbacks = Counter(c.get("status", "open") for c in data.callbacks
                        if any(p["_id"] == c.get("plan_id") and parse_period(p["period"]).within(period)
                               for p in data.plans))

    findings = [f for f in data.findings if _in(period, f.get("raised_on") or f.get("raised_at"))]
    by_kind: dict[str, dict[str, Any]] = defaultdict(lambda: {"count": 0, "amount": Decimal("0.00")})
    for f in findings:
        by_kind[f.get("kind", "")]["count"] += 1
        by_kind[f.get("kind", "")]["amount"] += from_fen(f.get("amount_fen", 0))

    warnings = [w for w in data.warnings if _in(period, w.get("issued_on"))]

    # Due dates published on a year without the official holiday schedule are worked out again, as the services do.
    complaints = [current_deadline(c, "filed_on") for c in data.complaints]
    complaints_filed = [c for c in complaints if _in(period, c.get("filed_on"))]
    complaints_resolved = [c for c in complaints if _in(period, c.get("resolved_on"))]
    open_overdue = [c for c in complaints if (due := cn_date(c.get("due_on"))) is not None and due < period.end
                    and (cn_date(c.get("resolved_on")) or date.max) > period.end and _started(c, period)]

    appraisals = [current_deadline(a, "clock_from") for a in data.appraisals]
    concluded = [a for a in appraisals if _in(period, a.get("concluded_on"))]
    pending_overdue = [a for a in appraisals if (due := cn_date(a.get("due_on"))) is not None
                       and due < period.end and (cn_date(a.get("concluded_on")) or date.max) > period.end]
    reviews = [a for a in concluded if a.get("kind") == "review"]  # re-reviews (复审) concluded
    renewed = sum(1 for a in appraisals if _in(period, a.get("renewed_on")))

    return {
        "period": period.label, "start": period.start.isoformat(), "end": period.end.isoformat(),
        "policy_version": (data.policy or {}).get("version", ""),
        "uncapped_diseases": sorted(unc),
        "applications": {"submitted": app_totals["submitted"], "documents_requested": app_totals["documents_requested"],
                         "completed": app_totals["completed"], "rejected": app_totals["rejected"],
                         "by_disease": {k: dict(v) for k, v in sorted(apps.items())}},
        "grants": {"granted": sum(r["granted"] for r in grants.values()),
                   "revoked": sum(r["revoked"] for r in grants.values()),
                   "active_at_end": sum(r["active_at_end"] for r in grants.values()),
                   "renewed": renewed,  # qualifications renewed by a passed re-review (复审)
                   "by_disease": dict(sorted(grants.items()))},
        "benefits": {**money_view(total),
                     "by_disease": {k: money_view(v) for k, v in sorted(by_disease.items())},
                     "by_institution": {k: money_view(v) for k, v in sorted(by_institution.items())}},
        "statements": {"closed": len(statements),
                       "payable": sum((from_fen(s.get("payable_fen", 0)) for s in statements), Decimal("0.00")),
                       "reconciled": sum(1 for s in statements if "balanced" in s),
                       "unbalanced": sum(1 for s in statements if s.get("balanced") is False)},
        "payments": {"count": len(payments),
                     "amount": sum((from_fen(p.get("amount_fen", 0)) for p in payments), Decimal("0.00"))},
        "sampling": {"plans": len({r["plan_id"] for r in plan_rows}), "rows": plan_rows,
                     "uncapped_required": unc_required, "uncapped_checked": unc_checked,
                     "attained": all(r["attained"] for r in plan_rows if r["uncapped"]) if plan_rows else None},
        "callbacks": dict(sorted(callbacks.items())),
        "findings": {"count": len(findings),
                     "amount": sum((from_fen(f.get("amount_fen", 0)) for f in findings), Decimal("0.00")),
                     "by_kind": dict(sorted(by_kind.items()))},
        "warnings": {"issued": len(warnings),
                     "reported": sum(1 for w in warnings if w.get("reported_on")),
                     "overdue": sum(1 for w in warnings if warning_overdue(w, as_of))},
        "complaints": {"filed": len(complaints_filed), "resolved": len(complaints_resolved),
                       "resolved_overdue": sum(1 for c in complaints_resolved if c.get("resolved_overdue")),
                       "open_overdue_at_end": len(open_overdue)},
        "appraisals": {"concluded": len(concluded),
                       "concluded_overdue": sum(1 for a in concluded if a.get("concluded_overdue")),
                       "pending_overdue_at_end": len(pending_overdue),
                       "reviews_concluded": len(reviews),
                       "reviews_revoked": sum(1 for a in reviews if a.get("outcome") == "revoke")},
    }


def _started(doc: Doc, period: Period) -> bool:
    filed = cn_date(doc.get("filed_on"))
    return filed is None or filed <= period.end


def jsonable(value: Any) -> Any:
    """Decimal amounts as "0.00" strings (exact, never float); containers recursively."""
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, set):
        return sorted(jsonable(v) for v in value)
    return value
