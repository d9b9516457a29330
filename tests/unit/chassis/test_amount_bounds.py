"""The one money parser's bounds (chassis/money.py): an amount beyond what any program's books hold — 10^12 yuan
and up, in any spelling (exponents, huge integers, Decimal values read exactly from JSON) — is refused with
`invalid_amount` and the field, so no door turns it into a 500 further down."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chassis.errors import InvalidInput
from chassis.money import MAX_AMOUNT, parse_amount, parse_yuan, to_fen


@pytest.mark.parametrize("raw", ["1E+30", "1e30", Decimal("1E+30"), 10**30, "1000000000000.00", "1000000000000",
                                 "-1000000000000.00", Decimal("1000000000000"), "1e400", "Infinity", "-Infinity",
                                 "NaN", "sNaN", 1e30, "0x10", "1_000", "\u0661\u0662"])
def test_amounts_beyond_the_books_are_refused_with_the_field(raw: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_yuan(raw, "claims[7].total_cost")
    assert (caught.value.code, caught.value.field, caught.value.http_status) == (
        "invalid_amount", "claims[7].total_cost", 422)


def test_the_largest_amount_still_fits_the_books() -> None:
    assert MAX_AMOUNT < Decimal(10) ** 12
    assert parse_amount("999999999999.99") == MAX_AMOUNT and parse_amount("-999999999999.99") == -MAX_AMOUNT
    assert to_fen(MAX_AMOUNT) < 2**63  # BSON int64: what the store keeps
    assert parse_amount(Decimal("12.50")) == Decimal("12.50")
