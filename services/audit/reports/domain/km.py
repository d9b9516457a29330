"""Fund supervision's reports (基金监管报告, Karamay tender; program km-supervision), computed from what the supervision
rooms hold, pure:

- `km_inspection` — one inspection's report pack (检查报告): team, method and days; the report's due day (calendar days
  after the end: hospital 3, pharmacy 1, the agency 3), whether and when it was filed, overdue and days late; its
  findings by catalogue code with amounts; the checklist's coverage (every item of the kind answered: checked, finding,
  not applicable); the evidence files with their sha256; the pre-visit dossier's figures and checksum;
- `km_monthly` — a month's supervision (月度报告): inspections ended by institution kind and method; the term's coverage
  so far against 100% of the institutions (and the tender's 17 / 143 / 1); the inspection reports due in the month on
  time, late or missing; the reported findings and amounts by catalogue code; record samples completed and the
  hospitals' problem-record rate against 40%; smart-review hits found by rule (open, confirmed, dismissed, amounts) and
  the decisions made; leads received and verified, cases opened and closed, amounts decided and recovered; the agency's
  internal audits reported; trainings held;
- `km_term` — all of the above over the term (服务期), plus the credit evaluations approved, the trainings and
  flight-inspection trips against the tender's 4 and 4 + 2, the tender's requirements each met or not (the written
  report's conclusion, 书面情况报告) and every inspection's materials with their checksums (检查情况资料汇总).

No personal data reaches a report: ids, codes, counts, amounts, days and checksums only (free text — findings'
descriptions, notes, the reports' own words, file names — stays sealed in its room). Amounts are Decimal (`jsonable`
writes them "0.00"); rates are strings with four decimals ("0.4000")."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chassis.money import parse_yuan
from services.audit.inspections.domain import coverage as cov
from services.audit.inspections.domain.deadlines import days_late, overdue
from services.audit.inspections.domain.settings import KINDS as INSTITUTION_KINDS
from services.audit.inspections.domain.settings import METHODS
from services.audit.reports.domain.periods import cn_date
from services.audit.smart_review.domain.rules import RULES
from services.audit.trainings.domain.trainings import tally

Doc = Mapping[str, Any]
ZERO = Decimal("0.00")
PROGRAM = "km-supervision"
# kind → the parameter its `period` names
KINDS: dict[str, str] = {"km_inspection": "inspection", "km_monthly": "month", "km_term": "term"}
ANSWERS = ("checked", "finding", "not_applicable")
HIT_STATES = ("open", "confirmed", "dismissed")
LEAD_SOURCES = ("superior", "department", "tip")


@dataclass(frozen=True)
class Window:
    """The days a report covers (inclusive), with the label it is filed under."""

    label: str
    start: date
    end: date

    def contains(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end


@dataclass(frozen=True)
class KmSettings:
    """What the program sets (programs/km-supervision/program.yaml `supervision:`) and the violation catalogue."""

    term_from: date
    term_to: date
    tender_counts: Mapping[str, int]                  # 17 hospitals, 143 pharmacies, 1 agency
    problem_rate_expected: Decimal                    # hospitals' problem-record rate (0.40)
    sampling_rate: Decimal                            # 0.025
    trainings_required: int
    trips_required: Mapping[str, int]
    catalogue: Mapping[str, tuple[str, str]] = field(default_factory=dict)   # code → (name, group), in order
    catalogue_version: str = ""


@dataclass
class KmInputs:
    institutions: list[Doc] = field(default_factory=list)   # supervision's institutions: id, kind, terms, terminated
    inspections: list[Doc] = field(default_factory=list)    # inspection views: days, state, findings, report
    samples: list[Doc] = field(default_factory=list)        # record-sample views (figures, no records)
    hits: list[Doc] = field(default_factory=list)           # {hit_id, rule, state, amount, found_at, decision}
    leads: list[Doc] = field(default_factory=list)
    cases: list[Doc] = field(default_factory=list)
    agency_audits: list[Doc] = field(default_factory=list)
    evaluations: list[Doc] = field(default_factory=list)    # approved credit evaluations
    trainings: list[Doc] = field(default_factory=list)
    materials: list[Doc] = field(default_factory=list)      # per inspection: checksums (see `materials`)


def rate(part: int, whole: int) -> str | None:
    """part / whole to four decimals, half up; None when there is no whole."""
    if not whole:
        return None
    return str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP))


def canonical_sha256(value: Any) -> str:
    """sha256 of a JSON value written canonically (keys sorted, UTF-8, no spaces): the checksum of a material kept as
    a record (the dossier, the filed report) rather than as a file; anyone reading it back can recompute it."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _day(value: Any) -> date | None:
    return cn_date(str(value)) if value else None


