"""Smart review's collections (智能审核), one audit database per tenant:

- `review_claims`: the history the rules read — one document per claim reviewed (`_id` its review id
  `<source>|<institution>|<month>|<claim id>`, a screening one `screening|<institution>|<claim id>`), with its
  source, institution, month, batch and part, kind, stay dates, settlement time and its lines
  (`[{l, i, d, q, p, a, s}]`: line id, item, date, quantity, unit price, amount, days supply). The person: the identity
  number sealed, its blind index beside it (`person_bi`, what the history is looked up by) and the sex and birth
  date sealed together (`facts`, JSON).
- `review_hits`: one document per hit (`_id` the hit id): rule, source, program, institution, month, batch, claim and
  lines (the submitter's ids, every line of the hit with where it was submitted), the lines it holds, the amount in
  question, the reason, the rule set's and catalogue's versions, `state` open → confirmed | dismissed and the
  decision (its note sealed: a reviewer may quote a person), review_hit.decided pending in `_outbox`.
- `review_submissions`: one document per part of a submission reviewed (`<source>|<batch>|<part>`), its holds and
  counts, claim_review.completed pending in `_outbox`; a screening import's (source `screening`) carries no event.
  Its presence is what makes a redelivered part change nothing.

Personal data (chassis/pii.py): identity numbers, sex and birth date sealed; lookups by the blind index. Hits and
submissions name claims and lines, never a person."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from chassis.outbox import guarded_update, with_events
from chassis.pii import Sealed, Sealer, sealer_of

CLAIMS = "review_claims"
HITS = "review_hits"
SUBMISSIONS = "review_submissions"
OUTBOX = [HITS, SUBMISSIONS]
HIDDEN = {"_outbox": 0, "_outbox_pending": 0}
PAGE = 1000

CLAIM = Sealed(persons={"person_id": "person_bi"}, json=("facts",))
HIT = Sealed(text=("decision.note",))


def _duplicates_only(exc: BulkWriteError) -> None:
    if any(err.get("code") != 11000 for err in exc.details.get("writeErrors", [])):
        raise exc


class ReviewStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    async def ensure_indexes(self) -> None:
        for name in OUTBOX:
            await self._db[name].create_index("_outbox_pending")
        await self._db[CLAIMS].create_index("person_bi")
        await self._db[CLAIMS].create_index("institution_id")
        await self._db[HITS].create_index("state")
        await self._db[HITS].create_index("month")
        await self._db[HITS].create_index("institution_id")

    # ---- the history ----

    async def history_of(self, person_ids: Iterable[str], screening: bool,
                         exclude: Iterable[str] = ()) -> list[dict[str, Any]]:
        """The claims of these persons reviewed before (screening imports apart from the uploads: they are the
        institutions' own data, which the uploads may repeat), their persons opened; `exclude`d ids left out."""
        pii = self._pii
        indexes = sorted({i for p in set(person_ids) for i in pii.blind_indexes(p)})
        skip = set(exclude)
        found: list[dict[str, Any]] = []
        for start in range(0, len(indexes), PAGE):
            query: dict[str, Any] = {"person_bi": {"$in": indexes[start:start + PAGE]}}
            query["source"] = "screening" if screening else {"$ne": "screening"}
            found += await self._db[CLAIMS].find(query).to_list(None)
        return CLAIM.open_all(pii, [d for d in found if d["_id"] not in skip])

    async def pooling_history(self, institution_ids: Sequence[str], low: str, high: str, screening: bool,
                              exclude: Iterable[str] = ()) -> list[dict[str, Any]]:
        """The pharmacies' claims settled between `low` and `high` (ISO times), their persons opened — one query for
        all of an import's pharmacies (a store without a usable index reads the collection once per query)."""
        query: dict[str, Any] = {"institution_id": {"$in": list(institution_ids)}, "institution_kind": "pharmacy",
                                 "settled_at": {"$gte": low, "$lte": high},
                                 "source": "screening" if screening else {"$ne": "screening"}}
        skip = set(exclude)
        docs = await self._db[CLAIMS].find(query).to_list(None)
        return CLAIM.open_all(self._pii, [d for d in docs if d["_id"] not in skip])

    async def add_claims(self, docs: Sequence[dict[str, Any]], replace: bool = False) -> None:
        """Claims into the history; one already there is left (a redelivery) — or written anew (`replace`: a
        screening import sending an institution's claim again)."""
        pii = self._pii
        sealed = [CLAIM.seal(pii, d) for d in docs]
        if replace:
            for start in range(0, len(sealed), PAGE):
                await self._db[CLAIMS].delete_many({"_id": {"$in": [d["_id"] for d in sealed[start:start + PAGE]]}})
        for start in range(0, len(sealed), PAGE):
            try:
                await self._db[CLAIMS].insert_many(sealed[start:start + PAGE], ordered=False)
            except BulkWriteError as exc:
                _duplicates_only(exc)

    # ---- hits ----

    async def add_hits(self, docs: Sequence[dict[str, Any]]) -> dict[str, str]:
        """New hits (state open); one already there keeps what it is (its state, its decision). Returns the state
        of each hit that was there before (a part reviewed again): the inserts' duplicate-key refusals name them,
        so a first review reads nothing back (a store answering `$in` without its index would read every hit of
        the tenant for each part)."""
        sealed = [HIT.seal(self._pii, d) for d in docs]
        existing: list[str] = []
        for start in range(0, len(sealed), PAGE):
            page = sealed[start:start + PAGE]
            try:
                await self._db[HITS].insert_many(page, ordered=False)
            except BulkWriteError as exc:
                _duplicates_only(exc)
                existing += [page[err["index"]]["_id"] for err in exc.details.get("writeErrors", [])]
        return await self.hit_states(existing) if existing else {}

    async def hit_states(self, ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for start in range(0, len(ids), PAGE):
            docs = await self._db[HITS].find({"_id": {"$in": list(ids[start:start + PAGE])}},
                                             {"state": 1}).to_list(None)
            out.update({d["_id"]: d["state"] for d in docs})
        return out

    async def hit(self, hit_id: str) -> dict[str, Any] | None:
        return HIT.open(self._pii, await self._db[HITS].find_one({"_id": hit_id}, HIDDEN))

    async def hits(self, query: dict[str, Any], after: str | None, limit: int) -> list[dict[str, Any]]:
        q = dict(query)
        if after:
            q["_id"] = {"$gt": after}
        docs = await self._db[HITS].find(q, HIDDEN).sort("_id", 1).limit(limit).to_list(None)
        return HIT.open_all(self._pii, docs)

    async def hit_figures(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """What the summary counts of each hit: rule, state, amount (fen), institution, source, month."""
        return await self._db[HITS].find(query, {"rule": 1, "state": 1, "amount_fen": 1, "institution_id": 1,
                                                 "source": 1, "month": 1}).to_list(None)

    async def decide(self, hit_id: str, changes: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        """open → the decision with review_hit.decided, in one write, once."""
        return await guarded_update(self._db[HITS], {"_id": hit_id, "state": "open"},
                                    {"$set": HIT.seal(self._pii, changes)}, events)

    # ---- submissions ----

    async def submission(self, submission_id: str) -> dict[str, Any] | None:
        return await self._db[SUBMISSIONS].find_one({"_id": submission_id}, HIDDEN)

    async def add_submission(self, doc: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        """The part reviewed, with claim_review.completed; False when it was recorded before."""
        try:
            await self._db[SUBMISSIONS].insert_one(with_events(doc, events) if events else doc)
        except DuplicateKeyError:
            return False
        return True
