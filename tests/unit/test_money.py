from decimal import Decimal

import pytest

from chassis.errors import InvalidInput
from chassis.money import fmt, from_fen, parse_yuan, round_yuan, to_fen


def test_parse_and_round_trip_through_fen() -> None:
    amount = parse_yuan("3600.00")
    assert amount == Decimal("3600.00")
    assert to_fen(amount) == 360000
    assert from_fen(360000) == amount
    assert fmt(from_fen(1)) == "0.01"


@pytest.mark.parametrize("bad", [1.5, "abc", "1.234", "NaN", "Infinity", True])
def test_refuses_floats_garbage_and_sub_fen(bad: object) -> None:
    with pytest.raises(InvalidInput):
        parse_yuan(bad)


def test_round_half_up_to_the_fen() -> None:
    # 3600 / 12 * 7 is exact, but 5000 / 12 is not: half-up at the fen, never banker's rounding.
    assert round_yuan(Decimal("0.005")) == Decimal("0.01")
    assert round_yuan(Decimal(5000) / 12) == Decimal("416.67")
