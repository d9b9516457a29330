"""Supervision's use cases (长护险监管巡查, tender 二、(二)4.2 and 5.1–5.5): the populations kept from events (the
quarter's care services, the designated institutions, the year's disabled persons), the written patrol plan, the
quarter's service sample, patrols and status surveys (each staging its event in the same write), and the figures —
the quarter's attainment, live, and the year's patrol statistics (巡查工作统计表, JSON or Excel).

Only the tenants of the long-term care program have any of it: every other tenant's call is 404."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from chassis.calendar import today_cn
from chassis.errors import Conflict, InvalidInput, NotFound, PoisonMessage
from chassis.events import new_event
from chassis.locks import KeyedLocks
from chassis.programs import program_of_tenant
from chassis.workbook import Sheet, workbook
from contracts.v1 import events_pb2
from services.audit.patrols.domain import figures
from services.audit.patrols.domain.patrols import asked_services, check_day, check_patrol, unresolved
from services.audit.patrols.domain.plans import check_targets, sample_percent
from services.audit.patrols.domain.populations import CARE, day_of, disabled_in_year
from services.audit.patrols.domain.quotas import sample_targets
from services.audit.patrols.domain.sampling import (
    METHOD,
    check_seed,
    digest,
    draw,
    parse_quarter,
    quarter_number,
    quarter_of,
)
from services.audit.patrols.domain.services import ServiceKey, institution_key, parse_service_id, service_id
from services.audit.patrols.domain.suggestions import finding_view, load_table, suggestions
from services.audit.patrols.domain.surveys import STATUSES
from services.audit.patrols.store import OUTBOX, PatrolStore
from services.audit.reports.domain.periods import parse_period

__all__ = ["OUTBOX"]

PROGRAM = "wz-ltc"
Doc = dict[str, Any]
# One planning of a lot's samples at a time (a year's quarters draw from the same services): in this process; the
# entries' ids (a service is in one sample at most) and the round counter guard across processes.
_PLANNING = KeyedLocks()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def serves(tenant: str) -> None:
    """Long-term care supervision exists only for the carriers of the long-term care program; elsewhere 404."""
    program = program_of_tenant(tenant)
    if program is None or program.code != PROGRAM:
        raise NotFound("long-term care insurance is not run by this tenant")


def findings_table(tenant: str) -> Any:
    program = program_of_tenant(tenant)
    name = program.setting("ltc", "patrol_findings", None) if program else None
    return load_table(name) if name else load_table()


async def ensure_indexes(db: Any) -> None:
    await PatrolStore(db).ensure_indexes()


# ---- the populations, from events (idempotent: a redelivered event changes nothing) -----------------------------

def _required(value: str, what: str) -> str:
    if not value:
        raise PoisonMessage(f"{what} is missing")
    return value


def _day(value: str, what: str) -> date:
    try:
        return date.fromisoformat(day_of(value))
    except ValueError:
        raise PoisonMessage(f"{what} is not a date: {value!r}") from None


async def index_services(db: Any, payload: Any, event_id: str) -> int:
    """care_services.recorded → the upload's services in the compact index of their quarters (the sampling
    population), filed under the institution (FAMILY for family care) and the upload's month: a record id is only
    the institution's own within that month. Returns how many services were new."""
    batch = _required(payload.batch_id, "care_services.recorded batch_id")
    institution = institution_key(payload.institution_id)
    month = _required(payload.month, "care_services.recorded month")
    by_quarter: dict[str, tuple[list[list[str]], list[list[str]]]] = {}
    for n, r in enumerate(payload.records):
        record = _required(r.record_id, f"records[{n}].record_id")
        person = _required(r.person_id, f"records[{n}].person_id").strip().upper()
        day = _day(r.date, f"records[{n}].date")
        records, people = by_quarter.setdefault(quarter_of(day), ([], []))
        records.append([record, day.isoformat()])
        people.append([person, r.caregiver_id])
    store, added = PatrolStore(db), 0
    for quarter, (records, people) in sorted(by_quarter.items()):
        doc = {"_id": f"{institution}|{batch}|{quarter}", "batch_id": batch,
               "institution_id": institution, "month": month, "quarter": quarter,
               "year": int(quarter[:4]), "records": records, "people": people, "count": len(records),
               "event_id": event_id, "indexed_at": _now()}
        if await store.add_batch(doc):
            added += len(records)
    return added


