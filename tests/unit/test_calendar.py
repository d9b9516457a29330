"""Working days: the official schedule (data files first, then chinese_calendar), the statutory holidays for a year
not yet published (provisional), and stored deadlines worked out again once the official year is loaded."""

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest
import yaml

from chassis import calendar as cal
from chassis.calendar import (
    DATA_DIR,
    Deadline,
    WorkingCalendar,
    add_working_days,
    due_by,
    is_working_day,
    parse_year_data,
    refreshed,
    stored_deadline,
    working_days_after,
    working_days_between,
)
from chassis.errors import InvalidInput


@pytest.fixture
def calendar_dir(tmp_path: Path) -> Iterator[Path]:
    """A calendar that knows only chinese_calendar's years and what the test writes into tmp_path, used by the
    module-level functions for the test's duration."""
    before = cal.set_calendar(WorkingCalendar([tmp_path]))
    try:
        yield tmp_path
    finally:
        cal.set_calendar(before)


def test_adjusted_working_weekend_counts() -> None:
    # 2025-09-28 is a Sunday made a working day (调休) for the National Day holiday.
    assert date(2025, 9, 28).weekday() == 6
    assert is_working_day(date(2025, 9, 28))
    assert not is_working_day(date(2025, 10, 1))  # National Day
    assert not is_working_day(date(2025, 10, 4))  # Saturday inside the holiday


def test_ten_working_days_across_national_day() -> None:
    # A complete application on Fri 2025-09-26: 9-28 (adjusted Sunday), 9-29, 9-30 = 3; 10-1..10-8 off;
    # 10-9, 10-10, 10-11 (adjusted Saturday) = 6; 10-13, 10-14, 10-15, 10-16 = 10.
    assert add_working_days(date(2025, 9, 26), 10) == date(2025, 10, 16)
    assert working_days_between(date(2025, 9, 26), date(2025, 10, 16)) == 10


def test_plain_week() -> None:
    assert add_working_days(date(2025, 3, 3), 5) == date(2025, 3, 10)


def test_ten_working_days_from_christmas_eve_2026_cross_new_year_into_2027() -> None:
    # Thu 2026-12-24: 12-25, 28, 29, 30, 31 = 5; 2027-01-01 (元旦, a Friday) off; 01-04..01-08 = 10.
    assert not is_working_day(date(2027, 1, 1)) and date(2027, 1, 1).weekday() == 4
    deadline = working_days_after(date(2026, 12, 24), 10)
    assert deadline.due == date(2027, 1, 8)
    # 2026 is official; 2027's schedule is not published in the repo yet: statutory holidays, provisionally.
    assert deadline.provisional
    assert "official:cn-2026.yaml" in deadline.calendar and "statutory:holidays" in deadline.calendar
    assert add_working_days(date(2026, 12, 24), 10) == date(2027, 1, 8)
    assert working_days_between(date(2026, 12, 24), date(2027, 1, 8)) == 10


def test_a_deadline_inside_an_official_year_is_not_provisional() -> None:
    # Mon 2026-09-28: 09-29, 09-30 = 2; National Day 10-01..10-07 off; 10-08, 10-09, Saturday 10-10 (调休) = 5.
    deadline = working_days_after(date(2026, 9, 28), 5)
    assert deadline.due == date(2026, 10, 10) and not deadline.provisional
    assert deadline.calendar == "official:cn-2026.yaml"


def test_statutory_holidays_of_an_unpublished_year() -> None:
    # 2027: Spring Festival eve 02-05 and days 1-3 (02-06..02-08), with make-up days off for the weekend ones.
    for day in (date(2027, 2, 5), date(2027, 2, 8), date(2027, 10, 1), date(2027, 5, 3)):
        assert not is_working_day(day)
        assert cal.is_provisional(day)
    assert is_working_day(date(2027, 3, 1)) and not is_working_day(date(2027, 3, 6))  # a Monday, a Saturday