def yuan_of(value: Any) -> Decimal:
    """An amount as another room stored it (a yuan string, or absent: 0), read by chassis.money."""
    return parse_yuan(value if value not in (None, "") else "0")


def _code_order(settings: KmSettings) -> dict[str, int]:
    return {code: n for n, code in enumerate(settings.catalogue)}


def findings_by_code(findings: Iterable[Doc], settings: KmSettings) -> dict[str, dict[str, Any]]:
    """Findings' count and amount by catalogue code, in the catalogue's order."""
    rows: dict[str, dict[str, Any]] = {}
    for f in findings:
        code = str(f.get("code") or "")
        name, group = settings.catalogue.get(code, (str(f.get("name") or ""), str(f.get("group") or "")))
        row = rows.setdefault(code, {"name": name, "group": group, "count": 0, "amount": ZERO})
        row["count"] += 1
        row["amount"] += yuan_of(f.get("amount"))
    order = _code_order(settings)
    return dict(sorted(rows.items(), key=lambda kv: (order.get(kv[0], 10**6), kv[0])))


# ---- one inspection (km_inspection) ----------------------------------------------------------------------------


def inspection_figures(ins: Doc, dossier: Doc | None, filed: Doc | None, samples: Sequence[Doc],
                       cases: Sequence[Doc], settings: KmSettings, today: date) -> dict[str, Any]:
    """One inspection's report pack. `ins`: the inspection as its room shows it whole (checklist, evidence,
    findings); `dossier`: its pre-visit dossier as built (None when none was); `filed`: its report (调查报告) as the
    room shows it (None before it is filed); `samples` and `cases`: the record samples and cases tied to it."""
    report = ins.get("report") or {}
    due = _day(ins.get("due_on"))
    reported = _day(report.get("reported_on"))
    findings = list(ins.get("findings") or [])
    checklist = ins.get("checklist") or {}
    items = list(checklist.get("items") or [])
    answers = Counter(str(i.get("answer")) for i in items if i.get("answer"))
    by_group: dict[str, dict[str, int]] = {}
    for i in items:
        row = by_group.setdefault(str(i.get("group") or ""), {"total": 0, "answered": 0, "finding": 0})
        row["total"] += 1
        row["answered"] += int(bool(i.get("answer")))
        row["finding"] += int(i.get("answer") == "finding")
    evidence = [{k: e.get(k) for k in ("evidence_id", "content_type", "size", "sha256", "uploaded_at")}
                for e in ins.get("evidence") or []]
    total = len(items)
    answered = sum(answers.values())
    return {
        "section": "inspection", "inspection_id": ins["inspection_id"], "institution_id": ins["institution_id"],
        "institution_kind": ins["institution_kind"], "institution_name": ins.get("institution_name") or "",
        "level": ins.get("level") or "", "method": ins["method"], "draw_id": ins.get("draw_id") or "",
        "team": [{k: m.get(k) or "" for k in ("inspector_id", "name", "profession")} for m in ins.get("team") or []],
        "started_on": ins["started_on"], "ended_on": ins.get("ended_on"), "state": ins["state"],
        "catalogue_version": ins.get("catalogue_version") or settings.catalogue_version,
        "report": {"due_on": ins.get("due_on"), "filed": reported is not None,
                   "reported_on": report.get("reported_on"),
                   "overdue": overdue(due, reported, today) if due else False,
                   "days_late": days_late(due, reported, today) if due else 0,
                   "sha256": canonical_sha256(filed) if filed else None},
        "findings": {"count": len(findings), "amount": sum((yuan_of(f.get("amount")) for f in findings), ZERO),
                     "by_code": findings_by_code(findings, settings),
                     "items": [{"finding_id": f.get("finding_id"), "code": f.get("code"), "name": f.get("name"),
                                "amount": yuan_of(f.get("amount")), "evidence_ids": list(f.get("evidence_ids") or [])}
                               for f in findings]},
        "checklist": {"total": total, "answered": answered, "unanswered": total - answered,
                      **{a: answers.get(a, 0) for a in ANSWERS}, "coverage": rate(answered, total),
                      "complete": bool(total) and answered == total, "by_group": by_group},
        "evidence": {"count": len(evidence), "bytes": sum(int(e.get("size") or 0) for e in evidence),
                     "items": evidence},
        "dossier": None if not dossier else {
            "built_on": dossier.get("built_on"), "hits": int((dossier.get("hits") or {}).get("count") or 0),
            "amount": yuan_of((dossier.get("hits") or {}).get("amount")),
            "anomalies": len(dossier.get("anomalies") or []), "focus_codes": list(dossier.get("focus_codes") or []),
            "sha256": canonical_sha256(dossier)},
        "samples": [{k: s.get(k) for k in ("sample_id", "kind", "population", "size", "problems", "problem_rate",
                                           "expected_rate", "state", "population_sha256")} for s in samples],
        "cases": [{"case_id": c.get("case_id"), "state": c.get("state"), "opened_on": c.get("opened_on")}
                  for c in cases],
    }


