"""Fund supervision's inspections (基金监管 现场检查, Karamay tender 二(一)1–3): the institutions known from the
registry's events, the term's coverage plan and its live figures (现场检查率100%), double-random draws (双随机),
inspections with their team, method and days, the pre-visit dossier (数据提取与筛查), the checklist of the institution's
kind from the violation catalogue, evidence files, findings, the end and the report (调查报告: due 3 calendar days after
a hospital's inspection ends, the next day for a pharmacy, 3 for the agency; overdue flagged) with inspection.reported
staged in the same write, and each institution's findings history.

Only the tenants of the fund-supervision program have any of it: every other tenant's call is 404."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, InvalidInput, NotFound, PoisonMessage
from chassis.events import new_event
from chassis.programs import load_program, program_of_tenant
from contracts.v1 import events_pb2
from services.audit.inspections.domain import coverage as cov
from services.audit.inspections.domain import deadlines, draws
from services.audit.inspections.domain import inspections as rules
from services.audit.inspections.domain.catalogue import PROGRAM, Catalogue, load_catalogue
from services.audit.inspections.domain.dossier import build as build_dossier
from services.audit.inspections.domain.settings import SupervisionSettings, parse_settings
from services.audit.inspections.store import OUTBOX, InspectionStore
from services.audit.smart_review import service as smart_review
from services.audit.warnings import service as warnings

__all__ = ["OUTBOX"]

Doc = dict[str, Any]
HITS_PAGE = 1000
CONTENT_TYPES = ("application/pdf", "image/png", "image/jpeg")


def _now() -> str:
    return datetime.now(UTC).isoformat()


def serves(tenant: str) -> None:
    """Fund supervision exists only for the carriers of the fund-supervision program; elsewhere 404."""
    program = program_of_tenant(tenant)
    if program is None or program.code != PROGRAM:
        raise NotFound("fund supervision is not run by this tenant")


def served(tenant: str) -> bool:
    try:
        serves(tenant)
    except NotFound:
        return False
    return True


@cache
def settings() -> SupervisionSettings:
    return parse_settings(load_program(PROGRAM).settings["supervision"])


@cache
def catalogue() -> Catalogue:
    return load_catalogue(settings().catalogue)


async def ensure_indexes(db: Any) -> None:
    await InspectionStore(db).ensure_indexes()


# ---- the institutions, from events (idempotent: the registry's version decides) --------------------------------

async def note_institution(db: Any, payload: Any, event_id: str, occurred_at: str) -> bool:
    """institution.changed → the institution as supervision knows it (hospital, pharmacy or agency)."""
    iid = payload.institution_id
    if not iid or not payload.status or not payload.kind:
        raise PoisonMessage("institution.changed without institution_id, status or kind")
    doc = {"_id": iid, "institution_id": iid, "kind": payload.kind, "level": payload.level or None,
           "name": payload.name, "district": payload.district, "status": payload.status,
           "terms": [{"start": t.start, "end": t.end} for t in payload.terms],
           "suspensions": [{"start": t.start, "end": t.end} for t in payload.suspensions],
           "terminated_on": payload.terminated_on, "version": int(payload.version), "event_id": event_id,
           "changed_at": payload.occurred_at or occurred_at}
    return await InspectionStore(db).note_institution(doc)


def _known(doc: Mapping[str, Any]) -> cov.Known:
    return cov.Known(doc["_id"], doc["kind"], tuple((t["start"], t.get("end") or "") for t in doc.get("terms") or ()),
                     doc.get("terminated_on") or "")


def institution_view(doc: Mapping[str, Any]) -> Doc:
    return {k: doc.get(k) for k in ("institution_id", "kind", "level", "name", "district", "status", "terms",
                                    "suspensions", "terminated_on", "version")}


async def institutions(db: Any, kind: str | None) -> Doc:
    rows = [institution_view(d) for d in await InspectionStore(db).institutions(kind)]
    return {"institutions": rows, "count": len(rows)}


async def _institution(store: InspectionStore, institution_id: str, field: str = "institution_id") -> Doc:
    doc = await store.institution(institution_id)
    if doc is None or doc["kind"] not in settings().report_days:
        raise InvalidInput(f"institution {institution_id} is not known to supervision", field,
                           code="unknown_institution")
    return doc


async def known_institution(db: Any, institution_id: str, field: str = "institution_id") -> Doc:
    """An institution supervision knows (a hospital, pharmacy or the agency), or 422 `unknown_institution`."""
    return await _institution(InspectionStore(db), institution_id, field)


async def findings_history(db: Any, institution_id: str) -> Doc:
    """An institution's findings across its inspections (检查发现历史), newest inspection first."""
    store = InspectionStore(db)
    if await store.institution(institution_id) is None:
        raise NotFound(f"institution {institution_id} not found")
    rows, total = [], Decimal("0.00")
    for i in reversed(await store.inspections(institution_id=institution_id)):
        for f in i.get("findings") or []:
            total += Decimal(f["amount"])
            rows.append({"inspection_id": i["_id"], "method": i["method"], "ended_on": i.get("ended_on"),
                         "state": i["state"], **{k: f.get(k) for k in ("finding_id", "code", "name", "group",
                                                                       "amount", "description")}})
    return {"institution_id": institution_id, "findings": rows, "count": len(rows), "amount": str(total)}


