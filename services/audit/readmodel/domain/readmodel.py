"""audit's read model (稽核视图): what every event says about cases, money and service, folded into
documents keyed by the business id. Events of different types travel on different topics and may
arrive in any order, so each event type sets only the fields it owns (a commutative `$set` upsert) and
statuses are derived when read, never stored."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from chassis.calendar import refreshed, working_days_after
from chassis.errors import InvalidInput, PoisonMessage
from chassis.money import parse_amount, to_fen
from services.audit.reports.domain.periods import cn_date

CASES = "cases"                # one per qualification (a person's status for one disease)
POLICIES = "policies"          # policy tables, for which diseases are uncapped
APPLICATIONS = "applications"
APPRAISALS = "appraisals"      # one per appraisal case: deadline and conclusion
COMPLAINTS = "complaints"
BENEFITS = "benefits"          # one per person, institution and month settled
STATEMENTS = "statements"
PAYMENTS = "payments"
FINDINGS = "findings"          # findings are audit's own; the projection makes event-borne ones visible
CI_CLAIMS = "ci_claims"        # critical-illness claims (大病保险理赔), one per claim; its review's outcome rides on it
LEDGER = "ledger"              # the dedicated account's entries (专户记账): allocations, payments, advances...
FUND_YEARS = "fund_years"      # one per program year closed (年度决算)
# Long-term care (长护险), what its reports and the carrier's score read. Where an event lists persons (care services,
# statements, patrols) only their count is kept.
LTC_APPLICATIONS = "ltc_applications"          # care application id: its steps' dates (care_application.*)
LTC_ASSESSMENTS = "ltc_assessments"            # assessment id: grade, eligibility, fee (disability.concluded)
LTC_SERVICES = "ltc_services"                  # batch id: institution, month, records, persons (care_services.recorded)
LTC_STATEMENTS = "ltc_statements"              # care statement id: amount, records, persons (care_statement.paid)
LTC_ASSESSMENT_FEES = "ltc_assessment_fees"    # fee statement id: amount, assessments (assessment_fees.paid)
LTC_PATROLS = "ltc_patrols"                    # patrol id: quarter, institutions, sampled records (patrol.completed)
LTC_SURVEYS = "ltc_surveys"                    # survey id: person, year, status (status_survey.recorded)
LTC_INTERVIEWS = "ltc_interviews"              # interview id: institution, violations (institution.interviewed)
LTC_PERFORMANCE = "ltc_performance_payments"   # year: the performance money paid (ltc_fee.performance_paid)
LTC = (LTC_APPLICATIONS, LTC_ASSESSMENTS, LTC_SERVICES, LTC_STATEMENTS, LTC_ASSESSMENT_FEES, LTC_PATROLS, LTC_SURVEYS,
       LTC_INTERVIEWS, LTC_PERFORMANCE)
READ_MODEL = (CASES, POLICIES, APPLICATIONS, APPRAISALS, COMPLAINTS, BENEFITS, STATEMENTS, PAYMENTS, CI_CLAIMS,
              LEDGER, FUND_YEARS, *LTC)
CARE_APPLICATION_STEPS = ("submitted", "documents_requested", "accepted", "rejected")


@dataclass(frozen=True)
class Fact:
    """What the read model reads of an event, as plain data: its envelope's type, id, business key and time, and
    its payload as plain values (attributes named as in the payload; messages nested, repeated fields as lists).
    The event door builds it (readmodel/service.py `fact_of`), so the projection never sees a wire type."""

    type: str
    id: str
    business_key: str
    occurred_at: datetime
    payload: Any


@dataclass(frozen=True)
class Upsert:
    collection: str
    key: str
    fields: dict[str, Any]
    # The person whose identity number the key carries (`…:<person>:…`): the store keeps the document under the
    # key with the person's pseudonym in its place (readmodel/store.py), never the number.
    key_person: str = ""


def fen(value: str, what: str) -> int:
    """Event amounts are decimal yuan strings; an empty one is zero, a malformed one can never be applied."""
    if not value:
        return 0
    try:
        return to_fen(parse_amount(value, what))
    except InvalidInput as exc:
        raise PoisonMessage(f"{what}: {exc.message}") from exc


def _day(value: str, event: Fact) -> str:
    """ISO date (Beijing) of a payload timestamp, falling back on when the event occurred."""
    fallback = cn_date(event.occurred_at.isoformat())
    found = cn_date(value, fallback)
    return found.isoformat() if found else ""


def _qualification(q: Any, event: Fact, keep_empty: bool = False) -> dict[str, Any]:
    """The case's identity from a qualification; later events (filed, revoked, review due) never blank a
    field the grant set, whatever order they arrive in."""
    fields = {"person_id": q.person_id or event.business_key, "disease_code": q.disease_code,
              "qualification_id": q.qualification_id, "application_id": q.application_id, "case_id": q.case_id,
              "granted_on": q.granted_on, "benefit_start": q.benefit_start}
    return fields if keep_empty else {k: v for k, v in fields.items() if v}


def project(event: Fact) -> list[Upsert]:
    """The read-model writes one event causes (none for the types audit only keeps in its trail)."""
    upserts = _project(event)
    for u in upserts:
        if not u.key or u.key.startswith(":"):
            raise PoisonMessage(f"{event.type} carries no id to file it under")
    return upserts


def _project(event: Fact) -> list[Upsert]:
    p, t = event.payload, event.type
    if t == "application.submitted":
        return [Upsert(APPLICATIONS, p.application_id, {
            "person_id": p.person_id, "disease_code": p.disease_code, "channel": p.channel, "program": p.program,
            "submitted_on": _day(p.submitted_at, event)})]
    if t == "application.documents_requested":
        return [Upsert(APPLICATIONS, p.application_id, {
            "person_id": p.person_id, "documents_requested_on": _day(p.requested_at, event)})]
    if t == "application.completed":
        return [Upsert(APPLICATIONS, p.application_id, {
            "person_id": p.person_id, "disease_code": p.disease_code,
            "completed_on": p.completed_on or _day(p.completed_at, event)})]
    if t == "application.rejected":
        return [Upsert(APPLICATIONS, p.application_id, {
            "person_id": p.person_id, "rejected_on": _day(p.rejected_at, event), "reject_reason": p.reason})]
    if t == "complaint.filed":
        return [Upsert(COMPLAINTS, p.complaint_id, {
            "person_id": p.person_id, "kind": p.kind, "filed_on": p.filed_on or _day(p.filed_at, event),
            "due_on": p.due_on, **_deadline_basis(p)})]
    if t == "complaint.resolved":
        return [Upsert(COMPLAINTS, p.complaint_id, {
            "person_id": p.person_id, "resolved_on": _day(p.resolved_at, event), "resolved_overdue": p.overdue})]
    if t == "experts.assigned":
        return [Upsert(APPRAISALS, p.case_id, {
            "person_id": p.person_id, "application_id": p.application_id, "due_on": p.due_on,
            "assigned_on": _day(p.assigned_at, event), "experts": len(p.expert_ids), **_deadline_basis(p),
            **({"clock_from": p.clock_from} if p.clock_from else {})})]
    if t == "appraisal.concluded":
        return [Upsert(APPRAISALS, p.case_id, {
            "person_id": p.person_id, "application_id": p.application_id, "disease_code": p.disease_code,
            "outcome": p.outcome, "concluded_on": _day(p.concluded_at, event), "concluded_overdue": p.overdue,
            "kind": p.kind or "initial", **({"qualification_id": p.qualification_id} if p.qualification_id else {})})]
    if t == "qualification.granted":
        q = p.qualification
        return [Upsert(CASES, q.qualification_id, {**_qualification(q, event, keep_empty=True),
                                                    "policy_version": q.policy_version})]
    if t == "qualification.filed":
        q = p.qualification
        return [Upsert(CASES, q.qualification_id, {**_qualification(q, event), "filing_serial": p.filing_serial,
                                                    "filed_on": _day(p.filed_at, event)})]
    if t == "qualification.revoked":
        q = p.qualification
        return [Upsert(CASES, q.qualification_id, {**_qualification(q, event),
                                                    "revoked_on": p.revoked_on or _day("", event),
                                                    "revoke_reason": p.reason})]
    if t == "qualification.review_due":
        q = p.qualification
        return [Upsert(CASES, q.qualification_id, {**_qualification(q, event), "review_due_on": p.due_on})]
    if t == "qualification.renewed":
        # A passed re-review (复审 "continue"). On the case its own fields (renewals arrive on their own topic, in
        # any order against review_due: `current_review_due` takes the later date); on the re-review's appraisal,
        # so that renewals are counted by the day they happened.
        q = p.qualification
        out = [Upsert(CASES, q.qualification_id, {**_qualification(q, event), "renewed_on": p.renewed_on,
                                                   "renewed_review_due": q.review_due})]
        if p.review_case_id:
            out.append(Upsert(APPRAISALS, p.review_case_id, {
                "person_id": q.person_id or event.business_key, "disease_code": q.disease_code,
                "kind": "review", "qualification_id": q.qualification_id, "renewed_on": p.renewed_on,
                "previous_review_due": p.previous_review_due, "review_due_after": q.review_due}))
        return out
    if t == "policy.published":
        table = p.table
        return [Upsert(POLICIES, f"{table.program}:{table.version}", {
            "program": table.program, "version": table.version, "effective_from": table.effective_from,
            "effective_to": table.effective_to, "label": table.label, "published_at": event.occurred_at.isoformat(),
            "diseases": [{"code": d.code, "name": d.name, "category": d.category, "annual_cap": d.annual_cap,
                          "uncapped": not d.annual_cap.strip()} for d in table.diseases]})]
    if t == "benefits.settled":
        person = p.person_id or event.business_key
        key = f"{p.statement_id}:{person}:{p.institution_code}:{p.month}" if p.statement_id else event.id
        return [Upsert(BENEFITS, key, key_person=person if p.statement_id else "", fields={
            "person_id": person, "institution_code": p.institution_code, "month": p.month,
            "claimed_fen": fen(p.claimed, "benefits.settled claimed"),
            "payable_fen": fen(p.payable, "benefits.settled payable"), "lines": p.lines,
            "policy_version": p.policy_version, "statement_id": p.statement_id})]
    if t == "statement.closed":
        return [Upsert(STATEMENTS, p.statement_id, {
            "institution_code": p.institution_code, "month": p.month,
            "claimed_fen": fen(p.claimed, "statement.closed claimed"),
            "payable_fen": fen(p.payable, "statement.closed payable"), "lines": p.lines, "persons": p.persons,
            "closed_on": _day("", event)})]
    if t == "statement.reconciled":
        return [Upsert(STATEMENTS, p.statement_id, {
            "institution_code": p.institution_code, "month": p.month, "balanced": p.balanced,
            "reconciled_on": _day("", event), "reconcile_detail": p.detail})]
    if t == "payment.issued":
        return [Upsert(PAYMENTS, p.payment_id, {
            "statement_id": p.statement_id, "institution_code": p.institution_code, "month": p.month,
            "amount_fen": fen(p.amount, "payment.issued amount"), "issued_on": _day(p.issued_at, event)})]
    if t in ("critical_claim.settled", "critical_review.completed", "ledger.posted", "fund_year.closed"):
        return _project_fund(event)
    if t in LTC_EVENTS:
        return _project_ltc(event)
    if t == "finding.raised":
        return [Upsert(FINDINGS, p.finding_id, {
            "person_id": p.person_id, "kind": p.kind, "description": p.description,
            "amount_fen": fen(p.amount, "finding.raised amount"), "raised_at": p.raised_at,
            "raised_on": _day(p.raised_at, event),
            **({"carrier_caused": True, "carrier_reason": p.carrier_reason, "fund_year": p.fund_year or None}
               if p.carrier_caused else {})})]
    return []


def _project_fund(event: Fact) -> list[Upsert]:
    """Critical-illness claims, their reviews, the account's ledger and the year's result (基金运行)."""
    p, t = event.payload, event.type
    if t == "critical_claim.settled":
        day = p.date or _day("", event)
        return [Upsert(CI_CLAIMS, p.claim_id, {
            "person_id": p.person_id or event.business_key, "date": day, "month": day[:7],
            "care": p.care, "area": p.area, "networked": p.networked, "source": p.source,
            "institution_code": p.institution_code, "disease": p.disease,
            "self_pay_fen": fen(p.self_pay, "critical_claim.settled self_pay"),
            "payable_fen": fen(p.payable, "critical_claim.settled payable"),
            "total_cost_fen": fen(p.total_cost, "critical_claim.settled total_cost"),
            "assistance": p.assistance, "review_required": p.review_required,
            "policy_version": p.policy_version})]
    if t == "critical_review.completed":
        # Only the review's own fields: the claim's settlement may arrive before or after its review.
        return [Upsert(CI_CLAIMS, p.claim_id, {
            "review_id": p.review_id, "review_stratum": p.stratum, "review_outcome": p.outcome,
            "recovered_fen": fen(p.recovered, "critical_review.completed recovered"),
            "reviewed_on": _day(p.completed_at, event)})]
    if t == "ledger.posted":
        day = p.date or _day("", event)
        return [Upsert(LEDGER, p.entry_id, {
            "program": p.program, "year": p.year, "date": day, "month": day[:7], "kind": p.kind, "memo": p.memo,
            "reverses": p.reverses, "amount_fen": fen(p.amount, "ledger.posted amount"),
            "postings": [{"account": x.account, "debit_fen": fen(x.debit, "ledger.posted debit"),
                          "credit_fen": fen(x.credit, "ledger.posted credit")} for x in p.postings]})]
    return [Upsert(FUND_YEARS, f"{p.program}:{p.year}" if p.program and p.year else "", {
        "program": p.program, "year": p.year, "outcome": p.outcome,
        "amount_fen": fen(p.amount, "fund_year.closed amount"),
        "carrier_share_fen": fen(p.carrier_share, "fund_year.closed carrier_share"),
        "fund_share_fen": fen(p.fund_share, "fund_year.closed fund_share"), "detail_json": p.detail_json,
        "closed_on": _day("", event)})]


LTC_EVENTS = (*(f"care_application.{step}" for step in CARE_APPLICATION_STEPS), "disability.concluded",
              "care_services.recorded", "care_statement.paid", "assessment_fees.paid", "patrol.completed",
              "status_survey.recorded", "institution.interviewed", "ltc_fee.performance_paid")


def _project_ltc(event: Fact) -> list[Upsert]:
    """Long-term care: applications, assessments, services (counts), statements, assessment fees, patrols, status
    surveys, violation interviews and the performance money (长护险报表, 绩效考核)."""
    p, t = event.payload, event.type
    if t.startswith("care_application."):
        step = t.split(".", 1)[1]
        return [Upsert(LTC_APPLICATIONS, p.application_id, {
            "person_id": p.person_id or event.business_key, "lot": p.lot, "city_level": p.city_level,
            "channel": p.channel, "basis": p.basis, "insutype": p.insutype,
            f"{step}_on": _day(p.occurred_at, event)})]
    if t == "disability.concluded":
        return [Upsert(LTC_ASSESSMENTS, p.assessment_id, {
            "person_id": p.person_id or event.business_key, "application_id": p.application_id, "grade": p.grade,
            "eligible": p.eligible, "kind": p.kind or "initial", "round": p.round, "city_level": p.city_level,
            "scale_version": p.scale_version, "concluded_on": _day(p.concluded_at, event),
            "assessment_fee_fen": fen(p.assessment_fee, "disability.concluded assessment_fee")})]
    if t == "care_services.recorded":
        return [Upsert(LTC_SERVICES, p.batch_id, {
            "institution_id": p.institution_id, "month": p.month, "records": len(p.records),
            "persons": len({r.person_id for r in p.records}), "recorded_on": _day("", event)})]
    if t == "care_statement.paid":
        return [Upsert(LTC_STATEMENTS, p.statement_id, {
            "institution_id": p.institution_id, "month": p.month, "records": p.records, "persons": p.persons,
            "amount_fen": fen(p.amount, "care_statement.paid amount"), "benefits_version": p.benefits_version,
            "paid_on": _day(p.paid_at, event)})]
    if t == "assessment_fees.paid":
        return [Upsert(LTC_ASSESSMENT_FEES, p.statement_id, {
            "month": p.month, "assessments": p.assessments, "amount_fen": fen(p.amount, "assessment_fees.paid amount"),
            "due_from_fen": {tenant: fen(v, "assessment_fees.paid due_from") for tenant, v in p.due_from.items()},
            "paid_on": _day(p.paid_at, event)})]
    if t == "patrol.completed":
        return [Upsert(LTC_PATROLS, p.patrol_id, {
            "quarter": p.quarter, "institution_ids": sorted(set(p.institution_ids)), "records": len(p.record_ids),
            "persons": len(set(p.person_ids)), "inspectors": len(set(p.inspectors)), "findings": list(p.findings),
            "completed_on": _day(p.completed_at, event)})]
    if t == "status_survey.recorded":
        return [Upsert(LTC_SURVEYS, p.survey_id, {
            "person_id": p.person_id or event.business_key, "year": p.year, "status": p.status,
            "surveyed_on": p.surveyed_on or _day("", event)})]
    if t == "institution.interviewed":
        return [Upsert(LTC_INTERVIEWS, p.interview_id, {
            "institution_id": p.institution_id, "held_on": p.held_on or _day("", event),
            "violations": list(p.violations), "outcome": p.outcome})]
    return [Upsert(LTC_PERFORMANCE, str(p.year) if p.year else "", {
        "year": p.year, "amount_fen": fen(p.amount, "ltc_fee.performance_paid amount"), "paid_on": p.paid_on,
        "due_on": p.due_on, "overdue": p.overdue, "score_revision": p.score_revision, "grade": p.grade})]


def _deadline_basis(p: Any) -> dict[str, Any]:
    """What a provisional due date (a year without the official holiday schedule) is worked out again from."""
    return {"due_provisional": True, "due_working_days": p.due_working_days} if p.due_provisional else {}


def current_deadline(doc: Mapping[str, Any], start_field: str) -> Mapping[str, Any]:
    """A complaint's or appraisal's due date as the services read theirs: kept as published when it was worked out
    on an official year; worked out again on today's calendar (`due_working_days` after `start_field`) when it was
    provisional, so it turns official (and may move) once the year's schedule is loaded. A copy when changed."""
    start = doc.get(start_field)
    if not doc.get("due_provisional") or not start or not doc.get("due_working_days"):
        return doc
    try:
        return refreshed(doc, lambda: working_days_after(date.fromisoformat(start), int(doc["due_working_days"])))
    except (ValueError, InvalidInput):  # a start no calendar can count from: the date as published, still provisional
        return doc


