"""Clocks as the tenders state them (issue 8, item 3): complaint answer deadlines from the caller's own program,
the appraisal clock from the day the application became complete, and the monthly settlement deadline
(月结清算时限) of statements; deadlines on a year not yet published are provisional and worked out again."""

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from chassis import calendar as cal
from chassis.calendar import Deadline, WorkingCalendar, add_working_days, working_days_after
from chassis.errors import InvalidInput
from chassis.programs import load_program, parse_program
from services.appraisal.cases.domain.deadline import current_case, overdue_on, stored_case_deadline
from services.audit.reports.domain.periods import parse_period, report_due
from services.audit.reports.domain.views import report_view
from services.audit.warnings.domain.views import warning_view
from services.intake.complaints.domain.complaint import answer_deadline, answer_deadlines, current_deadline
from services.settlement.chronic.domain.deadlines import (
    month_end,
    settlement_deadline,
    settlement_rule,
    statement_clock,
    statement_overdue,
)
from services.settlement.chronic.service.statements import view


def program(**sections: Any) -> Any:
    return parse_program({"code": "t-prog", "name": "t", "tenants": {"t-1": {"share": "1", "package": 1}},
                          **sections})


@pytest.fixture
def calendar_dir(tmp_path: Path) -> Iterator[Path]:
    before = cal.set_calendar(WorkingCalendar([tmp_path]))
    try:
        yield tmp_path
    finally:
        cal.set_calendar(before)


# ---- complaints: the caller's own program ---------------------------------------------------------------------


def test_complaint_deadlines_are_each_programs_own() -> None:
    hz, qz = answer_deadlines(load_program("hz-chronic")), answer_deadlines(load_program("qz-critical"))
    assert (hz.consultation_working_days, hz.complaint_working_days) == (3, 10)
    assert (qz.consultation_working_days, qz.complaint_working_days) == (2, 5)
    assert qz.basis == "programs/qz-critical/program.yaml intake"
    filed = date(2026, 3, 2)  # a Monday
    assert answer_deadline("complaint", filed, qz)["due_on"] == "2026-03-09"
    assert answer_deadline("complaint", filed, hz)["due_on"] == "2026-03-16"
    assert answer_deadline("consultation", filed, qz)["due_on"] == "2026-03-04"


def test_a_program_without_complaint_settings_uses_the_defaults_and_says_so() -> None:
    rules = answer_deadlines(program(audit={"report_day": 10}))
    assert (rules.consultation_working_days, rules.complaint_working_days, rules.basis) == (3, 10, "default")
    assert answer_deadlines(None).basis == "default"


@pytest.mark.parametrize("bad", [0, -1, "5", 1.5, True, 61])
def test_a_bad_complaint_setting_is_refused_naming_it(bad: Any) -> None:
    with pytest.raises(InvalidInput) as err:
        answer_deadlines(program(intake={"complaint_working_days": bad}))
    assert err.value.field == "intake.complaint_working_days"


def test_a_provisional_complaint_deadline_is_worked_out_again(calendar_dir: Path) -> None:
    rules = answer_deadlines(load_program("hz-chronic"))
    complaint = {"filed_on": "2026-12-24", **answer_deadline("complaint", date(2026, 12, 24), rules)}
    assert complaint["due_on"] == "2027-01-08" and complaint["due_provisional"] is True
    assert current_deadline(complaint)["due_on"] == "2027-01-08"
    (calendar_dir / "cn-2027.yaml").write_text(
        "year: 2027\nsource: test\nholidays: [{name: 元旦, from: 2027-01-01, to: 2027-01-04}]\n", encoding="utf-8")
    cal.reload_calendar()
    fresh = current_deadline(complaint)
    assert (fresh["due_on"], fresh["due_provisional"]) == ("2027-01-11", False)


# ---- the appraisal clock ----------------------------------------------------------------------------------------


def test_a_case_deadline_counts_from_the_clock_start_and_flags_overdue() -> None:
    case = {"clock_from": "2025-09-26", **stored_case_deadline(date(2025, 9, 26), 10)}
    assert case["due_on"] == "2025-10-16" and case["due_provisional"] is False and case["due_working_days"] == 10
    assert not overdue_on(case, date(2025, 10, 16)) and overdue_on(case, date(2025, 10, 17))
    assert current_case(case) is case  # official: kept as saved


def test_a_provisional_case_deadline_turns_official_when_the_year_is_loaded(calendar_dir: Path) -> None:
    case = {"clock_from": "2026-12-24", **stored_case_deadline(date(2026, 12, 24), 10)}
    assert case["due_on"] == "2027-01-08" and case["due_provisional"]
    assert overdue_on(current_case(case), date(2027, 1, 11))  # past the provisional date
    (calendar_dir / "cn-2027.yaml").write_text(
        "year: 2027\nsource: test\nholidays: [{name: 元旦, from: 2027-01-01, to: 2027-01-06}]\n", encoding="utf-8")
    cal.reload_calendar()
    fresh = current_case(case)
    # 12-25..12-31 = 5; 01-07, 01-08, 01-11, 01-12, 01-13 = 10.
    assert (fresh["due_on"], fresh["due_provisional"]) == ("2027-01-13", False)
    assert "official:cn-2027.yaml" in fresh["due_calendar"]
    assert not overdue_on(fresh, date(2027, 1, 11))


