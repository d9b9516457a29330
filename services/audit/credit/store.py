"""The credit room's collections, one database per tenant (audit's):

- `sv_credit_facts`: the facts the rules count, each once — a confirmed hit `hit:<hit id>`, an inspection's finding
  `inspection:<inspection id>:<finding>`, a record sample `sample:<sample id>`, a closed case's finding
  `case:<case id>:<n>`, the year's cooperation rating `cooperation:<institution>:<year>` — with the institution, the
  year, the event it came from. An inspection's findings are one `group`, replaced whole by a later report of it.
- `sv_credit_institutions`: the designated institutions (institution.changed): who a year's evaluation covers.
- `sv_credit_evaluations`: evaluations (drafts, approved, superseded), each with its deductions; the approval writes
  credit.evaluated in the same document.

No personal data: facts name institutions, hits, claims, inspections, samples and cases, never a person."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.outbox import guarded_update

FACTS = "sv_credit_facts"
INSTITUTIONS = "sv_credit_institutions"
EVALUATIONS = "sv_credit_evaluations"
OUTBOX = [EVALUATIONS]
HIDDEN = {"_outbox": 0, "_outbox_pending": 0}


class CreditStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[FACTS].create_index("institution_id")
        await self._db[FACTS].create_index("year")
        await self._db[FACTS].create_index("group")
        await self._db[EVALUATIONS].create_index("institution_id")
        await self._db[EVALUATIONS].create_index("year")
        await self._db[EVALUATIONS].create_index("_outbox_pending")

    # ---- facts ----

    async def add_fact(self, fact: dict[str, Any]) -> bool:
        """False when the fact is there already (a redelivered event)."""
        try:
            await self._db[FACTS].insert_one(fact)
        except DuplicateKeyError:
            return False
        return True

    async def replace_group(self, group: str, facts: list[dict[str, Any]], stamp: str) -> bool:
        """The facts of one source (an inspection's findings) as its latest report says: a report older than the one
        kept changes nothing; the same report again leaves the same facts."""
        kept = await self._db[FACTS].find({"group": group}, {"stamp": 1}).to_list(None)
        if any(str(k.get("stamp", "")) > stamp for k in kept):
            return False
        await self._db[FACTS].delete_many({"group": group})
        for fact in facts:
            await self.add_fact(fact)
        return True

    async def rate(self, fact: dict[str, Any]) -> None:
        """The year's cooperation rating: the latest replaces the one before (kept in `earlier`)."""
        before = await self._db[FACTS].find_one({"_id": fact["_id"]})
        if before is None:
            try:
                await self._db[FACTS].insert_one({**fact, "earlier": []})
                return
            except DuplicateKeyError:
                before = await self._db[FACTS].find_one({"_id": fact["_id"]}) or {}
        earlier = [*(before.get("earlier") or []), {k: before.get(k) for k in ("rating", "on", "ref", "detail")}]
        await self._db[FACTS].update_one({"_id": fact["_id"]}, {"$set": {**fact, "earlier": earlier}})

    async def facts(self, year: int, institution_id: str | None = None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"year": year}
        if institution_id:
            query["institution_id"] = institution_id
        return await self._db[FACTS].find(query).sort("_id", 1).to_list(None)

    # ---- institutions ----

    async def note_institution(self, institution_id: str, fields: dict[str, Any], version: int) -> bool:
        """The institution as its latest change says (an older change redelivered changes nothing)."""
        doc = await self._db[INSTITUTIONS].find_one({"_id": institution_id})
        if doc is None:
            try:
                await self._db[INSTITUTIONS].insert_one({"_id": institution_id, **fields, "version": version})
                return True
            except DuplicateKeyError:
                doc = await self._db[INSTITUTIONS].find_one({"_id": institution_id}) or {}
        if int(doc.get("version", 0)) > version:
            return False
        await self._db[INSTITUTIONS].update_one({"_id": institution_id}, {"$set": {**fields, "version": version}})
        return True

    async def institutions(self) -> list[dict[str, Any]]:
        return await self._db[INSTITUTIONS].find({}).sort("_id", 1).to_list(None)

    # ---- evaluations ----

    async def evaluations_of(self, institution_id: str, year: int) -> list[dict[str, Any]]:
        return await self._db[EVALUATIONS].find({"institution_id": institution_id, "year": year},
                                                HIDDEN).sort("seq", 1).to_list(None)

    async def add_evaluation(self, doc: dict[str, Any]) -> bool:
        """False when an evaluation of this institution, year and sequence was made meanwhile."""
        try:
            await self._db[EVALUATIONS].insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def supersede_drafts(self, institution_id: str, year: int, keep: str) -> None:
        await self._db[EVALUATIONS].update_many(
            {"institution_id": institution_id, "year": year, "state": "draft", "_id": {"$ne": keep}},
            {"$set": {"state": "superseded", "superseded_by": keep}})

    async def evaluation(self, evaluation_id: str) -> dict[str, Any] | None:
        return await self._db[EVALUATIONS].find_one({"_id": evaluation_id}, HIDDEN)

    async def evaluations(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        return await self._db[EVALUATIONS].find(query, HIDDEN).sort([("year", 1), ("institution_id", 1),
                                                                     ("seq", 1)]).limit(limit).to_list(None)

    async def approve(self, evaluation_id: str, changes: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        """A draft approved with credit.evaluated, once: False when it is no longer a draft."""
        return await guarded_update(self._db[EVALUATIONS], {"_id": evaluation_id, "state": "draft"},
                                    {"$set": changes}, events)
