"""Which settlement processes are alive (实例心跳), and whether a lease one of them took is still held.

A lease — a month-end batch being processed (`batches.holder`, engine.py) — belongs to the process instance that
took it (`ServiceContext.instance`, new at every start) and dies with it. Each instance keeps a heartbeat document
(`instances`, in the settlement database of every tenant served), refreshed every HEARTBEAT; a graceful stop
marks it stopped.

A lease is held (`LeaseState.live`) only while its holder is working it (`lease_state`, the pure rule):
- held by this instance: while the batch runs here (remembered in memory, `running`); otherwise it was interrupted
  here (the request failed or was cut) and is dead;
- held by another instance: while that instance's heartbeat is fresh (seen within DEAD_AFTER) and it has not
  stopped. Where a service runs as one process (embedded and local modes: a service's documents are written by its
  own process only, see chassis/store/mongo.py), a heartbeat older than this instance's start is a predecessor's: a
  process started again only once the old one was gone, so a `kill -9` followed by a restart frees its leases at
  once. In cluster mode (several replicas behind one store, deploy/k8s) a replica alive keeps beating and its
  leases hold; one that died without stopping frees them DEAD_AFTER after its last beat.
- no holder recorded (a lease released on failure, or taken before holders were recorded): dead.

A dead lease is taken over at once by whoever sends the batch again; the resume is idempotent (engine.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services.settlement.instances.store import InstanceStore

log = logging.getLogger(__name__)
HEARTBEAT = timedelta(seconds=5)        # how often an instance says it is alive
DEAD_AFTER = timedelta(seconds=15)      # three beats missed: the instance is gone
FORGET_AFTER = timedelta(days=7)        # heartbeat documents of instances long gone are removed

# Why a lease is held or not (stable codes, shown with a 409 and logged).
RUNNING_HERE = "running_here"                  # this instance is processing it now
HELD_BY_LIVE_INSTANCE = "held_by_live_instance"  # another instance, alive, is processing it
NO_HOLDER = "no_holder"                        # released on failure, or from before holders were recorded
INTERRUPTED_HERE = "interrupted_here"          # taken by this instance, whose work on it stopped
HOLDER_UNKNOWN = "holder_unknown"              # no heartbeat of the holder was ever seen
HOLDER_STOPPED = "holder_stopped"              # the holder stopped (gracefully)
HOLDER_SILENT = "holder_silent"                # the holder's last heartbeat is older than DEAD_AFTER
HOLDER_RESTARTED = "holder_restarted"          # one process per service: the holder was this one's predecessor


@dataclass(frozen=True)
class Heartbeat:
    instance: str
    seen_at: datetime
    stopped_at: datetime | None = None

    @classmethod
    def of(cls, doc: dict[str, Any]) -> Heartbeat:
        stopped = doc.get("stopped_at")
        return cls(doc["_id"], datetime.fromisoformat(doc["seen_at"]),
                   datetime.fromisoformat(stopped) if stopped else None)


@dataclass(frozen=True)
class LeaseState:
    live: bool
    reason: str
    holder: str = ""
    seen_s: float | None = None   # seconds since the holder's last heartbeat, when one was read


def lease_state(holder: str, me: str, running_here: bool, beat: Heartbeat | None, started_at: datetime,
                now: datetime, single_process: bool) -> LeaseState:
    """Whether the lease `holder` took is still held, and why (see the module's docstring)."""
    if not holder:
        return LeaseState(False, NO_HOLDER)
    if holder == me:
        return LeaseState(running_here, RUNNING_HERE if running_here else INTERRUPTED_HERE, holder)
    if beat is None:
        return LeaseState(False, HOLDER_UNKNOWN, holder)
    seen_s = max(0.0, (now - beat.seen_at).total_seconds())
    if beat.stopped_at is not None:
        return LeaseState(False, HOLDER_STOPPED, holder, seen_s)
    if now - beat.seen_at > DEAD_AFTER:
        return LeaseState(False, HOLDER_SILENT, holder, seen_s)
    if single_process and beat.seen_at < started_at:
        return LeaseState(False, HOLDER_RESTARTED, holder, seen_s)
    return LeaseState(True, HELD_BY_LIVE_INSTANCE, holder, seen_s)


def held_message(what: str, state: LeaseState) -> str:
    """The truth for a 409: who is working on it, and when to ask again."""
    if state.reason == RUNNING_HERE:
        return f"{what} is being processed by this service right now; ask again when it is done"
    left = max(0, int((DEAD_AFTER.total_seconds() - (state.seen_s or 0)) + 0.999))
    return (f"{what} is being processed right now by settlement instance {state.holder[:12]} (its last heartbeat "
            f"{state.seen_s or 0:.0f} s ago); ask again when it is done — should that instance have stopped, the "
            f"batch is free to send again within {left} s")


class Instances:
    """This instance's heartbeat, and the lease rule applied to what the store says of the others."""

    def __init__(self, db_of: Callable[[str], Any], tenants: tuple[str, ...] | list[str], instance: str = "",
                 single_process: bool = True, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._db_of = db_of
        self.tenants = tuple(tenants)
        self.instance = instance or uuid.uuid4().hex
        self.single_process = single_process
        self._clock = clock
        self.started_at = clock()
        self._running: set[tuple[str, str]] = set()
        self._beats = 0

    # ---- leases held here ------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def running(self, tenant: str, key: str) -> Iterator[None]:
        """Marks the lease on `key` as being worked here, for as long as the block runs."""
        self._running.add((tenant, key))
        try:
            yield
        finally:
            self._running.discard((tenant, key))

    async def state(self, tenant: str, holder: str, key: str) -> LeaseState:
        """Whether the lease on `key` taken by `holder` is still held (one read of the holder's heartbeat)."""
        beat = None
        if holder and holder != self.instance:
            doc = await InstanceStore(self._db_of(tenant)).heartbeat(holder)
            beat = Heartbeat.of(doc) if doc and doc.get("seen_at") else None
        return lease_state(holder, self.instance, (tenant, key) in self._running, beat, self.started_at,
                           self._clock(), self.single_process)

    # ---- heartbeat -----------------------------------------------------------------------------------------

    async def beat(self) -> None:
        now = self._clock()
        for tenant in self.tenants:
            store = InstanceStore(self._db_of(tenant))
            await store.beat(self.instance, {
                "service": "settlement", "seen_at": now.isoformat(), "started_at": self.started_at.isoformat(),
                "host": socket.gethostname(), "pid": os.getpid()})
            if self._beats == 0:  # once per start: forget instances long gone
                await store.forget_seen_before((now - FORGET_AFTER).isoformat())
        self._beats += 1

    async def stopped(self) -> None:
        now = self._clock().isoformat()
        for tenant in self.tenants:
            await InstanceStore(self._db_of(tenant)).stopped(self.instance, now)

    async def run(self) -> None:
        """Beat every HEARTBEAT for as long as the service runs; a store away is waited out (a missed beat or two
        costs nothing: only DEAD_AFTER of silence frees this instance's leases, and its own work does not stop).
        On a graceful stop the heartbeat says so, freeing its leases at once."""
        try:
            while True:
                try:
                    await self.beat()
                except Exception as exc:  # the store is away: try again at the next beat
                    log.warning("settlement heartbeat of instance %s not written: %s", self.instance,
                                type(exc).__name__)
                await asyncio.sleep(HEARTBEAT.total_seconds())
        finally:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self.stopped(), 1.0)