# ---- the monthly settlement deadline ---------------------------------------------------------------------------


def test_the_programs_settlement_deadline_is_data() -> None:
    rule = settlement_rule(load_program("hz-chronic"))
    assert rule is not None and rule.working_days == 20
    assert rule.basis == "programs/hz-chronic/program.yaml settlement.monthly_deadline_working_days"
    assert settlement_rule(program()) is None and settlement_deadline(program(), "2026-05") is None
    assert month_end("2024-02") == date(2024, 2, 29)


def test_the_settlement_deadline_counts_working_days_after_the_months_end() -> None:
    hz = load_program("hz-chronic")
    # September 2026 ends on a Wednesday; National Day 10-01..10-07 off; 09-20 and 10-10 are worked Saturdays.
    deadline = settlement_deadline(hz, "2026-09")
    assert deadline == working_days_after(date(2026, 9, 30), 20)
    assert deadline is not None and not deadline.provisional
    assert deadline.due == add_working_days(date(2026, 9, 30), 20) == date(2026, 11, 3)
    december = settlement_deadline(hz, "2026-12")
    assert december is not None and december.provisional and december.due.year == 2027


def test_a_statement_is_overdue_unpaid_past_the_deadline_or_paid_after_it() -> None:
    deadline = Deadline(date(2026, 11, 3), False, "official:cn-2026.yaml")
    assert not statement_overdue(deadline, None, date(2026, 11, 3))
    assert statement_overdue(deadline, None, date(2026, 11, 4))
    assert not statement_overdue(deadline, date(2026, 11, 3), date(2027, 3, 1))
    assert statement_overdue(deadline, date(2026, 11, 4), date(2026, 11, 4))
    assert not statement_overdue(None, None, date(2030, 1, 1))


def test_a_statement_view_carries_the_deadline_and_the_overdue_flag() -> None:
    doc = {"_id": "H1-2026-09", "institution_code": "H1", "month": "2026-09", "status": "closed"}
    totals = {"claimed_fen": 1000, "payable_fen": 800, "lines": 1, "claims": 1, "persons": 1,
              "policy_versions": ["v1"]}
    clock = statement_clock(load_program("hz-chronic"), "2026-09", None, date(2026, 11, 30))
    shown = view(doc, totals, clock)
    assert shown["settlement_deadline"] == "2026-11-03" and shown["overdue"] is True
    assert shown["deadline"]["provisional"] is False and shown["deadline"]["basis"].endswith(
        "settlement.monthly_deadline_working_days")
    on_time = view(doc, totals, statement_clock(load_program("hz-chronic"), "2026-09", date(2026, 11, 2),
                                                date(2026, 11, 30)))
    assert on_time["overdue"] is False
    none = view(doc, totals, statement_clock(program(), "2026-09", None, date(2030, 1, 1)))
    assert none["settlement_deadline"] is None and none["overdue"] is False


@pytest.mark.parametrize("bad", [0, "20", 2.5, False, 100])
def test_a_bad_settlement_setting_is_refused_naming_it(bad: Any) -> None:
    with pytest.raises(InvalidInput) as err:
        settlement_rule(program(settlement={"monthly_deadline_working_days": bad}))
    assert err.value.field == "settlement.monthly_deadline_working_days"


# ---- audit: stored report and warning due dates ------------------------------------------------------------------


def test_stored_provisional_report_and_warning_due_dates_are_worked_out_again(calendar_dir: Path) -> None:
    due = report_due(parse_period("2026-12"), 10, cal.due_by)  # by Sunday 2027-01-10: Friday the 8th, provisional
    assert (due.due, due.provisional) == (date(2027, 1, 8), True)
    report = {"_id": "r1", "kind": "monthly", "period": "2026-12", "report_day": 10, "produced_on": "2027-01-08",
              **due.stored(), "overdue": False}
    warning = {"_id": "w1", "detected_on": "2026-12-30", "due_working_days": 7, "issued_at": "x",
               **working_days_after(date(2026, 12, 30), 7).stored()}
    assert report_view(report)["deadline"]["provisional"] is True
    assert warning_view(warning, date(2027, 1, 1))["due_on"] == "2027-01-11"  # 12-31, 01-04..01-08, 01-11
    # The (fake) notice makes 01-04..01-08 holidays and Saturday 01-09 a working day.
    (calendar_dir / "cn-2027.yaml").write_text(
        "year: 2027\nsource: test\nholidays: [{name: 元旦, from: 2027-01-01, to: 2027-01-08}]\n"
        "workdays: [{date: 2027-01-09, for: 元旦}]\n", encoding="utf-8")
    cal.reload_calendar()
    shown = report_view(report)
    assert shown["due_on"] == "2027-01-09" and shown["deadline"]["provisional"] is False
    assert shown["overdue"] is False  # produced on the 8th, due the 9th
    w = warning_view(warning, date(2027, 1, 20))
    # 12-31 = 1; 01-09 (worked Saturday) = 2; 01-11..01-15 = 7.
    assert w["due_on"] == "2027-01-15" and w["deadline"]["provisional"] is False and w["overdue"] is True
