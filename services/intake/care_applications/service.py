"""The long-term care applications' use cases (长护险申请受理, 初步筛查): file an application with its documents in the
person's lot, the clerk's screening against the eligibility preconditions and the missing-documents loop (补充材料),
the screening's working-day clock, the reads (an agency supervisor across its program's lots), a document's bytes
(the clerk, the applicant, the two assessors drawn; each read recorded), and what appraisal's assessment shows on
the timeline. Called by the doors (api.py, handlers.py); the rules are in domain/, the collections in store.py."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from chassis.access import Access, record_access
from chassis.calendar import Deadline, stored_deadline, today_cn, working_days_after
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.events import Event, new_event
from chassis.programs import Program, load_program, program_of_tenant
from chassis.reasons import Reason, as_json
from chassis.scope import TenantScope
from chassis.telemetry import current_carrier
from contracts.v1 import common_pb2, events_pb2
from services.intake.care_applications.domain.filing import (
    Filing,
    Uploaded,
    birth_date,
    check_filing,
    check_upload,
    lot_of_person,
    required_documents,
)
from services.intake.care_applications.domain.screening import (
    ASSESSMENT_EVENTS,
    OPEN,
    SCREENING_EVENTS,
    STATUS_LABELS,
    TAKES_DOCUMENTS,
    Decision,
    Facts,
    assessment_event,
    assessment_note,
    decide,
    overdue,
    preconditions,
    timeline_entry,
)
from services.intake.care_applications.store import CareApplicationStore
from services.intake.lots.domain.routing import Lots, load_lots
from services.intake.notifications.service import Notifier

__all__ = ["ASSESSMENT_EVENTS", "CareApplications", "Notifier", "Part", "note_assessment_event", "serves"]

# A file field of a multipart upload as the door read it: (field name = document kind, filename, content type, bytes).
Part = tuple[str, str, str, bytes]
SERVICE = "intake"
PROGRAM = "wz-ltc"
DOC_KEYS = ("document_id", "kind", "filename", "content_type", "size", "sha256")
STAFF = frozenset({"clerk", "reviewer", "supervisor", "ops"})
CLOCK = "screening_due"  # the stored deadline's prefix: screening_due_on, _provisional, _calendar


def _now() -> str:
    return datetime.now(UTC).isoformat()


def serves(tenant: str) -> Program:
    """Long-term care work exists only for the carriers of the long-term care program; elsewhere it is 404."""
    program = program_of_tenant(tenant)
    if program is None or program.code != PROGRAM:
        raise NotFound("long-term care insurance is not run by this tenant")
    return program


@cache
def _lots(program: str) -> Lots:
    """The program's lot table (programs/<program>/lots.yaml), read once: it ships with the release."""
    return load_lots(program)


def _members(program: Program) -> frozenset[str]:
    """The insurance types the program covers (参保对象): program.yaml `ltc.insutypes`."""
    return frozenset(str(v) for v in (program.setting("ltc", "insutypes") or {}).values())


def _clock(program: Program, complete_on: date) -> dict[str, Any]:
    """The screening's deadline: `intake.screening_working_days` working days after the day the application became
    complete (its last needed document in)."""
    days = int(program.setting("intake", "screening_working_days", 5))
    return {"complete_on": complete_on.isoformat(), **working_days_after(complete_on, days).stored(CLOCK)}


def _no_clock() -> dict[str, Any]:
    return {"complete_on": None, f"{CLOCK}_on": None, f"{CLOCK}_provisional": None, f"{CLOCK}_calendar": None}


def _deadline(app: dict[str, Any]) -> Deadline | None:
    """The stored screening deadline (a provisional one worked out again on the calendar as it is now)."""

    def recompute() -> Deadline:
        days = int(load_program(app.get("program") or PROGRAM).setting("intake", "screening_working_days", 5))
        return working_days_after(date.fromisoformat(app["complete_on"]), days)

    return stored_deadline(app, recompute, CLOCK)


