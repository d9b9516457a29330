"""Tips (举报) at intake's complaints door, on the in-memory adapters: a clerk (or the person online) files a tip naming
the designated institution, anonymously or not; complaint.filed carries the institution and the tip's words (for
audit's lead) but never the tip-giver's name or phone; name and phone are sealed at rest; an anonymous tip-giver who
left no phone is told nothing when it is answered, one who left a phone is; a tip without an institution, or in a
program that takes no tips (hz-p1), is refused with its code and field and nothing written; consultations and
complaints keep naming their person; another tenant cannot answer the tip (404)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chassis.bus.memory import MemoryBus
from chassis.config import Settings
from chassis.events import Event, decode, topic_for
from chassis.host import ServiceHost
from chassis.store.memory import MemoryStore
from services.archive.person_files.domain.person_file import entries_for
from services.intake.main import SPEC
from tests.conftest import PERSON_A, auth
from tests.support.pii_scan import scan_stores

TENANTS = ("km-sv", "hz-p1")
TIP = {"kind": "tip", "subject": "药店串换药品", "institution_id": "KM-P001", "detail": "用医保卡买了化妆品"}
NAME, PHONE = "李举报", "13912345678"


class Rig:
    def __init__(self, host: ServiceHost, http: httpx.AsyncClient) -> None:
        self.host, self.http = host, http

    async def file(self, body: dict[str, Any], tenant: str = "km-sv", role: str = "clerk",
                   subject: str = "clerk-1") -> httpx.Response:
        return await self.http.post("/v1/complaints", json=body, headers=auth(tenant, role, subject))

    async def events(self, tenant: str, event_type: str) -> list[Event]:
        await self.host.relay.relay_once()
        return [decode(m.value) for m in self.host.bus.messages(topic_for(tenant, event_type))]  # type: ignore[attr-defined]

    async def docs(self, collection: str, tenant: str = "km-sv") -> list[dict[str, Any]]:
        return await self.host.store.database("intake", tenant)[collection].find({}).to_list(None)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    settings = Settings(service="intake", tenants=TENANTS, data_dir=str(tmp_path))
    host = ServiceHost(SPEC, settings, MemoryBus(), MemoryStore())
    parts = SPEC.build(host.context)
    app = parts.app
    app.state.tenants, app.state.open_db, app.state.verifier = frozenset(TENANTS), host.context.db, host.verifier
    await host.bus.ensure_topics(host.topics())
    assert parts.on_start is not None
    await parts.on_start()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as http:
        yield Rig(host, http)


async def test_tips_anonymous_or_named_reach_audit_without_the_tip_giver(rig: Rig) -> None:
    r = await rig.file(TIP)
    assert r.status_code == 201, r.text
    anonymous = r.json()
    assert (anonymous["kind"], anonymous["institution_id"], anonymous["anonymous"], anonymous["person_id"]) == (
        "tip", "KM-P001", True, None)
    r = await rig.file({**TIP, "name": NAME, "phone": PHONE, "institution_id": "KM-H002"})
    assert r.status_code == 201 and r.json()["anonymous"] is False
    named = r.json()
    r = await rig.file({**TIP, "person_id": PERSON_A}, role="applicant", subject=PERSON_A)
    assert r.status_code == 201 and r.json()["person_id"] == PERSON_A
    # A complaint still names its person, and may name an institution too.
    r = await rig.file({"kind": "complaint", "person_id": PERSON_A, "subject": "窗口态度", "institution_id": "KM-H001"})
    assert r.status_code == 201 and r.json()["institution_id"] == "KM-H001"

    events = {e.payload.complaint_id: e for e in await rig.events("km-sv", "complaint.filed")}
    a = events[anonymous["complaint_id"]]
    assert (a.payload.kind, a.payload.institution_id, a.payload.person_id, a.payload.detail) == (
        "tip", "KM-P001", "", TIP["detail"])
    assert a.envelope.business_key == anonymous["complaint_id"]
    n = events[named["complaint_id"]]
    assert NAME.encode() not in n.envelope.SerializeToString() and PHONE.encode() not in n.payload.SerializeToString()
    complaint = events[next(c for c, e in events.items() if e.payload.kind == "complaint")]
    assert complaint.payload.detail == "" and complaint.payload.institution_id == "KM-H001"
    # The archive files no person for an anonymous tip, and files a named person's as before.
    assert entries_for(a) == []
    assert entries_for(events[next(c for c, e in events.items() if e.payload.person_id)])[0]["person_id"] == PERSON_A

    # Answered: the anonymous tip-giver who left no phone is told nothing; the one who left a phone is.
    for c in (anonymous, named):
        r = await rig.http.post(f"/v1/complaints/{c['complaint_id']}/resolve", json={"resolution": "已立案核查"},
                                headers=auth("km-sv", "clerk", "clerk-1"))
        assert r.status_code == 200 and r.json()["status"] == "resolved", r.text
    notes = await rig.docs("notifications")
    assert len(notes) == 1 and notes[0]["channel"] == "sms"
    resolved = [e.payload for e in await rig.events("km-sv", "complaint.resolved")]
    assert {p.complaint_id for p in resolved} == {anonymous["complaint_id"], named["complaint_id"]}
    listed = (await rig.http.get("/v1/complaints", headers=auth("km-sv", "inspector"))).json()
    assert {c["kind"] for c in listed} == {"tip", "complaint"}

    found, read = await scan_stores(rig.host.store, ["intake"], ["km-sv"], [NAME, PHONE, TIP["detail"], PERSON_A])
    assert found == [] and read >= 5


async def test_bad_tips_are_refused_and_nothing_is_written(rig: Rig) -> None:
    for body, tenant, role, code, field in (
            ({**TIP, "institution_id": None}, "km-sv", "clerk", "tip_institution_required", "institution_id"),
            ({**TIP, "institution_id": "bad id!"}, "km-sv", "clerk", "invalid_input", "institution_id"),
            ({**TIP, "phone": "12345"}, "km-sv", "clerk", "invalid_input", "phone"),
            ({**TIP, "name": ""}, "km-sv", "clerk", "invalid_input", "name"),
            (TIP, "hz-p1", "clerk", "tips_not_taken", "kind"),
            ({**TIP, "person_id": "someone-else"}, "km-sv", "applicant", "invalid_input", "person_id"),
            ({"kind": "complaint", "subject": "x"}, "km-sv", "clerk", "invalid_input", "person_id")):
        r = await rig.file(body, tenant=tenant, role=role, subject=PERSON_A if role == "applicant" else "clerk-1")
        assert r.status_code == 422, r.text
        e = r.json()["error"]
        assert (e["code"], e["field"]) == (code, field), e
    assert await rig.docs("complaints") == [] and await rig.docs("complaints", "hz-p1") == []
    assert (await rig.file(TIP, role="inspector")).status_code == 403

    tip = (await rig.file(TIP)).json()
    r = await rig.http.post(f"/v1/complaints/{tip['complaint_id']}/resolve", json={"resolution": "x"},
                            headers=auth("hz-p1", "clerk"))
    assert r.status_code == 404
