"""The trail room's catalogue: what `GET /v1/trail/verify` finds wrong with a tenant's trail (PROBLEMS, each
answered as `{code, seq, detail}`), and the room's own error codes (ERRORS)."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

PROBLEMS = ReasonCatalogue("audit trail verification", {
    "rewritten": "篡改 an entry's MAC does not match its content under the trail key it names (an edited entry, "
                 "one whose chain was recomputed without the key, or one naming a key this trail does not hold)",
    "deleted": "删除 a gap in the sequence, or an entry that does not link to the MAC of the entry before it",
    "truncated": "截断 a signed anchor kept by archive names a position beyond the trail's last entry, or a MAC "
                 "at an anchored position other than the one anchored (the tail was cut, and perhaps written again)",
    "anchor_signature_invalid": "an anchor archive keeps does not verify under the tenant's anchor key it names "
                                "(forged, altered, of another tenant, or signed with a key this deployment does not "
                                "hold); it is not used to check the trail",
})

ERRORS: dict[str, str] = {
    "trail_empty": "the trail has no entry yet: there is no head to anchor",
    "anchors_unavailable": "archive, which keeps the trail's anchors, did not answer; nothing was verified",
}
