"""Smart review (智能审核) of critical illness claims with item lines (domain/review.py): an upload's new claims
with lines staged for audit through the review room (services/settlement/review `stage`: one batch per institution
and month of the upload, source `critical`, kept under the month's first statement), and what review's answers do
to a statement: the close's gate (409 `review_pending`, as for chronic statements) and the refusals (拒付) of the
confirmed hits on the statement's claims. Manual reimbursements (零星报销, paid to persons) carry no lines: they are
not reviewed."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chassis.money import parse_amount, to_fen
from chassis.programs import Program
from services.settlement.critical.domain import review as cr
from services.settlement.critical.domain.claims import claim_key
from services.settlement.critical.domain.statements import statement_month
from services.settlement.review import service as holds
from services.settlement.review.domain.holds import CONFIRMED

if TYPE_CHECKING:
    from services.settlement.critical.service.claims import ClaimIn
    from services.settlement.critical.store import CriticalStore

PROGRAM = "qz-critical"


async def stage_review(db: Any, tenant: str, program: Program | None, claims: Sequence[ClaimIn]) -> list[str]:
    """Stage the claims (those with lines, not stored before) for review, one batch per institution and month;
    returns the batch ids."""
    groups: dict[tuple[str, str], list[ClaimIn]] = {}
    for c in claims:
        if c.lines and c.source != "manual" and c.institution_code:
            groups.setdefault((c.institution_code, statement_month(c.date)), []).append(c)
    out = []
    for (institution, month), group in sorted(groups.items()):
        batch = cr.batch_id(institution, month, (c.key for c in group))
        await holds.stage(db, tenant, source=cr.SOURCE, program=program.code if program else PROGRAM,
                          batch_id=batch, statement_id=cr.review_statement_id(institution, month),
                          institution=institution, month=month,
                          claims=[cr.review_claim(c.claim_id, c.person_id, c.care, institution, c.lines)
                                  for c in group])
        out.append(batch)
    return out


async def require_reviewed(store: CriticalStore, institution: str, month: str) -> None:
    """409 `review_pending` (with the counts) while a claim of the institution-month is under review or held."""
    await holds.require_reviewed(store.db, cr.review_statement_id(institution, month))


async def review_state(store: CriticalStore, institution: str, month: str) -> dict[str, int]:
    return (await holds.statement_review_of(store.db, cr.review_statement_id(institution, month))).counts()


async def refusals(store: CriticalStore, institution: str, month: str, on_statement: Sequence[Any]
                   ) -> list[dict[str, Any]]:
    """The refusals (拒付) of the statement's claims (its lines, domain/statements.py Line) by the confirmed hits of
    the institution-month (domain/review.py `refusals`)."""
    found = await holds.statement_review_of(store.db, cr.review_statement_id(institution, month))
    confirmed = {h["hit_id"]: h for r in found.lines.values() for h in r.hits if h.get("state") == CONFIRMED}
    if not confirmed:
        return []
    named = {lid.split("|", 1)[0] for h in confirmed.values() for lid in h.get("line_ids") or ()}
    docs = await store.claims_by_ids(claim_key(institution, cid) for cid in named)
    facts = {}
    for doc in docs.values():
        facts[doc["claim_id"]] = cr.ClaimFacts(
            int(doc.get("payable_fen", 0)), to_fen(parse_amount(doc["total_cost"])),
            {ln["line_id"]: to_fen(Decimal(ln["amount"])) for ln in doc.get("lines") or ()})
    return cr.refusals(confirmed.values(), facts, [ln.claim_id for ln in on_statement])