# ---- the coverage plan (全覆盖检查计划) -----------------------------------------------------------------------------

def plan_view(doc: Mapping[str, Any]) -> Doc:
    return {"plan_id": doc["_id"], "version": doc["version"], "title": doc.get("title", ""),
            "term_from": doc["term_from"], "term_to": doc["term_to"], "schedule": doc["schedule"],
            "institutions": len(doc["schedule"]), "written_by": doc["written_by"], "written_at": doc["written_at"]}


async def write_plan(db: Any, by: Mapping[str, str], body: Mapping[str, Any]) -> Doc:
    """A new version of the term's plan reaching every institution of the term (a given schedule must place each;
    none given, the platform spreads them over the term's months)."""
    s = settings()
    term_from, term_to = body.get("term_from") or s.term_from, body.get("term_to") or s.term_to
    cov.check_term(term_from, term_to)
    store = InspectionStore(db)
    known = [_known(d) for d in await store.institutions()]
    reach = cov.population(known, term_from, term_to)
    cov.require_reach(reach, term_from, term_to, len(known))
    months = cov.months_of(term_from, term_to)
    if body.get("schedule") is None:
        placed = cov.spread(reach, months)
    else:
        placed = cov.check_schedule(body["schedule"], reach, (k.institution_id for k in known), months)
    versions = await store.plans()
    version = (versions[-1]["version"] if versions else 0) + 1
    doc = {"_id": f"CP-v{version}", "version": version, "title": body.get("title") or "",
           "term_from": term_from.isoformat(), "term_to": term_to.isoformat(),
           "schedule": [{"institution_id": k, "month": m} for k, m in sorted(placed.items())],
           "written_by": dict(by), "written_at": _now()}
    if not await store.add_plan(doc):
        raise Conflict(f"a plan version {version} was written meanwhile; send it again")
    return plan_view(doc)


async def plans(db: Any) -> Doc:
    versions = await InspectionStore(db).plans()
    if not versions:
        raise NotFound("no coverage plan written yet")
    return {"current": plan_view(versions[-1]),
            "versions": [{"plan_id": v["_id"], "version": v["version"], "term_from": v["term_from"],
                          "term_to": v["term_to"], "written_at": v["written_at"]} for v in versions]}


async def coverage(db: Any, tenant: str) -> Doc:
    """The term's coverage, live: every institution of the term, planned month, inspections ended within the term,
    done or not (the current plan's term, or the program's when no plan is written)."""
    store = InspectionStore(db)
    versions = await store.plans()
    plan = versions[-1] if versions else None
    s = settings()
    term_from = date.fromisoformat(plan["term_from"]) if plan else s.term_from
    term_to = date.fromisoformat(plan["term_to"]) if plan else s.term_to
    reach = cov.population([_known(d) for d in await store.institutions()], term_from, term_to)
    planned = {e["institution_id"]: e["month"] for e in (plan or {}).get("schedule") or []}
    inspected: dict[str, list[Doc]] = {}
    for i in await store.ended_between(term_from.isoformat(), term_to.isoformat()):
        inspected.setdefault(i["institution_id"], []).append({"inspection_id": i["_id"], "ended_on": i["ended_on"]})
    return {"tenant": tenant, "plan_id": plan["_id"] if plan else None, "term_from": term_from.isoformat(),
            "term_to": term_to.isoformat(), "tender_counts": dict(s.institutions),
            **cov.coverage(reach, planned, inspected, today_cn())}


