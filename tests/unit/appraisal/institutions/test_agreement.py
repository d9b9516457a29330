"""The designated-institution agreement's state machine (定点协议管理, domain/agreement.py): the steps in order, a
failure rejecting, the agreement only after all three, renewal after the latest term, suspension, resumption,
termination, interviews, re-application, the migrated fast path, and "designated on day D" from terms,
suspensions and termination."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from chassis.errors import Conflict, Forbidden, InvalidInput
from services.appraisal.institutions.domain import agreement as m
from services.appraisal.institutions.domain.reasons import ERRORS, REASONS

TODAY = date(2026, 3, 2)
ACTOR = m.Actor("reviewer:r1", "2026-03-02T02:00:00+00:00", TODAY)
PARTICULARS = {"institution_id": "WZB-C001", "kind": "care", "name": "龙湾颐养院", "district": "330303",
               "modes": ["institutional", "home_visit"], "beds": 120, "staff": None,
               "contact": {"name": "王芳", "phone": "13800000000"}}
LICENCE = [{"document_id": "licence-0011223344556677", "kind": "licence", "sha256": "ab" * 32}]


def applied() -> dict[str, Any]:
    return m.apply(None, PARTICULARS, LICENCE, ACTOR).record


def through(record: dict[str, Any], *steps: str) -> dict[str, Any]:
    for step in steps:
        experts = ["E1", "E2", "E3"] if step == m.EXPERT_REVIEWED else []
        record = m.record_step(record, step, "pass", "", experts, [], ACTOR).record
    return record


def designated(valid_from: date = date(2026, 1, 1), valid_to: date = date(2028, 12, 31)) -> dict[str, Any]:
    return m.sign_agreement(through(applied(), *m.STEPS), valid_from, valid_to, ACTOR).record


def code_of(exc: pytest.ExceptionInfo[Any]) -> str:
    return exc.value.code


def test_an_application_opens_round_one_awaiting_the_document_review() -> None:
    change = m.apply(None, PARTICULARS, LICENCE, ACTOR)
    r = change.record
    assert (r["status"], r["round"], r["version"], change.step) == ("applied", 1, 1, "applied")
    assert m.next_step(r) == "documents_reviewed"
    assert r["applications"][0]["documents"] == LICENCE and r["applications"][0]["applied_on"] == "2026-03-02"
    assert r["history"][0]["code"] == "applied" and r["history"][0]["status_after"] == "applied"


def test_the_steps_go_in_order_each_once_and_then_the_agreement_designates() -> None:
    r = applied()
    with pytest.raises(Conflict) as exc:
        m.record_step(r, "accepted_on_site", "pass", "", [], [], ACTOR)
    assert code_of(exc) == "step_out_of_order" and exc.value.params == {"expected": "documents_reviewed",
                                                                         "step": "accepted_on_site"}
    with pytest.raises(Conflict) as exc:
        m.sign_agreement(r, date(2026, 1, 1), date(2026, 12, 31), ACTOR)
    assert code_of(exc) == "steps_incomplete"
    assert exc.value.params["missing"] == "documents_reviewed,accepted_on_site,expert_reviewed"
    r = through(r, "documents_reviewed")
    with pytest.raises(Conflict) as exc:  # the same step twice
        m.record_step(r, "documents_reviewed", "pass", "", [], [], ACTOR)
    assert code_of(exc) == "step_out_of_order"
    r = through(r, "accepted_on_site", "expert_reviewed")
    assert r["status"] == "expert_reviewed" and m.next_step(r) is None
    with pytest.raises(Conflict) as exc:  # no step after the expert review
        m.record_step(r, "documents_reviewed", "pass", "", [], [], ACTOR)
    assert code_of(exc) == "step_out_of_order" and exc.value.params["expected"] == ""
    change = m.sign_agreement(r, date(2026, 1, 1), date(2028, 12, 31), ACTOR)
    assert (change.record["status"], change.step, change.effective_on) == ("designated", "designated", "2026-01-01")
    assert change.record["agreements"][0]["agreement_id"] == "WZB-C001-A1"
    assert [s["step"] for s in change.record["steps"]] == list(m.STEPS)
    assert change.record["version"] == 5


def test_a_failed_step_rejects_and_nothing_follows_but_a_new_application() -> None:
    r = through(applied(), "documents_reviewed")
    change = m.record_step(r, "accepted_on_site", "fail", "消防通道堵塞", [], [], ACTOR)
    rejected = change.record
    assert (rejected["status"], change.outcome, change.reason) == ("rejected", "fail", "消防通道堵塞")
    assert rejected["history"][-1]["code"] == "step_failed"
    for step in m.STEPS:
        with pytest.raises(Conflict) as exc:
            m.record_step(rejected, step, "pass", "", ["E1", "E2", "E3"] if step == m.EXPERT_REVIEWED else [], [],
                          ACTOR)
        assert code_of(exc) == "application_rejected"
    with pytest.raises(Conflict) as exc:
        m.sign_agreement(rejected, date(2026, 1, 1), date(2026, 12, 31), ACTOR)
    assert code_of(exc) == "application_rejected"
    again = m.apply(rejected, PARTICULARS, LICENCE, ACTOR).record
    assert (again["status"], again["round"], len(again["applications"])) == ("applied", 2, 2)
    assert again["history"][-1]["code"] == "reapplied"
    assert m.next_step(again) == "documents_reviewed"  # the earlier round's steps stay, the new one starts over
    assert len(again["steps"]) == 2


def test_an_institution_applies_once_while_under_review_or_designated() -> None:
    for record in (applied(), designated()):
        with pytest.raises(Conflict) as exc:
            m.apply(record, PARTICULARS, LICENCE, ACTOR)
        assert code_of(exc) == "institution_exists"


def test_step_input_roles_failure_notes_and_the_expert_panel() -> None:
    with pytest.raises(Forbidden) as exc:
        m.check_step_input("accepted_on_site", "pass", "", [], "clerk")
    assert code_of(exc) == "step_not_for_role"
    assert m.check_step_input("documents_reviewed", "pass", "", [], "clerk") == []
    with pytest.raises(InvalidInput) as exc:
        m.check_step_input("documents_reviewed", "fail", "  ", [], "reviewer")
    assert exc.value.field == "note"
    with pytest.raises(InvalidInput) as exc:  # two distinct experts: one short of the SAMPLE minimum
        m.check_step_input("expert_reviewed", "pass", "", ["E1", "E2", "E1"], "reviewer")
    assert code_of(exc) == "too_few_experts" and exc.value.params == {"minimum": "3"}
    assert m.check_step_input("expert_reviewed", "pass", "", ["E1", "E2", "E1", "E3"], "reviewer") == [
        "E1", "E2", "E3"]
    with pytest.raises(InvalidInput) as exc:
        m.check_step_input("accepted_on_site", "pass", "", ["E1"], "reviewer")
    assert exc.value.field == "experts"


@pytest.mark.parametrize(("valid_from", "valid_to", "ok"), [
    (date(2026, 1, 1), date(2028, 12, 31), True),    # exactly three years
    (date(2026, 1, 1), date(2029, 1, 1), False),     # a day more
    (date(2026, 1, 1), date(2026, 1, 1), True),      # one day
    (date(2024, 2, 29), date(2027, 2, 27), True),    # from 29 February: the anniversary is 28 February
    (date(2024, 2, 29), date(2027, 2, 28), False),
])
def test_a_term_is_at_most_three_years(valid_from: date, valid_to: date, ok: bool) -> None:
    if ok:
        m.check_term(valid_from, valid_to)
        return
    with pytest.raises(InvalidInput) as exc:
        m.check_term(valid_from, valid_to)
    assert code_of(exc) == "agreement_term_too_long" and exc.value.field == "valid_to"


def test_a_term_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        m.check_term(date(2026, 5, 1), date(2026, 4, 30), prefix="agreement.")
    assert exc.value.field == "agreement.valid_to" and code_of(exc) == "invalid_input"


@pytest.mark.parametrize("valid_from", [date(9999, 12, 31), date(9997, 1, 1)])
def test_a_term_whose_end_no_calendar_holds_is_refused(valid_from: date) -> None:
    """Its three-year limit falls past 9999 (a 500 at POST /v1/institutions/{id}/agreement, found probing the fuzz's
    doors: tests/component/test_openapi_fuzz.py FOUND)."""
    with pytest.raises(InvalidInput) as exc:
        m.check_term(valid_from, date(9999, 12, 31), prefix="agreement.")
    assert exc.value.field == "agreement.valid_from" and code_of(exc) == "invalid_input"


def test_renewal_comes_after_the_latest_term_and_keeps_the_old_one() -> None:
    r = designated()
    with pytest.raises(InvalidInput) as exc:
        m.sign_agreement(r, date(2028, 12, 31), date(2030, 12, 31), ACTOR)
    assert code_of(exc) == "agreement_overlaps" and exc.value.field == "valid_from"
    change = m.sign_agreement(r, date(2029, 1, 1), date(2031, 12, 31), ACTOR)
    assert change.step == "renewed" and change.record["status"] == "designated"
    assert [a["kind"] for a in change.record["agreements"]] == ["initial", "renewal"]
    assert m.effective_terms(change.record) == [("2026-01-01", "2028-12-31"), ("2029-01-01", "2031-12-31")]
    assert m.current_term(change.record, TODAY)["agreement_id"] == "WZB-C001-A1"
    assert m.current_term(change.record, date(2030, 6, 1))["agreement_id"] == "WZB-C001-A2"


def test_suspension_resumption_and_the_impossible_moves() -> None:
    r = designated()
    with pytest.raises(Conflict) as exc:
        m.resume(r, date(2026, 4, 1), "", ACTOR)
    assert code_of(exc) == "not_suspended"
    with pytest.raises(InvalidInput) as exc:
        m.suspend(r, "虚记服务", date(2025, 12, 31), ACTOR)
    assert code_of(exc) == "date_outside_term" and exc.value.field == "from"
    suspended = m.suspend(r, "虚记服务", date(2026, 3, 1), ACTOR).record
    assert suspended["status"] == "suspended" and not m.designated_on(suspended, date(2026, 3, 1))
    assert m.designated_on(suspended, date(2026, 2, 28))
    with pytest.raises(Conflict) as exc:
        m.suspend(suspended, "again", date(2026, 3, 5), ACTOR)
    assert code_of(exc) == "already_suspended"
    with pytest.raises(Conflict) as exc:
        m.sign_agreement(suspended, date(2029, 1, 1), date(2029, 12, 31), ACTOR)
    assert code_of(exc) == "agreement_suspended"
    with pytest.raises(InvalidInput) as exc:
        m.resume(suspended, date(2026, 3, 1), "", ACTOR)
    assert code_of(exc) == "resumption_before_suspension" and exc.value.field == "on"
    resumed = m.resume(suspended, date(2026, 4, 1), "整改完成", ACTOR)
    r2 = resumed.record
    assert (r2["status"], resumed.step, resumed.effective_on) == ("designated", "resumed", "2026-04-01")
    assert m.suspension_periods(r2) == [("2026-03-01", "2026-03-31")]
    assert not m.designated_on(r2, date(2026, 3, 31)) and m.designated_on(r2, date(2026, 4, 1))
    with pytest.raises(InvalidInput) as exc:  # a new suspension before the last one ended
        m.suspend(r2, "again", date(2026, 3, 15), ACTOR)
    assert code_of(exc) == "suspension_overlaps"


def test_termination_ends_the_term_and_an_open_suspension_and_only_a_new_application_follows() -> None:
    r = m.suspend(designated(), "拒不整改", date(2026, 3, 1), ACTOR).record
    with pytest.raises(InvalidInput) as exc:
        m.terminate(r, "解除", date(2025, 12, 31), ACTOR)
    assert code_of(exc) == "date_outside_term"
    change = m.terminate(r, "拒不整改", date(2026, 5, 1), ACTOR)
    t = change.record
    assert (t["status"], change.effective_on, m.terminated_on(t)) == ("terminated", "2026-05-01", "2026-05-01")
    assert m.effective_terms(t) == [("2026-01-01", "2026-04-30")]
    assert m.suspension_periods(t) == [("2026-03-01", "2026-04-30")]
    assert not m.designated_on(t, date(2026, 6, 1)) and m.designated_on(t, date(2026, 2, 1))
    for move in (lambda: m.suspend(t, "x", date(2026, 6, 1), ACTOR), lambda: m.resume(t, TODAY, "", ACTOR),
                 lambda: m.terminate(t, "x", date(2026, 6, 1), ACTOR),
                 lambda: m.sign_agreement(t, date(2029, 1, 1), date(2029, 12, 31), ACTOR),
                 lambda: m.record_step(t, "documents_reviewed", "pass", "", [], [], ACTOR)):
        with pytest.raises(Conflict) as exc:
            move()
        assert code_of(exc) == "institution_terminated"
    again = m.apply(t, PARTICULARS, LICENCE, ACTOR).record
    again = m.sign_agreement(through(again, *m.STEPS), date(2027, 1, 1), date(2027, 12, 31), ACTOR).record
    assert again["round"] == 2 and m.terminated_on(again) == ""
    assert m.effective_terms(again) == [("2026-01-01", "2026-04-30"), ("2027-01-01", "2027-12-31")]
    assert m.designated_on(again, date(2027, 6, 1)) and not m.designated_on(again, date(2026, 6, 1))


def test_nothing_to_suspend_terminate_or_interview_before_designation() -> None:
    r = through(applied(), "documents_reviewed")
    for move in (lambda: m.suspend(r, "x", date(2026, 3, 1), ACTOR),
                 lambda: m.terminate(r, "x", date(2026, 3, 1), ACTOR),
                 lambda: m.interview(r, date(2026, 3, 1), ["张三"], ["V01"], "warning", None, "", {}, ACTOR)):
        with pytest.raises(Conflict) as exc:
            move()
        assert code_of(exc) == "not_designated"


def test_an_interview_keeps_its_minutes_and_leaves_the_status() -> None:
    r = designated()
    minutes = {"document_id": "minutes-1", "kind": "minutes", "sha256": "cd" * 32}
    with pytest.raises(InvalidInput) as exc:
        m.interview(r, date(2026, 3, 3), ["张三"], ["V01"], "warning", None, "", minutes, ACTOR)
    assert code_of(exc) == "held_on_in_future" and exc.value.field == "held_on"
    with pytest.raises(InvalidInput) as exc:
        m.interview(r, date(2026, 3, 1), ["张三"], ["V01"], "rectification", date(2026, 2, 1), "", minutes, ACTOR)
    assert exc.value.field == "rectify_by"
    change = m.interview(r, date(2026, 3, 1), ["张三", "李四"], ["V01", "超范围服务"], "rectification",
                         date(2026, 4, 1), "限期整改", minutes, ACTOR)
    held = change.record["interviews"][0]
    assert held["interview_id"] == "WZB-C001-V1" and held["minutes"]["sha256"] == "cd" * 32
    assert change.record["status"] == "designated" and change.record["version"] == r["version"] + 1
    assert change.record["history"][-1]["code"] == "interviewed"


def test_migrated_institutions_are_designated_with_their_term() -> None:
    change = m.migrated(PARTICULARS, date(2025, 1, 1), date(2027, 12, 31), ACTOR)
    r = change.record
    assert (r["status"], r["step"], change.step, r["version"]) == ("designated", "migrated", "migrated", 1)
    assert r["steps"][0]["step"] == "migrated" and r["agreements"][0]["kind"] == "migrated"
    assert m.designated_on(r, TODAY)
    with pytest.raises(InvalidInput) as exc:
        m.migrated(PARTICULARS, date(2025, 1, 1), date(2028, 1, 1), ACTOR, prefix="institutions[3].agreement.")
    assert exc.value.field == "institutions[3].agreement.valid_to"


def test_designated_on_needs_a_term_in_force() -> None:
    r = designated(date(2026, 6, 1), date(2027, 5, 31))
    assert r["status"] == "designated" and not m.designated_on(r, TODAY)   # not begun yet
    assert m.designated_on(r, date(2026, 6, 1)) and not m.designated_on(r, date(2027, 6, 1))  # ended


def test_every_code_the_machine_gives_is_catalogued() -> None:
    for code in ("applied", "reapplied", "step_passed", "step_failed", "designated", "renewed", "migrated",
                 "suspended", "resumed", "terminated", "interviewed"):
        assert code in REASONS
    for code in ("step_out_of_order", "application_rejected", "steps_incomplete", "agreement_overlaps",
                 "already_suspended", "not_suspended", "institution_terminated", "not_designated"):
        assert code in ERRORS
