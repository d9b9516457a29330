"""Smart review (智能审核) on settlement's side, for every room that pays uploads (domain/holds.py says what the
states mean):

- `stage` — an accepted upload's parts, each with its `claim_lines.submitted`, written before the upload is marked
  done: from then on its review is pending and nothing of its statement closes until audit answers.
- `review_completed` (claim_review.completed) — the part reviewed, the lines its hits hold recorded; when every
  part is in, the batch is `reviewed` (read from the parts, never stored apart: an answer arriving before the upload
  is marked done counts).
- `hit_decided` (review_hit.decided) — a confirmed hit refuses (拒付) the lines it holds, a dismissed one releases
  them unless another open hit holds them.
- `statement_review_of` / `require_reviewed` — what a statement's close, totals and views read: the lines held and
  refused, the batches pending; a close while anything is pending or held is 409 `review_pending` with the counts.

Handlers are idempotent twice over: the consumer records each event id it applied, and each write here is guarded by
what the event names (a part reviewed once, a hold decided once). Screening hits (audit's own imports) hold nothing
here: their decisions are left alone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from chassis.errors import Conflict, PoisonMessage
from chassis.events import derived_event_id, new_event
from chassis.outbox import with_events
from chassis.telemetry import current_carrier
from contracts.v1 import events_pb2
from services.settlement.review.domain.holds import (
    CONFIRMED,
    DECISIONS,
    HELD,
    OPEN,
    PENDING,
    REFUSED,
    RELEASED,
    REVIEWED,
    SCREENING,
    LineReview,
    StatementReview,
    line_key,
    statement_review,
)
from services.settlement.review.domain.submissions import PART_LINES, identity_facts, institution_kind, parts
from services.settlement.review.store import OUTBOX, ReviewStore

__all__ = ["CONFIRMED", "HELD", "OPEN", "OUTBOX", "PART_LINES", "REFUSED", "RELEASED", "LineReview", "StatementReview",
           "batch_review", "ensure_indexes", "hit_decided", "identity_facts", "institution_kind", "line_key",
           "require_reviewed", "review_completed", "stage", "statement_review_of"]


def _now() -> str:
    return datetime.now(UTC).isoformat()


def part_id(batch_id: str, part: int) -> str:
    return f"{batch_id}|{part:04d}"


async def ensure_indexes(db: Any) -> None:
    await ReviewStore(db).ensure_indexes()


async def stage(db: Any, tenant: str, *, source: str, program: str, batch_id: str, statement_id: str,
                institution: str, month: str, claims: Sequence[Mapping[str, Any]],
                part_lines: int = PART_LINES) -> dict[str, Any]:
    """The upload's review claims (events.proto ReviewClaim as dicts: claim_id, person_id, sex, birth_date, kind,
    stay dates, settled_at, lines) in parts with their claim_lines.submitted (ids derived from the batch and the
    part, so a resumed upload stages the same events, once). Returns the review summary (pending, with its parts)."""
    kind = institution_kind(institution)
    cut = parts(claims, part_lines)
    now, carrier = _now(), current_carrier()
    docs = []
    for n, part in enumerate(cut, start=1):
        payload = events_pb2.ClaimLinesSubmitted(
            batch_id=batch_id, part=n, parts=len(cut), program=program, source=source, institution_id=institution,
            institution_kind=kind, month=month, submitted_at=now,
            claims=[events_pb2.ReviewClaim(**c) for c in part])
        event = new_event("claim_lines.submitted", tenant, batch_id, payload, source="settlement",
                          trace_context=carrier,
                          event_id=derived_event_id(batch_id, "claim_lines.submitted", str(n)))
        docs.append(with_events({"_id": part_id(batch_id, n), "source": source, "batch_id": batch_id,
                                 "statement_id": statement_id, "institution_code": institution, "month": month,
                                 "part": n, "parts": len(cut), "claims": len(part),
                                 "lines": sum(len(c["lines"]) for c in part), "state": PENDING,
                                 "submitted_at": now}, [event]))
    await ReviewStore(db).add_parts(docs)
    return {"state": PENDING, "parts": len(cut), "submitted_at": now}


async def review_completed(db: Any, payload: Any) -> bool:
    """claim_review.completed → the part reviewed and the lines its hits hold. False when the part was reviewed
    before."""
    batch_id = payload.batch_id
    if not batch_id or payload.part < 1:
        raise PoisonMessage("claim_review.completed lacks batch_id or part")
    store = ReviewStore(db)
    part = await store.part(part_id(batch_id, payload.part))
    if part is None or part.get("source", payload.source) != payload.source:
        raise PoisonMessage(f"claim_review.completed for a part settlement never sent ({payload.source} "
                            f"{batch_id} part {payload.part})")
    institution, sid = part["institution_code"], part["statement_id"]
    at = payload.completed_at or _now()
    holds = []
    for h in payload.holds:
        if not h.hit_id or not h.line_ids:
            raise PoisonMessage("a hold of claim_review.completed lacks hit_id or line_ids")
        holds.append({"_id": h.hit_id, "hit_id": h.hit_id, "rule": h.rule, "claim_id": h.claim_id,
                      "line_ids": list(h.line_ids), "line_keys": [line_key(institution, x) for x in h.line_ids],
                      "amount": h.amount, "source": payload.source, "statement_id": sid, "batch_id": batch_id,
                      "part": payload.part, "institution_code": institution, "month": part["month"], "state": OPEN,
                      "rule_set_version": payload.rule_set_version, "catalogue_version": payload.catalogue_version,
                      "held_at": at})
    await store.add_holds(holds)  # before the part is marked: a crash between them is redone whole
    return await store.mark_reviewed(part["_id"], {"state": REVIEWED, "reviewed_at": at, "hits": len(holds),
                                                   "rule_set_version": payload.rule_set_version,
                                                   "catalogue_version": payload.catalogue_version})


async def hit_decided(db: Any, payload: Any) -> bool:
    """review_hit.decided → the hold confirmed (its lines refused) or dismissed (released unless another open hit
    holds them). False when it was decided before, or is a screening hit (it holds nothing here)."""
    if payload.source == SCREENING:
        return False
    state = DECISIONS.get(payload.decision)
    if not payload.hit_id or state is None:
        raise PoisonMessage(f"review_hit.decided lacks hit_id or has decision {payload.decision!r}")
    return await ReviewStore(db).decide(payload.hit_id, state, {
        "decision": payload.decision, "decided_at": payload.decided_at, "decided_by": payload.decided_by})


async def statement_review_of(db: Any, sid: str) -> StatementReview:
    store = ReviewStore(db)
    return statement_review(await store.holds_of_statement(sid), await store.pending_batches(sid))


async def require_reviewed(db: Any, sid: str) -> StatementReview:
    """The statement's review, when nothing of it is pending or held; else 409 `review_pending` with the counts."""
    review = await statement_review_of(db, sid)
    if review.blocking:
        counts = review.counts()
        raise Conflict(f"statement {sid} cannot close yet: {counts['pending_batches']} batch(es) still under smart "
                       f"review, {counts['held_lines']} line(s) held by {counts['open_hits']} open hit(s) a reviewer "
                       "has not decided", "review", code="review_pending",
                       params={k: str(v) for k, v in counts.items()})
    return review


