"""A visit settled now (即时结算): every field checked at once, errors naming `lines[i].<field>` — pure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chassis.errors import InvalidInput
from services.settlement.chronic.domain.visits import parse_visit

VISIT = {"claim_id": "V1", "person_id": "P1", "date": "2025-06-03",
         "lines": [{"disease": "HTN", "amount": Decimal("120.5"), "covered": True, "item_code": "I1"},
                   {"disease": "DM", "amount": "20", "covered": "false"}]}


def test_a_good_visit_becomes_numbered_lines_of_one_claim() -> None:
    claim_id, person_id, on, lines = parse_visit(VISIT)
    assert (claim_id, person_id, on) == ("V1", "P1", date(2025, 6, 3))
    assert [(ln.line, ln.disease, ln.amount, ln.covered) for ln in lines] == [
        (1, "HTN", Decimal("120.50"), True), (2, "DM", Decimal("20.00"), False)]


def test_every_bad_field_is_named_at_once() -> None:
    bad = {"claim_id": "a|b", "date": "2025-13-01",
           "lines": [{"disease": "", "amount": "-1", "covered": "maybe"}, "x", {"disease": "HTN", "amount": "1.005",
                                                                                "covered": True}]}
    with pytest.raises(InvalidInput) as err:
        parse_visit(bad)
    fields = [f["field"] for f in err.value.fields or []]
    assert fields == ["claim_id", "person_id", "date", "lines[0].disease", "lines[0].amount", "lines[0].covered",
                      "lines[1]", "lines[2].amount"]
    messages = {f["field"]: f["message"] for f in err.value.fields or []}
    assert "negative" in messages["lines[0].amount"] and "two decimals" in messages["lines[2].amount"]


def test_a_visit_needs_lines_and_at_most_500() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_visit({**VISIT, "lines": []})
    assert [f["field"] for f in err.value.fields or []] == ["lines"]
    with pytest.raises(InvalidInput) as err:
        parse_visit({**VISIT, "lines": [VISIT["lines"][0]] * 501})
    assert [f["message"] for f in err.value.fields or []] == ["at most 500 lines per visit"]
