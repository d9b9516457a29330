"""The filing's explicit states (filing/domain/states.py): how a grant, a renewal and transport trouble move them."""

from datetime import UTC, date, datetime, timedelta

from services.appraisal.filing.domain.states import (
    MAX_ATTEMPTS,
    after_renewal,
    after_transport_failure,
    backoff,
    filing_row,
    filing_started,
)

NOW = datetime(2026, 6, 1, 8, tzinfo=UTC)


def test_a_grant_starts_its_filing_at_once() -> None:
    assert filing_started(NOW) == {"filing_status": "pending", "filing_attempts": 0, "filing_next_at": NOW.isoformat()}


def test_a_renewal_refiles_only_a_filed_qualification() -> None:
    changes = after_renewal({"filing_status": "filed"}, date(2026, 6, 1), "2027-06-30", NOW)
    assert changes["filing_status"] == "renewing" and not changes["filing_renew_revoked"]
    assert changes["filing_period"] == {"begins": "2026-06-01", "ends": "2027-06-30"}
    assert after_renewal({"filing_status": "pending"}, date(2026, 6, 1), "2027-06-30", NOW) == {}


def test_transport_trouble_backs_off_then_fails_visibly() -> None:
    again = after_transport_failure("pending", 3, "ConnectError: x", NOW)
    assert again["filing_status"] == "pending" and again["filing_next_at"] == (NOW + timedelta(seconds=8)).isoformat()
    assert after_transport_failure("revoking", MAX_ATTEMPTS, "e", NOW)["filing_status"] == "failed"
    assert backoff(20) == timedelta(seconds=300)


def test_the_filing_row() -> None:
    row = filing_row({"_id": "c1", "person_id": "P1", "disease_code": "HTN", "filing_status": "filed",
                      "qualification": {"filing_serial": "SN1"}})
    assert (row["filing_serial"], row["attempts"], row["error"]) == ("SN1", 0, "")
