"""settlement's consumer of audit findings: a finding audit marks as caused by the carrier (审核不严、人情鉴定 …:
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

from chassis.errors import InvalidInput, PoisonMessage
from chassis.events import Event
from chassis.identity import current_identity
from chassis.money import parse_yuan
from chassis.programs import program_of_tenant
from services.settlement.fund.domain import ledger as lg
from services.settlement.fund.service import account as fd

REASON_RE = re.compile(r"^[a-z][a-z_]{1,39}$")


def liability_entry(event: Event) -> tuple[int, lg.Entry] | None:
    """(fund year, entry) of a carrier-caused finding; None for any other finding. PoisonMessage names the field."""
    p = event.payload
    if not p.carrier_caused:
        return None
    if not p.finding_id:
        raise PoisonMessage("finding.raised finding_id is missing")
    try:
        amount = parse_yuan(p.amount, "amount") if p.amount else None
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


def on_finding_raised(fund: fd.Fund):
    async def handle(event: Event) -> None:
        tenant = event.tenant
        identity = current_identity.get(None)
        if tenant not in fund.served or (identity is not None and identity.tenant != tenant):
            raise PoisonMessage(f"finding.raised of tenant {tenant!r} is not for this consumer")
        planned = liability_entry(event)
        if planned is None:
            return
        program = program_of_tenant(tenant)
        if program is None or not fd.finance_of(program):
            return  # a program without dedicated-account books: nothing to book
        year, entry = planned
        store = fund.store(tenant)
        if await store.entry_doc(entry.id) is not None:
            return  # booked before, in whichever year it went to
        if await fund.closed(tenant, program.code, year) and entry.date.year != year:
            year = entry.date.year  # the loss's year is closed: the carrier pays it back in the current year's books
        await fund.post(tenant, program.code, year, entry, f"audit finding {event.payload.finding_id}",
                        {"finding_id": event.payload.finding_id, "carrier_reason": event.payload.carrier_reason,
                         "event_id": event.id})

    return handle
