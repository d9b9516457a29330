"""Year-end money rules with RULES.md's worked examples and hand-worked cases: service fee, deficit sharing,
surplus with interest, the Quzhou corridor and premium schedule, and the bad inputs each refuses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from chassis.errors import InvalidInput
from services.settlement.fund.domain import ledger as lg
from services.settlement.fund.domain import year_end as ye
from services.settlement.fund.domain.reasons import REASONS


def codes(explained: object) -> list[str]:
    return [r.code for r in explained.reason_codes]  # type: ignore[attr-defined]


def test_service_fee_package_1_is_capped_at_1_200_000() -> None:
    f = ye.service_fee(D("300000000.00"), D("0.60"), D("0.008"), D("1200000.00"), D("0.80"), 8, 10)
    assert f.uncapped == D("1440000.00") and f.fee == D("1200000.00")
    assert (f.base, f.performance_max, f.performance, f.payable) == (
        D("960000.00"), D("240000.00"), D("192000.00"), D("1152000.00"))
    assert codes(f) == ["service_fee", "fee_capped", "base_fee", "performance_fee"]
    assert f.reason_codes[1].params == {"cap": "1200000.00", "fee": "1200000.00"}
    assert f.reason_codes[3].params["targets_met"] == "8"


def test_service_fee_below_the_cap() -> None:
    f = ye.service_fee(D("100000000.00"), D("0.60"), D("0.01"), D("1200000.00"))
    assert f.fee == D("600000.00") and f.payable == D("600000.00") and f.base == D("480000.00")
    assert codes(f) == ["service_fee", "fee_below_cap", "base_fee", "performance_fee"]


@pytest.mark.parametrize("rate", [D("0"), D("0.0101"), D("-0.001")])
def test_bid_rate_must_be_in_0_to_1_percent(rate: D) -> None:
    with pytest.raises(InvalidInput) as err:
        ye.service_fee(D("1.00"), D("0.6"), rate, D("1.00"))
    assert err.value.field == "bid_rate"


def test_targets_met_cannot_exceed_the_total() -> None:
    with pytest.raises(InvalidInput) as err:
        ye.service_fee(D("1.00"), D("0.6"), D("0.01"), D("1.00"), targets_met=3, targets_total=2)
    assert err.value.field == "targets_met"


def accounts(p1_paid: str, p2_paid: str, i1: str, i2: str) -> list[ye.AccountYear]:
    return [ye.AccountYear("hz-p1", D("0.6"), D("51000000.00"), D(i1), D("0.00"), D(p1_paid), D("1200000.00")),
            ye.AccountYear("hz-p2", D("0.4"), D("34000000.00"), D(i2), D("0.00"), D(p2_paid), D("800000.00"))]


def test_deficit_fees_first_then_fund_3_carriers_7_by_6_4() -> None:
    # Budget 100M (85M allocated 6:4); interest 150,000; paid 106,150,000 → deficit 6,000,000.
    # Fees: p1 min(3,600,000, 1,200,000), p2 min(2,400,000, 800,000) → 2,000,000; the rest 4,000,000:
    # fund 1,200,000, carriers 2,800,000 → p1 1,680,000, p2 1,120,000.
    r = ye.year_end(D("100000000.00"), accounts("65000000.00", "41150000.00", "100000.00", "50000.00"))
    assert (r.outcome, r.result, r.fee_deductions, r.fund_part, r.carriers_part) == (
        "deficit", D("-6000000.00"), D("2000000.00"), D("1200000.00"), D("2800000.00"))
    p1, p2 = r.accounts
    assert (p1.fee_deduction, p1.carrier_deficit, p1.carrier_bears) == (D("1200000.00"), D("1680000.00"),
                                                                        D("2880000.00"))
    assert (p2.fee_deduction, p2.carrier_deficit) == (D("800000.00"), D("1120000.00"))
    # Positions −13,900,000 and −7,100,000; the fund settles what the carriers do not bear.
    assert (p1.position, p1.settlement) == (D("-13900000.00"), D("11020000.00"))
    assert (p2.position, p2.settlement) == (D("-7100000.00"), D("5180000.00"))
    # The fund's year-end money = the 15M it kept back + its 30% share.
    assert p1.settlement + p2.settlement == D("15000000.00") + r.fund_part


def test_deficit_smaller_than_the_fees_is_borne_by_the_fees_alone() -> None:
    r = ye.year_end(D("100000000.00"), accounts("60500000.00", "40000000.00", "0.00", "0.00"))
    assert r.result == D("-500000.00") and r.fund_part == 0 and r.carriers_part == 0
    assert [a.fee_deduction for a in r.accounts] == [D("300000.00"), D("200000.00")]


def test_surplus_with_interest_returned_per_account() -> None:
    r = ye.year_end(D("100000000.00"), accounts("50000000.00", "33500000.00", "120000.00", "80000.00"))
    assert r.outcome == "surplus" and r.result == D("16700000.00")
    p1, p2 = r.accounts
    assert (p1.position, p1.settlement) == (D("1120000.00"), D("-1120000.00"))
    assert (p2.position, p2.settlement) == (D("580000.00"), D("-580000.00"))
    assert p1.fee_deduction == p1.carrier_deficit == 0


def test_the_closing_movements_balance() -> None:
    accs = accounts("65000000.00", "41150000.00", "100000.00", "50000.00")
    r = ye.year_end(D("100000000.00"), accs)
    for acc, row in zip(accs, r.accounts, strict=True):
        movements = row.movements(acc.allocated, acc.interest, acc.recoveries, acc.paid)
        assert sum(movements.values()) == 0
        lg.validate_entry(lg.year_end_entry("ye", date(2026, 1, 15), movements, ""))


def test_corridor_worked_example_and_its_mirror() -> None:
    gain = ye.corridor(D("10000000.00"), D("9000000.00"), D("300000.00"))
    assert (gain.result, gain.carrier, gain.fund) == (D("700000.00"), D("450000.00"), D("250000.00"))
    loss = ye.corridor(D("10000000.00"), D("10400000.00"), D("300000.00"))
    assert (loss.result, loss.carrier, loss.fund) == (D("-700000.00"), D("-450000.00"), D("-250000.00"))


@pytest.mark.parametrize("result, carrier, fund", [
    ("300000.00", "300000.00", "0.00"), ("200000.00", "200000.00", "0.00"),
    ("600000.00", "450000.00", "150000.00"), ("-450000.00", "-375000.00", "-75000.00"), ("0.00", "0.00", "0.00")])
def test_corridor_bands(result: str, carrier: str, fund: str) -> None:
    c = ye.corridor(D("10000000.00"), D("10000000.00") - D(result), D("0.00"))
    assert (c.carrier, c.fund) == (D(carrier), D(fund)) and c.carrier + c.fund == D(result)


def test_premium_schedule_149_153_47_158_07() -> None:
    assert ye.premium_schedule(2025, D("149.00"), D("0.03"), [2025, 2026, 2027]) == {
        2025: D("149.00"), 2026: D("153.47"), 2027: D("158.07")}
    assert ye.premium_schedule(2025, D("149.00"), D("0.03"), [2027]) == {2027: D("158.07")}


def test_premium_compounds_on_the_rounded_figure() -> None:
    # 100.05 × 1.03 = 103.0515 → 103.05; × 1.03 = 106.1415 → 106.14. Unrounded: 100.05 × 1.0609 = 106.143045 → 106.14;
    # a third year separates them: 106.14 × 1.03 = 109.3242 → 109.32 vs 100.05 × 1.092727 = 109.3273... → 109.33.
    s = ye.premium_schedule(2025, D("100.05"), D("0.03"), [2025, 2026, 2027, 2028])
    assert s[2028] == D("109.32")


def test_premium_schedule_with_a_gap_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        ye.premium_schedule(2025, D("149.00"), D("0.03"), [2025, 2027])
    assert err.value.field == "years[1]" and "consecutive" in err.value.message


def test_year_end_refuses_more_than_two_decimals() -> None:
    with pytest.raises(InvalidInput) as err:
        ye.year_end(D("100.001"), accounts("1.00", "1.00", "0", "0"))
    assert err.value.field == "budget"


# ---- losses the carrier bears in full (承办方全额承担) ------------------------------------------------------


def with_loss(accs: list[ye.AccountYear], tenant: str, loss: str) -> list[ye.AccountYear]:
    """The same year, but `tenant`'s lax review let `loss` more be paid out, which the carrier paid back in full."""
    return [ye.AccountYear(a.tenant, a.share, a.allocated, a.interest, a.recoveries, a.paid + D(loss), a.fee,
                           D(loss)) if a.tenant == tenant else a for a in accs]


