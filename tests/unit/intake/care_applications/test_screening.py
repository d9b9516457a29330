"""The screening's preconditions at their boundaries (six months to the day, the old-age birthday, members,
documents, one open application), the clerk's outcome checked against them, the clock's overdue flag and what an
assessment event shows."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from chassis.errors import Conflict, InvalidInput
from services.intake.care_applications.domain.screening import (
    SCREENING_EVENTS,
    TIMELINE_EVENTS,
    Facts,
    add_months,
    age_on,
    assessment_event,
    assessment_note,
    decide,
    overdue,
    preconditions,
)


def facts(**changes: object) -> Facts:
    base: dict[str, object] = {
        "basis": "illness", "insutype": "310", "members": frozenset({"310", "390"}), "born": date(1950, 5, 20),
        "applied_on": date(2026, 3, 2), "disabled_since": date(2025, 9, 1), "old_age_from": 60,
        "required": ("id_card", "medical_records"), "provided": frozenset({"id_card", "medical_records"})}
    return Facts(**{**base, **changes})  # type: ignore[arg-type]


def codes(f: Facts) -> tuple[list[str], list[str]]:
    checked = preconditions(f)
    return [r.code for r in checked.passed], [r.code for r in checked.failed]


def test_all_preconditions_hold() -> None:
    passed, failed = codes(facts())
    assert failed == [] and passed == ["member", "disabled_six_months", "documents_present", "only_open_application"]


def test_six_months_to_the_day_before_the_application() -> None:
    assert codes(facts(disabled_since=date(2025, 9, 2), applied_on=date(2026, 3, 1)))[1] == ["disabled_too_recent"]
    assert codes(facts(disabled_since=date(2025, 9, 2), applied_on=date(2026, 3, 2)))[1] == []
    # A month-end start reaches six months on the shorter month's last day.
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert codes(facts(disabled_since=date(2025, 8, 31), applied_on=date(2026, 2, 28)))[1] == []
    assert codes(facts(disabled_since=date(2025, 8, 31), applied_on=date(2026, 2, 27)))[1] == ["disabled_too_recent"]
    reason = preconditions(facts(disabled_since=date(2025, 9, 3))).failed[0]
    assert reason.params == {"disabled_since": "2025-09-03", "applied_on": "2026-03-02", "months": "6",
                             "reached_on": "2026-03-03"}


def test_old_age_from_the_birthday() -> None:
    old = {"basis": "old_age", "disabled_since": None, "required": ("id_card",), "born": date(1966, 3, 2)}
    assert codes(facts(**old))[1] == []  # 60 on the application's date
    assert codes(facts(**{**old, "born": date(1966, 3, 3)}))[1] == ["old_age_not_reached"]
    assert age_on(date(1966, 3, 3), date(2026, 3, 2)) == 59
    assert codes(facts(**old, old_age_from=70))[1] == ["old_age_not_reached"]


def test_not_a_member_documents_missing_and_an_earlier_open_application() -> None:
    _, failed = codes(facts(insutype="320", provided=frozenset({"id_card"}), earlier_open=True))
    assert failed == ["not_member", "documents_missing", "another_open_application"]
    checked = preconditions(facts(provided=frozenset({"id_card"})))
    assert checked.missing == ("medical_records",)
    # A document asked for again stays missing though an older one of its kind is there.
    assert preconditions(facts(outstanding=("medical_records",))).missing == ("medical_records",)


def test_an_accept_the_preconditions_refuse_names_each_failed_code() -> None:
    checked = preconditions(facts(insutype="320", disabled_since=date(2026, 1, 1)))
    with pytest.raises(InvalidInput) as exc:
        decide("submitted", "accept", [], "", checked)
    err = exc.value
    assert err.code == "screening_preconditions_failed"
    assert err.params == {"reasons": "not_member,disabled_too_recent"}
    assert [f["field"] for f in err.fields] == ["application.insutype", "application.disabled_since"]


def test_accept_missing_and_reject() -> None:
    ok = preconditions(facts())
    accepted = decide("submitted", "accept", [], "", ok)
    assert (accepted.status, accepted.event) == ("accepted", "care_application.accepted")
    asked = decide("submitted", "missing", ["other"], "clearer scan", preconditions(
        facts(provided=frozenset({"id_card"}))))
    assert asked.status == "documents_requested" and asked.missing == ("other", "medical_records")
    assert [r.code for r in asked.reasons] == ["documents_missing"]
    rejected = decide("submitted", "reject", [], "", preconditions(facts(insutype="320")))
    assert [r.code for r in rejected.reasons] == ["not_member"]
    by_note = decide("submitted", "reject", [], "材料不实", ok)
    assert [(r.code, r.detail) for r in by_note.reasons] == [("refused_at_screening", "材料不实")]


@pytest.mark.parametrize(("status", "outcome", "missing", "note", "code", "field"), [
    ("accepted", "accept", [], "", "application_not_screenable", None),
    ("submitted", "missing", [], "", "missing_documents_unnamed", "missing"),
    ("submitted", "missing", ["passport"], "", "document_kind_unknown", "missing"),
    ("submitted", "accept", ["other"], "", "missing_with_other_outcome", "missing"),
    ("submitted", "reject", [], "  ", "rejection_reasons_required", "note"),
])
def test_refused_screenings(status: str, outcome: str, missing: list[str], note: str, code: str,
                            field: str | None) -> None:
    with pytest.raises((InvalidInput, Conflict)) as exc:
        decide(status, outcome, missing, note, preconditions(facts()))
    assert (exc.value.code, exc.value.field) == (code, field)


def test_overdue_only_while_complete_and_waiting_past_the_due_day() -> None:
    due = date(2026, 3, 9)
    assert not overdue(due, "submitted", [], date(2026, 3, 9))
    assert overdue(due, "submitted", [], date(2026, 3, 10))
    assert not overdue(due, "documents_requested", [], date(2026, 3, 10))
    assert not overdue(due, "submitted", ["id_card"], date(2026, 3, 10))
    assert not overdue(None, "submitted", [], date(2026, 3, 10))
    assert not overdue(due, "accepted", [], date(2026, 3, 10))


def test_assessment_events_on_the_timeline() -> None:
    opened = SimpleNamespace(assessment_id="as-1", round=1, kind="initial", opened_at="t", assessors=["x", "y"])
    step, changes, note = assessment_note("disability.assessment_opened", opened, "accepted")
    assert step == "in_assessment" and changes["status"] == "in_assessment" and "round 1" in note
    concluded = SimpleNamespace(assessment_id="as-1", round=1, kind="initial", grade=4, grade_name="重度失能II级",
                                eligible=True, scale_version="v", concluded_at="t", recheck_due="2027-03-01")
    step, changes, note = assessment_note("disability.concluded", concluded, "in_assessment")
    assert step == "concluded" and changes["assessment"]["grade"] == 4 and "重度失能II级" in note
    # Nothing of an assessment reverses a screening.
    assert "status" not in assessment_note("disability.concluded", concluded, "rejected")[1]
    # The steps by code, with the scale's values (no person's) as params.
    assert assessment_event("disability.assessment_opened", opened) == ("assessors_drawn",
                                                                         {"round": 1, "kind": "initial"})
    assert assessment_event("disability.concluded", concluded) == ("assessment_concluded", {
        "round": 1, "kind": "initial", "grade": 4, "grade_name": "重度失能II级", "eligible": True,
        "scale_version": "v"})
    assert {"assessors_drawn", "assessment_concluded", *SCREENING_EVENTS.values()} <= set(TIMELINE_EVENTS)
