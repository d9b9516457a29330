"""Long-term care in a person's file (一人一档, 长期护理保险, Wenzhou): every step of the care chain about a person
becomes entries of their file, and the file's summary gains a `long_term_care` section.

| event | entry kind | one entry per |
|---|---|---|
| care_application.submitted / documents_requested / accepted / rejected | care_application | state, with reasons |
| disability.assessment_opened | disability_assessment | assessment round (the two assessors drawn) |
| disability.concluded | disability_conclusion | conclusion (grade, levels, scale version, eligible, re-check due) |
| disability.objected | disability_objection | objection (异议) and its re-assessment |
| disability.recheck_due | disability_recheck_due | re-check (待遇资格审查) falling due |
| care_plan.approved | care_plan | plan (护理计划) or family-care agreement |
| care_services.recorded | care_services | person and MONTH: a tally of records and items |
| care_statement.paid | care_statement | statement paid, for each person it pays for |
| patrol.completed | patrol | patrol, for each person whose care it checked (sampled) |
| status_survey.recorded | status_survey | yearly status survey (失能人员基本状态调查) |

Care service records come by the million a month (30,000 persons, ~33 records each): filing one entry per record
would drown the file. Each upload instead adds, per person, to the person's month entry (`care_month_tallies`): the
records, each item's count and each institution's, the uploads that made them (an upload is counted once: refiling
the same event changes nothing). The store keeps the tally beside the entry and shows it as the entry's attributes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

LTC_FILED_EVENTS = (
    "care_application.submitted", "care_application.documents_requested", "care_application.accepted",
    "care_application.rejected", "disability.assessment_opened", "disability.concluded", "disability.objected",
    "disability.recheck_due", "care_plan.approved", "care_services.recorded", "care_statement.paid",
    "patrol.completed", "status_survey.recorded",
)
LTC_KINDS = ("care_application", "disability_assessment", "disability_conclusion", "disability_objection",
             "disability_recheck_due", "care_plan", "care_services", "care_statement", "patrol", "status_survey")
CARE_SERVICES = "care_services"
TALLIED_EVENT = "care_services.recorded"

_APPLICATION_STATES = {"submitted": "submitted", "documents_requested": "documents requested",
                       "accepted": "accepted (screening passed)", "rejected": "rejected"}


class LtcEvent(Protocol):
    """What an event carries for filing (chassis.events.Event): its type, payload, tenant, id and time."""

    type: str
    payload: Any
    tenant: str
    id: str
    occurred_at: datetime


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _joined(values: Iterable[str]) -> str:
    return ",".join(values)


def ltc_entries(event: LtcEvent) -> list[dict[str, Any]]:
    """The entries of a long-term care event (all but care_services.recorded, which is tallied: care_month_tallies).
    Attribute values are strings, as every entry's."""
    p, t = event.payload, event.type
    base = {"tenant": event.tenant, "source_event_id": event.id, "occurred_at": event.occurred_at.isoformat()}

    def entry(suffix: str, person_id: str, kind: str, title: str, attributes: dict[str, str]) -> dict[str, Any]:
        return {**base, "_id": f"{event.id}:{suffix}", "person_id": person_id, "kind": kind, "title": title,
                "attributes": attributes}

    if t.startswith("care_application."):
        state = t.split(".", 1)[1]
        reasons = _joined(p.reasons)
        title = f"Care application {_APPLICATION_STATES.get(state, state)}" + (f": {reasons}" if reasons else "")
        return [entry("care_application", p.person_id, "care_application", title, {
            "application_id": p.application_id, "status": p.status or state, "lot": p.lot, "district": p.district,
            "city_level": _flag(p.city_level), "channel": p.channel, "basis": p.basis,
            "care_institution_id": p.care_institution_id, "insutype": p.insutype, "reasons": reasons,
            "missing": _joined(p.missing), "disabled_since": p.disabled_since, "applied_on": p.applied_on,
            "at": p.occurred_at})]
    if t == "disability.assessment_opened":
        return [entry("disability_assessment", p.person_id, "disability_assessment",
                      f"Disability assessment round {p.round or 1} ({p.kind or 'initial'}): "
                      f"{len(p.assessors)} assessors drawn",
                      {"assessment_id": p.assessment_id, "application_id": p.application_id,
                       "assessors": _joined(p.assessors), "seed": p.seed, "round": str(p.round or 1),
                       "assessment_kind": p.kind or "initial", "opened_at": p.opened_at})]
    if t == "disability.concluded":
        return [entry("disability_conclusion", p.person_id, "disability_conclusion",
                      f"Disability grade {p.grade} {p.grade_name}: " + ("eligible" if p.eligible else "not eligible"),
                      {"assessment_id": p.assessment_id, "application_id": p.application_id, "grade": str(p.grade),
                       "grade_name": p.grade_name, "adl_level": str(p.adl_level),
                       "cognition_level": str(p.cognition_level), "perception_level": str(p.perception_level),
                       "eligible": _flag(p.eligible), "scale_version": p.scale_version,
                       "reasons": _joined(p.reasons), "concluded_at": p.concluded_at, "recheck_due": p.recheck_due,
                       "round": str(p.round or 1), "assessors": _joined(p.assessors), "lot": p.lot,
                       "city_level": _flag(p.city_level), "assessment_kind": p.kind or "initial",
                       "assessment_fee": p.assessment_fee})]
    if t == "disability.objected":
        return [entry("disability_objection", p.person_id, "disability_objection",
                      f"Objection to the disability conclusion: {p.reason}",
                      {"assessment_id": p.assessment_id, "reason": p.reason, "objected_at": p.objected_at,
                       "reassessment_id": p.reassessment_id})]
    if t == "disability.recheck_due":
        return [entry("disability_recheck_due", p.person_id, "disability_recheck_due",
                      f"Eligibility re-check due {p.due_on}", {"assessment_id": p.assessment_id, "due_on": p.due_on})]
    if t == "care_plan.approved":
        items = _joined(f"{i.code}:{i.per_month}" for i in p.items)
        planned = ", ".join(f"{i.code}×{i.per_month}/month" for i in p.items) or "-"
        return [entry("care_plan", p.person_id, "care_plan", f"Care plan ({p.mode}) approved: {planned}",
                      {"plan_id": p.plan_id, "institution_id": p.institution_id, "mode": p.mode,
                       "grade": str(p.grade), "items": items, "valid_from": p.valid_from, "valid_to": p.valid_to,
                       "catalogue_version": p.catalogue_version})]
    if t == "care_statement.paid":
        # One entry per person the statement pays for; keyed by their place in the list, never by their number.
        return [entry(f"care_statement:{n}", person, "care_statement",
                      f"Care statement {p.month} at {p.institution_id} paid",
                      {"statement_id": p.statement_id, "institution_id": p.institution_id, "month": p.month,
                       "statement_amount": p.amount, "statement_records": str(p.records),
                       "statement_persons": str(p.persons), "benefits_version": p.benefits_version,
                       "paid_at": p.paid_at})
                for n, person in enumerate(dict.fromkeys(p.person_ids)) if person]
    if t == "patrol.completed":
        return [entry(f"patrol:{n}", person, "patrol", f"Supervision patrol {p.quarter}: care checked (sampled)",
                      {"patrol_id": p.patrol_id, "quarter": p.quarter, "sampled": "true",
                       "institution_ids": _joined(p.institution_ids), "inspectors": _joined(p.inspectors),
                       "findings": _joined(p.findings), "date": p.date, "completed_at": p.completed_at})
                for n, person in enumerate(dict.fromkeys(p.person_ids)) if person]
    if t == "status_survey.recorded":
        return [entry("status_survey", p.person_id, "status_survey", f"Status survey {p.year}: {p.status}",
                      {"survey_id": p.survey_id, "year": str(p.year), "status": p.status,
                       "surveyed_on": p.surveyed_on})]
    return []


