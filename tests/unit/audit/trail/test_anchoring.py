"""The trail room's service on the in-memory store with a key provider in a temporary directory: entries sealed
with the tenant's trail key (never stored in audit's database), anchors made on demand, by the entries rule after a
batch and by the time rule, each with its signed `trail.anchored` event for the relay; and verification fed the
anchors as archive would give them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chassis.errors import Conflict
from chassis.events import CATALOGUE, decode, encode, is_compacted, topic_for
from chassis.keys import KeyProvider
from chassis.store.memory import MemoryStore
from services.audit.main import SPEC
from services.audit.trail import service
from services.audit.trail.domain.anchors import AnchorPolicy, anchor_signature_valid, public_key
from services.audit.trail.store import TRAIL, TRAIL_ANCHORS, TrailStore
from tests.unit.audit.builders import PERSON_A, build, settled

TENANT = "hz-p1"
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def keys(tmp_path: Path) -> KeyProvider:
    return KeyProvider(tmp_path / "keys")


@pytest.fixture
async def db() -> Any:
    db = MemoryStore().database("audit", TENANT)
    await service.ensure_indexes(db)
    return db


def events(first: int, n: int) -> list[Any]:
    return [build(settled(PERSON_A, f"H{i:03d}", "2025-03", "10.00", "8.00")) for i in range(first, first + n)]


async def as_archive_gives(anchors: Iterable[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    for a in sorted(anchors, key=lambda a: a["seq"]):
        yield a


async def kept_anchors(db: Any) -> list[dict[str, Any]]:
    return await db[TRAIL_ANCHORS].find({}).sort("_id", 1).to_list(None)


async def test_entries_are_sealed_with_the_tenants_key_and_the_key_is_not_in_the_database(
        db: Any, keys: KeyProvider) -> None:
    never = AnchorPolicy(every_entries=0, every_seconds=0)
    await service.record_batch(db, keys, TENANT, events(1, 3), never)
    trail = await TrailStore(db).all_entries()
    key_id, secret = keys.current("trail", TENANT)
    assert [e["key_id"] for e in trail] == [key_id] * 3 and key_id == "trail/hz-p1/v1"
    stored = repr(trail) + repr(await db["trail_head"].find({}).to_list(None))
    assert secret.hex() not in stored and repr(secret) not in stored
    # rotation: new entries use the new version, the old ones still verify under theirs
    keys.rotate("trail", TENANT)
    await service.record_batch(db, keys, TENANT, events(4, 2), never)
    result = await service.verify_trail(db, keys, TENANT, as_archive_gives([]))
    assert result.valid and result.entries == 5
    assert [e["key_id"] for e in await TrailStore(db).all_entries()][-1] == "trail/hz-p1/v2"


async def test_an_anchor_on_demand_is_signed_published_once_and_answered_again(db: Any, keys: KeyProvider) -> None:
    with pytest.raises(Conflict) as empty:
        await service.anchor(db, keys, TENANT)
    assert empty.value.code == "trail_empty"

    await service.record_batch(db, keys, TENANT, events(1, 4), AnchorPolicy(every_entries=0, every_seconds=0))
    anchor, created = await service.anchor(db, keys, TENANT, now=T0)
    again, created_again = await service.anchor(db, keys, TENANT)
    assert created and not created_again and again == anchor
    head = (await TrailStore(db).all_entries())[-1]
    assert (anchor["seq"], anchor["entries"], anchor["head_mac"], anchor["at"]) == (4, 4, head["mac"], T0.isoformat())
    assert anchor["key_id"] == "anchor/hz-p1/v1" and anchor["mac_key_id"] == "trail/hz-p1/v1"
    _, seed = keys.current("anchor", TENANT)
    assert anchor_signature_valid(anchor, public_key(seed)) and anchor["public_key"] == public_key(seed).hex()

    [kept] = await kept_anchors(db)
    [stored_event] = kept["_outbox"]
    event = decode(encode(stored_event))
    assert (event.type, event.tenant, stored_event["business_key"], stored_event["source"]) == (
        "trail.anchored", TENANT, TENANT, "audit")  # keyed by the tenant: the compacted topic keeps the latest
    assert {f.name: getattr(event.payload, f.name) for f in event.payload.DESCRIPTOR.fields} == {
        k: v for k, v in anchor.items() if k != "event_id"}
    assert is_compacted(topic_for(TENANT, "trail.anchored")) and CATALOGUE["trail.anchored"][0] == "audit"


async def test_a_batch_anchors_when_the_entries_rule_says_so(db: Any, keys: KeyProvider) -> None:
    every_three = AnchorPolicy(every_entries=3, every_seconds=0)
    await service.record_batch(db, keys, TENANT, events(1, 2), every_three)
    assert await kept_anchors(db) == []
    second = events(3, 2)
    await service.record_batch(db, keys, TENANT, second, every_three)
    await service.record_batch(db, keys, TENANT, second, every_three)  # redelivered: nothing new, no anchor
    assert [a["seq"] for a in await kept_anchors(db)] == [4]
    await service.record_batch(db, keys, TENANT, events(5, 3), every_three)
    assert [a["seq"] for a in await kept_anchors(db)] == [4, 7]


async def test_the_time_rule_anchors_a_grown_trail_and_leaves_an_idle_one(db: Any, keys: KeyProvider) -> None:
    by_time = AnchorPolicy(every_entries=0, every_seconds=60)
    assert await service.anchor_if_due(db, keys, TENANT, by_time, T0) is None  # empty
    await service.record_batch(db, keys, TENANT, events(1, 2), AnchorPolicy(every_entries=0, every_seconds=0))
    first = await service.anchor_if_due(db, keys, TENANT, by_time, T0)
    assert first is not None and first["seq"] == 2
    assert await service.anchor_if_due(db, keys, TENANT, by_time, T0 + timedelta(minutes=5)) is None  # idle
    await service.record_batch(db, keys, TENANT, events(3, 1), AnchorPolicy(every_entries=0, every_seconds=0))
    assert await service.anchor_if_due(db, keys, TENANT, by_time, T0 + timedelta(seconds=30)) is None
    later = await service.anchor_if_due(db, keys, TENANT, by_time, T0 + timedelta(seconds=61))
    assert later is not None and later["seq"] == 3


async def test_verification_against_the_anchors_reports_each_attack(db: Any, keys: KeyProvider) -> None:
    never = AnchorPolicy(every_entries=0, every_seconds=0)
    await service.record_batch(db, keys, TENANT, events(1, 6), never)
    anchor, _ = await service.anchor(db, keys, TENANT)

    async def verify() -> Any:
        return await service.verify_trail(db, keys, TENANT, as_archive_gives([anchor]))

    untouched = await verify()
    assert untouched.valid and untouched.anchored_through == 6 and untouched.to_json()["problems"] == []
    await db[TRAIL].delete_many({"_id": {"$gt": 4}})
    cut = await verify()
    assert [(p.code, p.seq) for p in cut.problems] == [("truncated", 6)] and not cut.to_json()["valid"]


async def test_verification_pages_through_a_long_trail(db: Any, keys: KeyProvider,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "PAGE", 4)
    never = AnchorPolicy(every_entries=0, every_seconds=0)
    anchors = []
    for first in (1, 6, 11):
        await service.record_batch(db, keys, TENANT, events(first, 5), never)
        anchors.append((await service.anchor(db, keys, TENANT))[0])
    await db[TRAIL].delete_one({"_id": 7})
    result = await service.verify_trail(db, keys, TENANT, as_archive_gives(anchors))
    assert [(p.code, p.seq) for p in result.problems] == [("deleted", 7)] and result.anchored_through == 15


def test_audit_does_not_trail_its_own_anchors(tmp_path: Path) -> None:
    """Each would be a new head to anchor: archive keeps them instead."""
    from chassis.bus.memory import MemoryBus
    from chassis.config import Settings
    from chassis.host import ServiceHost

    host = ServiceHost(SPEC, Settings(service="audit", tenants=(TENANT,), data_dir=str(tmp_path)), MemoryBus(),
                       MemoryStore())
    parts = SPEC.build(host.context)
    subscribed = {s.event_type for s in parts.subscriptions}
    assert subscribed == set(CATALOGUE) - {"trail.anchored"}
    assert TRAIL_ANCHORS in SPEC.outbox_collections and len(parts.background) == 1


async def test_without_archive_nothing_is_declared_valid() -> None:
    """Archive away: `anchors_unavailable` (503), never a verdict made without the anchors."""
    import grpc

    class NoArchive:
        def channel(self, service: str) -> grpc.aio.Channel:
            return grpc.aio.insecure_channel("127.0.0.1:1")  # nothing listens there

        async def metadata(self, tenant: str) -> tuple[tuple[str, str], ...]:
            return (("authorization", "Bearer x"),)

    with pytest.raises(service.AnchorsUnavailable) as away:
        async for _ in service.archive_anchors(NoArchive(), TENANT):
            pass
    assert away.value.code == "anchors_unavailable" and away.value.http_status == 503
