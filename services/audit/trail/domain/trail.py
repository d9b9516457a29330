"""The audit trail (审计留痕): every event of a tenant, in the order audit received it, each entry
hashed over its content and the previous entry's hash, so any edit, deletion or reordering breaks
the chain from that point on."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
HASHED_FIELDS = ("seq", "event_id", "type", "tenant", "business_key", "occurred_at", "source", "causation_id",
                 "payload_sha256")


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    body = json.dumps({k: entry[k] for k in HASHED_FIELDS}, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}|{body}".encode()).hexdigest()


def next_entry(previous: dict[str, Any] | None, fields: dict[str, Any]) -> dict[str, Any]:
    seq = previous["seq"] + 1 if previous else 1
    prev_hash = previous["hash"] if previous else GENESIS
    entry = {**fields, "seq": seq, "prev_hash": prev_hash}
    entry["hash"] = entry_hash(prev_hash, entry)
    return entry


def chain(previous: dict[str, Any] | None, batch: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries a batch of events becomes after `previous` (the tail: its `seq` and `hash`), in order: the
    same entries one `next_entry` after another would give."""
    out: list[dict[str, Any]] = []
    for fields in batch:
        out.append(next_entry(out[-1] if out else previous, fields))
    return out


@dataclass(frozen=True)
class Verification:
    valid: bool
    length: int
    broken_at: int | None = None
    reason: str = ""


def verify(entries: Iterable[dict[str, Any]]) -> Verification:
    prev_hash, expected_seq, n = GENESIS, 1, 0
    for e in entries:
        n += 1
        if e["seq"] != expected_seq:
            return Verification(False, n, e["seq"], f"sequence gap: expected {expected_seq}, found {e['seq']}")
        if e["prev_hash"] != prev_hash:
            return Verification(False, n, e["seq"], "previous-hash link broken")
        if entry_hash(prev_hash, e) != e["hash"]:
            return Verification(False, n, e["seq"], "entry content does not match its hash")
        prev_hash, expected_seq = e["hash"], expected_seq + 1
    return Verification(True, n)
