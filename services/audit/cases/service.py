"""Leads and cases' use cases (线索与案件): leads entered (上级交办, 部门移交) or made from tips (群众举报, from
complaint.filed), their verification (核查), cases opened from a substantiated lead or an inspection's findings, the
case file's documents, findings, decisions, recoveries and closing (each change one write guarded by the case's
version, with its event where it has one), and the case file exported with its manifest and checksums.

Only the tenants of program km-supervision have any of it: every other tenant's call is 404."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from chassis.calendar import day_cn, today_cn
from chassis.errors import Conflict, InvalidInput, NotFound, PoisonMessage
from chassis.events import new_event
from chassis.locks import KeyedLocks
from chassis.money import fmt, parse_amount
from chassis.programs import program_of_tenant
from contracts.v1 import events_pb2
from services.audit.cases.domain import cases as rules
from services.audit.cases.domain.casefile import build_case_file, sha256
from services.audit.cases.domain.catalogue import PROGRAM, load_catalogue
from services.audit.cases.domain.documents import File, checked_files, reference
from services.audit.cases.domain.leads import OPEN, check_can_open_case, check_entered_lead, check_verification
from services.audit.cases.domain.reasons import REASONS
from services.audit.cases.store import OUTBOX, CaseStore
from services.audit.inspections import service as inspections

__all__ = ["OUTBOX"]

Doc = dict[str, Any]
_CASES = KeyedLocks()   # one change of a case at a time in this process; the version guards across processes


def _now() -> str:
    return datetime.now(UTC).isoformat()


def serves(tenant: str) -> None:
    """Fund supervision exists only for the carrier of program km-supervision; elsewhere 404."""
    program = program_of_tenant(tenant)
    if program is None or program.code != PROGRAM:
        raise NotFound("fund supervision is not run by this tenant")


def supervised(tenant: str) -> bool:
    try:
        serves(tenant)
    except NotFound:
        return False
    return True


async def ensure_indexes(db: Any) -> None:
    await CaseStore(db).ensure_indexes()


# ---- leads (线索) ----------------------------------------------------------------------------------------------

def lead_view(lead: Mapping[str, Any]) -> Doc:
    return {"lead_id": lead["_id"], "source": lead["source"], "institution_id": lead["institution_id"],
            "summary": lead["summary"], "detail": lead.get("detail", ""), "reference": lead.get("reference", ""),
            "origin": lead.get("origin", ""), "received_on": lead["received_on"], "status": lead["status"],
            "verification": lead.get("verification"), "case_id": lead.get("case_id"),
            "complaint_id": lead.get("complaint_id"), "entered_by": lead["entered_by"],
            "entered_at": lead["entered_at"]}


async def enter_lead(db: Any, by: Mapping[str, str], body: Mapping[str, Any]) -> Doc:
    """A lead from a superior (上级交办) or another department (部门移交), about an institution supervision knows (a
    tip names whatever institution its giver named: it is taken as it came)."""
    lead = {"_id": str(uuid.uuid4()), **check_entered_lead(body, today_cn()), "status": OPEN, "case_id": None,
            "entered_by": dict(by), "entered_at": _now()}
    await inspections.known_institution(db, lead["institution_id"])  # 422 unknown_institution
    await CaseStore(db).add_lead(lead)
    return lead_view(lead)


async def note_tip(db: Any, payload: Any, event_id: str, occurred_at: str) -> bool:
    """complaint.filed of kind tip → its lead `tip-<complaint id>`, once (a redelivery changes nothing). Other kinds
    are no leads."""
    if payload.kind != "tip":
        return False
    if not payload.complaint_id or not payload.institution_id:
        raise PoisonMessage("a tip's complaint.filed names its complaint and institution")
    received = payload.filed_on or day_cn(payload.filed_at or occurred_at).isoformat()
    lead = {"_id": f"tip-{payload.complaint_id}", "source": "tip", "institution_id": payload.institution_id,
            "summary": payload.subject, "detail": payload.detail, "reference": payload.complaint_id,
            "origin": "群众举报", "received_on": received, "status": OPEN, "case_id": None,
            "complaint_id": payload.complaint_id, "event_id": event_id,
            "entered_by": {"role": "service", "subject": "intake"}, "entered_at": _now()}
    return await CaseStore(db).add_lead(lead)


async def leads(db: Any, status: str | None, source: str | None, institution_id: str | None,
                limit: int) -> list[Doc]:
    query = {k: v for k, v in (("status", status), ("source", source), ("institution_id", institution_id)) if v}
    return [lead_view(x) for x in await CaseStore(db).leads(query, limit)]


async def _lead(store: CaseStore, lead_id: str) -> Doc:
    found = await store.lead(lead_id)
    if found is None:
        raise NotFound(f"lead {lead_id} not found")
    return found


async def lead(db: Any, lead_id: str) -> Doc:
    return lead_view(await _lead(CaseStore(db), lead_id))


async def verify(db: Any, by: Mapping[str, str], lead_id: str, body: Mapping[str, Any]) -> Doc:
    """核查: substantiated or not, once."""
    store = CaseStore(db)
    found = await _lead(store, lead_id)
    verification = {**check_verification(found, body, today_cn()), "by": dict(by), "at": _now()}
    if not await store.verify_lead(lead_id, verification):
        raise Conflict("the lead was verified meanwhile", "outcome", code="lead_already_verified")
    return lead_view({**found, "status": "verified", "verification": verification})


# ---- inspections reported (what a case may start from) --------------------------------------------------------

async def note_inspection(db: Any, payload: Any, event_id: str) -> bool:
    """inspection.reported → the inspection's institution and findings, kept until a case is opened from it (a
    report sent again replaces the findings of an inspection no case was opened from)."""
    if not payload.inspection_id or not payload.institution_id:
        raise PoisonMessage("inspection.reported names its inspection and institution")
    try:
        findings = [{"code": f.code, "amount": fmt(parse_amount(f.amount or "0", f"findings[{n}].amount")),
                     "catalogue_version": payload.catalogue_version, "finding_id": f.finding_id, "description": ""}
                    for n, f in enumerate(payload.findings)]
    except InvalidInput as exc:
        raise PoisonMessage(f"inspection.reported {exc.field}: {exc.message}") from None
    doc = {"_id": payload.inspection_id, "institution_id": payload.institution_id,
           "institution_kind": payload.institution_kind, "method": payload.method, "ended_on": payload.ended_on,
           "reported_on": payload.reported_on, "findings": findings, "event_id": event_id, "case_id": None}
    store = CaseStore(db)
    if await store.add_inspection(doc):
        return True
    return await store.replace_inspection(doc)


# ---- cases (案件) ----------------------------------------------------------------------------------------------

def _reasoned_finding(f: Mapping[str, Any]) -> Doc:
    return {**f, "reason": REASONS.reason("violation_found", f"{f['code']} {f.get('name', '')}: {f['amount']}",
                                          violation=f["code"], amount=f["amount"],
                                          catalogue_version=f.get("catalogue_version", "")).to_json()}


def _reasoned_decision(d: Mapping[str, Any]) -> Doc:
    if d["kind"] == rules.RECOVER:
        return {**d, "reason": REASONS.reason("recovery_decided", f"追回 {d['amount']}", amount=d["amount"]).to_json()}
    if d["kind"] == rules.FINE:
        return {**d, "reason": REASONS.reason("fine_decided", f"罚款 {d['amount']}", amount=d["amount"]).to_json()}
    return dict(d)


def _reasoned_recovery(r: Mapping[str, Any]) -> Doc:
    return {**r, "reason": REASONS.reason("recovered", f"{r['amount']} on {r['recovered_on']}",
                                          amount=r["amount"], receipt=r["receipt_document_id"]).to_json()}


def case_view(case: Mapping[str, Any]) -> Doc:
    sums = rules.totals(case)
    return {"case_id": case["_id"], "institution_id": case["institution_id"], "source": case["source"],
            "lead_id": case.get("lead_id"), "inspection_id": case.get("inspection_id"), "state": case["state"],
            "opened_on": case["opened_on"], "opened_at": case["opened_at"], "opened_by": case["opened_by"],
            "documents": case.get("documents") or [],
            "findings": [_reasoned_finding(f) for f in case.get("findings") or []],
            "decisions": [_reasoned_decision(d) for d in case.get("decisions") or []],
            "recoveries": [_reasoned_recovery(r) for r in case.get("recoveries") or []],
            "closing": case.get("closing"), "totals": {k: fmt(v) for k, v in sums.items()},
            "version": case["version"], "updated_at": case["updated_at"], "history": case.get("history") or []}


async def _case(store: CaseStore, case_id: str) -> Doc:
    found = await store.case(case_id)
    if found is None:
        raise NotFound(f"case {case_id} not found")
    return found


async def case(db: Any, case_id: str) -> Doc:
    return case_view(await _case(CaseStore(db), case_id))


async def exists(db: Any, case_id: str) -> None:
    """404 for a case this tenant does not have (before a door reads an upload's body)."""
    await _case(CaseStore(db), case_id)


async def cases(db: Any, state: str | None, institution_id: str | None, source: str | None,
                limit: int) -> list[Doc]:
    query = {k: v for k, v in (("state", state), ("institution_id", institution_id), ("source", source)) if v}
    return [case_view(c) for c in await CaseStore(db).cases(query, limit)]


def _history(action: str, by: Mapping[str, str], at: str, **detail: str) -> Doc:
    return {"action": action, "at": at, "by": dict(by), **detail}


async def open_case(db: Any, tenant: str, by: Mapping[str, str], lead_id: str | None, inspection_id: str | None,
                    carrier: dict[str, str]) -> Doc:
    """立案: from a substantiated lead, or from an inspection's reported findings (they become the case's first
    findings) — exactly one; one case per lead or inspection. case.opened in the same write."""
    if bool(lead_id) == bool(inspection_id):
        raise InvalidInput("name the lead (lead_id) or the inspection (inspection_id) the case is opened from",
                           "lead_id" if not lead_id else "inspection_id", code="case_source_ambiguous")
    store = CaseStore(db)
    case_id, now, today = str(uuid.uuid4()), _now(), today_cn()
    findings: list[Doc] = []
    if lead_id:
        found = await store.lead(lead_id)
        if found is None:
            raise InvalidInput(f"no lead {lead_id}", "lead_id", code="lead_unknown")
        check_can_open_case(found)
        institution, source = found["institution_id"], found["source"]
        if not await store.link_case(lead_id, case_id):
            raise Conflict("a case was opened from this lead meanwhile", "lead_id", code="lead_has_case")
    else:
        assert inspection_id is not None
        inspection = await store.inspection(inspection_id)
        if inspection is None:
            raise InvalidInput(f"no reported inspection {inspection_id} is known", "inspection_id",
                               code="inspection_unknown")
        if inspection.get("case_id"):
            raise Conflict(f"case {inspection['case_id']} was opened from this inspection already", "inspection_id",
                           code="inspection_has_case", params={"case_id": str(inspection["case_id"])})
        if not inspection["findings"]:
            raise Conflict("the inspection found nothing", "inspection_id", code="inspection_without_findings")
        institution, source = inspection["institution_id"], "inspection"
        findings = rules.findings_of_inspection(inspection["findings"], load_catalogue(),
                                                inspection.get("ended_on") or today.isoformat(), inspection_id)
        if not await store.link_inspection(inspection_id, case_id):
            raise Conflict("a case was opened from this inspection meanwhile", "inspection_id",
                           code="inspection_has_case")
    doc = {"_id": case_id, "institution_id": institution, "source": source, "lead_id": lead_id,
           "inspection_id": inspection_id, "state": rules.OPEN, "opened_on": today.isoformat(), "opened_at": now,
           "opened_by": dict(by), "documents": [], "findings": findings, "decisions": [], "recoveries": [],
           "closing": None, "version": 1, "updated_at": now, "history": [_history("open", by, now)]}
    event = new_event("case.opened", tenant, case_id, events_pb2.CaseOpened(
        case_id=case_id, institution_id=institution, source=source, lead_id=lead_id or "",
        inspection_id=inspection_id or "", opened_on=doc["opened_on"], opened_at=now),
        source="audit", trace_context=carrier)
    try:
        await store.add_case(doc, [event])
    except BaseException:
        if lead_id:
            await store.unlink_case(lead_id, case_id)
        if inspection_id:
            await store.unlink_inspection(inspection_id, case_id)
        raise
    return case_view(doc)


async def _change(db: Any, case_id: str, by: Mapping[str, str], action: str, change: Any,
                  event: Any = None) -> Doc:
    """Read the case, let `change(case, documents, now)` compute its changed fields (refusing what breaks a rule),
    write them guarded by the case's version with the action in its history (and the event `event(case, changes,
    now)` makes, if any)."""
    store = CaseStore(db)
    async with _CASES.hold(f"case:{case_id}"):
        found = await _case(store, case_id)
        rules.check_action(found["state"], action)
        now = _now()
        documents = {d["document_id"] for d in found.get("documents") or []}
        changes = change(found, documents, now)
        changes = {**changes, "updated_at": now,
                   "history": [*(found.get("history") or []), _history(action, by, now)]}
        events = [event(found, changes, now)] if event else None
        if not await store.change_case(case_id, found["version"], changes, events):
            raise Conflict("the case changed meanwhile; read it again and send your change again")
        return case_view({**found, **changes, "version": found["version"] + 1})


async def add_documents(db: Any, by: Mapping[str, str], case_id: str, files: Sequence[File],
                        max_bytes: int) -> Doc:
    """案卷材料: files checked whole first (sniffed, sha256 kept), the bytes kept, then the case's references (the same
    file again is the same document)."""
    who = f"{by['role']}:{by['subject']}"
    docs = checked_files(files, max_bytes, _now(), who)
    store = CaseStore(db)
    rules.check_action((await _case(store, case_id))["state"], rules.ADD_DOCUMENT)
    await store.add_documents(case_id, docs)

    def change(case: Doc, known: set[str], now: str) -> Doc:
        new = [reference(d) for d in docs if d["document_id"] not in known]
        return {"documents": [*(case.get("documents") or []), *new]}

    return await _change(db, case_id, by, rules.ADD_DOCUMENT, change)


async def document(db: Any, case_id: str, document_id: str) -> tuple[bytes, str, str]:
    store = CaseStore(db)
    await _case(store, case_id)
    found = await store.document(case_id, document_id)
    if found is None:
        raise NotFound(f"document {document_id} not found")
    content = bytes(found["content"])
    if sha256(content) != found["sha256"]:
        raise Conflict(f"the stored document {document_id} no longer matches its recorded sha256")
    return content, found["content_type"], found["sha256"]


async def add_finding(db: Any, by: Mapping[str, str], case_id: str, body: Mapping[str, Any]) -> Doc:
    catalogue = load_catalogue()

    def change(case: Doc, documents: set[str], now: str) -> Doc:
        finding = {**rules.check_finding(body, catalogue, documents, today_cn()), "recorded_by": dict(by),
                   "recorded_at": now}
        return {"findings": [*(case.get("findings") or []), finding]}

    return await _change(db, case_id, by, rules.ADD_FINDING, change)


async def decide(db: Any, by: Mapping[str, str], case_id: str, body: Mapping[str, Any]) -> Doc:
    def change(case: Doc, documents: set[str], now: str) -> Doc:
        decision = {**rules.check_decision(case, body, documents, today_cn()), "recorded_by": dict(by),
                    "recorded_at": now}
        return {"decisions": [*(case.get("decisions") or []), decision],
                "state": rules.next_state(case["state"], rules.DECIDE)}

    return await _change(db, case_id, by, rules.DECIDE, change)


async def recover(db: Any, by: Mapping[str, str], case_id: str, body: Mapping[str, Any]) -> Doc:
    def change(case: Doc, documents: set[str], now: str) -> Doc:
        recovery = {**rules.check_recovery(case, body, documents, today_cn()), "recorded_by": dict(by),
                    "recorded_at": now}
        return {"recoveries": [*(case.get("recoveries") or []), recovery]}

    return await _change(db, case_id, by, rules.RECOVER, change)


async def close(db: Any, tenant: str, by: Mapping[str, str], case_id: str, note: str,
                carrier: dict[str, str]) -> Doc:
    """结案, with case.closed: what was found, decided and recovered."""
    def change(case: Doc, documents: set[str], now: str) -> Doc:
        outcome = rules.closing_outcome(case)
        return {"state": rules.next_state(case["state"], rules.CLOSE),
                "closing": {"outcome": outcome, "note": note, "closed_on": today_cn().isoformat(), "closed_at": now,
                            "by": dict(by)}}

    def event(case: Doc, changes: Doc, now: str) -> dict[str, Any]:
        sums = rules.totals(case)
        closing = changes["closing"]
        return new_event("case.closed", tenant, case["_id"], events_pb2.CaseClosed(
            case_id=case["_id"], institution_id=case["institution_id"], source=case["source"],
            outcome=closing["outcome"],
            findings=[events_pb2.CaseFindingRef(code=f["code"], amount=f["amount"],
                                                catalogue_version=f.get("catalogue_version", ""))
                      for f in case.get("findings") or []],
            decisions=[events_pb2.CaseDecisionRef(kind=d["kind"], amount=d.get("amount", ""))
                       for d in case.get("decisions") or []],
            amount_found=fmt(sums["found"]), amount_recovered=fmt(sums["recovered"]),
            closed_on=closing["closed_on"], closed_at=now, inspection_id=case.get("inspection_id") or "",
            lead_id=case.get("lead_id") or ""), source="audit", trace_context=carrier)

    return await _change(db, case_id, by, rules.CLOSE, change, event)


async def export(db: Any, tenant: str, case_id: str) -> tuple[bytes, str, Doc]:
    """The case file (案卷) as a zip with its manifest and checksums: the case (with its lead and verification) and
    every document, each checked against its recorded sha256 first. The same case at the same version gives the
    same bytes (produced_at is the case's last change)."""
    store = CaseStore(db)
    found = await _case(store, case_id)
    view = case_view(found)
    if found.get("lead_id"):
        lead_doc = await store.lead(found["lead_id"])
        view["lead"] = lead_view(lead_doc) if lead_doc else None
    documents: dict[str, tuple[str, bytes]] = {}
    for ref in found.get("documents") or []:
        content, content_type, _ = await document(db, case_id, ref["document_id"])
        documents[ref["document_id"]] = (content_type, content)
    content, manifest = build_case_file(view, documents, tenant, found["updated_at"])
    return content, sha256(content), manifest