def view(app: dict[str, Any], tenant: str, role: str, today: date) -> dict[str, Any]:
    """What a reader sees of an application: the filing, the lot, the documents, the screening clock (due_on,
    overdue), the screening and the assessment; the assessors' ids only to staff."""
    deadline = _deadline(app)
    due = deadline.due if deadline else None
    born = birth_date(app["person_id"])
    return {
        "application_id": app["_id"], "tenant": tenant, "program": app.get("program", PROGRAM),
        "person_id": app["person_id"], "birth_date": born.isoformat(), "phone": app.get("phone"),
        "district": app["district"], "lot": app["lot"], "city_level": app["city_level"],
        "routing": app.get("routing"), "channel": app["channel"], "agent": app.get("agent"),
        "basis": app["basis"], "insutype": app["insutype"], "disabled_since": app.get("disabled_since"),
        "care_institution_id": app.get("care_institution_id") or None, "applied_on": app["applied_on"],
        "submitted_at": app["submitted_at"], "status": app["status"],
        "status_label": STATUS_LABELS.get(app["status"], app["status"]), "filed_by": app.get("filed_by"),
        "required_documents": app.get("required", []), "missing": app.get("missing", []),
        "documents": [{k: d[k] for k in DOC_KEYS} for d in app.get("documents", [])],
        "complete_on": app.get("complete_on"), "due_on": due.isoformat() if due else None,
        "deadline": deadline.as_json() if deadline else None,
        "overdue": overdue(due, app["status"], app.get("missing", []), today),
        "screenings": app.get("screenings", []),
        **({"reason_codes": app["reason_codes"]} if app.get("reason_codes") else {}),
        **({"assessment": app["assessment"]} if app.get("assessment") else {}),
        **({"assessors": app.get("assessors", [])} if role in STAFF else {}),
        "timeline": app.get("timeline", []),
    }


def _visible(app: dict[str, Any] | None, scope: TenantScope, what: str) -> dict[str, Any]:
    if app is None or (scope.role == "applicant" and app["person_id"] != scope.subject):
        raise NotFound(f"{what} not found")
    return app


def _refs(app: dict[str, Any]) -> list[common_pb2.DocumentRef]:
    return [common_pb2.DocumentRef(**{k: d[k] for k in DOC_KEYS}) for d in app.get("documents", [])]


def _event(event_type: str, tenant: str, app: dict[str, Any], status: str, reasons: Sequence[Reason],
           missing: Sequence[str], at: str) -> dict[str, Any]:
    """A care_application.* event (CareApplicationChanged) of the application as it is after the change; the
    business key is the person."""
    payload = events_pb2.CareApplicationChanged(
        application_id=app["_id"], person_id=app["person_id"], status=status, lot=app["lot"],
        district=app["district"], city_level=app["city_level"], channel=app["channel"], basis=app["basis"],
        care_institution_id=app.get("care_institution_id") or "", insutype=app["insutype"],
        reasons=[r.code for r in reasons], occurred_at=at, missing=list(missing),
        disabled_since=app.get("disabled_since") or "", applied_on=app["applied_on"], documents=_refs(app))
    return new_event(event_type, tenant, app["person_id"], payload, source=SERVICE,
                     trace_context=app.get("trace_context") or {})


async def _uploads(parts: AsyncIterator[Part], max_bytes: int) -> list[tuple[Uploaded, bytes]]:
    """The documents of an upload, each checked before anything is stored (kind, type, size, the bytes' type)."""
    uploads: list[tuple[Uploaded, bytes]] = []
    async for kind, filename, content_type, content in parts:
        doc = Uploaded(kind, filename, content_type, len(content))
        check_upload(doc, content[:16], max_bytes)
        uploads.append((doc, content))
    return uploads


def _blobs(application_id: str, uploads: list[tuple[Uploaded, bytes]]) -> tuple[list[dict], list[dict]]:
    """The documents' references (on the application) and their bytes (in care_documents), with size and sha256."""
    refs, blobs = [], []
    for doc, content in uploads:
        ref = {"document_id": str(uuid.uuid4()), "kind": doc.kind, "filename": doc.filename,
               "content_type": doc.content_type, "size": doc.size, "sha256": hashlib.sha256(content).hexdigest()}
        refs.append(ref)
        blobs.append({"_id": ref["document_id"], "application_id": application_id, "content": content, **ref})
    return refs, blobs