# ---- a window: a month or the term (km_monthly, km_term) -------------------------------------------------------


def _known(doc: Doc) -> cov.Known:
    return cov.Known(str(doc["institution_id"]), str(doc["kind"]),
                     tuple((str(t["start"]), str(t.get("end") or "")) for t in doc.get("terms") or ()),
                     str(doc.get("terminated_on") or ""))


def term_ids(data: KmInputs, settings: KmSettings) -> dict[str, set[str]]:
    """The institutions of the term (an agreement on some day of it), by kind."""
    reach = cov.population([_known(d) for d in data.institutions], settings.term_from, settings.term_to)
    return {kind: {k.institution_id for k in reach if k.kind == kind} for kind in INSTITUTION_KINDS}


def coverage_figures(data: KmInputs, settings: KmSettings, asof: date) -> dict[str, Any]:
    """The term's coverage on a day (现场检查率100%): the institutions of the term (an agreement on some day of it),
    those with an inspection ended within the term by that day, by kind; the tender's counts beside them."""
    reach = cov.population([_known(d) for d in data.institutions], settings.term_from, settings.term_to)
    last = min(asof, settings.term_to)
    done_ids = {str(i["institution_id"]) for i in data.inspections
                if (d := _day(i.get("ended_on"))) is not None and settings.term_from <= d <= last}
    by_kind: dict[str, dict[str, Any]] = {}
    for kind in INSTITUTION_KINDS:
        ids = [k.institution_id for k in reach if k.kind == kind]
        done = sum(1 for i in ids if i in done_ids)
        tender = int(settings.tender_counts.get(kind, 0))
        by_kind[kind] = {"institutions": len(ids), "done": done, "undone": len(ids) - done,
                         "rate": rate(done, len(ids)), "tender": tender, "rate_of_tender": rate(done, tender),
                         "matches_tender": len(ids) == tender, "met": bool(ids) and done == len(ids)}
    total = len(reach)
    done_total = sum(r["done"] for r in by_kind.values())
    tender_total = sum(int(v) for v in settings.tender_counts.values())
    return {"asof": last.isoformat(), "term_from": settings.term_from.isoformat(),
            "term_to": settings.term_to.isoformat(), "institutions": total, "done": done_total,
            "undone": total - done_total, "rate": rate(done_total, total), "target": "1.0000",
            "tender": tender_total, "rate_of_tender": rate(done_total, tender_total),
            "met": bool(total) and done_total == total, "by_kind": by_kind,
            "undone_ids": sorted(k.institution_id for k in reach if k.institution_id not in done_ids)}