SHARED = ("outcome", "result", "fee_deductions", "fund_part", "carriers_part")
PER_ACCOUNT = ("position", "fee_deduction", "carrier_deficit", "carrier_bears", "settlement")


@pytest.mark.parametrize("paid, label", [
    (("65000000.00", "41150000.00"), "deficit: fees first, then fund 3 : carriers 7"),
    (("50000000.00", "33500000.00"), "surplus returned"),
    (("60000000.00", "39999000.00"), "a small surplus the loss alone would have turned into a deficit"),
])
def test_a_carrier_caused_loss_leaves_the_shared_figures_as_without_it(paid: tuple[str, str], label: str) -> None:
    loss = "2500000.00"  # more than the 1,000 surplus of the last case and than hz-p1's whole fee
    without = ye.year_end(D("100000000.00"), accounts(paid[0], paid[1], "100000.00", "50000.00"))
    accs = with_loss(accounts(paid[0], paid[1], "100000.00", "50000.00"), "hz-p1", loss)
    loaded = ye.year_end(D("100000000.00"), accs)
    assert [getattr(loaded, k) for k in SHARED] == [getattr(without, k) for k in SHARED], label
    for a, b in zip(loaded.accounts, without.accounts, strict=True):
        assert [getattr(a, k) for k in PER_ACCOUNT] == [getattr(b, k) for k in PER_ACCOUNT], label
    p1, p2 = loaded.accounts
    # The carrier bears the loss in full, beside its part of the shared result; the other package bears none of it.
    assert (p1.carrier_liability, p1.carrier_bears_in_all) == (D(loss), without.accounts[0].carrier_bears + D(loss))
    assert (p2.carrier_liability, p2.carrier_bears_in_all) == (0, without.accounts[1].carrier_bears)
    assert "carrier_liability" in codes(p1) and "carrier_liability" not in codes(p2)
    assert loaded.reason_codes[0].code == "year_result" and loaded.reason_codes[0].params["carrier_liability"] == loss
    # Closing: carrier_liability goes to zero with the fund's position accounts, and the entry balances.
    movements = p1.movements(accs[0].allocated, accs[0].interest, accs[0].recoveries, accs[0].paid)
    assert movements["carrier_liability"] == D(loss) and sum(movements.values()) == 0


