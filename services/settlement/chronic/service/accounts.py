"""A person's benefit accounts of a year (待遇累计), as HTTP and gRPC show them: the person's latest state and the
policy version the year is shown with, through the pure view (domain/accounts.py)."""

from __future__ import annotations

from typing import Any

from chassis.access import Access, Reader, record_access
from chassis.calendar import today_cn
from chassis.errors import NotFound
from services.settlement.chronic.domain.accounts import accumulator_view
from services.settlement.chronic.service.settler import Settler, program_for

SERVICE = "settlement"


async def accumulators_of(settler: Settler, tenant: str, person_id: str, year: int) -> dict[str, Any]:
    """A person's year: caps (from the policy), what the fund paid, the deductible used, per disease."""
    state = await settler.book.get(tenant, person_id)
    today = today_cn()
    try:
        policy = await settler.policies.for_year(tenant, program_for(tenant), year, today)
    except NotFound:
        policy = None
    return accumulator_view(person_id, year, state.holdings, state.accounts.get(str(year)) or {}, policy, today)


async def read_accumulators(settler: Settler, db: Any, reader: Reader, person_id: str, year: int,
                            channel: str = "http") -> dict[str, Any]:
    """A person's year as `accumulators_of` answers it, for a reader: the read is recorded (查阅记录,
    settlement.person.accessed) before it is answered."""
    view = await accumulators_of(settler, reader.tenant, person_id, year)
    await record_access(db, SERVICE, reader, Access(person_id, "account", f"chronic:{year}"), channel)
    return view
