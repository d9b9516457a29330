"""archive's room for the audit trail's anchors: the bytes it checks are the bytes audit signs (the contract in
events.proto), every anchor is kept as received with archive's check — a forged key is caught by the public key
first seen for the key id, an anchor of another tenant by the event's tenant — redelivery keeps it once, and the
list pages in position order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chassis.store.memory import MemoryStore
from contracts.v1 import events_pb2
from services.archive.trail_anchors import service
from services.archive.trail_anchors.domain.anchors import cursor, problem, signature_verifies, signed_bytes
from services.audit.trail.domain import anchors as audit_anchors
from tests.unit.audit.builders import event

SEED = bytes(range(32))
AT = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def signed(seq: int, seed: bytes = SEED, tenant: str = "hz-p1", **changes: Any) -> dict[str, Any]:
    anchor = audit_anchors.sign_anchor(tenant=tenant, seq=seq, head_mac=f"{seq:064x}", at=f"2025-03-01T00:{seq:02d}Z",
                                       key_id="anchor/hz-p1/v1", mac_key_id="trail/hz-p1/v1", seed=seed)
    return {**anchor, **changes}


def anchored(anchor: dict[str, Any], tenant: str = "hz-p1") -> Any:
    return event("trail.anchored", events_pb2.TrailAnchored(**anchor), tenant=tenant, key=tenant)


@pytest.fixture
async def db() -> Any:
    db = MemoryStore().database("archive", "hz-p1")
    from services.archive.trail_anchors.store import AnchorStore

    await AnchorStore(db).ensure_indexes()
    return db


def test_archive_checks_the_bytes_audit_signs() -> None:
    anchor = signed(7)
    assert signed_bytes(anchor) == audit_anchors.signed_bytes(anchor)
    assert signature_verifies(anchor, anchor["public_key"])
    assert problem(anchor, "hz-p1", None) == "" and problem(anchor, "hz-p1", anchor["public_key"]) == ""
    assert "another public key" in problem(anchor, "hz-p1", "ab" * 32)
    assert "names tenant 'hz-p1'" in problem(anchor, "hz-p2", None)
    assert problem({**anchor, "head_mac": "f" * 64}, "hz-p1", None) == "its signature does not verify"
    assert problem({**anchor, "public_key": ""}, "hz-p1", None) == "it carries no Ed25519 public key"
    assert cursor(7, "e") < cursor(10, "a")  # positions sort as numbers


async def test_anchors_are_kept_as_received_once_with_archives_check(db: Any) -> None:
    good = anchored(signed(3))
    kept = await service.keep(db, good, AT)
    assert kept["signature_valid"] and kept["problem"] == "" and kept["received_at"] == AT.isoformat()
    await service.keep(db, good, AT)  # redelivered
    # a forger's anchor under the same key id, signed with a key of their own: its signature self-checks, but it is
    # not the public key archive first saw for that id
    forged = await service.keep(db, anchored(signed(9, seed=b"\5" * 32)), AT)
    assert not forged["signature_valid"] and "another public key" in forged["problem"]
    altered = await service.keep(db, anchored(signed(4, head_mac="0" * 64)), AT)
    assert altered["problem"] == "its signature does not verify"
    foreign = await service.keep(db, anchored(signed(5, tenant="hz-p2")), AT)
    assert "names tenant 'hz-p2'" in foreign["problem"]

    listed = await service.anchors(db)
    assert [(a["seq"], a["signature_valid"]) for a in listed] == [(3, True), (4, False), (5, False), (9, False)]
    assert {k: listed[0][k] for k in signed(3)} == signed(3)  # the payload unchanged
    first, rest = await service.anchors(db, "", 2), await service.anchors(db, listed[1]["_id"], 10)
    assert [a["seq"] for a in first + rest] == [3, 4, 5, 9]