def test_the_year_closes_a_carrier_liability_to_zero_in_the_books() -> None:
    book = lg.Book("hz-p1", "hz-chronic", 2025)
    book.post(lg.allocation("a", date(2025, 1, 10), D("600.00"), ""))
    book.post(lg.payment("p", date(2025, 2, 10), D("500.00"), ""))
    book.post(lg.carrier_liability("cl", date(2025, 3, 10), D("120.00"), reference="F-9"))
    acc = ye.AccountYear("hz-p1", D("0.6"), D("600.00"), D("0.00"), D("0.00"), D("500.00"), D("10.00"), D("120.00"))
    r = ye.year_end(D("1000.00"), [acc])
    assert r.result == D("220.00")  # 600 budget − (500 paid − 120 the carrier bears)
    book.post(lg.year_end_entry("ye", date(2026, 1, 15), r.accounts[0].movements(
        acc.allocated, acc.interest, acc.recoveries, acc.paid), ""))
    assert all(book.balance(a) == 0 for a in ("fund_payable", "benefits_paid", "carrier_liability", "bank"))
    assert book.trial_balance()["balanced"]


def test_a_negative_carrier_liability_is_refused() -> None:
    acc = ye.AccountYear("hz-p1", D("1"), D("1.00"), D("0"), D("0"), D("0"), D("0"), D("-5.00"))
    with pytest.raises(InvalidInput) as err:
        ye.year_end(D("10.00"), [acc])
    assert err.value.field == "accounts[0].carrier_liability"


# ---- premium: the bid within the ceiling (Quzhou) ------------------------------------------------------------------


CEILINGS = {2025: D("149.00"), 2026: D("153.47"), 2027: D("158.07")}


def test_the_premium_is_the_bid_within_each_years_ceiling() -> None:
    rows = ye.premiums(CEILINGS, {2025: D("142.50"), 2026: D("146.78"), 2027: D("158.07")})
    assert [(r.ceiling, r.bid, r.premium) for r in rows.values()] == [
        (D("149.00"), D("142.50"), D("142.50")), (D("153.47"), D("146.78"), D("146.78")),
        (D("158.07"), D("158.07"), D("158.07"))]  # a bid equal to the ceiling is valid
    assert codes(rows[2025]) == ["premium_bid"] and rows[2025].reason_codes[0].params["below"] == "6.50"
    no_bid = ye.premiums(CEILINGS, None)
    assert codes(no_bid[2025]) == ["premium_ceiling"]
    assert [r.premium for r in no_bid.values()] == list(CEILINGS.values()) and no_bid[2025].bid is None


