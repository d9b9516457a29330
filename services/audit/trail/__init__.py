"""The audit trail (审计留痕): every event of every tenant, in the order audit received it, each entry sealed with a
keyed MAC (HMAC-SHA256, the tenant's `trail` key from the key provider, never in audit's database) chained to the
one before, so an edit or deletion shows and cannot be papered over by recomputing hashes; the head is anchored at
intervals outside audit — a checkpoint signed with the tenant's `anchor` key (Ed25519), published as
`trail.anchored` on a compacted topic and kept by archive — so a cut tail shows too.

Event door (handlers.py): all event types of the catalogue but audit's own anchors, a poll batch per tenant at a
time — appended to the trail (anchoring when due), then folded into the read model (the readmodel room). HTTP door
(api.py): GET /v1/trail, GET /v1/trail/verify (against archive's anchors, over gRPC ListTrailAnchors),
POST /v1/trail/anchors. Events out: `trail.anchored` (outbox in `trail_anchors`). A background loop anchors by
time. The dead_letters room appends its replay records through this room's service. Codes: domain/reasons.py."""
