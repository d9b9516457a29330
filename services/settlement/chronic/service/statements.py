"""Institution monthly statements (月度结算单): totals, close (→ statement.closed and one benefits.settled per
person), reconciliation with the provincial platform (3201 对总账 → statement.reconciled) and payment
(→ payment.issued). Status: open → closing → closed → reconciled → paid. A payment run (批量支付, `pay_run`) pays a
month's reconciled statements at once, booked as one batch in the dedicated account (payment_runs.py). A close or a
payment a crash cut short is finished when settlement starts again (recovery.py: `close`, `finish_payment`)."""

from __future__ import annotations

import calendar
import dataclasses
import logging
import weakref
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from chassis.calendar import day_cn, today_cn
from chassis.errors import Conflict, JingbanError, NotFound
from chassis.events import derived_event_id, new_event
from chassis.money import from_fen, to_fen
from chassis.outbox import with_events
from chassis.programs import load_program, program_of_tenant
from chassis.telemetry import current_carrier
from contracts.v1 import events_pb2
from provincial.client import ProvincialClient
from provincial.models import RESIDENT_BASIC
from services.settlement.chronic.domain.deadlines import statement_clock
from services.settlement.chronic.domain.records import yuan
from services.settlement.chronic.service.settler import Settler, active_batches_message, program_code, statement_lock
from services.settlement.chronic.store import SettlementStore
from services.settlement.fund.service import account as fund
from services.settlement.fund.service import payment_runs as runs
from services.settlement.review import service as review
from services.settlement.review.domain.holds import refused_fen
from services.settlement.review.service import HELD, REFUSED

log = logging.getLogger(__name__)

CLEARING_OUTPATIENT = "11"   # clr_type: 门诊
SETTLED_PER_DOC = 200


class NotBalanced(JingbanError):
    """The provincial platform's totals differ from the statement's (对账不平)."""

    http_status = 422


REVIEW_TOTALS = ("refused_fen", "refused_lines", "held_fen", "held_lines")


def _zero() -> dict[str, Any]:
    return {"claimed_fen": 0, "payable_fen": 0, "lines": 0, "claims": 0, "persons": 0, "policy_versions": [],
            "unapplied_claims": 0, **dict.fromkeys(REVIEW_TOTALS, 0)}