@pytest.mark.parametrize("bids, field, words", [
    ({2025: D("142.50"), 2026: D("153.48"), 2027: D("150.00")}, "bid.2026", "above that year's ceiling"),
    ({2025: D("149.01"), 2026: D("1.00"), 2027: D("1.00")}, "bid.2025", "ceiling unit price (最高预算单价) 149.00"),
    ({2025: D("142.50"), 2027: D("150.00")}, "bid.2026", "no bid"),
    ({2025: D("142.50"), 2026: D("146.78"), 2027: D("150.00"), 2028: D("150.00")}, "bid.2028", "outside"),
    ({2025: D("0.00"), 2026: D("1.00"), 2027: D("1.00")}, "bid.2025", "positive"),
    ({2025: D("142.505"), 2026: D("1.00"), 2027: D("1.00")}, "bid.2025", "two decimals"),
])
def test_a_bad_bid_is_refused_naming_the_field(bids: dict[int, D], field: str, words: str) -> None:
    with pytest.raises(InvalidInput) as err:
        ye.premiums(CEILINGS, bids)
    assert err.value.field == field and words in err.value.message


# ---- reasons as data (fund/domain/reasons.py) ---------------------------------------------------------------------


def test_a_deficit_year_explains_itself_with_codes_beside_the_sentences() -> None:
    r = ye.year_end(D("100000000.00"), accounts("65000000.00", "41150000.00", "100000.00", "50000.00"))
    assert codes(r) == ["year_result", "deficit_from_fees", "deficit_split"]
    assert r.reasons == tuple(x.detail for x in r.reason_codes)  # the sentences, as before
    assert r.reason_codes[2].params == {"rest": "4000000.00", "fund_share": "0.30", "fund_part": "1200000.00",
                                        "carriers_part": "2800000.00"}
    p1 = r.accounts[0]
    assert codes(p1) == ["fee_deduction", "carrier_deficit", "deficit_settlement"]
    assert p1.reason_codes[0].params["fee_deduction"] == "1200000.00"
    assert p1.reason_codes[2].params["settlement"] == "11020000.00"
    assert p1.reasons == tuple(x.detail for x in p1.reason_codes)


@pytest.mark.parametrize("paid, account_codes", [
    (("50000000.00", "33500000.00"), ["surplus_returned", "surplus_returned"]),
    (("52000000.00", "33000000.00"), ["shortfall_received", "surplus_returned"]),
])
def test_a_surplus_year_names_what_each_account_does(paid: tuple[str, str], account_codes: list[str]) -> None:
    r = ye.year_end(D("100000000.00"), accounts(paid[0], paid[1], "0.00", "0.00"))
    assert codes(r) == ["year_result", "surplus"]
    assert [codes(a)[0] for a in r.accounts] == account_codes


def test_a_balanced_year_and_an_account_with_nothing_to_settle() -> None:
    r = ye.year_end(D("100.00"), [ye.AccountYear("hz-p1", D("1"), D("100.00"), D("0.00"), D("0.00"), D("100.00"),
                                                 D("1.00"))])
    assert codes(r) == ["year_result", "balanced"] and codes(r.accounts[0]) == ["nothing_to_settle"]


def test_the_corridor_names_its_bands() -> None:
    c = ye.corridor(D("10000000.00"), D("10400000.00"), D("300000.00"))
    assert codes(c) == ["corridor_result", "carrier_alone_band", "shared_band", "fund_band", "corridor_split"]
    assert c.reason_codes[0].params["outcome"] == "loss"
    assert c.reason_codes[4].params == {"carrier": f"{c.carrier:.2f}", "fund": f"{c.fund:.2f}"}
    assert c.reasons == tuple(x.detail for x in c.reason_codes)


def test_every_code_given_is_in_the_catalogue() -> None:
    given = {"service_fee", "fee_capped", "fee_below_cap", "base_fee", "performance_fee", "year_result", "surplus",
             "balanced", "deficit_from_fees", "deficit_split", "surplus_returned", "shortfall_received",
             "nothing_to_settle", "fee_deduction", "carrier_deficit", "deficit_settlement", "carrier_liability",
             "corridor_result", "carrier_alone_band", "shared_band", "fund_band", "corridor_split", "premium_bid",
             "premium_ceiling"}
    assert given <= set(REASONS)