# ---- double-random draws (双随机) ----------------------------------------------------------------------------------

def draw_view(doc: Mapping[str, Any]) -> Doc:
    return {"draw_id": doc["_id"], "seed": doc["seed"], "method": draws.METHOD, "kind": doc.get("kind"),
            "institutions": doc["institutions"], "inspectors": doc["inspectors"],
            "institution_pool": doc["institution_pool"], "inspector_pool": doc["inspector_pool"],
            "institution_pool_sha256": doc["institution_pool_sha256"],
            "inspector_pool_sha256": doc["inspector_pool_sha256"], "created_by": doc["created_by"],
            "created_at": doc["created_at"]}


async def make_draw(db: Any, by: Mapping[str, str], body: Mapping[str, Any]) -> Doc:
    """Draw institutions (from the pool given, else every institution of the kind holding an agreement today) and
    inspectors (from the pool given), reproducibly from the seed (given, else a random one), recorded."""
    seed = draws.check_seed(body["seed"]) if body.get("seed") else secrets.token_hex(16)
    store = InspectionStore(db)
    kind = body.get("kind")
    today = today_cn()
    if body.get("institution_pool"):
        pool = []
        for n, iid in enumerate(body["institution_pool"]):
            doc = await _institution(store, iid, f"institution_pool[{n}]")
            if kind and doc["kind"] != kind:
                raise InvalidInput(f"institution {iid} is a {doc['kind']}, not a {kind}", f"institution_pool[{n}]",
                                   code="institution_not_of_kind")
            pool.append(iid)
    else:
        pool = [k.institution_id for k in cov.population(
            [_known(d) for d in await store.institutions(kind)], today, today)]
    team_pool = [str(i) for i in body["inspector_pool"]]
    drawn = draws.draw(seed, pool, int(body["institutions"]), team_pool, int(body["inspectors"]),
                       settings().min_team)
    doc = {"_id": f"DR-{uuid.uuid4().hex[:16]}", "seed": seed, "kind": kind,
           "institutions": list(drawn.institutions), "inspectors": list(drawn.inspectors),
           "institution_pool": sorted(set(pool)), "inspector_pool": sorted(set(team_pool)),
           "institution_pool_sha256": drawn.institutions_pool_sha256,
           "inspector_pool_sha256": drawn.inspectors_pool_sha256, "created_by": dict(by), "created_at": _now()}
    await store.add_draw(doc)
    return draw_view(doc)


async def draw(db: Any, draw_id: str) -> Doc:
    doc = await InspectionStore(db).draw(draw_id)
    if doc is None:
        raise NotFound(f"draw {draw_id} not found")
    # Redone from the seed and the pools kept: the same institutions and inspectors, or the record was altered.
    again = (draws.pick(doc["seed"], "institution", doc["institution_pool"], len(doc["institutions"])),
             draws.pick(doc["seed"], "inspector", doc["inspector_pool"], len(doc["inspectors"])))
    return {**draw_view(doc), "reproduced": again == (doc["institutions"], doc["inspectors"])}


async def list_draws(db: Any, limit: int) -> Doc:
    return {"draws": [draw_view(d) for d in await InspectionStore(db).draws(limit)]}


# ---- inspections ---------------------------------------------------------------------------------------------------

def _who(by: Mapping[str, str]) -> str:
    return f"{by['role']}:{by['subject']}"


def _status(doc: Mapping[str, Any], today: date) -> Doc:
    """The report's deadline as read today: due day, overdue (past due and unreported, or reported late), days late."""
    if not doc.get("due_on"):
        return {"due_on": None, "overdue": False, "days_late": 0}
    due = date.fromisoformat(doc["due_on"])
    report = doc.get("report") or {}
    reported = date.fromisoformat(report["reported_on"]) if report.get("reported_on") else None
    return {"due_on": doc["due_on"], "overdue": deadlines.overdue(due, reported, today),
            "days_late": deadlines.days_late(due, reported, today)}


