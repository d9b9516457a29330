"""The lease rule (instances.py): a batch's lease is held only while its holder works it — here, or in another
instance whose heartbeat is fresh; a predecessor's lease is free at once where a service runs as one process, and a
silent replica's once it has been silent DEAD_AFTER. And the heartbeat as stored, on the in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chassis.store.memory import MemoryStore
from services.settlement.chronic.service.settler import active_batches_message
from services.settlement.instances import service as ins
from services.settlement.instances.service import Heartbeat, Instances, lease_state
from services.settlement.instances.store import INSTANCES

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NOW = START + timedelta(minutes=5)
ME, OTHER = "a" * 32, "b" * 32


def beat(seconds_ago: float, stopped: bool = False) -> Heartbeat:
    seen = NOW - timedelta(seconds=seconds_ago)
    return Heartbeat(OTHER, seen, seen if stopped else None)


@pytest.mark.parametrize(("holder", "running", "heartbeat", "single", "live", "reason"), [
    ("", False, None, True, False, ins.NO_HOLDER),
    (ME, True, None, True, True, ins.RUNNING_HERE),
    (ME, False, None, True, False, ins.INTERRUPTED_HERE),
    (OTHER, False, None, True, False, ins.HOLDER_UNKNOWN),
    (OTHER, False, beat(2, stopped=True), True, False, ins.HOLDER_STOPPED),
    (OTHER, False, beat(16), False, False, ins.HOLDER_SILENT),
    (OTHER, False, beat(14), False, True, ins.HELD_BY_LIVE_INSTANCE),   # a replica, alive
    (OTHER, False, beat(2), True, True, ins.HELD_BY_LIVE_INSTANCE),     # beat since this instance started
    # One process per service: a heartbeat from before this start is the killed predecessor's, free at once.
    (OTHER, False, Heartbeat(OTHER, START - timedelta(seconds=1)), True, False, ins.HOLDER_RESTARTED),
])
def test_the_lease_rule(holder: str, running: bool, heartbeat: Heartbeat | None, single: bool, live: bool,
                        reason: str) -> None:
    now = START + timedelta(seconds=3) if reason == ins.HOLDER_RESTARTED else NOW
    state = lease_state(holder, ME, running, heartbeat, START, now, single)
    assert (state.live, state.reason) == (live, reason)


def test_with_replicas_a_predecessor_is_only_free_once_silent() -> None:
    before_start = Heartbeat(OTHER, START - timedelta(seconds=1))
    assert lease_state(OTHER, ME, False, before_start, START, START + timedelta(seconds=3), False).live
    late = lease_state(OTHER, ME, False, before_start, START, START + timedelta(seconds=17), False)
    assert (late.live, late.reason) == (False, ins.HOLDER_SILENT)


def test_the_409_tells_who_holds_it_and_when_to_ask_again() -> None:
    here = ins.held_message("batch b1", lease_state(ME, ME, True, None, START, NOW, True))
    assert here == "batch b1 is being processed by this service right now; ask again when it is done"
    there = ins.held_message("batch b1", lease_state(OTHER, ME, False, beat(4), START, NOW, True))
    assert f"settlement instance {OTHER[:12]}" in there and "4 s ago" in there and "within 11 s" in there
    assert "15 minutes" not in there


def test_a_statement_that_cannot_close_names_running_and_interrupted_batches_apart() -> None:
    both = active_batches_message("S1", ["b1"], ["b2", "b3"])
    assert "still being processed: ['b1']" in both and "interrupted before they finished: ['b2', 'b3']" in both
    assert "send each again" in both
    assert "interrupted" not in active_batches_message("S1", ["b1"], [])


async def test_heartbeats_in_every_tenant_and_what_they_tell_another_instance() -> None:
    store = MemoryStore()
    tenants = ("hz-p1", "qz-ci")
    clock = [START]
    mine = Instances(lambda t: store.database("settlement", t), tenants, ME, clock=lambda: clock[0])
    theirs = Instances(lambda t: store.database("settlement", t), tenants, OTHER, clock=lambda: clock[0])
    await store.database("settlement", "hz-p1")[INSTANCES].insert_one(
        {"_id": "gone", "seen_at": (START - timedelta(days=30)).isoformat()})

    clock[0] = START + timedelta(seconds=2)
    await mine.beat()
    for t in tenants:
        doc = await store.database("settlement", t)[INSTANCES].find_one({"_id": ME})
        assert doc["seen_at"] == clock[0].isoformat() and doc["service"] == "settlement"
    assert await store.database("settlement", "hz-p1")[INSTANCES].find_one({"_id": "gone"}) is None

    # Both started together (replicas): mine beat since theirs started, so it holds.
    assert (await theirs.state("hz-p1", ME, "b1")).reason == ins.HELD_BY_LIVE_INSTANCE
    with theirs.running("hz-p1", "b1"):
        assert (await theirs.state("hz-p1", OTHER, "b1")).live
        assert not (await theirs.state("qz-ci", OTHER, "b1")).live  # another tenant's batch of the same id
    assert (await theirs.state("hz-p1", OTHER, "b1")).reason == ins.INTERRUPTED_HERE

    clock[0] += timedelta(seconds=16)
    assert (await theirs.state("hz-p1", ME, "b1")).reason == ins.HOLDER_SILENT
    await mine.beat()
    assert (await theirs.state("hz-p1", ME, "b1")).live
    await mine.stopped()
    assert (await theirs.state("qz-ci", ME, "b1")).reason == ins.HOLDER_STOPPED
