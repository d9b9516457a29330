"""Critical illness insurance (大病保险) in settlement: persons' assistance status (救助对象), claims from the
platform, provincial imports and manual reimbursements (零星报销) settled on each person's year account, large-claim
reviews (大额医疗费用核查) selected under the program's quotas, and their outcomes.

Order of writes (no transactions on FerretDB 1.x), per person and year under the person's lock:
1. every claim is validated and checked against stored ones (a different claim under a stored id: 409) before
   anything is written; a claim is kept under its id within its institution (`<institution>~<claim id>`,
   domain/claims.py `claim_key`): two institutions may use the same id, and its review (`R-<key>`), documents,
   payable and events are named by that key;
2. the claims are adjudicated (domain/critical.py) and the paid ones admitted to their review stratum: the member
   document (decision, draw) is inserted first, then the stratum's counts raised with `$max` — a retry finds the
   member and reuses its decision;
3. the documents of a manual claim, then the claim documents with their results;
4. the account: new figures, the claim ids applied and one `critical_claim.settled` per claim, in ONE
   conditional single-document update (the claims count as settled from here);
5. the review documents of the selected claims (inserted by id, so a retry adds only what is missing).
A retry of the same upload after a crash at any point finds applied claims (answers their stored result and
finishes step 5) and recomputes the others. Re-sending an applied claim answers its stored result (200).

Choices: the benefit year is the calendar year, one account per person and year; the assistance status is the
one in force on the claim's date (a change mid-year applies to later claims, by recomputing the cumulative
benefit under the new tier less what was paid; settled claims are not reopened); a review's recovery is recorded,
published (`critical_review.completed`) and booked in the dedicated account (`recoveries`, once per review), it
does not change the person's account.

After step 4 a claim the fund pays is put where it is paid (critical_statements.py): on its institution's monthly
statement, or — a manual reimbursement — on a payable to the person; a retry of the upload finishes that too.
Each claim carries its insurance type (`insutype`, 310/390; 390 when not given) and its clearing type (`clr_type`)
for the provincial reconciliation (domain/critical_statements.py)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.events import derived_event_id, new_event
from chassis.locks import KeyedLocks
from chassis.money import fmt, from_fen, parse_yuan, to_fen
from chassis.programs import PROGRAMS_DIR, program_of_tenant
from chassis.reasons import Reason
from chassis.telemetry import current_carrier
from contracts.v1 import events_pb2
from services.settlement.critical.domain.claims import (
    CriticalAccount,
    CriticalClaim,
    CriticalPolicy,
    CriticalResult,
    adjudicate,
    claim_key,
    in_force,
    manual_claim_id,
    parse_critical_policy,
)
from services.settlement.critical.domain.reasons import REASONS
from services.settlement.critical.domain.review import ItemLine
from services.settlement.critical.domain.review_quota import (
    Stratum,
    StratumState,
    admit,
    attainment,
    draw,
    member_key,
    parse_strata,
    stratum_of,
)
from services.settlement.critical.domain.statements import clr_type_of, insutype_or_default
from services.settlement.critical.service.review import stage_review
from services.settlement.critical.service.statements import CriticalStatements
from services.settlement.critical.store import CRITICAL_OUTBOX_COLLECTIONS, CriticalStore

__all__ = ["CRITICAL_OUTBOX_COLLECTIONS", "ClaimIn", "CriticalService"]  # (the collections: for the outbox relay)
from services.settlement.fund.service.account import Fund
from services.settlement.fund.service.payment_runs import RECOVERY_ACTOR

PROGRAM = "qz-critical"
OUTCOMES = ("confirmed", "adjusted", "rejected")


@cache
def policy_versions(program: str = PROGRAM, root: Path = PROGRAMS_DIR) -> tuple[CriticalPolicy, ...]:
    """Every `programs/<program>/policy-*.yaml` of kind critical, oldest first (read once per process)."""
    versions = []
    for path in sorted((root / program).glob("policy-*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("kind") == "critical":
            versions.append(parse_critical_policy(data))
    versions.sort(key=lambda p: p.effective_from or date.min)
    return tuple(versions)


@cache
def program_strata(program: str = PROGRAM) -> tuple[Stratum, ...]:
    from chassis.programs import load_program

    return parse_strata(load_program(program).setting("critical", "review_quotas"))


def serves(tenant: str) -> None:
    """Critical illness work exists only for the carriers of the critical illness program; elsewhere it is 404."""
    program = program_of_tenant(tenant)
    if program is None or program.code != PROGRAM:
        raise NotFound("critical illness insurance is not run by this tenant")


@dataclass(frozen=True)
class ClaimIn:
    """A settled stay or visit as uploaded, imported or entered by hand, already validated."""

    claim_id: str
    person_id: str
    date: date
    care: str
    area: str
    networked: bool
    total_cost: Decimal
    self_pay: Decimal
    source: str                       # platform | provincial | manual
    institution_code: str = ""
    disease: str = ""
    documents: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    insutype: str = ""                # 310 | 390 as given; "" = not given (the default applies)
    bank_account: dict[str, str] | None = None   # a manual reimbursement's payee account (not part of the claim)
    lines: tuple[ItemLine, ...] = ()  # item lines (费用明细), optional: a claim with lines is smart-reviewed

    @property
    def key(self) -> str:
        """Where the claim is kept: its id within its institution's namespace (two institutions may use the same
        claim id; domain/claims.py `claim_key`)."""
        return claim_key(self.institution_code, self.claim_id)

    def digest(self) -> str:
        """What makes a claim the same claim: its inputs (not who sent it or when, nor where it is paid to). An
        insurance type not given leaves the digest as it was before claims carried one."""
        data = {k: v for k, v in asdict(self).items() if k not in ("documents", "bank_account", "lines")}
        if not self.insutype:
            data.pop("insutype")
        if self.lines:  # a claim without lines keeps the digest it had before claims carried them
            data["lines"] = [ln.doc() for ln in self.lines]
        data["documents"] = sorted(d["sha256"] for d in self.documents)
        return hashlib.sha256(json.dumps(data, default=str, sort_keys=True).encode()).hexdigest()


def claim_settled_event_id(person_pseudonym: str, year: int, claim_key: str) -> str:
    """A `critical_claim.settled` event's id, the same on every retry: derived from the person's keyed pseudonym
    (`CriticalStore.pseudonym`) and the year, never from the identity number (a uuid5 of the number, the year and
    the claim key could be reversed by trying every number)."""
    return derived_event_id(f"{person_pseudonym}|{year}", "critical_claim.settled", claim_key)


def status_on(person: dict[str, Any] | None, on: date) -> bool:
    """Whether the person is an assistance recipient (救助对象) on `on`: the latest period starting by then."""
    current = False
    for period in sorted((person or {}).get("periods", []), key=lambda p: p["effective_from"]):
        if period["effective_from"] <= on.isoformat():
            current = bool(period["assistance_recipient"])
    return current


def person_view(doc: dict[str, Any] | None, person_id: str) -> dict[str, Any]:
    periods = sorted((doc or {}).get("periods", []), key=lambda p: p["effective_from"])
    return {"person_id": person_id, "periods": periods,
            "assistance_recipient_today": status_on(doc, datetime.now(UTC).date())}


def reason_codes_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """A claim's reasons as data: stored with it, or (a claim settled before they were) read back from its
    sentences, each "<code>: <detail>"."""
    if doc.get("reason_codes") is not None:
        return list(doc["reason_codes"])
    out = []
    for sentence in doc.get("reasons") or []:
        code, _, detail = str(sentence).partition(": ")
        out.append(Reason(code, detail).to_json())
    return out


def claim_view(doc: dict[str, Any]) -> dict[str, Any]:
    keys = ("claim_id", "person_id", "date", "year", "care", "area", "networked", "source", "institution_code",
            "disease", "total_cost", "self_pay", "payable", "reasons", "cumulative_self_pay", "cumulative_paid",
            "tier", "deductible", "ratio", "cap", "policy_version", "stratum", "review_required", "review_id",
            "documents", "settled_at", "insutype", "insutype_source", "clr_type", "statement_id", "payable_id")
    return {**{k: doc.get(k) for k in keys}, "reason_codes": reason_codes_of(doc),
            **({"lines": doc["lines"]} if doc.get("lines") else {})}


def review_view(doc: dict[str, Any]) -> dict[str, Any]:
    """A review; `reason_codes`: why its claim was drawn (quota | random), as data."""
    keys = ("review_id", "claim_id", "person_id", "year", "stratum", "why", "draw", "status", "institution_code",
            "total_cost", "paid", "outcome", "recovered", "note", "opened_at", "completed_at", "completed_by")
    why = doc.get("why")
    return {**{k: doc.get(k) for k in keys},
            "reason_codes": [REASONS.reason(why, f"stratum {doc.get('stratum')}, draw {doc.get('draw')}",
                                            stratum=doc.get("stratum") or "", draw=doc.get("draw") or "").to_json()]
            if why in REASONS else []}


def _selects(decision: dict[str, Any] | None, c: ClaimIn) -> bool:
    """Whether the review decision drawn for the claim's stratum member selects THIS claim (a person-unit stratum's
    member is the person's first claim in it)."""
    return (decision is not None and bool(decision["selected"])
            and decision.get("claim_key", decision["claim_id"]) == c.key)


