"""Monthly funding by actual spending (按月据实拨付): the month's reason as data, and the refusals' stable codes."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from chassis.errors import Conflict, InvalidInput
from services.settlement.fund.service.monthly_funding import MonthDue, check_amount, month_parts


def test_the_months_reason_is_a_code_with_its_figures_and_the_sentence_kept() -> None:
    parts, why = month_parts("2025-06", {"xy-c": MonthDue(D("150.50"), D("100.00"))}, None)
    assert parts == {"xy-c": D("50.50")}
    assert why.code == "monthly_actual"
    assert why.params == {"month": "2025-06", "paid": "150.50", "reimbursed": "100.00", "due": "50.50"}
    assert check_amount("2025-06", {"xy-c": MonthDue(D("150.50"), D("100.00"))}, None)[1] == str(why)


def test_the_refusals_answer_their_own_codes() -> None:
    with pytest.raises(InvalidInput) as wrong:
        month_parts("2025-06", {"xy-c": MonthDue(D("150.50"), D("100.00"))}, D("60.00"))
    assert (wrong.value.code, wrong.value.field) == ("allocation_not_actual", "amount")
    with pytest.raises(Conflict) as nothing:
        month_parts("2025-08", {"xy-c": MonthDue(D("10.00"), D("10.00"))}, None)
    assert nothing.value.code == "nothing_to_reimburse"
