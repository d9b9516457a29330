"""Anchors (锚点) of the trail: at intervals audit signs a checkpoint of its trail's head — the tenant, the head's
position, its MAC, how many entries there are, when, and which keys — with the tenant's anchor key (Ed25519), and
publishes it (`trail.anchored`, a compacted topic keyed by tenant) for archive to keep, outside audit's store. A
holder of the public key can check an anchor; audit's verification checks its trail against them, so a tail cut
off after an anchor shows (`truncated`), whatever was done to audit's database.

The signed bytes are the contract between audit (signs) and archive (checks on receipt):
`SIGNING_CONTEXT` + canonical JSON (sorted keys, no spaces, UTF-8) of the fields `SIGNED_FIELDS`.

Also the anchoring policy: every N entries and/or every T seconds, whichever comes first, when the trail grew.
Pure: the seed, the head and the time are handed over."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SIGNING_CONTEXT = b"jingban trail anchor v1\n"
SIGNED_FIELDS = ("tenant", "seq", "head_mac", "entries", "at", "key_id", "mac_key_id")


def signed_bytes(anchor: Mapping[str, Any]) -> bytes:
    body = {k: anchor[k] for k in SIGNED_FIELDS}
    return SIGNING_CONTEXT + json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def public_key(seed: bytes) -> bytes:
    """The raw 32-byte Ed25519 public key of an anchor key (its 32-byte seed, from the key provider)."""
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign_anchor(*, tenant: str, seq: int, head_mac: str, at: str, key_id: str, mac_key_id: str,
                seed: bytes) -> dict[str, Any]:
    """The anchor of the head at `seq`: its signed fields, the public key (hex; a convenience — a verifier trusts
    the key it holds, not the one an anchor carries) and the signature (hex). Positions start at 1 with no gap, so
    the entries count is the head's position."""
    anchor: dict[str, Any] = {"tenant": tenant, "seq": seq, "head_mac": head_mac, "entries": seq, "at": at,
                              "key_id": key_id, "mac_key_id": mac_key_id}
    private = Ed25519PrivateKey.from_private_bytes(seed)
    anchor["public_key"] = public_key(seed).hex()
    anchor["signature"] = private.sign(signed_bytes(anchor)).hex()
    return anchor


def anchor_signature_valid(anchor: Mapping[str, Any], public: bytes) -> bool:
    """True when `anchor` carries every signed field and its signature verifies under `public` (raw bytes)."""
    try:
        signature = bytes.fromhex(str(anchor.get("signature", "")))
        Ed25519PublicKey.from_public_bytes(public).verify(signature, signed_bytes(anchor))
    except (InvalidSignature, KeyError, ValueError, TypeError):
        return False
    return True


@dataclass(frozen=True)
class AnchorPolicy:
    """When audit anchors its trail on its own (besides on demand): once `every_entries` entries were added since
    the last anchor, or `every_seconds` after it when any entry was (0 turns that rule off). Defaults: 100 entries,
    60 seconds — at most a minute or a hundred entries can be cut from the tail without it showing."""

    every_entries: int = 100
    every_seconds: float = 60.0

    def due(self, head_seq: int, anchored_seq: int, anchored_at: datetime | None, now: datetime) -> bool:
        """Whether to anchor the head at `head_seq` now, the last anchor being at `anchored_seq` (0: none) made at
        `anchored_at`. A last anchor beyond the head or in the future cannot be audit's own note (someone wrote
        audit's database): anchor, rather than stay quiet."""
        if head_seq <= 0 or head_seq == anchored_seq:
            return False
        if anchored_seq > head_seq or (anchored_at is not None and anchored_at > now):
            return True
        if self.every_entries > 0 and head_seq - anchored_seq >= self.every_entries:
            return True
        if self.every_seconds > 0:
            return anchored_at is None or (now - anchored_at).total_seconds() >= self.every_seconds
        return False
