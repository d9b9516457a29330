"""Care service records as smart review (智能审核) reads them, and what its answers do to a month's pricing. Pure.

- A record (护理服务记录) is a claim of its own (`claim_id` = the record id, the person's sex and birth date from the
  identity number) whose lines are its items (`<record id>|<item>`, quantity 1, on the record's day).
- (choice) A record is paid by its mode's rate (a visit, or a day), not item by item: review values each record at
  the rate of its plan's mode and grade, split evenly across its items (the last takes the odd fen), so a hit's
  amount in question is what the records it holds would cost. Two records of one day of a per-day mode are each
  valued at the day's rate: what the second would have added is nothing — review flags it (重复收费, 超量) for a
  reviewer, who may dismiss it.
- (choice) A record is the unit paid: it is **refused** (拒付: left out of the month's pricing, reason
  `smart_review_refused`) when a confirmed hit holds any of its items, and **held** while an open hit holds any of
  them (the statement does not close); released otherwise."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from chassis.money import yuan
from services.settlement.review.domain.holds import HELD, REFUSED, StatementReview, line_key, refusal_reason
from services.settlement.review.domain.submissions import identity_facts

SOURCE = "care"


def item_values(value_fen: int, items: Sequence[str]) -> list[int]:
    """A record's value split across its items, in fen: even shares, the last taking the remainder."""
    if not items:
        return []
    share = value_fen // len(items)
    return [share] * (len(items) - 1) + [value_fen - share * (len(items) - 1)]


def review_claim(record_id: str, person_id: str, day: str, items: Sequence[str], value_fen: int) -> dict[str, Any]:
    """One record as review reads it (events.proto ReviewClaim)."""
    sex, born = identity_facts(person_id)
    lines = []
    for item, fen in zip(items, item_values(value_fen, items), strict=True):
        price = yuan(fen)
        lines.append({"line_id": f"{record_id}|{item}", "item_code": item, "date": day, "quantity": "1",
                      "unit_price": price, "amount": price, "days_supply": 0})
    return {"claim_id": record_id, "person_id": person_id, "sex": sex, "birth_date": born, "kind": "outpatient",
            "lines": lines}


def record_states(review: StatementReview, institution_key: str, records: Iterable[Mapping[str, Any]]
                  ) -> dict[str, tuple[str, Mapping[str, Any] | None]]:
    """record id → (held | refused, the confirmed hit refusing it) for the records some hit holds; `records` the
    stored records (`_id`, `items`)."""
    out: dict[str, tuple[str, Mapping[str, Any] | None]] = {}
    for d in records:
        states = [review.lines[k] for k in (line_key(institution_key, f"{d['_id']}|{item}") for item in d["items"])
                  if k in review.lines]
        refusing = next((r.refusing for r in states if r.state == REFUSED), None)
        if refusing is not None:
            out[d["_id"]] = (REFUSED, refusing)
        elif any(r.state == HELD for r in states):
            out[d["_id"]] = (HELD, None)
    return out


def refusal_view(record: Mapping[str, Any], hit: Mapping[str, Any]) -> dict[str, Any]:
    """A refused record as its statement shows it."""
    return {"record_id": record["_id"], "date": record["date"], "items": list(record["items"]),
            "hit_id": hit["hit_id"], "rule": hit["rule"], "reason_codes": [refusal_reason(hit)]}