class CriticalService:
    def __init__(self, db_of: Callable[[str], Any], kick: Callable[[], None] = lambda: None) -> None:
        self._db_of = db_of
        self.kick = kick
        self.locks = KeyedLocks()
        # 月度结算 and 零星报销 payables, payments and review recoveries (critical_statements.py), booked in the
        # dedicated account through one `Fund` (its head and book cache serve every payment and recovery)
        self.finance = CriticalStatements(self.store, self.locks, lambda: self.kick(),
                                          Fund(db_of, (), lambda: self.kick()))

    def store(self, tenant: str) -> CriticalStore:
        serves(tenant)
        return CriticalStore(self._db_of(tenant))

    @staticmethod
    def serves(tenant: str) -> None:
        """404 for a tenant that does not run the critical illness program."""
        serves(tenant)

    async def person(self, tenant: str, person_id: str) -> dict[str, Any]:
        """A person's assistance status periods (404 without any)."""
        doc = await self.store(tenant).person(person_id)
        if doc is None:
            raise NotFound(f"person {person_id} has no assistance record")
        return person_view(doc, person_id)

    async def start(self, tenants: Sequence[str]) -> None:
        """Indexes for the tenants running the program; the policy and strata are read (and checked) once."""
        for tenant in tenants:
            program = program_of_tenant(tenant)
            if program is not None and program.code == PROGRAM:
                await CriticalStore(self._db_of(tenant)).ensure_indexes()
                if not policy_versions():
                    raise NotFound(f"no critical illness policy in programs/{PROGRAM}")
                program_strata()

    # ---- persons (救助对象) ----------------------------------------------------------------------------------

    async def set_assistance(self, tenant: str, person_id: str, changes: Sequence[tuple[date, bool]],
                             who: str, source: str) -> dict[str, Any]:
        """Record status periods (the civil affairs list): one per effective date, a later write for the same
        date replacing it. Claims settled before are not reopened."""
        store = self.store(tenant)
        async with self.locks.hold(f"ci:{tenant}:{person_id}"):
            doc = await store.person(person_id) or {"_id": person_id, "person_id": person_id, "periods": []}
            periods = {p["effective_from"]: p for p in doc["periods"]}
            now = datetime.now(UTC).isoformat()
            for on, recipient in changes:
                periods[on.isoformat()] = {"effective_from": on.isoformat(), "assistance_recipient": recipient,
                                           "source": source, "set_by": who, "set_at": now}
            doc["periods"] = sorted(periods.values(), key=lambda p: p["effective_from"])
            await store.put_person(doc)
        return person_view(doc, person_id)

    # ---- claims --------------------------------------------------------------------------------------------

    async def submit(self, tenant: str, claims: Sequence[ClaimIn],
                     blobs: dict[str, bytes] | None = None) -> tuple[list[dict[str, Any]], bool]:
        """Settle validated claims; returns their views in input order and whether anything new was settled.
        Nothing is written if any claim conflicts with a stored one or has no policy in force."""
        store = self.store(tenant)
        versions = policy_versions()
        seen: set[str] = set()
        for i, c in enumerate(claims):
            if c.key in seen:
                raise InvalidInput(f"claim id {c.claim_id!r} is given twice", f"claims[{i}].claim_id")
            seen.add(c.key)
            if in_force(versions, c.date) is None:
                raise InvalidInput(f"no critical illness policy is in force on {c.date.isoformat()}",
                                   f"claims[{i}].date")
        stored = await store.claims_by_ids(seen)
        for i, c in enumerate(claims):
            self._same_or_conflict(stored.get(c.key), c, i)
        # 智能审核: the new claims with item lines are staged for review before any of them is written — their
        # statement's month cannot close from here until audit answers (a retry of the same upload stages nothing
        # twice: the batch id is derived from the claims).
        await stage_review(store.db, tenant, program_of_tenant(tenant), [c for c in claims
                                                                        if c.lines and c.key not in stored])
        groups: dict[tuple[str, int], list[ClaimIn]] = {}
        for c in claims:
            groups.setdefault((c.person_id, c.date.year), []).append(c)
        views: dict[str, dict[str, Any]] = {}
        fresh = False
        settled: list[dict[str, Any]] = []
        for (person, year), group in sorted(groups.items()):
            async with self.locks.hold(f"ci:{tenant}:{person}"):
                out, new = await self._settle(store, tenant, person, year, group, versions, blobs or {}, settled)
            views.update(out)
            fresh = fresh or new
        # Where each settled claim is paid: its statement, or a payable to the person (once; a retry finishes it).
        placed = await self.finance.take(store, tenant, settled, {c.key: c.bank_account for c in claims
                                                                  if c.bank_account})
        for cid, where in placed.items():
            views[cid].update(where)
        if fresh:
            self.kick()
        return [views[c.key] for c in claims], fresh

    async def submit_manual(self, tenant: str, claim: ClaimIn, blobs: dict[str, bytes],
                            as_sent: Mapping[str, Any]) -> tuple[list[dict[str, Any]], bool]:
        """A manual reimbursement (零星报销), `as_sent`: its JSON fields as sent. Without a claim id of its own its
        id is derived from the claim and its documents on the person's keyed pseudonym (domain `manual_claim_id`);
        a claim stored under the id the earlier unkeyed derivation gave is still found under it (the same claim
        sent again stays one claim)."""
        if not claim.claim_id:
            claim = replace(claim, claim_id=await self._manual_claim_id(self.store(tenant), claim, as_sent))
        return await self.submit(tenant, [claim], blobs)

    @staticmethod
    async def _manual_claim_id(store: CriticalStore, claim: ClaimIn, as_sent: Mapping[str, Any]) -> str:
        person = as_sent.get("person_id")
        person = person if isinstance(person, str) else claim.person_id  # (the door took it as a string)
        shas = [d["sha256"] for d in claim.documents]
        # the newest pseudonym first, then those of older blind-index keys, then the number itself (a claim stored
        # before ids were keyed): the first one stored is the claim's id; none stored, the newest
        ids = [manual_claim_id(as_sent, shas, p) for p in [*store.pseudonyms(person), person]]
        stored = await store.claims_by_ids(claim_key(claim.institution_code, i) for i in ids)
        return next((i for i in ids if claim_key(claim.institution_code, i) in stored), ids[0])

    @staticmethod
    def _same_or_conflict(doc: dict[str, Any] | None, c: ClaimIn, index: int) -> None:
        if doc is not None and doc.get("status") == "settled" and doc["digest"] != c.digest():
            raise Conflict(f"claim {c.claim_id} was settled before with other content; a claim id is used once",
                           f"claims[{index}].claim_id")

    async def _settle(self, store: CriticalStore, tenant: str, person: str, year: int, group: list[ClaimIn],
                      versions: Sequence[CriticalPolicy], blobs: dict[str, bytes], settled: list[dict[str, Any]]
                      ) -> tuple[dict[str, dict[str, Any]], bool]:
        """Settle one person's claims of one year; `settled` receives the claim documents the account applies
        (new, and re-sent ones), to be put on their statements or payables."""
        account_doc = await store.ensure_account(person, year)
        applied = set(account_doc["applied"])
        stored = await store.claims_by_ids(c.key for c in group)
        views: dict[str, dict[str, Any]] = {}
        todo: list[ClaimIn] = []
        for c in group:
            doc = stored.get(c.key)
            if c.key in applied and doc is not None:
                self._same_or_conflict({**doc, "status": "settled"}, c, 0)
                await self._open_review(store, doc)  # finish step 5 if a crash cut it
                views[c.key] = claim_view(doc)
                settled.append({**doc, "_replayed": True})
            else:
                todo.append(c)
        if not todo:
            return views, False
        todo.sort(key=lambda c: c.date)
        person_doc = await store.person(person)
        account = CriticalAccount(year, from_fen(account_doc["cumulative_self_pay_fen"]),
                                  from_fen(account_doc["cumulative_paid_fen"]), tuple(account_doc["applied"]))
        # runs of consecutive claims sharing one policy version and one assistance status
        results: list[tuple[ClaimIn, CriticalResult, bool]] = []
        run: list[ClaimIn] = []
        run_key: tuple[str, bool] | None = None
        run_policy: CriticalPolicy | None = None

        def flush(account: CriticalAccount) -> CriticalAccount:
            if not run or run_policy is None or run_key is None:
                return account
            out, account = adjudicate(run_policy, run_key[1], [CriticalClaim(c.key, c.date, c.self_pay, c.care)
                                                               for c in run], account)
            results.extend((c, r, run_key[1]) for c, r in zip(run, out, strict=True))
            return account

        for c in todo:
            policy = in_force(versions, c.date)
            assert policy is not None  # checked by submit
            key = (policy.version, status_on(person_doc, c.date))
            if key != run_key:
                account = flush(account)
                run, run_key, run_policy = [], key, policy
            run.append(c)
        account = flush(account)

        now = datetime.now(UTC).isoformat()
        pseudonym = store.pseudonym(person)
        docs, events, reviews, documents = [], [], [], []
        for c, r, assistance in results:
            decision = await self._select(store, tenant, year, c, r)
            doc = self._claim_doc(c, r, year, decision, now)
            docs.append(doc)
            if _selects(decision, c):
                reviews.append(doc)
            events.append(new_event(
                "critical_claim.settled", tenant, person, events_pb2.CriticalClaimSettled(
                    claim_id=c.claim_id, person_id=person, date=c.date.isoformat(), care=c.care, area=c.area,
                    networked=c.networked, source=c.source, institution_code=c.institution_code,
                    self_pay=fmt(c.self_pay), payable=fmt(r.payable), cumulative_self_pay=doc["cumulative_self_pay"],
                    cumulative_paid=doc["cumulative_paid"], assistance=assistance, policy_version=r.policy_version,
                    disease=c.disease, total_cost=fmt(c.total_cost), review_required=doc["review_required"]),
                source="settlement", trace_context=current_carrier(),
                event_id=claim_settled_event_id(pseudonym, year, c.key)))
            for d in c.documents:
                documents.append({**d, "_id": f"{c.key}|{d['kind']}", "claim_id": c.claim_id, "claim_key": c.key,
                                  "content": blobs.get(d["sha256"], b"")})
        await store.put_documents(documents)
        await store.put_claims(docs)
        changes = {"cumulative_self_pay_fen": to_fen(account.cumulative_self_pay),
                   "cumulative_paid_fen": to_fen(account.cumulative_paid), "updated_at": now}
        if not await store.apply_account(person, year, account_doc["version"], changes,
                                         [c.key for c, _, _ in results], events):
            raise Conflict(f"the {year} account of {person} changed meanwhile; send the claims again")
        for doc in reviews:
            await self._open_review(store, doc)
        views.update({d["_id"]: claim_view(d) for d in docs})
        settled.extend(docs)
        return views, True

    @staticmethod
    def _claim_doc(c: ClaimIn, r: CriticalResult, year: int, decision: dict[str, Any] | None,
                   now: str) -> dict[str, Any]:
        selected = _selects(decision, c)
        insutype, insutype_source = insutype_or_default(c.insutype or None)
        return {
            "_id": c.key, "claim_id": c.claim_id, "person_id": c.person_id, "date": c.date.isoformat(),
            "year": year, "care": c.care, "area": c.area, "networked": c.networked, "source": c.source,
            "institution_code": c.institution_code, "disease": c.disease, "total_cost": fmt(c.total_cost),
            "self_pay": fmt(c.self_pay), "payable": fmt(r.payable), "payable_fen": to_fen(r.payable),
            "reasons": list(r.reasons), "reason_codes": [x.to_json() for x in r.reason_codes],
            "cumulative_self_pay": fmt(r.cumulative_self_pay_after),
            "cumulative_paid": fmt(r.paid_before + r.payable), "benefit_after": fmt(r.benefit_after),
            "tier": r.tier, "deductible": fmt(r.deductible), "ratio": str(r.ratio),
            "cap": None if r.cap is None else fmt(r.cap), "policy_version": r.policy_version,
            "stratum": decision["stratum"] if decision else None, "review_required": selected,
            "review_id": f"R-{c.key}" if selected else None,
            "selection": {**{k: decision[k] for k in ("why", "draw", "population", "selected_count", "required",
                                                      "claim_id")},
                          "claim_key": decision.get("claim_key", decision["claim_id"])} if decision else None,
            "documents": [{k: d[k] for k in ("kind", "filename", "content_type", "size", "sha256")}
                          for d in c.documents],
            "digest": c.digest(), "status": "settled", "settled_at": now,
            "insutype": insutype, "insutype_source": insutype_source,
            # a manual reimbursement is paid to the person: it clears with no institution
            "clr_type": None if c.source == "manual" else clr_type_of(c.care, c.institution_code),
            **({"lines": [ln.doc() for ln in c.lines]} if c.lines else {}),
        }

    async def _select(self, store: CriticalStore, tenant: str, year: int, c: ClaimIn,
                      r: CriticalResult) -> dict[str, Any] | None:
        """Admit a paid claim to its review stratum (if any); the member's decision (recorded once)."""
        if r.payable <= 0:
            return None
        stratum = stratum_of(program_strata(), c.area, c.networked, c.care, c.total_cost)
        if stratum is None:
            return None
        key = member_key(stratum, c.person_id, c.key)
        async with self.locks.hold(f"ciq:{tenant}:{year}:{stratum.code}"):
            member = await store.member(year, stratum.code, key)
            if member is not None:
                return member
            state = await store.quota_state(year, stratum.code)
            latest = await store.latest_member(year, stratum.code)
            population, selected = state["population"], state["selected"]
            if latest is not None and latest["population"] > population:  # counts a crash left behind
                population, selected = latest["population"], latest["selected_count"]
            # drawn on the member's pseudonym (the last part of its stored id), not on an identity number: the seed
            # and the draw are stored clear, and with them a draw on the number could be reversed by trying numbers
            fraction = draw(state["seed"], stratum.code, year, store.pseudonym(key))
            _, decision = admit(stratum, StratumState(stratum.code, year, population, selected), fraction)
            member = {"_id": f"{year}|{stratum.code}|{key}", "year": year, "stratum": stratum.code, "key": key,
                      "claim_id": c.claim_id, "claim_key": c.key, "person_id": c.person_id,
                      "selected": decision.selected,
                      "why": decision.why, "draw": str(decision.draw), "population": decision.population,
                      "selected_count": decision.selected_count, "required": decision.required,
                      "at": datetime.now(UTC).isoformat()}
            if not await store.insert_member(member):
                found = await store.member(year, stratum.code, key)
                assert found is not None
                return found
            await store.raise_counts(year, stratum.code, decision.population, decision.selected_count)
            return member

    @staticmethod
    async def _open_review(store: CriticalStore, claim: dict[str, Any]) -> None:
        if not claim.get("review_required"):
            return
        sel = claim.get("selection") or {}
        await store.insert_review({
            "_id": claim["review_id"], "review_id": claim["review_id"], "claim_id": claim["claim_id"],
            "claim_key": claim["_id"],
            "person_id": claim["person_id"], "year": claim["year"], "stratum": claim["stratum"],
            "why": sel.get("why"), "draw": sel.get("draw"), "quota_member": True, "status": "open",
            "institution_code": claim["institution_code"], "total_cost": claim["total_cost"],
            "paid": claim["payable"], "paid_fen": claim["payable_fen"], "outcome": None, "recovered": None,
            "note": "", "opened_at": claim["settled_at"]})

    # ---- what a crash left undone (recovery.py) ----------------------------------------------------------------

    async def finish_settled(self, tenant: str) -> dict[str, int]:
        """Finish, for claims the account applied, what a crash after step 4 left undone — as re-sending the upload
        would: a claim the fund pays put on its statement or payable (found there first when a crash came after the
        push; a manual claim's payable carries no bank account then: finance gives it at payment), a selected
        claim's review opened, and a completed review's recovery booked (once, by its entry id). Claims stored but
        never applied (a crash before step 4) are left alone: they were not settled. Returns counts by what was
        done."""
        store = self.store(tenant)
        unplaced = await store.unplaced_claims()
        selected = await store.selected_claims()
        have = await store.review_ids_among([c["review_id"] for c in selected]) if selected else set()
        unreviewed = [c for c in selected if c["review_id"] not in have]
        applied: dict[tuple[str, int], set[str]] = {}
        for c in [*unplaced, *unreviewed]:
            key = (c["person_id"], int(c["year"]))
            if key not in applied:
                account = await store.account(*key)
                applied[key] = set(account["applied"]) if account else set()

        def is_applied(c: dict[str, Any]) -> bool:
            return c["_id"] in applied[(c["person_id"], int(c["year"]))]

        placing = [{**c, "_replayed": True} for c in unplaced if is_applied(c)]
        if placing:
            await self.finance.take(store, tenant, placing)
        opening = [c for c in unreviewed if is_applied(c)]
        for c in opening:
            await self._open_review(store, c)
        booked = 0
        completed = await store.completed_reviews_recovering()
        if completed:
            ids = [f"recovery:review:{r['_id']}" for r in completed]
            entries = set(await self.finance.ledger.entry_heads(tenant, ids))
            for r, entry_id in zip(completed, ids, strict=True):
                if entry_id not in entries and await self.finance.book_recovery(
                        tenant, r, r.get("completed_by") or RECOVERY_ACTOR) is not None:
                    booked += 1
        return {"claims_placed": len(placing), "reviews_opened": len(opening), "recoveries_booked": booked}

    # ---- reading -------------------------------------------------------------------------------------------

    async def account(self, tenant: str, person_id: str, year: int, institution: str | None) -> dict[str, Any]:
        """The person's year account and claims. An institution sees its own claims of the person and nothing of the
        person beyond them — no year totals (they add up every institution's claims), no assistance status, no
        other institution's claims — and 404 when it has none."""
        store = self.store(tenant)
        doc = await store.account(person_id, year)
        claims = await store.claims_of(person_id, year) if doc else []
        applied = set(doc["applied"]) if doc else set()
        claims = [c for c in claims if c["_id"] in applied]
        if institution is not None:
            claims = [c for c in claims if c["institution_code"] == institution]
            if not claims:
                raise NotFound(f"no account of {person_id} for {year}")
            return {"person_id": person_id, "year": year, "institution_code": institution,
                    "policy_versions": sorted({c["policy_version"] for c in claims}),
                    "claims": [claim_view(c) for c in claims]}
        if doc is None or not applied:
            raise NotFound(f"no account of {person_id} for {year}")
        person = await store.person(person_id)
        tiers = policy_versions()
        return {
            "person_id": person_id, "year": year,
            "cumulative_self_pay": fmt(from_fen(doc["cumulative_self_pay_fen"])),
            "cumulative_paid": fmt(from_fen(doc["cumulative_paid_fen"])),
            "assistance": person_view(person, person_id)["periods"],
            "policy_versions": sorted({c["policy_version"] for c in claims}),
            "policy": [{"version": p.version, "ordinary": _tier(p, False), "assistance": _tier(p, True)}
                       for p in tiers if p.effective_from is None or p.effective_from.year <= year],
            "claims": [claim_view(c) for c in claims],
        }

    async def reviews(self, tenant: str, status: str | None, year: int | None, limit: int) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if status:
            query["status"] = status
        if year:
            query["year"] = year
        return [review_view(d) for d in await self.store(tenant).reviews(query, limit)]

    async def quotas(self, tenant: str, year: int) -> dict[str, Any]:
        store = self.store(tenant)
        rows = []
        for s in program_strata():
            row = attainment(s, await store.count_members(year, s.code),
                             await store.count_members(year, s.code, selected_only=True),
                             await store.count_reviewed(year, s.code))
            rows.append({**row, "min_total": fmt(s.min_total),
                         "max_total": None if s.max_total is None else fmt(s.max_total), "area": s.area,
                         "networked": s.networked})
        return {"year": year, "strata": rows}

    # ---- review outcomes (核查结果) ----------------------------------------------------------------------------

    async def complete_review(self, tenant: str, review_id: str, outcome: str, recovered: Decimal, note: str,
                              who: str) -> tuple[dict[str, Any], bool]:
        store = self.store(tenant)
        async with self.locks.hold(f"cir:{tenant}:{review_id}"):
            doc = await store.review(review_id)
            if doc is None:
                raise NotFound(f"review {review_id} not found")
            if doc["status"] == "completed":
                if doc["outcome"] == outcome and doc["recovered"] == fmt(recovered):
                    # the same outcome again: its stored answer, and its recovery booked if a crash cut that short
                    await self.finance.book_recovery(tenant, doc, who)
                    return review_view(doc), False
                raise Conflict(f"review {review_id} was completed already ({doc['outcome']}, recovered "
                               f"{doc['recovered']})")
            if to_fen(recovered) > doc["paid_fen"]:
                raise InvalidInput(f"recovered {fmt(recovered)} exceeds what was paid on the claim ({doc['paid']})",
                                   "recovered")
            if outcome == "confirmed" and recovered != 0:
                raise InvalidInput("a confirmed claim recovers nothing: use adjusted or rejected", "recovered")
            if outcome == "adjusted" and recovered == 0:
                raise InvalidInput("an adjusted claim recovers something: give the amount", "recovered")
            now = datetime.now(UTC).isoformat()
            changes = {"status": "completed", "outcome": outcome, "recovered": fmt(recovered),
                       "recovered_fen": to_fen(recovered), "note": note, "completed_at": now, "completed_by": who}
            event = new_event("critical_review.completed", tenant, doc["person_id"],
                              events_pb2.CriticalReviewCompleted(
                                  review_id=review_id, claim_id=doc["claim_id"], person_id=doc["person_id"],
                                  stratum=doc["stratum"], outcome=outcome, recovered=fmt(recovered),
                                  completed_at=now),
                              source="settlement", trace_context=current_carrier(),
                              event_id=derived_event_id(review_id, "critical_review.completed", review_id))
            if not await store.complete_review(review_id, changes, [event]):
                raise Conflict(f"review {review_id} changed meanwhile")
            # 追回款 into the dedicated account, once per review (entry recovery:review:<review id>)
            await self.finance.book_recovery(tenant, {**doc, **changes}, who)
        self.kick()
        return review_view({**doc, **changes}), True


def _tier(policy: CriticalPolicy, assistance: bool) -> dict[str, Any]:
    t = policy.tier(assistance)
    return {"deductible": fmt(t.deductible), "ratio": str(t.ratio), "cap": None if t.cap is None else fmt(t.cap)}


def parse_recovered(value: Any) -> Decimal:
    if value is None:
        raise InvalidInput("recovered is required (\"0.00\" when nothing is recovered)", "recovered")
    amount = parse_yuan(value, "recovered")
    if amount < 0:
        raise InvalidInput("recovered must not be negative", "recovered")
    return amount
