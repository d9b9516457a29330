"""The dedicated account's books (专户): balanced entries only, clean amounts, no overdraft, reversals, builders."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from chassis.errors import Conflict, InvalidInput
from services.settlement.fund.domain import ledger as lg

DAY = date(2025, 3, 1)


def book() -> lg.Book:
    return lg.Book("hz-p1", "hz-chronic", 2025)


def test_allocation_payment_and_balances_at_any_date() -> None:
    b = book()
    b.post(lg.allocation("a1", date(2025, 1, 10), D("1000.00"), "年初预拨"))
    b.post(lg.payment("p1", date(2025, 2, 10), D("400.00"), "支付", reference="PAY-1"))
    b.post(lg.interest("i1", date(2025, 3, 21), D("1.23")))
    assert b.balance("bank") == D("601.23")
    assert b.balance("bank", date(2025, 2, 9)) == D("1000.00")
    assert b.balance("fund_payable") == D("-1000.00") and b.normal_balance("fund_payable") == D("1000.00")
    assert b.normal_balance("benefits_paid", date(2025, 2, 10)) == D("400.00")
    tb = b.trial_balance()
    assert tb["balanced"] and tb["total_debit"] == D("1001.23")


@pytest.mark.parametrize("postings, field", [
    ((lg.dr("bank", D("10.00")), lg.cr("fund_payable", D("9.99"))), "postings"),
    ((lg.dr("bank", D("10.001")), lg.cr("fund_payable", D("10.001"))), "postings[0].debit"),
    ((lg.dr("bank", D("0.00")), lg.cr("fund_payable", D("0.00"))), "postings[0]"),
    ((lg.dr("bank", D("-5.00")), lg.cr("fund_payable", D("-5.00"))), "postings[0].debit"),
    ((lg.dr("cash_box", D("5.00")), lg.cr("fund_payable", D("5.00"))), "postings[0].account"),
    ((lg.Posting("bank", D("5.00"), D("5.00")), lg.cr("fund_payable", D("0.00"))), "postings[0]"),
    ((lg.dr("bank", D("5.00")),), "postings"),
])
def test_bad_entries_are_refused_and_change_nothing(postings: tuple[lg.Posting, ...], field: str) -> None:
    b = book()
    with pytest.raises(InvalidInput) as err:
        b.post(lg.Entry("x", DAY, "allocation", "", postings))
    assert err.value.field == field
    assert b.entries == []


def test_amount_builders_refuse_three_decimals() -> None:
    with pytest.raises(InvalidInput, match="more than two decimals"):
        lg.allocation("a", DAY, D("1.005"), "")


def test_payment_beyond_the_balance_names_the_shortfall_and_an_advance_covers_it() -> None:
    b = book()
    b.post(lg.allocation("a1", DAY, D("100.00"), ""))
    with pytest.raises(lg.InsufficientFunds) as err:
        b.post(lg.payment("p1", DAY, D("130.50"), ""))
    assert "short by 30.50" in err.value.message and "垫付" in err.value.message
    # what a person acts on, as data: how much is short, needed and there, in which account, on which day
    assert err.value.params == {"short": "30.50", "needed": "130.50", "balance": "100.00", "account": "bank",
                                "account_name": "专户存款", "tenant": "hz-p1", "year": "2025", "on": DAY.isoformat()}
    assert err.value.code == "insufficient_funds" and err.value.field == "amount"
    assert len(b.entries) == 1
    b.post(lg.advance("adv1", DAY, D("30.50")))
    b.post(lg.payment("p1", DAY, D("130.50"), ""))
    assert b.balance("bank") == 0


def test_a_backdated_payment_cannot_overdraw_a_later_date() -> None:
    b = book()
    b.post(lg.allocation("a1", date(2025, 1, 1), D("100.00"), ""))
    b.post(lg.payment("p1", date(2025, 5, 1), D("100.00"), ""))
    with pytest.raises(lg.InsufficientFunds, match=r"short by 50\.00"):
        b.post(lg.payment("p0", date(2025, 2, 1), D("50.00"), ""))


def test_advance_repayment_never_beyond_outstanding() -> None:
    b = book()
    b.post(lg.advance("adv1", DAY, D("500.00")))
    b.post(lg.allocation("a1", DAY, D("1000.00"), ""))
    b.post(lg.advance_repayment("r1", DAY, "adv1", D("300.00")))
    with pytest.raises(Conflict, match=r"more than the 200\.00 outstanding"):
        b.post(lg.advance_repayment("r2", DAY, "adv1", D("200.01")))
    with pytest.raises(InvalidInput, match="not in these books"):
        b.post(lg.advance_repayment("r3", DAY, "adv9", D("1.00")))
    assert b.advance_outstanding("adv1") == D("200.00")
    assert b.normal_balance("carrier_advances") == D("200.00")


def test_reversals_net_to_zero_and_are_never_reversed_twice() -> None:
    b = book()
    a = b.post(lg.allocation("a1", DAY, D("250.00"), ""))
    rev = b.post(lg.reversal("rev-a1", DAY, a, "wrong amount"))
    assert all(v == 0 for v in b.balances().values())
    with pytest.raises(Conflict, match="already reversed"):
        b.post(lg.reversal("rev-a1-bis", DAY, a, ""))
    with pytest.raises(Conflict, match="itself a reversal"):
        b.post(lg.reversal("rev-rev", DAY, rev, ""))
    with pytest.raises(Conflict, match="already in the books"):
        b.post(lg.allocation("a1", DAY, D("1.00"), ""))


def test_reversing_an_allocation_already_spent_is_refused() -> None:
    b = book()
    a = b.post(lg.allocation("a1", DAY, D("100.00"), ""))
    b.post(lg.payment("p1", DAY, D("60.00"), ""))
    with pytest.raises(lg.InsufficientFunds, match=r"short by 60\.00"):
        b.post(lg.reversal("rev-a1", DAY, a, ""))


def test_value_dates_outside_the_fund_year_are_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        book().post(lg.allocation("a1", date(2024, 12, 31), D("1.00"), ""))
    assert err.value.field == "date"


def test_allocation_limits_25_then_60_percent() -> None:
    budget = D("480000000.00")
    why = lg.check_allocation("initial", D("120000000.00"), budget, D("0.25"), D("0.60"), D(0), D(0))
    assert why.code == "initial_allocation" and "120000000.00 of at most 120000000.00" in why.detail
    assert why.params["limit"] == "120000000.00"
    with pytest.raises(InvalidInput, match=r"at most 0\.00 more"):
        lg.check_allocation("initial", D("0.01"), budget, D("0.25"), D("0.60"), D("120000000.00"), D(0))
    assert lg.check_allocation("in_year", D("88000000.00"), budget, D("0.25"), D("0.60"), D("120000000.00"),
                               D("200000000.00")).code == "in_year_allocation"
    with pytest.raises(InvalidInput, match="beyond 60"):
        lg.check_allocation("in_year", D("88000000.01"), budget, D("0.25"), D("0.60"), D(0), D("200000000.00"))


def test_split_by_shares_adds_up_with_the_lead_taking_the_fen() -> None:
    parts = lg.split_by_shares(D("100.01"), [("hz-p1", D("0.6")), ("hz-p2", D("0.4"))])
    assert parts == {"hz-p1": D("60.01"), "hz-p2": D("40.00")}
    parts = lg.split_by_shares(D("120000000.00"), [("hz-p1", D("0.6")), ("hz-p2", D("0.4"))])
    assert parts == {"hz-p1": D("72000000.00"), "hz-p2": D("48000000.00")}


def test_a_carrier_caused_loss_is_paid_back_by_the_carrier_into_the_account() -> None:
    b = book()
    b.post(lg.allocation("a1", DAY, D("100.00"), ""))
    b.post(lg.payment("p1", DAY, D("80.00"), ""))
    entry = b.post(lg.carrier_liability("cl1", DAY, D("30.00"), reference="F-1"))
    assert [(p.account, p.debit, p.credit) for p in entry.postings] == [
        ("bank", D("30.00"), lg.ZERO), ("carrier_liability", lg.ZERO, D("30.00"))]
    assert lg.CHART["carrier_liability"].normal == "credit" and entry.reference == "F-1"
    assert b.normal_balance("carrier_liability") == D("30.00") and b.balance("bank") == D("50.00")
    assert b.trial_balance()["balanced"]
    with pytest.raises(InvalidInput) as err:
        lg.carrier_liability("cl2", DAY, D("-1.00"))
    assert err.value.field == "amount"


def test_running_figures_take_only_entries_not_back_dated_and_naming_no_other() -> None:
    b = book()
    b.post(lg.allocation("a1", date(2025, 3, 1), D("100.00"), ""))
    b.post(lg.advance("adv", date(2025, 3, 5), D("10.00")))
    head = lg.Head.of(b)
    assert (head.seq, head.last_date, head.normal_balance("bank")) == (2, date(2025, 3, 5), D("110.00"))
    assert head.takes(lg.payment("p", date(2025, 3, 5), D("1.00"), ""))
    assert not head.takes(lg.payment("p", date(2025, 3, 4), D("1.00"), ""))  # back-dated: the whole book checks
    assert not head.takes(lg.advance_repayment("r", date(2025, 4, 1), "adv", D("1.00")))
    assert not head.takes(lg.reversal("x", date(2025, 4, 1), b.entries[0], ""))
    with pytest.raises(ValueError):
        head.check(lg.payment("p", date(2025, 3, 4), D("1.00"), ""), "hz-p1", 2025)
    with pytest.raises(lg.InsufficientFunds, match=r"short by 0\.01 on 2025-03-06: bank balance 110\.00") as short:
        head.check(lg.payment("p", date(2025, 3, 6), D("110.01"), ""), "hz-p1", 2025)
    assert {k: short.value.params[k] for k in ("short", "needed", "balance", "on")} == {
        "short": "0.01", "needed": "110.01", "balance": "110.00", "on": "2025-03-06"}
    with pytest.raises(InvalidInput) as err:
        head.check(lg.payment("p", date(2027, 1, 1), D("1.00"), ""), "hz-p1", 2025)
    assert err.value.field == "date"
    head.check(lg.payment("p", date(2025, 3, 6), D("110.00"), ""), "hz-p1", 2025)
    assert head.after(lg.payment("p", date(2025, 3, 6), D("110.00"), "")).balance("bank") == 0
