"""intake's HTTP door: applicants (phone), window clerks and agents file applications with documents;
clerks run the preliminary review; applicants follow the status timeline; consultations and complaints."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from chassis.calendar import day_cn, deadline_view, today_cn
from chassis.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, UnsupportedMediaType
from chassis.events import new_event
from chassis.host import ServiceContext
from chassis.http import Caller, require_role
from chassis.identity import Identity
from chassis.policies import PolicyReader
from chassis.programs import load_program, program_of_tenant
from chassis.telemetry import current_carrier
from contracts.v1 import common_pb2, events_pb2
from services.intake.domain.application import (
    DOCUMENT_KINDS,
    ApplicationIn,
    ReviewIn,
    UploadedDocument,
    applied_diseases,
    check_document,
    check_review,
    checklist_union,
    missing_documents,
    overall_status,
    sniff_matches,
    timeline_entry,
)
from services.intake.domain.complaint import (
    ComplaintIn,
    ResolutionIn,
    answer_deadline,
    answer_deadlines,
    current_deadline,
    is_overdue,
)
from services.intake.insurance import check_person
from services.intake.notifications import OutboxNotifier, invite_to_survey
from services.intake.program_rules import program_fields, resolve_program
from services.intake.qualifications import RULE_REVIEW_OPEN, check_review_target, person_qualifications
from services.intake.store import IntakeStore

FILING_ROLES = ("applicant", "clerk", "service")
READING_ROLES = ("applicant", "clerk", "reviewer", "supervisor", "ops", "service")
DOC_KEYS = ("document_id", "kind", "filename", "content_type", "size", "sha256")


def public_view(app: dict[str, Any]) -> dict[str, Any]:
    return {
        "application_id": app["_id"], "person_id": app["person_id"], "person_name": app["person_name"],
        "disease_code": app["disease_code"], "channel": app["channel"], "program": app["program"],
        "diseases": diseases_of(app), "kind": app.get("kind", "initial"),
        "qualification_id": app.get("qualification_id"), "disease_status": app.get("disease_status") or {},
        "status": overall_status(diseases_of(app), app.get("disease_status") or {}, app["status"]),
        "submitted_at": app["submitted_at"], "filed_by": app.get("filed_by"),
        "treating_hospital": app.get("treating_hospital", ""), "agent": app.get("agent"),
        "insurance": app.get("insurance"), "missing": app.get("missing", []),
        "documents": [{k: d[k] for k in DOC_KEYS} for d in app.get("documents", [])],
        "timeline": app.get("timeline", []),
        **{k: app[k] for k in ("district", "district_name", "inpatient_records") if k in app},
    }


def diseases_of(app: dict[str, Any]) -> list[str]:
    """Every disease of an application (applications filed before `diseases` existed name one)."""
    return list(app.get("diseases") or [app["disease_code"]])


def _now() -> str:
    return datetime.now(UTC).isoformat()


async def _read_documents(form: FormData, max_bytes: int,
                          skip: tuple[str, ...]) -> list[tuple[UploadedDocument, bytes]]:
    uploads: list[tuple[UploadedDocument, bytes]] = []
    for name, value in form.multi_items():
        if name in skip:
            continue
        if not isinstance(value, UploadFile):
            raise InvalidInput(f"unexpected form field {name!r}", name)
        content = await value.read()
        doc = UploadedDocument(name, value.filename or name, value.content_type or "", len(content))
        check_document(doc, max_bytes)
        if not sniff_matches(doc.content_type, content[:16]):
            raise UnsupportedMediaType(f"{doc.filename}: content is not {doc.content_type}", f"documents.{name}")
        uploads.append((doc, content))
    return uploads


async def _multipart(request: Request, max_bytes: int) -> FormData:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UnsupportedMediaType("send multipart/form-data: an `application` JSON field plus one file "
                                   "field per document, named by its kind")
    declared = int(request.headers.get("content-length") or 0)
    if declared > max_bytes * len(DOCUMENT_KINDS) + 65536:
        raise PayloadTooLarge(f"request of {declared} bytes exceeds the upload limit")
    return await request.form(max_files=len(DOCUMENT_KINDS) * 4, max_part_size=max_bytes + 1)


def _blobs(application_id: str, uploads: list[tuple[UploadedDocument, bytes]]) -> tuple[list[dict], list[dict]]:
    refs, blobs = [], []
    for doc, content in uploads:
        ref = {"document_id": str(uuid.uuid4()), "kind": doc.kind, "filename": doc.filename,
               "content_type": doc.content_type, "size": doc.size, "sha256": hashlib.sha256(content).hexdigest()}
        refs.append(ref)
        blobs.append({"_id": ref["document_id"], "application_id": application_id, "content": content, **ref})
    return refs, blobs


def _visible(app: dict[str, Any] | None, caller: Identity, what: str) -> dict[str, Any]:
    if app is None or (caller.role == "applicant" and app["person_id"] != caller.subject):
        raise NotFound(f"{what} not found")
    return app


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1")
    max_bytes = ctx.settings.max_upload_bytes
    policies = PolicyReader(ctx.peers)
    notifier = OutboxNotifier(ctx.db)

    async def _required_documents(app: dict[str, Any], tenant: str) -> list[str]:
        """The checklist (材料清单): the union of the diseases' lists; a re-review takes the program's own list
        (`intake.review_documents`) when it sets one."""
        if app.get("kind") == "review":
            own = load_program(app["program"]).setting("intake", "review_documents")
            if own:
                return list(own)
        rules = [await policies.disease(tenant, app["program"], code) for code in diseases_of(app)]
        return checklist_union([list(r.required_documents) for r in rules])

    @r.get("/programs/{program}/counties/{county}", tags=["routing"],
           summary="Which carrier serves an applicant's county (public, no token)")
    async def route(program: str, county: str) -> dict[str, str]:
        prog = load_program(program)
        tenant = prog.tenant_for_county(county)
        name = next(t.name for t in prog.tenants if t.tenant == tenant)
        return {"program": program, "county": county, "tenant": tenant, "carrier": name}

    @r.get("/programs/{program}/checklist/{disease}", tags=["applications"],
           summary="Documents required for a disease (材料清单)")
    async def checklist(program: str, disease: str, caller: Caller) -> dict[str, Any]:
        """`disease` may list several, comma-separated (HTN,DM): the documents are the union of their lists."""
        codes = list(dict.fromkeys(c.strip() for c in disease.split(",") if c.strip()))
        if not codes:
            raise InvalidInput("name at least one disease", "disease")
        rules = [await policies.disease(caller.tenant, program, code) for code in codes]
        return {"program": program, "disease": disease, "diseases": codes, "name": "、".join(r.name for r in rules),
                "required_documents": checklist_union([list(r.required_documents) for r in rules])}

    @r.post("/applications", status_code=201, tags=["applications"],
            summary="Submit an application with its documents (multipart)")
    async def submit(request: Request, caller: Caller) -> dict[str, Any]:
        require_role(caller, *FILING_ROLES)
        form = await _multipart(request, max_bytes)
        raw = form.get("application")
        if not isinstance(raw, str):
            raise InvalidInput("the `application` field (JSON) is required", "application")
        try:
            body = ApplicationIn.model_validate(json.loads(raw))
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"`application` is not valid JSON: {exc.msg}", "application") from exc
        except ValidationError as exc:
            fields = [{"field": "application." + ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                      for e in exc.errors()]
            raise InvalidInput("application is invalid: " + "; ".join(f"{f['field']}: {f['message']}" for f in fields),
                               fields=fields) from exc
        if caller.role == "applicant" and caller.subject != body.person_id:
            raise InvalidInput("an applicant files only for themself; an agent files through a clerk",
                               "application.person_id")
        if body.channel == "agent" and body.agent is None:
            raise InvalidInput("an agent filing names the agent", "application.agent")
        # The program's own fields (所属经办区, inpatient records' level and age), checked before anything is written.
        program = resolve_program(caller.tenant, body.program, "program" in body.model_fields_set)
        body = body.model_copy(update={"program": program.code})
        program_extra = program_fields(program, json.loads(raw), today_cn())
        # One application, one or more diseases (申请两种及以上病种, where the program allows several).
        diseases = applied_diseases(body, bool(program.setting("intake", "multiple_diseases", True)))
        if body.kind == "review":  # 复审: of an active qualification the person holds, one open at a time
            assert body.qualification_id is not None
            held = await person_qualifications(ctx.peers, caller.tenant, body.person_id)
            diseases = [check_review_target(held, body.qualification_id, diseases[0] if diseases else None
                                            ).disease_code]
            if await IntakeStore(ctx.db(caller.tenant)).open_review(body.qualification_id):
                raise Conflict(f"{RULE_REVIEW_OPEN}: a re-review of qualification {body.qualification_id} is "
                               "already under way", "application.qualification_id")
        uploads = await _read_documents(form, max_bytes, ("application",))
        if not uploads:
            raise InvalidInput("at least one document is required", "documents")

        # Everything is checked; only now is anything written.
        tenant = caller.tenant
        store = IntakeStore(ctx.db(tenant))
        application_id = str(uuid.uuid4())
        now = _now()
        refs, blobs = _blobs(application_id, uploads)
        application = {
            "_id": application_id, "person_id": body.person_id, "person_name": body.person_name,
            "disease_code": diseases[0], "diseases": diseases, "kind": body.kind,
            **({"qualification_id": body.qualification_id} if body.kind == "review" else {}),
            "channel": body.channel, "program": body.program,
            "phone": body.phone, "treating_hospital": body.treating_hospital,
            "agent": body.agent.model_dump() if body.agent else None,
            "status": "submitted", "submitted_at": now, "documents": refs,
            "filed_by": {"role": caller.role, "subject": caller.subject},
            "timeline": [timeline_entry("submitted", now, f"{body.channel} channel")],
            "trace_context": current_carrier(), **program_extra,
        }
        payload = events_pb2.ApplicationSubmitted(
            application_id=application_id, person_id=body.person_id, person_name=body.person_name,
            disease_code=diseases[0], channel=body.channel, submitted_at=now, program=body.program,
            treating_hospital=body.treating_hospital, documents=[common_pb2.DocumentRef(**ref) for ref in refs],
            disease_codes=diseases, kind=body.kind, qualification_id=body.qualification_id or "",
            district=program_extra.get("district") or "", district_name=program_extra.get("district_name") or "",
        )
        event = new_event("application.submitted", tenant, body.person_id, payload, source="intake",
                          trace_context=application["trace_context"])
        await store.add_documents(blobs)
        await store.add_application(application, [event])
        ctx.relay.kick()
        return public_view(application)

    @r.get("/applications", tags=["applications"], summary="Applications of the tenant (worklist)")
    async def list_applications(caller: Caller, status: str | None = None, person_id: str | None = None,
                                limit: int = Query(default=200, ge=1, le=2000)) -> list[dict[str, Any]]:
        require_role(caller, *READING_ROLES)
        if caller.role == "applicant":
            person_id = caller.subject
        return [public_view(a) for a in await IntakeStore(ctx.db(caller.tenant)).applications(status, person_id, limit)]

    @r.get("/applications/{application_id}", tags=["applications"], summary="An application and its status")
    async def get(application_id: str, caller: Caller) -> dict[str, Any]:
        require_role(caller, *READING_ROLES)
        app = await IntakeStore(ctx.db(caller.tenant)).application(application_id)
        return public_view(_visible(app, caller, f"application {application_id}"))

    @r.get("/applications/{application_id}/timeline", tags=["applications"],
           summary="The applicant-visible status timeline (办理进度)")
    async def timeline(application_id: str, caller: Caller) -> dict[str, Any]:
        require_role(caller, *READING_ROLES)
        app = _visible(await IntakeStore(ctx.db(caller.tenant)).application(application_id), caller,
                       f"application {application_id}")
        return {"application_id": application_id, "status": app["status"], "timeline": app.get("timeline", [])}

    @r.post("/applications/{application_id}/review", tags=["applications"],
            summary="Preliminary review (初审): complete, documents missing, or reject; checks 1101 first")
    async def review(application_id: str, body: ReviewIn, caller: Caller) -> dict[str, Any]:
        require_role(caller, "clerk")
        tenant = caller.tenant
        store = IntakeStore(ctx.db(tenant))
        app = await store.application(application_id)
        if app is None:
            raise NotFound(f"application {application_id} not found")
        required = await _required_documents(app, tenant)
        checklist_missing = missing_documents(required, [d["kind"] for d in app["documents"]])
        check_review(app["status"], body.decision, checklist_missing, body.missing)
        now = _now()
        carrier = app.get("trace_context") or {}
        insurance = app.get("insurance") or await check_person(ctx.settings.provincial_url, app["program"], tenant,
                                                               app["person_id"], app["person_name"])
        decision, note = body.decision, body.note
        if decision == "complete" and not insurance["insured"]:
            decision = "reject"
            note = f"not insured per the provincial platform (1101): {insurance['error'] or 'suspended'}"
        if decision == "complete":
            completed_on = today_cn()
            # 申报完成: the day its last documents came in (the clerk may review days later; the clock doesn't wait).
            documents_complete_on = day_cn(app.get("documents_in_at") or app["submitted_at"])
            payload = events_pb2.ApplicationCompleted(
                application_id=application_id, person_id=app["person_id"], person_name=app["person_name"],
                disease_code=app["disease_code"], program=app["program"],
                treating_hospital=app.get("treating_hospital", ""), completed_at=now,
                completed_on=completed_on.isoformat(), documents_complete_on=documents_complete_on.isoformat(),
                psn_no=insurance.get("psn_no", ""),
                insuplc_admdvs=insurance.get("insuplc_admdvs", ""), insutype=insurance.get("insutype", ""),
                disease_codes=diseases_of(app), kind=app.get("kind", "initial"),
                qualification_id=app.get("qualification_id", ""),
                documents=[common_pb2.DocumentRef(**{k: d[k] for k in DOC_KEYS}) for d in app["documents"]])
            events = [new_event("application.completed", tenant, app["person_id"], payload, source="intake",
                                trace_context=carrier)]
            changes = {"status": "complete", "completed_at": now, "insurance": insurance, "missing": [],
                       "documents_complete_on": documents_complete_on.isoformat()}
            template, params = "complete", {}
        elif decision == "missing":
            missing = sorted(set(body.missing) | set(checklist_missing))
            payload = events_pb2.ApplicationDocumentsRequested(
                application_id=application_id, person_id=app["person_id"], missing=missing, note=note,
                requested_at=now)
            events = [new_event("application.documents_requested", tenant, app["person_id"], payload,
                                source="intake", trace_context=carrier)]
            changes = {"status": "documents_missing", "missing": missing, "insurance": insurance}
            template, params = "documents_missing", {"missing": "、".join(missing), "note": note}
        else:
            reason = note or "refused at preliminary review"
            payload = events_pb2.ApplicationRejected(application_id=application_id, person_id=app["person_id"],
                                                     reason=reason, rejected_at=now)
            events = [new_event("application.rejected", tenant, app["person_id"], payload, source="intake",
                                trace_context=carrier)]
            changes = {"status": "rejected", "insurance": insurance, "rejection": reason}
            template, params = "rejected", {"reason": reason}
        if not await store.transition(application_id, ["submitted"], changes,
                                      timeline_entry(changes["status"], now, note), events):
            raise Conflict("the application changed meanwhile")
        await notifier.send(tenant, app["person_id"], app.get("phone"), template,
                            {**params, "dedupe_key": events[0]["event_id"]})
        await invite_to_survey(notifier, tenant, app, changes["status"])  # a refusal decides it too
        ctx.relay.kick()
        return public_view(await store.application(application_id) or app)

    @r.post("/applications/{application_id}/documents", tags=["applications"],
            summary="Add the missing documents (补充材料); the application goes back to review")
    async def add_documents(application_id: str, request: Request, caller: Caller) -> dict[str, Any]:
        require_role(caller, "applicant", "clerk")
        store = IntakeStore(ctx.db(caller.tenant))
        app = _visible(await store.application(application_id), caller, f"application {application_id}")
        if app["status"] != "documents_missing":
            raise Conflict(f"application is {app['status']}; documents are added only when asked for")
        form = await _multipart(request, max_bytes)
        uploads = await _read_documents(form, max_bytes, ())
        if not uploads:
            raise InvalidInput("at least one document is required", "documents")
        refs, blobs = _blobs(application_id, uploads)
        now = _now()
        still_missing = [k for k in app.get("missing", []) if k not in {r["kind"] for r in refs}]
        await store.add_documents(blobs)
        ok = await store.transition(application_id, ["documents_missing"], {"status": "submitted",
                                                                             "missing": still_missing,
                                                                             "documents_in_at": now},
                                    timeline_entry("submitted", now, f"{len(refs)} document(s) added"), [],
                                    push={"documents": {"$each": refs}})
        if not ok:
            raise Conflict("the application changed meanwhile")
        return public_view(await store.application(application_id) or app)

    @r.get("/applications/{application_id}/documents/{document_id}", tags=["applications"],
           summary="A document's bytes")
    async def document(application_id: str, document_id: str, caller: Caller) -> Response:
        """An expert opens the documents of the applications whose cases they were drawn for (intake learns the
        draws from appraisal's experts.assigned); any other document is not found for them, as if absent."""
        require_role(caller, *READING_ROLES, "expert")
        store = IntakeStore(ctx.db(caller.tenant))
        app = await store.application(application_id)
        if caller.role == "expert":
            if app is None or caller.subject not in app.get("assigned_experts", []):
                raise NotFound(f"document {document_id} not found")
        else:
            _visible(app, caller, f"document {document_id}")
        doc = await store.document(application_id, document_id)
        if doc is None:
            raise NotFound(f"document {document_id} not found")
        return Response(bytes(doc["content"]), media_type=doc["content_type"])

    @r.get("/notifications", tags=["notifications"], summary="Notifications sent (local outbox of the SMS/push port)")
    async def notifications(caller: Caller, person_id: str | None = None,
                            limit: int = Query(default=200, ge=1, le=2000)) -> list[dict[str, Any]]:
        require_role(caller, "applicant", "clerk", "supervisor", "ops")
        if caller.role == "applicant":
            person_id = caller.subject
        docs = await IntakeStore(ctx.db(caller.tenant)).notifications(person_id, limit)
        return [{"notification_id": d["_id"], **{k: d[k] for k in ("person_id", "template", "text", "channel", "at",
                                                                     "status")}} for d in docs]

    @r.post("/complaints", status_code=201, tags=["complaints"], summary="A consultation or complaint (咨询/投诉)")
    async def file_complaint(body: ComplaintIn, caller: Caller) -> dict[str, Any]:
        require_role(caller, "applicant", "clerk")
        if caller.role == "applicant" and body.person_id != caller.subject:
            raise InvalidInput("an applicant files only for themself", "person_id")
        # The answer deadline is the caller's own program's (from the verified token's tenant), not Hanzhong's.
        rules = answer_deadlines(program_of_tenant(caller.tenant))
        filed_on = today_cn()
        deadline = answer_deadline(body.kind, filed_on, rules)
        now = _now()
        complaint = {"_id": str(uuid.uuid4()), **body.model_dump(), "status": "open", "filed_at": now,
                     "filed_on": filed_on.isoformat(), **deadline, "filed_by": caller.subject}
        event = new_event("complaint.filed", caller.tenant, body.person_id, events_pb2.ComplaintFiled(
            complaint_id=complaint["_id"], person_id=body.person_id, kind=body.kind, subject=body.subject,
            filed_at=now, due_on=deadline["due_on"], due_provisional=bool(deadline.get("due_provisional")),
            due_working_days=int(deadline.get("due_working_days") or 0), filed_on=filed_on.isoformat()),
            source="intake", trace_context=current_carrier())
        await IntakeStore(ctx.db(caller.tenant)).add_complaint(complaint, [event])
        ctx.relay.kick()
        return _complaint_view(complaint, filed_on)

    @r.get("/complaints", tags=["complaints"], summary="Consultations and complaints, with overdue flags")
    async def list_complaints(caller: Caller, status: str | None = Query(default=None, pattern="^(open|resolved)$"),
                              overdue: bool | None = None) -> list[dict[str, Any]]:
        require_role(caller, "clerk", "supervisor", "ops", "inspector")
        today = today_cn()
        views = [_complaint_view(c, today) for c in await IntakeStore(ctx.db(caller.tenant)).complaints(status, 2000)]
        return [v for v in views if overdue is None or v["overdue"] == overdue]

    @r.post("/complaints/{complaint_id}/resolve", tags=["complaints"], summary="Answer a consultation or complaint")
    async def resolve(complaint_id: str, body: ResolutionIn, caller: Caller) -> dict[str, Any]:
        require_role(caller, "clerk")
        store = IntakeStore(ctx.db(caller.tenant))
        complaint = await store.complaint(complaint_id)
        if complaint is None:
            raise NotFound(f"complaint {complaint_id} not found")
        if complaint["status"] != "open":
            raise Conflict("this complaint is already resolved")
        today, now = today_cn(), _now()
        complaint = current_deadline(complaint)
        overdue = is_overdue(date.fromisoformat(complaint["due_on"]), today, today)
        changes = {"status": "resolved", "resolution": body.resolution, "resolved_at": now,
                   "resolved_on": today.isoformat(), "overdue": overdue, "resolved_by": caller.subject,
                   **{k: complaint[k] for k in ("due_on", "due_provisional", "due_calendar") if k in complaint}}
        event = new_event("complaint.resolved", caller.tenant, complaint["person_id"], events_pb2.ComplaintResolved(
            complaint_id=complaint_id, person_id=complaint["person_id"], resolution=body.resolution, resolved_at=now,
            overdue=overdue), source="intake", trace_context=current_carrier())
        if not await store.resolve_complaint(complaint_id, changes, [event]):
            raise Conflict("this complaint is already resolved")
        await notifier.send(caller.tenant, complaint["person_id"], complaint.get("phone"), "complaint_resolved",
                            {"kind": "咨询" if complaint["kind"] == "consultation" else "投诉",
                             "resolution": body.resolution, "dedupe_key": event["event_id"]})
        ctx.relay.kick()
        return _complaint_view({**complaint, **changes}, today)

    return r


def _complaint_view(c: dict[str, Any], today: date) -> dict[str, Any]:
    c = current_deadline(c)
    resolved_on = date.fromisoformat(c["resolved_on"]) if c.get("resolved_on") else None
    return {"complaint_id": c["_id"], "person_id": c["person_id"], "kind": c["kind"], "subject": c["subject"],
            "status": c["status"], "filed_on": c["filed_on"], "due_on": c["due_on"],
            "overdue": is_overdue(date.fromisoformat(c["due_on"]), resolved_on, today),
            "deadline": {**(deadline_view(c) or {}), "working_days": c.get("due_working_days"),
                         "basis": c.get("due_basis")},
            "resolution": c.get("resolution")}
