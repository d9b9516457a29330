"""What recovery reads of the critical illness room's collections to find the work a crash left half-done (read only).

Interim: these reads belong to the critical room (its store, behind its service); recovery asks them here until that
room answers them itself (critical/store.py names the collections: `ci_statements`, `ci_person_payables`,
`ci_payments`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

CI_STATEMENTS = "ci_statements"
CI_PERSON_PAYABLES = "ci_person_payables"
CI_PAYMENTS = "ci_payments"


class CriticalLeftovers:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def statements_in(self, statuses: Sequence[str]) -> list[dict[str, Any]]:
        """Critical illness statements in these states, by id (their status and who began closing them)."""
        return await self._db[CI_STATEMENTS].find(
            {"status": {"$in": list(statuses)}}, {"status": 1, "closing_by": 1}).sort("_id", 1).to_list(None)

    async def unpaid_payable_ids(self) -> list[str]:
        return [d["_id"] for d in await self._db[CI_PERSON_PAYABLES].find(
            {"status": "unpaid"}, {"_id": 1}).sort("_id", 1).to_list(None)]

    async def payment_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of these critical illness payments were issued."""
        found: set[str] = set()
        for start in range(0, len(ids), 1000):
            found |= {d["_id"] for d in await self._db[CI_PAYMENTS].find(
                {"_id": {"$in": list(ids[start:start + 1000])}}, {"_id": 1}).to_list(None)}
        return found
