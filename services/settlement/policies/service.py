"""Policy tables as data: publishing versions (never overlapping), finding the one in force, and a short
per-process cache for the real-time path. Every calculation records the version it used."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.events import new_event
from chassis.programs import load_program
from chassis.telemetry import current_carrier
from contracts.v1 import common_pb2, events_pb2
from services.settlement.policies.domain.policy import Policy, check_versions, parse_policy, policy_to_dict
from services.settlement.policies.store import PolicyStore

CACHE_TTL_S = 5.0

# How many claims of a tenant were paid under `version` dated after `after` (the chronic room answers: its Settler
# registers itself here): a version's end may not move before them.
PaidAfter = Callable[[str, str, str], Awaitable[int]]


async def _none_paid(tenant: str, version: str, after: str) -> int:
    return 0


def policy_doc_id(program: str, version: str) -> str:
    return f"{program}:{version}"


def to_proto(policy: Policy) -> common_pb2.PolicyTable:
    return common_pb2.PolicyTable(
        program=policy.program, version=policy.version, effective_from=policy.effective_from.isoformat(),
        effective_to=policy.effective_to.isoformat() if policy.effective_to else "",
        monthly_cap_multiple=policy.monthly_cap_multiple, second_disease_weight=str(policy.second_disease_weight),
        label=policy.label,
        diseases=[common_pb2.DiseasePolicy(
            code=d.code, name=d.name, category=d.category,
            annual_cap="" if d.annual_cap is None else f"{d.annual_cap:.2f}", deductible=f"{d.deductible:.2f}",
            ratio=str(d.ratio), start=d.start, review_months=d.review_months, specialty=d.specialty,
            required_documents=list(d.required_documents)) for d in policy.diseases.values()],
    )


def view(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc["table"], "published_at": doc.get("published_at"), "published_by": doc.get("published_by")}


def check_program_of_tenant(program: str, tenant: str) -> None:
    """A tenant publishes tables only for a program it is a carrier of."""
    try:
        prog = load_program(program)
    except NotFound as exc:
        raise InvalidInput(f"program {program!r} is not defined", "program") from exc
    if all(t.tenant != tenant for t in prog.tenants):
        raise InvalidInput(f"tenant {tenant} is not a carrier of program {program}", "program")


class PolicyBook:
    def __init__(self, db_of: Any, paid_after: PaidAfter | None = None) -> None:
        self._db_of = db_of
        self.paid_after: PaidAfter = paid_after or _none_paid
        self._cache: dict[tuple[str, str], tuple[float, list[Policy]]] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    def _store(self, tenant: str) -> PolicyStore:
        return PolicyStore(self._db_of(tenant))

    async def ensure_indexes(self, tenant: str) -> None:
        await self._store(tenant).ensure_indexes()

    async def versions(self, tenant: str, program: str, fresh: bool = False) -> list[Policy]:
        key = (tenant, program)
        hit = self._cache.get(key)
        if hit and not fresh and time.monotonic() - hit[0] < CACHE_TTL_S:
            return hit[1]
        docs = await self._store(tenant).policy_docs(program)
        versions = [parse_policy(d["table"]) for d in docs]
        self._cache[key] = (time.monotonic(), versions)
        return versions

    async def docs(self, tenant: str, program: str) -> list[dict[str, Any]]:
        return await self._store(tenant).policy_docs(program)

    async def doc_in_force(self, tenant: str, program: str, day: date) -> dict[str, Any]:
        """The stored version in force on `day` (its document, as published)."""
        for doc in await self.docs(tenant, program):
            if parse_policy(doc["table"]).covers(day):
                return doc
        raise NotFound(f"no policy version of {program} is in force on {day.isoformat()}")

    async def version_list(self, tenant: str, program: str) -> list[dict[str, Any]]:
        """Every published version, oldest first (what each says of itself, without its table)."""
        docs = await self.docs(tenant, program)
        if not docs:
            raise NotFound(f"no policy version of {program} is published")
        return [{k: d.get(k) for k in ("version", "effective_from", "effective_to", "published_at", "published_by")}
                | {"label": d["table"].get("label", "")} for d in docs]

    async def in_force(self, tenant: str, program: str, on: date, fresh: bool = False) -> Policy:
        for policy in await self.versions(tenant, program, fresh):
            if policy.covers(on):
                return policy
        raise NotFound(f"no policy version of {program} is in force on {on.isoformat()}")

    async def for_year(self, tenant: str, program: str, year: int, today: date) -> Policy | None:
        """The version to show a year's caps with: in force today if today is in that year, else at its end."""
        candidates = [today] if today.year == year else []
        candidates += [date(year, 12, 31), date(year, 1, 1)]
        versions = await self.versions(tenant, program)
        for on in candidates:
            for policy in versions:
                if policy.covers(on):
                    return policy
        return None

    async def publish(self, tenant: str, data: Any, who: str) -> tuple[dict[str, Any], bool]:
        """Store a new version (or close the open end of an existing one). Returns (document, created)."""
        policy = parse_policy(data)
        check_program_of_tenant(policy.program, tenant)
        key = (tenant, policy.program)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # one publisher per program at a time in this process: the overlap check holds
            store = self._store(tenant)
            existing_docs = await store.policy_docs(policy.program)
            existing = [parse_policy(d["table"]) for d in existing_docs]
            now = datetime.now(UTC).isoformat()
            table = policy_to_dict(policy)
            doc_id = policy_doc_id(policy.program, policy.version)
            event = new_event("policy.published", tenant, doc_id,
                              events_pb2.PolicyPublished(table=to_proto(policy)), source="settlement",
                              trace_context=current_carrier())
            same = next((d for d in existing_docs if d["version"] == policy.version), None)
            if same is not None:
                result = await self._republish(tenant, store, same, policy, table, existing, event, now, who)
            else:
                try:
                    check_versions([*existing, policy])
                except InvalidInput as exc:
                    raise Conflict(exc.message, "effective_from") from exc
                doc = {"_id": doc_id, "program": policy.program, "version": policy.version,
                       "effective_from": policy.effective_from.isoformat(),
                       "effective_to": policy.effective_to.isoformat() if policy.effective_to else None,
                       "table": table, "published_at": now, "published_by": who}
                if not await store.insert_policy(doc, [event]):
                    raise Conflict(f"version {policy.version} of {policy.program} was published meanwhile", "version")
                result = (doc, True)
            self._cache.pop(key, None)
            return result

    @staticmethod
    async def _outbox_drained(store: PolicyStore, doc_id: str, timeout_s: float = 10.0) -> None:
        """The relay's `$pullAll` and our update must not race (FerretDB updates are not atomic): wait until the
        version's earlier event is published."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            if not await store.events_pending(doc_id):
                return
            if asyncio.get_running_loop().time() > deadline:
                raise Conflict(f"{doc_id}: its publication is not yet relayed; try again shortly")
            await asyncio.sleep(0.05)

    async def _republish(self, tenant: str, store: PolicyStore, same: dict[str, Any], policy: Policy,
                         table: dict[str, Any], existing: list[Policy], event: dict[str, Any], now: str,
                         who: str) -> tuple[dict[str, Any], bool]:
        if same["table"] == table:
            return same, False  # the same table again: idempotent
        old = parse_policy(same["table"])
        only_end_moves = policy_to_dict(old) | {"effective_to": table["effective_to"]} == table
        closes = policy.effective_to is not None and (
            old.effective_to is None or policy.effective_to < old.effective_to)
        if not (only_end_moves and closes):
            raise Conflict(f"version {policy.version} of {policy.program} is already published with other content; "
                           "publish a new version (only closing its open end, effective_to, is allowed)", "version")
        assert policy.effective_to is not None
        if await self.paid_after(tenant, policy.version, policy.effective_to.isoformat()):
            raise Conflict(f"claims dated after {policy.effective_to} were already paid under version "
                           f"{policy.version}; it cannot end before them", "effective_to")
        others = [p for p in existing if p.version != policy.version]
        check_versions([*others, policy])
        changes = {"effective_to": table["effective_to"], "table": table, "closed_at": now, "closed_by": who}
        await self._outbox_drained(store, same["_id"])
        if not await store.close_policy(same["_id"], same["effective_to"], changes, [event]):
            raise Conflict(f"version {policy.version} of {policy.program} changed meanwhile", "version")
        return {**same, **changes}, True
