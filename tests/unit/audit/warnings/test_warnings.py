"""Anomaly warnings: the written report within 7 working days (holidays and 调休 counted), overdue flags,
and the spending-growth check."""

from datetime import date
from decimal import Decimal

import pytest

from chassis.calendar import add_working_days
from chassis.errors import InvalidInput
from services.audit.warnings.domain.warnings import check_detected_on, spending_growth, warning_due_on, warning_overdue


def test_seven_working_days_across_national_day() -> None:
    # Detected Tue 2025-09-30: 10-01..08 off; 10-09, 10-10, Sat 10-11 (调休), 10-13, 14, 15, 16.
    assert warning_due_on(date(2025, 9, 30), 7, add_working_days) == date(2025, 10, 16)
    # Detected Fri 2025-09-26: Sun 09-28 is a working day (调休), then 29, 30, 10-09, 10, 11, 13.
    assert warning_due_on(date(2025, 9, 26), 7, add_working_days) == date(2025, 10, 13)


def test_seven_working_days_across_spring_festival() -> None:
    # Detected Fri 2025-01-24: Sun 01-26 (调休), 01-27; 01-28..02-04 off; 02-05, 06, 07, Sat 02-08 (调休), 02-10.
    assert warning_due_on(date(2025, 1, 24), 7, add_working_days) == date(2025, 2, 10)


def test_plain_week() -> None:
    assert warning_due_on(date(2025, 3, 3), 7, add_working_days) == date(2025, 3, 12)


def test_overdue_flags() -> None:
    w = {"due_on": "2025-10-16"}
    assert not warning_overdue(w, date(2025, 10, 16))
    assert warning_overdue(w, date(2025, 10, 17))
    assert not warning_overdue({**w, "reported_on": "2025-10-16"}, date(2026, 1, 1))  # reported in time
    assert warning_overdue({**w, "reported_on": "2025-10-17"}, date(2025, 10, 17))  # reported late


def test_a_future_detection_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        check_detected_on(date(2025, 6, 2), date(2025, 6, 1))
    assert err.value.field == "detected_on"


def benefit(month: str, payable_fen: int) -> dict:
    return {"month": month, "payable_fen": payable_fen}


def test_spending_growth_over_threshold_triggers() -> None:
    rows = [benefit("2025-05", 100_000), benefit("2025-06", 90_000), benefit("2025-06", 50_000),
            benefit("2025-04", 999_999)]
    g = spending_growth(rows, "2025-06", "0.30")
    assert (g.current, g.previous, g.growth, g.triggered) == (Decimal("1400.00"), Decimal("1000.00"),
                                                              Decimal("0.4000"), True)
    assert not spending_growth(rows, "2025-06", "0.40").triggered  # growth must exceed the threshold
    assert spending_growth(rows, "2025-06", "1.50").threshold == Decimal("1.50")


def test_no_previous_month_means_nothing_to_compare() -> None:
    g = spending_growth([benefit("2025-01", 100)], "2025-01", "0.30")
    assert g.previous_month == "2024-12" and g.growth is None and not g.triggered


@pytest.mark.parametrize(("month", "threshold", "field"), [("2025-13", "0.3", "month"), ("2025-06", "x", "threshold"),
                                                           ("2025-06", "-1", "threshold")])
def test_bad_check_input(month: str, threshold: str, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        spending_growth([], month, threshold)
    assert err.value.field == field
