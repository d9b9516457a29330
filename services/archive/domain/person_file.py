"""How events become entries of a person's file (一人一档). An entry's id derives from the event id,
so filing the same event twice yields the same entries (idempotent)."""

from __future__ import annotations

from typing import Any

from chassis.events import Event


def entries_for(event: Event) -> list[dict[str, Any]]:
    p = event.payload
    at = event.occurred_at.isoformat()
    base = {"tenant": event.tenant, "source_event_id": event.id, "occurred_at": at}
    if event.type == "application.submitted":
        out = [{**base, "_id": f"{event.id}:application", "person_id": p.person_id, "kind": "application",
                "title": f"Application for {p.disease_code} ({p.channel})",
                "attributes": {"application_id": p.application_id, "disease_code": p.disease_code,
                               "channel": p.channel, "person_name": p.person_name, "program": p.program}}]
        out += [{**base, "_id": f"{event.id}:document:{d.document_id}", "person_id": p.person_id,
                 "kind": "document", "title": f"{d.kind}: {d.filename}",
                 "attributes": {"application_id": p.application_id, "document_id": d.document_id,
                                "kind": d.kind, "content_type": d.content_type, "size": str(d.size),
                                "sha256": d.sha256}}
                for d in p.documents]
        return out
    if event.type == "appraisal.concluded":
        return [{**base, "_id": f"{event.id}:conclusion", "person_id": p.person_id, "kind": "conclusion",
                 "title": f"Appraisal {p.outcome} for {p.disease_code}",
                 "attributes": {"case_id": p.case_id, "application_id": p.application_id, "outcome": p.outcome,
                                "reason": p.reason, "opinions": str(len(p.opinions)),
                                "concluded_by": p.concluded_by}}]
    if event.type == "qualification.granted":
        q = p.qualification
        return [{**base, "_id": f"{event.id}:qualification", "person_id": q.person_id, "kind": "qualification",
                 "title": f"Qualification for {q.disease_code} granted",
                 "attributes": {"qualification_id": q.qualification_id, "disease_code": q.disease_code,
                                "granted_on": q.granted_on, "benefit_start": q.benefit_start,
                                "application_id": q.application_id}}]
    return []