async def note_conclusion(db: Any, payload: Any, event_id: str) -> bool:
    """disability.concluded → the person's conclusions (the year's status-survey population)."""
    person = _required(payload.person_id, "disability.concluded person_id").strip().upper()
    conclusion = {"assessment_id": _required(payload.assessment_id, "disability.concluded assessment_id"),
                  "eligible": bool(payload.eligible), "grade": int(payload.grade), "round": int(payload.round),
                  "kind": payload.kind, "event_id": event_id,
                  "concluded_at": payload.concluded_at}
    _day(payload.concluded_at, "disability.concluded concluded_at")
    return await PatrolStore(db).add_conclusion(person, conclusion)


async def note_institution(db: Any, payload: Any, event_id: str, occurred_at: str) -> bool:
    """institution.changed → the institution's history (the quarter's on-site population: designated care
    institutions; suspended or terminated ones leave it)."""
    institution = _required(payload.institution_id, "institution.changed institution_id")
    status = _required(payload.status, "institution.changed status")
    when = payload.occurred_at or occurred_at
    _day(when, "institution.changed occurred_at")
    fields = {"kind": payload.kind or CARE, "name": payload.name, "district": payload.district,
              "modes": list(payload.modes)}
    change = {"status": status, "step": payload.step, "occurred_at": when, "agreement_from": payload.agreement_from,
              "agreement_to": payload.agreement_to, "reason": payload.reason, "event_id": event_id,
              "version": int(payload.version), "terminated_on": payload.terminated_on,
              "terms": [{"start": t.start, "end": t.end} for t in payload.terms],
              "suspensions": [{"start": t.start, "end": t.end} for t in payload.suspensions]}
    return await PatrolStore(db).add_institution_change(institution, fields, change)


# ---- the patrol plan (巡查方案) -----------------------------------------------------------------------------------

def plan_view(doc: Mapping[str, Any]) -> Doc:
    return {"plan_id": doc["_id"], "year": doc["year"], "version": doc["version"], "title": doc["title"],
            "measures": doc["measures"], "quarters": doc["quarters"], "written_by": doc["written_by"],
            "written_at": doc["written_at"]}


async def write_plan(db: Any, by: Mapping[str, str], body: Mapping[str, Any]) -> Doc:
    """A new version of the year's written plan; the latest is in force."""
    quarters = check_targets(body["quarters"])
    store = PatrolStore(db)
    versions = await store.plans(body["year"])
    version = (versions[-1]["version"] if versions else 0) + 1
    doc = {"_id": f"{body['year']}-v{version}", "year": body["year"], "version": version, "title": body["title"],
           "measures": body["measures"], "quarters": quarters, "written_by": dict(by), "written_at": _now()}
    if not await store.add_plan(doc):
        raise Conflict(f"the {body['year']} plan was written meanwhile (version {version}); send it again")
    return plan_view(doc)


async def plans(db: Any, year: int) -> Doc:
    versions = await PatrolStore(db).plans(year)
    if not versions:
        raise NotFound(f"no patrol plan for {year}")
    return {"year": year, "current": plan_view(versions[-1]),
            "versions": [{"plan_id": v["_id"], "version": v["version"], "written_at": v["written_at"],
                          "written_by": v["written_by"]} for v in versions]}


async def _current_plan(store: PatrolStore, year: int) -> Doc | None:
    versions = await store.plans(year)
    return versions[-1] if versions else None


# ---- the quarter's sample (抽查样本) --------------------------------------------------------------------------------

class Indexed(NamedTuple):
    """A service of the compact index: where it is (its quarter, day, institution, month and record id) and where its
    person and caregiver are (the batch document and the position in it)."""

    quarter: str
    date: str
    institution_id: str
    month: str
    record_id: str
    batch: str
    position: int


