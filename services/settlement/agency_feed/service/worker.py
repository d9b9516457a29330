"""Sending pushes to the agency's long-term care system (长护险信息管理系统): a worker takes each tenant's due pushes
and sends them with the agency adapter (agency/client.py), moving their states (domain/pushes.py).

Transport trouble (no answer, HTTP 5xx) is retried: first by the client, which re-sends the same msgid twice with a
short backoff, then by the worker after a longer one, until MAX_ATTEMPTS; the msgid stays, so a message that did reach
the system is counted there once. A refusal (the system's answer code) is kept as it is, never re-sent by the worker.

Crash safety: a push is marked sent only after the system's receipt; a crash in between leaves it pending, and the
next pass re-sends the same msgid, which the system answers with its first answer."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from agency.client import AgencyClient
from agency.errors import AgencyError
from chassis.errors import is_transient
from chassis.host import ServiceContext
from services.settlement.agency_feed.domain.pushes import after_refusal, after_sent, after_transport_failure
from services.settlement.agency_feed.service import carrier, runs_ltc
from services.settlement.agency_feed.store import AgencyPushStore

log = logging.getLogger(__name__)
IDLE_S = 30.0  # the longest wait between passes when nothing is due


class AgencyFeed:
    def __init__(self, ctx: ServiceContext, interval_s: float = 1.0, client_retries: int = 2,
                 client_backoff: float = 0.5) -> None:
        self._ctx, self._interval = ctx, interval_s
        self._retries, self._backoff = client_retries, client_backoff
        self._wake = asyncio.Event()
        self._clients: dict[str, Any] = {}

    def kick(self) -> None:
        self._wake.set()

    def tenants(self) -> list[str]:
        """The served tenants that push: the carriers of wz-ltc."""
        return [t for t in self._ctx.settings.tenants if runs_ltc(t)]

    async def run(self) -> None:
        """Send what is due; woken at once by new pushes (`kick`), otherwise checking less often the longer nothing
        is due (1 s up to IDLE_S)."""
        idle_s = self._interval
        while True:
            self._wake.clear()
            found = 0
            for tenant in self.tenants():
                try:
                    found += await self.work(tenant)
                except Exception as exc:  # keep pushing for other tenants and later passes
                    if is_transient(exc):
                        log.warning("agency feed pass for %s waits for the store: %s", tenant, type(exc).__name__)
                    else:
                        log.exception("agency feed pass failed for %s", tenant)
            idle_s = self._interval if found else min(idle_s * 2, IDLE_S)
            try:
                await asyncio.wait_for(self._wake.wait(), idle_s)
                idle_s = self._interval
            except TimeoutError:
                pass

    def client(self, tenant: str) -> Any:
        """One client per carrier (its code, name and lot are the sender the system knows)."""
        if tenant not in self._clients:
            c = carrier(tenant)
            self._clients[tenant] = AgencyClient(self._ctx.settings.agency_url, c.code, c.name, c.lot,
                                                 division=c.division, operator=f"settlement-{tenant}",
                                                 retries=self._retries, backoff=self._backoff)
        return self._clients[tenant]

    async def work(self, tenant: str, limit: int = 100) -> int:
        """One pass over the tenant's due pushes; how many were due."""
        store = AgencyPushStore(self._ctx.db(tenant))
        due = await store.due(datetime.now(UTC).isoformat(), limit)
        for push in due:
            await self.send(store, tenant, push)
        return len(due)

    async def send(self, store: AgencyPushStore, tenant: str, push: dict[str, Any]) -> str:
        """Send one push; its new status."""
        attempts = int(push.get("attempts", 0)) + 1
        try:
            receipt = await self.client(tenant).send(push["txn"], push.get("body") or {}, msgid=push["msgid"])
        except AgencyError as exc:
            # The system judged the message: the same message again gets the same answer. Parked with the code.
            log.warning("agency push %s (%s) refused: code %s", push["_id"], push["txn"], exc.answer_code)
            await store.change(push["_id"], "pending", after_refusal(exc.answer_code, exc.err_msg, attempts,
                                                                     datetime.now(UTC)))
            return "failed"
        except Exception as exc:  # no answer (AgencyUnavailable), or not a response (AgencyProtocolError)
            changes = after_transport_failure(attempts, f"{type(exc).__name__}: {exc}", datetime.now(UTC))
            log.warning("agency push %s (%s) not answered (attempt %d): %s", push["_id"], push["txn"], attempts,
                        type(exc).__name__)
            await store.change(push["_id"], "pending", changes)
            return str(changes["status"])
        await store.sent(push["_id"], after_sent(receipt.answer(), attempts, datetime.now(UTC)))
        return "sent"

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
