"""A month's care benefit from the (SAMPLE, versioned) benefit levels: days once each, visits each, caps."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from chassis.errors import InvalidInput
from services.settlement.care.domain.benefits import load_levels, month_benefit
from services.settlement.care.domain.plans import Plan, ServiceRecord

LEVELS = load_levels()


def rec(rid: str, day: int, hour: int = 9, month: int = 3) -> ServiceRecord:
    return ServiceRecord(rid, "p1", "c1", "basic_care", datetime(2026, month, day, hour),
                         datetime(2026, month, day, hour + 1))


def plan(mode: str, grade: int) -> Plan:
    return Plan("p1", mode, grade, date(2026, 1, 1), date(2026, 12, 31), {"basic_care": 30})


def test_institutional_days_count_once_each() -> None:
    b = month_benefit(LEVELS, plan("institutional", 4), [rec("a", 1), rec("b", 1, 14), rec("c", 2)])
    assert (b.units, b.payable_fen, b.version) == (2, 12_000, "wz-ltc-benefits-sample-2026.1")
    assert [r.code for r in b.reasons] == ["benefit_priced"]


def test_home_visits_count_each_and_stop_at_the_month_cap() -> None:
    visits = [rec(f"v{d}", d) for d in range(1, 21)]  # 20 visits × 100.00 = 2000.00 > 1800.00
    b = month_benefit(LEVELS, plan("home_visits", 5), visits)
    assert (b.units, b.payable_fen) == (20, 180_000) and b.reasons[-1].code == "benefit_capped"
    under = month_benefit(LEVELS, plan("home_visits", 5), visits[:18])
    assert under.payable_fen == 180_000 and [r.code for r in under.reasons] == ["benefit_priced"]  # exactly the cap


def test_family_care_and_bad_input() -> None:
    assert month_benefit(LEVELS, plan("family", 3), [rec("a", 5)]).payable_fen == 2_000
    with pytest.raises(InvalidInput) as err:
        month_benefit(LEVELS, plan("family", 2), [rec("a", 5)])
    assert err.value.field == "grade"
    with pytest.raises(InvalidInput) as err:
        month_benefit(LEVELS, plan("family", 3), [rec("a", 5), rec("b", 5, month=4)])
    assert err.value.code == "invalid_record"
    assert month_benefit(LEVELS, plan("family", 3), []).payable_fen == 0
