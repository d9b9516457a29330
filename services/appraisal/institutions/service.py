"""The institution registry's use cases (定点协议管理): apply, record the review steps, sign and renew the agreement,
suspend, resume and terminate it, hold violation interviews, import institutions designated before, and read the
registry, an institution's file (一机构一档) and its documents. Each change is decided by the state machine
(domain/agreement.py) on the file as read, written with its event in one write guarded by the file's version, and
published as institution.changed (institution.interviewed for an interview)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.events import new_event
from chassis.programs import program_of_tenant
from chassis.scope import TenantScope
from chassis.telemetry import current_carrier
from contracts.v1 import events_pb2
from services.appraisal.institutions.domain import agreement as machine
from services.appraisal.institutions.domain.agreement import Actor, Change
from services.appraisal.institutions.domain.documents import (
    APPLICATION_DOCUMENTS,
    EVIDENCE,
    MINUTES,
    File,
    checked_files,
    reference,
    require_documents,
    require_one,
)
from services.appraisal.institutions.domain.registration import (
    RegistryRules,
    check_applicant,
    check_particulars,
    registry_rules,
)
from services.appraisal.institutions.store import InstitutionStore

SOURCE = "appraisal"
MAX_IMPORT = 5000


def _actor(scope: TenantScope) -> Actor:
    return Actor(f"{scope.role}:{scope.subject}", datetime.now(UTC).isoformat(), today_cn())


def _counties(tenant: str) -> dict[str, str]:
    program = program_of_tenant(tenant)
    return dict(program.counties) if program else {}


def _rules(tenant: str) -> RegistryRules:
    """What the tenant's program asks of its registry (program.yaml `registry:`; fund supervision: hospitals,
    pharmacies and the agency, a hospital with its level)."""
    program = program_of_tenant(tenant)
    return registry_rules(program.settings.get("registry") if program else None)


# ---- events ----------------------------------------------------------------------------------------------------

def _periods(pairs: list[tuple[str, str]]) -> list[events_pb2.InstitutionPeriod]:
    return [events_pb2.InstitutionPeriod(start=start, end=end) for start, end in pairs]


def changed_event(tenant: str, change: Change, actor: Actor) -> dict[str, Any]:
    """institution.changed: the institution as it now stands, enough for a consumer to answer "designated on day
    D?" from this event alone (terms, suspensions, termination)."""
    r = change.record
    term = machine.current_term(r, actor.on) or {}
    payload = events_pb2.InstitutionChanged(
        institution_id=r["institution_id"], kind=r["kind"], name=r["name"], status=r["status"], step=change.step,
        agreement_from=term.get("valid_from", ""), agreement_to=term.get("valid_to", ""), modes=r.get("modes") or [],
        district=r["district"], occurred_at=actor.at, reason=change.reason, outcome=change.outcome,
        level=r.get("level") or "",
        effective_on=change.effective_on, version=int(r["version"]), terms=_periods(machine.effective_terms(r)),
        suspensions=_periods(machine.suspension_periods(r)), terminated_on=machine.terminated_on(r))
    return new_event("institution.changed", tenant, r["institution_id"], payload, source=SOURCE,
                     trace_context=current_carrier())


def interviewed_event(tenant: str, change: Change, actor: Actor) -> dict[str, Any]:
    r = change.record
    held = r["interviews"][-1]
    payload = events_pb2.InstitutionInterviewed(
        institution_id=r["institution_id"], interview_id=held["interview_id"], held_on=held["held_on"],
        violations=held["violations"], minutes_sha256=held["minutes"]["sha256"], outcome=held["outcome"])
    return new_event("institution.interviewed", tenant, r["institution_id"], payload, source=SOURCE,
                     trace_context=current_carrier())


# ---- views -----------------------------------------------------------------------------------------------------

def summary_view(r: dict[str, Any], tenant: str, today: date) -> dict[str, Any]:
    """An institution as the registry lists it: particulars, where its review or agreement stands, and whether it
    may serve today (`in_force`: within an agreement term, not suspended, not terminated)."""
    term = machine.current_term(r, today)
    open_suspension = next((s for s in r.get("suspensions") or [] if not s.get("ended_on")), None)
    return {"institution_id": r["institution_id"], "tenant": tenant, "kind": r["kind"], "name": r["name"],
            "level": r.get("level"), "district": r["district"], "modes": r.get("modes") or [], "beds": r.get("beds"),
            "staff": r.get("staff"),
            "contact": r.get("contact"), "status": r["status"], "step": r.get("step"), "round": r.get("round"),
            "next_step": machine.next_step(r),
            "agreement": {k: term[k] for k in ("agreement_id", "kind", "valid_from", "valid_to")} if term else None,
            "in_force": machine.designated_on(r, today),
            "suspended_from": open_suspension["from"] if open_suspension else None,
            "terminated_on": machine.terminated_on(r) or None, "version": r.get("version"),
            "updated_at": r.get("updated_at")}


