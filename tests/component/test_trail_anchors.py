"""A trail that cannot be rewritten quietly (issue 11, item 4), on the embedded platform: audit seals every entry
with the tenant's trail key (outside its database), anchors the head — signed, published on the compacted
`trail.anchored` topic, kept by archive — and `GET /v1/trail/verify` checks the chain against archive's anchors
(over gRPC, ArchiveService.ListTrailAnchors).

Each attack is done the way someone holding audit's database would, straight on its collections, one tenant each:
- rewrite an entry and recompute the old unkeyed SHA-256 chain (and the head) from there → `rewritten`;
- delete an entry in the middle → `deleted`;
- delete the tail after an anchor (and audit's own record of its anchors) → `truncated`;
- publish a forged anchor → kept by archive, reported `anchor_signature_invalid`;
and an untouched trail verifies, `valid: true`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.v1 import events_pb2
from jingban.embedded import EmbeddedPlatform
from services.audit.trail.domain.anchors import sign_anchor
from tests.conftest import auth, embedded_port_offset, eventually
from tests.unit.audit.builders import publish, stored

UNTOUCHED, REWRITTEN, DELETED, TRUNCATED, FORGED = "hz-p1", "hz-p2", "qz-ci", "xy-c", "hz-p3"
TENANTS = (UNTOUCHED, REWRITTEN, DELETED, TRUNCATED, FORGED)
ENTRIES = 8
# The fields the old trail hashed (without a key): what an attacker recomputes.
OLD_HASHED = ("seq", "event_id", "type", "tenant", "business_key", "occurred_at", "source", "causation_id",
              "payload_sha256")


@pytest.fixture(scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedPlatform]:
    data: Path = tmp_path_factory.mktemp("data")
    p = EmbeddedPlatform(env={"JINGBAN_DATA_DIR": str(data), "JINGBAN_TENANTS": ",".join(TENANTS)},
                         port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def audit(platform: EmbeddedPlatform, path: str) -> str:
    return f"{platform.url('audit')}/v1{path}"


async def verify(platform: EmbeddedPlatform, http: httpx.AsyncClient, tenant: str) -> dict[str, Any]:
    r = await http.get(audit(platform, "/trail/verify"), headers=auth(tenant, "inspector"))
    assert r.status_code == 200, r.text
    return r.json()


def trail(platform: EmbeddedPlatform, tenant: str) -> Any:
    """audit's collections of the tenant, as someone holding its database reaches them."""
    return platform.store.database("audit", tenant)


