"""The settlement review room's catalogue (智能审核): why a line pays nothing after review, and why a statement
cannot close yet."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

REASONS = ReasonCatalogue("smart review holds (智能审核, settlement)", {
    "smart_review_refused": "拒付: a smart review (智能审核) hit holding the line was confirmed by a reviewer; "
                            "the line pays nothing to the institution (params: rule, hit_id)",
})

ERRORS = {
    "review_pending": "the statement cannot close yet: a batch of it is still under smart review (智能审核), or lines "
                      "are held by open hits a reviewer has not decided (params: pending_batches, held_lines, "
                      "open_hits)",
}
