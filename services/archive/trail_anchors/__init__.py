"""The audit trail's anchors (审计锚点), kept outside audit: every `trail.anchored` audit publishes (a signed
checkpoint of a tenant's trail head) is kept as received, all of them, with archive's own check of its signature on
receipt. Audit verifies its trail against them, so a trail rewritten or cut inside audit's database shows.

Doors: events — `trail.anchored` (handlers.py); gRPC ArchiveService.ListTrailAnchors (rpc.py; audit only). No HTTP,
no events out. Collections: `trail_anchors`, `trail_anchor_keys` (the public key first seen per anchor key id)."""