def current_review_due(case: Mapping[str, Any]) -> str:
    """The qualification's re-review date: review dates only move on, so the later of the last notice's and the last
    renewal's, whichever arrived first."""
    return max(case.get("review_due_on") or "", case.get("renewed_review_due") or "")


def apply(model: dict[str, dict[str, dict[str, Any]]], upserts: Iterable[Upsert]) -> None:
    """The same writes on plain dicts (what the store does with `$set` upserts): for tests and tools."""
    for u in upserts:
        model.setdefault(u.collection, {}).setdefault(u.key, {"_id": u.key}).update(u.fields)


def policy_for(policies: Iterable[Mapping[str, Any]], day: date,
               program: str | None = None) -> Mapping[str, Any] | None:
    """The policy table in force on `day` (latest effective_from wins); else the latest that started before it."""
    candidates = [p for p in policies if not program or p.get("program") == program]
    started = [p for p in candidates if (cn_date(p.get("effective_from")) or date.min) <= day]
    in_force = [p for p in started if not p.get("effective_to") or (cn_date(p["effective_to"]) or date.max) >= day]
    pool = in_force or started
    if not pool:
        return None
    return max(pool, key=lambda p: (p.get("effective_from") or "", p.get("published_at") or ""))


def uncapped_codes(policy: Mapping[str, Any] | None) -> set[str]:
    return {d["code"] for d in (policy or {}).get("diseases", []) if d.get("uncapped")}


def case_status(case: Mapping[str, Any], on: date) -> str:
    revoked = cn_date(case.get("revoked_on"))
    return "revoked" if revoked is not None and revoked <= on else "active"
