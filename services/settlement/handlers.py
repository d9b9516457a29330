"""settlement's event handlers: a granted qualification opens the person's benefit account."""

from __future__ import annotations

from chassis.events import Event
from chassis.host import ServiceContext
from services.settlement.domain.accumulator import open_account
from services.settlement.store import SettlementStore


def on_qualification_granted(ctx: ServiceContext):
    async def handle(event: Event) -> None:
        await SettlementStore(ctx.db(event.tenant)).open_account(open_account(event.payload.qualification))

    return handle
