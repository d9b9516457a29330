"""The agency feed's codes: of the errors it raises (ERRORS). A push the agency's system refuses keeps the system's own
answer code and message (agency/errors.py ANSWER_CODES)."""

from __future__ import annotations

ERRORS = {
    "agency_push_not_retryable": "only a failed push to the agency's system can be retried (a pending one is on its "
                                 "way, a sent one is there)",
}