def file_view(r: dict[str, Any], tenant: str, today: date) -> dict[str, Any]:
    """一机构一档: the institution's whole file — every application round with its documents, every review step
    (with experts and evidence), agreement term, suspension, termination and interview (with its minutes'
    sha256), and its history."""
    return {**summary_view(r, tenant, today), "created_at": r.get("created_at"),
            "applications": r.get("applications") or [], "steps": r.get("steps") or [],
            "agreements": r.get("agreements") or [], "suspensions": r.get("suspensions") or [],
            "terminations": r.get("terminations") or [], "interviews": r.get("interviews") or [],
            "effective_terms": [{"valid_from": a, "valid_to": b} for a, b in machine.effective_terms(r)],
            "history": r.get("history") or []}


# ---- reading ---------------------------------------------------------------------------------------------------

def _tenant(scope: TenantScope, tenant: str | None) -> str:
    """The registry read: the caller's own, or (the agency supervisor) one of its program's tenants served here;
    any other answers like a missing institution."""
    chosen = tenant or scope.tenant
    if chosen not in scope.readable:
        raise NotFound("institution not found")
    return chosen


async def _visible(scope: TenantScope, tenant: str | None, institution_id: str) -> tuple[str, InstitutionStore,
                                                                                         dict[str, Any]]:
    """The institution's file as the caller may see it: an institution sees its own only, another tenant's (or a
    missing one) is not found."""
    chosen = _tenant(scope, tenant)
    if scope.role == "institution" and scope.subject != institution_id:
        raise NotFound(f"institution {institution_id} not found")
    store = InstitutionStore(scope.db(chosen))
    record = await store.institution(institution_id)
    if record is None:
        raise NotFound(f"institution {institution_id} not found")
    return chosen, store, record


async def listed(scope: TenantScope, kind: str | None, status: str | None, district: str | None,
                 limit: int) -> dict[str, Any]:
    """The registry of every tenant the caller reads (an institution: its own entry only)."""
    today, rows = today_cn(), []
    if scope.role == "institution":
        own = await InstitutionStore(scope.db()).institution(scope.subject)
        wanted = {"kind": kind, "status": status, "district": district}
        if own is not None and all(v is None or own.get(k) == v for k, v in wanted.items()):
            rows.append(summary_view(own, scope.tenant, today))
        return {"institutions": rows, "count": len(rows)}
    for tenant in scope.readable:
        rows += [summary_view(r, tenant, today)
                 for r in await InstitutionStore(scope.db(tenant)).institutions(kind, status, district, limit)]
    return {"institutions": rows[:limit], "count": len(rows[:limit])}


async def one(scope: TenantScope, tenant: str | None, institution_id: str) -> dict[str, Any]:
    chosen, _, record = await _visible(scope, tenant, institution_id)
    return summary_view(record, chosen, today_cn())


async def institution_file(scope: TenantScope, tenant: str | None, institution_id: str) -> dict[str, Any]:
    chosen, _, record = await _visible(scope, tenant, institution_id)
    return file_view(record, chosen, today_cn())


async def document(scope: TenantScope, tenant: str | None, institution_id: str,
                   document_id: str) -> tuple[bytes, str, str]:
    """A document's bytes, type and sha256 (409 `document_altered` when the bytes kept no longer match it)."""
    _, store, _ = await _visible(scope, tenant, institution_id)
    doc = await store.document(institution_id, document_id)
    if doc is None:
        raise NotFound(f"document {document_id} not found")
    data = bytes(doc["content"])
    if hashlib.sha256(data).hexdigest() != doc["sha256"]:
        raise Conflict(f"the stored document {document_id} no longer matches its recorded sha256",
                       code="document_altered")
    return data, doc["content_type"], doc["sha256"]


# ---- changing --------------------------------------------------------------------------------------------------

async def _write(store: InstitutionStore, tenant: str, before: dict[str, Any], change: Change,
                 events: list[dict[str, Any]]) -> dict[str, Any]:
    if not await store.replace_state(before["_id"], int(before["version"]), change.record, events):
        raise Conflict(f"institution {before['_id']} changed meanwhile; read it again and retry",
                       code="institution_changed")
    return file_view(change.record, tenant, today_cn())


async def apply(scope: TenantScope, particulars_in: dict[str, Any], files: list[File],
                max_bytes: int) -> dict[str, Any]:
    """申请受理: an institution's application with its documents (the licence at least), everything checked before
    anything is written; a rejected or terminated institution applies again in a new round."""
    check_applicant(scope.role, scope.subject, particulars_in["institution_id"])
    particulars = check_particulars(particulars_in, scope.tenant, _counties(scope.tenant),
                                    rules=_rules(scope.tenant))
    docs = checked_files(files, APPLICATION_DOCUMENTS, max_bytes)
    require_documents(docs)
    iid, actor = particulars["institution_id"], _actor(scope)
    store = InstitutionStore(scope.db())
    before = await store.institution(iid)
    change = machine.apply(before, particulars, [reference(d) for d in docs], actor)
    events = [changed_event(scope.tenant, change, actor)]
    await store.add_documents(iid, docs)
    if before is None:
        if not await store.add_institution(change.record, events):
            raise Conflict(f"institution {iid} is registered already", "institution.institution_id",
                           code="institution_exists")
        return file_view(change.record, scope.tenant, actor.on)
    return await _write(store, scope.tenant, before, change, events)


