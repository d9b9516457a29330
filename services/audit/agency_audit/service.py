"""The agency's internal audit's use cases (经办机构内部审核): open an audit, add its checks (validated whole), produce
the written report (a Word document, its sha256 recorded; the audit then takes no more checks), read the report back
checked against its sha256.

Only the tenants of program km-supervision have any of it: every other tenant's call is 404."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.locks import KeyedLocks
from chassis.programs import program_of_tenant
from services.audit.agency_audit.domain.audits import (
    AGENCY_KIND,
    DEFAULT_MIN_TEAM,
    OPEN,
    REPORTED,
    check_audit,
    check_items,
    summary,
)
from services.audit.agency_audit.domain.written_report import DOCX, render
from services.audit.agency_audit.store import AgencyAuditStore
from services.audit.cases import service as cases
from services.audit.cases.domain.catalogue import load_catalogue
from services.audit.inspections import service as inspections
from services.audit.record_sampling import service as record_sampling

Doc = dict[str, Any]
_AUDITS = KeyedLocks()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def serves(tenant: str) -> None:
    cases.serves(tenant)


async def ensure_indexes(db: Any) -> None:
    await AgencyAuditStore(db).ensure_indexes()


def _min_team(tenant: str) -> int:
    program = program_of_tenant(tenant)
    value = program.setting("supervision", "min_team", DEFAULT_MIN_TEAM) if program else DEFAULT_MIN_TEAM
    return int(value) if isinstance(value, int) and value >= 1 else DEFAULT_MIN_TEAM


def audit_view(audit: Mapping[str, Any]) -> Doc:
    return {"audit_id": audit["_id"], **{k: audit.get(k) for k in (
        "title", "institution_id", "period_from", "period_to", "team", "sample_id", "scope", "state", "opened_by",
        "opened_at", "version")}, "checks": audit.get("checks") or [], "figures": summary(audit.get("checks") or []),
        "report": audit.get("report")}


async def _sample_of(db: Any, sample_id: str, institution_id: str) -> Doc:
    """The record-sampling sample (病历抽审) an audit reads: one of the audited agency's."""
    try:
        found = await record_sampling.sample(db, sample_id)
    except NotFound:
        raise InvalidInput(f"no record sample {sample_id}", "sample_id", code="sample_unknown") from None
    if found["institution_id"] != institution_id:
        raise InvalidInput(f"sample {sample_id} is of {found['institution_id']}, not of {institution_id}",
                           "sample_id", code="sample_not_of_institution")
    return found


def _sample_figures(found: Mapping[str, Any]) -> Doc:
    return {k: found.get(k) for k in ("sample_id", "kind", "population", "size", "state", "answered", "problems",
                                      "problem_rate", "seed")}


async def open_audit(db: Any, tenant: str, by: Mapping[str, str], body: Mapping[str, Any]) -> Doc:
    """An audit of the agency (an institution of kind agency supervision knows), reading one of its record samples
    if named."""
    audit = {"_id": str(uuid.uuid4()), **check_audit(body, today_cn(), _min_team(tenant)), "state": OPEN,
             "checks": [], "report": None, "opened_by": dict(by), "opened_at": _now(), "version": 1}
    institution = await inspections.known_institution(db, audit["institution_id"])
    if institution.get("kind") != AGENCY_KIND:
        raise InvalidInput(f"{audit['institution_id']} is a {institution.get('kind')}, not the agency",
                           "institution_id", code="audit_institution_not_agency")
    if audit["sample_id"]:
        await _sample_of(db, audit["sample_id"], audit["institution_id"])
    await AgencyAuditStore(db).add_audit(audit)
    return audit_view(audit)


async def _audit(store: AgencyAuditStore, audit_id: str) -> Doc:
    found = await store.audit(audit_id)
    if found is None:
        raise NotFound(f"agency audit {audit_id} not found")
    return found


async def audit(db: Any, audit_id: str) -> Doc:
    return audit_view(await _audit(AgencyAuditStore(db), audit_id))


async def audits(db: Any, state: str | None, limit: int) -> list[Doc]:
    return [audit_view(a) for a in await AgencyAuditStore(db).audits({"state": state} if state else {}, limit)]


async def add_checks(db: Any, by: Mapping[str, str], audit_id: str, items: Sequence[Mapping[str, Any]]) -> Doc:
    store = AgencyAuditStore(db)
    async with _AUDITS.hold(f"agency-audit:{audit_id}"):
        found = await _audit(store, audit_id)
        now = _now()
        added = [{**c, "by": dict(by), "at": now}
                 for c in check_items(found, items, load_catalogue(), today_cn())]
        checks = [*(found.get("checks") or []), *added]
        if not await store.change(audit_id, found["version"], {"checks": checks}):
            raise Conflict("the audit changed meanwhile; send the checks again")
        return audit_view({**found, "checks": checks, "version": found["version"] + 1})


async def produce_report(db: Any, tenant: str, by: Mapping[str, str], audit_id: str, conclusion: str,
                         recommendations: str) -> Doc:
    """检查报告: the Word document from the audit's checks and figures, its bytes kept sealed and its sha256 recorded;
    once per audit (the audit then takes no more checks)."""
    store = AgencyAuditStore(db)
    async with _AUDITS.hold(f"agency-audit:{audit_id}"):
        found = await _audit(store, audit_id)
        if found["state"] != OPEN:
            raise Conflict("the audit's written report is out already", code="agency_audit_reported")
        if not found.get("checks"):
            raise Conflict("the audit has no checks to report", "checks", code="agency_audit_without_checks")
        now = _now()
        report = {"conclusion": conclusion, "recommendations": recommendations, "reported_on": today_cn().isoformat(),
                  "reported_at": now, "by": dict(by)}
        if found.get("sample_id"):  # the sample's figures as they stand when the report is written
            report["sample"] = _sample_figures(await _sample_of(db, found["sample_id"], found["institution_id"]))
        content = await asyncio.to_thread(render, found, summary(found["checks"]), report, tenant)
        digest = hashlib.sha256(content).hexdigest()
        await store.keep_report(audit_id, content, digest)
        report = {**report, "sha256": digest, "size": len(content), "content_type": DOCX,
                  "filename": f"agency-audit-{audit_id}.docx"}
        if not await store.change(audit_id, found["version"], {"state": REPORTED, "report": report}):
            raise Conflict("the audit changed meanwhile; produce the report again")
        return audit_view({**found, "state": REPORTED, "report": report, "version": found["version"] + 1})


async def report_document(db: Any, audit_id: str) -> tuple[bytes, Doc]:
    """The report's bytes, checked against the sha256 recorded with the audit."""
    store = AgencyAuditStore(db)
    found = await _audit(store, audit_id)
    if not found.get("report"):
        raise NotFound(f"agency audit {audit_id} has no written report yet")
    kept = await store.report(audit_id)
    content = bytes((kept or {}).get("content") or b"")
    if hashlib.sha256(content).hexdigest() != found["report"]["sha256"]:
        raise Conflict(f"the stored report of agency audit {audit_id} no longer matches its recorded sha256")
    return content, found["report"]