def test_by_the_10th_never_moves_later() -> None:
    assert due_by(date(2026, 1, 10)) == Deadline(date(2026, 1, 9), False, "official:cn-2026.yaml")  # a Saturday
    assert due_by(date(2026, 10, 10)).due == date(2026, 10, 10)  # Saturday worked (调休)
    assert due_by(date(2024, 2, 10)).due == date(2024, 2, 9)  # first day of the Spring Festival holiday
    assert due_by(date(2027, 1, 10)).due == date(2027, 1, 8) and due_by(date(2027, 1, 10)).provisional


def test_years_far_past_any_known_schedule_are_refused_not_guessed() -> None:
    with pytest.raises(InvalidInput) as err:
        is_working_day(date(2099, 1, 5))
    assert err.value.field == "date"
    with pytest.raises(InvalidInput):
        is_working_day(date(1999, 1, 5))


def test_the_shipped_2026_file_is_the_official_notice_day_by_day() -> None:
    data_only = WorkingCalendar([DATA_DIR], use_chinese_calendar=False)
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert data_only.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)
    assert data_only.day(date(2026, 2, 17)).name == "春节"
    assert data_only.day(date(2026, 2, 28)).name == "春节" and data_only.day(date(2026, 2, 28)).working


def test_every_shipped_year_file_reads() -> None:
    files = sorted(DATA_DIR.glob("cn-*.yaml"))
    assert files
    for path in files:
        parsed = parse_year_data(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)
        assert path.name == f"cn-{parsed.year}.yaml" and parsed.off


YEAR_2027 = """
year: 2027
source: 测试用：假定的2027年安排 (a fake notice for the test)
holidays:
  - {name: 元旦, from: 2027-01-01, to: 2027-01-05}
  - {name: 春节, from: 2027-02-05, to: 2027-02-11}
workdays:
  - {date: 2027-02-20, for: 春节}
"""


def test_provisional_then_official_once_the_year_file_is_added(calendar_dir: Path) -> None:
    start = date(2026, 12, 24)
    stored = {"filed_on": start.isoformat(), **working_days_after(start, 10).stored()}
    assert stored["due_on"] == "2027-01-08" and stored["due_provisional"] is True

    def recompute() -> Deadline:
        return working_days_after(date.fromisoformat(stored["filed_on"]), 10)

    # Read before the official year exists: still the provisional date.
    assert stored_deadline(stored, recompute) == Deadline(date(2027, 1, 8), True, stored["due_calendar"])

    (calendar_dir / "cn-2027.yaml").write_text(YEAR_2027, encoding="utf-8")
    cal.reload_calendar()
    # The (fake) notice gives 01-01..01-05 off: 12-25..12-31 = 5, then 01-06, 07, 08, 11, 12 = 10.
    fresh = stored_deadline(stored, recompute)
    assert fresh is not None and fresh.due == date(2027, 1, 12) and not fresh.provisional
    assert "official:cn-2027.yaml" in fresh.calendar and "statutory" not in fresh.calendar
    saved = refreshed(stored, recompute)
    assert (saved["due_on"], saved["due_provisional"]) == ("2027-01-12", False)
    # An official deadline stays as saved, whatever the calendar says now.
    assert refreshed(saved, lambda: Deadline(date(2030, 1, 1), False, "x")) == saved
    assert stored_deadline({"due_on": "2025-10-16"}, recompute) == Deadline(date(2025, 10, 16), False,
                                                                            cal.CC_SOURCE)
    # The notice's working Saturday counts; its holidays don't.
    assert is_working_day(date(2027, 2, 20)) and not is_working_day(date(2027, 2, 11))


