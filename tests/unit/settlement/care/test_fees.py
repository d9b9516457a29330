"""Assessment fees: the carrier's own cost; a city-level person's fee shared by A, B and C equally — by the same rule
as the lots room's (intake), which settlement may not import."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassis.errors import InvalidInput
from services.intake.lots.domain.routing import load_lots
from services.intake.lots.domain.routing import share_city_fee as intake_share
from services.settlement.care.domain.fees import Fee, fee_totals, load_city_lots, share_city_fee

CITY = load_city_lots()


@given(st.integers(min_value=0, max_value=10_000_000))
def test_the_split_is_the_lots_rooms(fee_fen: int) -> None:
    assert share_city_fee(CITY, fee_fen) == intake_share(load_lots(), fee_fen)[0]


def test_shares_add_up_and_the_odd_fen_go_first() -> None:
    assert share_city_fee(CITY, 20_000) == {"A": 6_667, "B": 6_667, "C": 6_666}
    with pytest.raises(InvalidInput) as err:
        share_city_fee(CITY, -1)
    assert err.value.code == "invalid_fee"


def test_a_statement_shows_own_shares_and_what_the_other_city_lots_owe() -> None:
    fees = [Fee("as1", "p1", date(2026, 3, 2), 20_000, "B", False),
            Fee("as2", "p2", date(2026, 3, 9), 20_000, "B", True),
            Fee("as3", "p3", date(2026, 3, 12), 30_000, "B", True)]
    totals = fee_totals(CITY, "B", fees)
    assert (totals.amount_fen, totals.own_fen) == (70_000, 20_000 + 6_667 + 10_000)
    assert totals.due_from == {"wz-a": 6_667 + 10_000, "wz-c": 6_666 + 10_000}
    assert totals.amount_fen == totals.own_fen + sum(totals.due_from.values())
    assert [r.code for r in totals.lines[1].reasons] == ["assessment_fee", "fee_shared"]
    assert [r.code for r in totals.lines[0].reasons] == ["assessment_fee"]


def test_a_city_level_fee_outside_the_city_lots_stays_with_its_lot() -> None:
    line = fee_totals(CITY, "D", [Fee("as1", "p1", date(2026, 3, 2), 20_000, "D", True)])
    assert (line.own_fen, line.due_from) == (20_000, {})