# ---- the month tally of care service records -----------------------------------------------------------------

def field_key(value: str) -> str:
    """A code as a key of the stored tally: no dots (paths) and no leading `$` (operators)."""
    key = (value or "-").replace(".", "\uff0e")
    return "\uff04" + key[1:] if key.startswith("$") else key


def care_month_tallies(event: LtcEvent) -> list[dict[str, Any]]:
    """An upload of care service records as, per person and month, what it adds to their month entry: records, each
    item's count, each institution's. `batch` is the event: an upload adds to a month once."""
    p = event.payload
    tallies: dict[tuple[str, str], dict[str, Any]] = {}
    for r in p.records:
        month = (r.date or "")[:7] or p.month
        t = tallies.setdefault((r.person_id, month), {
            "person_id": r.person_id, "month": month, "records": 0, "items": {}, "institutions": {},
            "batch": event.id, "tenant": event.tenant, "occurred_at": event.occurred_at.isoformat()})
        t["records"] += 1
        for item in r.items:
            t["items"][field_key(item)] = t["items"].get(field_key(item), 0) + 1
        inst = field_key(p.institution_id)
        t["institutions"][inst] = t["institutions"].get(inst, 0) + 1
    return [t for t in tallies.values() if t["person_id"]]


def care_month_entry(entry_id: str, tally: Mapping[str, Any]) -> dict[str, Any]:
    """A person's month entry as first filed, holding the first upload's tally."""
    return {"_id": entry_id, "person_id": tally["person_id"], "kind": CARE_SERVICES,
            "title": f"Care services {tally['month']}", "attributes": {"month": tally["month"]},
            "tenant": tally["tenant"], "source_event_id": tally["batch"], "occurred_at": tally["occurred_at"],
            "month": tally["month"], "tally": {"records": tally["records"], "items": dict(tally["items"]),
                                               "institutions": dict(tally["institutions"]),
                                               "batches": [tally["batch"]], "last_at": tally["occurred_at"]}}


