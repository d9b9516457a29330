"""The explicit states of a qualification's provincial filing (`filing_status` on the case that granted it):

- `pending` → 2503 (备案) → `filed`; a refusal → `rejected`, transport trouble retried with backoff, then `failed`;
- `renewing` (a passed re-review, 复审: 2504 of the old period, then 2503 of the new) → `filed`;
- `revoking` (a revoked qualification whose filing stands at the platform: 2504) → `revoked`;
- `cancelled`: a revoked qualification never filed (or whose old filing a renewal already revoked).

A clerk retries a `failed` or `rejected` filing at the step that failed (`filing_failed_step`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from chassis.errors import JingbanError

MAX_ATTEMPTS = 8
# Filing statuses the worker acts on: file (2503), renew after a passed re-review (2504 + 2503), revoke (2504).
STEPS = ("pending", "renewing", "revoking")
RETRYABLE = ("failed", "rejected")
STATUSES = ("pending", "filed", "failed", "rejected", "renewing", "revoking", "revoked", "cancelled")


class MissingInsutype(JingbanError):
    """The case cannot be filed: 2503 needs the person's insurance type, which 1101 did not give."""


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(300, 2 ** attempts))


def filing_started(now: datetime) -> dict[str, Any]:
    """A granted qualification's filing: pending, due at once."""
    return {"filing_status": "pending", "filing_attempts": 0, "filing_next_at": now.isoformat()}


def after_revocation(case: dict[str, Any]) -> str:
    """A revoked qualification's filing: one standing at the platform is revoked there (2504); one never filed (or
    whose old filing a renewal already revoked) is cancelled; one already revoked or cancelled stays so."""
    status = case.get("filing_status", "")
    standing = bool((case.get("qualification") or {}).get("filing_serial")) and not case.get("filing_renew_revoked")
    if status in ("filed", "renewing", "pending", "failed", "rejected"):
        return "revoking" if standing else "cancelled"
    return status


def after_renewal(case: dict[str, Any], renewed_on: date, review_due: str, now: datetime) -> dict[str, Any]:
    """A passed re-review: a filed qualification's filing ends on the old review date and is replaced by one for the
    new period (2504, then 2503); any other filing state is left as it is."""
    if case.get("filing_status") != "filed":
        return {}
    return {"filing_status": "renewing", "filing_renew_revoked": False, "filing_attempts": 0,
            "filing_period": {"begins": renewed_on.isoformat(), "ends": review_due},
            "filing_next_at": now.isoformat()}


def after_transport_failure(status: str, attempts: int, error: str, now: datetime) -> dict[str, Any]:
    """Transport trouble: try the same step again after a backoff, then give up visibly (`failed`)."""
    return {"filing_status": status if attempts < MAX_ATTEMPTS else "failed", "filing_attempts": attempts,
            "filing_error": error, "filing_failed_step": status,
            "filing_next_at": (now + backoff(attempts)).isoformat()}


def filing_row(case: dict[str, Any]) -> dict[str, Any]:
    """A qualification's filing as the filing list answers it."""
    return {"case_id": case["_id"], "qualification_id": case.get("qualification_id"), "person_id": case["person_id"],
            "disease_code": case["disease_code"], "filing_status": case.get("filing_status"),
            "filing_serial": (case.get("qualification") or {}).get("filing_serial", ""),
            "attempts": case.get("filing_attempts", 0), "error": case.get("filing_error", "")}