def inspection_view(doc: Mapping[str, Any], today: date, whole: bool = True) -> Doc:
    findings = doc.get("findings") or []
    view = {"inspection_id": doc["_id"], "institution_id": doc["institution_id"],
            "institution_kind": doc["institution_kind"], "institution_name": doc.get("institution_name"),
            "level": doc.get("level"), "method": doc["method"], "draw_id": doc.get("draw_id"), "team": doc["team"],
            "started_on": doc["started_on"], "ended_on": doc.get("ended_on"), "state": doc["state"],
            **_status(doc, today), "findings": findings, "amount": str(rules.total(findings)),
            "report": doc.get("report"), "catalogue_version": doc.get("catalogue_version"),
            "created_by": doc.get("created_by"), "created_at": doc.get("created_at"), "version": doc.get("version")}
    if whole:
        counts = rules.finding_counts(findings)
        view["evidence"] = doc.get("evidence") or []
        view["checklist"] = rules.checklist_view(catalogue(), doc["institution_kind"], _answers(doc), counts)
        view["dossier_built_at"] = (doc.get("dossier") or {}).get("built_at")
    return view


def _answers(doc: Mapping[str, Any]) -> dict[str, Doc]:
    return {a["code"]: a for a in doc.get("checklist") or []}


async def _inspection(store: InspectionStore, inspection_id: str) -> Doc:
    doc = await store.inspection(inspection_id)
    if doc is None:
        raise NotFound(f"inspection {inspection_id} not found")
    return doc


async def _change(store: InspectionStore, doc: Mapping[str, Any], changes: Doc,
                  events: list[Doc] | None = None) -> Doc:
    if not await store.change(doc["_id"], int(doc["version"]), changes, events):
        raise Conflict(f"inspection {doc['_id']} changed meanwhile; read it again and retry",
                       code="inspection_changed")
    return {**doc, **changes, "version": int(doc["version"]) + 1}


async def open_inspection(db: Any, by: Mapping[str, str], body: Mapping[str, Any]) -> Doc:
    """An inspection of a known institution: team (≥ 2), method (a double-random one carrying out its draw), the
    day it started and, when already over, the day it ended (its report then due)."""
    s, today, store = settings(), today_cn(), InspectionStore(db)
    team = rules.check_team(body["team"], s.min_team)
    rules.check_days(body["started_on"], body.get("ended_on"), today)
    institution = await _institution(store, body["institution_id"])
    draw_doc = await store.draw(body["draw_id"]) if body.get("draw_id") else None
    rules.check_method(body["method"], s.methods, draw_doc, institution["_id"], [m["inspector_id"] for m in team],
                       bool(body.get("draw_id")))
    ended = body.get("ended_on")
    kind = institution["kind"]
    doc = {"_id": f"INS-{uuid.uuid4().hex[:16]}", "institution_id": institution["_id"], "institution_kind": kind,
           "institution_name": institution.get("name"), "level": institution.get("level"), "method": body["method"],
           "draw_id": body.get("draw_id"), "team": team, "started_on": body["started_on"].isoformat(),
           "ended_on": ended.isoformat() if ended else None,
           "due_on": deadlines.due_on(kind, ended, s.report_days).isoformat() if ended else None,
           "state": rules.ENDED if ended else rules.OPEN, "note": body.get("note") or "",
           "checklist": [], "evidence": [], "findings": [], "report": None, "dossier": None,
           "catalogue_version": catalogue().version, "created_by": dict(by), "created_at": _now(), "version": 1}
    await store.add_inspection(doc)
    return inspection_view(doc, today)


async def inspection(db: Any, inspection_id: str) -> Doc:
    return inspection_view(await _inspection(InspectionStore(db), inspection_id), today_cn())


async def list_inspections(db: Any, institution_id: str | None, state: str | None, overdue: bool | None,
                           limit: int) -> Doc:
    today = today_cn()
    rows = [inspection_view(d, today, whole=False)
            for d in await InspectionStore(db).inspections(institution_id, state, limit)]
    if overdue is not None:
        rows = [r for r in rows if r["overdue"] == overdue]
    return {"inspections": rows, "count": len(rows)}


