"""The anchors' use cases: keep a `trail.anchored` as received, with archive's check of its signature (pinning the
public key first seen for its key id), and list a tenant's anchors a page at a time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chassis.events import Event
from services.archive.trail_anchors.domain.anchors import kept_anchor, problem, signature_verifies
from services.archive.trail_anchors.store import AnchorStore

PAGE = 500
MAX_PAGE = 1000


def anchor_of(event: Event) -> dict[str, Any]:
    """The payload's fields as they came (TrailAnchored)."""
    payload = event.payload
    return {f.name: getattr(payload, f.name) for f in payload.DESCRIPTOR.fields}


async def keep(db: Any, event: Event, now: datetime | None = None) -> dict[str, Any]:
    """Keep one anchor (once; a redelivery changes nothing) with archive's check; the record kept."""
    anchor = anchor_of(event)
    received_at = (now or datetime.now(UTC)).isoformat()
    store = AnchorStore(db)
    key_id, carried = str(anchor.get("key_id", "")), str(anchor.get("public_key", ""))
    if event.tenant == anchor.get("tenant") and signature_verifies(anchor, carried):
        pinned: str | None = await store.pin_key(key_id, carried, received_at)
    else:
        pinned = await store.pinned_key(key_id)
    record = kept_anchor(anchor, event.id, received_at, problem(anchor, event.tenant, pinned))
    await store.keep(record)
    return record


async def anchors(db: Any, after: str = "", limit: int = PAGE) -> list[dict[str, Any]]:
    """The tenant's anchors after the cursor `after`, in position order."""
    return await AnchorStore(db).anchors(after, limit)
