"""How events become entries of a person's file (一人一档): identity, the application and its documents,
complaints, appraisal, qualifications, benefits received and audit records — and long-term care, from the application
to the care given and paid (domain/long_term_care.py, the summary's `long_term_care`). An entry's id derives from
the event id (a document's from the document id), so filing the same event twice yields the same entries
(idempotent). Attribute values are strings: the file travels as `map<string, string>` over gRPC."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from chassis.errors import InvalidInput
from chassis.money import fmt, parse_amount
from services.archive.person_files.domain.long_term_care import LTC_FILED_EVENTS, ltc_entries, ltc_summary

# The events about a person that archive files, and the entry kinds they yield.
FILED_EVENTS = (
    "application.submitted", "application.documents_requested", "application.completed", "application.rejected",
    "complaint.filed", "complaint.resolved", "experts.assigned", "appraisal.concluded", "qualification.granted",
    "qualification.filed", "qualification.revoked", "qualification.review_due", "qualification.renewed",
    "benefits.settled", "finding.raised",
)
KINDS = ("application", "document", "documents_requested", "application_completed", "application_rejected",
         "complaint", "complaint_resolved", "experts_assigned", "conclusion", "qualification", "qualification_filed",
         "qualification_revoked", "review_due", "qualification_renewed", "benefits", "finding")


def _flag(value: bool) -> str:
    return "true" if value else "false"


class FiledEvent(Protocol):
    """What an event carries for filing (chassis.events.Event): its type, payload, tenant, id and time."""

    type: str
    payload: Any
    tenant: str
    id: str
    occurred_at: datetime
    envelope: Any


def _documents(event: FiledEvent, person_id: str, application_id: str, documents: Iterable[Any],
               base: dict[str, Any]) -> list[dict[str, Any]]:
    # Keyed by the document: the same upload named again by application.completed is filed once.
    return [{**base, "_id": f"document:{d.document_id}", "person_id": person_id, "kind": "document",
             "title": f"{d.kind}: {d.filename}",
             "attributes": {"application_id": application_id, "document_id": d.document_id, "kind": d.kind,
                            "filename": d.filename, "content_type": d.content_type, "size": str(d.size),
                            "sha256": d.sha256}}
            for d in documents]


def _qualification_attrs(q: Any) -> dict[str, str]:
    return {"qualification_id": q.qualification_id, "disease_code": q.disease_code, "granted_on": q.granted_on,
            "benefit_start": q.benefit_start, "application_id": q.application_id, "case_id": q.case_id,
            "review_due": q.review_due, "policy_version": q.policy_version}


def entries_for(event: FiledEvent) -> list[dict[str, Any]]:
    p, t = event.payload, event.type
    at = event.occurred_at.isoformat()
    key = event.envelope.business_key
    base = {"tenant": event.tenant, "source_event_id": event.id, "occurred_at": at}

    def one(suffix: str, person_id: str, kind: str, title: str, attributes: dict[str, str]) -> list[dict[str, Any]]:
        return [{**base, "_id": f"{event.id}:{suffix}", "person_id": person_id or key, "kind": kind, "title": title,
                 "attributes": attributes}]

    if t == "application.submitted":
        out = one("application", p.person_id, "application", f"Application for {p.disease_code} ({p.channel})",
                  {"application_id": p.application_id, "disease_code": p.disease_code, "channel": p.channel,
                   "person_name": p.person_name, "program": p.program, "submitted_at": p.submitted_at,
                   "treating_hospital": p.treating_hospital, "district": p.district,
                   "district_name": p.district_name})
        return out + _documents(event, p.person_id or key, p.application_id, p.documents, base)
    if t == "application.documents_requested":
        return one("documents_requested", p.person_id, "documents_requested",
                   f"Documents requested: {', '.join(p.missing) or '-'}",
                   {"application_id": p.application_id, "missing": ",".join(p.missing), "note": p.note,
                    "requested_at": p.requested_at})
    if t == "application.completed":
        out = one("application_completed", p.person_id, "application_completed",
                  f"Application for {p.disease_code} complete (preliminary review passed)",
                  {"application_id": p.application_id, "disease_code": p.disease_code, "person_name": p.person_name,
                   "program": p.program, "treating_hospital": p.treating_hospital, "completed_at": p.completed_at,
                   "completed_on": p.completed_on, "psn_no": p.psn_no, "insuplc_admdvs": p.insuplc_admdvs})
        return out + _documents(event, p.person_id or key, p.application_id, p.documents, base)
    if t == "application.rejected":
        return one("application_rejected", p.person_id, "application_rejected", f"Application rejected: {p.reason}",
                   {"application_id": p.application_id, "reason": p.reason, "rejected_at": p.rejected_at})
    if t in ("complaint.filed", "complaint.resolved") and not p.person_id:
        return []  # an anonymous tip (举报) belongs to no person's file (its business key is the complaint)
    if t == "complaint.filed":
        return one("complaint", p.person_id, "complaint", f"{p.kind.capitalize() or 'Complaint'}: {p.subject}",
                   {"complaint_id": p.complaint_id, "complaint_kind": p.kind, "subject": p.subject,
                    "filed_at": p.filed_at, "due_on": p.due_on})
    if t == "complaint.resolved":
        return one("complaint_resolved", p.person_id, "complaint_resolved", f"Resolved: {p.resolution}",
                   {"complaint_id": p.complaint_id, "resolution": p.resolution, "resolved_at": p.resolved_at,
                    "overdue": _flag(p.overdue)})
    if t == "experts.assigned":
        return one("experts_assigned", p.person_id, "experts_assigned",
                   f"{len(p.expert_ids)} experts drawn from {len(p.candidates)} candidates",
                   {"case_id": p.case_id, "application_id": p.application_id, "expert_ids": ",".join(p.expert_ids),
                    "candidates": ",".join(p.candidates), "draw_seed": p.draw_seed, "assigned_at": p.assigned_at,
                    "due_on": p.due_on})
    if t == "appraisal.concluded":
        return one("conclusion", p.person_id, "conclusion", f"Appraisal {p.outcome} for {p.disease_code}",
                   {"case_id": p.case_id, "application_id": p.application_id, "disease_code": p.disease_code,
                    "outcome": p.outcome, "reason": p.reason, "opinions": str(len(p.opinions)),
                    "concluded_by": p.concluded_by, "concluded_at": p.concluded_at, "overdue": _flag(p.overdue),
                    "appraisal_kind": p.kind or "initial", "qualification_id": p.qualification_id})
    if t == "qualification.granted":
        q = p.qualification
        return one("qualification", q.person_id, "qualification", f"Qualification for {q.disease_code} granted",
                   _qualification_attrs(q))
    if t == "qualification.filed":
        q = p.qualification
        return one("qualification_filed", q.person_id, "qualification_filed",
                   f"Qualification for {q.disease_code} filed with the provincial platform",
                   {**_qualification_attrs(q), "filing_serial": p.filing_serial, "filed_at": p.filed_at})
    if t == "qualification.revoked":
        q = p.qualification
        return one("qualification_revoked", q.person_id, "qualification_revoked",
                   f"Qualification for {q.disease_code} revoked: {p.reason}",
                   {**_qualification_attrs(q), "reason": p.reason, "revoked_on": p.revoked_on})
    if t == "qualification.review_due":
        q = p.qualification
        return one("review_due", q.person_id, "review_due", f"Re-review of {q.disease_code} due {p.due_on}",
                   {**_qualification_attrs(q), "due_on": p.due_on})
    if t == "qualification.renewed":
        q = p.qualification
        return one("qualification_renewed", q.person_id, "qualification_renewed",
                   f"Re-review of {q.disease_code} passed: benefits continue, next re-review {q.review_due or '-'}",
                   {**_qualification_attrs(q), "previous_review_due": p.previous_review_due,
                    "renewed_on": p.renewed_on, "review_case_id": p.review_case_id,
                    "review_application_id": p.application_id})
    if t == "benefits.settled":
        return one("benefits", p.person_id, "benefits",
                   f"Benefits for {p.month} at {p.institution_code}: {p.payable or '0.00'}",
                   {"institution_code": p.institution_code, "month": p.month, "claimed": p.claimed or "0.00",
                    "payable": p.payable or "0.00", "lines": str(p.lines), "policy_version": p.policy_version,
                    "statement_id": p.statement_id})
    if t == "finding.raised":
        return one("finding", p.person_id, "finding", f"Audit finding ({p.kind}): {p.description}",
                   {"finding_id": p.finding_id, "finding_kind": p.kind, "description": p.description,
                    "amount": p.amount or "0.00", "raised_at": p.raised_at})
    if t in LTC_FILED_EVENTS:  # long-term care (长期护理保险): domain/long_term_care.py
        out = ltc_entries(event)
        if t.startswith("care_application."):  # its documents, each filed once (ID card, medical records …)
            out += _documents(event, p.person_id or key, p.application_id, p.documents, base)
        return out
    return []


def _carried_amount(text: str) -> Decimal:
    """An amount as an event carried it (already checked by its publisher); anything unreadable counts as 0."""
    try:
        return parse_amount(text or "0")
    except InvalidInput:
        return Decimal(0)


def entry_view(e: Mapping[str, Any]) -> dict[str, Any]:
    return {"entry_id": e["_id"], "kind": e["kind"], "title": e["title"], "occurred_at": e["occurred_at"],
            "attributes": e["attributes"], "source_event_id": e["source_event_id"]}


def file_view(person_id: str, entries: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The person's file as answered: the summary, the entries grouped by kind, and all of them in order."""
    return {"person_id": person_id, "summary": summarize(person_id, entries),
            "groups": group_by_kind(entries, entry_view), "entries": [entry_view(e) for e in entries]}