def inspections_figures(data: KmInputs, window: Window) -> dict[str, Any]:
    """Inspections ended in the window, by institution kind and method; started and still open ones."""
    ended = [i for i in data.inspections if window.contains(_day(i.get("ended_on")))]
    matrix = {kind: {m: 0 for m in METHODS} for kind in INSTITUTION_KINDS}
    for i in ended:
        matrix.setdefault(str(i["institution_kind"]), {m: 0 for m in METHODS})
        matrix[str(i["institution_kind"])][str(i["method"])] = matrix[str(i["institution_kind"])].get(
            str(i["method"]), 0) + 1
    return {"ended": len(ended), "institutions": len({i["institution_id"] for i in ended}),
            "started": sum(1 for i in data.inspections if window.contains(_day(i.get("started_on")))),
            "open_at_end": sum(1 for i in data.inspections
                               if (s := _day(i.get("started_on"))) is not None and s <= window.end
                               and ((e := _day(i.get("ended_on"))) is None or e > window.end)),
            "by_kind": {k: sum(v.values()) for k, v in matrix.items()},
            "by_method": {m: sum(v.get(m, 0) for v in matrix.values()) for m in METHODS},
            "by_kind_and_method": matrix}


def timeliness_figures(data: KmInputs, window: Window, today: date) -> dict[str, Any]:
    """The inspection reports (调查报告) due in the window: filed on time, filed late, missing (past due, not filed)
    or pending (not due yet); and the reports filed in the window, on time or late."""
    due_rows = []
    counts = Counter[str]()
    for i in data.inspections:
        due = _day(i.get("due_on"))
        if not window.contains(due):
            continue
        assert due is not None
        reported = _day((i.get("report") or {}).get("reported_on"))
        status = ("on_time" if reported <= due else "late") if reported else ("missing" if today > due else "pending")
        counts[status] += 1
        due_rows.append({"inspection_id": i["inspection_id"], "institution_id": i["institution_id"],
                         "institution_kind": i["institution_kind"], "ended_on": i.get("ended_on"),
                         "due_on": i.get("due_on"), "reported_on": (i.get("report") or {}).get("reported_on"),
                         "status": status, "days_late": days_late(due, reported, today)})
    filed = [i for i in data.inspections if window.contains(_day((i.get("report") or {}).get("reported_on")))]
    late = sum(1 for i in filed if (i.get("report") or {}).get("overdue"))
    due_total = sum(counts.values())
    return {"due": due_total, **{s: counts.get(s, 0) for s in ("on_time", "late", "missing", "pending")},
            "on_time_rate": rate(counts.get("on_time", 0), due_total - counts.get("pending", 0)),
            "filed": len(filed), "filed_on_time": len(filed) - late, "filed_late": late,
            "items": sorted(due_rows, key=lambda r: (str(r["due_on"]), str(r["inspection_id"])))}


def reported_findings(data: KmInputs, window: Window, settings: KmSettings) -> dict[str, Any]:
    """The findings of the inspections whose report was filed in the window, by catalogue code and kind."""
    reported = [i for i in data.inspections if window.contains(_day((i.get("report") or {}).get("reported_on")))]
    findings = [f for i in reported for f in i.get("findings") or []]
    by_kind: dict[str, dict[str, Any]] = {k: {"inspections": 0, "findings": 0, "amount": ZERO}
                                          for k in INSTITUTION_KINDS}
    for i in reported:
        row = by_kind.setdefault(str(i["institution_kind"]), {"inspections": 0, "findings": 0, "amount": ZERO})
        row["inspections"] += 1
        row["findings"] += len(i.get("findings") or [])
        row["amount"] += sum((yuan_of(f.get("amount")) for f in i.get("findings") or []), ZERO)
    return {"inspections": len(reported), "with_findings": sum(1 for i in reported if i.get("findings")),
            "count": len(findings), "amount": sum((yuan_of(f.get("amount")) for f in findings), ZERO),
            "by_code": findings_by_code(findings, settings), "by_kind": by_kind}