async def end(db: Any, inspection_id: str, ended_on: date) -> Doc:
    """调查结束: the inspection ends on a day; its report is due the kind's calendar days after it."""
    store, today = InspectionStore(db), today_cn()
    doc = await _inspection(store, inspection_id)
    rules.require_not_reported(doc["state"], inspection_id)
    if doc["state"] == rules.ENDED:
        raise Conflict(f"inspection {inspection_id} ended on {doc['ended_on']}", "ended_on", code="inspection_ended")
    rules.check_end(date.fromisoformat(doc["started_on"]), ended_on, today)
    due = deadlines.due_on(doc["institution_kind"], ended_on, settings().report_days)
    new = await _change(store, doc, {"state": rules.ENDED, "ended_on": ended_on.isoformat(),
                                     "due_on": due.isoformat()})
    return inspection_view(new, today)


# ---- the dossier (数据提取与筛查) ------------------------------------------------------------------------------------

async def review_hits(db: Any, institution_id: str) -> list[Doc]:
    """Every smart-review hit (智能审核, the smart_review room) on the institution's claims, every state and source
    (uploads under review and screening imports), page by page."""
    out: list[Doc] = []
    after: str | None = None
    while True:
        page = await smart_review.hits(db, {"institution": institution_id}, after, HITS_PAGE)
        out += page["hits"]
        after = page.get("next_after")
        if not after:
            return out


async def make_dossier(db: Any, inspection_id: str) -> Doc:
    """Build (again) the pre-visit dossier from the institution's smart-review hits and anomaly warnings, and keep
    it with the inspection as built."""
    store = InspectionStore(db)
    doc = await _inspection(store, inspection_id)
    rules.require_not_reported(doc["state"], inspection_id)
    iid = doc["institution_id"]
    hits = await review_hits(db, iid)
    found = [w for w in await warnings.warnings(db) if w.get("subject") == iid]
    dossier = {**build_dossier(catalogue(), doc["institution_kind"], hits,
                               [{"warning_id": w["_id"], **w} for w in found]),
               "sources": ["smart_review", "anomaly_warnings"],
               "built_at": _now(), "built_on": today_cn().isoformat()}
    await _change(store, doc, {"dossier": dossier})
    return {"inspection_id": inspection_id, "institution_id": iid, **dossier}


async def dossier(db: Any, inspection_id: str) -> Doc:
    doc = await _inspection(InspectionStore(db), inspection_id)
    if not doc.get("dossier"):
        raise NotFound(f"no dossier built for inspection {inspection_id} yet (POST …/dossier)")
    return {"inspection_id": inspection_id, "institution_id": doc["institution_id"], **doc["dossier"]}


# ---- the checklist (检查清单) ---------------------------------------------------------------------------------------

async def checklist(db: Any, inspection_id: str) -> Doc:
    doc = await _inspection(InspectionStore(db), inspection_id)
    return {"inspection_id": inspection_id, **rules.checklist_view(
        catalogue(), doc["institution_kind"], _answers(doc), rules.finding_counts(doc.get("findings") or []))}


async def answer_checklist(db: Any, by: Mapping[str, str], inspection_id: str, answers: Sequence[Mapping[str, Any]],
                           others: str | None) -> Doc:
    store = InspectionStore(db)
    doc = await _inspection(store, inspection_id)
    rules.require_not_reported(doc["state"], inspection_id)
    counts = rules.finding_counts(doc.get("findings") or [])
    kept = rules.answer(catalogue(), doc["institution_kind"], _answers(doc), answers, others, counts, _who(by))
    order = {i.code: n for n, i in enumerate(catalogue().items.values())}
    new = await _change(store, doc, {"checklist": [{"code": c, **v} for c, v in sorted(
        kept.items(), key=lambda kv: order.get(kv[0], 10**6))]})
    return {"inspection_id": inspection_id, **rules.checklist_view(catalogue(), doc["institution_kind"],
                                                                    _answers(new), counts)}


# ---- evidence (证据材料) --------------------------------------------------------------------------------------------

def sniff(content_type: str, content: bytes) -> bool:
    head = content[:16]
    return {"application/pdf": head.startswith(b"%PDF-"), "image/png": head.startswith(b"\x89PNG\r\n\x1a\n"),
            "image/jpeg": head.startswith(b"\xff\xd8\xff")}.get(content_type, False)


