"""settlement's long-term care consumer of the registry (institution.changed): the registry is every program's, so a
fund-supervision tenant's hospital (km-sv) is passed over — not written, not parked as poison — while a malformed
event is still poison."""

from __future__ import annotations

from typing import Any

import pytest

from chassis.errors import PoisonMessage
from chassis.events import Event
from contracts.v1 import events_pb2
from services.settlement.care import handlers
from tests.unit.audit.builders import event


class Ctx:
    class settings:
        service, tenants = "settlement", ("km-sv", "wz-b")

    def scope_for(self, ev: Event) -> Any:
        from chassis.scope import event_scope

        return event_scope(ev.tenant, "settlement", frozenset(self.settings.tenants), lambda *a: None)


class Care:
    def __init__(self) -> None:
        self.changed: list[Any] = []

    @staticmethod
    def serves(tenant: str) -> None:
        from services.settlement.care.service.care import serves

        serves(tenant)

    async def institution_changed(self, *args: Any) -> None:
        self.changed.append(args)


async def test_another_programs_institution_is_passed_over() -> None:
    care = Care()
    handle = handlers.on_institution_changed(Ctx(), care)  # type: ignore[arg-type]
    hospital = events_pb2.InstitutionChanged(institution_id="KM-H001", kind="hospital", level="一级",
                                             status="designated", agreement_from="2024-01-01")
    await handle(event("institution.changed", hospital, tenant="km-sv", key="KM-H001"))
    assert care.changed == []
    with pytest.raises(PoisonMessage):
        await handle(event("institution.changed", events_pb2.InstitutionChanged(kind="hospital"), tenant="km-sv"))