def sampling_figures(data: KmInputs, window: Window, settings: KmSettings) -> dict[str, Any]:
    """Record samples (病历抽审) completed in the window; the hospitals' problem-record rate against the expectation
    (问题病历发现率 = problem records / records sampled, 原则上不低于40%) and the agency's, which has none."""
    done = [s for s in data.samples if window.contains(_day(s.get("completed_at")))]
    by_kind: dict[str, dict[str, Any]] = {}
    for kind in ("hospital", "agency"):
        mine = [s for s in done if s.get("institution_kind") == kind]
        sampled = sum(int(s.get("size") or 0) for s in mine)
        problems = sum(int(s.get("problems") or 0) for s in mine)
        expected = settings.problem_rate_expected if kind == "hospital" else None
        r = rate(problems, sampled)
        by_kind[kind] = {"samples": len(mine), "institutions": len({s["institution_id"] for s in mine}),
                         "population": sum(int(s.get("population") or 0) for s in mine), "sampled": sampled,
                         "problems": problems, "problem_rate": r,
                         "expected_rate": str(expected.quantize(Decimal("0.0001"))) if expected is not None else None,
                         "meets_expectation": (Decimal(r) >= expected) if r is not None and expected is not None
                         else None}
    return {"drawn": sum(1 for s in data.samples if window.contains(_day(s.get("created_at")))),
            "completed": len(done), "minimum_rate": str(settings.sampling_rate), "by_kind": by_kind,
            "items": [{k: s.get(k) for k in ("sample_id", "institution_id", "institution_kind", "kind",
                                             "inspection_id", "rate", "population", "size", "problems",
                                             "problem_rate", "expected_rate", "meets_expectation",
                                             "population_sha256", "completed_at")}
                      | {"problems_by_code": dict(sorted((s.get("problems_by_code") or {}).items()))}
                      for s in sorted(done, key=lambda s: str(s.get("completed_at")))]}


def review_figures(data: KmInputs, window: Window) -> dict[str, Any]:
    """Smart-review hits (智能审核) found in the window by rule, with their state now and amounts; and the decisions
    reviewers made in the window (confirmed = refused, 拒付; dismissed)."""
    blank = {"hits": 0, **{s: 0 for s in HIT_STATES}, "amount": ZERO, "confirmed_amount": ZERO,
             "dismissed_amount": ZERO}
    by_rule: dict[str, dict[str, Any]] = {code: dict(blank) for code in RULES}
    decided = {"confirmed": 0, "confirmed_amount": ZERO, "dismissed": 0, "dismissed_amount": ZERO}
    for h in data.hits:
        amount = yuan_of(h.get("amount"))
        state = str(h.get("state") or "open")
        if window.contains(_day(h.get("found_at"))):
            row = by_rule.setdefault(str(h["rule"]), dict(blank))
            row["hits"] += 1
            row[state] = row.get(state, 0) + 1
            row["amount"] += amount
            if state in ("confirmed", "dismissed"):
                row[f"{state}_amount"] += amount
        decision = h.get("decision") or {}
        if state in ("confirmed", "dismissed") and window.contains(_day(decision.get("at"))):
            decided[state] += 1
            decided[f"{state}_amount"] += amount
    total = {k: sum((r[k] for r in by_rule.values()), ZERO if isinstance(blank[k], Decimal) else 0)
             for k in blank}
    return {"found": total, "by_rule": by_rule,
            "rule_names": {code: r.term for code, r in RULES.items()}, "decided": decided}