def _index(batches: Sequence[Mapping[str, Any]]) -> dict[str, Indexed]:
    """service id → the service; a service indexed twice (the same institution, month and record id) counts once."""
    out: dict[str, Indexed] = {}
    for b in sorted(batches, key=lambda b: (b.get("indexed_at", ""), b["_id"])):
        institution, month = institution_key(b["institution_id"]), b["month"]
        for n, (record, day) in enumerate(b["records"]):
            out.setdefault(service_id(institution, month, record),
                           Indexed(b["quarter"], day, institution, month, record, b["_id"], n))
    return out


def sample_view(doc: Mapping[str, Any] | None, quarter: str) -> Doc:
    if doc is None:
        return {"quarter": quarter, "planned": False, "seed": None, "method": METHOD, "rounds": []}
    return {"quarter": quarter, "planned": True, "seed": doc["seed"], "method": METHOD,
            "created_at": doc["created_at"], "rounds": doc.get("rounds") or []}


async def plan_sample(db: Any, tenant: str, by: Mapping[str, str], quarter_text: str, seed: str | None) -> Doc:
    """Draw (or top up) the quarter's sample: the quarter's own services up to its quota (20%, or the plan's higher
    share), and the year's services not yet sampled up to the year's pace; nothing drawn before is dropped."""
    quarter = parse_quarter(quarter_text)
    q, n, year = quarter.label, quarter_number(quarter), quarter.start.year
    if seed is not None:
        check_seed(seed)
    store = PatrolStore(db)
    async with _PLANNING.hold(f"ltc-sample:{tenant}:{year}"):
        sample = await store.sample(q)
        if sample is not None and seed is not None and seed != sample["seed"]:
            raise Conflict(f"the {q} sample was drawn with another seed; re-planning keeps it", "seed",
                           code="sample_seed_fixed")
        if sample is None:
            sample = await store.open_sample({"_id": q, "year": year, "seed": seed or secrets.token_hex(16),
                                              "created_at": _now(), "created_by": dict(by), "rounds": [],
                                              "round_count": 0})
        services = _index(await store.services_of_year(year))
        sampled = await store.sampled_of_year(year)
        to_date = [r for r, s in services.items() if s.quarter <= q]
        own = [r for r in to_date if services[r].quarter == q]
        plan = await _current_plan(store, year)
        percent = sample_percent(plan, n)
        targets = sample_targets(len(own), sum(r in sampled for r in own), len(to_date),
                                 sum(r in sampled for r in to_date), n, percent)
        own_open = [r for r in own if r not in sampled]
        earlier_open = [r for r in to_date if r not in sampled and services[r].quarter != q]
        drawn = draw(sample["seed"], q, own_open, earlier_open, targets)
        people = await store.people_of(services[d.service_id].batch for d in drawn)
        round_no = int(sample.get("round_count", 0)) + 1
        entries = []
        for d in drawn:
            s = services[d.service_id]
            person, caregiver = (people.get(s.batch) or [])[s.position]
            entries.append({"_id": d.service_id, "institution_id": s.institution_id, "month": s.month,
                            "record_id": s.record_id, "quarter": q, "year": year, "service_quarter": s.quarter,
                            "date": s.date, "person_id": person, "caregiver_id": caregiver, "round": round_no,
                            "why": d.why, "rank": d.rank})
        added = await store.add_entries(entries)
        summary = {"round": round_no, "planned_at": _now(), "planned_on": today_cn().isoformat(),
                   "planned_by": dict(by), "percent": percent, "plan_version": (plan or {}).get("version"),
                   "own_delivered": len(own), "own_required": targets.own_required,
                   "own_sampled_before": len(own) - len(own_open), "known_to_date": len(to_date),
                   "sampled_to_date_before": len(to_date) - len(own_open) - len(earlier_open),
                   "pace_required": targets.pace_required, "drawn": added,
                   "drawn_quota": sum(d.why == "quota" for d in drawn),
                   "drawn_pace": sum(d.why == "pace" for d in drawn),
                   "candidates": len(own_open) + len(earlier_open),
                   "candidates_sha256": digest([*own_open, *earlier_open])}
        if not await store.add_round(q, round_no - 1, summary):
            raise Conflict(f"the {q} sample was planned meanwhile; its draw stands, ask again to see it")
    return {**sample_view({**sample, "rounds": [*(sample.get("rounds") or []), summary]}, q),
            "round": summary, **await _sample_counts(store, year, q)}


