"""Who the quotas count: designated care institutions on a day, the year's disabled persons."""

from __future__ import annotations

from datetime import date

from services.audit.patrols.domain.populations import designated_institutions, disabled_in_year, survey_population


def registry(institution_id: str, **change: object) -> dict:
    """An institution as the registry's latest institution.changed leaves it (terms, suspensions, termination)."""
    return {"institution_id": institution_id, "kind": "care", "history": [{"version": 3, **change}]}


def test_designated_means_within_a_term_not_suspended_not_terminated() -> None:
    institutions = [
        registry("C01", status="designated", terms=[{"start": "2025-01-01", "end": "2027-12-31"}]),
        registry("C02", status="suspended", terms=[{"start": "2025-01-01", "end": "2027-12-31"}],
                 suspensions=[{"start": "2025-06-10", "end": ""}]),
        registry("C03", status="terminated", terms=[{"start": "2024-01-01", "end": "2025-05-19"}],
                 terminated_on="2025-05-20"),
        registry("C04", status="designated", terms=[{"start": "2025-08-01", "end": "2028-07-31"}]),
        {"institution_id": "H01", "kind": "hospital", "history": [
            {"status": "designated", "terms": [{"start": "2020-01-01", "end": "2030-12-31"}]}]},
    ]
    assert designated_institutions(institutions, date(2025, 3, 31)) == {"C01", "C02", "C03"}
    assert designated_institutions(institutions, date(2025, 6, 30)) == {"C01"}
    assert designated_institutions(institutions, date(2025, 9, 30)) == {"C01", "C04"}


def test_without_terms_the_status_history_decides() -> None:
    older = {"institution_id": "C09", "kind": "care", "history": [
        {"status": "applied", "occurred_at": "2025-01-05T09:00:00+08:00", "seq": 0},
        {"status": "designated", "occurred_at": "2025-02-01T09:00:00+08:00", "seq": 1, "agreement_to": "2027-01-31"},
        {"status": "suspended", "occurred_at": "2025-05-01T09:00:00+08:00", "seq": 2},
        {"status": "resumed", "occurred_at": "2025-08-01T09:00:00+08:00", "seq": 3}]}
    assert [bool(designated_institutions([older], date(2025, m, 28))) for m in (1, 3, 6, 9)] == \
        [False, True, False, True]


def test_the_years_disabled_persons() -> None:
    eligible = {"_id": "k1", "conclusions": [{"concluded_at": "2025-03-01T10:00:00+08:00", "eligible": True}]}
    later = {"_id": "k2", "conclusions": [{"concluded_at": "2026-01-10", "eligible": True}]}
    recovered = {"_id": "k3", "conclusions": [{"concluded_at": "2024-05-01", "eligible": True, "round": 1},
                                              {"concluded_at": "2025-05-01", "eligible": False, "round": 2}]}
    died = {"_id": "k4", "conclusions": [{"concluded_at": "2024-02-01", "eligible": True}]}
    assert disabled_in_year(recovered["conclusions"], 2024) and not disabled_in_year(recovered["conclusions"], 2025)
    assert survey_population([eligible, later, recovered, died], 2025, {"k4"}) == {"k1"}
    assert survey_population([eligible, later, recovered, died], 2024, set()) == {"k3", "k4"}