def leads_and_cases(data: KmInputs, window: Window) -> dict[str, Any]:
    """Leads (线索) received and verified in the window; cases (案件) opened and closed, money decided (追回, 罚款) and
    recovered in the window; cases open at its end."""
    received = [x for x in data.leads if window.contains(_day(x.get("received_on")))]
    verified = [x for x in data.leads if window.contains(_day((x.get("verification") or {}).get("verified_on")))]
    opened = [c for c in data.cases if window.contains(_day(c.get("opened_on")))]
    closed = [c for c in data.cases if window.contains(_day((c.get("closing") or {}).get("closed_on")))]
    decisions = [d for c in data.cases for d in c.get("decisions") or [] if window.contains(_day(d.get("decided_on")))]
    recoveries = [r for c in data.cases for r in c.get("recoveries") or []
                  if window.contains(_day(r.get("recovered_on")))]
    open_at_end = [c for c in data.cases if (o := _day(c.get("opened_on"))) is not None and o <= window.end
                   and ((d := _day((c.get("closing") or {}).get("closed_on"))) is None or d > window.end)]
    return {
        "leads": {"received": len(received),
                  "by_source": {s: sum(1 for x in received if x.get("source") == s) for s in LEAD_SOURCES},
                  "verified": len(verified),
                  "substantiated": sum(1 for x in verified if x["verification"].get("outcome") == "substantiated"),
                  "unsubstantiated": sum(1 for x in verified
                                         if x["verification"].get("outcome") == "unsubstantiated")},
        "cases": {"opened": len(opened),
                  "opened_from": dict(sorted(Counter(str(c.get("source") or "") for c in opened).items())),
                  "closed": len(closed),
                  "closed_by_outcome": dict(sorted(Counter(str((c.get("closing") or {}).get("outcome") or "")
                                                           for c in closed).items())),
                  "open_at_end": len(open_at_end),
                  "found_in_opened": sum((yuan_of((c.get("totals") or {}).get("found")) for c in opened), ZERO)},
        "money": {"decided_recover": sum((yuan_of(d.get("amount")) for d in decisions if d.get("kind") == "recover"),
                                         ZERO),
                  "decided_fines": sum((yuan_of(d.get("amount")) for d in decisions if d.get("kind") == "fine"), ZERO),
                  "recoveries": len(recoveries),
                  "recovered": sum((yuan_of(r.get("amount")) for r in recoveries), ZERO)},
        "case_items": [{"case_id": c.get("case_id"), "institution_id": c.get("institution_id"),
                        "source": c.get("source"), "state": c.get("state"), "opened_on": c.get("opened_on"),
                   "closed_on": (c.get("closing") or {}).get("closed_on"),
                   "found": yuan_of((c.get("totals") or {}).get("found")),
                   "recovered": yuan_of((c.get("totals") or {}).get("recovered"))}
                  for c in sorted({id(c): c for c in (*opened, *closed)}.values(),
                                  key=lambda c: (str(c.get("opened_on")), str(c.get("case_id"))))],
    }


def agency_audit_figures(data: KmInputs, window: Window) -> dict[str, Any]:
    """The agency's internal audits (经办机构内部审核) whose written report came out in the window."""
    reported = [a for a in data.agency_audits if window.contains(_day((a.get("report") or {}).get("reported_on")))]
    return {"reported": len(reported),
            "checked": sum(int((a.get("figures") or {}).get("checked") or 0) for a in reported),
            "nonconforming": sum(int((a.get("figures") or {}).get("nonconforming") or 0) for a in reported),
            "amount": sum((yuan_of((a.get("figures") or {}).get("amount")) for a in reported), ZERO),
            "items": [{"audit_id": a.get("audit_id"), "institution_id": a.get("institution_id"),
                       "period_from": a.get("period_from"), "period_to": a.get("period_to"),
                       "checked": int((a.get("figures") or {}).get("checked") or 0),
                       "nonconforming": int((a.get("figures") or {}).get("nonconforming") or 0),
                       "amount": yuan_of((a.get("figures") or {}).get("amount")),
                       "reported_on": (a.get("report") or {}).get("reported_on"),
                       "sha256": (a.get("report") or {}).get("sha256")} for a in reported]}