def test_a_notice_reaching_into_the_year_before_wins_for_that_day(calendar_dir: Path) -> None:
    assert is_working_day(date(2026, 12, 31))
    (calendar_dir / "cn-2027.yaml").write_text(YEAR_2027.replace("from: 2027-01-01, to: 2027-01-05",
                                                                  "from: 2026-12-31, to: 2027-01-02"),
                                               encoding="utf-8")
    cal.reload_calendar()
    assert not is_working_day(date(2026, 12, 31))
    assert cal.working_calendar().day(date(2026, 12, 31)).name == "元旦"


def test_the_environment_names_more_data_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cn-2027.yaml").write_text(YEAR_2027, encoding="utf-8")
    monkeypatch.setenv(cal.DATA_DIR_ENV, str(tmp_path))
    assert not WorkingCalendar().day(date(2027, 1, 4)).provisional
    monkeypatch.delenv(cal.DATA_DIR_ENV)
    assert WorkingCalendar().day(date(2027, 1, 4)).provisional


@pytest.mark.parametrize(("text", "field"), [
    ("year: 2027\nholidays: [{name: 元旦, from: 2027-01-01, to: 2027-01-01}]", "cn-2027.yaml.source"),
    ("year: 2027\nsource: x\nholidays: []", "cn-2027.yaml.holidays"),
    ("year: 2027\nsource: x\nholidays: [{name: 元旦, from: 2027-01-03, to: 2027-01-01}]",
     "cn-2027.yaml.holidays[0]"),
    ("year: 2027\nsource: x\nholidays: [{name: 元旦, from: 2027-01-01, to: 2027-01-01}]\n"
     "workdays: [{date: 2027-01-04, for: 元旦}]", "cn-2027.yaml.workdays[0]"),  # a Monday
    ("year: 2027\nsource: x\nholidays: [{name: 元旦, from: 2027-01-01, to: 2027-01-02}]\n"
     "workdays: [{date: 2027-01-02, for: 元旦}]", "cn-2027.yaml.workdays[0]"),  # both off and on
    ("year: 2027\nsource: x\nholidays: [{name: 元旦, from: \"2027-13-01\", to: 2027-01-02}]",
     "cn-2027.yaml.holidays[0].from"),
    ("year: 2026\nsource: x\nholidays: [{name: 元旦, from: 2026-01-01, to: 2026-01-01}]", "cn-2027.yaml.year"),
])
def test_a_bad_year_file_is_refused_naming_the_field(text: str, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_year_data(yaml.safe_load(text), "cn-2027.yaml")
    assert err.value.field == field


@pytest.mark.parametrize("text", ["year: 2027\nsource: x\nholidays: []\n",
                                  "year: 2027\nsource: x\nholidays: [{name: a, from: 2027-13-01}]\n", "[1, 2"])
def test_a_bad_file_in_a_data_folder_stops_the_calendar_loading(tmp_path: Path, text: str) -> None:
    (tmp_path / "cn-2027.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        WorkingCalendar([tmp_path])
    assert err.value.field.startswith("cn-2027.yaml")


def test_negative_days_are_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        add_working_days(date(2026, 3, 2), -1)
    assert err.value.field == "days"


def test_day_cn_reads_instants_in_beijing_time() -> None:
    assert cal.day_cn("2026-12-31T16:30:00+00:00") == date(2027, 1, 1)
    assert cal.day_cn("2026-12-31T15:59:59Z") == date(2026, 12, 31)


def test_business_date_pins_today_and_refuses_a_malformed_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """`JINGBAN_BUSINESS_DATE` replays a fixed day (业务日期); a value that is not a date stops the caller."""
    from chassis.calendar import today_cn

    monkeypatch.setenv("JINGBAN_BUSINESS_DATE", "2025-06-30")
    assert today_cn() == date(2025, 6, 30)
    monkeypatch.setenv("JINGBAN_BUSINESS_DATE", "30/06/2025")
    with pytest.raises(RuntimeError, match="JINGBAN_BUSINESS_DATE"):
        today_cn()
    monkeypatch.delenv("JINGBAN_BUSINESS_DATE")
    assert today_cn().year >= 2026