async def person_totals(settler: Settler, tenant: str, sid: str, refusals: list[dict[str, Any]] | None = None
                        ) -> tuple[dict[str, dict[str, Any]], int]:
    """Each person's part of a statement, from its claims; claims no person version names (interrupted writes)
    are left out and counted apart. Smart review (智能审核): a refused line (拒付) pays nothing — what adjudication
    gave it is counted as `refused_fen` (and described in `refusals` when a list is given); a held one is counted
    as held (it cannot be paid: the statement does not close while any line is held). A refused line loses the share
    of its confirmed hit's amount in question (review/domain/holds.py `refused_fen`), the rest of it still pays."""
    store = settler.store(tenant)
    await settler.book.warm(tenant)
    review_of = await review.statement_review_of(settler.db_of(tenant), sid)
    parts: dict[str, dict[str, Any]] = {}
    unapplied: set[str] = set()
    claims: dict[str, set[str]] = {}
    refused_lines: list[tuple[dict[str, Any], dict[str, Any], Any]] = []
    hit_lines_fen: dict[str, int] = {}  # a confirmed hit → what its refused lines on this statement claimed
    async for c in store.claim_lines(sid, ("person_id", "amount_fen", "payable_fen", "policy_version", "batch_id",
                                           "claim_id", "line")):
        key = c["_id"].rsplit("|", 1)[0]
        state = settler.book.known(tenant, c["person_id"])
        applied = state is not None and (state.applied(sid, batch_id=c.get("batch_id", "")) if c.get("batch_id")
                                         else state.applied(sid, visit=key))
        if not applied:
            unapplied.add(key)
            continue
        part = parts.setdefault(c["person_id"], {"claimed_fen": 0, "payable_fen": 0, "lines": 0, "claims": 0,
                                                 "policy_versions": set(), **dict.fromkeys(REVIEW_TOTALS, 0)})
        payable = c["payable_fen"]
        line_review = review_of.lines.get(c["_id"])
        if line_review is not None and line_review.state == REFUSED:
            # Its share of the confirmed hit's amount is refused once every line of the hit is known (below).
            refused_lines.append((part, c, line_review))
            hit_id = (line_review.refusing or {}).get("hit_id", "")
            hit_lines_fen[hit_id] = hit_lines_fen.get(hit_id, 0) + c["amount_fen"]
        elif line_review is not None and line_review.state == HELD:
            part["held_fen"] += payable
            part["held_lines"] += 1
        part["claimed_fen"] += c["amount_fen"]
        part["payable_fen"] += payable
        part["lines"] += 1
        part["policy_versions"].add(c["policy_version"])
        claims.setdefault(c["person_id"], set()).add(key)
    for part, c, line_review in refused_lines:
        hit = line_review.refusing or {}
        hit_id = hit.get("hit_id", "")
        hit_fen = to_fen(Decimal(str(hit.get("amount") or "0")))
        refused = refused_fen(c["payable_fen"], hit_fen, hit_lines_fen.get(hit_id, 0))
        part["refused_fen"] += refused
        part["refused_lines"] += 1
        part["payable_fen"] -= refused
        if refusals is not None:
            refusals.append({"claim_id": c["claim_id"], "line": c.get("line"), "batch_id": c.get("batch_id", ""),
                             "claimed": yuan(c["amount_fen"]), "adjudicated": yuan(c["payable_fen"]),
                             "refused": yuan(refused), "hit_amount": str(hit.get("amount") or ""),
                             "hit_id": hit_id, "rule": hit.get("rule", ""),
                             "reason_codes": line_review.view().get("reason_codes", [])})
    for pid, keys in claims.items():
        parts[pid]["claims"] = len(keys)
    if refusals is not None:
        refusals.sort(key=lambda r: (r["claim_id"], r["line"] or 0))
    return parts, len(unapplied)


def sum_parts(parts: dict[str, dict[str, Any]], unapplied: int) -> dict[str, Any]:
    totals = _zero()
    versions: set[str] = set()
    for part in parts.values():
        for k in ("claimed_fen", "payable_fen", "lines", "claims", *REVIEW_TOTALS):
            totals[k] += part.get(k, 0)
        versions |= part["policy_versions"]
    totals["persons"] = len(parts)
    totals["policy_versions"] = sorted(versions)
    totals["unapplied_claims"] = unapplied
    return totals


