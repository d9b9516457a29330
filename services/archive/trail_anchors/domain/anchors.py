"""A trail anchor as archive keeps it (审计锚点). Audit signs each anchor (Ed25519) over `SIGNING_CONTEXT` + the
canonical JSON (sorted keys, no spaces, UTF-8) of `SIGNED_FIELDS` — the contract written in events.proto
(TrailAnchored) — and archive checks it on receipt: under the public key it carries, which must be the one archive
first saw for that key id (so a forger cannot bring a key of their own), and for the tenant whose event it is.

Archive keeps every anchor, a failing one too, with what failed: audit's verification trusts only its own key and
reports an anchor that fails there; archive's check is what a reader of archive alone can tell."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

SIGNING_CONTEXT = b"jingban trail anchor v1\n"
SIGNED_FIELDS = ("tenant", "seq", "head_mac", "entries", "at", "key_id", "mac_key_id")
PUBLIC_KEY_HEX = 64


def signed_bytes(anchor: Mapping[str, Any]) -> bytes:
    body = {k: anchor[k] for k in SIGNED_FIELDS}
    return SIGNING_CONTEXT + json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def signature_verifies(anchor: Mapping[str, Any], public_key_hex: str) -> bool:
    """The anchor's signature under a raw Ed25519 public key given in hex."""
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        public.verify(bytes.fromhex(str(anchor.get("signature", ""))), signed_bytes(anchor))
    except (InvalidSignature, KeyError, ValueError, TypeError):
        return False
    return True


def problem(anchor: Mapping[str, Any], tenant: str, pinned_public_key: str | None) -> str:
    """What is wrong with an anchor that arrived as `tenant`'s event, archive having first seen
    `pinned_public_key` for its key id (None: never before); "" when nothing is."""
    if anchor.get("tenant") != tenant:
        return f"it names tenant {anchor.get('tenant')!r} but came as an event of {tenant!r}"
    carried = str(anchor.get("public_key", ""))
    if len(carried) != PUBLIC_KEY_HEX:
        return "it carries no Ed25519 public key"
    if pinned_public_key is not None and carried != pinned_public_key:
        return f"it carries another public key than the one first seen for {anchor.get('key_id')!r}"
    if not signature_verifies(anchor, carried):
        return "its signature does not verify"
    return ""


def cursor(seq: int, event_id: str) -> str:
    """An anchor's place: by position, then event id (a forged copy of a position sorts beside the real one)."""
    return f"{seq:020d}:{event_id}"


def kept_anchor(anchor: Mapping[str, Any], event_id: str, received_at: str, why: str) -> dict[str, Any]:
    """The record of one anchor: the payload unchanged, when it came, and archive's check."""
    return {"_id": cursor(int(anchor["seq"]), event_id), **anchor, "event_id": event_id, "received_at": received_at,
            "signature_valid": not why, "problem": why}
