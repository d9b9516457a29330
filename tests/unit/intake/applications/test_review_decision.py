"""The clerk's preliminary review (初审) decided in the domain (services/intake/applications/domain/review.py):
complete, documents missing or rejected — the status, the event and notification that follow, the timeline note and
the reasons as codes."""

from __future__ import annotations

import pytest

from chassis.errors import Conflict, InvalidInput
from chassis.reasons import UnknownReason
from services.intake.applications.domain.application import TIMELINE_EVENTS, check_review, timeline_entry
from services.intake.applications.domain.reasons import ERRORS, REASONS
from services.intake.applications.domain.review import REFUSED_BY_DEFAULT, decide_review

INSURED = {"checked": True, "insured": True, "psn_no": "P1", "error": ""}
NOT_INSURED = {"checked": True, "insured": False, "error": "1101: person not found"}


def codes(decision: object) -> list[str]:
    return [r.code for r in decision.reasons]  # type: ignore[attr-defined]


def test_a_complete_application_of_an_insured_person_is_complete_without_reasons() -> None:
    d = decide_review("complete", "ok", [], [], INSURED)
    assert (d.status, d.event, d.template, d.note) == ("complete", "application.completed", "complete", "ok")
    assert d.reasons == () and d.missing == () and d.rejection == ""


def test_a_complete_application_of_a_person_1101_does_not_confirm_is_rejected_as_not_insured() -> None:
    d = decide_review("complete", "looks fine", [], [], NOT_INSURED)
    assert (d.status, d.event, d.template) == ("rejected", "application.rejected", "rejected")
    assert codes(d) == ["not_insured"] and d.reasons[0].params == {"error": "1101: person not found"}
    assert d.note == d.rejection == d.params["reason"] and "1101" in d.note
    suspended = decide_review("complete", "", [], [], {"insured": False, "error": ""})
    assert suspended.reasons[0].params == {"error": "suspended"}


def test_documents_missing_asks_for_the_clerks_list_and_the_checklists_gaps() -> None:
    d = decide_review("missing", "please add", ["id_card"], ["medical_record", "id_card"], INSURED)
    assert (d.status, d.event, d.template) == ("documents_missing", "application.documents_requested",
                                               "documents_missing")
    assert d.missing == ("id_card", "medical_record")
    assert codes(d) == ["documents_missing"] and d.reasons[0].params == {"missing": "id_card,medical_record"}
    assert d.params == {"missing": "id_card、medical_record", "note": "please add"}


def test_a_clerks_refusal_carries_their_note_or_the_default_sentence() -> None:
    d = decide_review("reject", "not resident", [], [], INSURED)
    assert (d.status, d.rejection, d.note, codes(d)) == ("rejected", "not resident", "not resident",
                                                          ["refused_at_review"])
    quiet = decide_review("reject", "", [], [], NOT_INSURED)  # refused by the clerk: 1101 is not the reason
    assert (quiet.rejection, quiet.note, codes(quiet)) == (REFUSED_BY_DEFAULT, "", ["refused_at_review"])
    assert quiet.params == {"reason": REFUSED_BY_DEFAULT}


def test_the_review_is_refused_with_a_code_before_anything_is_decided() -> None:
    with pytest.raises(Conflict) as done:
        check_review("complete", "complete", [], [])
    assert done.value.code == "application_not_reviewable"
    with pytest.raises(Conflict) as gaps:
        check_review("submitted", "complete", ["id_card"], [])
    assert gaps.value.code == "required_documents_missing" and gaps.value.params == {"missing": "id_card"}
    with pytest.raises(InvalidInput) as unnamed:
        check_review("submitted", "missing", [], [])
    assert unnamed.value.code == "missing_documents_unnamed" and unnamed.value.field == "missing"
    check_review("submitted", "missing", ["id_card"], [])


def test_the_timeline_entry_of_a_decision_carries_its_codes() -> None:
    d = decide_review("reject", "x", [], [], INSURED)
    entry = timeline_entry(d.status, "2025-06-01T00:00:00+00:00", d.note, d.reasons)
    assert [r["code"] for r in entry["reason_codes"]] == ["refused_at_review"]
    assert "reason_codes" not in timeline_entry("submitted", "2025-06-01T00:00:00+00:00", "online channel")


def test_each_decision_names_its_timeline_code_and_params_without_personal_data() -> None:
    """The step's `event` and `params` (stored in clear) carry codes only: 1101's error — which may quote the
    identity number — stays in the sealed note and reasons."""
    at = "2025-06-01T00:00:00+00:00"
    leaky = {"insured": False, "error": "证件号码校验失败：610702198001010018"}
    cases = [
        (decide_review("complete", "ok", [], [], INSURED), "review_completed", {}),
        (decide_review("missing", "x", ["id_card"], ["medical_record"], INSURED), "documents_requested",
         {"missing": ["id_card", "medical_record"]}),
        (decide_review("reject", "not resident", [], [], INSURED), "review_refused", {}),
        (decide_review("complete", "", [], [], leaky), "not_insured", {}),
    ]
    for d, code, params in cases:
        entry = timeline_entry(d.status, at, d.note, d.reasons, d.entry_event, d.entry_params)
        assert (entry["event"], entry["params"]) == (code, params)
        assert code in TIMELINE_EVENTS
    assert "610702198001010018" in cases[-1][0].note  # the note (sealed at rest) keeps 1101's words


def test_the_catalogue_refuses_unknown_codes_and_documents_its_errors() -> None:
    with pytest.raises(UnknownReason):
        REASONS.reason("no_such_code")
    assert set(REASONS) == {"documents_missing", "not_insured", "refused_at_review"}
    assert all(text.strip() for text in ERRORS.values())
