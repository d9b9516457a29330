"""The trail's anchors (domain/anchors.py) and the check of a trail against them (domain/trail.py TrailCheck): a
signature a holder of the public key can check, an anchor that is forged, altered, of another tenant or under a key
not held set aside as `anchor_signature_invalid`, a tail cut after an anchor `truncated`, a trail cut and written
again past an anchored position `truncated` — and the anchoring policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.audit.trail.domain.anchors import (
    AnchorPolicy,
    anchor_signature_valid,
    public_key,
    sign_anchor,
    signed_bytes,
)
from services.audit.trail.domain.trail import MacKey, TrailCheck, chain, verify

TENANT = "hz-p1"
KEY = MacKey("trail/hz-p1/v1", b"k" * 32)
KEYS = {KEY.key_id: KEY.secret}
SEED = bytes(range(32))
ANCHOR_KEY = "anchor/hz-p1/v1"
PUBLIC = {ANCHOR_KEY: public_key(SEED)}


def fields(i: int) -> dict[str, str]:
    return {"event_id": f"e{i}", "type": "benefits.settled", "tenant": TENANT, "business_key": f"p{i}",
            "occurred_at": "2025-03-01T00:00:00+00:00", "source": "settlement", "causation_id": "",
            "payload_sha256": f"{i:064x}", "trace_id": ""}


def trail(n: int) -> list[dict[str, Any]]:
    return [{"_id": e["seq"], **e} for e in chain(None, [fields(i) for i in range(1, n + 1)], KEY)]


def anchor_of(entries: list[dict[str, Any]], seq: int, seed: bytes = SEED, tenant: str = TENANT,
              key_id: str = ANCHOR_KEY) -> dict[str, Any]:
    head = entries[seq - 1]
    return sign_anchor(tenant=tenant, seq=seq, head_mac=head["mac"], at=f"2025-03-01T00:{seq:02d}:00+00:00",
                       key_id=key_id, mac_key_id=head["key_id"], seed=seed)


def problems(result: Any) -> list[tuple[str, int]]:
    return [(p.code, p.seq) for p in result.problems]


def test_an_anchor_is_signed_over_its_fields_and_checks_with_the_public_key_alone() -> None:
    entries = trail(3)
    anchor = anchor_of(entries, 3)
    assert anchor["entries"] == 3 and anchor["head_mac"] == entries[2]["mac"] and anchor["mac_key_id"] == KEY.key_id
    assert signed_bytes(anchor).startswith(b"jingban trail anchor v1\n{\"at\":")
    # A holder of the public key needs nothing of Jingban's to check it.
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(anchor["public_key"])).verify(
        bytes.fromhex(anchor["signature"]), signed_bytes(anchor))
    assert anchor_signature_valid(anchor, public_key(SEED))
    for name, value in (("seq", 2), ("head_mac", "0" * 64), ("tenant", "hz-p2"), ("at", "2030-01-01"),
                        ("entries", 9), ("key_id", "anchor/hz-p1/v2"), ("mac_key_id", "x")):
        assert not anchor_signature_valid({**anchor, name: value}, public_key(SEED)), name
    assert not anchor_signature_valid(anchor, public_key(b"\1" * 32))
    assert not anchor_signature_valid({**anchor, "signature": "zz"}, public_key(SEED))


def test_a_trail_agreeing_with_its_anchors_is_valid_and_anchored_through_the_newest() -> None:
    entries = trail(6)
    result = verify(entries, KEYS, TENANT, [anchor_of(entries, 2), anchor_of(entries, 5)], PUBLIC)
    assert result.valid and result.anchored_through == 5 and result.entries == 6


def test_a_tail_cut_after_an_anchor_is_truncated() -> None:
    entries = trail(6)
    anchors = [anchor_of(entries, 3), anchor_of(entries, 6)]
    cut = entries[:4]  # 5 and 6 gone; the chain that is left is whole
    assert verify(cut, KEYS).valid  # what the chain alone can tell
    result = verify(cut, KEYS, TENANT, anchors, PUBLIC)
    assert problems(result) == [("truncated", 6)] and result.anchored_through == 6
    assert "entries 5–6 are gone" in result.problems[0].detail


def test_a_trail_cut_and_written_again_past_an_anchor_is_truncated_there() -> None:
    """Cut back to 3, then audit (holding the key) appended new events as 4, 5, 6: every MAC verifies, but
    position 5 is not the entry anchored there."""
    entries = trail(6)
    anchors = [anchor_of(entries, 5)]
    regrown = entries[:3] + [{"_id": e["seq"], **e} for e in chain(entries[2], [fields(i) for i in (40, 50, 60)], KEY)]
    assert verify(regrown, KEYS).valid
    assert problems(verify(regrown, KEYS, TENANT, anchors, PUBLIC)) == [("truncated", 5)]


def test_a_rewrite_under_an_anchor_is_rewritten_not_truncated() -> None:
    entries = trail(4)
    entries[3] = {**entries[3], "business_key": "x"}
    assert problems(verify(entries, KEYS, TENANT, [anchor_of(entries, 4)], PUBLIC)) == [("rewritten", 4)]


@pytest.mark.parametrize("bad", ["forged", "altered", "other_tenant", "key_not_held"])
def test_an_anchor_that_does_not_verify_is_reported_and_not_used(bad: str) -> None:
    entries = trail(4)
    anchor = {"forged": lambda: anchor_of(entries, 4, seed=b"\7" * 32),
              "altered": lambda: {**anchor_of(entries, 4), "seq": 9},
              "other_tenant": lambda: anchor_of(entries, 4, tenant="hz-p2"),
              "key_not_held": lambda: anchor_of(entries, 4, key_id="anchor/hz-p1/v9")}[bad]()
    result = verify(entries[:2], KEYS, TENANT, [anchor], PUBLIC)
    # not used: the tail it would name beyond the trail is not reported as truncated
    assert [p.code for p in result.problems] == ["anchor_signature_invalid"] and result.anchored_through == 0


def test_fed_a_page_at_a_time_the_check_finds_the_same() -> None:
    entries = trail(9)
    anchors = [anchor_of(entries, s) for s in (2, 4, 8, 9)]
    cut = entries[:8]
    del cut[5]  # entry 6 deleted as well
    check, waiting = TrailCheck(TENANT), list(anchors)
    for start in range(0, len(cut), 3):
        page = cut[start:start + 3]
        check.entries(page, KEYS)
        check.anchors([a for a in waiting if a["seq"] <= page[-1]["seq"]], PUBLIC)
        waiting = [a for a in waiting if a["seq"] > page[-1]["seq"]]
    check.anchors(waiting, PUBLIC)  # those beyond the last entry
    paged = check.finish()
    whole = verify(cut, KEYS, TENANT, anchors, PUBLIC)
    assert problems(paged) == problems(whole) == [("deleted", 6), ("truncated", 9)]


NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("head", "anchored", "ago", "due"), [
    (0, 0, None, False),        # nothing to anchor
    (1, 0, None, True),         # never anchored: the first entry is anchored
    (50, 50, 3600, False),      # an idle trail is not anchored again
    (150, 50, 5, True),         # 100 entries since
    (60, 50, 30, False),        # neither rule yet
    (60, 50, 61, True),         # a minute since, and it grew
    (40, 50, 5, True),          # a last anchor beyond the head: not audit's own note
    (60, 50, -600, True),       # a last anchor in the future: likewise
])
def test_the_anchoring_policy(head: int, anchored: int, ago: float | None, due: bool) -> None:
    at = NOW - timedelta(seconds=ago) if ago is not None else None
    assert AnchorPolicy().due(head, anchored, at, NOW) is due


def test_a_policy_with_the_time_rule_off_anchors_by_entries_only() -> None:
    policy = AnchorPolicy(every_entries=10, every_seconds=0)
    assert not policy.due(5, 0, None, NOW) and policy.due(10, 0, None, NOW)
