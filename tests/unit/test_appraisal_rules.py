from datetime import date

import pytest

from chassis.errors import Conflict, Forbidden
from services.appraisal.domain.case import benefit_start, check_conclusion_allowed, check_opinion_allowed


def test_benefit_starts_next_month_except_immediate_diseases() -> None:
    # RULES A worked example: granted 2025-05-20, starts June.
    assert benefit_start(date(2025, 5, 20), "HTN") == date(2025, 6, 1)
    assert benefit_start(date(2025, 12, 31), "HTN") == date(2026, 1, 1)
    assert benefit_start(date(2025, 5, 20), "DL") == date(2025, 5, 20)  # dialysis: immediately


def test_opinion_and_conclusion_guards() -> None:
    check_opinion_allowed("open", "e1", [])
    with pytest.raises(Conflict):
        check_opinion_allowed("open", "e1", [{"expert_id": "e1"}])
    with pytest.raises(Conflict):
        check_opinion_allowed("concluded", "e2", [])
    with pytest.raises(Conflict):
        check_conclusion_allowed("open", [], "r1")
    with pytest.raises(Forbidden):
        check_conclusion_allowed("open", [{"expert_id": "r1"}], "r1")
    check_conclusion_allowed("open", [{"expert_id": "e1"}], "r1")
