"""The review (智能审核): every enabled rule over the claims, the hits in a stable order.

    hits = review(settings, catalogue, claims, new=None)

`new` is the set of claim ids under review: when given, the other claims are history (the person's earlier stays
and drugs, the pharmacy's other settlements) and only hits touching at least one line of a new claim are returned —
computed over just the persons and pharmacies of the new claims, so a small upload against a large history costs
about the upload. Without it every claim is new."""

from __future__ import annotations

from collections.abc import Iterable

from services.audit.smart_review.domain.catalogue import Catalogue
from services.audit.smart_review.domain.checks import CHECKS, Book
from services.audit.smart_review.domain.claims import Claim
from services.audit.smart_review.domain.hits import Hit, summary
from services.audit.smart_review.domain.rules import RULES, Settings

__all__ = ["Hit", "review", "summary"]

_RANK = {code: i for i, code in enumerate(RULES)}


def review(settings: Settings, catalogue: Catalogue, claims: Iterable[Claim],
           new: Iterable[str] | None = None) -> list[Hit]:
    """The hits of the enabled rules, ordered by rule (in RULES' order), claim id, then line ids."""
    book = Book.build(catalogue, claims, new, settings.pooling_minutes)
    hits: list[Hit] = []
    for code, check in CHECKS.items():
        if code in settings.rules:
            hits.extend(check(book, settings))
    if book.new is not None:
        fresh = book.new
        new_lines = {line.line_id for claim in book.claims if claim.claim_id in fresh for line in claim.lines}
        hits = [h for h in hits if h.claim_id in fresh or any(lid in new_lines for lid in h.line_ids)]
    hits.sort(key=lambda h: (_RANK[h.rule], h.claim_id, h.line_ids))
    return hits
