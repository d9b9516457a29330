"""intake's appraisal-event handler after a crash: a process killed after noting an outcome on the applicant's
timeline but before queuing the notification gets the event again; the redelivery must still notify — once."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from chassis.store.memory import MemoryStore
from contracts.v1 import events_pb2
from services.intake.applications.domain.application import timeline_entry
from services.intake.applications.handlers import on_appraisal_event
from services.intake.applications.store import ApplicationStore
from services.intake.notifications.service import OutboxNotifier
from services.intake.notifications.store import NotificationStore
from tests.unit.audit.builders import event, qualification

TENANT, APP, PERSON = "hz-p1", "app-q1", "610702195803120012"


@pytest.fixture
def world() -> tuple[Any, Any]:
    store = MemoryStore()

    def db(tenant: str) -> Any:
        return store.database("intake", tenant)

    # The handler opens the event's tenant through its scope (ctx.scope_for(event).db()).
    ctx = SimpleNamespace(db=db, scope_for=lambda event: SimpleNamespace(db=lambda: db(event.tenant)))
    return ctx, ctx.db(TENANT)


def filed_event() -> Any:
    q = qualification("q1", PERSON, "HTN", "2026-03-02")
    return event("qualification.filed", events_pb2.QualificationFiled(qualification=q, filing_serial="SN0001"),
                 tenant=TENANT, key=PERSON)


async def notes(db: Any) -> list[dict[str, Any]]:
    return await NotificationStore(db).notifications(PERSON, 100)


async def test_a_redelivered_outcome_noted_before_the_kill_still_notifies_once(world: tuple[Any, Any]) -> None:
    ctx, db = world
    await db.applications.insert_one({"_id": APP, "person_id": PERSON, "phone": None, "program": "hz-chronic",
                                      "diseases": ["HTN"], "status": "approved", "timeline": [],
                                      "seen_events": []})
    ev = filed_event()
    # The first delivery got as far as the timeline, then the process died.
    assert await ApplicationStore(db).note_on_timeline(APP, ev.id, {"status": "filed"},
                                                  timeline_entry("filed", "2026-03-03T00:00:00+00:00", "filing"))
    assert [n["template"] for n in await notes(db)] == []

    handle = on_appraisal_event(ctx, OutboxNotifier(ctx.db))  # type: ignore[arg-type]
    await handle(ev)
    await handle(ev)  # and once more: nothing doubles

    assert [n["template"] for n in await notes(db)] == ["filed"]
    app = await db.applications.find_one({"_id": APP})
    assert app["seen_events"] == [ev.id]
    assert [t["status"] for t in app["timeline"]] == ["filed"]
