"""What review's answers do to a statement's lines (拒付), pure.

A hit holds the lines it names (claim_review.completed's holds), each stored as `<institution>|<line id>`
(`line_key`; a chronic line id is `<claim_id>|<line>`). A line is **held** while an open hit holds it, **refused**
(拒付: it pays 0, reason `smart_review_refused` with the rule and the hit) once a hit holding it is confirmed —
whatever other hits say — and **released** when every hit holding it was dismissed: it then pays what adjudication
gave it. Nothing of a batch pays while its review is pending (a part not answered), nor any held line: the
statement does not close (`review_pending`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.settlement.review.domain.reasons import REASONS

PENDING, REVIEWED = "pending", "reviewed"
OPEN, CONFIRMED, DISMISSED = "open", "confirmed", "dismissed"
DECISIONS = {"confirm": CONFIRMED, "dismiss": DISMISSED}
HELD, REFUSED, RELEASED = "held", "refused", "released"
REFUSED_CODE = "smart_review_refused"
SCREENING = "screening"


def line_key(institution: str, review_line_id: str) -> str:
    """The stored line a review line id names (chronic: `<institution>|<claim_id>|<line>`, records.to_line_docs)."""
    return f"{institution}|{review_line_id}"


def refusal_reason(hit: Mapping[str, Any]) -> dict[str, Any]:
    """The reason a refused line carries (拒付), as data: the rule and the hit."""
    reason = REASONS.reason(REFUSED_CODE, f"拒付: smart review hit {hit['hit_id']} ({hit['rule']}) was confirmed",
                            rule=hit["rule"], hit_id=hit["hit_id"])
    return reason.to_json()


def refused_fen(payable_fen: int, hit_amount_fen: int, hit_lines_fen: int) -> int:
    """What a confirmed hit refuses of one of its lines (拒付): the hit's amount in question falls on its lines in
    proportion to what they claimed, and the fund refuses that share of what it would pay on the line —
    `payable × min(1, hit amount / the hit's lines claimed)`, rounded half up to the fen. A duplicate or a split stay
    refuses its lines whole (the hit's amount is theirs); an over-priced line only the excess above the item's
    maximum price (超标准收费: the standard price is still paid)."""
    if payable_fen <= 0 or hit_amount_fen <= 0 or hit_lines_fen <= 0:
        return 0
    if hit_amount_fen >= hit_lines_fen:
        return payable_fen
    return min(payable_fen, (2 * payable_fen * hit_amount_fen + hit_lines_fen) // (2 * hit_lines_fen))


def line_state(hits: Iterable[Mapping[str, Any]]) -> str:
    states = {h.get("state") for h in hits}
    if CONFIRMED in states:
        return REFUSED
    if OPEN in states:
        return HELD
    return RELEASED


@dataclass(frozen=True)
class LineReview:
    """What review says of one stored line: its state and the hits holding it."""

    state: str                      # held | refused | released
    hits: tuple[Mapping[str, Any], ...]

    @property
    def refusing(self) -> Mapping[str, Any] | None:
        """The confirmed hit that refuses the line (the first by hit id), None unless refused."""
        return next((h for h in self.hits if h.get("state") == CONFIRMED), None)

    def view(self) -> dict[str, Any]:
        out: dict[str, Any] = {"state": self.state, "hit_ids": [h["hit_id"] for h in self.hits],
                               "rules": sorted({h["rule"] for h in self.hits})}
        refusing = self.refusing
        if refusing is not None:
            out["reason_codes"] = [refusal_reason(refusing)]
        return out


@dataclass
class StatementReview:
    """A statement's lines as review left them: `lines` stored line key → LineReview (only lines some hit holds),
    `pending_batches` the batches whose review is not complete."""

    lines: dict[str, LineReview] = field(default_factory=dict)
    pending_batches: list[str] = field(default_factory=list)

    @property
    def held(self) -> list[str]:
        return sorted(k for k, r in self.lines.items() if r.state == HELD)

    @property
    def refused(self) -> list[str]:
        return sorted(k for k, r in self.lines.items() if r.state == REFUSED)

    @property
    def open_hits(self) -> int:
        return len({h["hit_id"] for r in self.lines.values() for h in r.hits if h.get("state") == OPEN})

    @property
    def blocking(self) -> bool:
        return bool(self.pending_batches or self.held)

    def state_of(self, key: str) -> str | None:
        found = self.lines.get(key)
        return found.state if found else None

    def counts(self) -> dict[str, int]:
        return {"pending_batches": len(self.pending_batches), "held_lines": len(self.held),
                "open_hits": self.open_hits, "refused_lines": len(self.refused)}


def statement_review(holds: Iterable[Mapping[str, Any]], pending_batches: Iterable[str]) -> StatementReview:
    """The statement's lines by the hits holding them (each hold names its stored line keys)."""
    by_line: dict[str, list[Mapping[str, Any]]] = {}
    for hold in sorted(holds, key=lambda h: h["hit_id"]):
        for key in hold.get("line_keys") or ():
            by_line.setdefault(key, []).append(hold)
    return StatementReview({k: LineReview(line_state(hs), tuple(hs)) for k, hs in by_line.items()},
                           sorted(set(pending_batches)))
