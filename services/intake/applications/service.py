"""The applications' use cases (申请受理): file an application with its documents, the clerk's preliminary review
(初审) and the missing-documents loop (补充材料), the applicant's timeline (办理进度), the documents' bytes, and what
appraisal's decisions show on the timeline. Called by the doors (api.py, rpc.py, handlers.py); the rules are in
domain/, the collections in store.py."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chassis.access import Access, record_access
from chassis.calendar import day_cn, today_cn
from chassis.errors import Conflict, InvalidInput, NotFound, UnsupportedMediaType
from chassis.events import Event, new_event
from chassis.policies import PolicyReader
from chassis.programs import load_program
from chassis.reasons import as_json
from chassis.scope import TenantScope
from chassis.telemetry import current_carrier
from contracts.v1 import common_pb2, events_pb2
from services.intake.applications.domain.application import (
    DOC_KEYS,
    Filing,
    UploadedDocument,
    applied_diseases,
    check_document,
    check_filer,
    check_review,
    checklist_union,
    diseases_of,
    missing_documents,
    public_view,
    sniff_matches,
    timeline_entry,
)
from services.intake.applications.domain.outcomes import outcome, status_changes, timeline_event, timeline_note
from services.intake.applications.domain.program_fields import program_fields, resolve_program
from services.intake.applications.domain.re_review import check_none_open, check_review_target
from services.intake.applications.domain.review import ReviewDecision, decide_review
from services.intake.applications.store import ApplicationStore
from services.intake.eligibility.service import check_person, person_qualifications
from services.intake.notifications.service import Notifier, invite_to_survey

__all__ = ["Applications", "Notifier", "Part", "carrier_of", "own_application"]

# A file field of a multipart upload as the door read it: (field name = document kind, filename, content type, bytes).
Part = tuple[str, str, str, bytes]
SERVICE = "intake"


def _now() -> str:
    return datetime.now(UTC).isoformat()


def carrier_of(program: str, county: str) -> dict[str, str]:
    """Which carrier (tenant) serves an applicant's county."""
    prog = load_program(program)
    tenant = prog.tenant_for_county(county)
    name = next(t.name for t in prog.tenants if t.tenant == tenant)
    return {"program": program, "county": county, "tenant": tenant, "carrier": name}


def _visible(app: dict[str, Any] | None, scope: TenantScope, what: str) -> dict[str, Any]:
    if app is None or (scope.role == "applicant" and app["person_id"] != scope.subject):
        raise NotFound(f"{what} not found")
    return app


async def own_application(db: Any, application_id: str, person_id: str) -> dict[str, Any]:
    """An applicant's own application (another's is not found, as if absent)."""
    app = await ApplicationStore(db).application(application_id)
    if app is None or app["person_id"] != person_id:
        raise NotFound(f"application {application_id} not found")
    return app


async def application_record(db: Any, application_id: str) -> dict[str, Any]:
    """The stored application (for a peer service over gRPC)."""
    if not application_id:
        raise InvalidInput("application_id is required", "application_id")
    app = await ApplicationStore(db).application(application_id)
    if app is None:
        raise NotFound(f"application {application_id} not found")
    return app


async def _uploads(parts: AsyncIterator[Part], max_bytes: int) -> list[tuple[UploadedDocument, bytes]]:
    """The documents of an upload, each checked before anything is stored (kind, type, size, the bytes' type)."""
    uploads: list[tuple[UploadedDocument, bytes]] = []
    async for kind, filename, content_type, content in parts:
        doc = UploadedDocument(kind, filename, content_type, len(content))
        check_document(doc, max_bytes)
        if not sniff_matches(doc.content_type, content[:16]):
            raise UnsupportedMediaType(f"{doc.filename}: content is not {doc.content_type}", f"documents.{kind}")
        uploads.append((doc, content))
    if not uploads:
        raise InvalidInput("at least one document is required", "documents")
    return uploads


def _blobs(application_id: str, uploads: list[tuple[UploadedDocument, bytes]]) -> tuple[list[dict], list[dict]]:
    refs, blobs = [], []
    for doc, content in uploads:
        ref = {"document_id": str(uuid.uuid4()), "kind": doc.kind, "filename": doc.filename,
               "content_type": doc.content_type, "size": doc.size, "sha256": hashlib.sha256(content).hexdigest()}
        refs.append(ref)
        blobs.append({"_id": ref["document_id"], "application_id": application_id, "content": content, **ref})
    return refs, blobs


