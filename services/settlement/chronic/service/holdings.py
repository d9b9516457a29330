"""Holdings brought in by ops (data migration, benchmarks): every row checked against the diseases of the program's
policy versions, then each person's new qualifications added (idempotent by qualification id). New qualifications
normally arrive as appraisal's qualification.granted events (handlers.py)."""

from __future__ import annotations

from typing import Any

from chassis.errors import InvalidInput
from services.settlement.chronic.domain.holdings import add_holdings, imported_holdings
from services.settlement.chronic.service.settler import Settler, program_code

MAX_HOLDINGS = 200_000


async def import_holdings(settler: Settler, tenant: str, rows: Any, who: str) -> dict[str, Any]:
    if not isinstance(rows, list) or not rows:
        raise InvalidInput("holdings must be a non-empty list", "holdings")
    if len(rows) > MAX_HOLDINGS:
        raise InvalidInput(f"at most {MAX_HOLDINGS} holdings per request", "holdings")
    versions = await settler.policies.versions(tenant, program_code(tenant), fresh=True)
    known = set().union(*(set(p.diseases) for p in versions)) if versions else set()
    by_person = imported_holdings(rows, known)
    changed = await settler.change_holdings(tenant, {p: add_holdings(h) for p, h in by_person.items()},
                                            f"import by {who}")
    return {"received": sum(len(h) for h in by_person.values()), "persons": len(by_person),
            "persons_changed": changed}