async def batch_review(db: Any, batch_id: str, summary: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """An upload's review as its view shows it: state (pending until every part is answered), parts, the rule set
    and catalogue versions it was reviewed with, and its hits (open, confirmed, dismissed). None for an upload sent
    before smart review (`summary` absent: nothing to wait for)."""
    if not summary:
        return None
    store = ReviewStore(db)
    found = await store.parts_of_batch(batch_id)
    holds = await store.holds_of_batch(batch_id)
    reviewed = [p for p in found if p["state"] == REVIEWED]
    done = bool(found) and len(reviewed) == len(found)
    last = max(reviewed, key=lambda p: p.get("reviewed_at", "")) if reviewed else {}
    return {"state": REVIEWED if done else PENDING, "parts": len(found), "parts_reviewed": len(reviewed),
            "submitted_at": summary.get("submitted_at"), "reviewed_at": last.get("reviewed_at") if done else None,
            "rule_set_version": last.get("rule_set_version", ""),
            "catalogue_version": last.get("catalogue_version", ""),
            "hits": [{"hit_id": h["hit_id"], "rule": h.get("rule", ""), "claim_id": h.get("claim_id", ""),
                      "line_ids": h.get("line_ids", []), "amount": h.get("amount", ""), "state": h["state"]}
                     for h in holds if "line_ids" in h]}
