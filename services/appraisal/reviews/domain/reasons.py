"""The re-review room's codes: of the errors it raises (ERRORS). The continue / revoke outcome itself carries its
codes from the case room's catalogue (cases/domain/reasons.py: review_passed, review_failed)."""

from __future__ import annotations

ERRORS = {
    "review_requires_active_qualification": "a re-review (复审) concludes only on an active qualification held here",
    "qualification_not_active": "the qualification is not active (revoked already): it cannot be revoked",
    "qualification_changed": "the qualification changed meanwhile; read it again and retry",
}
