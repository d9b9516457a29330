"""Carrier liability (承办方全额承担), called by the consumer of audit findings (handlers.py): a finding audit
marks as caused by the carrier (审核不严、人情鉴定 …:
由中标方全部承担) books its loss as a `carrier_liability` entry in the carrier's dedicated account — the carrier
pays the loss back from its own money (bank debited, carrier_liability credited; see domain/ledger.py). At year end
the deficit sharing leaves it out of the fee deduction and the 3 : 7 split (domain/year_end.py).

Once per finding: the entry id is `carrier_liability:<finding id>` (a redelivery, or the same finding in another
event, posts nothing more), besides the consumer's dedupe by event id. The tenant is the envelope's, which the
consumer already matched to its topic; it must also be one this deployment serves, and the books are that tenant's
only. Bad input (no finding id, an amount missing, zero, negative or of three decimals, no reason code, a date
that is not one) is a poison message naming the field: dead-lettered with the reason, nothing written."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from chassis.errors import InvalidInput, PoisonMessage
from chassis.money import parse_amount
from chassis.programs import program_of_tenant
from services.settlement.fund.domain import ledger as lg
from services.settlement.fund.service.account import Fund, finance_of

REASON_RE = re.compile(r"^[a-z][a-z_]{1,39}$")


def liability_entry(p: Any) -> tuple[int, lg.Entry] | None:
    """(fund year, entry) of a carrier-caused finding (`p`: the `finding.raised` payload); None for any other
    finding. PoisonMessage names the field."""
    if not p.carrier_caused:
        return None
    if not p.finding_id:
        raise PoisonMessage("finding.raised finding_id is missing")
    try:
        amount = parse_amount(p.amount, "amount") if p.amount else None
    except InvalidInput as exc:
        raise PoisonMessage(f"finding.raised {p.finding_id}: amount: {exc.message}") from exc
    if amount is None or amount <= 0:
        raise PoisonMessage(f"finding.raised {p.finding_id}: amount: a carrier-caused finding needs the loss as a "
                            f"positive amount, got {p.amount!r}")
    if not REASON_RE.match(p.carrier_reason):
        raise PoisonMessage(f"finding.raised {p.finding_id}: carrier_reason: a stable code such as lax_review is "
                            f"required, got {p.carrier_reason!r}")
    try:
        day = date.fromisoformat(p.raised_on)
    except ValueError as exc:
        raise PoisonMessage(f"finding.raised {p.finding_id}: raised_on is not a date: {p.raised_on!r}") from exc
    year = p.fund_year or day.year
    if not year <= day.year <= year + 1:
        raise PoisonMessage(f"finding.raised {p.finding_id}: fund_year: {year}'s books do not take a value date "
                            f"{day} (they run from {year}-01-01 to {year + 1}-12-31)")
    entry = lg.carrier_liability(f"carrier_liability:{p.finding_id}", day, amount,
                                 f"承办方全额承担 稽核发现 {p.finding_id} ({p.carrier_reason})", reference=p.finding_id)
    return year, entry




async def book_finding(fund: Fund, tenant: str, finding: Any, event_id: str) -> None:
    """Book a carrier-caused finding's loss in the tenant's books, once (by its entry id, in whichever year)."""
    planned = liability_entry(finding)
    if planned is None:
        return
    program = program_of_tenant(tenant)
    if program is None or not finance_of(program):
        return  # a program without dedicated-account books: nothing to book
    year, entry = planned
    if await fund.entry(tenant, entry.id) is not None:
        return  # booked before, in whichever year it went to
    if await fund.closed(tenant, program.code, year) and entry.date.year != year:
        year = entry.date.year  # the loss's year is closed: the carrier pays it back in the current year's books
    await fund.post(tenant, program.code, year, entry, f"audit finding {finding.finding_id}",
                    {"finding_id": finding.finding_id, "carrier_reason": finding.carrier_reason,
                     "event_id": event_id})