async def record_step(scope: TenantScope, institution_id: str, step_in: dict[str, Any], files: list[File],
                      max_bytes: int) -> dict[str, Any]:
    """资料审核 / 现场验收 / 专家评审 with optional evidence files; out of order or after a failure: 409."""
    panel = machine.check_step_input(step_in["step"], step_in["outcome"], step_in.get("note") or "",
                                     step_in.get("experts") or [], scope.role)
    evidence = checked_files(files, (EVIDENCE,), max_bytes)
    _, store, before = await _visible(scope, None, institution_id)
    actor = _actor(scope)
    change = machine.record_step(before, step_in["step"], step_in["outcome"], step_in.get("note") or "", panel,
                                 [reference(d) for d in evidence], actor)
    await store.add_documents(institution_id, evidence)
    return await _write(store, scope.tenant, before, change, [changed_event(scope.tenant, change, actor)])


async def sign_agreement(scope: TenantScope, institution_id: str, valid_from: date,
                         valid_to: date) -> dict[str, Any]:
    _, store, before = await _visible(scope, None, institution_id)
    actor = _actor(scope)
    change = machine.sign_agreement(before, valid_from, valid_to, actor)
    return await _write(store, scope.tenant, before, change, [changed_event(scope.tenant, change, actor)])


async def suspend(scope: TenantScope, tenant: str | None, institution_id: str, reason: str,
                  start: date) -> dict[str, Any]:
    chosen, store, before = await _visible(scope, tenant, institution_id)
    actor = _actor(scope)
    change = machine.suspend(before, reason, start, actor)
    return await _write(store, chosen, before, change, [changed_event(chosen, change, actor)])


async def resume(scope: TenantScope, tenant: str | None, institution_id: str, on: date | None,
                 note: str) -> dict[str, Any]:
    chosen, store, before = await _visible(scope, tenant, institution_id)
    actor = _actor(scope)
    change = machine.resume(before, on or actor.on, note, actor)
    return await _write(store, chosen, before, change, [changed_event(chosen, change, actor)])


async def terminate(scope: TenantScope, tenant: str | None, institution_id: str, reason: str,
                    on: date) -> dict[str, Any]:
    chosen, store, before = await _visible(scope, tenant, institution_id)
    actor = _actor(scope)
    change = machine.terminate(before, reason, on, actor)
    return await _write(store, chosen, before, change, [changed_event(chosen, change, actor)])


async def interview(scope: TenantScope, institution_id: str, interview_in: dict[str, Any], files: list[File],
                    max_bytes: int) -> dict[str, Any]:
    """违规约谈 with its minutes (one PDF, PNG or JPEG, sha256 recorded): institution.interviewed."""
    docs = checked_files(files, (MINUTES,), max_bytes)
    minutes = require_one(docs, MINUTES)
    _, store, before = await _visible(scope, None, institution_id)
    actor = _actor(scope)
    change = machine.interview(before, interview_in["held_on"], interview_in["attendees"],
                               interview_in["violations"], interview_in["outcome"], interview_in.get("rectify_by"),
                               interview_in.get("note") or "", reference(minutes), actor)
    await store.add_documents(institution_id, [minutes])
    view = await _write(store, scope.tenant, before, change, [interviewed_event(scope.tenant, change, actor)])
    return {**view, "interview": change.record["interviews"][-1]}


async def import_designated(scope: TenantScope, items: list[dict[str, Any]]) -> dict[str, Any]:
    """迁移导入: institutions designated before the platform, each with its agreement term (status designated, step
    `migrated`), every item checked before anything is written; one already registered is left as it is."""
    if len(items) > MAX_IMPORT:
        raise InvalidInput(f"at most {MAX_IMPORT} institutions per import", "institutions")
    counties, rules, actor = _counties(scope.tenant), _rules(scope.tenant), _actor(scope)
    changes: list[Change] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        prefix = f"institutions[{i}]"
        particulars = check_particulars(item, scope.tenant, counties, prefix, rules)
        if particulars["institution_id"] in seen:
            raise InvalidInput(f"institution {particulars['institution_id']} is listed twice",
                               f"{prefix}.institution_id", code="duplicate_institution")
        seen.add(particulars["institution_id"])
        term = item["agreement"]
        changes.append(machine.migrated(particulars, term["valid_from"], term["valid_to"], actor,
                                        prefix=f"{prefix}.agreement."))
    store = InstitutionStore(scope.db())
    imported, existing = [], []
    for change in changes:
        iid = change.record["institution_id"]
        if await store.add_institution(change.record, [changed_event(scope.tenant, change, actor)]):
            imported.append(iid)
        else:
            existing.append(iid)
    return {"imported": imported, "already_registered": existing, "count": len(imported)}
