"""Critical illness money chain (大病保险 "按月与定点医药机构进行结算支付"): monthly statements per institution
(月度结算单), a payable to the person for each manual reimbursement (零星报销, paid to the person's bank account),
reconciliation with the provincial platform (3201 对总账) and payments booked in the carrier's dedicated account
(专户, `benefits_paid`), and the recoveries of review outcomes (核查追回, `recoveries`).

Rules (pure parts in domain/critical_statements.py):
- a settled claim the fund pays (payable > 0) from an institution goes on that institution's statement of the
  claim's month; a late claim (its month's statement already closing or closed) goes on a supplementary statement
  of the same institution and month (`<id>-2` …), so nothing settled is lost and no statement mixes benefit years;
- a manual reimbursement becomes one payable to the person (`PP-<claim key>`, domain/claims.py `claim_key`), paid
  to the bank account given with the claim or at payment (stored whole for the payment instruction, shown masked in
  every view; never logged);
- statement: open → (month over) closing → closed (`statement.closed`) → one 3201 per (insutype, clr_type) →
  reconciled when every group balances (`statement.reconciled`, else 422 with the result stored) → paid once
  (`payment.issued`): the payment is booked `benefits_paid` in the fund year of the statement's month first,
  refused 409 `InsufficientFunds` naming the shortfall before anything is written; paid twice → 409;
- runs (finance, a month at a time): a closing run, a reconciliation run (one session with the platform: one client
  and sign-in for every 3201) and a payment run (批量支付: every reconciled statement and every payable to a person
  with a bank account, booked as one batch — all or nothing, `InsufficientFunds` naming the run's shortfall — the
  payment ids those of the single endpoints, so whatever is paid is paid once); each wakes the relay once and, where
  it must wait for the relay (see `_drained`), waits once for all its statements (payment_runs.py);
- a review completed with `recovered` > 0 books `recovery:review:<review id>` (`recoveries`) once, in the fund
  year of the claim (the current year when that one is closed); a retry of the outcome finishes a booking a crash
  cut short.

Order of writes (no transactions on FerretDB 1.x), each step safe to repeat:
- claims: the account applies the claim first (critical.py), then its line is pushed onto the open statement
  (one conditional update), then the claim is marked with its statement; re-sending the claims finds an applied
  claim without its mark, looks it up on the statements of its month (a crash after the push) and otherwise
  pushes it now;
- payment: the ledger entry (idempotent by the payment id; a retry reuses the entry's value date), then the
  payment document with `payment.issued`, then the statement's status.
Statement lines are pushed and statements closed under one in-process lock per institution and month (one
settlement replica per store, as everywhere in settlement). A close (or closing run) and a payment a crash cut short
are finished when settlement starts again (recovery.py: `close`, `finish_payment`, `finish_payable`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from typing import Any

from chassis.calendar import day_cn, today_cn
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.events import derived_event_id, new_event
from chassis.locks import KeyedLocks
from chassis.money import from_fen, parse_amount, to_fen, yuan
from chassis.outbox import with_events
from chassis.programs import Program, program_of_tenant
from chassis.reasons import Reason
from chassis.telemetry import current_carrier
from contracts.v1 import events_pb2
from provincial.client import ProvincialClient
from services.settlement.chronic.domain.deadlines import statement_clock
from services.settlement.critical.domain import statements as cs
from services.settlement.critical.domain.reasons import REASONS
from services.settlement.critical.domain.statements import NotBalanced
from services.settlement.critical.service import review
from services.settlement.critical.store import PAYMENTS, PERSON_PAYABLES, STATEMENTS, CriticalStore
from services.settlement.fund.service import account as fund
from services.settlement.fund.service import payment_runs as runs

NOT_CLOSED = "not_closed"   # a reconciliation run leaves a statement still open (or closing) alone


__all__ = ["CriticalStatements", "NotBalanced", "yuan"]


# ---- views ----------------------------------------------------------------------------------------------------


def _lines(doc: dict[str, Any]) -> list[cs.Line]:
    return cs.unique_lines(cs.Line.of(d) for d in doc.get("lines", []))


def _group_view(g: dict[str, Any]) -> dict[str, Any]:
    return {"insutype": g["insutype"], "clr_type": g["clr_type"], "claims": g["claims"],
            "claimed": yuan(g["claimed_fen"]), "payable": yuan(g["payable_fen"])}


def with_refusals(totals: dict[str, Any], refusals: list[dict[str, Any]]) -> dict[str, Any]:
    """The statement's totals less what smart review refused (拒付): `payable_fen` is what the statement pays,
    `refused_fen` (and `refused_claims`) what confirmed hits took off it."""
    refused = sum(int(r["refused_fen"]) for r in refusals)
    return {**totals, "payable_fen": totals["payable_fen"] - refused, "refused_fen": refused,
            "refused_claims": len({r["claim_id"] for r in refusals})}


def statement_view(doc: dict[str, Any], program: Program | None = None,
                   live_review: dict[str, Any] | None = None) -> dict[str, Any]:
    """A statement: its totals (live while open), its reconciliation groups and where it stands; with the program,
    the month's settlement deadline (月结清算时限) and whether it is overdue (domain/deadlines.py). Smart review
    (智能审核): `refused` and `refusals` (拒付, reason `smart_review_refused`: stored at close, or `live_review`'s
    `refusals` while open, with its `review` counts); `payable` is net of them, the 3201 `groups` are not."""
    lines = _lines(doc)
    totals = doc.get("totals") or with_refusals(cs.totals(lines), (live_review or {}).get("refusals") or [])
    refusals = doc.get("refusals") if "totals" in doc else (live_review or {}).get("refusals")
    groups = doc.get("groups") or [asdict(g) for g in cs.groups(lines)]
    clock = {} if program is None else statement_clock(
        program, doc["month"], day_cn(doc["paid_at"]) if doc.get("paid_at") else None, today_cn())
    return {**clock,
        "statement_id": doc["_id"], "institution_code": doc["institution_code"], "month": doc["month"],
        "seq": doc.get("seq", 1), "supplementary": doc.get("seq", 1) > 1, "reasons": doc.get("reasons", []),
        "reason_codes": doc.get("reason_codes") if doc.get("reason_codes") is not None else [
            Reason(str(x).partition(": ")[0], str(x).partition(": ")[2]).to_json() for x in doc.get("reasons", [])],
        "status": doc["status"], "claims": totals["claims"], "persons": totals["persons"],
        "claimed": yuan(totals["claimed_fen"]), "payable": yuan(totals["payable_fen"]),
        "late_claims": totals.get("late_claims", 0), "policy_versions": totals["policy_versions"],
        "groups": [_group_view(g) for g in groups], "created_at": doc.get("created_at"),
        "closed_at": doc.get("closed_at"), "closed_by": doc.get("closed_by"),
        "reconciliation": doc.get("reconciliation"), "payment_id": payment_id_of(doc),
        "paid_at": doc.get("paid_at"),
        "refused": yuan(int(totals.get("refused_fen", 0))), "refused_claims": int(totals.get("refused_claims", 0)),
        "refusals": [{k: v for k, v in r.items() if k != "refused_fen"} for r in refusals or []],
        **({"review": live_review["review"]} if live_review and "review" in live_review else {}),
    }


def payment_id_of(doc: dict[str, Any]) -> str | None:
    """The payment of a paid statement: `PAY-<statement id>` by construction (a payment run marks its statements
    paid in one update and does not write the id on each)."""
    return doc.get("payment_id") or (f"PAY-{doc['_id']}" if doc.get("status") == "paid" else None)


def statement_lines_view(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"claim_id": ln.claim_id, "person_id": ln.person_id, "date": ln.date, "insutype": ln.insutype,
             "clr_type": ln.clr_type, "claimed": yuan(ln.claimed_fen), "payable": yuan(ln.payable_fen),
             "policy_version": ln.policy_version, "late": ln.late}
            for ln in sorted(_lines(doc), key=lambda x: (x.date, x.claim_id))]


def payable_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {"payable_id": doc["_id"], "claim_id": doc["claim_id"], "person_id": doc["person_id"],
            "date": doc["date"], "month": doc["month"], "year": doc["year"], "amount": yuan(doc["amount_fen"]),
            "insutype": doc["insutype"], "institution_code": doc.get("institution_code", ""),
            "policy_version": doc.get("policy_version", ""), "status": doc["status"],
            "bank_account": cs.mask_account(doc.get("bank_account")), "created_at": doc.get("created_at"),
            "payment_id": doc.get("payment_id"), "paid_at": doc.get("paid_at"), "paid_by": doc.get("paid_by")}


def payment_view(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: doc.get(k) for k in ("payment_id", "payee", "statement_id", "payable_id", "institution_code",
                                   "month", "amount", "entry_id", "issued_at", "issued_by", "status")}
    if doc.get("payee") == "person":
        out["bank_account"] = cs.mask_account(doc.get("bank_account"))
    return out


def carrier_of(tenant: str) -> tuple[str, str, str]:
    """The carrier's registered code and name, and the program's division: who calls the platform."""
    program = program_of_tenant(tenant)
    if program is not None:
        for t in program.tenants:
            if t.tenant == tenant:
                return t.fixmedins_code, t.name, program.division
    raise NotFound(f"tenant {tenant} is not a carrier of any program")


class PlatformSession:
    """One session of the carrier with the provincial platform for a reconciliation (or a run of them): the client
    (HTTP connection, sign-in 9001) is made on first use and reused for every 3201 of the run, then closed. Not
    shared across requests: the operator (`who`) is the session's."""

    def __init__(self, url: str, tenant: str, who: str) -> None:
        self.url, self.tenant, self.who = url, tenant, who
        self._client: ProvincialClient | None = None

    async def client(self) -> ProvincialClient:
        if self._client is None:
            code, name, division = carrier_of(self.tenant)
            self._client = ProvincialClient(self.url, code, name, self.who, division=division)
        return self._client

    async def __aenter__(self) -> PlatformSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


