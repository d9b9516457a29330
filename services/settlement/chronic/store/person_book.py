"""Every person's state (holdings, year accounts, which batches and visits were applied): the latest version of
each person in process memory, persisted as immutable snapshots (`person_states`, `_id` = `<person's index>#<version>`).

Why this shape (measured on FerretDB 1.24 with SQLite, the local mode's store; see the integration tests):
- every query and every update scans its whole collection (no index is used, not even for `_id`): an update costs
  ~2 µs per document in the collection, a `$in` read ~20 µs per document; only inserts are O(1);
- an update is not atomic against other connections (two `update_one({"version": v})` can both match).
So the hot paths never read or update persons in the store: they read the in-process state and *insert* the next
version. The insert is the atomic compare-and-set (a duplicate `_id` means another writer took that version): a
process whose memory is stale (another replica wrote) reloads that person and recomputes. The whole book is read
once per process and tenant (`warm`), before the service answers.

Personal data at rest (chassis/pii.py): a snapshot names its person by a keyed pseudonym only — its id is
`<id index>#<version>` (`Sealer.id_index`: the blind index of the number as given), the identity number itself is
sealed (`person_id`) and its blind index (`person_bi`) is what a reload queries. Memory holds clear values: the
book translates on the way in and out (the rest of settlement never sees a sealed value)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import BulkWriteError

from chassis.pii import Sealed, Sealer, sealer_of

PERSON_STATES = "person_states"
DUPLICATE_KEY = 11000
# What of a snapshot is personal data (holdings, accounts and months hold qualification ids, diseases, dates,
# figures and statement ids: nothing that names the person).
SNAPSHOT = Sealed(persons={"person_id": "person_bi"})


@dataclass
class PersonState:
    person_id: str
    version: int = 0                                              # 0: nothing stored yet
    holdings: list[dict[str, Any]] = field(default_factory=list)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # "2025" -> year account (fen)
    months: dict[str, dict[str, Any]] = field(default_factory=dict)    # statement id -> {"batches", "visits"}

    def month(self, sid: str) -> dict[str, Any]:
        return self.months.get(sid) or {"batches": [], "visits": []}

    def applied(self, sid: str, batch_id: str = "", visit: str = "") -> bool:
        part = self.months.get(sid) or {}
        return (bool(batch_id) and batch_id in part.get("batches", ())) or (
            bool(visit) and visit in part.get("visits", ()))

    def next(self, **changes: Any) -> PersonState:
        base = {"holdings": self.holdings, "accounts": self.accounts, "months": self.months}
        return PersonState(self.person_id, self.version + 1, **{**base, **changes})


def snapshot_id(person_index: str, version: int) -> str:
    """`<the person's id index>#<version>` (never the identity number)."""
    return f"{person_index}#{version:08d}"


def to_doc(state: PersonState, cause: str, pii: Sealer) -> dict[str, Any]:
    """The snapshot as stored: the person sealed beside their blind index, the id on their id index."""
    doc = {"_id": snapshot_id(pii.id_index(state.person_id), state.version), "person_id": state.person_id,
           "version": state.version, "holdings": state.holdings, "accounts": state.accounts,
           "months": state.months, "cause": cause, "at": datetime.now(UTC).isoformat()}
    return SNAPSHOT.seal(pii, doc)


def from_doc(doc: dict[str, Any], pii: Sealer) -> PersonState:
    person = pii.open(doc["person_id"])
    return PersonState(person, doc["version"], list(doc.get("holdings") or []),
                       dict(doc.get("accounts") or {}), dict(doc.get("months") or {}))


class PersonBook:
    def __init__(self, db_of: Any, writers: Any = None) -> None:
        self._db_of = db_of
        self._writers = writers  # writer.GroupWriters: inserts go through the tenant's one writer
        self._states: dict[str, dict[str, PersonState]] = {}
        self._warm_locks: dict[str, asyncio.Lock] = {}

    def _coll(self, tenant: str) -> Any:
        return self._db_of(tenant)[PERSON_STATES]

    async def ensure_indexes(self, tenant: str) -> None:
        # Used by MongoDB to reload one person after a conflict; FerretDB 1.24 scans regardless.
        await self._coll(tenant).create_index([("person_bi", 1), ("version", -1)])

    async def warm(self, tenant: str) -> None:
        """Read the tenant's latest states once (one pass over the snapshots)."""
        if tenant in self._states:
            return
        lock = self._warm_locks.setdefault(tenant, asyncio.Lock())
        async with lock:
            if tenant in self._states:
                return
            pii = sealer_of(self._db_of(tenant))
            # The newest snapshot of each person, told apart by the pseudonym of their id (a sealed value differs
            # at every write): only those are opened.
            newest: dict[str, dict[str, Any]] = {}
            async for doc in self._coll(tenant).find({}, {"cause": 0, "at": 0}):
                who = str(doc["_id"]).rsplit("#", 1)[0]
                known = newest.get(who)
                if known is None or doc["version"] > known["version"]:
                    newest[who] = doc
            latest: dict[str, PersonState] = {}
            for doc in newest.values():
                state = from_doc(doc, pii)
                known_state = latest.get(state.person_id)  # (one person under two id keys: a blind-index rotation)
                if known_state is None or state.version > known_state.version:
                    latest[state.person_id] = state
            self._states[tenant] = latest

    async def get(self, tenant: str, person_id: str) -> PersonState:
        await self.warm(tenant)
        return self._states[tenant].get(person_id) or PersonState(person_id)

    async def get_many(self, tenant: str, person_ids: Iterable[str]) -> dict[str, PersonState]:
        await self.warm(tenant)
        states = self._states[tenant]
        return {pid: states.get(pid) or PersonState(pid) for pid in person_ids}

    def known(self, tenant: str, person_id: str) -> PersonState | None:
        """Without I/O (the book must be warm): None when the person was never stored."""
        return self._states.get(tenant, {}).get(person_id)

    async def save(self, tenant: str, states: Sequence[PersonState], cause: str) -> list[str]:
        """Insert the next version of each person. Returns the persons whose version was taken meanwhile by another
        writer (reloaded from the store: recompute and save again); the others are saved and current."""
        if not states:
            return []
        pii = sealer_of(self._db_of(tenant))
        docs = [to_doc(s, cause, pii) for s in states]
        taken: list[int] = []
        if self._writers is not None:
            taken = list(await self._writers(tenant).insert(PERSON_STATES, docs))
        else:
            try:
                await self._coll(tenant).insert_many(docs, ordered=False)
            except BulkWriteError as exc:
                errors = exc.details.get("writeErrors", [])
                if any(e.get("code") != DUPLICATE_KEY for e in errors) or exc.details.get("writeConcernErrors"):
                    raise
                taken = [e["index"] for e in errors]
        cache = self._states.setdefault(tenant, {})
        lost = {states[i].person_id for i in taken}
        for s in states:
            if s.person_id not in lost:
                cache[s.person_id] = s
        if lost:
            await self.reload(tenant, lost)
        return sorted(lost)

    async def reload(self, tenant: str, person_ids: Iterable[str]) -> None:
        ids = list(person_ids)
        wanted = set(ids)
        cache = self._states.setdefault(tenant, {})
        pii = sealer_of(self._db_of(tenant))
        for start in range(0, len(ids), 1000):
            part = sorted({i for p in ids[start:start + 1000] for i in pii.blind_indexes(p)})
            newest: dict[str, dict[str, Any]] = {}
            async for doc in self._coll(tenant).find({"person_bi": {"$in": part}}, {"cause": 0, "at": 0}):
                who = str(doc["_id"]).rsplit("#", 1)[0]
                if who not in newest or doc["version"] > newest[who]["version"]:
                    newest[who] = doc
            for doc in newest.values():
                state = from_doc(doc, pii)
                if state.person_id not in wanted:  # the blind index is case-blind (…x, …X): another person
                    continue
                known = cache.get(state.person_id)
                if known is None or state.version > known.version:
                    cache[state.person_id] = state

    def forget(self, tenant: str) -> None:
        """Drop the memory of a tenant (tests); the next access reads the store again."""
        self._states.pop(tenant, None)