async def _sample_counts(store: PatrolStore, year: int, q: str) -> Doc:
    sampled = await store.sampled_of_year(year)
    checked = figures.checked_in(await store.patrols(year))
    mine = [r for r, quarter in sampled.items() if quarter == q]
    return {"size": len(mine), "checked": sum(r in checked for r in mine)}


def entry_view(e: Mapping[str, Any], checked_by: Mapping[str, list[str]]) -> Doc:
    """A sampled service: its service id (what a patrol checks) and the institution, month and record id it is."""
    return {"service_id": e["_id"], "institution_id": e["institution_id"], "month": e["month"],
            "record_id": e["record_id"], "date": e["date"], "service_quarter": e["service_quarter"],
            "person_id": e["person_id"], "caregiver_id": e["caregiver_id"],
            "round": e["round"], "why": e["why"], "checked": e["_id"] in checked_by,
            "patrol_ids": checked_by.get(e["_id"], [])}


async def sample(db: Any, quarter_text: str, after: str | None, limit: int, institution_id: str | None) -> Doc:
    """The quarter's sample with checked flags (a page of entries in service id order; `next_after` goes on)."""
    quarter = parse_quarter(quarter_text)
    store = PatrolStore(db)
    doc = await store.sample(quarter.label)
    checked_by: dict[str, list[str]] = {}
    for p in await store.patrols(quarter.start.year):
        for r in p["checked_record_ids"]:
            checked_by.setdefault(r, []).append(p["_id"])
    entries = await store.entries(quarter.label, after, limit, institution_id) if doc else []
    return {**sample_view(doc, quarter.label), **await _sample_counts(store, quarter.start.year, quarter.label),
            "entries": [entry_view(e, checked_by) for e in entries],
            "next_after": entries[-1]["_id"] if len(entries) == limit else None}


# ---- patrols (监管巡查) ---------------------------------------------------------------------------------------------

def _checked_view(sid: str) -> Doc:
    key = parse_service_id(sid)
    return {"service_id": sid, **({"institution_id": key.institution_id, "month": key.month,
                                   "record_id": key.record_id} if key else {})}


def patrol_view(doc: Mapping[str, Any], tenant: str) -> Doc:
    """`checked_record_ids`: the service ids checked; `checked_services`: each with its institution, month and
    record id."""
    table = findings_table(tenant)
    return {"patrol_id": doc["_id"], "quarter": doc["quarter"], "date": doc["date"], "inspectors": doc["inspectors"],
            "institution_ids": doc["institution_ids"], "checked_record_ids": doc["checked_record_ids"],
            "checked_services": [_checked_view(sid) for sid in doc["checked_record_ids"]],
            "findings": [finding_view(table, f) for f in doc["findings"]], "suggestions": doc["suggestions"],
            "table_version": doc["table_version"], "persons_checked": doc.get("persons_checked", 0),
            "recorded_by": doc["recorded_by"], "recorded_at": doc["recorded_at"]}


