"""Properties of the benefit engine over generated persons and claims (sample table)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.settlement.chronic.domain.benefits import (
    Claim,
    Holding,
    Line,
    YearAccount,
    adjudicate,
    benefit_start,
    caps_for,
)
from tests.unit.settlement.helpers import sample_policy

P = sample_policy()
CAPPED = sorted(c for c, r in P.diseases.items() if r.annual_cap is not None)
ALL = sorted(P.diseases)

# Grants in the year itself are frequent: that is where proration makes the year cap bind.
grant_dates = st.one_of(st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 12, 31)),
                        st.dates(min_value=date(2023, 6, 1), max_value=date(2025, 12, 31)))
claim_dates = st.one_of(st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 12, 31)),
                        st.dates(min_value=date(2024, 12, 1), max_value=date(2026, 1, 31)))
amounts = st.one_of(st.integers(min_value=0, max_value=50_000), st.integers(min_value=0, max_value=1_000_000)).map(
    lambda fen: Decimal(fen).scaleb(-2))


def holdings_of(codes: list[str]) -> st.SearchStrategy[list[Holding]]:
    return st.lists(st.builds(Holding, st.sampled_from(codes), grant_dates), max_size=4)


def claims_of(codes: list[str]) -> st.SearchStrategy[list[Claim]]:
    # Mostly covered lines, some not; some lines for diseases the person does not hold or the table lacks.
    line = st.builds(Line, st.sampled_from([*codes, "XYZ"]), amounts, st.sampled_from([True, True, True, False]))
    raw = st.lists(st.tuples(claim_dates, st.lists(line, min_size=1, max_size=4)), max_size=16)
    return raw.map(lambda cs: [Claim(f"c{i}", on, tuple(lines)) for i, (on, lines) in enumerate(cs)])


def started(holdings: list[Holding]) -> dict[str, date]:
    starts: dict[str, date] = {}
    for h in holdings:
        s = benefit_start(P.diseases[h.disease], h.granted_on)
        starts[h.disease] = min(s, starts.get(h.disease, s))
    return starts


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_capped_only_persons_never_get_more_than_the_year_cap(data: st.DataObject) -> None:
    # Claims mostly for the diseases held, some granted in the year (prorated caps), so the year cap binds often.
    holdings = data.draw(st.lists(st.builds(Holding, st.sampled_from(CAPPED), grant_dates), min_size=1, max_size=4))
    held = sorted({h.disease for h in holdings})
    big = st.integers(0, 1_000_000).map(lambda fen: Decimal(fen).scaleb(-2))
    line = st.builds(Line, st.sampled_from(held), big, st.just(True))
    in_year = st.dates(date(2025, 1, 1), date(2025, 12, 31))
    visits = st.lists(st.tuples(in_year, st.lists(line, min_size=1, max_size=4)), min_size=1, max_size=16)
    claims = [Claim(f"c{i}", on, tuple(lines)) for i, (on, lines) in enumerate(data.draw(visits))]
    results, after = adjudicate(P, holdings, claims, YearAccount(2025))
    total = sum((r.payable for r in results), Decimal(0))
    caps = caps_for(P, holdings, 2025)
    assert total <= (caps.year_cap if caps.year_cap is not None else Decimal(0))
    assert after.capped_paid == total and after.uncapped_paid == 0


@settings(max_examples=300, deadline=None)
@given(holdings_of(ALL), claims_of(ALL))
def test_capped_payments_of_a_month_never_exceed_the_monthly_cap(holdings: list[Holding],
                                                                 claims: list[Claim]) -> None:
    results, after = adjudicate(P, holdings, claims, YearAccount(2025))
    caps = caps_for(P, holdings, 2025)
    per_month: dict[int, Decimal] = defaultdict(Decimal)
    for c, r in zip(claims, results, strict=True):
        for line, lr in zip(c.lines, r.lines, strict=True):
            if P.diseases.get(line.disease) and P.diseases[line.disease].annual_cap is not None:
                per_month[c.date.month] += lr.payable
    for month, paid in per_month.items():
        assert paid <= (caps.monthly_cap or 0)
        assert after.monthly_capped_paid[month - 1] == paid


@settings(max_examples=300, deadline=None)
@given(holdings_of(ALL), claims_of(ALL))
def test_every_yuan_of_a_line_is_accounted_for(holdings: list[Holding], claims: list[Claim]) -> None:
    results, after = adjudicate(P, holdings, claims, YearAccount(2025))
    starts = started(holdings)
    deductible_level = max((P.diseases[c].deductible for c, s in starts.items() if s.year <= 2025), default=0)
    for c, r in zip(claims, results, strict=True):
        assert r.payable == sum((lr.payable for lr in r.lines), Decimal(0))
        for line, lr in zip(c.lines, r.lines, strict=True):
            assert lr.payable >= 0 and lr.deductible >= 0 and lr.patient_share >= 0
            assert lr.payable + lr.patient_share + lr.deductible == line.amount
            if lr.payable < line.amount:
                assert lr.reasons, "a line not paid in full must say why"
            payable_line = (line.covered and line.disease in starts and c.date.year == 2025
                            and c.date >= starts[line.disease])
            if not payable_line:
                assert lr.payable == 0 and lr.deductible == 0
    assert after.deductible_used <= deductible_level


@settings(max_examples=300, deadline=None)
@given(holdings_of(ALL), claims_of(ALL), st.randoms(use_true_random=False))
def test_one_batch_equals_real_time_one_by_one(holdings: list[Holding], claims: list[Claim],
                                               rnd: random.Random) -> None:
    # Month-end batch (claims in any order) and real-time settlement (each visit as it happens, threading the
    # account) must agree claim for claim and end on the same account.
    shuffled = list(claims)
    rnd.shuffle(shuffled)
    batch, batch_after = adjudicate(P, holdings, shuffled, YearAccount(2025))
    account = YearAccount(2025)
    one_by_one = {}
    for c in sorted(shuffled, key=lambda c: c.date):
        (result,), account = adjudicate(P, holdings, [c], account)
        one_by_one[c.id] = result
    assert {r.id: r for r in batch} == one_by_one
    assert [r.id for r in batch] == [c.id for c in shuffled]
    assert batch_after == account


@settings(max_examples=100, deadline=None)
@given(holdings_of(ALL), claims_of(ALL), st.integers(min_value=0, max_value=12))
def test_splitting_an_upload_in_two_changes_nothing(holdings: list[Holding], claims: list[Claim], cut: int) -> None:
    ordered = sorted(claims, key=lambda c: c.date)
    first, second = ordered[:cut], ordered[cut:]
    whole, whole_after = adjudicate(P, holdings, ordered, YearAccount(2025))
    a, mid = adjudicate(P, holdings, first, YearAccount(2025))
    b, end = adjudicate(P, holdings, second, mid)
    assert whole == a + b and whole_after == end

