"""A chronic upload as smart review reads it (services/settlement/chronic/domain/review.py) and the upload's
quantity, unit price and days-supply columns (domain/uploads.py): an amount that is not quantity × unit price is
refused on its line and field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.settlement.chronic.domain.records import LineIn
from services.settlement.chronic.domain.review import review_claims
from services.settlement.chronic.domain.uploads import Upload, validate_lines


def ln(claim: str, n: int, amount: str = "10.00", **extra: object) -> LineIn:
    return LineIn(n=n, claim_id=claim, line=n, person_id="610702196001010531", date=date(2025, 6, 3),
                  disease="DL", amount=Decimal(amount), covered=True, item_code="S011", **extra)  # type: ignore[arg-type]


def test_a_claim_as_review_reads_it() -> None:
    (c,) = review_claims([ln("A", 1, "48.00", quantity=Decimal("60"), unit_price=Decimal("0.80"), days_supply=30),
                          ln("A", 2)], "hospital")
    assert (c["sex"], c["birth_date"], c["kind"]) == ("M", "1960-01-01", "outpatient")
    assert c["lines"][0] == {"line_id": "A|1", "item_code": "S011", "date": "2025-06-03", "quantity": "60",
                             "unit_price": "0.80", "amount": "48.00", "days_supply": 30}
    assert (c["lines"][1]["quantity"], c["lines"][1]["unit_price"], c["lines"][1]["days_supply"]) == ("1", "10.00",
                                                                                                      0)


def upload(*rows: dict[str, object]) -> Upload:
    return Upload("2025-06", "H01", "b1", [(i, r) for i, r in enumerate(rows, start=1)])


def row(**extra: object) -> dict[str, object]:
    return {"claim_id": "A", "person_id": "610702196001010531", "date": "2025-06-03", "disease": "DL",
            "amount": "30.00", "covered": True, "item_code": "D101", **extra}


def test_quantity_and_unit_price_columns() -> None:
    u = upload(row(), row(claim_id="B", quantity="60", unit_price="0.50", days_supply="30"),
               row(claim_id="C", quantity="3", unit_price="10.00"))
    a, b, c = validate_lines(u, lambda day: {"DL"})
    assert u.errors == []
    assert (a.quantity, a.unit_price, a.price, a.days_supply) == (Decimal(1), Decimal("30.00"), Decimal("30.00"),
                                                                  None)
    assert (b.quantity, b.price, b.days_supply) == (Decimal(60), Decimal("0.50"), 30)
    assert (c.quantity, c.price) == (Decimal(3), Decimal("10.00"))


@pytest.mark.parametrize(("extra", "field", "code"), [
    ({"quantity": "60", "unit_price": "0.51"}, "amount", "amount_mismatch"),
    ({"unit_price": "29.99"}, "amount", "amount_mismatch"),
    ({"quantity": "3"}, "amount", "amount_mismatch"),         # a quantity needs its unit price
    ({"quantity": "0"}, "quantity", None),
    ({"quantity": "1e3"}, "quantity", None),
    ({"quantity": "0.0000001"}, "quantity", None),
    ({"unit_price": "-1"}, "unit_price", "invalid_amount"),
    ({"unit_price": "0.001"}, "unit_price", "invalid_amount"),
    ({"days_supply": "0"}, "days_supply", None),
    ({"days_supply": 367}, "days_supply", None),
    ({"days_supply": True}, "days_supply", None),
])
def test_a_bad_quantity_price_or_supply_is_refused_on_its_line(extra: dict[str, object], field: str,
                                                               code: str | None) -> None:
    u = upload(row(claim_id="OK"), row(**extra))
    good = validate_lines(u, lambda day: {"DL"})
    assert [x.claim_id for x in good] == ["OK"]
    (error,) = u.errors
    assert (error["line"], error["field"], error.get("code")) == (2, field, code)