async def live_totals(settler: Settler, tenant: str, sid: str,
                      refusals: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return sum_parts(*await person_totals(settler, tenant, sid, refusals))


def view(doc: dict[str, Any], totals: dict[str, Any], clock: dict[str, Any] | None = None,
         refusals: list[dict[str, Any]] | None = None, review_state: dict[str, Any] | None = None) -> dict[str, Any]:
    """A statement over HTTP; `clock` (statement_clock_of) adds `settlement_deadline`, `overdue` and `deadline`.
    `refused` is what smart review refused (拒付: the fund's part of the refused lines, not paid), `refusals` those
    lines with their reason codes; the patient's share is what neither the fund nor a refusal took."""
    refused = int(totals.get("refused_fen", 0))
    return {**(clock or {}),
        "statement_id": doc["_id"], "institution_code": doc["institution_code"], "month": doc["month"],
        "status": doc["status"], "claimed": yuan(totals["claimed_fen"]), "payable": yuan(totals["payable_fen"]),
        "patient_pays": yuan(totals["claimed_fen"] - totals["payable_fen"] - refused), "lines": totals["lines"],
        "claims": totals["claims"], "persons": totals["persons"],
        "policy_version": ",".join(totals["policy_versions"]), "created_at": doc.get("created_at"),
        "closed_at": doc.get("closed_at"), "closed_by": doc.get("closed_by"),
        "reconciliation": doc.get("reconciliation"), "payment_id": doc.get("payment_id"),
        "active_batches": doc.get("active_batches", []), "unapplied_claims": totals.get("unapplied_claims", 0),
        "refused": yuan(refused), "refused_lines": int(totals.get("refused_lines", 0)),
        "held": yuan(int(totals.get("held_fen", 0))), "held_lines": int(totals.get("held_lines", 0)),
        "refusals": list(doc.get("refusals") or []) if refusals is None else refusals,
        **({"review": review_state} if review_state is not None else {}),
    }


async def statement_view(settler: Settler, tenant: str, doc: dict[str, Any]) -> dict[str, Any]:
    refusals: list[dict[str, Any]] | None = None
    review_state = None
    if "totals" in doc:
        totals = doc["totals"]
    else:
        refusals = []
        totals = await live_totals(settler, tenant, doc["_id"], refusals)
        review_state = (await review.statement_review_of(settler.db_of(tenant), doc["_id"])).counts()
    return view(doc, totals, await statement_clock_of(settler, tenant, doc), refusals, review_state)


async def statement_clock_of(settler: Settler, tenant: str, doc: dict[str, Any],
                             today: date | None = None) -> dict[str, Any]:
    """The month's settlement deadline (月结清算时限) of the tenant's program and whether this statement is overdue:
    paid after it (the payment's Beijing date), or unpaid past it."""
    paid_on = None
    if doc.get("payment_id"):
        payment = await settler.store(tenant).payment(doc["payment_id"])
        paid_on = day_cn(payment["issued_at"]) if payment and payment.get("issued_at") else None
    return statement_clock(program_of_tenant(tenant), doc["month"], paid_on, today or today_cn())


def benefits_settled_event_id(store: SettlementStore, sid: str, person_id: str) -> str:
    """A person's `benefits.settled` event of a statement, the same when a cut-short close is resumed: derived from
    the statement and the person's keyed pseudonym (`SettlementStore.pseudonym`), never from the identity number (a
    uuid5 of the statement id and the number could be reversed by trying every number)."""
    return derived_event_id(sid, "benefits.settled", store.pseudonym(person_id))


def month_bounds(month: str) -> tuple[date, date]:
    year, mon = int(month[:4]), int(month[5:7])
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


async def close(settler: Settler, tenant: str, sid: str, who: str) -> dict[str, Any]:
    async with settler.locks.hold(statement_lock(tenant, sid)):
        return await _close(settler, settler.store(tenant), tenant, sid, who)


async def _close(settler: Settler, store: SettlementStore, tenant: str, sid: str, who: str) -> dict[str, Any]:
    doc = await store.statement(sid)
    if doc is None:
        raise NotFound(f"statement {sid} not found")
    if doc["status"] not in ("open", "closing"):
        raise Conflict(f"statement {sid} is already {doc['status']}")
    if doc.get("active_batches"):
        running, interrupted = await settler.active_batches(tenant, store, sid, doc["active_batches"])
        if running or interrupted:
            raise Conflict(active_batches_message(sid, running, interrupted), "active_batches",
                           code="statement_has_active_batches")
    if doc["status"] == "open":
        # Smart review (智能审核) first: nothing of a batch under review, no held line reaches a payment (a close a
        # crash cut short passed this check when it began).
        await review.require_reviewed(settler.db_of(tenant), sid)
    settler.statement_changed(tenant, sid)
    # Who began closing it: a close a crash cut short is finished in their name when settlement starts again.
    closing = {"status": "closing", "closing_by": who, "closing_at": datetime.now(UTC).isoformat()}
    if doc["status"] == "open" and not await store.transition(sid, {"status": "open", "active_batches": []},
                                                              closing):
        settler.statement_unchanged(tenant, sid)
        raise Conflict(f"statement {sid} changed meanwhile (a batch started, or it was closed); try again")
    # Visits that saw the statement open before it began closing are finished first.
    await settler.visits_drained(tenant, sid)

    # 1. Every person's part, one benefits.settled each, carried by documents of up to SETTLED_PER_DOC persons
    # (what smart review refused is not paid: 拒付).
    refusals: list[dict[str, Any]] = []
    parts, unapplied = await person_totals(settler, tenant, sid, refusals)
    totals = sum_parts(parts, unapplied)
    carrier = current_carrier()
    persons = sorted(parts)
    docs = []
    for k, start in enumerate(range(0, len(persons), SETTLED_PER_DOC)):
        chunk = persons[start:start + SETTLED_PER_DOC]
        events, rows = [], []
        for pid in chunk:
            part = parts[pid]
            version = ",".join(sorted(part["policy_versions"]))
            payload = events_pb2.BenefitsSettled(
                person_id=pid, institution_code=doc["institution_code"], month=doc["month"],
                claimed=yuan(part["claimed_fen"]), payable=yuan(part["payable_fen"]), lines=part["lines"],
                policy_version=version, statement_id=sid)
            events.append(new_event("benefits.settled", tenant, pid, payload, source="settlement",
                                    trace_context=carrier, event_id=benefits_settled_event_id(store, sid, pid)))
            rows.append({"person_id": pid, "claimed_fen": part["claimed_fen"], "payable_fen": part["payable_fen"],
                         "lines": part["lines"], "claims": part["claims"], "policy_version": version})
        docs.append({"_id": f"{sid}|{k:06d}", "statement_id": sid, "institution_code": doc["institution_code"],
                     "month": doc["month"], "persons": rows, "_outbox": events, "_outbox_pending": len(events)})
    for start in range(0, len(docs), 50):
        await store.insert_settlements(docs[start:start + 50])  # a resumed close finds some there

    # 2. The statement itself, with statement.closed.
    now = datetime.now(UTC).isoformat()
    closed = events_pb2.StatementClosed(
        statement_id=sid, institution_code=doc["institution_code"], month=doc["month"],
        claimed=yuan(totals["claimed_fen"]), payable=yuan(totals["payable_fen"]), lines=totals["lines"],
        persons=totals["persons"], policy_version=",".join(totals["policy_versions"]))
    event = new_event("statement.closed", tenant, sid, closed, source="settlement", trace_context=carrier,
                      event_id=derived_event_id(sid, "statement.closed", sid))
    changes = {"status": "closed", "totals": totals, "closed_at": now, "closed_by": who, "refusals": refusals}
    await settler.outbox_drained(store, sid)
    if not await store.transition(sid, {"status": "closing"}, changes, [event]):
        raise Conflict(f"statement {sid} changed while closing; try again")
    return view({**doc, **changes}, totals)


def carrier_of(tenant: str) -> tuple[str, str, str]:
    program = load_program(program_code(tenant))
    for t in program.tenants:
        if t.tenant == tenant:
            return t.fixmedins_code, t.name, program.division
    raise NotFound(f"tenant {tenant} is not a carrier of {program.code}")


async def reconcile(settler: Settler, tenant: str, sid: str, who: str, provincial_url: str) -> dict[str, Any]:
    async with settler.locks.hold(statement_lock(tenant, sid)):
        return await _reconcile(settler, settler.store(tenant), tenant, sid, who, provincial_url)


def holding_insutype(holdings: list[dict[str, Any]]) -> str:
    """The person's insurance type (险种, from 1101 through their qualifications): the latest granted holding's that
    names one; "" when none does (holdings imported without it, or a person holding nothing)."""
    named = sorted((h for h in holdings if h.get("insutype")), key=lambda h: h.get("granted_on", ""))
    return named[-1]["insutype"] if named else ""


async def insutype_totals(settler: Settler, tenant: str, sid: str, default: str) -> dict[str, dict[str, Any]]:
    """The statement's totals split by the persons' insurance type: the platform reconciles each insutype apart
    (3201 takes one). A person whose type settlement never learnt counts under `default` and is counted as assumed."""
    parts, _ = await person_totals(settler, tenant, sid)
    out: dict[str, dict[str, Any]] = {}
    for pid, part in parts.items():
        state = settler.book.known(tenant, pid)
        insutype = holding_insutype(state.holdings) if state is not None else ""
        bucket = out.setdefault(insutype or default, {"claimed_fen": 0, "payable_fen": 0, "claims": 0, "persons": 0,
                                                      "assumed_persons": 0})
        for k in ("claimed_fen", "payable_fen", "claims"):
            bucket[k] += part[k]
        bucket["persons"] += 1
        bucket["assumed_persons"] += 0 if insutype else 1
    return out


async def _reconcile(settler: Settler, store: SettlementStore, tenant: str, sid: str, who: str,
                     provincial_url: str) -> dict[str, Any]:
    doc = await store.statement(sid)
    if doc is None:
        raise NotFound(f"statement {sid} not found")
    if doc["status"] in ("open", "closing"):
        raise Conflict(f"statement {sid} is {doc['status']}: close it before reconciling")
    if doc["status"] != "closed":
        raise Conflict(f"statement {sid} is already {doc['status']} (reconciled and balanced)")
    totals = doc["totals"]
    begin, end = month_bounds(doc["month"])
    code, name, division = carrier_of(tenant)
    default = str(load_program(program_code(tenant)).setting("settlement", "default_insutype", RESIDENT_BASIC))
    by_type = await insutype_totals(settler, tenant, sid, default)
    if not by_type:  # an empty statement still reconciles (zeros), under the program's default type
        by_type = {default: {"claimed_fen": 0, "payable_fen": 0, "claims": 0, "persons": 0, "assumed_persons": 0}}
    summed = {k: sum(b[k] for b in by_type.values()) for k in ("claimed_fen", "payable_fen", "claims")}
    closed = {k: totals[k] for k in summed}
    if summed != closed:
        raise Conflict(f"statement {sid}: its claims no longer add up to the totals closed ({summed} against "
                       f"{closed}); nothing was sent to the platform", "totals")
    parts: list[dict[str, Any]] = []
    agency = ""
    async with ProvincialClient(provincial_url, code, name, who, division=division) as client:
        # One 3201 per insurance type present (对总账按险种): the statement balances only if every one does.
        for insutype in sorted(by_type):
            b = by_type[insutype]
            result = await client.reconcile_totals(
                clr_type=CLEARING_OUTPATIENT, begin_date=begin, end_date=end, insutype=insutype,
                medical_fee_total=from_fen(b["claimed_fen"]), fund_paid_total=from_fen(b["payable_fen"]),
                settlement_count=b["claims"])
            agency = agency or result.settlement_agency
            parts.append({"insutype": insutype, "balanced": result.balanced, "result": result.result,
                          "description": result.description, "claimed": yuan(b["claimed_fen"]),
                          "payable": yuan(b["payable_fen"]), "count": b["claims"], "persons": b["persons"],
                          "assumed_persons": b["assumed_persons"]})
    balanced = all(x["balanced"] for x in parts)
    failed = [x for x in parts if not x["balanced"]]
    description = "; ".join(f"{x['insutype']}: {x['description']}" for x in (failed or parts))
    now = datetime.now(UTC).isoformat()
    record = {"balanced": balanced, "result": failed[0]["result"] if failed else parts[0]["result"],
              "description": description, "settlement_agency": agency, "fixmedins_code": code, "at": now, "by": who,
              "claimed": yuan(totals["claimed_fen"]), "payable": yuan(totals["payable_fen"]),
              "count": totals["claims"], "by_insutype": parts}
    event = new_event("statement.reconciled", tenant, sid, events_pb2.StatementReconciled(
        statement_id=sid, institution_code=doc["institution_code"], month=doc["month"], balanced=balanced,
        detail=description), source="settlement", trace_context=current_carrier())
    changes: dict[str, Any] = {"reconciliation": record}
    if balanced:
        changes["status"] = "reconciled"
    await settler.outbox_drained(store, sid)
    if not await store.transition(sid, {"status": "closed"}, changes, [event]):
        raise Conflict(f"statement {sid} changed while reconciling; try again")
    if not balanced:
        raise NotBalanced(f"statement {sid} does not balance with the provincial platform (3201 stmt_rslt "
                          + ", ".join(f"insutype {x['insutype']}: {x['result']}" for x in failed)
                          + f"): {description}", "totals")
    return view({**doc, **changes}, totals)



def payment_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc.get(k) for k in ("payment_id", "statement_id", "institution_code", "month", "amount",
                                    "issued_at", "issued_by", "status")}


