"""The credit room's use cases (信用评价): the facts kept from events (idempotent: keyed by what the event names) and
the inspectors' cooperation ratings; an institution's year evaluated by the rules in force (a draft, the one before
superseded), approved by the agency's supervisor with credit.evaluated; the evaluations read (an institution reads its
own approved ones only).

Only the tenants of program km-supervision have any of it: every other tenant's call is 404, its events ignored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from chassis.calendar import day_cn, today_cn
from chassis.errors import Conflict, InvalidInput, NotFound, PoisonMessage
from chassis.events import new_event
from chassis.locks import KeyedLocks
from chassis.money import fmt, parse_amount
from contracts.v1 import events_pb2
from services.audit.cases import service as cases
from services.audit.credit.domain.evaluation import Fact, evaluate
from services.audit.credit.domain.rules import COOPERATION, CreditRules, load_rules
from services.audit.credit.store import OUTBOX, CreditStore
from services.audit.inspections import service as inspections

__all__ = ["OUTBOX"]

Doc = dict[str, Any]
_EVALUATING = KeyedLocks()
FIRST_YEAR = 2000


def _now() -> str:
    return datetime.now(UTC).isoformat()


def serves(tenant: str) -> None:
    cases.serves(tenant)


def supervised(tenant: str) -> bool:
    return cases.supervised(tenant)


async def ensure_indexes(db: Any) -> None:
    await CreditStore(db).ensure_indexes()


def rules_view(rules: CreditRules) -> Doc:
    return {"version": rules.version, "label": rules.label, "start": str(rules.start),
            "rules": {code: {"name": r.name, "points": str(r.points), "cap": str(r.cap),
                             **({"ratings": {k: str(v) for k, v in r.ratings.items()}} if r.ratings else {})}
                      for code, r in rules.rules.items()},
            "grades": [{"grade": g.grade, "name": g.name, "min": str(g.min)} for g in rules.grades]}


def rules() -> Doc:
    return rules_view(load_rules())


# ---- facts from events (idempotent) ---------------------------------------------------------------------------

def _on(value: str, what: str) -> str:
    try:
        return day_cn(value).isoformat() if "T" in value else datetime.fromisoformat(value).date().isoformat()
    except (ValueError, TypeError):
        raise PoisonMessage(f"{what} is not a date: {value!r}") from None


def _event_amount(value: str, what: str) -> str:
    """An event's amount as the facts keep it ("" when none); a malformed one makes the event poison."""
    if not value:
        return ""
    try:
        return fmt(parse_amount(value, what))
    except InvalidInput as exc:
        raise PoisonMessage(f"{what}: {exc.message}") from None


def _fact(fact_id: str, rule: str, institution_id: str, on: str, event_id: str, ref: str, **extra: Any) -> Doc:
    return {"_id": fact_id, "rule": rule, "institution_id": institution_id, "on": on, "year": int(on[:4]),
            "source_event_id": event_id, "ref": ref, "items": 1, "amount": "", "rating": "", "detail": "",
            "recorded_at": _now(), **extra}


async def note_hit(db: Any, payload: Any, event_id: str, occurred_at: str) -> bool:
    """review_hit.decided: a confirmed hit counts against its institution (a dismissed one does not)."""
    if payload.decision != "confirm":
        return False
    if not payload.hit_id or not payload.institution_id:
        raise PoisonMessage("review_hit.decided names its hit and institution")
    on = _on(payload.decided_at or occurred_at, "review_hit.decided decided_at")
    return await CreditStore(db).add_fact(_fact(
        f"hit:{payload.hit_id}", "confirmed_hit", payload.institution_id, on, event_id, payload.hit_id,
        amount=_event_amount(payload.amount, "review_hit.decided amount"),
        detail=f"{payload.rule} claim {payload.claim_id}"))


async def note_inspection(db: Any, payload: Any, event_id: str) -> bool:
    """inspection.reported: each finding a fact of the year the inspection ended; a later report of the same
    inspection replaces its findings."""
    if not payload.inspection_id or not payload.institution_id:
        raise PoisonMessage("inspection.reported names its inspection and institution")
    on = _on(payload.ended_on or payload.reported_on, "inspection.reported ended_on")
    group = f"inspection:{payload.inspection_id}"
    facts = [_fact(f"{group}:{f.finding_id or n + 1}", "inspection_finding", payload.institution_id, on, event_id,
                   f"{payload.inspection_id} {f.code}", amount=_event_amount(f.amount, "inspection.reported amount"),
                   detail=f"{f.code} {f.name}", group=group,
                   stamp=payload.reported_at or payload.reported_on)
             for n, f in enumerate(payload.findings)]
    return await CreditStore(db).replace_group(group, facts, payload.reported_at or payload.reported_on)


