"""Error codes of consultations, complaints and tips (咨询投诉举报): `{"error": {"code", ...}}`; no reasons of their
own."""

from __future__ import annotations

ERRORS = {
    "complaint_already_resolved": "the consultation or complaint is answered already; it is answered once",
    "tips_not_taken": "the caller's program takes no tips (举报): only a program whose fund use the carrier supervises "
                      "does (a tip becomes a lead to verify); file it as a complaint",
    "tip_institution_required": "a tip (举报) names the designated institution it is about (institution_id)",
}