async def record_patrol(db: Any, tenant: str, by: Mapping[str, str], body: Mapping[str, Any],
                        carrier: dict[str, str]) -> Doc:
    """Checked whole (team, day, institutions, sampled services, findings), then stored with patrol.completed —
    which names the services checked by their service ids and the persons of those services, so each person's file
    shows the check. A checked service is looked up by its service id, or by institution and record id (the month
    optional); one the samples do not hold is looked up in the lot's index only to say why it is refused."""
    quarter = parse_quarter(body["quarter"])
    store = PatrolStore(db)
    institutions = {i["_id"] for i in await store.institutions() if i.get("kind") == CARE}
    table = findings_table(tenant)
    year = quarter.start.year
    try:
        asked = asked_services(body)
    except InvalidInput:
        asked = []  # check_patrol names the bad id, after the rules before it
    found = [*await store.entries_by_ids(a.key.service_id for a in asked if a.key),
             *await store.entries_of_records(year, ((a.institution_id, a.record_id) for a in asked if not a.key))]
    entries = {e["_id"]: e for e in found if e["year"] == year and e["quarter"] <= quarter.label}
    sampled = {sid: ServiceKey(e["institution_id"], e["month"], e["record_id"]) for sid, e in entries.items()}
    known: set[str] = set()
    missing = unresolved(asked, sampled)
    if missing:
        months = {a.key.month for a in missing if a.key} | (
            {f"{year:04d}-{m:02d}" for m in range(1, 13)} if any(a.key is None for a in missing) else set())
        known = {service_id(b["institution_id"], b["month"], r) for b in await store.services_named(
            (a.institution_id for a in missing), months) for r, _ in b["records"]}
    patrol = check_patrol(body, quarter, today_cn(), institutions, sampled, table, known)
    persons = sorted({entries[r]["person_id"] for r in patrol["checked_record_ids"]})
    now = _now()
    doc = {"_id": str(uuid.uuid4()), **patrol, "suggestions": suggestions(table, patrol["findings"]),
           "persons_checked": len(persons), "recorded_by": dict(by), "recorded_at": now}
    event = new_event("patrol.completed", tenant, doc["_id"], events_pb2.PatrolCompleted(
        patrol_id=doc["_id"], quarter=doc["quarter"], institution_ids=doc["institution_ids"],
        record_ids=doc["checked_record_ids"], inspectors=[i["inspector_id"] for i in doc["inspectors"]],
        findings=[f["code"] for f in doc["findings"]], completed_at=now, person_ids=persons, date=doc["date"]),
        source="audit", trace_context=carrier)
    await store.add_patrol(doc, [event])
    return patrol_view(doc, tenant)


async def patrols(db: Any, tenant: str, quarter_text: str) -> Doc:
    quarter = parse_quarter(quarter_text)
    found = await PatrolStore(db).patrols(quarter.start.year, quarter.label)
    return {"quarter": quarter.label, "patrols": [patrol_view(p, tenant) for p in found]}


async def patrol(db: Any, tenant: str, patrol_id: str) -> Doc:
    found = await PatrolStore(db).patrol(patrol_id)
    if found is None:
        raise NotFound(f"patrol {patrol_id} not found")
    return patrol_view(found, tenant)


# ---- status surveys (失能人员基本状态调查) ---------------------------------------------------------------------------

def survey_view(doc: Mapping[str, Any]) -> Doc:
    return {"survey_id": doc["_id"], "person_id": doc["person_id"], "year": doc["year"], "status": doc["status"],
            "surveyed_on": doc["surveyed_on"], "note": doc.get("note", ""), "recorded_by": doc["recorded_by"],
            "recorded_at": doc["recorded_at"]}


async def record_survey(db: Any, tenant: str, by: Mapping[str, str], body: Mapping[str, Any],
                        carrier: dict[str, str]) -> Doc:
    """A survey of one of the year's disabled persons, with status_survey.recorded."""
    year = body["year"]
    period = parse_period(f"{year:04d}", ("year",), "year")
    day = check_day(body["surveyed_on"], period, today_cn(), "surveyed_on", "survey_date_outside_year")
    if body["status"] not in STATUSES:
        raise InvalidInput(f"status is one of {', '.join(STATUSES)}", "status")
    person_id = body["person_id"].strip().upper()
    store = PatrolStore(db)
    person = await store.person(person_id)
    key = store.person_key(person_id)
    if person is None or key in await store.left_before(year) or not disabled_in_year(person["conclusions"], year):
        raise InvalidInput(f"the person is not among {year}'s disabled persons", "person_id",
                           code="survey_person_not_disabled")
    doc = {"_id": str(uuid.uuid4()), "person_id": person_id, "person_key": key, "year": year,
           "status": body["status"], "surveyed_on": day.isoformat(), "note": body.get("note") or "",
           "recorded_by": dict(by), "recorded_at": _now()}
    event = new_event("status_survey.recorded", tenant, person_id, events_pb2.StatusSurveyRecorded(
        survey_id=doc["_id"], person_id=person_id, year=year, status=doc["status"], surveyed_on=doc["surveyed_on"]),
        source="audit", trace_context=carrier)
    await store.add_survey(doc, [event])
    return survey_view(doc)


