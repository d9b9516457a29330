"""A replay's record: the details hashed into its trail entry, in a fixed order (all of them: the chain must cover
each), and how a replay looks over HTTP."""

from __future__ import annotations

import hashlib
import json
from typing import Any

REPLAYED = "dead_letter.replayed"
# The details a replay is recorded with, in the order they are hashed.
RECORDED = ("id", "attempt", "original_topic", "event_id", "reason", "value_sha256", "replaced")


def details_sha256(details: dict[str, Any]) -> str:
    body = json.dumps({k: details[k] for k in RECORDED}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def replay_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {**{k: doc[k] for k in RECORDED}, "recorded_at": doc["recorded_at"], "recorded_by": doc["recorded_by"],
            "trail_seq": doc["trail_seq"], "trail_event_id": doc["_id"]}
