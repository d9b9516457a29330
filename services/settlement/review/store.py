"""Smart review's collections on settlement's side (智能审核), one database per tenant:

- `review_parts`: one document per part of an upload sent to review (`<batch>|<part>`, 4 digits): its source
  (chronic, care, critical), statement, institution and month, carrying its `claim_lines.submitted` in `_outbox`
  (the event is staged with the part it announces: one write); `state` pending → reviewed when audit's
  `claim_review.completed` for it arrives (the guard makes a redelivery change nothing).
- `review_holds`: one document per hit that holds lines of a statement (`_id` = the hit id): the rule, the claim,
  the review line ids and the stored line keys it holds, the amount in question, `state` open → confirmed |
  dismissed and the decision. A decision may arrive before the hold it decides (another topic): it is kept on the
  same document and the hold's details join it later — whichever comes first, the result is the same.

No personal data: parts name batches and statements, holds name claims and lines. The pending events carry the
persons (their payload is in clear until the relay publishes it, like every outbox)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo.errors import BulkWriteError

PARTS = "review_parts"
HOLDS = "review_holds"
OUTBOX = [PARTS]
HIDDEN = {"_outbox": 0, "_outbox_pending": 0}
PAGE = 1000


class ReviewStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[PARTS].create_index("_outbox_pending")
        await self._db[PARTS].create_index("statement_id")
        await self._db[PARTS].create_index("batch_id")
        await self._db[HOLDS].create_index("statement_id")

    # ---- parts ----

    async def add_parts(self, docs: Sequence[dict[str, Any]]) -> int:
        """Insert the batch's parts with their events; those already there (a resumed batch) are left as they were.
        Returns how many were new."""
        if not docs:
            return 0
        try:
            result = await self._db[PARTS].insert_many(list(docs), ordered=False)
            return len(result.inserted_ids)
        except BulkWriteError as exc:
            if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
                raise
            return int(exc.details.get("nInserted", 0))

    async def part(self, part_id: str) -> dict[str, Any] | None:
        return await self._db[PARTS].find_one({"_id": part_id}, HIDDEN)

    async def mark_reviewed(self, part_id: str, changes: dict[str, Any]) -> bool:
        """pending → reviewed, once."""
        result = await self._db[PARTS].update_one({"_id": part_id, "state": "pending"}, {"$set": changes})
        return result.modified_count == 1

    async def parts_of_batch(self, batch_id: str) -> list[dict[str, Any]]:
        return await self._db[PARTS].find({"batch_id": batch_id}, {**HIDDEN, "claims": 0}).sort(
            "_id", 1).to_list(None)

    async def pending_batches(self, statement_id: str) -> list[str]:
        """The batches of a statement with a part still under review."""
        docs = await self._db[PARTS].find({"statement_id": statement_id, "state": "pending"},
                                          {"batch_id": 1}).to_list(None)
        return sorted({d["batch_id"] for d in docs})

    # ---- holds ----

    async def add_holds(self, holds: Sequence[dict[str, Any]]) -> None:
        """Each hold's details, keeping a decision that arrived first (its state stays). Inserted together; only
        a hold already there (a decision came first, or the part is answered again) is updated on its own — an
        upsert per hold costs a look-up each on a store that finds even an `_id` by reading the collection."""
        for start in range(0, len(holds), PAGE):
            page = list(holds[start:start + PAGE])
            try:
                await self._db[HOLDS].insert_many(page, ordered=False)
                continue
            except BulkWriteError as exc:
                if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
                    raise
                there = [page[e["index"]] for e in exc.details.get("writeErrors", [])]
            for hold in there:
                details = {k: v for k, v in hold.items() if k not in ("_id", "state")}
                await self._db[HOLDS].update_one({"_id": hold["_id"]},
                                                 {"$set": details, "$setOnInsert": {"state": hold["state"]}},
                                                 upsert=True)

    async def decide(self, hit_id: str, state: str, decision: dict[str, Any]) -> bool:
        """open (or not yet known) → the decision, once: a second decision changes nothing (False)."""
        found = await self._db[HOLDS].find_one({"_id": hit_id}, {"state": 1})
        if found is None:
            result = await self._db[HOLDS].update_one(
                {"_id": hit_id}, {"$setOnInsert": {"hit_id": hit_id, "state": state, "decision": decision}},
                upsert=True)
            if result.upserted_id is not None:
                return True
            found = await self._db[HOLDS].find_one({"_id": hit_id}, {"state": 1})
        if found is None or found.get("state") != "open":
            return False
        result = await self._db[HOLDS].update_one({"_id": hit_id, "state": "open"},
                                                  {"$set": {"state": state, "decision": decision}})
        return result.modified_count == 1

    async def holds_of_statement(self, statement_id: str) -> list[dict[str, Any]]:
        return await self._db[HOLDS].find({"statement_id": statement_id}).sort("_id", 1).to_list(None)

    async def holds_of_batch(self, batch_id: str) -> list[dict[str, Any]]:
        return await self._db[HOLDS].find({"batch_id": batch_id}).sort("_id", 1).to_list(None)