def checked_evidence(files: Sequence[Mapping[str, Any]], max_bytes: int) -> list[Doc]:
    """Every file checked before any is kept (422 `evidence_not_accepted` naming each: `evidence[i]`): a PDF, PNG or
    JPEG as its bytes show, 1 byte to the upload limit; its sha256 recorded, the same bytes twice one file."""
    errors, kept = [], {}
    for n, f in enumerate(files):
        where = f"evidence[{n}]"
        ctype = (f.get("content_type") or "").split(";")[0].strip().lower()
        content: bytes = f.get("content") or b""
        if f.get("field") != "evidence" or not f.get("is_file", True):
            errors.append({"field": where, "message": "unexpected form field; the files are `evidence`"})
        elif not content or len(content) > max_bytes:
            errors.append({"field": where, "message": f"must be 1 to {max_bytes} bytes"})
        elif ctype not in CONTENT_TYPES or not sniff(ctype, content):
            errors.append({"field": where, "message": f"must be one of {', '.join(CONTENT_TYPES)} and its content "
                                                      "must match"})
        else:
            sha = hashlib.sha256(content).hexdigest()
            kept.setdefault(sha, {"evidence_id": f"EV-{sha[:16]}", "filename": (f.get("filename") or "evidence")[:200],
                                  "content_type": ctype, "size": len(content), "sha256": sha, "content": content})
    if errors:
        raise InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors[0]["field"],
                           fields=errors, code="evidence_not_accepted")
    if not kept:
        raise InvalidInput("send at least one `evidence` file (PDF, PNG or JPEG)", "evidence",
                           code="evidence_not_accepted")
    return list(kept.values())


async def require_inspection(db: Any, inspection_id: str) -> None:
    """404 for an inspection not of this tenant, before an upload's body is read."""
    await _inspection(InspectionStore(db), inspection_id)


async def add_evidence(db: Any, by: Mapping[str, str], inspection_id: str, files: Sequence[Mapping[str, Any]],
                       note: str, max_bytes: int) -> Doc:
    store = InspectionStore(db)
    kept = checked_evidence(files, max_bytes)
    doc = await _inspection(store, inspection_id)
    rules.require_not_reported(doc["state"], inspection_id)
    have = {e["evidence_id"] for e in doc.get("evidence") or []}
    new_refs = [{k: f[k] for k in ("evidence_id", "filename", "content_type", "size", "sha256")}
                | {"note": note, "uploaded_by": _who(by), "uploaded_at": _now()}
                for f in kept if f["evidence_id"] not in have]
    await store.add_evidence(inspection_id, kept)
    if new_refs:
        doc = await _change(store, doc, {"evidence": [*(doc.get("evidence") or []), *new_refs]})
    return {"inspection_id": inspection_id, "added": [r["evidence_id"] for r in new_refs],
            "evidence": doc.get("evidence") or []}


async def evidence_file(db: Any, inspection_id: str, evidence_id: str) -> tuple[bytes, str, str]:
    """The file's bytes, type and sha256 (409 `evidence_altered` when the bytes kept no longer match it)."""
    store = InspectionStore(db)
    await _inspection(store, inspection_id)
    found = await store.evidence(inspection_id, evidence_id)
    if found is None:
        raise NotFound(f"evidence {evidence_id} not found")
    data = bytes(found["content"])
    if hashlib.sha256(data).hexdigest() != found["sha256"]:
        raise Conflict(f"the stored evidence {evidence_id} no longer matches its recorded sha256",
                       code="evidence_altered")
    return data, found["content_type"], found["sha256"]


# ---- findings (检查发现) --------------------------------------------------------------------------------------------

async def add_findings(db: Any, by: Mapping[str, str], inspection_id: str,
                       findings: Sequence[Mapping[str, Any]]) -> Doc:
    """Findings with their catalogue codes (of the institution's kind) and amounts; each sets its checklist item's
    answer to `finding`."""
    store = InspectionStore(db)
    doc = await _inspection(store, inspection_id)
    rules.require_not_reported(doc["state"], inspection_id)
    kept = rules.check_findings(catalogue(), doc["institution_kind"], findings,
                                (e["evidence_id"] for e in doc.get("evidence") or []))
    now, who = _now(), _who(by)
    start = len(doc.get("findings") or [])
    added = [{"finding_id": f"{inspection_id}-F{start + n + 1}", **f, "recorded_by": who, "recorded_at": now}
             for n, f in enumerate(kept)]
    answers = _answers(doc)
    for f in added:
        answers[f["code"]] = {"answer": "finding", "note": (answers.get(f["code"]) or {}).get("note", ""), "by": who}
    order = {i.code: n for n, i in enumerate(catalogue().items.values())}
    new = await _change(store, doc, {"findings": [*(doc.get("findings") or []), *added],
                                     "checklist": [{"code": c, **v} for c, v in sorted(
                                         answers.items(), key=lambda kv: order.get(kv[0], 10**6))]})
    return {"inspection_id": inspection_id, "added": added, "findings": new["findings"],
            "amount": str(rules.total(new["findings"]))}