async def surveys(db: Any, year: int, limit: int) -> Doc:
    return {"year": year, "surveys": [survey_view(s) for s in await PatrolStore(db).surveys(year, limit)]}


# ---- the figures: attainment (live) and the patrol statistics (巡查工作统计表) -------------------------------------

async def year_data(db: Any, year: int) -> figures.YearData:
    store = PatrolStore(db)
    services = {sid: figures.Service(s.quarter, s.institution_id)
                for sid, s in _index(await store.services_of_year(year)).items()}
    return figures.YearData(
        year=year, services=services, sampled=await store.sampled_of_year(year), patrols=await store.patrols(year),
        institutions=await store.institutions(), persons=await store.persons(),
        surveys=await store.survey_counts(year), left_before=await store.left_before(year),
        plan=await _current_plan(store, year))


async def attainment(db: Any, tenant: str, quarter_text: str) -> Doc:
    quarter = parse_quarter(quarter_text)
    return {"tenant": tenant, **figures.attainment(await year_data(db, quarter.start.year), quarter, today_cn())}


async def statistics(db_of: Mapping[str, Any], year: int) -> Doc:
    """The year's statistics of each tenant in scope (the agency reads its program's lots), with their total."""
    lots = [{"tenant": t, **figures.statistics(await year_data(db, year), today_cn())} for t, db in db_of.items()]
    total: Doc = {}
    for key in ("patrols", "findings"):
        total[key] = sum(lot[key] for lot in lots)
    for key in ("delivered", "sampled", "checked", "required", "done"):
        total[f"year_{key}"] = sum(lot["year_coverage"][key] for lot in lots)
    total["surveys_required"] = sum(lot["status_surveys"]["required"] for lot in lots)
    total["surveys_done"] = sum(lot["status_surveys"]["done"] for lot in lots)
    return {"year": year, "lots": lots, "total": total}


def statistics_workbook(report: Mapping[str, Any]) -> bytes:
    """巡查工作统计表 as the agency receives it: quarters, institutions, findings and suggested actions per lot."""
    quarters, institutions, findings = [], [], []
    for lot in report["lots"]:
        t = lot["tenant"]
        for r in lot["quarters"]:
            quarters.append([t, r["quarter"], r["delivered"], r["sampled"], r["checked"], r["required"],
                             "是" if r["sampling_met"] else "否", r["institutions"], r["visited"],
                             "是" if r["on_site_met"] else "否", r["patrols"], r["inspectors"], r["findings"]])
        cov, surveys = lot["year_coverage"], lot["status_surveys"]
        quarters.append([t, f"{report['year']} 全年", cov["delivered"], cov["sampled"], cov["checked"],
                         cov["required"], "是" if cov["met"] else "否", "", "", "", lot["patrols"], "",
                         lot["findings"]])
        quarters.append([t, f"{report['year']} 失能人员状态调查", surveys["disabled"], "", surveys["done"],
                         surveys["required"], "是" if surveys["met"] else "否", "", "", "", "", "", ""])
        for i in lot["by_institution"]:
            institutions.append([t, i["institution_id"], i["delivered"], i["sampled"], i["checked"], i["visits"],
                                 i["findings"]])
        for code, count in lot["findings_by_code"].items():
            findings.append([t, "finding", code, count])
        for action, count in lot["suggested_actions"].items():
            findings.append([t, "suggested action", action, count])
    return workbook([
        Sheet("巡查工作统计表", quarters, header=[
            "片区", "季度", "护理服务数", "抽查样本", "已检查", "应检查(20%/100%)", "达标", "定点机构", "现场巡查机构",
            "全覆盖", "巡查次数", "巡查人员", "发现问题"]),
        Sheet("机构", institutions, header=["片区", "机构", "护理服务数", "抽查样本", "已检查", "现场巡查次数",
                                          "发现问题"]),
        Sheet("发现与处理建议", findings, header=["片区", "类别", "代码", "数量"]),
    ])