@dataclass
class Applications:
    """What the applications' use cases need beyond the caller's scope: the policy reader (checklists), the peers
    (appraisal's qualifications), the provincial platform (1101), the notifier, the upload limit."""

    policies: PolicyReader
    peers: Any
    provincial_url: str
    notifier: Notifier
    max_bytes: int

    async def required_documents(self, app: dict[str, Any], tenant: str) -> list[str]:
        """The checklist (材料清单): the union of the diseases' lists; a re-review takes the program's own list
        (`intake.review_documents`) when it sets one."""
        if app.get("kind") == "review":
            own = load_program(app["program"]).setting("intake", "review_documents")
            if own:
                return list(own)
        rules = [await self.policies.disease(tenant, app["program"], code) for code in diseases_of(app)]
        return checklist_union([list(r.required_documents) for r in rules])

    async def checklist(self, scope: TenantScope, program: str, disease: str) -> dict[str, Any]:
        """`disease` may list several, comma-separated (HTN,DM): the documents are the union of their lists."""
        codes = list(dict.fromkeys(c.strip() for c in disease.split(",") if c.strip()))
        if not codes:
            raise InvalidInput("name at least one disease", "disease")
        rules = [await self.policies.disease(scope.tenant, program, code) for code in codes]
        return {"program": program, "disease": disease, "diseases": codes, "name": "、".join(r.name for r in rules),
                "required_documents": checklist_union([list(r.required_documents) for r in rules])}

    async def submit(self, scope: TenantScope, filing: Filing, parts: AsyncIterator[Part]) -> dict[str, Any]:
        """File an application: everything is checked (the filer, the program's own fields, the diseases, a
        re-review's qualification, every document) before anything is written."""
        check_filer(scope.role, scope.subject, filing)
        # The program's own fields (所属经办区, inpatient records' level and age), checked before anything is written.
        program = resolve_program(scope.tenant, filing.program, filing.program_given)
        program_extra = program_fields(program, filing.district, filing.inpatient_records, today_cn())
        # One application, one or more diseases (申请两种及以上病种, where the program allows several).
        diseases = applied_diseases(filing, bool(program.setting("intake", "multiple_diseases", True)))
        store = ApplicationStore(scope.db())
        if filing.kind == "review":  # 复审: of an active qualification the person holds, one open at a time
            assert filing.qualification_id is not None
            held = await person_qualifications(self.peers, scope.tenant, filing.person_id)
            diseases = [check_review_target(held, filing.qualification_id, diseases[0] if diseases else None
                                            ).disease_code]
            check_none_open(await store.open_review(filing.qualification_id), filing.qualification_id)
        uploads = await _uploads(parts, self.max_bytes)

        # Everything is checked; only now is anything written.
        tenant = scope.tenant
        application_id = str(uuid.uuid4())
        now = _now()
        refs, blobs = _blobs(application_id, uploads)
        application = {
            "_id": application_id, "person_id": filing.person_id, "person_name": filing.person_name,
            "disease_code": diseases[0], "diseases": diseases, "kind": filing.kind,
            **({"qualification_id": filing.qualification_id} if filing.kind == "review" else {}),
            "channel": filing.channel, "program": program.code,
            "phone": filing.phone, "treating_hospital": filing.treating_hospital,
            "agent": filing.agent,
            "status": "submitted", "submitted_at": now, "documents": refs,
            "filed_by": {"role": scope.role, "subject": scope.subject},
            "timeline": [timeline_entry("submitted", now, f"{filing.channel} channel", event="submitted",
                                        params={"channel": filing.channel})],
            "trace_context": current_carrier(), **program_extra,
        }
        payload = events_pb2.ApplicationSubmitted(
            application_id=application_id, person_id=filing.person_id, person_name=filing.person_name,
            disease_code=diseases[0], channel=filing.channel, submitted_at=now, program=program.code,
            treating_hospital=filing.treating_hospital, documents=[common_pb2.DocumentRef(**ref) for ref in refs],
            disease_codes=diseases, kind=filing.kind, qualification_id=filing.qualification_id or "",
            district=program_extra.get("district") or "", district_name=program_extra.get("district_name") or "",
        )
        event = new_event("application.submitted", tenant, filing.person_id, payload, source="intake",
                          trace_context=application["trace_context"])
        await store.add_documents(blobs)
        await store.add_application(application, [event])
        return public_view(application)

    async def listed(self, scope: TenantScope, status: str | None, person_id: str | None,
                     limit: int, tenant: str | None = None) -> list[dict[str, Any]]:
        """The caller's tenant's worklist, or (an agency supervisor) one of its program's tenants' (`scope.db`
        refuses any other)."""
        if scope.role == "applicant":
            person_id = scope.subject
        db = scope.db(tenant)
        return [public_view(a) for a in await ApplicationStore(db).applications(status, person_id, limit)]

    async def one(self, scope: TenantScope, application_id: str) -> dict[str, Any]:
        app = await ApplicationStore(scope.db()).application(application_id)
        return public_view(_visible(app, scope, f"application {application_id}"))

    async def timeline(self, scope: TenantScope, application_id: str) -> dict[str, Any]:
        app = _visible(await ApplicationStore(scope.db()).application(application_id), scope,
                       f"application {application_id}")
        return {"application_id": application_id, "status": app["status"], "timeline": app.get("timeline", [])}

    async def review(self, scope: TenantScope, application_id: str, requested: str, named_missing: list[str],
                     note: str) -> dict[str, Any]:
        """The clerk's preliminary review: checked, the person checked against 1101, decided (domain/review.py),
        then carried out — the application moved on with its timeline entry and event, the applicant told."""
        tenant = scope.tenant
        store = ApplicationStore(scope.db())
        app = await store.application(application_id)
        if app is None:
            raise NotFound(f"application {application_id} not found")
        required = await self.required_documents(app, tenant)
        checklist_missing = missing_documents(required, [d["kind"] for d in app["documents"]])
        check_review(app["status"], requested, checklist_missing, named_missing)
        insurance = app.get("insurance") or await check_person(self.provincial_url, app["program"], tenant,
                                                               app["person_id"], app["person_name"])
        decision = decide_review(requested, note, named_missing, checklist_missing, insurance)
        now = _now()
        event, changes = _carry_out(decision, app, tenant, insurance, now)
        if not await store.transition(application_id, ["submitted"], changes,
                                      timeline_entry(decision.status, now, decision.note, decision.reasons,
                                                     decision.entry_event, decision.entry_params), [event]):
            raise Conflict("the application changed meanwhile", code="application_changed")
        await self.notifier.send(tenant, app["person_id"], app.get("phone"), decision.template,
                                 {**decision.params, "dedupe_key": event["event_id"]})
        await invite_to_survey(self.notifier, tenant, app, decision.status)  # a refusal decides it too
        return public_view(await store.application(application_id) or app)

    async def add_documents(self, scope: TenantScope, application_id: str,
                            parts: AsyncIterator[Part]) -> dict[str, Any]:
        """The missing documents (补充材料): the application goes back to review."""
        store = ApplicationStore(scope.db())
        app = _visible(await store.application(application_id), scope, f"application {application_id}")
        if app["status"] != "documents_missing":
            raise Conflict(f"application is {app['status']}; documents are added only when asked for",
                           code="documents_not_requested")
        uploads = await _uploads(parts, self.max_bytes)
        refs, blobs = _blobs(application_id, uploads)
        now = _now()
        still_missing = [k for k in app.get("missing", []) if k not in {r["kind"] for r in refs}]
        await store.add_documents(blobs)
        ok = await store.transition(application_id, ["documents_missing"], {"status": "submitted",
                                                                             "missing": still_missing,
                                                                             "documents_in_at": now},
                                    timeline_entry("submitted", now, f"{len(refs)} document(s) added",
                                                   event="documents_added",
                                                   params={"count": len(refs),
                                                           "kinds": sorted({r["kind"] for r in refs}),
                                                           "still_missing": still_missing}), [],
                                    documents=refs)
        if not ok:
            raise Conflict("the application changed meanwhile", code="application_changed")
        return public_view(await store.application(application_id) or app)

    async def document(self, scope: TenantScope, application_id: str, document_id: str) -> tuple[bytes, str]:
        """A document's bytes and type. An expert opens the documents of the applications whose cases they were
        drawn for (intake learns the draws from appraisal's experts.assigned); any other document is not found for
        them, as if absent."""
        store = ApplicationStore(scope.db())
        app = await store.application(application_id)
        if scope.role == "expert":
            if app is None or scope.subject not in app.get("assigned_experts", []):
                raise NotFound(f"document {document_id} not found")
        else:
            _visible(app, scope, f"document {document_id}")
        doc = await store.document(application_id, document_id)
        if doc is None:
            raise NotFound(f"document {document_id} not found")
        # 查阅记录: who opened whose document, recorded before it is handed out (intake.person.accessed).
        person_id = app["person_id"] if app else ""
        await record_access(scope.db(), SERVICE, scope, Access(person_id, "document", document_id, "download"))
        return bytes(doc["content"]), doc["content_type"]


