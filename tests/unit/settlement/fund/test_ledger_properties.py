"""Properties of the books: whatever sequence of movements is attempted, the books stay balanced, each balance is
Σ debits − Σ credits, the bank is never overdrawn, reversals net to zero, and a refused movement changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from chassis.errors import JingbanError
from services.settlement.fund.domain import ledger as lg

KINDS = ("allocation", "advance", "repay", "payment", "interest", "recovery", "reverse")
amounts = st.integers(min_value=1, max_value=500_000).map(lambda fen: D(fen) / 100)
moves = st.lists(st.tuples(st.sampled_from(KINDS), amounts, st.integers(0, 364), st.integers(0, 50)),
                 max_size=40)


def attempt(book: lg.Book, n: int, kind: str, amount: D, day: date, pick: int) -> lg.Entry:
    eid = f"e{n}"
    advances = [e.id for e in book.entries if e.kind == "advance"]
    if kind == "allocation":
        return lg.allocation(eid, day, amount, "")
    if kind == "advance":
        return lg.advance(eid, day, amount)
    if kind == "repay":
        return lg.advance_repayment(eid, day, advances[pick % len(advances)] if advances else "none", amount)
    if kind == "payment":
        return lg.payment(eid, day, amount, "")
    if kind == "interest":
        return lg.interest(eid, day, amount)
    if kind == "recovery":
        return lg.recovery(eid, day, amount)
    target = book.entries[pick % len(book.entries)] if book.entries else lg.allocation("none", day, amount, "")
    return lg.reversal(eid, max(day, target.date), target, "")


@settings(max_examples=200, deadline=None)
@given(moves)
def test_any_sequence_keeps_the_books_right(sequence: list[tuple[str, D, int, int]]) -> None:
    book = lg.Book("hz-p1", "hz-chronic", 2025)
    for n, (kind, amount, offset, pick) in enumerate(sequence):
        before = list(book.entries)
        entry = attempt(book, n, kind, amount, date(2025, 1, 1) + timedelta(days=offset), pick)
        try:
            book.post(entry)
        except JingbanError:
            assert book.entries == before  # refused: nothing changed
        total_dr = sum((p.debit for e in book.entries for p in e.postings), lg.ZERO)
        total_cr = sum((p.credit for e in book.entries for p in e.postings), lg.ZERO)
        assert total_dr == total_cr
        for account in lg.CHART:
            d = sum((p.debit for e in book.entries for p in e.postings if p.account == account), lg.ZERO)
            c = sum((p.credit for e in book.entries for p in e.postings if p.account == account), lg.ZERO)
            assert book.balance(account) == d - c
        assert sum(book.balances().values(), lg.ZERO) == 0
        assert book.trial_balance()["balanced"]
        for day in {e.date for e in book.entries}:
            assert book.balance("bank", day) >= 0
        assert book.normal_balance("carrier_advances") >= 0
        for e in book.entries:
            if e.kind == "advance":
                assert book.advance_outstanding(e.id) >= 0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(("allocation", "advance", "interest", "recovery")), amounts), min_size=1,
                max_size=15))
def test_reversing_everything_nets_to_zero(sequence: list[tuple[str, D]]) -> None:
    book = lg.Book("hz-p1", "hz-chronic", 2025)
    day = date(2025, 6, 1)
    for n, (kind, amount) in enumerate(sequence):
        book.post(attempt(book, n, kind, amount, day, 0))
    for e in list(reversed(book.entries)):
        book.post(lg.reversal(f"r-{e.id}", day, e, ""))
    assert all(v == 0 for v in book.balances().values())


RUNNING = ("allocation", "advance", "payment", "interest", "recovery", "repay", "reverse")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(RUNNING), amounts, st.integers(0, 364), st.integers(0, 50)), max_size=40))
def test_the_running_figures_refuse_exactly_what_the_book_refuses(sequence: list[tuple[str, D, int, int]]) -> None:
    """For every entry the running figures take (not back-dated, naming no other entry), `Head.check` passes or
    refuses — with the same error and message — exactly as `Book.check` does; and the running figures after each
    posting are the book's own."""
    book = lg.Book("hz-p1", "hz-chronic", 2025)
    head = lg.Head()
    for n, (kind, amount, offset, pick) in enumerate(sequence):
        entry = attempt(book, n, kind, amount, date(2025, 1, 1) + timedelta(days=offset), pick)
        by_book: JingbanError | None = None
        try:
            book.check(entry)
        except JingbanError as exc:
            by_book = exc
        if head.takes(entry):
            try:
                head.check(entry, "hz-p1", 2025)
                by_head = None
            except JingbanError as exc:
                by_head = exc
            assert (type(by_head), getattr(by_head, "message", None)) == (type(by_book),
                                                                            getattr(by_book, "message", None))
        if by_book is None:
            book.post(entry)
            head = head.after(entry)
        assert head == lg.Head.of(book)
        assert head.normal_balance("bank") == book.normal_balance("bank")