async def pay(settler: Settler, tenant: str, sid: str, who: str) -> dict[str, Any]:
    async with settler.locks.hold(statement_lock(tenant, sid)):
        return await _pay(settler, settler.store(tenant), tenant, sid, who)


async def _pay(settler: Settler, store: SettlementStore, tenant: str, sid: str, who: str) -> dict[str, Any]:
    doc = await store.statement(sid)
    if doc is None:
        raise NotFound(f"statement {sid} not found")
    payment_id = f"PAY-{sid}"
    if doc["status"] == "paid" or await store.payment(payment_id):
        if doc["status"] == "reconciled":  # the payment was stored, the statement not yet marked: finish that
            await settler.outbox_drained(store, sid)
            await store.transition(sid, {"status": "reconciled"}, {"status": "paid", "payment_id": payment_id})
        raise Conflict(f"statement {sid} is already paid (payment {payment_id})")
    if doc["status"] != "reconciled":
        raise Conflict(f"statement {sid} is {doc['status']}: it must be closed and reconciled (balanced) "
                       "with the provincial platform before payment")
    now = datetime.now(UTC).isoformat()
    amount = yuan(doc["totals"]["payable_fen"])
    payment = {"_id": payment_id, "payment_id": payment_id, "statement_id": sid,
               "institution_code": doc["institution_code"], "month": doc["month"], "amount": amount,
               "amount_fen": doc["totals"]["payable_fen"], "issued_at": now, "issued_by": who, "status": "issued"}
    event = new_event("payment.issued", tenant, sid, events_pb2.PaymentIssued(
        payment_id=payment_id, statement_id=sid, institution_code=doc["institution_code"], month=doc["month"],
        amount=amount, issued_at=now), source="settlement", trace_context=current_carrier(),
        event_id=derived_event_id(sid, "payment.issued", payment_id))
    # Booked in the dedicated account first (待遇支出): refused with the shortfall before anything is written.
    ledger = ledger_of(settler)
    existing = (await ledger.entry_heads(tenant, [f"payment:{payment_id}"])).get(f"payment:{payment_id}")
    await fund.post_payment(ledger, tenant, doc["month"], payment_id, doc["totals"]["payable_fen"],
                            doc["institution_code"], who,
                            day=date.fromisoformat(existing["date"]) if existing else None)
    if not await store.insert_payment(payment, [event]):
        raise Conflict(f"statement {sid} is already paid (payment {payment_id})")
    await settler.outbox_drained(store, sid)
    await store.transition(sid, {"status": "reconciled"}, {"status": "paid", "payment_id": payment_id})
    return payment_view(payment)


