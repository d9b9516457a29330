"""audit on the in-memory adapters for fund supervision's component tests (tests/component/test_cases.py,
test_agency_audit.py, test_credit.py): the service's app over HTTP (ASGI), its consumer fed events as the bus would
carry them, the relay's published events read back, a collection counted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from chassis.bus.memory import MemoryBus
from chassis.config import Settings
from chassis.consumer import EventConsumer
from chassis.events import Event, decode, topic_for
from chassis.host import ServiceHost
from chassis.store.memory import MemoryStore
from contracts.v1 import events_pb2
from services.audit.main import SPEC
from tests.conftest import auth
from tests.unit.audit.builders import message, stored

TENANTS = ("km-sv", "hz-p1")
KM = "km-sv"
SUPERVISOR = "km-supervision"


class Rig:
    def __init__(self, host: ServiceHost, consumer: EventConsumer, http: httpx.AsyncClient) -> None:
        self.host, self.consumer, self.http = host, consumer, http

    async def feed(self, tenant: str, *specs: tuple[str, Any, str], event_id: str | None = None) -> list[str]:
        """Events as published (type, payload, business key); returns their ids."""
        evs = [stored(t, p, tenant=tenant, key=k, event_id=event_id) for t, p, k in specs]
        await self.consumer.process_batch([message(e) for e in evs])
        return [e["event_id"] for e in evs]

    def headers(self, role: str, tenant: str = KM, subject: str = "insp-1") -> dict[str, str]:
        return auth(tenant, role, subject, SUPERVISOR if role == "supervisor" and tenant == KM else "")

    async def post(self, path: str, body: Any = None, role: str = "inspector", tenant: str = KM,
                   subject: str = "insp-1", **kw: Any) -> httpx.Response:
        extra = {"json": body} if body is not None else {}
        return await self.http.post(f"/v1/supervision{path}", headers=self.headers(role, tenant, subject),
                                    **extra, **kw)

    async def get(self, path: str, role: str = "inspector", tenant: str = KM, subject: str = "insp-1",
                  **params: Any) -> httpx.Response:
        return await self.http.get(f"/v1/supervision{path}", params=params,
                                   headers=self.headers(role, tenant, subject))

    async def events(self, tenant: str, event_type: str) -> list[Event]:
        await self.host.relay.relay_once()
        return [decode(m.value) for m in self.host.bus.messages(topic_for(tenant, event_type))]  # type: ignore[attr-defined]

    async def count(self, collection: str, tenant: str = KM) -> int:
        return len(await self.host.store.database("audit", tenant)[collection].find({}).to_list(None))

    async def raw(self, collection: str, tenant: str = KM) -> list[dict[str, Any]]:
        return await self.host.store.database("audit", tenant)[collection].find({}).to_list(None)


@asynccontextmanager
async def audit_rig(tmp_path: Path) -> AsyncIterator[Rig]:
    settings = Settings(service="audit", tenants=TENANTS, data_dir=str(tmp_path))
    host = ServiceHost(SPEC, settings, MemoryBus(), MemoryStore())
    parts = SPEC.build(host.context)
    app = parts.app
    app.state.tenants, app.state.open_db, app.state.verifier = frozenset(TENANTS), host.context.db, host.verifier
    await host.bus.ensure_topics(host.topics())
    assert parts.on_start is not None
    await parts.on_start()
    consumer = EventConsumer("audit", host.bus, host.store, TENANTS, parts.subscriptions,
                             batch_handler=parts.batch_handler)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://audit") as http:
        yield Rig(host, consumer, http)


def institution(iid: str, kind: str) -> tuple[str, Any, str]:
    """institution.changed of a designated institution (the registry's): what supervision knows it by."""
    return "institution.changed", events_pb2.InstitutionChanged(
        institution_id=iid, kind=kind, name=f"样例{iid}", status="designated", step="designated", version=3,
        occurred_at="2024-01-02T09:00:00+08:00", terms=[events_pb2.InstitutionPeriod(start="2024-01-01",
                                                                                      end="2026-12-31")]), iid


def error_of(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()["error"]
