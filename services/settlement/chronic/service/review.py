"""Smart review (智能审核) of chronic month-end batches: the batch's claims staged for audit through the review room
(services/settlement/review: parts, holds, the close's gate), and the statement's claims shown with what review
said of each line."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from decimal import Decimal
from typing import Any

from chassis.money import to_fen
from services.settlement.chronic.domain.records import LineIn, yuan
from services.settlement.chronic.domain.review import SOURCE, review_claims
from services.settlement.review import service as holds
from services.settlement.review.domain.holds import refused_fen
from services.settlement.review.service import PART_LINES, REFUSED, line_key


async def stage(db: Any, tenant: str, program: str, batch_id: str, sid: str, institution: str, month: str,
                lines: Sequence[LineIn], part_lines: int = PART_LINES) -> dict[str, Any]:
    """The batch's claims sent to review in parts (claim_lines.submitted, staged once): its review summary."""
    return await holds.stage(db, tenant, source=SOURCE, program=program, batch_id=batch_id, statement_id=sid,
                             institution=institution, month=month,
                             claims=review_claims(lines, holds.institution_kind(institution)), part_lines=part_lines)


async def with_review(db: Any, sid: str, claims: list[dict[str, Any]],
                      statement_lines: Callable[[], AsyncIterator[dict[str, Any]]]) -> list[dict[str, Any]]:
    """A statement's claims (as the store gives them) with each line some hit holds carrying its `review`: state
    (held | refused | released), the hits and, refused, the fund's part it no longer pays (its share of the confirmed
    hit's amount: review/domain/holds.py `refused_fen`, over every line of the hit on the statement,
    `statement_lines`) and the reason code."""
    found = await holds.statement_review_of(db, sid)
    if not found.lines:
        return claims
    hit_lines_fen: dict[str, int] = {}
    if found.refused:
        refused = set(found.refused)
        async for ln in statement_lines():
            if ln["_id"] in refused:
                hit_id = (found.lines[ln["_id"]].refusing or {}).get("hit_id", "")
                hit_lines_fen[hit_id] = hit_lines_fen.get(hit_id, 0) + ln["amount_fen"]
    out = []
    for claim in claims:
        institution = claim["_id"].split("|", 1)[0]
        lines = []
        for ln in claim["lines"]:
            line_review = found.lines.get(line_key(institution, f"{claim['claim_id']}|{ln['line']}"))
            if line_review is None:
                lines.append(ln)
                continue
            view = line_review.view()
            if line_review.state == REFUSED:
                hit = line_review.refusing or {}
                hit_fen = to_fen(Decimal(str(hit.get("amount") or "0")))
                view["refused"] = yuan(refused_fen(ln["payable_fen"], hit_fen,
                                                   hit_lines_fen.get(hit.get("hit_id", ""), 0)))
            lines.append({**ln, "review": view})
        out.append({**claim, "lines": lines})
    return out