# ---- the service --------------------------------------------------------------------------------------------------


class CriticalStatements:
    """Statements, person payables, payments and review recoveries of the critical illness program; `store_of`
    answers 404 for a tenant outside the program (CriticalService.store)."""

    def __init__(self, store_of: Callable[[str], CriticalStore], locks: KeyedLocks,
                 kick: Callable[[], None], ledger: fund.Fund) -> None:
        self.store_of = store_of
        self.locks = locks
        self.kick = kick
        # One `Fund` for every payment and recovery of the service: its head and book cache serve them all.
        self.ledger = ledger

    @staticmethod
    def lock(tenant: str, institution: str, month: str) -> str:
        return f"cis:{tenant}:{institution}:{month}"

    # ---- claims onto statements and payables (called by CriticalService.submit) -------------------------------

    async def take(self, store: CriticalStore, tenant: str, claims: Sequence[dict[str, Any]],
                   bank_accounts: dict[str, dict[str, str]] | None = None) -> dict[str, dict[str, str]]:
        """Put settled (applied) claims where they are paid: institution claims on their statement, manual
        reimbursements on a payable to the person. Claims already placed are left alone (idempotent). Returns,
        by claim key (`_id`: the id within its institution), where each claim the fund pays is:
        `{"statement_id": …}` or `{"payable_id": …}`; `bank_accounts` are by claim key too."""
        placed: dict[str, dict[str, str]] = {}
        by_statement: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for c in claims:
            if c.get("payable_fen", 0) <= 0:
                continue
            if c["source"] == "manual":
                async with self.locks.hold(f"cip:{tenant}:{cs.payable_id(c['_id'])}"):
                    placed[c["_id"]] = {"payable_id": await self._person_payable(
                        store, c, (bank_accounts or {}).get(c["_id"]))}
            elif c.get("statement_id"):
                placed[c["_id"]] = {"statement_id": c["statement_id"]}
            else:
                by_statement.setdefault((c["institution_code"], c["date"][:7]), []).append(c)
        for (institution, month), group in sorted(by_statement.items()):
            async with self.locks.hold(self.lock(tenant, institution, month)):
                for key, sid in (await self._place(store, institution, month, group)).items():
                    placed[key] = {"statement_id": sid}
        return placed

    async def _place(self, store: CriticalStore, institution: str, month: str,
                     claims: list[dict[str, Any]]) -> dict[str, str]:
        """An institution's claims of a month onto its statement; by claim key, the statement each went to. (A line
        names the institution's own claim id: unique on its institution's statement.)"""
        todo = {c["claim_id"]: c for c in claims}
        placed: dict[str, str] = {}
        seq = 1
        # A re-sent claim pushed before a crash (not yet marked) is found on a statement of its month: mark it only.
        while any(c.get("_replayed") for c in claims):
            sid = cs.statement_id(institution, month, seq)
            doc = await store.statement(sid)
            if doc is None:
                break
            found = [ln.claim_id for ln in _lines(doc) if ln.claim_id in todo]
            if found:
                await store.mark_claims([todo[cid]["_id"] for cid in found], "statement_id", sid)
                for cid in found:
                    placed[todo.pop(cid)["_id"]] = sid
            seq += 1
        if not todo:
            return placed
        seq = 1
        while True:
            sid = cs.statement_id(institution, month, seq)
            lines = [cs.Line(c["claim_id"], c["person_id"], c["date"], c.get("insutype") or cs.DEFAULT_INSUTYPE,
                             c.get("clr_type") or cs.clr_type_of(c["care"], institution),
                             to_fen(parse_amount(c["total_cost"])), int(c["payable_fen"]),
                             c.get("policy_version", ""), late=seq > 1).doc() for c in todo.values()]
            doc = await store.statement_status(sid)
            if doc is None:
                late = REASONS.reason(cs.LATE_CLAIMS, f"claims settled after statement "
                                                      f"{cs.statement_id(institution, month, seq - 1)} began closing",
                                      statement_id=cs.statement_id(institution, month, seq - 1)) if seq > 1 else None
                new = {"_id": sid, "statement_id": sid, "institution_code": institution, "month": month, "seq": seq,
                       "status": "open", "lines": lines, "line_count": len(lines),
                       "reasons": [str(late)] if late else [], "reason_codes": [late.to_json()] if late else [],
                       "created_at": datetime.now(UTC).isoformat()}
                if await store.insert_statement(new):
                    break
                continue  # created meanwhile (another process): look again
            if doc["status"] == "open":
                if await store.add_lines(sid, lines):
                    break
                continue  # began closing meanwhile: look again
            seq += 1
        await store.mark_claims(sorted(c["_id"] for c in todo.values()), "statement_id", sid)
        return {**placed, **{c["_id"]: sid for c in todo.values()}}

    async def _person_payable(self, store: CriticalStore, claim: dict[str, Any],
                              bank_account: dict[str, str] | None) -> str:
        pid = cs.payable_id(claim["_id"])
        doc = {"_id": pid, "payable_id": pid, "claim_id": claim["claim_id"], "claim_key": claim["_id"],
               "person_id": claim["person_id"],
               "date": claim["date"], "month": claim["date"][:7], "year": claim["year"],
               "amount_fen": int(claim["payable_fen"]), "insutype": claim.get("insutype") or cs.DEFAULT_INSUTYPE,
               "institution_code": claim.get("institution_code", ""), "policy_version": claim.get("policy_version"),
               "status": "unpaid", "bank_account": bank_account, "created_at": datetime.now(UTC).isoformat()}
        if not await store.insert_person_payable(doc) and bank_account is not None:
            # the same reimbursement sent again with the account: recorded while still unpaid
            await store.update_person_payable(pid, {"status": "unpaid"}, {"bank_account": bank_account})
        if claim.get("payable_id") != pid:
            await store.mark_claims([claim["_id"]], "payable_id", pid)
        return pid

    # ---- reading ---------------------------------------------------------------------------------------------

    async def statements(self, tenant: str, month: str, institution: str | None, limit: int) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"month": month}
        if institution is not None:
            query["institution_code"] = institution
        program = program_of_tenant(tenant)
        return [statement_view(d, program) for d in await self.store_of(tenant).statements(query, limit)]

    async def statement(self, tenant: str, sid: str, institution: str | None = None,
                        lines: bool = True) -> dict[str, Any]:
        """The statement (404 when not there, or another institution's); `lines=False` reads all but its lines."""
        store = self.store_of(tenant)
        doc = await store.statement(sid) if lines else await store.statement_head(sid)
        if doc is None or (institution is not None and doc["institution_code"] != institution):
            raise NotFound(f"statement {sid} not found")
        return doc

    async def live_review(self, tenant: str, doc: dict[str, Any]) -> dict[str, Any] | None:
        """An unclosed statement's smart review (智能审核): the institution-month's counts (pending batches, held
        lines, open hits) and its claims' refusals so far; None once closed (stored with it)."""
        if "totals" in doc:
            return None
        store = self.store_of(tenant)
        return {"review": await review.review_state(store, doc["institution_code"], doc["month"]),
                "refusals": await review.refusals(store, doc["institution_code"], doc["month"], _lines(doc))}

    async def payables(self, tenant: str, month: str | None, status: str | None,
                       limit: int) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if month:
            query["month"] = month
        if status:
            query["status"] = status
        return [payable_view(d) for d in await self.store_of(tenant).person_payables(query, limit)]

    async def payable(self, tenant: str, payable_id: str) -> dict[str, Any]:
        doc = await self.store_of(tenant).person_payable(payable_id)
        if doc is None:
            raise NotFound(f"payable {payable_id} not found")
        return doc

    async def payments(self, tenant: str, month: str, limit: int) -> list[dict[str, Any]]:
        return [payment_view(d) for d in await self.store_of(tenant).payments({"month": month}, limit)]

    # ---- close -----------------------------------------------------------------------------------------------

    async def close(self, tenant: str, sid: str, who: str, kick: bool = True) -> dict[str, Any]:
        """Close a statement whose month is over (statement.closed); `kick=False` in a run, which wakes the relay
        once for all its statements (each wake is a pass over the collections, on FerretDB a scan of each)."""
        store = self.store_of(tenant)
        doc = await self.statement(tenant, sid, lines=False)
        async with self.locks.hold(self.lock(tenant, doc["institution_code"], doc["month"])):
            doc = await self.statement(tenant, sid, lines=False)
            if doc["status"] not in ("open", "closing"):
                raise Conflict(f"statement {sid} is already {doc['status']}", "status")
            if not cs.month_over(doc["month"], today_cn()):
                raise Conflict(f"statement {sid} is for {doc['month']}, which is not over: a month's statement "
                               "closes once the month has ended", "month")
            if doc["status"] == "open":
                # 智能审核 first: nothing of the institution-month under review or held reaches a payment (a close a
                # crash cut short passed this check when it began).
                await review.require_reviewed(store, doc["institution_code"], doc["month"])
            # Who began closing it: a close a crash cut short is finished in their name when settlement starts.
            if doc["status"] == "open" and not await store.transition(sid, {"status": "open"}, {
                    "status": "closing", "closing_by": who, "closing_at": datetime.now(UTC).isoformat()}):
                raise Conflict(f"statement {sid} changed meanwhile; try again")
            doc = await self.statement(tenant, sid)  # every line pushed before it began closing
            lines = _lines(doc)
            totals, groups = cs.totals(lines), [asdict(g) for g in cs.groups(lines)]
            # 拒付: what confirmed smart review hits refuse is not paid (the 3201 groups keep the settled amounts)
            refusals = await review.refusals(store, doc["institution_code"], doc["month"], lines)
            totals = with_refusals(totals, refusals)
            now = datetime.now(UTC).isoformat()
            event = new_event("statement.closed", tenant, sid, events_pb2.StatementClosed(
                statement_id=sid, institution_code=doc["institution_code"], month=doc["month"],
                claimed=yuan(totals["claimed_fen"]), payable=yuan(totals["payable_fen"]), lines=totals["claims"],
                persons=totals["persons"], policy_version=",".join(totals["policy_versions"])),
                source="settlement", trace_context=current_carrier(),
                event_id=derived_event_id(sid, "statement.closed", sid))
            changes = {"status": "closed", "totals": totals, "groups": groups, "closed_at": now, "closed_by": who,
                       "refusals": refusals}
            await self._drained(store, STATEMENTS, sid)
            if not await store.transition(sid, {"status": "closing"}, changes, [event]):
                raise Conflict(f"statement {sid} changed while closing; try again")
        if kick:
            self.kick()
        return statement_view({**doc, **changes}, program_of_tenant(tenant))

    async def close_run(self, tenant: str, run: runs.RunRequest, who: str) -> dict[str, Any]:
        """Close every statement of a month that is over (or those named) as `close` does, waking the relay once
        at the end. Statements already closed are reported as such; an open statement with no claim is left open
        (nothing to pay). A month not yet over, or a named statement whose month is not over, is a 409."""
        store = self.store_of(tenant)
        if run.month is not None:
            if not cs.month_over(run.month, today_cn()):
                raise Conflict(f"{run.month} is not over: a month's statements close once the month has ended",
                               "month")
            docs = await store.statements_of_month(run.month, {
                "status": 1, "line_count": 1, "institution_code": 1, "month": 1})
            docs = [d for d in docs if d["status"] != "open" or d.get("line_count", 0) > 0]
        else:
            docs = await self._by_ids(store, STATEMENTS, run.statement_ids,
                                      {"status": 1, "month": 1, "institution_code": 1})
            have = {d["_id"] for d in docs}
            for i, sid in enumerate(run.statement_ids):
                if sid not in have:
                    raise NotFound(f"statement {sid} not found", f"statement_ids[{i}]")
                month = next(d["month"] for d in docs if d["_id"] == sid)
                if not cs.month_over(month, today_cn()):
                    raise Conflict(f"statement {sid} is for {month}, which is not over; nothing was closed",
                                   f"statement_ids[{i}]")
        # 智能审核: a named statement under review is a 409 before anything closes; a month's run leaves those
        # still under review (or with held claims) open, reported with `review_pending`.
        out: list[dict[str, Any]] = []
        for i, d in enumerate(list(docs)):
            if d["status"] != "open":
                continue
            try:
                await review.require_reviewed(store, d["institution_code"], d["month"])
            except Conflict as exc:
                if run.month is None:
                    raise Conflict(f"statement {d['_id']}: {exc.message}; nothing was closed", f"statement_ids[{i}]",
                                   code=exc.code, params=exc.params) from exc
                docs.remove(d)
                out.append({"statement_id": d["_id"], "status": "open", "reason": exc.code, "replayed": False,
                            "review": exc.params})
        opening = [d for d in docs if d["status"] == "open"]
        if opening:
            # Every open statement of the run begins closing in one update per 1,000 (FerretDB 1.24 scans the
            # collection on every update; an open statement carries no events, so the relay never writes it): from
            # here its month's late claims go to a supplementary statement, and `close` finishes each one.
            async with self.locks.hold(*(self.lock(tenant, d["institution_code"], d["month"]) for d in opening)):
                await store.begin_closing([d["_id"] for d in opening], {
                    "status": "closing", "closing_by": who, "closing_at": datetime.now(UTC).isoformat()})
        try:
            for d in docs:
                if d["status"] in ("open", "closing"):
                    view = await self.close(tenant, d["_id"], who, kick=False)
                    out.append({"statement_id": d["_id"], "status": view["status"], "payable": view["payable"],
                                "replayed": False})
                else:
                    out.append({"statement_id": d["_id"], "status": d["status"], "replayed": True})
        finally:
            self.kick()
        return {"month": run.month, "statements": out, "closed": sum(1 for x in out if not x["replayed"])}

    # ---- reconcile (3201 per insutype and clr_type) ---------------------------------------------------------

    async def reconcile(self, tenant: str, sid: str, who: str, provincial_url: str) -> dict[str, Any]:
        async with PlatformSession(provincial_url, tenant, who) as platform:
            return await self._reconcile(tenant, sid, who, platform)

    async def reconcile_run(self, tenant: str, run: runs.RunRequest, who: str, provincial_url: str
                            ) -> dict[str, Any]:
        """Reconcile every closed statement of a month (or those named) in one session with the platform (one
        client, one sign-in), each as `reconcile` does; the relay is waited for once for all of them. A statement
        that does not balance is reported with the platform's answer (its result stored), not raised: the others go
        on. Already reconciled ones are reported as such; in a month's run, statements not yet closed are left with
        `not_closed`; a named one not closed is a 409 before anything is sent."""
        store = self.store_of(tenant)
        if run.month is not None:
            docs = await store.statements_of_month(run.month, {"status": 1, "line_count": 1})
            docs = [d for d in docs if d["status"] != "open" or d.get("line_count", 0) > 0]
        else:
            docs = await self._by_ids(store, STATEMENTS, run.statement_ids, {"status": 1})
            have = {d["_id"] for d in docs}
            for i, sid in enumerate(run.statement_ids):
                if sid not in have:
                    raise NotFound(f"statement {sid} not found", f"statement_ids[{i}]")
        todo, out = [], []
        for i, d in enumerate(docs):
            if d["status"] == "closed":
                todo.append(d["_id"])
            elif d["status"] in ("reconciled", "paid"):
                out.append({"statement_id": d["_id"], "status": d["status"], "balanced": True, "replayed": True})
            elif run.month is None:
                raise Conflict(f"statement {d['_id']} is {d['status']}: close it before reconciling; nothing was "
                               "sent to the platform", f"statement_ids[{i}]")
            else:
                out.append({"statement_id": d["_id"], "status": d["status"], "reason": NOT_CLOSED,
                            "reason_codes": [REASONS.reason(NOT_CLOSED, f"statement {d['_id']} is {d['status']}: "
                                                                        "close it before reconciling").to_json()]})
        await runs.drained(lambda ids: store.pending(STATEMENTS, ids), todo, self.kick)
        try:
            async with PlatformSession(provincial_url, tenant, who) as platform:
                for sid in todo:
                    try:
                        view = await self._reconcile(tenant, sid, who, platform, kick=False)
                        out.append({"statement_id": sid, "status": view["status"], "balanced": True,
                                    "replayed": False})
                    except NotBalanced as exc:
                        out.append({"statement_id": sid, "status": "closed", "balanced": False, "replayed": False,
                                    "reason": exc.message, "reason_codes": [
                                        REASONS.reason(exc.code, exc.message, **exc.params).to_json()]})
        finally:
            self.kick()  # once for the run
        return {"month": run.month, "statements": out,
                "reconciled": sum(1 for r in out if r.get("balanced") and not r["replayed"]),
                "unbalanced": sum(1 for r in out if r.get("balanced") is False)}

    async def _reconcile(self, tenant: str, sid: str, who: str, platform: PlatformSession, kick: bool = True
                         ) -> dict[str, Any]:
        store = self.store_of(tenant)
        doc = await self.statement(tenant, sid, lines=False)  # closed: its groups and totals say what it holds
        async with self.locks.hold(self.lock(tenant, doc["institution_code"], doc["month"])):
            doc = await self.statement(tenant, sid, lines=False)
            if doc["status"] in ("open", "closing"):
                raise Conflict(f"statement {sid} is {doc['status']}: close it before reconciling", "status")
            if doc["status"] != "closed":
                raise Conflict(f"statement {sid} is already {doc['status']} (reconciled and balanced)", "status")
            begin, end = cs.month_bounds(doc["month"])
            code = carrier_of(tenant)[0]
            results = []
            if doc["groups"]:
                client = await platform.client()
                for g in doc["groups"]:
                    r = await client.reconcile_totals(
                        clr_type=g["clr_type"], insutype=g["insutype"], begin_date=begin, end_date=end,
                        medical_fee_total=from_fen(g["claimed_fen"]), fund_paid_total=from_fen(g["payable_fen"]),
                        settlement_count=g["claims"])
                    results.append({**_group_view(g), "balanced": r.balanced, "result": r.result,
                                    "description": r.description, "settlement_agency": r.settlement_agency})
            balanced = all(r["balanced"] for r in results)
            now = datetime.now(UTC).isoformat()
            record = {"balanced": balanced, "groups": results, "fixmedins_code": code, "at": now, "by": who,
                      "begin": begin.isoformat(), "end": end.isoformat()}
            detail = "; ".join(f"{r['insutype']}/{r['clr_type']}: {r['description']}" for r in results) or \
                "no claims to reconcile"
            event = new_event("statement.reconciled", tenant, sid, events_pb2.StatementReconciled(
                statement_id=sid, institution_code=doc["institution_code"], month=doc["month"], balanced=balanced,
                detail=detail), source="settlement", trace_context=current_carrier())
            changes: dict[str, Any] = {"reconciliation": record}
            if balanced:
                changes["status"] = "reconciled"
            await self._drained(store, STATEMENTS, sid)
            if not await store.transition(sid, {"status": "closed"}, changes, [event]):
                raise Conflict(f"statement {sid} changed while reconciling; try again")
        if kick:
            self.kick()
        if not balanced:
            off = [f"{r['insutype']}/{r['clr_type']} ({r['description']})" for r in results if not r["balanced"]]
            raise NotBalanced(f"statement {sid} does not balance with the provincial platform (3201) in "
                              f"{len(off)} of {len(results)} group(s): {'; '.join(off)}", "groups",
                              params={"groups": ",".join(f"{r['insutype']}/{r['clr_type']}" for r in results
                                                         if not r["balanced"])})
        return statement_view({**doc, **changes}, program_of_tenant(tenant))

    # ---- pay ---------------------------------------------------------------------------------------------------

    async def pay(self, tenant: str, sid: str, who: str) -> dict[str, Any]:
        """Pay a reconciled statement to its institution, once: booked in the dedicated account first."""
        store = self.store_of(tenant)
        doc = await self.statement(tenant, sid, lines=False)
        async with self.locks.hold(self.lock(tenant, doc["institution_code"], doc["month"])):
            doc = await self.statement(tenant, sid, lines=False)
            payment_id = f"PAY-{sid}"
            if doc["status"] == "paid" or await store.payment(payment_id):
                if doc["status"] == "reconciled":  # the payment was stored, the statement not yet marked
                    await self._mark_paid(store, sid, payment_id)
                raise Conflict(f"statement {sid} is already paid (payment {payment_id}); nothing was written",
                               "statement_id")
            if doc["status"] != "reconciled":
                raise Conflict(f"statement {sid} is {doc['status']}: it must be closed and reconciled (balanced) "
                               "with the provincial platform before payment", "status")
            amount_fen = int(doc["totals"]["payable_fen"])
            entry = await self._book(store, tenant, doc["month"], payment_id, amount_fen, doc["institution_code"],
                                     f"大病保险 支付 {doc['institution_code']} {doc['month']} 结算款 ({sid})", who)
            now = datetime.now(UTC).isoformat()
            payment = {"_id": payment_id, "payment_id": payment_id, "payee": "institution", "statement_id": sid,
                       "institution_code": doc["institution_code"], "month": doc["month"], "amount": yuan(amount_fen),
                       "amount_fen": amount_fen, "entry_id": entry, "issued_at": now, "issued_by": who,
                       "status": "issued"}
            event = new_event("payment.issued", tenant, sid, events_pb2.PaymentIssued(
                payment_id=payment_id, statement_id=sid, institution_code=doc["institution_code"],
                month=doc["month"], amount=yuan(amount_fen), issued_at=now), source="settlement",
                trace_context=current_carrier(), event_id=derived_event_id(sid, "payment.issued", payment_id))
            if not await store.insert_payment(payment, [event]):
                raise Conflict(f"statement {sid} is already paid (payment {payment_id})", "statement_id")
            await self._mark_paid(store, sid, payment_id)
        self.kick()
        return payment_view(payment)

    async def finish_payment(self, tenant: str, sid: str) -> str | None:
        """Finish the payment of a reconciled statement that a crash cut short, as a retry would: the instruction
        stored but the statement not marked (→ marked paid), or the entry booked but no instruction issued (→
        issued in the name of whoever booked it; the entry is found, not booked again). Returns what was done (a
        stable code), None when the payment was not begun."""
        store = self.store_of(tenant)
        doc = await store.statement_place(sid)
        if doc is None:
            return None
        async with self.locks.hold(self.lock(tenant, doc["institution_code"], doc["month"])):
            doc = await self.statement(tenant, sid, lines=False)
            if doc["status"] != "reconciled":
                return None
            payment_id = f"PAY-{sid}"
            if await store.payment(payment_id):
                await self._mark_paid(store, sid, payment_id)
                return runs.PAYMENT_MARKED_PAID
            entry = await self.ledger.entry(tenant, f"payment:{payment_id}")
        if entry is None:
            return None
        await self.pay(tenant, sid, entry.get("posted_by") or runs.RECOVERY_ACTOR)
        return runs.PAYMENT_ISSUED

    async def left_half_done(self, tenant: str) -> tuple[list[dict[str, Any]], list[str]]:
        """What a crash may have cut short (for recovery): statements closing or reconciled (status, who began
        closing), and the ids of payables to persons still unpaid."""
        store = self.store_of(tenant)
        statements = await store.statements_in(["closing", "reconciled"], {"status": 1, "closing_by": 1})
        return statements, await store.unpaid_payable_ids()

    async def payments_stored(self, tenant: str, payment_ids: Sequence[str]) -> set[str]:
        """Which of these payments (`PAY-<id>`) were stored."""
        return await self.store_of(tenant).payment_ids(payment_ids)

    async def finish_payable(self, tenant: str, payable_id: str) -> str | None:
        """The same for a payable to a person (零星报销): marked paid when its payment is stored; issued when only
        its entry was booked, to the bank account given with the claim — when the account was given only with the
        payment cut short, `pay_person` refuses (422 naming bank_account) and finance pays it again giving it."""
        store = self.store_of(tenant)
        async with self.locks.hold(f"cip:{tenant}:{payable_id}"):
            doc = await store.person_payable(payable_id)
            if doc is None or doc["status"] == "paid":
                return None
            payment_id = f"PAY-{payable_id}"
            paid = await store.payment(payment_id)
            if paid is not None:
                await self._mark_payable_paid(store, doc, payment_id, paid.get("issued_by") or runs.RECOVERY_ACTOR)
                return runs.PAYMENT_MARKED_PAID
            entry = await self.ledger.entry(tenant, f"payment:{payment_id}")
            if entry is None:
                return None
        await self.pay_person(tenant, payable_id, None, entry.get("posted_by") or runs.RECOVERY_ACTOR)
        return runs.PAYMENT_ISSUED

    async def _mark_paid(self, store: CriticalStore, sid: str, payment_id: str) -> None:
        await self._drained(store, STATEMENTS, sid)
        await store.transition(sid, {"status": "reconciled"}, {"status": "paid", "payment_id": payment_id,
                                                               "paid_at": datetime.now(UTC).isoformat()})

    async def pay_person(self, tenant: str, payable_id: str, bank_account: dict[str, str] | None,
                         who: str) -> dict[str, Any]:
        """Pay a manual reimbursement to the person's bank account (the one given now, else the one given with
        the claim), once: booked in the dedicated account first; the account used is recorded with the payable."""
        store = self.store_of(tenant)
        async with self.locks.hold(f"cip:{tenant}:{payable_id}"):
            doc = await self.payable(tenant, payable_id)
            payment_id = f"PAY-{payable_id}"
            if doc["status"] == "paid" or await store.payment(payment_id):
                if doc["status"] != "paid":
                    await self._mark_payable_paid(store, doc, payment_id, who)
                raise Conflict(f"payable {payable_id} is already paid (payment {payment_id}); nothing was written",
                               "payable_id")
            account = bank_account or doc.get("bank_account")
            if not account:
                raise InvalidInput(f"payable {payable_id} has no bank account: give bank_account {{bank_name, "
                                   "account_name, account_no}} to pay the person", "bank_account")
            amount_fen = int(doc["amount_fen"])
            entry = await self._book(store, tenant, doc["month"], payment_id, amount_fen, "",
                                     f"大病保险 零星报销 {payable_id} {doc['month']}", who)
            now = datetime.now(UTC).isoformat()
            payment = {"_id": payment_id, "payment_id": payment_id, "payee": "person", "payable_id": payable_id,
                       "statement_id": payable_id, "institution_code": "", "person_id": doc["person_id"],
                       "month": doc["month"], "amount": yuan(amount_fen), "amount_fen": amount_fen,
                       "bank_account": account, "entry_id": entry, "issued_at": now, "issued_by": who,
                       "status": "issued"}
            event = new_event("payment.issued", tenant, payable_id, events_pb2.PaymentIssued(
                payment_id=payment_id, statement_id=payable_id, institution_code="", month=doc["month"],
                amount=yuan(amount_fen), issued_at=now), source="settlement", trace_context=current_carrier(),
                event_id=derived_event_id(payable_id, "payment.issued", payment_id))
            if not await store.insert_payment(payment, [event]):
                raise Conflict(f"payable {payable_id} is already paid (payment {payment_id})", "payable_id")
            await self._mark_payable_paid(store, {**doc, "bank_account": account}, payment_id, who)
        self.kick()
        return payment_view(payment)

    @staticmethod
    async def _mark_payable_paid(store: CriticalStore, doc: dict[str, Any], payment_id: str, who: str) -> None:
        paid = await store.payment(payment_id)
        await store.update_person_payable(doc["_id"], {"status": "unpaid"}, {
            "status": "paid", "payment_id": payment_id, "paid_at": datetime.now(UTC).isoformat(), "paid_by": who,
            "bank_account": (paid or {}).get("bank_account") or doc.get("bank_account")})

    async def _book(self, store: CriticalStore, tenant: str, month: str, payment_id: str, amount_fen: int,
                    institution: str, memo: str, who: str) -> str | None:
        """`benefits_paid` in the fund year of `month`; InsufficientFunds (409) before anything is written. A retry
        after a crash finds the entry and reuses its value date, so it is booked once."""
        entry_id = f"payment:{payment_id}"
        existing = await self.ledger.entry(tenant, entry_id)
        day = date.fromisoformat(existing["date"]) if existing else None
        posted = await fund.post_payment(self.ledger, tenant, month, payment_id, amount_fen, institution, who,
                                         day=day, memo=memo)
        return entry_id if posted is not None else None

    # ---- payment run (批量支付) ------------------------------------------------------------------------------------

    async def pay_run(self, tenant: str, run: runs.RunRequest, who: str) -> dict[str, Any]:
        """Pay at once every reconciled statement and every unpaid payable to a person (with a bank account) of a
        month — or those named — booked as one batch in the dedicated account: all or nothing, refused with
        `InsufficientFunds` naming the run's shortfall before anything is written. A retry pays only what is not
        yet paid. Named items must be payable (404 unknown, 409 not reconciled, 422 no bank account); in a month's
        run the others are left with a reason (`not_reconciled`, `no_bank_account`).

        Order of writes, as for one payment (each step safe to repeat): the ledger entries (one batch), the payment
        documents with `payment.issued` (one insert), then each statement's and payable's status. The relay is
        waited for once, for all the run's statements, before the first write."""
        store = self.store_of(tenant)
        statements, payables = await self._run_items(store, run)
        keys = [self.lock(tenant, d["institution_code"], d["month"]) for d in statements]
        keys += [f"cip:{tenant}:{d['_id']}" for d in payables]
        result = runs.RunResult(run)
        async with self.locks.hold(*keys):
            # Read again under the locks: what was paid meanwhile is not paid twice.
            statements = await self._by_ids(store, STATEMENTS, [d["_id"] for d in statements], {"lines": 0})
            statements = [d for d in statements if d["status"] != "open" or d.get("line_count", 0) > 0 or
                          run.month is None]
            payables = await self._by_ids(store, PERSON_PAYABLES, [d["_id"] for d in payables], None)
            paid_ids = {d["_id"]: d for d in await self._by_ids(
                store, PAYMENTS, [f"PAY-{d['_id']}" for d in [*statements, *payables]], None)}
            due_statements, finish_statements = runs.sort_statements(statements, paid_ids, run, result)
            due_payables: list[dict[str, Any]] = []
            finish_payables: list[dict[str, Any]] = []
            for d in payables:
                if d["status"] == "paid":
                    result.already_paid.append(d["_id"])
                elif f"PAY-{d['_id']}" in paid_ids:
                    finish_payables.append(d)
                    result.already_paid.append(d["_id"])
                elif not d.get("bank_account"):
                    if run.month is None:
                        raise InvalidInput(f"payable {d['_id']} has no bank account: pay it alone giving bank_account "
                                           "{bank_name, account_name, account_no}; nothing was written",
                                           f"payable_ids[{run.payable_ids.index(d['_id'])}]")
                    result.skipped.append({"id": d["_id"], "status": d["status"], "reason": runs.NO_BANK_ACCOUNT})
                else:
                    due_payables.append(d)
            await runs.drained(lambda ids: store.pending(STATEMENTS, ids),
                               [d["_id"] for d in [*due_statements, *finish_statements]], self.kick)

            # 1. The ledger: one batch per fund year, all or nothing.
            dues = [(d, "institution", int(d["totals"]["payable_fen"]),
                     f"大病保险 支付 {d['institution_code']} {d['month']} 结算款 ({d['_id']})") for d in due_statements]
            dues += [(d, "person", int(d["amount_fen"]), f"大病保险 零星报销 {d['_id']} {d['month']}")
                     for d in due_payables]
            ledger_dues = [fund.PaymentDue(f"PAY-{d['_id']}", d["month"], amount, memo) for d, _, amount, memo in dues]
            booked = {i: date.fromisoformat(e["date"]) for i, e in (await self.ledger.entry_heads(
                tenant, [x.entry_id for x in ledger_dues])).items()}
            result.entries = await fund.post_payments(self.ledger, tenant, [  # a crashed run's entries: same date
                replace(x, booked_on=booked.get(x.entry_id)) for x in ledger_dues], who, run.label)
            program = program_of_tenant(tenant)
            with_books = program is not None and bool(fund.finance_of(program))

            # 2. The payments, each with payment.issued (the single endpoints' ids: paid once whichever way).
            now = datetime.now(UTC).isoformat()
            docs = []
            for d, payee, amount, _ in dues:
                sid, pid = d["_id"], f"PAY-{d['_id']}"
                payment = {"_id": pid, "payment_id": pid, "payee": payee, "statement_id": sid,
                           "institution_code": d.get("institution_code", "") if payee == "institution" else "",
                           "month": d["month"], "amount": yuan(amount), "amount_fen": amount,
                           "entry_id": f"payment:{pid}" if with_books and amount > 0 else None, "issued_at": now,
                           "issued_by": who, "status": "issued"}
                if payee == "person":
                    payment.update(payable_id=sid, person_id=d["person_id"], bank_account=d["bank_account"])
                event = new_event("payment.issued", tenant, sid, events_pb2.PaymentIssued(
                    payment_id=pid, statement_id=sid, institution_code=payment["institution_code"], month=d["month"],
                    amount=yuan(amount), issued_at=now), source="settlement", trace_context=current_carrier(),
                    event_id=derived_event_id(sid, "payment.issued", pid))
                docs.append(with_events(payment, [event]))
                result.paid.append(payment_view(payment))
                result.amount_fen += amount
            await store.insert_new_payments(docs)

            # 3. The statements marked paid in one update per 1,000: FerretDB 1.24 scans the whole collection on
            #    every update, so one per run rather than one per statement (each one's payment is
            #    `PAY-<statement id>`, see `payment_id_of`); then each payable.
            await store.mark_statements_paid([d["_id"] for d in [*due_statements, *finish_statements]], {
                "status": "paid", "paid_at": datetime.now(UTC).isoformat(), "paid_by": who})
            for d in due_payables:
                await store.update_person_payable(d["_id"], {"status": "unpaid"}, {
                    "status": "paid", "payment_id": f"PAY-{d['_id']}", "paid_at": now, "paid_by": who})
            for d in finish_payables:
                await self._mark_payable_paid(store, d, f"PAY-{d['_id']}", who)
        self.kick()
        return result.view(yuan)

    async def _run_items(self, store: CriticalStore, run: runs.RunRequest
                         ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The run's statements and payables (heads only: no lines); a named one that is not there is a 404."""
        if run.month is not None:
            statements = await store.statements_of_month(run.month, {"lines": 0, "_outbox": 0})
            payables = await store.payables_of_month(run.month)
            # an open statement with no claim is no statement to pay (as the year's close sees it)
            return [d for d in statements if d["status"] != "open" or d.get("line_count", 0) > 0], payables
        statements = await self._by_ids(store, STATEMENTS, run.statement_ids, {"lines": 0})
        payables = await self._by_ids(store, PERSON_PAYABLES, run.payable_ids, None)
        for key, wanted, found in (("statement_ids", run.statement_ids, statements),
                                   ("payable_ids", run.payable_ids, payables)):
            have = {d["_id"] for d in found}
            for i, x in enumerate(wanted):
                if x not in have:
                    raise NotFound(f"{key[:-4]} {x} not found", f"{key}[{i}]")
        return statements, payables

    @staticmethod
    async def _by_ids(store: CriticalStore, collection: str, ids: Sequence[str],
                      projection: dict[str, int] | None) -> list[dict[str, Any]]:
        """Documents by id, in the order asked (`CriticalStore.by_ids`)."""
        return await store.by_ids(collection, ids, projection)

    # ---- review recoveries (核查追回) ----------------------------------------------------------------------------

    async def book_recovery(self, tenant: str, review: dict[str, Any], who: str) -> str | None:
        """Book what a completed review recovered, once per review (entry `recovery:review:<review id>`)."""
        if int(review.get("recovered_fen") or 0) <= 0:
            return None
        self.store_of(tenant)  # 404 for a tenant outside the program
        posted = await fund.post_recovery(self.ledger, tenant, f"review:{review['_id']}", int(review["year"]),
                                          int(review["recovered_fen"]),
                                          f"大病保险核查追回 {review['_id']} ({review.get('outcome')})", who)
        self.kick()
        return None if posted is None else posted["_id"]

    # ---- helpers ---------------------------------------------------------------------------------------------

    async def _drained(self, store: CriticalStore, collection: str, doc_id: str, timeout_s: float = 10.0) -> None:
        """Before changing a document that carries events, let the relay publish its pending ones: on FerretDB the
        relay's `$pullAll` and our update would otherwise race (an update is not atomic there)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            if not await store.pending(collection, [doc_id]):
                return
            if loop.time() > deadline:
                raise Conflict(f"{doc_id}: earlier events are not yet published; try again shortly")
            self.kick()
            await asyncio.sleep(0.02)
