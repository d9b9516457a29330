"""settlement's consumer of `finding.raised`: a carrier-caused finding books `carrier_liability` in that carrier's
dedicated account, once; another tenant's event never books; bad input is dead-lettered naming the field and
writes nothing. Run through the chassis consumer on the in-memory bus and store."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest

from chassis.bus.memory import MemoryBus
from chassis.bus.port import BusMessage
from chassis.consumer import EventConsumer, Subscription
from chassis.errors import PoisonMessage
from chassis.events import decode, encode, new_event, topic_for
from chassis.store.memory import MemoryStore
from contracts.v1 import events_pb2
from services.settlement.fund.handlers import on_finding_raised
from services.settlement.fund.service import account as fd

PERSON = "610702196001010310"


def finding(tenant: str, fid: str = "F-1", **fields: Any) -> dict[str, Any]:
    payload = {"finding_id": fid, "person_id": PERSON, "kind": "desk_review", "description": "审核不严",
               "amount": "1200.00", "raised_at": "2025-06-03T02:00:00+00:00", "carrier_caused": True,
               "carrier_reason": "lax_review", "raised_on": "2025-06-03", **fields}
    return new_event("finding.raised", tenant, fid, events_pb2.FindingRaised(**payload), source="audit",
                     trace_context={})


class Rig:
    def __init__(self, served: tuple[str, ...] = ("hz-p1", "hz-p2")) -> None:
        self.bus, self.store = MemoryBus(), MemoryStore()
        self.fund = fd.Fund(lambda t: self.store.database("settlement", t), served)
        self.consumer = EventConsumer("settlement", self.bus, self.store, served,
                                      [Subscription("finding.raised", on_finding_raised(self.fund))])

    async def deliver(self, topic_tenant: str, *events: dict[str, Any]) -> None:
        for e in events:
            await self.consumer.process(BusMessage(topic_for(topic_tenant, "finding.raised"), "k", encode(e)))

    async def entries(self, tenant: str) -> list[dict[str, Any]]:
        return await self.store.database("settlement", tenant)[fd.LEDGER_ENTRIES].find({}).to_list(None)

    def dead(self, tenant: str) -> list[str]:
        return [m.headers["dlq-reason"] for m in self.bus.messages(f"{tenant}.settlement.dead-letter")]


async def test_a_carrier_caused_finding_books_the_loss_once_in_that_carriers_account() -> None:
    rig = Rig()
    event = finding("hz-p1")
    await rig.deliver("hz-p1", event, event)  # a redelivery
    await rig.deliver("hz-p1", finding("hz-p1", description="the same finding, published again"))
    [doc] = await rig.entries("hz-p1")
    assert (doc["_id"], doc["kind"], doc["year"], doc["date"], doc["reference"]) == (
        "carrier_liability:F-1", "carrier_liability", 2025, "2025-06-03", "F-1")
    assert [(p["account"], p["debit_fen"], p["credit_fen"]) for p in doc["postings"]] == [
        ("bank", 120000, 0), ("carrier_liability", 0, 120000)]
    assert (doc["finding_id"], doc["carrier_reason"], doc["event_id"]) == ("F-1", "lax_review",
                                                                          decode(encode(event)).id)
    book = await rig.fund.book("hz-p1", "hz-chronic", 2025)
    assert book.normal_balance("carrier_liability") == D("1200.00") and book.trial_balance()["balanced"]
    assert await rig.entries("hz-p2") == [] and rig.dead("hz-p1") == []


async def test_a_finding_not_caused_by_the_carrier_books_nothing_and_a_fund_year_is_honoured() -> None:
    rig = Rig()
    await rig.deliver("hz-p1", finding("hz-p1", "F-2", carrier_caused=False, carrier_reason=""))
    assert await rig.entries("hz-p1") == []
    # Raised in January 2026 about 2025's benefits: 2025's books, value date in January 2026.
    await rig.deliver("hz-p1", finding("hz-p1", "F-3", raised_on="2026-01-12", fund_year=2025))
    [doc] = await rig.entries("hz-p1")
    assert (doc["year"], doc["date"]) == (2025, "2026-01-12")


async def test_another_tenants_finding_never_books_here() -> None:
    rig = Rig(served=("hz-p1",))
    # An hz-p2 envelope on hz-p1's topic: refused by the consumer, parked with the reason.
    await rig.deliver("hz-p1", finding("hz-p2", "F-4"))
    assert "does not match topic tenant" in rig.dead("hz-p1")[0]
    # Handed straight to the handler, an event of a tenant this deployment does not serve is poison.
    with pytest.raises(PoisonMessage, match="not for this consumer"):
        await on_finding_raised(rig.fund)(decode(encode(finding("hz-p2", "F-5"))))
    assert rig.consumer.topics() == [topic_for("hz-p1", "finding.raised")]
    assert await rig.entries("hz-p1") == [] and await rig.entries("hz-p2") == []
    # Serving both: hz-p2's finding books in hz-p2's account only.
    both = Rig()
    await both.deliver("hz-p2", finding("hz-p2", "F-6"))
    assert [d["_id"] for d in await both.entries("hz-p2")] == ["carrier_liability:F-6"]
    assert await both.entries("hz-p1") == []


@pytest.mark.parametrize("fields, words", [
    ({"amount": ""}, "amount"),
    ({"amount": "0.00"}, "amount: a carrier-caused finding needs the loss as a positive amount"),
    ({"amount": "-5.00"}, "amount: a carrier-caused finding needs the loss as a positive amount"),
    ({"amount": "1.005"}, "amount: amount has more than two decimals"),
    ({"amount": "abc"}, "amount: amount is not a number"),
    ({"carrier_reason": ""}, "carrier_reason"),
    ({"raised_on": "03/06/2025"}, "raised_on is not a date"),
    ({"fund_year": 2023}, "fund_year"),
    ({"finding_id": ""}, "finding_id"),
])
async def test_bad_input_is_dead_lettered_naming_the_field_and_writes_nothing(fields: dict[str, Any],
                                                                              words: str) -> None:
    rig = Rig()
    await rig.deliver("hz-p1", finding("hz-p1", "F-7", **fields))
    [reason] = rig.dead("hz-p1")
    assert words in reason
    assert await rig.entries("hz-p1") == [] and await rig.entries("hz-p2") == []
    assert await rig.fund.store("hz-p1").head_doc("hz-chronic", 2025) is None


async def test_a_closed_years_loss_is_paid_back_in_the_current_years_books() -> None:
    rig = Rig()
    await rig.store.database("settlement", "hz-p1")[fd.FUND_YEARS].insert_one({"_id": "hz-chronic|2025"})
    await rig.deliver("hz-p1", finding("hz-p1", "F-8", raised_on="2026-02-02", fund_year=2025))
    [doc] = await rig.entries("hz-p1")
    assert (doc["year"], doc["date"]) == (2026, date(2026, 2, 2).isoformat())
