"""settlement's consumer of audit findings: a finding audit marks as caused by the carrier (审核不严、人情鉴定 …:
由中标方全部承担) books its loss as a `carrier_liability` entry in the carrier's dedicated account — the carrier
pays the loss back from its own money (bank debited, carrier_liability credited; see domain/ledger.py). At year end
the deficit sharing leaves it out of the fee deduction and the 3 : 7 split (domain/year_end.py).

Once per finding: the entry id is `carrier_liability:<finding id>` (a redelivery, or the same finding in another
event, posts nothing more), besides the consumer's dedupe by event id. The tenant is the envelope's, which the
consumer already matched to its topic; it must also be one this deployment serves, and the books are that tenant's
only. Bad input (no finding id, an amount missing, zero, negative or of three decimals, no reason code, a date
that is not one) is a poison message naming the field: dead-lettered with the reason, nothing written.

It also consumes audit's `carrier_score.assessed`: the long-term care carrier's yearly score, kept with the year's
fee (service/ltc_fee.py)."""

from __future__ import annotations

from chassis.errors import PoisonMessage
from chassis.events import Event
from chassis.host import ServiceContext
from chassis.identity import current_identity
from services.settlement.fund.service import carrier_liability, ltc_fee
from services.settlement.fund.service.account import Fund


def on_finding_raised(fund: Fund):
    async def handle(event: Event) -> None:
        tenant = event.tenant
        identity = current_identity.get(None)
        if tenant not in fund.served or (identity is not None and identity.tenant != tenant):
            raise PoisonMessage(f"finding.raised of tenant {tenant!r} is not for this consumer")
        await carrier_liability.book_finding(fund, tenant, event.payload, event.id)

    return handle


def on_carrier_score_assessed(ctx: ServiceContext):
    """audit's yearly score of a long-term care carrier (绩效考核): kept with the year's fee, the newest revision only
    (idempotent: a redelivery or an older correction changes nothing). A tenant carrying no lot, or a payload without
    a year, a revision, a score of 0–100 or its dates, is a poison message naming it."""

    async def handle(event: Event) -> None:
        scope = ctx.scope_for(event)  # the event's tenant, served here (chassis/scope.py)
        await ltc_fee.keep_score(scope.db(), scope.tenant, event.payload, event.id)

    return handle
