"""The trail's MAC chain (domain/trail.py): every entry sealed with the tenant's trail key over all its content, and
what a check of the chain alone reports — an edit, a recomputed unkeyed chain, a deletion, a reordering, a rotated
key, a key the trail does not hold."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from services.audit.trail.domain.trail import GENESIS, MacKey, chain, entry_mac, next_entry, verify

KEY = MacKey("trail/hz-p1/v1", b"k" * 32)
KEYS = {KEY.key_id: KEY.secret}


def fields(i: int) -> dict[str, str]:
    return {"event_id": f"e{i}", "type": "application.submitted", "tenant": "hz-p1", "business_key": "p",
            "occurred_at": f"2025-01-0{i}T00:00:00+00:00", "source": "intake", "causation_id": "",
            "payload_sha256": "ab" * 32, "trace_id": ""}


def trail(n: int, key: MacKey = KEY) -> list[dict[str, Any]]:
    return [{"_id": e["seq"], **e} for e in chain(None, [fields(i) for i in range(1, n + 1)], key)]


def codes(result: Any) -> list[tuple[str, int]]:
    return [(p.code, p.seq) for p in result.problems]


def test_a_fresh_chain_verifies() -> None:
    entries = trail(5)
    assert entries[0]["prev_mac"] == GENESIS and [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    assert all(e["key_id"] == "trail/hz-p1/v1" for e in entries)
    result = verify(entries, KEYS)
    assert result.valid and result.entries == 5 and result.problems == () and result.anchored_through == 0


def test_the_mac_is_keyed_and_covers_every_field_but_id_and_mac() -> None:
    entry = next_entry(None, {**fields(1), "replay": {"attempt": 1}, "recorded_by": {"role": "ops"}}, KEY)
    assert entry["mac"] == entry_mac(KEY.secret, entry) != entry_mac(b"x" * 32, entry)
    for name in ("recorded_by", "trace_id", "key_id", "prev_mac", "seq"):
        changed = {**entry, name: "other"}
        assert entry_mac(KEY.secret, changed) != entry["mac"], name
    assert entry_mac(KEY.secret, {**entry, "_id": 99}) == entry["mac"]
    assert "k" * 32 not in repr(KEY)  # the key's bytes never show


def test_an_edited_entry_is_rewritten_and_nothing_else() -> None:
    entries = trail(4)
    entries[2] = {**entries[2], "type": "qualification.granted"}
    assert codes(verify(entries, KEYS)) == [("rewritten", 3)]


def test_a_chain_recomputed_without_the_key_is_rewritten_from_the_edit_on() -> None:
    """The attack on the old trail: edit an entry and recompute the SHA-256 chain from there — the links hold, the
    MACs do not."""
    entries = trail(5)
    entries[1] = {**entries[1], "business_key": "someone-else"}
    for i in range(1, 5):
        e = entries[i]
        e["prev_mac"] = entries[i - 1]["mac"]
        body = json.dumps({k: v for k, v in e.items() if k not in ("_id", "mac")}, sort_keys=True)
        e["mac"] = hashlib.sha256(f"{e['prev_mac']}|{body}".encode()).hexdigest()
    assert codes(verify(entries, KEYS)) == [("rewritten", s) for s in (2, 3, 4, 5)]


def test_a_deleted_entry_is_a_gap_and_a_renumbered_tail_is_a_broken_link() -> None:
    gap = trail(4)
    del gap[1]
    result = verify(gap, KEYS)
    assert codes(result) == [("deleted", 2)] and "entry 2 is missing" in result.problems[0].detail

    renumbered = trail(4)
    del renumbered[1]
    for i, e in enumerate(renumbered, 1):
        e["_id"] = e["seq"] = i
    assert codes(verify(renumbered, KEYS)) == [("deleted", 2), ("rewritten", 2), ("rewritten", 3)]


def test_content_audit_never_writes_is_rewritten_not_a_crash() -> None:
    from datetime import UTC, datetime

    entries = trail(2)
    entries[1] = {**entries[1], "occurred_at": datetime(2025, 1, 2, tzinfo=UTC), "mac": 7}
    assert codes(verify(entries, KEYS)) == [("rewritten", 2)]
    entries[1]["mac"] = "0" * 64
    assert codes(verify(entries, KEYS)) == [("rewritten", 2)]


def test_swapped_entries_and_a_moved_position_are_reported() -> None:
    swapped = trail(3)
    swapped[1], swapped[2] = swapped[2], swapped[1]
    assert not verify(swapped, KEYS).valid

    moved = trail(3)
    moved[1] = {**moved[1], "seq": 7}
    assert ("rewritten", 2) in codes(verify(moved, KEYS))


def test_a_rotated_key_verifies_its_own_entries_and_an_unknown_key_does_not() -> None:
    old = trail(2)
    newer = chain(old[-1], [fields(3), fields(4)], MacKey("trail/hz-p1/v2", b"n" * 32))
    entries = old + [{"_id": e["seq"], **e} for e in newer]
    assert verify(entries, {**KEYS, "trail/hz-p1/v2": b"n" * 32}).valid
    assert codes(verify(entries, KEYS)) == [("rewritten", 3), ("rewritten", 4)]
    unkeyed = trail(2)
    del unkeyed[1]["key_id"]
    assert "names no MAC key" in verify(unkeyed, KEYS).problems[0].detail


def test_problems_are_listed_up_to_a_bound_and_all_counted() -> None:
    entries = trail(5)
    result = verify(entries, {})
    assert result.problems_total == 5 and len(result.problems) == 5
    from services.audit.trail.domain.trail import TrailCheck

    check = TrailCheck("hz-p1", max_problems=2)
    check.entries(entries, {})
    capped = check.finish()
    assert capped.problems_total == 5 and len(capped.problems) == 2 and not capped.valid