def _contact(app: dict[str, Any]) -> str | None:
    """Where the person is told: their phone, else their agent's."""
    return app.get("phone") or (app.get("agent") or {}).get("phone")


@dataclass
class CareApplications:
    """What the use cases need beyond the caller's scope: the notifier (结果告知) and the upload limit."""

    notifier: Notifier
    max_bytes: int

    async def submit(self, scope: TenantScope, filing: Filing, parts: AsyncIterator[Part]) -> dict[str, Any]:
        """File an application in the person's lot: everything is checked (the filer, membership, the basis, the
        lot against the caller's tenant, every document) before anything is written. Documents still missing are
        allowed: the application is submitted with them listed, and its screening clock starts once none is."""
        program = serves(scope.tenant)
        today = today_cn()
        check_filing(scope.role, scope.subject, filing, _members(program), today)
        lot, routing = lot_of_person(_lots(program.code), filing.district, filing.person_id)
        if lot.tenant != scope.tenant:
            # Named by its lot and tenant, never by the person's number; nothing is stored.
            raise InvalidInput(f"the person's lot is {lot.code} ({lot.tenant}): file the application there",
                               "application.district", code="wrong_lot", params={"lot": lot.code,
                                                                                 "tenant": lot.tenant})
        uploads = await _uploads(parts, self.max_bytes)

        # Everything is checked; only now is anything written.
        application_id, now = str(uuid.uuid4()), _now()
        refs, blobs = _blobs(application_id, uploads)
        required = required_documents(filing.basis, filing.channel)
        missing = [k for k in required if k not in {r["kind"] for r in refs}]
        app: dict[str, Any] = {
            "_id": application_id, "program": program.code, "person_id": filing.person_id,
            "phone": filing.phone, "agent": dict(filing.agent) if filing.agent else None,
            "district": filing.district, "lot": lot.code, "city_level": routing.code == "city_level_lot",
            "routing": routing.to_json(), "channel": filing.channel, "basis": filing.basis,
            "insutype": filing.insutype,
            "disabled_since": filing.disabled_since.isoformat() if filing.disabled_since else None,
            "care_institution_id": filing.care_institution_id, "applied_on": today.isoformat(),
            "submitted_at": now, "status": "submitted", "required": required, "missing": missing,
            "documents": refs, "filed_by": {"role": scope.role, "subject": scope.subject},
            "assessors": [], "screenings": [], "trace_context": current_carrier(),
            **(_clock(program, today) if not missing else _no_clock()),
        }
        note = f"{filing.channel} channel, lot {lot.code}" + (f"; missing {', '.join(missing)}" if missing else "")
        app["timeline"] = [timeline_entry("submitted", now, note, [routing], event="submitted",
                                          params={"channel": filing.channel, "lot": lot.code, "missing": missing})]
        event = _event("care_application.submitted", scope.tenant, app, "submitted", [routing], missing, now)
        store = CareApplicationStore(scope.db())
        await store.add_documents(blobs)
        await store.add_application(app, [event])
        return view(app, scope.tenant, scope.role, today)

    async def listed(self, scope: TenantScope, status: str | None, person_id: str | None,
                     limit: int) -> list[dict[str, Any]]:
        """The applications of the caller's tenant (an agency supervisor: of every lot of its program served here);
        an applicant's own only."""
        serves(scope.tenant)
        if scope.role == "applicant":
            person_id = scope.subject
        today, out = today_cn(), []
        for tenant in scope.readable:
            for app in await CareApplicationStore(scope.db(tenant)).applications(status, person_id, limit):
                out.append(view(app, tenant, scope.role, today))
        return out[:limit]

    async def _find(self, scope: TenantScope, application_id: str) -> tuple[str, dict[str, Any]]:
        """The application and its tenant: the caller's own, or (supervisor) one of its program's lots."""
        serves(scope.tenant)
        for tenant in scope.readable:
            app = await CareApplicationStore(scope.db(tenant)).application(application_id)
            if app is not None:
                return tenant, _visible(app, scope, f"application {application_id}")
        raise NotFound(f"application {application_id} not found")

    async def one(self, scope: TenantScope, application_id: str) -> dict[str, Any]:
        tenant, app = await self._find(scope, application_id)
        return view(app, tenant, scope.role, today_cn())

    async def timeline(self, scope: TenantScope, application_id: str) -> dict[str, Any]:
        _, app = await self._find(scope, application_id)
        return {"application_id": application_id, "status": app["status"], "timeline": app.get("timeline", [])}

    async def screen(self, scope: TenantScope, application_id: str, outcome: str, named_missing: list[str],
                     note: str) -> dict[str, Any]:
        """The clerk's screening (初步筛查): the platform checks the preconditions itself, refuses an accept they do
        not allow, and carries out the outcome — status, timeline entry and event in one write, the person told."""
        program = serves(scope.tenant)
        store = CareApplicationStore(scope.db())
        app = await store.application(application_id)
        if app is None:
            raise NotFound(f"application {application_id} not found")
        others = await store.open_of_person(app["person_id"], sorted(OPEN))
        mine = (app["submitted_at"], app["_id"])
        earlier_open = any(o["_id"] != app["_id"] and (o["status"] in ("accepted", "in_assessment")
                                                       or (o.get("submitted_at", ""), o["_id"]) < mine)
                           for o in others)
        checked = preconditions(Facts(
            basis=app["basis"], insutype=app["insutype"], members=_members(program),
            born=birth_date(app["person_id"]), applied_on=date.fromisoformat(app["applied_on"]),
            disabled_since=date.fromisoformat(app["disabled_since"]) if app.get("disabled_since") else None,
            old_age_from=int(program.setting("ltc", "old_age_from", 60)),
            required=tuple(app.get("required") or required_documents(app["basis"], app["channel"])),
            provided=frozenset(d["kind"] for d in app.get("documents", [])),
            outstanding=tuple(app.get("missing", [])),
            earlier_open=earlier_open))
        decision = decide(app["status"], outcome, named_missing, note, checked)
        now, today = _now(), today_cn()
        deadline = _deadline(app)
        screening = {"outcome": outcome, "status": decision.status, "by": scope.subject, "at": now,
                     "on": today.isoformat(), "note": note, "reason_codes": as_json(decision.reasons),
                     "due_on": deadline.due.isoformat() if deadline else None,
                     "late": bool(deadline and today > deadline.due)}
        changes = self._changes(decision, app, now)
        after = {**app, **changes}
        event = _event(decision.event, scope.tenant, after, decision.status, decision.reasons,
                       changes.get("missing", app.get("missing", [])), now)
        entry = timeline_entry(decision.status, now, note or STATUS_LABELS[decision.status], decision.reasons,
                               event=SCREENING_EVENTS[decision.status],
                               params={"missing": list(decision.missing)} if decision.missing else {})
        if not await store.transition(application_id, ["submitted"], changes, entry, [event], screening=screening):
            raise Conflict("the application changed meanwhile", code="care_application_changed")
        await self._tell(scope.tenant, app, decision, event["event_id"])
        return view(await store.application(application_id) or after, scope.tenant, scope.role, today)

    @staticmethod
    def _changes(decision: Decision, app: dict[str, Any], now: str) -> dict[str, Any]:
        changes: dict[str, Any] = {"status": decision.status, "screened_at": now,
                                   "reason_codes": as_json(decision.reasons)}
        if decision.status == "documents_requested":
            # Not complete any more: the clock stops, and starts again when the documents are in.
            changes.update({"missing": list(decision.missing), **_no_clock()})
        elif decision.status == "accepted":
            changes["missing"] = []
        return changes

    async def _tell(self, tenant: str, app: dict[str, Any], decision: Decision, dedupe_key: str) -> None:
        """The person hears of the screening (结果告知), once per decision however often it is retried."""
        if decision.status == "documents_requested":
            template, params = "care_documents_missing", {"missing": "、".join(decision.missing),
                                                          "note": decision.note}
        elif decision.status == "accepted":
            template, params = "care_accepted", {}
        else:
            template, params = "care_rejected", {"reason": "；".join(r.detail or r.code for r in decision.reasons)}
        await self.notifier.send(tenant, app["person_id"], _contact(app), template,
                                 {**params, "dedupe_key": dedupe_key})

    async def add_documents(self, scope: TenantScope, application_id: str,
                            parts: AsyncIterator[Part]) -> dict[str, Any]:
        """Documents added (补充材料) before the screening decides: asked-for ones come back to `submitted`; once
        none is missing, the screening clock starts (again)."""
        program = serves(scope.tenant)
        store = CareApplicationStore(scope.db())
        app = _visible(await store.application(application_id), scope, f"application {application_id}")
        if app["status"] not in TAKES_DOCUMENTS:
            raise Conflict(f"the application is {app['status']}; documents are added only before the screening "
                           "decides", code="not_awaiting_documents", params={"status": app["status"]})
        uploads = await _uploads(parts, self.max_bytes)
        if not uploads:
            raise InvalidInput("send at least one document, each in the field of its kind", "documents",
                               code="no_documents")
        refs, blobs = _blobs(application_id, uploads)
        added = {r["kind"] for r in refs}
        still_missing = [k for k in app.get("missing", []) if k not in added]
        now, today = _now(), today_cn()
        changes: dict[str, Any] = {"status": "submitted", "missing": still_missing, "documents_in_at": now}
        restarted = not still_missing and (app["status"] == "documents_requested" or not app.get("complete_on"))
        if restarted:
            changes.update(_clock(program, today))
        after = {**app, **changes, "documents": [*app.get("documents", []), *refs]}
        note = f"{len(refs)} document(s) added: {', '.join(sorted(added))}" + (
            f"; still missing {', '.join(still_missing)}" if still_missing else "")
        events = ([_event("care_application.submitted", scope.tenant, after, "submitted", [], still_missing, now)]
                  if app["status"] == "documents_requested" else [])
        await store.add_documents(blobs)
        if not await store.transition(application_id, [app["status"]], changes,
                                      timeline_entry("submitted", now, note, event="documents_added",
                                                     params={"count": len(refs), "kinds": sorted(added),
                                                             "still_missing": still_missing}),
                                      events, documents=refs):
            raise Conflict("the application changed meanwhile", code="care_application_changed")
        return view(await store.application(application_id) or after, scope.tenant, scope.role, today)

    async def document(self, scope: TenantScope, application_id: str, kind: str) -> tuple[bytes, str]:
        """A document's bytes (the newest of its kind) and type, for the clerk, the applicant (own) and the assessors
        drawn for the application (learnt from disability.assessment_opened); anyone else finds nothing, as if
        absent. Each read is recorded (查阅记录, intake.person.accessed) before the bytes are handed out."""
        serves(scope.tenant)
        store = CareApplicationStore(scope.db())
        app = await store.application(application_id)
        if scope.role == "expert":
            if app is None or scope.subject not in app.get("assessors", []):
                raise NotFound(f"application {application_id} not found")
        else:
            app = _visible(app, scope, f"application {application_id}")
        refs = [d for d in app.get("documents", []) if d["kind"] == kind]
        doc = await store.document(application_id, refs[-1]["document_id"]) if refs else None
        if doc is None:
            raise NotFound(f"no {kind} document on application {application_id}")
        await record_access(scope.db(), SERVICE, scope, Access(app["person_id"], "document", doc["_id"], "download"))
        return bytes(doc["content"]), doc["content_type"]


async def note_assessment_event(db: Any, event: Event) -> None:
    """What appraisal's assessment says shows on the application's timeline: the assessors drawn (who may then
    open its documents), then the conclusion with its grade. Once per event (the marker guards redelivery); an
    event of an application intake does not hold (a re-check without one) changes nothing."""
    store = CareApplicationStore(db)
    payload = event.payload
    app = await store.application(payload.application_id) if payload.application_id else None
    if app is None:
        return
    step, changes, note = assessment_note(event.type, payload, app["status"])
    code, params = assessment_event(event.type, payload)
    assessors = list(payload.assessors) if event.type == "disability.assessment_opened" else []
    await store.note_assessment(app["_id"], event.id, changes,
                                timeline_entry(step, event.occurred_at.isoformat(), note, event=code, params=params),
                                assessors)