def _carry_out(decision: ReviewDecision, app: dict[str, Any], tenant: str, insurance: dict[str, Any],
               now: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The review's event and the application's changes, as the decision says."""
    application_id, carrier = app["_id"], app.get("trace_context") or {}
    reason_codes = as_json(decision.reasons)
    if decision.status == "complete":
        # 申报完成: the day its last documents came in (the clerk may review days later; the clock doesn't wait).
        documents_complete_on = day_cn(app.get("documents_in_at") or app["submitted_at"])
        payload: Any = events_pb2.ApplicationCompleted(
            application_id=application_id, person_id=app["person_id"], person_name=app["person_name"],
            disease_code=app["disease_code"], program=app["program"],
            treating_hospital=app.get("treating_hospital", ""), completed_at=now,
            completed_on=today_cn().isoformat(), documents_complete_on=documents_complete_on.isoformat(),
            psn_no=insurance.get("psn_no", ""),
            insuplc_admdvs=insurance.get("insuplc_admdvs", ""), insutype=insurance.get("insutype", ""),
            disease_codes=diseases_of(app), kind=app.get("kind", "initial"),
            qualification_id=app.get("qualification_id", ""),
            documents=[common_pb2.DocumentRef(**{k: d[k] for k in DOC_KEYS}) for d in app["documents"]])
        changes = {"status": "complete", "completed_at": now, "insurance": insurance, "missing": [],
                   "documents_complete_on": documents_complete_on.isoformat(), "reason_codes": reason_codes}
    elif decision.status == "documents_missing":
        payload = events_pb2.ApplicationDocumentsRequested(
            application_id=application_id, person_id=app["person_id"], missing=list(decision.missing),
            note=decision.note, requested_at=now)
        changes = {"status": "documents_missing", "missing": list(decision.missing), "insurance": insurance,
                   "reason_codes": reason_codes}
    else:
        payload = events_pb2.ApplicationRejected(
            application_id=application_id, person_id=app["person_id"], reason=decision.rejection, rejected_at=now,
            reason_codes=[common_pb2.Reason(code=r.code, detail=r.detail, params=dict(r.params))
                          for r in decision.reasons])
        changes = {"status": "rejected", "insurance": insurance, "rejection": decision.rejection,
                   "reason_codes": reason_codes}
    event = new_event(decision.event, tenant, app["person_id"], payload, source="intake", trace_context=carrier)
    return event, changes


async def note_appraisal_event(db: Any, notifier: Notifier, event: Event) -> None:
    """What appraisal decided shows on the applicant's timeline and reaches them as a notification (结果送达);
    the experts drawn for an application's cases may open its documents."""
    app_id, status, note, template, params, disease = outcome(event)
    code, entry_params = timeline_event(event)
    store = ApplicationStore(db)
    app = await store.application(app_id)
    if app is None:
        return  # an application filed before intake kept one (e.g. migrated data): nothing to show
    changes: dict[str, Any] = status_changes(event.type, status, disease)
    # The experts drawn may read the application's documents (and nothing else).
    experts = {"assigned_experts": list(event.payload.expert_ids)} if event.type == "experts.assigned" else None
    entry = timeline_note(app, status, event.occurred_at.isoformat(), note, disease, code, entry_params)
    await store.note_on_timeline(app_id, event.id, changes, entry, experts)
    # Sent whether or not the note above was new: a process killed between the two writes gets the event again
    # and must still notify. Both sends are keyed (the event id; the application), so a redelivery sends nothing.
    if template:
        await notifier.send(event.tenant, app["person_id"], app.get("phone"), template,
                            {**params, "dedupe_key": event.id})
    # Decided: the applicant is invited to the program's satisfaction survey (满意度测评), once.
    await invite_to_survey(notifier, event.tenant, app, changes.get("status", ""))