def care_month_increment(tally: Mapping[str, Any]) -> dict[str, Any]:
    """What an upload adds to an existing month entry (the `$inc` of its counters)."""
    inc = {"tally.records": tally["records"]}
    inc.update({f"tally.items.{k}": v for k, v in tally["items"].items()})
    inc.update({f"tally.institutions.{k}": v for k, v in tally["institutions"].items()})
    return inc


def _counts(counts: Mapping[str, Any]) -> str:
    return _joined(f"{k}:{counts[k]}" for k in sorted(counts))


def shown(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry as the file shows it: a month tally becomes the entry's title and attributes."""
    tally = entry.get("tally")
    if not isinstance(tally, Mapping):
        return entry
    month = entry.get("month") or entry.get("attributes", {}).get("month", "")
    items, institutions = dict(tally.get("items") or {}), dict(tally.get("institutions") or {})
    out = {k: v for k, v in entry.items() if k not in ("tally", "month")}
    out["title"] = f"Care services {month}: {tally.get('records', 0)} records ({_counts(items) or '-'})"
    out["attributes"] = {"month": month, "records": str(tally.get("records", 0)), "items": _counts(items),
                         "institutions": _counts(institutions), "uploads": str(len(tally.get("batches") or [])),
                         "last_recorded_at": str(tally.get("last_at") or "")}
    return out


# ---- the summary's section ----------------------------------------------------------------------------------

def _split(text: str) -> list[str]:
    return [part for part in (text or "").split(",") if part]


def _items(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in _split(text):
        code, _, n = part.rpartition(":")
        if code and n.isdigit():
            out[code] = int(n)
    return out


def ltc_summary(entries: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The file's long-term care section (None for a person with no long-term care entry): the application's state,
    each assessment (drawn, concluded, objected) with its grade, the current grade and eligibility and the next
    re-check, care plans, each month's care services, statements paid, patrols that checked the person's care and the
    status surveys."""
    ordered = sorted((e for e in entries if e["kind"] in LTC_KINDS),
                     key=lambda e: (e["occurred_at"], e.get("_id", e.get("entry_id", ""))))
    if not ordered:
        return None
    applications: dict[str, dict[str, Any]] = {}
    assessments: dict[str, dict[str, Any]] = {}
    section: dict[str, Any] = {"application": None, "assessments": [], "grade": None, "grade_name": "",
                               "eligible": None, "scale_version": "", "recheck_due": "", "care_plans": [],
                               "care_services": [], "care_statements": [], "patrols": [], "status_surveys": []}

    def assessment(a: Mapping[str, str]) -> dict[str, Any]:
        return assessments.setdefault(a.get("assessment_id", ""), {
            "assessment_id": a.get("assessment_id", ""), "round": 0, "kind": "", "assessors": [], "opened_at": "",
            "concluded_at": "", "grade": None, "grade_name": "", "levels": None, "scale_version": "",
            "eligible": None, "recheck_due": "", "objection": None})

    for e in ordered:
        a, kind = e["attributes"], e["kind"]
        if kind == "care_application":
            app = applications.setdefault(a.get("application_id", ""), {"application_id": a.get("application_id", "")})
            app.update({"status": a.get("status", ""), "lot": a.get("lot", ""), "district": a.get("district", ""),
                        "city_level": a.get("city_level") == "true", "channel": a.get("channel", ""),
                        "basis": a.get("basis", ""), "reasons": _split(a.get("reasons", "")),
                        "missing": _split(a.get("missing", ""))})
            for field in ("disabled_since", "applied_on"):
                if a.get(field):
                    app[field] = a[field]
            app.setdefault("history", []).append({"status": a.get("status", ""), "at": e["occurred_at"],
                                                  "reasons": _split(a.get("reasons", ""))})
            section["application"] = app
        elif kind == "disability_assessment":
            s = assessment(a)
            s.update({"round": int(a.get("round") or 1), "kind": a.get("assessment_kind", ""),
                      "assessors": _split(a.get("assessors", "")), "opened_at": a.get("opened_at", "")})
        elif kind == "disability_conclusion":
            s = assessment(a)
            levels = {"adl": int(a.get("adl_level") or 0), "cognition": int(a.get("cognition_level") or 0),
                      "perception": int(a.get("perception_level") or 0)}
            s.update({"round": int(a.get("round") or s["round"] or 1), "kind": a.get("assessment_kind") or s["kind"],
                      "assessors": _split(a.get("assessors", "")) or s["assessors"],
                      "concluded_at": a.get("concluded_at", ""), "grade": int(a.get("grade") or 0),
                      "grade_name": a.get("grade_name", ""), "levels": levels,
                      "scale_version": a.get("scale_version", ""), "eligible": a.get("eligible") == "true",
                      "recheck_due": a.get("recheck_due", ""), "reasons": _split(a.get("reasons", ""))})
            section.update({"grade": s["grade"], "grade_name": s["grade_name"], "eligible": s["eligible"],
                            "scale_version": s["scale_version"], "recheck_due": s["recheck_due"]})
        elif kind == "disability_objection":
            assessment(a)["objection"] = {"reason": a.get("reason", ""), "objected_at": a.get("objected_at", ""),
                                          "reassessment_id": a.get("reassessment_id", "")}
        elif kind == "disability_recheck_due":
            section["recheck_due"] = a.get("due_on", section["recheck_due"])
        elif kind == "care_plan":
            section["care_plans"].append({"plan_id": a.get("plan_id", ""), "mode": a.get("mode", ""),
                                          "institution_id": a.get("institution_id", ""),
                                          "grade": int(a.get("grade") or 0), "items": _items(a.get("items", "")),
                                          "valid_from": a.get("valid_from", ""), "valid_to": a.get("valid_to", "")})
        elif kind == "care_services":
            section["care_services"].append({"month": a.get("month", ""), "records": int(a.get("records") or 0),
                                             "items": _items(a.get("items", "")),
                                             "institutions": _items(a.get("institutions", ""))})
        elif kind == "care_statement":
            section["care_statements"].append({"statement_id": a.get("statement_id", ""),
                                               "institution_id": a.get("institution_id", ""),
                                               "month": a.get("month", ""), "paid_at": a.get("paid_at", ""),
                                               "benefits_version": a.get("benefits_version", "")})
        elif kind == "patrol":
            section["patrols"].append({"patrol_id": a.get("patrol_id", ""), "quarter": a.get("quarter", ""),
                                       "date": a.get("date", ""), "sampled": True,
                                       "findings": _split(a.get("findings", "")),
                                       "completed_at": a.get("completed_at", "")})
        elif kind == "status_survey":
            section["status_surveys"].append({"survey_id": a.get("survey_id", ""), "year": int(a.get("year") or 0),
                                              "status": a.get("status", ""), "surveyed_on": a.get("surveyed_on", "")})
    section["applications"] = list(applications.values())
    section["assessments"] = sorted(assessments.values(), key=lambda s: (s["round"], s["opened_at"] or
                                                                         s["concluded_at"]))
    section["care_services"].sort(key=lambda m: m["month"])
    return section