# ---- the report (调查报告) ------------------------------------------------------------------------------------------

def _reported_event(tenant: str, doc: Mapping[str, Any], carrier: dict[str, str]) -> Doc:
    report = doc["report"]
    payload = events_pb2.InspectionReported(
        inspection_id=doc["_id"], institution_id=doc["institution_id"], institution_kind=doc["institution_kind"],
        method=doc["method"], ended_on=doc["ended_on"], reported_on=report["reported_on"], due_on=doc["due_on"],
        overdue=bool(report["overdue"]), amount=report["amount"], catalogue_version=doc["catalogue_version"],
        inspectors=[m["inspector_id"] for m in doc["team"]], started_on=doc["started_on"],
        reported_at=report["reported_at"],
        findings=[events_pb2.InspectionFinding(code=f["code"], amount=f["amount"], name=f["name"],
                                               finding_id=f["finding_id"]) for f in doc.get("findings") or []])
    return new_event("inspection.reported", tenant, doc["institution_id"], payload, source="audit",
                     trace_context=carrier)


async def file_report(db: Any, tenant: str, by: Mapping[str, str], inspection_id: str, summary: str,
                      reported_on: date | None, carrier: dict[str, str]) -> Doc:
    """调查报告: filed once, after the inspection ended, with the checklist complete; on time or late (recorded), with
    inspection.reported in the same write."""
    store, today = InspectionStore(db), today_cn()
    doc = await _inspection(store, inspection_id)
    on = reported_on or today
    rules.check_report(doc, catalogue(), on, today)
    due = date.fromisoformat(doc["due_on"])
    late = deadlines.overdue(due, on, today)
    report = {"summary": summary, "reported_on": on.isoformat(), "reported_at": _now(), "reported_by": _who(by),
              "due_on": doc["due_on"], "overdue": late, "days_late": deadlines.days_late(due, on, today),
              "amount": str(rules.total(doc.get("findings") or [])),
              "findings": len(doc.get("findings") or [])}
    after = {**doc, "state": rules.REPORTED, "report": report}
    new = await _change(store, doc, {"state": rules.REPORTED, "report": report},
                        [_reported_event(tenant, after, carrier)])
    return report_view(new, today)


def report_view(doc: Mapping[str, Any], today: date) -> Doc:
    """The report as the agency and the institution read it: the inspection, its findings and the report."""
    if not doc.get("report"):
        raise NotFound(f"inspection {doc['_id']} has no report yet")
    counts = rules.finding_counts(doc.get("findings") or [])
    view = rules.checklist_view(catalogue(), doc["institution_kind"], _answers(doc), counts)
    return {"inspection_id": doc["_id"], "institution_id": doc["institution_id"],
            "institution_kind": doc["institution_kind"], "institution_name": doc.get("institution_name"),
            "method": doc["method"], "team": doc["team"], "started_on": doc["started_on"],
            "ended_on": doc["ended_on"], "due_on": doc["due_on"], **doc["report"],
            "findings_list": doc.get("findings") or [], "catalogue_version": doc.get("catalogue_version"),
            "checklist": {"total": view["total"], "findings": sorted(counts),
                          "not_applicable": [i["code"] for i in view["items"] if i["answer"] == "not_applicable"]}}


async def report(db: Any, inspection_id: str, institution: str | None) -> Doc:
    """An inspection's report; an institution (its id given) reads its own inspections' only (another's: 404)."""
    doc = await _inspection(InspectionStore(db), inspection_id)
    if institution is not None and doc["institution_id"] != institution:
        raise NotFound(f"inspection {inspection_id} not found")
    return report_view(doc, today_cn())


async def reports(db: Any, institution: str | None, limit: int) -> Doc:
    """Filed reports (an institution: its own only), oldest first."""
    today = today_cn()
    rows = [report_view(d, today) for d in await InspectionStore(db).inspections(institution, rules.REPORTED, limit)]
    return {"reports": rows, "count": len(rows)}
