"""Smart review's use cases on settlement's side (services/settlement/review/service.py, staged by the chronic
room's service/review.py), on the in-memory store: a batch staged in parts with claim_lines.submitted (once, however
often it is staged), audit's answers applied once (a redelivered claim_review.completed, a decision twice), a
decision arriving before the hold it decides (another topic) giving the same result, screening decisions and other
sources' answers left alone, and the close's gate with its counts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from chassis.errors import Conflict, PoisonMessage
from chassis.store.memory import MemoryStore
from contracts.v1 import events_pb2
from services.settlement.chronic.domain.records import LineIn
from services.settlement.chronic.service import review as chronic
from services.settlement.review import service as review
from services.settlement.review.store import HOLDS, PARTS

SID = "H01-2025-06"
MAN = "610702196001010531"


@pytest.fixture
def db() -> Any:
    return MemoryStore().database("settlement", "hz-p1")


def lines(claims: int, per_claim: int = 1) -> list[LineIn]:
    return [LineIn(n=i, claim_id=f"C{c}", line=k, person_id=MAN, date=date(2025, 6, 3), disease="DL",
                   amount=Decimal("8.00"), covered=True, item_code="S011")
            for i, (c, k) in enumerate(((c, k) for c in range(claims) for k in range(1, per_claim + 1)), start=1)]


def completed(batch: str, part: int, *holds: tuple[str, list[str]], source: str = "chronic"
              ) -> events_pb2.ClaimReviewCompleted:
    return events_pb2.ClaimReviewCompleted(
        batch_id=batch, part=part, parts=1, source=source, rule_set_version="r1", catalogue_version="c1",
        completed_at="2025-07-01T00:00:00+00:00",
        holds=[events_pb2.ReviewHold(hit_id=h, rule="duplicate_charge", claim_id="C0", line_ids=ids, amount="8.00")
               for h, ids in holds])


def decided(hit: str, decision: str, source: str = "chronic") -> events_pb2.ReviewHitDecided:
    return events_pb2.ReviewHitDecided(hit_id=hit, decision=decision, source=source, decided_by="rev-1",
                                       decided_at="2025-07-02T00:00:00+00:00")


async def test_a_batch_is_staged_in_parts_once(db: Any) -> None:
    summary = await chronic.stage(db, "hz-p1", "hz-chronic", "b1", SID, "H01", "2025-06", lines(3, 2), part_lines=2)
    assert (summary["state"], summary["parts"]) == ("pending", 3)
    again = await chronic.stage(db, "hz-p1", "hz-chronic", "b1", SID, "H01", "2025-06", lines(3, 2), part_lines=2)
    assert again["parts"] == 3 and await db[PARTS].count_documents({}) == 3
    part = await db[PARTS].find_one({"_id": "b1|0002"})
    (event,) = part["_outbox"]
    payload = events_pb2.ClaimLinesSubmitted()
    payload.ParseFromString(event["payload"])
    assert (payload.part, payload.parts, [c.claim_id for c in payload.claims]) == (2, 3, ["C1"])
    assert event["business_key"] == "b1"
    assert (await review.statement_review_of(db, SID)).pending_batches == ["b1"]


async def test_answers_apply_once_and_in_any_order(db: Any) -> None:
    await chronic.stage(db, "hz-p1", "hz-chronic", "b1", SID, "H01", "2025-06", lines(3))
    with pytest.raises(Conflict) as pending:
        await review.require_reviewed(db, SID)
    assert pending.value.code == "review_pending" and pending.value.params["pending_batches"] == "1"

    # h2's decision comes first (another topic): kept, and its hold joins it when the review arrives.
    assert await review.hit_decided(db, decided("h2", "dismiss"))
    assert await review.review_completed(db, completed("b1", 1, ("h1", ["C1|1"]), ("h2", ["C2|1"])))
    assert not await review.review_completed(db, completed("b1", 1, ("h1", ["C1|1"]), ("h2", ["C2|1"])))
    assert await db[HOLDS].count_documents({}) == 2
    found = await review.statement_review_of(db, SID)
    assert (found.pending_batches, found.held, found.open_hits) == ([], ["H01|C1|1"], 1)
    with pytest.raises(Conflict) as held:
        await review.require_reviewed(db, SID)
    assert held.value.params == {"pending_batches": "0", "held_lines": "1", "open_hits": "1", "refused_lines": "0"}

    assert await review.hit_decided(db, decided("h1", "confirm"))
    assert not await review.hit_decided(db, decided("h1", "dismiss"))  # decided once
    found = await review.require_reviewed(db, SID)
    assert found.refused == ["H01|C1|1"] and found.state_of("H01|C2|1") == "released"
    view = await review.batch_review(db, "b1", {"parts": 1})
    assert view is not None and view["state"] == "reviewed" and view["rule_set_version"] == "r1"
    assert {h["hit_id"]: h["state"] for h in view["hits"]} == {"h1": "confirmed", "h2": "dismissed"}


async def test_other_sources_and_unknown_parts(db: Any) -> None:
    await chronic.stage(db, "hz-p1", "hz-chronic", "b1", SID, "H01", "2025-06", lines(1))
    with pytest.raises(PoisonMessage):  # another source's answer for a chronic part
        await review.review_completed(db, completed("b1", 1, ("h9", ["X|1"]), source="critical"))
    assert not await review.hit_decided(db, decided("h9", "confirm", source="screening"))
    assert await db[HOLDS].count_documents({}) == 0
    with pytest.raises(PoisonMessage):
        await review.review_completed(db, completed("never-sent", 1))
    with pytest.raises(PoisonMessage):
        await review.hit_decided(db, decided("h1", "maybe"))
    assert await review.batch_review(db, "old", None) is None  # a batch sent before smart review
