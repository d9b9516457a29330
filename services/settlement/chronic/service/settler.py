"""Adjudication against the stored accounts: the month-end batch (月结) and the real-time visit (即时结算).

Both call the same pure `adjudicate` on the same year account (the person's latest state, book.py) and save the
next version of the person; a version taken meanwhile by another writer means reload, recompute, retry.

Crash safety without transactions (FerretDB 1.x), claims first, then the person:
- batch: the claims of a chunk of persons are inserted, then each person's next version, which names the batch
  (`months.<statement>.batches`). Re-sending the same batch id resumes: persons naming it are done, the others
  are recomputed and their claims rewritten. A batch left unfinished keeps its statement from closing.
- visit: the claim is inserted, then the person's next version naming the visit (`months.<statement>.visits`).
  A retry finds either the visit applied (the stored answer) or its claim alone (recomputed and applied).
Claims that no person version names (a crash between the two writes) are left out of the statement's totals.

Within one process, per-key locks (locks.py) serialize the work on a person, a statement and an institution's
uploads, so nothing is computed twice; between processes, the insert of a person's next version decides.

A batch being processed is leased by the process instance working it (`holder`, instances.py): the lease dies with
the process, so after a crash or a restart the batch can be sent again at once and resumes; while its holder is
alive, a second sending answers 409 saying who holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.locks import KeyedLocks
from chassis.programs import load_program, program_of_tenant
from services.settlement.chronic.domain.benefits import Claim, Line, YearAccount, adjudicate
from services.settlement.chronic.domain.records import (
    LineIn,
    account_from_doc,
    account_to_doc,
    add_paid_by_disease,
    claim_doc,
    claim_key,
    holdings_on,
    statement_id,
    yuan,
)
from services.settlement.chronic.domain.uploads import Upload, refuse, validate_lines
from services.settlement.chronic.service import review
from services.settlement.chronic.store import SettlementStore
from services.settlement.chronic.store.person_book import PersonBook, PersonState
from services.settlement.chronic.store.writer import GroupWriters
from services.settlement.instances.service import Instances, LeaseState, held_message
from services.settlement.policies.domain.policy import Policy
from services.settlement.policies.service import PolicyBook
from services.settlement.review import service as holds

PERSON_CHUNK = 250          # persons per adjudicate/write step of a batch (the next is computed while one is written)
WRITES_IN_FLIGHT = 2        # chunks being written while the next one is computed
MAX_ATTEMPTS = 20           # retries when another writer took a person's version
OPEN_MEMORY_S = 2.0         # how long a real-time visit trusts having seen its statement open (other processes)
INTERRUPTED = "interrupted"  # a batch's shown status when its lease died with the instance that held it


@cache
def program_code(tenant: str) -> str:
    program = program_of_tenant(tenant)
    if program is None:
        raise NotFound(f"tenant {tenant} is not a carrier of any program")
    return program.code


def program_for(tenant: str, requested: str = "") -> str:
    if not requested:
        return program_code(tenant)
    try:
        program = load_program(requested)
    except NotFound as exc:
        raise InvalidInput(f"program {requested!r} is not defined", "program") from exc
    if all(t.tenant != tenant for t in program.tenants):
        raise NotFound(f"program {requested} is not served here")
    return program.code


def covering(versions: Sequence[Policy], on: date) -> Policy | None:
    for policy in versions:
        if policy.covers(on):
            return policy
    return None


def new_statement(sid: str, institution: str, month: str) -> dict[str, Any]:
    return {"_id": sid, "statement_id": sid, "institution_code": institution, "month": month, "status": "open",
            "active_batches": [], "created_at": datetime.now(UTC).isoformat()}


def group_claims(lines: Sequence[LineIn]) -> list[list[LineIn]]:
    claims: dict[str, list[LineIn]] = {}
    for ln in lines:
        claims.setdefault(ln.claim_id, []).append(ln)
    return list(claims.values())


def adjudicate_person(versions: Sequence[Policy], holdings: Sequence[dict[str, Any]], claims: Sequence[list[LineIn]],
                      account: YearAccount) -> tuple[list[tuple[Any, str]], YearAccount]:
    """The domain's `adjudicate` over a person's claims in date order, in runs sharing one policy version and one
    set of qualifications in force (a revocation or a new version mid-period starts a new run); the account is
    threaded through the runs. Returns (result, policy version) per claim in input order, and the new account."""
    order = sorted(range(len(claims)), key=lambda i: claims[i][0].date)
    results: list[tuple[Any, str] | None] = [None] * len(claims)
    run: list[int] = []
    run_key: tuple[Any, ...] | None = None
    run_policy: Policy | None = None
    run_holdings: tuple[Any, ...] = ()

    def flush(account: YearAccount) -> YearAccount:
        if not run:
            return account
        assert run_policy is not None
        domain_claims = [Claim(claims[i][0].claim_id, claims[i][0].date,
                               tuple(Line(ln.disease, ln.amount, ln.covered, ln.item_code) for ln in claims[i]))
                         for i in run]
        out, account = adjudicate(run_policy, run_holdings, domain_claims, account)
        for i, r in zip(run, out, strict=True):
            results[i] = (r, run_policy.version)
        return account

    for i in order:
        on = claims[i][0].date
        policy = covering(versions, on)
        if policy is None:
            raise InvalidInput(f"no policy version is in force on {on.isoformat()}", "date")
        held = holdings_on(holdings, on, policy)
        key = (policy.version, held)
        if key != run_key:
            account = flush(account)
            run, run_key, run_policy, run_holdings = [], key, policy, held
        run.append(i)
    account = flush(account)
    return [r for r in results if r is not None], account


def active_batches_message(sid: str, running: Sequence[str], interrupted: Sequence[str]) -> str:
    """Why a statement cannot begin closing: its batches still being processed, and those interrupted."""
    parts = []
    if running:
        parts.append(f"batches still being processed: {list(running)} (they finish on their own)")
    if interrupted:
        parts.append(f"batches interrupted before they finished: {list(interrupted)} (send each again, as it was "
                     "sent, to finish it)")
    return f"statement {sid} cannot close yet: " + "; ".join(parts)


def person_lock(tenant: str, person_id: str) -> str:
    return f"p:{tenant}:{person_id}"


def statement_lock(tenant: str, sid: str) -> str:
    return f"s:{tenant}:{sid}"


@dataclass
class PersonPlan:
    person_id: str
    claim_docs: list[dict[str, Any]] = field(default_factory=list)
    state: PersonState | None = None


def settle_state(state: PersonState, claim_docs: Sequence[dict[str, Any]], account: YearAccount, sid: str,
                 batch_id: str = "", visit: str = "") -> PersonState:
    """The person's next version: the new year account, and the batch or visit it applied."""
    year = str(account.year)
    before = state.accounts.get(year) or {}
    paid = add_paid_by_disease(before.get("paid_by_disease_fen") or {}, claim_docs)
    part = state.month(sid)
    part = {"batches": [*part.get("batches", []), *([batch_id] if batch_id else [])],
            "visits": [*part.get("visits", []), *([visit] if visit else [])]}
    return state.next(accounts={**state.accounts, year: account_to_doc(account, paid)},
                      months={**state.months, sid: part})


