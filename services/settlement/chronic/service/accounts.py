"""A person's benefit accounts of a year (待遇累计), as HTTP and gRPC show them: the person's latest state and the
policy version the year is shown with, through the pure view (domain/accounts.py)."""

from __future__ import annotations

from typing import Any

from chassis.calendar import today_cn
from chassis.errors import NotFound
from services.settlement.chronic.domain.accounts import accumulator_view
from services.settlement.chronic.service.settler import Settler, program_for


async def accumulators_of(settler: Settler, tenant: str, person_id: str, year: int) -> dict[str, Any]:
    """A person's year: caps (from the policy), what the fund paid, the deductible used, per disease."""
    state = await settler.book.get(tenant, person_id)
    today = today_cn()
    try:
        policy = await settler.policies.for_year(tenant, program_for(tenant), year, today)
    except NotFound:
        policy = None
    return accumulator_view(person_id, year, state.holdings, state.accounts.get(str(year)) or {}, policy, today)
