"""`calculate()` for the critical kind (大病保险): the RULES.md B example through `jingban calc`'s function."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chassis.errors import InvalidInput
from services.settlement.calculator.service.calculate import calculate

CASE: dict[str, Any] = {
    "program": "critical",
    "policy": {"deductible": "18000", "ratio": "0.70", "cap": "250000",
               "assistance": {"deductible": "9000", "ratio": "0.80", "cap": None}},
    "person": {"assistance_recipient": False},
    "claims": [{"id": "h1", "date": "2025-02-01", "self_pay": "12000.00"},
               {"id": "h2", "date": "2025-03-01", "self_pay": "20000.00"}],
}


def case(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(CASE)
    data.update(changes)
    return data


def test_worked_example() -> None:
    out = calculate(case())
    assert [(c["id"], c["payable"]) for c in out["claims"]] == [("h1", "0.00"), ("h2", "9800.00")]
    assert out["total_payable"] == "9800.00"
    assert out["claims"][0]["reasons"][0].startswith("deductible:")
    assert out["claims"][1]["cumulative_self_pay"] == "32000.00"
    assert (out["deductible"], out["ratio"], out["cap"], out["tier"]) == ("18000.00", "0.70", "250000.00", "ordinary")


def test_assistance_recipient() -> None:
    out = calculate(case(person={"assistance_recipient": True}))
    assert out["total_payable"] == "18400.00" and out["cap"] is None


def test_each_year_has_its_own_account() -> None:
    claims = [{"id": "a", "date": "2025-12-01", "self_pay": "20000.00"},
              {"id": "b", "date": "2026-01-05", "self_pay": "20000.00", "care": "special_drug"}]
    out = calculate(case(claims=claims))
    assert [c["payable"] for c in out["claims"]] == ["1400.00", "1400.00"]
    assert [a["year"] for a in out["accounts"]] == [2025, 2026]


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda c: c["claims"][1].update(self_pay="1.234"), "claims[1].self_pay"),
    (lambda c: c["claims"][0].update(care="dental"), "claims[0].care"),
    (lambda c: c["claims"][0].pop("date"), "claims[0].date"),
    (lambda c: c["claims"][1].update(id="h1"), "claims[1].id"),
    (lambda c: c["policy"].update(ratio="1.5"), "policy.ratio"),
    (lambda c: c["policy"]["assistance"].pop("cap"), "policy.assistance.cap"),
    (lambda c: c["person"].update(assistance_recipient="yes"), "person.assistance_recipient"),
    (lambda c: c.pop("claims"), "claims"),
])
def test_bad_input_names_the_field(mutate: Any, field: str) -> None:
    data = case()
    mutate(data)
    with pytest.raises(InvalidInput) as err:
        calculate(data)
    assert err.value.field == field
