"""Properties of the critical illness benefit (大病保险): the cap holds, any split of the same self-pay pays the
same total (the benefit of the total), whatever the order of the pieces."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.settlement.critical.domain.claims import CriticalAccount, CriticalClaim, adjudicate, parse_critical_policy

POLICY = parse_critical_policy({"version": "p", "effective_from": "2025-01-01", "deductible": "18000.00",
                                "ratio": "0.70", "cap": "250000.00",
                                "assistance": {"deductible": "9000.00", "ratio": "0.80", "cap": None}})
FEN = st.integers(min_value=0, max_value=60_000_000)  # up to 600,000 yuan per claim


def as_claims(fens: list[int]) -> list[CriticalClaim]:
    start = date(2025, 1, 1)
    return [CriticalClaim(f"c{i}", start + timedelta(days=i % 365), Decimal(f) / 100) for i, f in enumerate(fens)]


@settings(max_examples=200, deadline=None)
@given(st.lists(FEN, min_size=1, max_size=30))
def test_ordinary_insured_never_paid_beyond_the_cap(fens: list[int]) -> None:
    results, account = adjudicate(POLICY, False, as_claims(fens), CriticalAccount(2025))
    total = sum((r.payable for r in results), Decimal(0))
    assert total == account.cumulative_paid <= Decimal("250000.00")
    assert all(r.payable >= 0 for r in results)


@settings(max_examples=200, deadline=None)
@given(st.lists(FEN, min_size=1, max_size=20), st.booleans())
def test_any_split_pays_the_benefit_of_the_total(fens: list[int], assistance: bool) -> None:
    results, account = adjudicate(POLICY, assistance, as_claims(fens), CriticalAccount(2025))
    total_self_pay = Decimal(sum(fens)) / 100
    assert sum((r.payable for r in results), Decimal(0)) == POLICY.tier(assistance).benefit(total_self_pay)
    assert account.cumulative_self_pay == total_self_pay


@settings(max_examples=150, deadline=None)
@given(st.lists(FEN, min_size=1, max_size=20), st.randoms(use_true_random=False), st.booleans())
def test_order_of_the_pieces_does_not_change_the_total(fens: list[int], rnd: object, assistance: bool) -> None:
    shuffled = list(fens)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    a, _ = adjudicate(POLICY, assistance, as_claims(fens), CriticalAccount(2025))
    b, _ = adjudicate(POLICY, assistance, as_claims(shuffled), CriticalAccount(2025))
    assert sum((r.payable for r in a), Decimal(0)) == sum((r.payable for r in b), Decimal(0))