async def finish_payment(settler: Settler, tenant: str, sid: str) -> str | None:
    """Finish the payment of a reconciled statement that a crash cut short, as a retry of the payment would: its
    instruction stored but the statement not marked paid (→ marked), or its entry booked in the dedicated account
    but no instruction issued (→ issued, in the name of whoever booked it; the entry is found, not booked again).
    Returns what was done (a stable code), None when the statement's payment was not begun."""
    async with settler.locks.hold(statement_lock(tenant, sid)):
        store = settler.store(tenant)
        doc = await store.statement(sid)
        if doc is None or doc["status"] != "reconciled":
            return None
        payment_id = f"PAY-{sid}"
        if await store.payment(payment_id):
            await settler.outbox_drained(store, sid)
            await store.transition(sid, {"status": "reconciled"}, {"status": "paid", "payment_id": payment_id})
            return runs.PAYMENT_MARKED_PAID
        entry = (await ledger_of(settler).entry_heads(tenant, [f"payment:{payment_id}"])).get(
            f"payment:{payment_id}")
        if entry is None:
            return None
        await _pay(settler, store, tenant, sid, entry.get("posted_by") or runs.RECOVERY_ACTOR)
        return runs.PAYMENT_ISSUED


# ---- the books and payment runs (批量支付) -------------------------------------------------------------------------