@pytest.fixture(scope="module")
async def anchored(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """Each tenant's trail: ENTRIES events recorded, the head anchored on demand and the anchor at archive."""
    for tenant in TENANTS:
        await publish(platform.bus, *[stored("warning.issued", events_pb2.WarningIssued(
            warning_id=f"w-{i}", kind="spending_growth", description=f"warning {i}", due_on="2025-03-12",
            issued_at="2025-03-01T08:00:00+08:00"), tenant=tenant, key=f"w-{i}") for i in range(1, ENTRIES + 1)])
    anchors: dict[str, dict[str, Any]] = {}
    for tenant in TENANTS:
        async def recorded(tenant: str = tenant) -> bool:
            r = await http.get(audit(platform, "/trail"), headers=auth(tenant, "inspector"))
            return len(r.json()["entries"]) == ENTRIES or None  # type: ignore[return-value]

        await eventually(recorded, what=f"{tenant}'s events in its trail")
        r = await http.post(audit(platform, "/trail/anchors"), headers=auth(tenant, "ops"))
        # 200 when audit anchored this head on its own already (the first batch is anchored at once)
        assert r.status_code in (200, 201), r.text
        anchors[tenant] = r.json()["anchor"]
        assert anchors[tenant]["seq"] == ENTRIES and anchors[tenant]["tenant"] == tenant

        async def at_archive(tenant: str = tenant) -> dict[str, Any] | None:
            answer = await verify(platform, http, tenant)
            return answer if answer["anchored_through"] == ENTRIES else None

        await eventually(at_archive, what=f"{tenant}'s anchor kept by archive")
    return anchors


async def test_an_untouched_trail_is_valid_against_archives_anchors(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, anchored: dict[str, dict[str, Any]]) -> None:
    answer = await verify(platform, http, UNTOUCHED)
    assert answer == {"valid": True, "entries": ENTRIES, "anchored_through": ENTRIES, "problems": [],
                      "problems_total": 0}
    # the key is outside audit's database: neither the trail key's bytes nor the anchor key's are in it
    keys = platform.hosts["audit"].context.keys
    secrets = [keys.current(purpose, UNTOUCHED)[1].hex() for purpose in ("trail", "anchor")]
    db = trail(platform, UNTOUCHED)
    kept = repr([await db[c].find({}).to_list(None) for c in ("trail", "trail_head", "trail_anchors")])
    assert not any(s in kept for s in secrets)
    # the anchor travelled on the compacted topic, under one key (the tenant's, pseudonymous on the wire): the
    # topic keeps at least the latest anchor whatever compaction removes
    from chassis.events import is_compacted, topic_for

    topic = topic_for(UNTOUCHED, "trail.anchored")
    assert is_compacted(topic) and len({m.key for m in platform.bus.messages(topic)}) == 1


async def test_a_rewritten_entry_with_the_unkeyed_chain_recomputed_is_rewritten(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, anchored: dict[str, dict[str, Any]]) -> None:
    db = trail(platform, REWRITTEN)
    entries = await db.trail.find({}).sort("_id", 1).to_list(None)
    prev = entries[1]["mac"]
    for e in entries[2:]:  # entry 3 changed, and the chain recomputed from there as the old trail computed it
        if e["seq"] == 3:
            e["business_key"] = "w-somebody-else"
        body = json.dumps({k: e[k] for k in OLD_HASHED}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        mac = hashlib.sha256(f"{prev}|{body}".encode()).hexdigest()
        await db.trail.update_one({"_id": e["_id"]}, {"$set": {"business_key": e["business_key"], "prev_mac": prev,
                                                               "mac": mac}})
        prev = mac
    await db.trail_head.update_one({"_id": "head"}, {"$set": {"mac": prev}})

    answer = await verify(platform, http, REWRITTEN)
    assert answer["valid"] is False and answer["entries"] == ENTRIES
    assert [(p["code"], p["seq"]) for p in answer["problems"]] == [("rewritten", s) for s in range(3, ENTRIES + 1)]


async def test_a_deleted_middle_entry_is_deleted(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, anchored: dict[str, dict[str, Any]]) -> None:
    await trail(platform, DELETED).trail.delete_one({"_id": 4})
    answer = await verify(platform, http, DELETED)
    assert answer["valid"] is False and answer["entries"] == ENTRIES - 1
    assert [(p["code"], p["seq"]) for p in answer["problems"]] == [("deleted", 4)]


async def test_a_tail_deleted_after_an_anchor_is_truncated(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, anchored: dict[str, dict[str, Any]]) -> None:
    db = trail(platform, TRUNCATED)
    await db.trail.delete_many({"_id": {"$gt": 5}})
    fifth = await db.trail.find_one({"_id": 5})
    # cleaned up as well as someone holding audit's database could: the head, and audit's own record of anchors
    await db.trail_head.update_one({"_id": "head"}, {"$set": {"seq": 5, "mac": fifth["mac"], "recent": "[]"}})
    await db.trail_anchors.delete_many({})

    answer = await verify(platform, http, TRUNCATED)
    assert answer["valid"] is False and answer["entries"] == 5 and answer["anchored_through"] == ENTRIES
    assert [(p["code"], p["seq"]) for p in answer["problems"]] == [("truncated", ENTRIES)]
    assert "entries 6–8 are gone" in answer["problems"][0]["detail"]


async def test_a_forged_anchor_is_kept_by_archive_and_reported(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, anchored: dict[str, dict[str, Any]]) -> None:
    """Someone who can publish signs an anchor naming entries that never were, with a key of their own: archive
    keeps it (and flags it), audit does not use it."""
    real = anchored[FORGED]
    forged = sign_anchor(tenant=FORGED, seq=ENTRIES + 5, head_mac="f" * 64, at=real["at"], key_id=real["key_id"],
                         mac_key_id=real["mac_key_id"], seed=b"\x07" * 32)
    await publish(platform.bus, stored("trail.anchored", events_pb2.TrailAnchored(**forged), tenant=FORGED,
                                       key=FORGED))

    async def reported() -> dict[str, Any] | None:
        answer = await verify(platform, http, FORGED)
        return answer if answer["problems"] else None

    answer = await eventually(reported, what="the forged anchor at archive")
    assert [(p["code"], p["seq"]) for p in answer["problems"]] == [("anchor_signature_invalid", ENTRIES + 5)]
    assert answer["anchored_through"] == ENTRIES and answer["entries"] == ENTRIES


async def test_who_may_verify_and_anchor(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                         anchored: dict[str, dict[str, Any]]) -> None:
    for role in ("ops", "supervisor", "inspector"):
        r = await http.get(audit(platform, "/trail/verify"), headers=auth(UNTOUCHED, role))
        assert r.status_code == 200, (role, r.text)
    for role in ("clerk", "applicant", "institution"):
        r = await http.get(audit(platform, "/trail/verify"), headers=auth(UNTOUCHED, role))
        assert r.status_code == 403, (role, r.text)
    assert (await http.post(audit(platform, "/trail/anchors"), headers=auth(UNTOUCHED, "clerk"))).status_code == 403
    again = await http.post(audit(platform, "/trail/anchors"), headers=auth(UNTOUCHED, "ops"))
    assert again.status_code == 200 and again.json() == {"anchor": anchored[UNTOUCHED], "created": False}