class Settler:
    def __init__(self, db_of: Any, policies: PolicyBook, kick: Callable[[], None] = lambda: None,
                 instances: Instances | None = None) -> None:
        self._db_of = db_of
        self.policies = policies
        policies.paid_after = self.paid_after  # a version's end may not move before the claims paid under it
        # Who holds a batch's lease (this process instance, or another one alive): instances.py.
        self.instances = instances or Instances(db_of, ())
        self.writers = GroupWriters(db_of)
        self.book = PersonBook(db_of, self.writers)
        self.locks = KeyedLocks()
        self.kick = kick  # wakes the outbox relay
        self._visits_in_flight: dict[str, int] = {}
        self._open_seen: dict[tuple[str, str], float] = {}
        self._not_open: set[tuple[str, str]] = set()

    def store(self, tenant: str) -> SettlementStore:
        return SettlementStore(self._db_of(tenant), self.writers(tenant))

    @property
    def db_of(self) -> Any:
        """The service's databases by tenant (what this settler was made with: the host's, for background work)."""
        return self._db_of

    async def paid_after(self, tenant: str, version: str, after: str) -> int:
        """Claims paid under policy `version` dated after `after` (the policies room asks before ending a version)."""
        return await self.store(tenant).claims_of_version_after(version, after)

    async def ensure_indexes(self, tenant: str) -> None:
        await SettlementStore(self._db_of(tenant)).ensure_indexes()
        await self.book.ensure_indexes(tenant)

    async def batch(self, tenant: str, batch_id: str) -> dict[str, Any] | None:
        return await self.store(tenant).batch(batch_id)

    async def claims(self, tenant: str, sid: str, query: dict[str, Any], offset: int, limit: int
                     ) -> list[dict[str, Any]]:
        """A statement's claims whose lines match `query` (plain field values), `offset`/`limit` counting claims."""
        return await self.store(tenant).claims(sid, query, offset, limit)

    async def open_statement(self, store: SettlementStore, tenant: str, sid: str, institution: str,
                             month: str) -> dict[str, Any] | None:
        """The statement if it is not open (None when open, creating it if new). An "open" answer is remembered
        for OPEN_MEMORY_S; this process forgets it when it starts closing the statement (`statement_changed`)."""
        key = (tenant, sid)
        if key in self._not_open:
            return {"_id": sid, "status": "closing"}
        seen = self._open_seen.get(key)
        if seen is not None and asyncio.get_running_loop().time() - seen < OPEN_MEMORY_S:
            return None
        statement = await store.statement(sid)
        if statement is None:
            await store.ensure_statement(new_statement(sid, institution, month))
            statement = await store.statement(sid)
        if statement is not None and statement["status"] != "open":
            return statement
        self._open_seen[key] = asyncio.get_running_loop().time()
        return None

    def statement_changed(self, tenant: str, sid: str) -> None:
        """This process starts closing the statement: from now on its visits are refused without asking."""
        self._not_open.add((tenant, sid))
        self._open_seen.pop((tenant, sid), None)

    def statement_unchanged(self, tenant: str, sid: str) -> None:
        self._not_open.discard((tenant, sid))

    async def visits_drained(self, tenant: str, sid: str, timeout_s: float = 30.0) -> None:
        """Closing waits for the visits of the statement that passed their "is it open?" check."""
        key = statement_lock(tenant, sid)
        deadline = asyncio.get_running_loop().time() + timeout_s
        while self._visits_in_flight.get(key):
            if asyncio.get_running_loop().time() > deadline:
                raise Conflict(f"statement {sid} still has visits being settled; try again")
            await asyncio.sleep(0.01)

    async def outbox_drained(self, store: SettlementStore, doc_id: str, timeout_s: float = 10.0) -> None:
        """Before changing a statement that carries events, let the relay publish and remove the pending ones: on
        FerretDB the relay's `$pullAll` and our update would otherwise race (an update is not atomic there)."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            if not await store.statement_events_pending(doc_id):
                return
            if asyncio.get_running_loop().time() > deadline:
                raise Conflict(f"{doc_id}: earlier events are not yet published; try again shortly")
            self.kick()
            await asyncio.sleep(0.02)

    # ---- holdings ------------------------------------------------------------------------------------------

    async def change_holdings(self, tenant: str, changes: dict[str, Callable[[list[dict[str, Any]]],
                                                                          list[dict[str, Any]] | None]],
                              cause: str) -> int:
        """Apply `changes[person](holdings) -> new holdings | None (no change)` to each person; returns how many
        persons changed. Idempotent when the change functions are (keyed by qualification id)."""
        changed = 0
        pids = sorted(changes)
        for start in range(0, len(pids), PERSON_CHUNK):
            chunk = pids[start:start + PERSON_CHUNK]
            async with self.locks.hold(*(person_lock(tenant, p) for p in chunk)):
                todo = chunk
                for _ in range(MAX_ATTEMPTS):
                    states = await self.book.get_many(tenant, todo)
                    new = []
                    for pid in todo:
                        holdings = changes[pid]([dict(h) for h in states[pid].holdings])
                        if holdings is not None:
                            new.append(states[pid].next(holdings=holdings))
                    lost = await self.book.save(tenant, new, cause)
                    changed += len(new) - len(lost)
                    if not lost:
                        break
                    todo = lost
                else:
                    raise Conflict("persons kept changing while their qualifications were updated; try again")
        return changed

    # ---- month-end batch -----------------------------------------------------------------------------------

    async def submit_batch(self, tenant: str, upload: Upload, sha256: str, who: str) -> tuple[dict[str, Any], bool]:
        """Validate every line, then adjudicate and store. Returns (batch summary, newly processed).

        One batch per institution at a time in this process (a second waits): claim ids are the institution's, so
        the duplicate check and the writes cannot interleave with another upload of the same claims."""
        async with self.locks.hold(f"i:{tenant}:{upload.institution}"):
            return await self._submit_batch(tenant, upload, sha256, who)

    async def _submit_batch(self, tenant: str, upload: Upload, sha256: str, who: str) -> tuple[dict[str, Any], bool]:
        store = self.store(tenant)
        upload, sha256 = await keyed_upload(store, upload, sha256)
        program = program_code(tenant)
        sid = statement_id(upload.institution, upload.month)
        bid = upload.batch_id
        existing = await store.batch(bid)
        if existing is not None:
            if existing.get("sha256") != sha256 or existing.get("statement_id") != sid:
                raise Conflict(f"batch id {bid} was already used for another upload; use a new batch id", "batch_id",
                               code="batch_id_reused")
            if existing["status"] == "done":
                return {**batch_view(existing), "replayed": True}, False
            held = await self.lease_of(tenant, existing)
            if held.live:
                raise Conflict(held_message(f"batch {bid}", held), "batch_id", code="batch_in_progress")

        versions = await self.policies.versions(tenant, program, fresh=True)
        disease_sets = {p.version: set(p.diseases) for p in versions}

        def diseases_on(day: date) -> set[str] | None:
            policy = covering(versions, day)
            return None if policy is None else disease_sets[policy.version]

        lines = validate_lines(upload, diseases_on)
        await self._check_stored(store, sid, upload, lines)
        if upload.errors:
            raise refuse(upload.errors, len(upload.raw) + sum(1 for e in upload.errors if e["field"] == "row"))

        await store.ensure_statement(new_statement(sid, upload.institution, upload.month))
        with self.instances.running(tenant, bid):
            return await self._run_batch(tenant, store, upload, sid, lines, versions, existing, sha256, who)

    async def _run_batch(self, tenant: str, store: SettlementStore, upload: Upload, sid: str, lines: Sequence[LineIn],
                         versions: Sequence[Policy], existing: dict[str, Any] | None, sha256: str,
                         who: str) -> tuple[dict[str, Any], bool]:
        """Take the batch's lease (new, or over a dead one), apply it, finish it; a failure releases the lease so
        the batch can be sent again at once, whichever instance receives it."""
        bid = upload.batch_id
        now = datetime.now(UTC).isoformat()
        lease, me = uuid.uuid4().hex, self.instances.instance
        taken_meanwhile = (f"batch {bid} was taken meanwhile by another settlement instance; ask again when it is "
                           "done")
        if existing is None:
            doc = {"_id": bid, "batch_id": bid, "status": "processing", "lease": lease, "holder": me, "lease_at": now,
                   "sha256": sha256, "statement_id": sid, "institution_code": upload.institution,
                   "month": upload.month, "lines": len(lines), "uploaded_by": who, "uploaded_at": now}
            if not await store.start_batch(doc):
                raise Conflict(taken_meanwhile, "batch_id")
        elif not await store.take_over_batch(bid, existing.get("lease", ""), lease, me, now):
            raise Conflict(taken_meanwhile, "batch_id")
        async with self.locks.hold(statement_lock(tenant, sid)):
            registered = await store.register_batch(sid, bid)
        if not registered:
            if existing is None:
                await store.drop_batch(bid, lease)
            raise Conflict(f"statement {sid} is closed: claims for {upload.month} can no longer be uploaded",
                           "month", code="statement_not_open")
        try:
            summary = await self._apply(tenant, store, bid, sid, upload.institution, upload.month, lines, versions,
                                        resume=existing is not None)
        except BaseException:
            # Left registered and "processing": sending the batch again resumes it at once. The lease is released
            # for other instances too; should the store be away now, this instance's own lease is dead anyway.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(store.release_batch(bid, lease), 5)
            raise
        # Smart review (智能审核) before anything of the batch is paid: its parts and their claim_lines.submitted,
        # staged before the batch is done (a resumed batch stages the same ones, once).
        summary["review"] = await review.stage(self._db_of(tenant), tenant, program_code(tenant), bid, sid,
                                               upload.institution, upload.month, lines)
        summary["finished_at"] = datetime.now(UTC).isoformat()
        await store.finish_batch(bid, summary)
        async with self.locks.hold(statement_lock(tenant, sid)):
            await store.unregister_batch(sid, bid)
        done = await store.batch(bid)
        assert done is not None
        return batch_view(done), True

    async def lease_of(self, tenant: str, batch: dict[str, Any]) -> LeaseState:
        """Whether the batch's lease is held by an instance working it now (instances.py)."""
        return await self.instances.state(tenant, batch.get("holder", ""), batch["_id"])

    async def batch_status(self, tenant: str, batch: dict[str, Any]) -> dict[str, Any]:
        """The batch as it stands: one still "processing" whose lease is dead was interrupted (send it again); a
        done one with its smart review (pending until audit answered every part, then reviewed, with its hits)."""
        view = batch_view(batch)
        if batch.get("status") == "processing":
            held = await self.lease_of(tenant, batch)
            if not held.live:
                view.update(status=INTERRUPTED, interrupted_reason=held.reason)
        view["review"] = await holds.batch_review(self._db_of(tenant), batch["_id"], batch.get("review"))
        return view

    async def active_batches(self, tenant: str, store: SettlementStore, sid: str,
                             batch_ids: Sequence[str]) -> tuple[list[str], list[str]]:
        """The batches registered on a statement, as (being processed, interrupted); those finished (a crash
        between a batch's end and its leaving the statement) leave it now. The caller holds the statement's lock."""
        running, interrupted, finished = [], [], []
        for bid in batch_ids:
            batch = await store.batch(bid)
            if batch is None or batch.get("status") == "done":
                finished.append(bid)
            elif (await self.lease_of(tenant, batch)).live:
                running.append(bid)
            else:
                interrupted.append(bid)
        for bid in finished:
            await store.unregister_batch(sid, bid)
        return running, interrupted

    async def _check_stored(self, store: SettlementStore, sid: str, upload: Upload, lines: Sequence[LineIn]) -> None:
        stored = await store.claim_keys(sid, {claim_key(upload.institution, ln.claim_id) for ln in lines})
        for ln in lines:
            hit = stored.get(claim_key(upload.institution, ln.claim_id))
            if hit is None or hit.get("batch_id") == upload.batch_id:
                continue
            where = "settled in real time" if hit.get("source") == "visit" else f"uploaded in batch {hit['batch_id']}"
            upload.errors.append({"line": ln.n, "field": "claim_id",
                                  "message": f"claim {ln.claim_id} line {ln.line} is a duplicate: the claim was "
                                             f"already {where}"})

    async def _apply(self, tenant: str, store: SettlementStore, bid: str, sid: str, institution: str, month: str,
                     lines: Sequence[LineIn], versions: Sequence[Policy], resume: bool) -> dict[str, Any]:
        year = int(month[:4])
        by_person: dict[str, list[LineIn]] = {}
        for ln in lines:
            by_person.setdefault(ln.person_id, []).append(ln)
        persons = list(by_person)
        totals: dict[str, Any] = {"claimed_fen": 0, "payable_fen": 0, "claims": 0, "lines": 0, "persons": 0,
                                  "policy_versions": set()}
        in_flight: set[asyncio.Task[None]] = set()

        def plan(state: PersonState) -> PersonPlan:
            claims = group_claims(by_person[state.person_id])
            account = account_from_doc(year, state.accounts.get(str(year)))
            results, account = adjudicate_person(versions, state.holdings, claims, account)
            docs = [claim_doc(institution, month, c, r, v, "batch", bid) for c, (r, v) in zip(claims, results,
                                                                                              strict=True)]
            return PersonPlan(state.person_id, docs, settle_state(state, docs, account, sid, batch_id=bid))

        def count(applied: list[PersonPlan]) -> None:
            totals["persons"] += len(applied)
            for p in applied:
                for d in p.claim_docs:
                    totals["claimed_fen"] += d["claimed_fen"]
                    totals["payable_fen"] += d["payable_fen"]
                    totals["claims"] += 1
                    totals["lines"] += d["line_count"]
                    totals["policy_versions"].add(d["policy_version"])

        async def write(plans: list[PersonPlan], replace: bool) -> None:
            for _ in range(MAX_ATTEMPTS):
                docs = [d for p in plans for d in p.claim_docs]
                if replace:
                    await store.replace_claims(sid, docs)
                elif await store.insert_claims(sid, docs):
                    raise Conflict("claims of this batch were stored meanwhile by another upload; "
                                   f"send batch {bid} again to finish it")
                lost = set(await self.book.save(tenant, [p.state for p in plans if p.state], f"batch {bid}"))
                count([p for p in plans if p.person_id not in lost])
                if not lost:
                    return
                # Another writer (another process) took these persons' versions: recompute from their new state.
                states = await self.book.get_many(tenant, lost)
                plans = [plan(st) for st in states.values() if not st.applied(sid, batch_id=bid)]
                if not plans:
                    return
                replace = True
            raise Conflict(f"too many concurrent changes to the persons of batch {bid}; send it again")

        async def write_and_release(plans: list[PersonPlan], held: list[str]) -> None:
            try:
                await write(plans, replace=False)
            finally:
                self.locks.release(held)

        if resume:
            # The interrupted run may have stored claims of persons it did not apply: those are written anew.
            states = await self.book.get_many(tenant, persons)
            stale = [p for p in persons if not states[p].applied(sid, batch_id=bid)]
            await store.delete_batch_claims(sid, bid, stale)
        try:
            for start in range(0, len(persons), PERSON_CHUNK):
                chunk = persons[start:start + PERSON_CHUNK]
                held = await self.locks.acquire(person_lock(tenant, p) for p in chunk)
                try:
                    states = await self.book.get_many(tenant, chunk)
                    # A resumed batch skips the persons it already applied before the interruption.
                    plans = [plan(states[p]) for p in chunk if not states[p].applied(sid, batch_id=bid)]
                except BaseException:
                    self.locks.release(held)
                    raise
                while len(in_flight) >= WRITES_IN_FLIGHT:
                    finished, _ = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                    for t in finished:
                        in_flight.discard(t)
                        t.result()
                in_flight.add(asyncio.create_task(write_and_release(plans, held)))
        finally:
            # Whatever happens, the writes under way finish (and release their locks) before we answer.
            results = await asyncio.gather(*in_flight, return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException):
                raise r
        if resume:  # persons done before the interruption are not in this run's totals: sum the stored claims
            return await self.batch_totals(store, sid, bid)
        return {**totals, "policy_versions": sorted(totals["policy_versions"])}

    async def batch_totals(self, store: SettlementStore, sid: str, bid: str) -> dict[str, Any]:
        claimed = payable = lines = 0
        claims: set[str] = set()
        persons: set[str] = set()
        versions: set[str] = set()
        async for d in store.claim_lines(sid, ("amount_fen", "payable_fen", "person_id", "policy_version",
                                                "claim_id"), batch_id=bid):
            claimed += d["amount_fen"]
            payable += d["payable_fen"]
            lines += 1
            claims.add(d["claim_id"])
            persons.add(d["person_id"])
            versions.add(d["policy_version"])
        return {"claimed_fen": claimed, "payable_fen": payable, "claims": len(claims), "lines": lines,
                "persons": len(persons), "policy_versions": sorted(versions)}

    # ---- real-time visit -----------------------------------------------------------------------------------

    async def settle_visit(self, tenant: str, institution: str, claim_id: str, person_id: str, on: date,
                           lines: Sequence[LineIn], program: str = "") -> tuple[dict[str, Any], bool]:
        """Adjudicate one visit now against the person's stored account. Idempotent by (institution, claim id).
        Returns (claim document, newly settled)."""
        store = self.store(tenant)
        program = program_for(tenant, program)
        if on > today_cn():
            raise InvalidInput(f"date {on.isoformat()} is in the future", "date")
        try:
            policy = await self.policies.in_force(tenant, program, on)
        except NotFound as exc:
            raise InvalidInput(exc.message, "date") from exc
        unknown = [i for i, ln in enumerate(lines) if ln.disease not in policy.diseases]
        if unknown:
            names = sorted({lines[i].disease for i in unknown})
            raise InvalidInput(f"diseases not in policy {policy.version}: {names}",
                               fields=[{"field": f"lines[{i}].disease",
                                        "message": f"disease {lines[i].disease!r} is not in policy {policy.version}"}
                                       for i in unknown])
        month = on.isoformat()[:7]
        sid = statement_id(institution, month)
        flight = statement_lock(tenant, sid)
        self._visits_in_flight[flight] = self._visits_in_flight.get(flight, 0) + 1
        try:
            statement = await self.open_statement(store, tenant, sid, institution, month)
            if statement is not None:
                # A retry of a visit settled before the close still gets its answer.
                state = self.book.known(tenant, person_id)
                key = claim_key(institution, claim_id)
                if state is not None and state.applied(sid, visit=key):
                    stored = await store.claim(sid, key)
                    if stored is not None:
                        return self._replayed(stored, person_id, on), False
                raise Conflict(f"statement {sid} is {statement['status']}: visits of {month} can no longer be "
                               "settled", code="statement_not_open")
            async with self.locks.hold(person_lock(tenant, person_id)):
                return await self._settle_locked(tenant, store, institution, claim_id, person_id, on, lines,
                                                 policy, sid, month)
        finally:
            self._visits_in_flight[flight] -= 1
            if not self._visits_in_flight[flight]:
                del self._visits_in_flight[flight]

    async def _settle_locked(self, tenant: str, store: SettlementStore, institution: str, claim_id: str,
                             person_id: str, on: date, lines: Sequence[LineIn], policy: Policy, sid: str,
                             month: str) -> tuple[dict[str, Any], bool]:
        key = claim_key(institution, claim_id)
        year = on.year
        for _ in range(MAX_ATTEMPTS):
            state = await self.book.get(tenant, person_id)
            if state.applied(sid, visit=key):  # settled before: the same answer
                stored = await store.claim(sid, key)
                if stored is None:
                    raise Conflict(f"claim {claim_id} is being written; ask again")
                return self._replayed(stored, person_id, on), False
            results, account = adjudicate_person([policy], state.holdings, [list(lines)],
                                                 account_from_doc(year, state.accounts.get(str(year))))
            (claim_result, version_used), = results
            cdoc = claim_doc(institution, month, lines, claim_result, version_used, "visit", "")
            if await store.insert_claims(sid, [cdoc]):
                stored = await store.claim(sid, key)
                if stored is not None:
                    self._replayed(stored, person_id, on)  # refuses a batch's claim or another person's
                # Our own claim from an interrupted attempt, never applied: replace it with this result.
                await store.replace_claims(sid, [cdoc])
            if not await self.book.save(tenant, [settle_state(state, [cdoc], account, sid, visit=key)],
                                        f"visit {key}"):
                return cdoc, True
        raise Conflict(f"person {person_id} is changing too fast; settle claim {claim_id} again")

    @staticmethod
    def _replayed(stored: dict[str, Any], person_id: str, on: date) -> dict[str, Any]:
        if stored.get("source") != "visit":
            raise Conflict(f"claim {stored['claim_id']} was already uploaded in batch {stored.get('batch_id')}",
                           "claim_id")
        if stored["person_id"] != person_id or stored["date"] != on.isoformat():
            raise Conflict(f"claim {stored['claim_id']} was already settled for another person or date", "claim_id")
        return stored