def group_by_kind(entries: Iterable[Mapping[str, Any]], view: Any) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        groups.setdefault(e["kind"], []).append(view(e))
    return groups


def summarize(person_id: str, entries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Identity (from the latest application, with the handling district 所属经办区 where the program asks for it),
    each qualification's standing with its re-review history (复审: each re-review case, its outcome and, when
    passed, the review date it moved on to), benefits received in total."""
    ordered = sorted(entries, key=lambda e: (e["occurred_at"], e["_id"] if "_id" in e else e.get("entry_id", "")))
    identity: dict[str, str] = {"person_id": person_id, "person_name": "", "psn_no": "", "insuplc_admdvs": "",
                                "district": "", "district_name": ""}
    quals: dict[str, dict[str, Any]] = {}
    claimed = payable = Decimal(0)
    settlements, counts, documents = 0, {}, {}

    def held(a: Mapping[str, str]) -> dict[str, Any]:
        return quals.setdefault(a.get("qualification_id", ""), {
            "qualification_id": a.get("qualification_id", ""), "disease_code": a.get("disease_code", ""),
            "status": "active", "granted_on": "", "benefit_start": "", "filing_serial": "", "revoked_on": "",
            "review_due": "", "reviews": []})

    def review(q: dict[str, Any], case_id: str) -> dict[str, str]:
        found = next((r for r in q["reviews"] if r["review_case_id"] == case_id), None)
        if found is None:
            found = {"review_case_id": case_id, "outcome": "", "concluded_at": "", "reason": "", "renewed_on": "",
                     "previous_review_due": "", "review_due": ""}
            q["reviews"].append(found)
        return found

    for e in ordered:
        a, kind = e["attributes"], e["kind"]
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "document":  # application form, medical records, ID and insurance cards (RULES A, archive)
            documents[a.get("kind", "other")] = documents.get(a.get("kind", "other"), 0) + 1
        if kind in ("application", "application_completed"):
            for field in ("person_name", "psn_no", "insuplc_admdvs", "district", "district_name"):
                if a.get(field):
                    identity[field] = a[field]
        elif kind == "conclusion" and a.get("appraisal_kind") == "review" and a.get("qualification_id"):
            r = review(held(a), a.get("case_id", ""))
            r.update({"outcome": a.get("outcome", ""), "concluded_at": a.get("concluded_at", ""),
                      "reason": a.get("reason", "")})
        elif kind.startswith("qualification") or kind == "review_due":
            q = held(a)
            for field in ("disease_code", "granted_on", "benefit_start", "review_due"):
                if a.get(field):
                    q[field] = a[field]
            if kind == "qualification_filed":
                q["filing_serial"] = a.get("filing_serial", "")
            elif kind == "qualification_revoked":
                q["status"], q["revoked_on"] = "revoked", a.get("revoked_on", "")
            elif kind == "review_due":
                q["review_due"] = a.get("due_on", q["review_due"])
            elif kind == "qualification_renewed":  # a passed re-review: benefits go on to the new review date
                r = review(q, a.get("review_case_id", ""))
                r.update({"outcome": r["outcome"] or "continue", "renewed_on": a.get("renewed_on", ""),
                          "previous_review_due": a.get("previous_review_due", ""),
                          "review_due": a.get("review_due", "")})
        elif kind == "benefits":
            claimed += _carried_amount(a.get("claimed", ""))
            payable += _carried_amount(a.get("payable", ""))
            settlements += 1
    summary = {"identity": identity,
               "qualifications": sorted(quals.values(), key=lambda q: (q["granted_on"], q["qualification_id"])),
               "benefits_received": {"claimed": fmt(claimed), "payable": fmt(payable), "settlements": settlements},
               "documents": dict(sorted(documents.items())), "counts": dict(sorted(counts.items()))}
    ltc = ltc_summary(ordered)  # a section only in the files of persons with long-term care entries
    if ltc is not None:
        summary["long_term_care"] = ltc
    return summary
