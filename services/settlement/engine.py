"""Adjudication against stored accounts: the month-end batch (月结) and the real-time visit (即时结算).

Both call the same pure `adjudicate` on the same stored year account and write the new account back with an
optimistic check of the person document's `version`; a concurrent change means reload, recompute, retry.

Crash safety without transactions (FerretDB 1.x):
- batch: claim documents are written first, then each person's account + the batch id as a marker in one
  conditional single-document update. Re-sending the same batch id resumes: persons carrying the marker are
  done, the others are recomputed and their claims rewritten.
- visit: the result is stored inside the person document in the same update as the account (`months.<statement>
  .visits`); the claim document is a projection written afterwards (and again on a retry or at close).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.programs import load_program, program_of_tenant
from services.settlement.domain.chronic import Claim, Line, YearAccount, adjudicate
from services.settlement.domain.policy import Policy
from services.settlement.locks import KeyedLocks
from services.settlement.policies import PolicyBook
from services.settlement.records import (
    LineIn,
    account_from_doc,
    account_to_doc,
    add_paid_by_disease,
    add_to_month,
    claim_doc,
    claim_key,
    empty_month,
    holdings_on,
    statement_id,
    yuan,
)
from services.settlement.store import CLAIMS, PERSONS, SettlementStore, new_person
from services.settlement.uploads import Upload, refuse, validate_lines

PERSON_CHUNK = 500          # persons per load/adjudicate/write step of a batch
WRITES_IN_FLIGHT = 2        # chunks being written while the next one is computed
MAX_ATTEMPTS = 20           # optimistic retries per person
LEASE = timedelta(minutes=15)


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


@dataclass
class PersonPlan:
    person_id: str
    claims: list[list[LineIn]]
    claim_docs: list[dict[str, Any]] = field(default_factory=list)
    update: tuple[dict[str, Any], dict[str, Any]] | None = None


def person_lock(tenant: str, person_id: str) -> str:
    return f"p:{tenant}:{person_id}"


def statement_lock(tenant: str, sid: str) -> str:
    return f"s:{tenant}:{sid}"


class Settler:
    def __init__(self, db_of: Any, policies: PolicyBook, kick: Callable[[], None] = lambda: None) -> None:
        self._db_of = db_of
        self.policies = policies
        self.locks = KeyedLocks()
        self.kick = kick  # wakes the outbox relay
        self._visits_in_flight: dict[str, int] = {}

    async def visits_drained(self, tenant: str, sid: str, timeout_s: float = 30.0) -> None:
        """Closing waits for the visits of the statement that passed their "is it open?" check."""
        key = statement_lock(tenant, sid)
        deadline = asyncio.get_running_loop().time() + timeout_s
        while self._visits_in_flight.get(key):
            if asyncio.get_running_loop().time() > deadline:
                raise Conflict(f"statement {sid} still has visits being settled; try again")
            await asyncio.sleep(0.01)

    async def outbox_drained(self, store: SettlementStore, collection: str, doc_id: str,
                             timeout_s: float = 10.0) -> None:
        """Before changing a document that carries events, let the relay publish and remove the pending ones:
        on FerretDB the relay's `$pullAll` and our update would otherwise race (see locks.py)."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            doc = await store.collection(collection).find_one({"_id": doc_id}, {"_outbox_pending": 1})
            if doc is None or not doc.get("_outbox_pending"):
                return
            if asyncio.get_running_loop().time() > deadline:
                raise Conflict(f"{doc_id}: earlier events are not yet published; try again shortly")
            self.kick()
            await asyncio.sleep(0.02)

    def store(self, tenant: str) -> SettlementStore:
        return SettlementStore(self._db_of(tenant))

    # ---- month-end batch -----------------------------------------------------------------------------------

    async def submit_batch(self, tenant: str, upload: Upload, sha256: str, who: str) -> tuple[dict[str, Any], bool]:
        """Validate every line, then adjudicate and store. Returns (batch summary, newly processed).

        One batch per institution at a time in this process (a second waits): claim ids are the institution's, so
        the duplicate check and the writes cannot interleave with another upload of the same claims."""
        async with self.locks.hold(f"i:{tenant}:{upload.institution}"):
            return await self._submit_batch(tenant, upload, sha256, who)

    async def _submit_batch(self, tenant: str, upload: Upload, sha256: str, who: str) -> tuple[dict[str, Any], bool]:
        store = self.store(tenant)
        program = program_code(tenant)
        sid = statement_id(upload.institution, upload.month)
        bid = upload.batch_id
        existing = await store.batch(bid)
        if existing is not None:
            if existing.get("sha256") != sha256 or existing.get("statement_id") != sid:
                raise Conflict(f"batch id {bid} was already used for another upload; use a new batch id", "batch_id")
            if existing["status"] == "done":
                return {**batch_view(existing), "replayed": True}, False
            if datetime.fromisoformat(existing["lease_at"]) > datetime.now(UTC) - LEASE:
                raise Conflict(f"batch {bid} is being processed; ask again when it is done", "batch_id")

        versions = await self.policies.versions(tenant, program, fresh=True)
        disease_sets = {p.version: set(p.diseases) for p in versions}

        def diseases_on(day: date) -> set[str] | None:
            policy = covering(versions, day)
            return None if policy is None else disease_sets[policy.version]

        lines = validate_lines(upload, diseases_on)
        await self._check_stored(store, upload, lines)
        if upload.errors:
            raise refuse(upload.errors, len(upload.raw) + sum(1 for e in upload.errors if e["field"] == "row"))

        await store.ensure_statement(new_statement(sid, upload.institution, upload.month))
        now = datetime.now(UTC).isoformat()
        lease = uuid.uuid4().hex
        if existing is None:
            doc = {"_id": bid, "batch_id": bid, "status": "processing", "lease": lease, "lease_at": now,
                   "sha256": sha256, "statement_id": sid, "institution_code": upload.institution,
                   "month": upload.month, "lines": len(lines), "uploaded_by": who, "uploaded_at": now}
            if not await store.start_batch(doc):
                raise Conflict(f"batch {bid} is being processed; ask again when it is done", "batch_id")
        elif not await store.take_over_batch(bid, existing["lease"], lease):
            raise Conflict(f"batch {bid} is being processed; ask again when it is done", "batch_id")
        async with self.locks.hold(f"s:{tenant}:{sid}"):
            registered = await store.register_batch(sid, bid)
        if not registered:
            if existing is None:
                await store.collection("batches").delete_one({"_id": bid, "lease": lease})
            raise Conflict(f"statement {sid} is closed: claims for {upload.month} can no longer be uploaded",
                           "month")
        try:
            summary = await self._apply(tenant, store, bid, sid, upload.institution, upload.month, lines, versions,
                                        resume=existing is not None)
        except BaseException:
            # Left registered and "processing": sending the batch again resumes it at once (the lease is dropped).
            await store.expire_lease(bid, lease)
            raise
        summary["finished_at"] = datetime.now(UTC).isoformat()
        await store.finish_batch(bid, summary)
        async with self.locks.hold(f"s:{tenant}:{sid}"):
            await store.unregister_batch(sid, bid)
        done = await store.batch(bid)
        assert done is not None
        return batch_view(done), True

    async def _check_stored(self, store: SettlementStore, upload: Upload, lines: Sequence[LineIn]) -> None:
        keys = {claim_key(upload.institution, ln.claim_id) for ln in lines}
        stored = {d["_id"]: d for d in await store.find_in(CLAIMS, keys, {"batch_id": 1, "source": 1})}
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
        projection = {"holdings": 1, "version": 1, f"accounts.{year}": 1, f"months.{sid}": 1}

        def count(applied: list[PersonPlan]) -> None:
            totals["persons"] += len(applied)
            for p in applied:
                for d in p.claim_docs:
                    totals["claimed_fen"] += d["claimed_fen"]
                    totals["payable_fen"] += d["payable_fen"]
                    totals["claims"] += 1
                    totals["lines"] += len(d["lines"])
                    totals["policy_versions"].add(d["policy_version"])

        async def write(plans: list[PersonPlan], replace: bool, held: list[str]) -> None:
            try:
                await write_held(plans, replace)
            finally:
                self.locks.release(held)

        async def write_held(plans: list[PersonPlan], replace: bool) -> None:
            for _ in range(MAX_ATTEMPTS):
                docs = [d for p in plans for d in p.claim_docs]
                if replace:
                    await store.replace_many(CLAIMS, docs)
                elif await store.insert_many_new(CLAIMS, docs):
                    raise Conflict("claims of this batch were stored meanwhile by another upload; "
                                   f"send batch {bid} again to finish it")
                ops = [p.update for p in plans if p.update is not None]
                if await store.update_many_each(PERSONS, ops) == len(ops):
                    count(plans)
                    return
                # Some persons changed meanwhile (a real-time visit, a new qualification): recompute those.
                fresh = await store.find_in(PERSONS, [p.person_id for p in plans], projection)
                redo = {d["_id"]: d for d in fresh
                        if bid not in ((d.get("months") or {}).get(sid) or {}).get("batches", [])}
                count([p for p in plans if p.person_id not in redo])
                plans = [self._plan(d, by_person[pid], versions, year, bid, sid, institution, month)
                         for pid, d in redo.items()]
                if not plans:
                    return
                replace = True
            raise Conflict(f"too many concurrent changes to the persons of batch {bid}; send it again")

        for start in range(0, len(persons), PERSON_CHUNK):
            chunk = persons[start:start + PERSON_CHUNK]
            held = await self.locks.acquire(person_lock(tenant, p) for p in chunk)
            try:
                plans = await self._plan_chunk(store, chunk, by_person, projection, versions, year, bid, sid,
                                               institution, month)
            except BaseException:
                self.locks.release(held)
                raise
            while len(in_flight) >= WRITES_IN_FLIGHT:
                finished, _ = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for t in finished:
                    in_flight.discard(t)
                    t.result()
            in_flight.add(asyncio.create_task(write(plans, resume, held)))
        results = await asyncio.gather(*in_flight, return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException):
                raise r
        if resume:  # persons done before the crash are not in this run's totals: sum the stored claims
            return await self.batch_totals(store, bid)
        return {**totals, "policy_versions": sorted(totals["policy_versions"])}

    async def _plan_chunk(self, store: SettlementStore, chunk: list[str], by_person: dict[str, list[LineIn]],
                          projection: dict[str, Any], versions: Sequence[Policy], year: int, bid: str, sid: str,
                          institution: str, month: str) -> list[PersonPlan]:
        docs = {d["_id"]: d for d in await store.find_in(PERSONS, chunk, projection)}
        missing = [p for p in chunk if p not in docs]
        if missing:
            skeletons = [new_person(p, [], version=0) for p in missing]
            taken = await store.insert_many_new(PERSONS, skeletons)
            for i, s in enumerate(skeletons):
                if i not in taken:
                    docs[s["_id"]] = s
            if taken:  # created meanwhile by a qualification or a visit
                docs.update({d["_id"]: d for d in await store.find_in(
                    PERSONS, [missing[i] for i in taken], projection)})
        plans = []
        for pid in chunk:
            doc = docs[pid]
            if bid in ((doc.get("months") or {}).get(sid) or {}).get("batches", []):
                continue  # applied before a crash; this is a resumed batch
            plans.append(self._plan(doc, by_person[pid], versions, year, bid, sid, institution, month))
        return plans

    async def batch_totals(self, store: SettlementStore, bid: str) -> dict[str, Any]:
        claimed = payable = claims = lines = 0
        persons: set[str] = set()
        versions: set[str] = set()
        cursor = store.collection(CLAIMS).find(
            {"batch_id": bid}, {"claimed_fen": 1, "payable_fen": 1, "person_id": 1, "policy_version": 1,
                                "lines.line": 1})
        async for d in cursor:
            claimed += d["claimed_fen"]
            payable += d["payable_fen"]
            claims += 1
            lines += len(d["lines"])
            persons.add(d["person_id"])
            versions.add(d["policy_version"])
        return {"claimed_fen": claimed, "payable_fen": payable, "claims": claims, "lines": lines,
                "persons": len(persons), "policy_versions": sorted(versions)}

    def _plan(self, doc: dict[str, Any], lines: Sequence[LineIn], versions: Sequence[Policy], year: int, bid: str,
              sid: str, institution: str, month: str) -> PersonPlan:
        pid = doc["_id"]
        claims = group_claims(lines)
        acct_doc = (doc.get("accounts") or {}).get(str(year)) or {}
        account = account_from_doc(year, acct_doc)
        results, account = adjudicate_person(versions, doc.get("holdings") or [], claims, account)
        claim_docs = [claim_doc(institution, month, c, r, v, "batch", bid)
                      for c, (r, v) in zip(claims, results, strict=True)]
        month_doc = add_to_month((doc.get("months") or {}).get(sid) or empty_month(), claim_docs)
        month_doc["batches"] = [*month_doc.get("batches", []), bid]
        paid = add_paid_by_disease(acct_doc.get("paid_by_disease_fen") or {}, claim_docs)
        version = doc.get("version", 0)
        update = ({"_id": pid, "version": version},
                  {"$set": {f"accounts.{year}": account_to_doc(account, paid), f"months.{sid}": month_doc,
                            "version": version + 1},
                   "$addToSet": {"stmt_ids": sid}})
        return PersonPlan(pid, claims, claim_docs, update)

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
        key = claim_key(institution, claim_id)
        stored = await store.claim(key)
        if stored is not None:
            return self._replayed(stored, person_id, on), False
        month = on.isoformat()[:7]
        sid = statement_id(institution, month)
        flight = statement_lock(tenant, sid)
        self._visits_in_flight[flight] = self._visits_in_flight.get(flight, 0) + 1
        try:
            statement = await store.statement(sid)
            if statement is None:
                await store.ensure_statement(new_statement(sid, institution, month))
            elif statement["status"] != "open":
                raise Conflict(f"statement {sid} is {statement['status']}: visits of {month} can no longer be "
                               "settled")
            async with self.locks.hold(person_lock(tenant, person_id)):
                result, fresh = await self._settle_locked(store, institution, claim_id, person_id, on, lines,
                                                          policy, sid, month, key)
        finally:
            self._visits_in_flight[flight] -= 1
            if not self._visits_in_flight[flight]:
                del self._visits_in_flight[flight]
        await store.replace_many(CLAIMS, [result])
        return result, fresh

    async def _settle_locked(self, store: SettlementStore, institution: str, claim_id: str, person_id: str,
                             on: date, lines: Sequence[LineIn], policy: Policy, sid: str, month: str,
                             key: str) -> tuple[dict[str, Any], bool]:
        year = on.year
        projection = {"holdings": 1, "version": 1, f"accounts.{year}": 1, f"months.{sid}": 1}
        result: dict[str, Any] | None = None
        fresh = False
        for _ in range(MAX_ATTEMPTS):
            doc = await store.person(person_id, projection)
            if doc is None:
                skeleton = new_person(person_id, [], version=0)
                doc = skeleton if not await store.insert_many_new(PERSONS, [skeleton]) else None
                if doc is None:
                    continue
            month_doc = (doc.get("months") or {}).get(sid) or empty_month()
            visit = next((v for v in month_doc.get("visits", []) if v["_id"] == key), None)
            if visit is not None:  # settled before, its claim document not yet written
                result = visit
                break
            acct_doc = (doc.get("accounts") or {}).get(str(year)) or {}
            claims = [list(lines)]
            results, account = adjudicate_person([policy], doc.get("holdings") or [], claims,
                                                 account_from_doc(year, acct_doc))
            (claim_result, version_used), = results
            cdoc = claim_doc(institution, month, lines, claim_result, version_used, "visit", "")
            new_month = add_to_month(month_doc, [cdoc])
            new_month["visits"] = [*month_doc.get("visits", []), cdoc]
            paid = add_paid_by_disease(acct_doc.get("paid_by_disease_fen") or {}, [cdoc])
            version = doc.get("version", 0)
            ok = await store.update_many_each(PERSONS, [(
                {"_id": person_id, "version": version},
                {"$set": {f"accounts.{year}": account_to_doc(account, paid), f"months.{sid}": new_month,
                          "version": version + 1},
                 "$addToSet": {"stmt_ids": sid}})])
            if ok:
                result, fresh = cdoc, True
                break
        if result is None:
            raise Conflict(f"person {person_id} is changing too fast; settle claim {claim_id} again")
        return result, fresh

    @staticmethod
    def _replayed(stored: dict[str, Any], person_id: str, on: date) -> dict[str, Any]:
        if stored.get("source") != "visit":
            raise Conflict(f"claim {stored['claim_id']} was already uploaded in batch {stored.get('batch_id')}",
                           "claim_id")
        if stored["person_id"] != person_id or stored["date"] != on.isoformat():
            raise Conflict(f"claim {stored['claim_id']} was already settled for another person or date", "claim_id")
        return stored


def batch_view(doc: dict[str, Any]) -> dict[str, Any]:
    view = {k: doc.get(k) for k in ("batch_id", "statement_id", "institution_code", "month", "status", "lines",
                                    "claims", "persons", "policy_versions", "uploaded_at", "uploaded_by",
                                    "finished_at")}
    if "claimed_fen" in doc:
        view["claimed"] = yuan(doc["claimed_fen"])
        view["payable"] = yuan(doc["payable_fen"])
    return view