def credit_figures(data: KmInputs, window: Window) -> dict[str, Any]:
    """The credit evaluations (信用评价) approved for the window's years: the latest revision of each institution's
    year, by grade."""
    years = set(range(window.start.year, window.end.year + 1))
    latest: dict[tuple[str, int], Doc] = {}
    for e in data.evaluations:
        if int(e.get("year") or 0) not in years or e.get("state") != "approved":
            continue
        key = (str(e["institution_id"]), int(e["year"]))
        if key not in latest or int(e.get("revision") or 0) > int(latest[key].get("revision") or 0):
            latest[key] = e
    rows = sorted(latest.values(), key=lambda e: (int(e["year"]), str(e["institution_id"])))
    return {"evaluated": len(rows), "by_grade": dict(sorted(Counter(str(e.get("grade")) for e in rows).items())),
            "items": [{k: e.get(k) for k in ("institution_id", "year", "score", "grade", "grade_name", "revision",
                                             "rules_version")} for e in rows]}


def period_figures(kind: str, window: Window, data: KmInputs, settings: KmSettings, today: date) -> dict[str, Any]:
    """A month's (km_monthly) or the term's (km_term) figures."""
    asof = min(window.end, today)
    figures: dict[str, Any] = {
        "section": "term" if kind == "km_term" else "month", "period": window.label,
        "start": window.start.isoformat(), "end": window.end.isoformat(), "asof": asof.isoformat(),
        "catalogue_version": settings.catalogue_version,
        "coverage": coverage_figures(data, settings, asof),
        "inspections": inspections_figures(data, window),
        "reports": timeliness_figures(data, window, today),
        "findings": reported_findings(data, window, settings),
        "sampling": sampling_figures(data, window, settings),
        "smart_review": review_figures(data, window),
        **leads_and_cases(data, window),
        "agency_audits": agency_audit_figures(data, window),
        "trainings": tally(data.trainings, window.start, window.end, settings.trainings_required,
                           settings.trips_required),
    }
    if kind == "km_term":
        figures["credit"] = credit_figures(data, window)
        figures["materials"] = materials(data.materials)
        figures["requirements"] = requirements(figures, data, settings)
    return figures


def materials(rows: Iterable[Doc]) -> dict[str, Any]:
    """检查情况资料汇总: every inspection's materials, one line each — the dossier, each evidence file, the filed
    report, the report packs produced (chart and workbook), the record samples drawn in it — with its checksum. `rows`:
    {inspection_id, institution_id, institution_kind, method, ended_on, state, dossier, evidence, report, packs,
    samples, cases}."""
    lines: list[dict[str, Any]] = []
    for r in sorted(rows, key=lambda r: (str(r.get("ended_on") or "9999"), str(r["inspection_id"]))):
        head = {"inspection_id": r["inspection_id"], "institution_id": r["institution_id"],
                "institution_kind": r["institution_kind"]}
        if r.get("dossier"):
            d = r["dossier"]
            lines.append({**head, "material": "dossier", "ref": f"{r['inspection_id']}/dossier",
                          "on": d.get("built_on"), "size": None, "sha256": d["sha256"]})
        for e in r.get("evidence") or []:
            lines.append({**head, "material": "evidence", "ref": e["evidence_id"], "on": str(e.get("uploaded_at")
                                                                                              or "")[:10],
                          "size": e.get("size"), "sha256": e["sha256"]})
        if r.get("report"):
            lines.append({**head, "material": "inspection_report", "ref": f"{r['inspection_id']}/report",
                          "on": r["report"].get("reported_on"), "size": None, "sha256": r["report"]["sha256"]})
        for p in r.get("packs") or []:
            for key, f in sorted((p.get("files") or {}).items()):
                lines.append({**head, "material": f"report_pack_{key}", "ref": p["report_id"],
                              "on": p.get("produced_on"), "size": f.get("size"), "sha256": f["sha256"]})
        for s in r.get("samples") or []:
            lines.append({**head, "material": "record_sample_population", "ref": s["sample_id"],
                          "on": str(s.get("completed_at") or s.get("created_at") or "")[:10],
                          "size": s.get("population"), "sha256": s.get("population_sha256")})
    inspections = {r["inspection_id"] for r in rows}
    return {"inspections": len(inspections), "lines": len(lines),
            "by_material": dict(sorted(Counter(x["material"] for x in lines).items())), "items": lines,
            "without_report": sorted(r["inspection_id"] for r in rows if not r.get("report"))}


