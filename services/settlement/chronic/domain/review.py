"""A chronic month-end upload as smart review (智能审核) reads it, pure: each claim (a visit at a hospital, a purchase
at a pharmacy) with the person's sex and birth date from the identity number, each line with its item, date,
quantity, unit price, amount and days supply. A line's id in review is `<claim_id>|<line>` (claim ids never hold
"|"); on the statement it is the stored line `<institution>|<claim_id>|<line>`. What review's answers then do to
the lines (held, refused 拒付, released) is the review room's (services/settlement/review/domain/holds.py).

Choice (the person's accounts): a refused line's fund payment is not given back to the person's year account — the
refusal is between the fund and the institution (the person paid their share at the counter, and what the fund
refused is the institution's to bear); the line keeps the deductible and caps it used at adjudication."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chassis.money import fmt
from services.settlement.chronic.domain.records import LineIn
from services.settlement.review.domain.submissions import identity_facts

SOURCE = "chronic"


def line_id(claim_id: str, line: int) -> str:
    return f"{claim_id}|{line}"


def claim_kind(kind_of_institution: str) -> str:
    """A chronic claim is an outpatient visit (门诊) at a hospital, a purchase at a pharmacy."""
    return "pharmacy" if kind_of_institution == "pharmacy" else "outpatient"


def review_claims(lines: Sequence[LineIn], kind_of_institution: str) -> list[dict[str, Any]]:
    """The batch's claims (in upload order) as review reads them (events.proto ReviewClaim)."""
    claims: dict[str, list[LineIn]] = {}
    for ln in lines:
        claims.setdefault(ln.claim_id, []).append(ln)
    return [review_claim(c, claim_kind(kind_of_institution)) for c in claims.values()]


def review_claim(claim: Sequence[LineIn], kind: str) -> dict[str, Any]:
    first = claim[0]
    sex, born = identity_facts(first.person_id)
    return {"claim_id": first.claim_id, "person_id": first.person_id, "sex": sex, "birth_date": born,
            "kind": kind, "lines": [
                {"line_id": line_id(ln.claim_id, ln.line), "item_code": ln.item_code, "date": ln.date.isoformat(),
                 "quantity": str(ln.quantity), "unit_price": str(ln.price), "amount": fmt(ln.amount),
                 "days_supply": ln.days_supply or 0} for ln in claim]}