_LEDGERS: weakref.WeakKeyDictionary[Settler, fund.Fund] = weakref.WeakKeyDictionary()


def ledger_of(settler: Settler) -> fund.Fund:
    """The settler's one `Fund` (its head and book cache serve every payment), made on first use and gone with the
    settler (the `Fund` holds it weakly)."""
    ledger = _LEDGERS.get(settler)
    if ledger is None:
        ref = weakref.ref(settler)

        def database(tenant: str) -> Any:
            owner = ref()
            assert owner is not None, "the settler of this Fund is gone"
            return owner.db_of(tenant)

        ledger = _LEDGERS[settler] = fund.Fund(database, (), settler.kick)
    return ledger


def _memo(doc: dict[str, Any]) -> str:
    return f"支付 {doc['institution_code']} {doc['month']} 结算款"


async def pay_run(settler: Settler, tenant: str, run: runs.RunRequest, who: str) -> dict[str, Any]:
    """Pay at once every reconciled statement of a month (or those named): the ledger entries posted as one batch,
    all or nothing — refused with `InsufficientFunds` naming the run's shortfall before anything is written — then
    the payments with `payment.issued` (one insert), then each statement marked paid. A retry pays only what is not
    yet paid; the ids are the single payment's (`PAY-<statement id>`), so a statement is paid once either way. Named
    statements must be payable (404 unknown, 409 not reconciled); in a month's run the others are left with
    `not_reconciled`. The relay is waited for once, for all the run's statements, before the first write."""
    store = settler.store(tenant)
    if run.month is not None:
        found = await store.statement_ids_of_month(run.month)
    else:
        found = [d["_id"] for d in await store.statements_by_ids(run.statement_ids)]
        have = set(found)
        for i, sid in enumerate(run.statement_ids):
            if sid not in have:
                raise NotFound(f"statement {sid} not found", f"statement_ids[{i}]")
    result = runs.RunResult(run)
    async with settler.locks.hold(*(statement_lock(tenant, sid) for sid in found)):
        docs = await store.statements_by_ids(found)  # again, under the locks
        paid = await store.payment_ids([f"PAY-{d['_id']}" for d in docs])
        due, finish = runs.sort_statements(docs, paid, run, result)
        await runs.drained(store.statements_with_events_pending, [d["_id"] for d in [*due, *finish]], settler.kick)

        # 1. The ledger: one batch per fund year, all or nothing (a crashed run's entries keep their value date).
        dues = [fund.PaymentDue(f"PAY-{d['_id']}", d["month"], int(d["totals"]["payable_fen"]), _memo(d)) for d in due]
        booked = {i: date.fromisoformat(e["date"]) for i, e in (
            await ledger_of(settler).entry_heads(tenant, [x.entry_id for x in dues])).items()}
        result.entries = await fund.post_payments(ledger_of(settler), tenant, [
            dataclasses.replace(x, booked_on=booked.get(x.entry_id)) for x in dues], who, run.label)

        # 2. The payments, each with payment.issued; 3. each statement marked paid.
        now = datetime.now(UTC).isoformat()
        payments = []
        for d in due:
            sid, pid, amount = d["_id"], f"PAY-{d['_id']}", int(d["totals"]["payable_fen"])
            payment = {"_id": pid, "payment_id": pid, "statement_id": sid, "institution_code": d["institution_code"],
                       "month": d["month"], "amount": yuan(amount), "amount_fen": amount, "issued_at": now,
                       "issued_by": who, "status": "issued"}
            event = new_event("payment.issued", tenant, sid, events_pb2.PaymentIssued(
                payment_id=pid, statement_id=sid, institution_code=d["institution_code"], month=d["month"],
                amount=yuan(amount), issued_at=now), source="settlement", trace_context=current_carrier(),
                event_id=derived_event_id(sid, "payment.issued", pid))
            payments.append(with_events(payment, [event]))
            result.paid.append(payment_view(payment))
            result.amount_fen += amount
        await store.insert_payments_new(payments)
        for d in [*due, *finish]:
            await store.transition(d["_id"], {"status": "reconciled"}, {"status": "paid",
                                                                        "payment_id": f"PAY-{d['_id']}"})
    settler.kick()
    return result.view(yuan)