def requirements(figures: Mapping[str, Any], data: KmInputs, settings: KmSettings) -> list[dict[str, Any]]:
    """The tender's requirements over the term, each with its target, what was done and whether it is met (the
    written report's conclusion)."""
    c, rep, s = figures["coverage"], figures["reports"], figures["sampling"]["by_kind"]
    t = figures["trainings"]
    hospitals = c["by_kind"]["hospital"]["institutions"]
    agencies = c["by_kind"]["agency"]["institutions"]
    sampled = {str(x["institution_id"]) for x in data.samples if x.get("state") == "completed"}
    in_term = term_ids(data, settings)
    hospital_rate = s["hospital"]["problem_rate"]
    designated = in_term["hospital"] | in_term["pharmacy"]
    evaluated = {str(e["institution_id"]) for e in figures["credit"]["items"]} & designated
    trips = t["flight_trips"]["by_region"]

    def row(code: str, text: str, target: str, actual: str, met: bool | None) -> dict[str, Any]:
        return {"code": code, "requirement": text, "target": target, "actual": actual, "met": met}

    return [
        row("coverage", "现场检查率100%（一级医疗机构17家、定点药店143家、经办机构1家）（二(一)1(1)）",
            f"期内机构{c['institutions']}家（招标{c['tender']}家），100%", f"已检查{c['done']}家（{c['rate'] or '-'}）",
            c["met"]),
        row("reports_on_time", "调查报告：医疗机构调查结束后三日内、药店次日（二(一)1(3)）",
            f"应出具{rep['due']}份，全部按时",
            f"按时{rep['on_time']}份，逾期出具{rep['late']}份，逾期未出具{rep['missing']}份",
            rep["late"] == 0 and rep["missing"] == 0),
        row("records_sampled", "检查医院和经办机构抽审病历或手工报销申报材料，不低于2.5%（二(一)4）",
            f"医院{hospitals}家，经办机构{agencies}家",
            f"医院{len(sampled & in_term['hospital'])}家，经办机构{len(sampled & in_term['agency'])}家",
            hospitals + agencies > 0 and in_term["hospital"] <= sampled and in_term["agency"] <= sampled),
        row("problem_rate", "医院抽审问题病历发现率原则上不低于40%（二(一)4）",
            str(settings.problem_rate_expected.quantize(Decimal("0.0001"))), hospital_rate or "-",
            None if hospital_rate is None else Decimal(hospital_rate) >= settings.problem_rate_expected),
        row("trainings", "《医疗保障基金合规使用》线下培训4次，内容涵盖四方面（二(一)1(4)）",
            f"{t['courses']['required']}次，内容4项",
            f"{t['courses']['held']}次，内容{t['courses']['topics_covered']}项",
            t["courses"]["met"] and t["courses"]["all_topics_covered"]),
        row("flight_trips", "外出飞行检查以干代训：疆内4次、疆外2次，每次2名（二(一)3(4)）",
            "，".join(f"{v['name']}{v['required']}次" for v in trips.values()),
            "，".join(f"{v['name']}{v['held']}次" for v in trips.values()), t["flight_trips"]["met"]),
        row("agency_audit", "对经办机构开展内部审核，出具检查报告（二(一)1(5)）", "检查报告1份",
            f"检查报告{figures['agency_audits']['reported']}份", figures["agency_audits"]["reported"] >= 1),
        row("credit", "协助完成定点医药机构信用评价（二(一)1(6)）", f"定点医药机构{len(designated)}家",
            f"已审定{len(evaluated)}家", bool(designated) and evaluated == designated),
    ]