async def note_sample(db: Any, payload: Any, event_id: str, occurred_at: str) -> bool:
    """record_sample.completed: the sample's problem records, each an item."""
    if not payload.sample_id or not payload.institution_id:
        raise PoisonMessage("record_sample.completed names its sample and institution")
    on = _on(payload.completed_at or occurred_at, "record_sample.completed completed_at")
    return await CreditStore(db).add_fact(_fact(
        f"sample:{payload.sample_id}", "record_sample_problem", payload.institution_id, on, event_id,
        payload.sample_id, items=int(payload.problems),
        detail=f"{payload.problems} problem records of {payload.sampled} sampled (rate {payload.rate})"))


async def note_case(db: Any, payload: Any, event_id: str) -> int:
    """case.closed: the findings of a case opened from a lead and closed with a violation (a case opened from an
    inspection counts through the inspection's findings already)."""
    if payload.source == "inspection" or payload.outcome != "violation":
        return 0
    on = _on(payload.closed_on, "case.closed closed_on")
    store, added = CreditStore(db), 0
    for n, f in enumerate(payload.findings):
        added += await store.add_fact(_fact(f"case:{payload.case_id}:{n + 1}", "case_finding",
                                            payload.institution_id, on, event_id, f"{payload.case_id}#{n + 1}",
                                            amount=_event_amount(f.amount, "case.closed amount"),
                                            detail=f"{f.code} ({payload.source})"))
    return added


async def note_institution(db: Any, payload: Any) -> bool:
    """institution.changed: who a year's evaluation covers (its kind, name and status as of its latest change)."""
    if not payload.institution_id:
        raise PoisonMessage("institution.changed names its institution")
    return await CreditStore(db).note_institution(
        payload.institution_id, {"kind": payload.kind, "name": payload.name, "status": payload.status},
        int(payload.version))


# ---- cooperation ratings ---------------------------------------------------------------------------------------

def _year(year: int) -> int:
    if year > today_cn().year:
        raise InvalidInput(f"{year} has not begun", "year", code="credit_year_in_future")
    return year


async def rate(db: Any, by: Mapping[str, str], body: Mapping[str, Any]) -> Doc:
    """配合监管检查情况: an inspector's rating of an institution's cooperation in a year (the latest counts)."""
    year = _year(int(body["year"]))
    rating = str(body["rating"])
    known = load_rules().rules[COOPERATION].ratings
    if rating not in known:
        raise InvalidInput(f"rating is one of {', '.join(known)}", "rating", code="credit_rating_unknown")
    today = today_cn()
    on = today.isoformat() if today.year == year else f"{year}-12-31"
    await inspections.known_institution(db, body["institution_id"])  # 422 unknown_institution
    fact = _fact(f"cooperation:{body['institution_id']}:{year}", COOPERATION, body["institution_id"], on, "",
                 by["subject"], rating=rating, detail=str(body.get("note") or ""), rated_by=dict(by))
    await CreditStore(db).rate(fact)
    return fact_view(fact)


def fact_view(f: Mapping[str, Any]) -> Doc:
    return {"fact_id": f["_id"], **{k: f.get(k) for k in ("rule", "institution_id", "year", "on", "source_event_id",
                                                          "ref", "items", "amount", "rating", "detail")}}


async def facts(db: Any, year: int, institution_id: str | None) -> Doc:
    return {"year": year, "facts": [fact_view(f) for f in await CreditStore(db).facts(year, institution_id)]}


# ---- evaluations (信用评价) ---------------------------------------------------------------------------------------

def _as_fact(doc: Mapping[str, Any]) -> Fact:
    return Fact(doc["_id"], doc["rule"], doc["institution_id"], doc["on"], doc.get("source_event_id") or "",
                doc.get("ref") or "", int(doc.get("items", 1)), doc.get("amount") or "", doc.get("rating") or "",
                doc.get("detail") or "")


def evaluation_view(doc: Mapping[str, Any]) -> Doc:
    return {"evaluation_id": doc["_id"], **{k: doc.get(k) for k in (
        "institution_id", "institution_name", "year", "seq", "state", "score", "grade", "grade_name", "start",
        "rules_version", "rules_label", "deductions", "by_rule", "reason_codes", "facts", "amount_in_question",
        "evaluated_by", "evaluated_at", "approved_by", "approved_at", "approval_note", "revision",
        "superseded_by")}}


