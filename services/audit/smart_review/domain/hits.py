"""A hit (审核疑点): the rule that flagged it, the claim it is charged to, the lines it covers, the amount in question
(yuan, two places) and the reason (code = the rule, a detail naming the item, dates and limits — never the person)."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chassis.reasons import Reason
from services.audit.smart_review.domain.rules import RULES


@dataclass(frozen=True, slots=True)
class Hit:
    rule: str
    claim_id: str
    line_ids: tuple[str, ...]
    amount: Decimal
    reason: Reason

    @property
    def hit_id(self) -> str:
        """`<rule>-<sha256(rule|claim|sorted line ids)[:20]>`: the same data reviewed again gives the same id."""
        digest = hashlib.sha256("|".join((self.rule, self.claim_id, *sorted(self.line_ids))).encode()).hexdigest()
        return f"{self.rule}-{digest[:20]}"

    def to_json(self) -> dict[str, Any]:
        return {"hit_id": self.hit_id, "rule": self.rule, "claim_id": self.claim_id, "line_ids": list(self.line_ids),
                "amount": f"{self.amount:.2f}", "reason": self.reason.to_json()}


def summary(hits: Iterable[Hit]) -> dict[str, int]:
    """Hits per rule, every rule listed (in the rules' order), 0 for a rule without hits."""
    counts = Counter(hit.rule for hit in hits)
    return {code: counts.get(code, 0) for code in RULES}