# ---- reading (the doors), and what recovery finishes ---------------------------------------------------------------


async def find(settler: Settler, tenant: str, sid: str) -> dict[str, Any] | None:
    return await settler.store(tenant).statement(sid)


async def statements_of(settler: Settler, tenant: str, month: str, institution: str | None, limit: int
                        ) -> list[dict[str, Any]]:
    """A month's statements (one institution's only, when named), by id."""
    query: dict[str, Any] = {"month": month}
    if institution is not None:
        query["institution_code"] = institution
    return await settler.store(tenant).statements(query, limit)


async def payments_of(settler: Settler, tenant: str, month: str, limit: int) -> list[dict[str, Any]]:
    return await settler.store(tenant).payments({"month": month}, limit)


async def unfinished(settler: Settler, tenant: str) -> list[dict[str, Any]]:
    """Statements a crash may have left half-done: open (with batches registered), closing, or reconciled (a
    payment begun); their status, active batches and who began closing them."""
    return await settler.store(tenant).statements_in(["open", "closing", "reconciled"])


async def unregister_finished_batches(settler: Settler, tenant: str, sid: str) -> bool:
    """Take the batches that finished (a crash between a batch's end and its leaving the statement) off an open
    statement; True when some were."""
    async with settler.locks.hold(statement_lock(tenant, sid)):
        store = settler.store(tenant)
        before = list((await store.statement(sid) or {}).get("active_batches") or [])
        if not before:
            return False
        await settler.active_batches(tenant, store, sid, before)
        after = (await store.statement(sid) or {}).get("active_batches") or []
    return len(after) < len(before)


async def payments_begun(settler: Settler, tenant: str, sids: list[str]) -> list[str]:
    """Of these statements, those whose payment was begun: its instruction stored (`PAY-<id>`) or its entry booked
    in the dedicated account (`payment:PAY-<id>`) — two reads per 1,000, rather than two per statement."""
    begun: set[str] = set()
    for start in range(0, len(sids), 1000):
        part = sids[start:start + 1000]
        begun |= {p[len("PAY-"):] for p in await settler.store(tenant).payment_ids([f"PAY-{x}" for x in part])}
        booked = await ledger_of(settler).entry_heads(tenant, [f"payment:PAY-{x}" for x in part])
        begun |= {e[len("payment:PAY-"):] for e in booked}
    return [x for x in sids if x in begun]


async def statement_in(db: Any, sid: str) -> dict[str, Any] | None:
    """A statement read from the database a door opened (the statement documents room asks)."""
    return await SettlementStore(db).statement(sid)