async def evaluate_year(db: Any, by: Mapping[str, str], year: int, institution_ids: Sequence[str] | None) -> Doc:
    """A draft evaluation of each institution named (or of every institution known: the registry's and any with facts
    that year) by the rules in force; the institution's draft before is superseded."""
    year = _year(year)
    store, credit_rules = CreditStore(db), load_rules()
    known = {i["_id"]: i for i in await store.institutions()}
    year_facts = await store.facts(year)
    chosen = list(dict.fromkeys(institution_ids if institution_ids is not None else
                                sorted({*known, *(f["institution_id"] for f in year_facts)})))
    if not chosen:
        raise InvalidInput(f"no institution is known for {year}: name them (institution_ids)", "institution_ids",
                           code="credit_nothing_to_evaluate")
    with_facts = {f["institution_id"] for f in year_facts}
    for n, institution in enumerate(chosen):
        if institution not in known and institution not in with_facts:
            raise InvalidInput(f"institution {institution} is neither in the registry nor in {year}'s facts",
                               f"institution_ids[{n}]", code="unknown_institution")
    out = []
    for institution in chosen:
        mine = [_as_fact(f) for f in year_facts if f["institution_id"] == institution]
        result = evaluate(credit_rules, mine).to_json()
        async with _EVALUATING.hold(f"credit:{institution}:{year}"):
            seq = len(await store.evaluations_of(institution, year)) + 1
            doc = {"_id": f"CE-{institution}-{year}-{seq}", "institution_id": institution,
                   "institution_name": (known.get(institution) or {}).get("name", ""), "year": year, "seq": seq,
                   "state": "draft", **result, "start": str(credit_rules.start),
                   "rules_version": credit_rules.version, "rules_label": credit_rules.label, "facts": len(mine),
                   "amount_in_question": fmt(sum((Decimal(f.amount) for f in mine if f.amount), Decimal("0"))),
                   "evaluated_by": dict(by), "evaluated_at": _now()}
            if not await store.add_evaluation(doc):
                raise Conflict(f"{institution}'s {year} was evaluated meanwhile; evaluate it again")
            await store.supersede_drafts(institution, year, doc["_id"])
        out.append(evaluation_view(doc))
    return {"year": year, "rules_version": credit_rules.version, "evaluations": out}


def _visible(doc: Mapping[str, Any] | None, role: str, subject: str) -> bool:
    """An institution reads its own approved evaluations only."""
    return doc is not None and (role != "institution" or (doc["institution_id"] == subject
                                                          and doc["state"] == "approved"))


async def evaluation(db: Any, evaluation_id: str, role: str, subject: str) -> Doc:
    found = await CreditStore(db).evaluation(evaluation_id)
    if not _visible(found, role, subject):
        raise NotFound(f"credit evaluation {evaluation_id} not found")
    assert found is not None
    return evaluation_view(found)


async def evaluations(db: Any, role: str, subject: str, year: int | None, institution_id: str | None,
                      state: str | None, limit: int) -> list[Doc]:
    query: dict[str, Any] = {k: v for k, v in (("year", year), ("institution_id", institution_id), ("state", state))
                             if v is not None}
    if role == "institution":
        query.update(institution_id=subject, state="approved")
    return [evaluation_view(d) for d in await CreditStore(db).evaluations(query, limit)]


async def approve(db: Any, tenant: str, by: Mapping[str, str], evaluation_id: str, note: str,
                  carrier: dict[str, str]) -> Doc:
    """The agency's supervisor approves a draft (审定): credit.evaluated, its revision the year's approved count + 1."""
    store = CreditStore(db)
    found = await store.evaluation(evaluation_id)
    if found is None:
        raise NotFound(f"credit evaluation {evaluation_id} not found")
    if found["state"] != "draft":
        raise Conflict(f"the evaluation is {found['state']}; only a draft is approved",
                       code="credit_evaluation_not_draft", params={"state": found["state"]})
    async with _EVALUATING.hold(f"credit:{found['institution_id']}:{found['year']}"):
        revision = 1 + sum(e["state"] == "approved" for e in await store.evaluations_of(found["institution_id"],
                                                                                        found["year"]))
        now = _now()
        changes = {"state": "approved", "approved_by": dict(by), "approved_at": now, "approval_note": note,
                   "revision": revision}
        event = new_event("credit.evaluated", tenant, found["institution_id"], events_pb2.CreditEvaluated(
            evaluation_id=evaluation_id, institution_id=found["institution_id"], year=found["year"],
            score=found["score"], grade=found["grade"], rules_version=found["rules_version"],
            deductions=[events_pb2.CreditDeductionRef(code=code, points=r["points"], items=int(r["items"]))
                        for code, r in found["by_rule"].items()],
            revision=revision, approved_at=now, approved_by=by["subject"]), source="audit", trace_context=carrier)
        if not await store.approve(evaluation_id, changes, [event]):
            raise Conflict("the evaluation is no longer a draft", code="credit_evaluation_not_draft")
    return evaluation_view({**found, **changes})
