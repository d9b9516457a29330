"""Error codes of consultations and complaints (咨询投诉): `{"error": {"code", ...}}`; no reasons of their own."""

from __future__ import annotations

ERRORS = {
    "complaint_already_resolved": "the consultation or complaint is answered already; it is answered once",
}