async def keyed_upload(store: SettlementStore, upload: Upload, digest: str) -> tuple[Upload, str]:
    """The upload's digest keyed (`SettlementStore.keyed_digest`: the file holds identity numbers) and, for an
    upload sent without a batch id, its batch named from it (`b<32 hex>`): the same file sent again is the same
    batch. A batch stored under an older blind-index key, or before digests were keyed, is still found under the
    id and digest it was stored with."""
    versions = [*store.keyed_digests(digest), digest]  # newest first; the plain one only looked up, never minted
    if upload.batch_id:
        existing = await store.batch(upload.batch_id)
        stored = existing.get("sha256") if existing is not None else None
        return upload, stored if stored in versions else versions[0]
    for d in versions:
        found = await store.batch(f"b{d[:32]}")
        if found is not None and found.get("sha256") == d:
            return dataclasses.replace(upload, batch_id=f"b{d[:32]}"), d
    return dataclasses.replace(upload, batch_id=f"b{versions[0][:32]}"), versions[0]


def batch_view(doc: dict[str, Any]) -> dict[str, Any]:
    view = {k: doc.get(k) for k in ("batch_id", "statement_id", "institution_code", "month", "status", "lines",
                                    "claims", "persons", "policy_versions", "uploaded_at", "uploaded_by",
                                    "finished_at")}
    if "claimed_fen" in doc:
        view["claimed"] = yuan(doc["claimed_fen"])
        view["payable"] = yuan(doc["payable_fen"])
    if doc.get("review"):  # as sent: GET /v1/claims/batches/{id} tells where the review stands
        view["review"] = {"state": doc["review"]["state"], "parts": doc["review"]["parts"]}
    return view
