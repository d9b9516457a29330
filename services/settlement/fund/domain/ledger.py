"""Double-entry books of one dedicated account (专户) per carrier (tenant), per program, per fund year.

The chart of accounts (科目表). Signed balance = Σ debits − Σ credits (a credit-normal account shows a negative
signed balance; `normal_balance` turns it positive for reports):

| code               | 科目               | type      | normal | moved by                                         |
|--------------------|--------------------|-----------|--------|--------------------------------------------------|
| bank               | 专户存款           | asset     | debit  | every cash movement; never overdrawn at any date |
| fund_payable       | 基金拨入 (应付基金) | liability | credit | agency allocations; closed at year end           |
| carrier_advances   | 承办方垫付          | liability | credit | carrier advances (+) and their repayments (−)    |
| benefits_paid      | 待遇支出           | expense   | debit  | payments to institutions; closed at year end     |
| interest_income    | 利息收入           | income    | credit | bank interest (the fund's); closed at year end   |
| recoveries         | 追回款             | income    | credit | money recovered from institutions; closed at y/e |
| service_fee_offset | 服务费抵扣          | expense   | debit  | year end: deficit taken from the carrier's fee   |
| deficit_carrier    | 承办方承担亏损      | expense   | debit  | year end: the carrier's 70% part of the rest     |
| carrier_liability  | 承办方全额承担      | income    | credit | losses the carrier bears in full                 |

Year end (see year_end.py) posts one closing entry per account: the fund position accounts (fund_payable,
interest_income, recoveries, carrier_liability, benefits_paid) go to zero; the cash leg is the surplus returned to
the fund (结余返还, bank credited) or the fund's settlement paid in (决算拨付, bank debited); what the carrier bears
stays visible in service_fee_offset and deficit_carrier, matched by the advances it cannot take back.

A loss of the fund caused by the carrier (审核不严、人情鉴定、监管不力、履职不力 … 由中标方全部承担) is the carrier's in
full: the carrier pays the loss back into the dedicated account from its own money — bank debited, carrier_liability
credited (kind `carrier_liability`, referencing the audit finding). The benefits wrongly paid stay in benefits_paid
(they were paid); carrier_liability offsets them, so at year end the fund's result is what it would have been without
the loss: the liability is outside the service-fee deduction and the 3 : 7 split, and closes with the fund's position
accounts (the money is the fund's again).

Invariants every posting keeps (a refused posting changes nothing): each entry balances; amounts are positive with
at most two decimals; each posting is a debit or a credit, never both; accounts are in the chart; the bank is never
overdrawn at any date from the entry's value date on; advances outstanding never go below zero, and no advance is
repaid beyond what is outstanding of it; entries are never deleted — a correction is a reversing entry, and a
reversal or an entry already reversed cannot be reversed.

Running figures (`Head`): the posting count, the latest value date and each account's signed balance after the last
posting. An entry of a kind that names no earlier entry, dated on or after the latest value date, moves the bank by
the same amount on its date and on every later one, so checking the running figure checks every date: `Head.check`
refuses exactly what `Book.check` refuses for such an entry (a property test holds the two together). Any other
entry — back-dated, a reversal, a repayment of a named advance — is checked against the whole book."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from chassis.errors import Conflict, InvalidInput
from chassis.reasons import Reason
from services.settlement.fund.domain.reasons import REASONS

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Account:
    code: str
    name: str
    type: str      # asset | liability | income | expense
    normal: str    # debit | credit


CHART: dict[str, Account] = {a.code: a for a in (
    Account("bank", "专户存款", "asset", "debit"),
    Account("fund_payable", "基金拨入(应付基金)", "liability", "credit"),
    Account("carrier_advances", "承办方垫付", "liability", "credit"),
    Account("benefits_paid", "待遇支出", "expense", "debit"),
    Account("interest_income", "利息收入", "income", "credit"),
    Account("recoveries", "追回款", "income", "credit"),
    Account("service_fee_offset", "服务费抵扣", "expense", "debit"),
    Account("deficit_carrier", "承办方承担亏损", "expense", "debit"),
    Account("carrier_liability", "承办方全额承担", "income", "credit"),
)}

KINDS = ("allocation", "advance", "advance_repayment", "payment", "interest", "recovery", "year_end", "reversal",
         "carrier_liability")
# Kinds whose check needs no earlier entry by name: checked against the running figures when not back-dated.
RUNNING_KINDS = frozenset(KINDS) - {"reversal", "advance_repayment"}


class InsufficientFunds(Conflict):
    """The dedicated account cannot pay: the carrier must advance money first (垫付). Its `params` say what a person
    acts on (`insufficient_funds`, below): `short` (the shortfall: the least to advance), `needed` (what the
    payment(s) take from the bank), `balance` (the bank balance they meet), each a string of yuan with two decimals;
    `account` and `account_name` (the ledger's bank account, 专户存款), `tenant` and `year` (whose dedicated account,
    which fund year), and `on` (the value date it would be short on) where one date says it."""


def insufficient_funds(message: str, tenant: str, year: int, short: Decimal, needed: Decimal, balance: Decimal,
                       on: date | None = None) -> InsufficientFunds:
    """The refusal with its params; the field is `amount` (the payment's)."""
    params = {"short": f"{short:.2f}", "needed": f"{needed:.2f}", "balance": f"{balance:.2f}", "account": "bank",
              "account_name": CHART["bank"].name, "tenant": tenant, "year": str(year)}
    if on is not None:
        params["on"] = on.isoformat()
    return InsufficientFunds(message, "amount", params=params)


def money(value: Decimal, field: str) -> Decimal:
    """A positive amount with at most two decimals (no rounding: more decimals are refused)."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidInput(f"{field} must be a decimal amount, got {value!r}", field)
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InvalidInput(f"{field} has more than two decimals: {value}", field)
    if value <= 0:
        raise InvalidInput(f"{field} must be positive, got {value}", field)
    return value.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Posting:
    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO

    @property
    def signed(self) -> Decimal:
        return self.debit - self.credit


@dataclass(frozen=True)
class Entry:
    """One journal entry (记账凭证). `reference` ties it to what caused it (a payment, an advance repaid)."""

    id: str
    date: date
    kind: str
    memo: str
    postings: tuple[Posting, ...]
    reverses: str = ""
    reference: str = ""

    @property
    def amount(self) -> Decimal:
        return sum((p.debit for p in self.postings), ZERO)


def dr(account: str, amount: Decimal) -> Posting:
    return Posting(account, debit=amount)


def cr(account: str, amount: Decimal) -> Posting:
    return Posting(account, credit=amount)


def validate_entry(entry: Entry) -> None:
    """The entry on its own: known kind and accounts, clean amounts, balanced."""
    if not entry.id or not isinstance(entry.id, str):
        raise InvalidInput("an entry needs an id", "id")
    if entry.kind not in KINDS:
        raise InvalidInput(f"unknown entry kind {entry.kind!r}; known: {', '.join(KINDS)}", "kind")
    if len(entry.postings) < 2:
        raise InvalidInput("an entry needs at least two postings (a debit and a credit)", "postings")
    for i, p in enumerate(entry.postings):
        path = f"postings[{i}]"
        if p.account not in CHART:
            raise InvalidInput(f"{path}: unknown account {p.account!r}; the chart has {', '.join(CHART)}",
                               f"{path}.account")
        if p.debit and p.credit:
            raise InvalidInput(f"{path}: a posting is a debit or a credit, not both", path)
        if not p.debit and not p.credit:
            raise InvalidInput(f"{path}: a posting of zero is not allowed", path)
        for side in ("debit", "credit"):
            value = getattr(p, side)
            if value:
                money(value, f"{path}.{side}")
    debits = sum((p.debit for p in entry.postings), ZERO)
    credits = sum((p.credit for p in entry.postings), ZERO)
    if debits != credits:
        raise InvalidInput(f"entry {entry.id} is not balanced: debits {debits} ≠ credits {credits}", "postings")
    if (entry.kind == "reversal") != bool(entry.reverses):
        raise InvalidInput("a reversal names the entry it reverses, and only a reversal does", "reverses")


@dataclass
class Book:
    """The books of one dedicated account (专户账簿) for one fund year: entries in posting order."""

    tenant: str
    program: str
    year: int
    entries: list[Entry] = field(default_factory=list)

    # ---- reading -------------------------------------------------------------------------------------------

    def entry(self, entry_id: str) -> Entry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    def balance(self, account: str, on: date | None = None) -> Decimal:
        """Signed balance (Σ debits − Σ credits) of entries with value date ≤ `on` (all when None)."""
        return sum((p.signed for e in self.entries if on is None or e.date <= on
                    for p in e.postings if p.account == account), ZERO)

    def balances(self, on: date | None = None) -> dict[str, Decimal]:
        return {code: self.balance(code, on) for code in CHART}

    def normal_balance(self, account: str, on: date | None = None) -> Decimal:
        signed = self.balance(account, on)
        return signed if CHART[account].normal == "debit" else -signed

    def trial_balance(self, on: date | None = None) -> dict[str, object]:
        """试算平衡表: per account its debit or credit balance; the two totals are equal."""
        rows = []
        total_dr = total_cr = ZERO
        for code, acc in CHART.items():
            signed = self.balance(code, on)
            d, c = (signed, ZERO) if signed >= 0 else (ZERO, -signed)
            total_dr += d
            total_cr += c
            rows.append({"account": code, "name": acc.name, "type": acc.type, "debit": d, "credit": c})
        return {"rows": rows, "total_debit": total_dr, "total_credit": total_cr, "balanced": total_dr == total_cr}

    def turnover(self, account: str, kind: str | None = None) -> tuple[Decimal, Decimal]:
        """(Σ debits, Σ credits) of an account, optionally only entries of one kind."""
        d = c = ZERO
        for e in self.entries:
            if kind is None or e.kind == kind:
                for p in e.postings:
                    if p.account == account:
                        d += p.debit
                        c += p.credit
        return d, c

    def reversed_ids(self) -> set[str]:
        return {e.reverses for e in self.entries if e.reverses}

    def advance_outstanding(self, advance_id: str) -> Decimal:
        """What is left to repay of one advance (its reversals and its repayments' reversals counted)."""
        own = {advance_id} | {e.id for e in self.entries if e.reference == advance_id}
        return -sum((p.signed for e in self.entries if e.id in own or e.reverses in own
                     for p in e.postings if p.account == "carrier_advances"), ZERO)

    # ---- posting -------------------------------------------------------------------------------------------

    def check(self, entry: Entry) -> None:
        """Everything `post` refuses, without changing the book."""
        validate_entry(entry)
        if self.entry(entry.id) is not None:
            raise Conflict(f"entry {entry.id} is already in the books of {self.tenant} {self.year}")
        check_value_date(entry, self.year)
        if entry.kind == "reversal":
            target = self.entry(entry.reverses)
            if target is None:
                raise InvalidInput(f"entry {entry.reverses} to reverse is not in these books", "reverses")
            if target.kind == "reversal":
                raise Conflict(f"entry {target.id} is itself a reversal: a reversal cannot be reversed")
            if target.kind == "year_end":
                raise Conflict(f"entry {target.id} is the year-end settlement: a closed year is not reversed")
            if target.id in self.reversed_ids():
                raise Conflict(f"entry {target.id} is already reversed")
            if entry.date < target.date:
                raise InvalidInput(f"a reversal cannot be dated before the entry it reverses ({target.date})", "date")
            if sorted(entry.postings, key=_key) != sorted(mirror(target.postings), key=_key):
                raise InvalidInput(f"a reversal of {target.id} must mirror its postings", "postings")
            if target.kind == "advance" and self.advance_outstanding(target.id) != target.amount:
                raise Conflict(f"advance {target.id} is partly repaid ({self.advance_outstanding(target.id):.2f} "
                               "outstanding): reverse its repayments first")
        after = Book(self.tenant, self.program, self.year, [*self.entries, entry])
        if entry.kind == "advance_repayment":
            if not entry.reference or self.entry(entry.reference) is None or \
                    self.entry(entry.reference).kind != "advance":  # type: ignore[union-attr]
                raise InvalidInput(f"advance {entry.reference!r} is not in these books", "advance_id")
            left = self.advance_outstanding(entry.reference)
            if entry.amount > left:
                raise Conflict(f"repayment {entry.amount:.2f} is more than the {left:.2f} outstanding of advance "
                               f"{entry.reference}", "amount")
        if after.balance("carrier_advances") > 0:
            raise advances_below_zero(entry, self.normal_balance("carrier_advances"))
        short = after.overdraft_from(entry.date)
        if short is not None:
            on, amount = short
            raise overdraft(self.tenant, self.year, entry, on, amount, self.normal_balance("bank", on))

    def post(self, entry: Entry) -> Entry:
        self.check(entry)
        self.entries.append(entry)
        return entry

    def overdraft_from(self, day: date) -> tuple[date, Decimal] | None:
        """The first date ≥ `day` on which the bank balance is negative, and by how much; None when never."""
        moves: dict[date, Decimal] = {day: ZERO}
        for e in self.entries:
            for p in e.postings:
                if p.account == "bank":
                    moves[e.date] = moves.get(e.date, ZERO) + p.signed
        worst: tuple[date, Decimal] | None = None
        bal = ZERO
        for d in sorted(moves):  # one pass in date order: the balance on d is every movement dated on or before it
            bal += moves[d]
            if d >= day and bal < 0 and (worst is None or -bal > worst[1]):
                worst = (d, -bal)
        return worst


@dataclass(frozen=True)
class Head:
    """The running figures of one account-year after its last posting (账簿余额): how many entries (`seq`), the latest
    value date, and every account's signed balance. The store keeps them with each entry and in a head document, so a
    posting reads one small document instead of the whole year."""

    seq: int = 0
    last_date: date | None = None
    balances: Mapping[str, Decimal] = field(default_factory=lambda: {code: ZERO for code in CHART})

    @classmethod
    def of(cls, book: Book) -> Head:
        head = cls()
        for entry in book.entries:
            head = head.after(entry)
        return head

    def balance(self, account: str) -> Decimal:
        return self.balances.get(account, ZERO)

    def normal_balance(self, account: str) -> Decimal:
        signed = self.balance(account)
        return signed if CHART[account].normal == "debit" else -signed

    def after(self, entry: Entry) -> Head:
        balances = dict(self.balances)
        for p in entry.postings:
            balances[p.account] = balances.get(p.account, ZERO) + p.signed
        last = entry.date if self.last_date is None else max(self.last_date, entry.date)
        return Head(self.seq + 1, last, balances)

    def takes(self, entry: Entry) -> bool:
        """Whether the running figures suffice to check this entry: a kind naming no earlier entry, not back-dated."""
        return entry.kind in RUNNING_KINDS and (self.last_date is None or entry.date >= self.last_date)

    def check(self, entry: Entry, tenant: str, year: int) -> None:
        """What `Book.check` refuses for an entry the running figures can take (`takes`), except a duplicate id (the
        store's unique key refuses that). Nothing dated later exists, so the bank after the entry on its value date
        is its balance on every later date too."""
        if not self.takes(entry):
            raise ValueError(f"entry {entry.id} ({entry.kind}, {entry.date}) needs the whole book to be checked")
        validate_entry(entry)
        check_value_date(entry, year)
        after = self.after(entry)
        if after.balance("carrier_advances") > 0:
            raise advances_below_zero(entry, self.normal_balance("carrier_advances"))
        if after.balance("bank") < 0:
            raise overdraft(tenant, year, entry, entry.date, -after.balance("bank"), self.normal_balance("bank"))


def check_value_date(entry: Entry, year: int) -> None:
    first, last = date(year, 1, 1), date(year + 1, 12, 31)
    if not first <= entry.date <= last:
        raise InvalidInput(f"value date {entry.date} is outside fund year {year}'s books ({first} – {last})", "date")


def advances_below_zero(entry: Entry, outstanding: Decimal) -> Conflict:
    return Conflict(f"this {entry.kind} would take advances outstanding below zero (outstanding {outstanding:.2f})",
                    "amount")


def overdraft(tenant: str, year: int, entry: Entry, on: date, short: Decimal, bank: Decimal) -> InsufficientFunds:
    needed = _bank_out(entry)
    return insufficient_funds(
        f"the dedicated account (专户) of {tenant} for {year} would be short by {short:.2f} on {on}: bank balance "
        f"{bank:.2f}, this {entry.kind} needs {needed:.2f}; the carrier must advance (垫付) at least "
        f"{short:.2f} first", tenant, year, short, needed, bank, on)


def _key(p: Posting) -> tuple[str, Decimal, Decimal]:
    return (p.account, p.debit, p.credit)


def _bank_out(entry: Entry) -> Decimal:
    return sum((p.credit for p in entry.postings if p.account == "bank"), ZERO)


def mirror(postings: Iterable[Posting]) -> tuple[Posting, ...]:
    return tuple(Posting(p.account, debit=p.credit, credit=p.debit) for p in postings)


# ---- builders: one per business movement --------------------------------------------------------------------


def split_by_shares(amount: Decimal, shares: Sequence[tuple[str, Decimal]]) -> dict[str, Decimal]:
    """Split an amount by shares, each part rounded half up to the fen; the first (the lead package) takes the
    rounding remainder (choice), so the parts always add up to the whole."""
    from chassis.money import round_yuan

    parts = {t: round_yuan(amount * s) for t, s in shares}
    lead = shares[0][0]
    parts[lead] += amount - sum(parts.values(), ZERO)
    return parts


def check_allocation(kind: str, amount: Decimal, budget: Decimal, initial_ratio: Decimal, in_year_ratio: Decimal,
                     initial_so_far: Decimal, in_year_so_far: Decimal) -> Reason:
    """The agency's allocation (program total) against the year's budget: initial ≤ 25% (年初预拨), in-year
    allocations ≤ 60% more in total (年内按进度再拨付). Returns the reason (`initial_allocation` or
    `in_year_allocation`, its detail the sentence answered as `reason`); refuses beyond."""
    money(amount, "amount")
    if kind == "initial":
        limit, so_far, what = budget * initial_ratio, initial_so_far, "initial allocation (年初预拨)"
        ratio, code = initial_ratio, "initial_allocation"
    elif kind == "in_year":
        limit, so_far, what = budget * in_year_ratio, in_year_so_far, "in-year allocations (年内拨付)"
        ratio, code = in_year_ratio, "in_year_allocation"
    else:
        raise InvalidInput(f"allocation kind must be initial or in_year, got {kind!r}", "kind")
    if so_far + amount > limit:
        raise InvalidInput(f"{what} would reach {so_far + amount:.2f}, beyond {ratio:%} of the year's budget "
                           f"{budget:.2f} ({limit:.2f}; already {so_far:.2f}, at most {max(limit - so_far, ZERO):.2f}"
                           " more)", "amount")
    return REASONS.reason(code,
                          f"{what}: {so_far + amount:.2f} of at most {limit:.2f} ({ratio:%} of budget {budget:.2f})",
                          allocations=f"{so_far + amount:.2f}", limit=f"{limit:.2f}", ratio=ratio,
                          budget=f"{budget:.2f}")


def allocation(entry_id: str, day: date, amount: Decimal, memo: str) -> Entry:
    """基金拨入: the agency's money into the dedicated account."""
    amount = money(amount, "amount")
    return Entry(entry_id, day, "allocation", memo, (dr("bank", amount), cr("fund_payable", amount)))


def advance(entry_id: str, day: date, amount: Decimal, memo: str = "承办方垫付") -> Entry:
    amount = money(amount, "amount")
    return Entry(entry_id, day, "advance", memo, (dr("bank", amount), cr("carrier_advances", amount)))


def advance_repayment(entry_id: str, day: date, advance_id: str, amount: Decimal, memo: str = "垫付资金归还") -> Entry:
    amount = money(amount, "amount")
    return Entry(entry_id, day, "advance_repayment", memo, (dr("carrier_advances", amount), cr("bank", amount)),
                 reference=advance_id)


def payment(entry_id: str, day: date, amount: Decimal, memo: str, reference: str = "") -> Entry:
    """待遇支付: the fund's share paid to an institution."""
    amount = money(amount, "amount")
    return Entry(entry_id, day, "payment", memo, (dr("benefits_paid", amount), cr("bank", amount)),
                 reference=reference)


def interest(entry_id: str, day: date, amount: Decimal, memo: str = "专户利息") -> Entry:
    amount = money(amount, "amount")
    return Entry(entry_id, day, "interest", memo, (dr("bank", amount), cr("interest_income", amount)))


def recovery(entry_id: str, day: date, amount: Decimal, memo: str = "追回款", reference: str = "") -> Entry:
    amount = money(amount, "amount")
    return Entry(entry_id, day, "recovery", memo, (dr("bank", amount), cr("recoveries", amount)), reference=reference)


def carrier_liability(entry_id: str, day: date, amount: Decimal, memo: str = "承办方全额承担基金损失",
                      reference: str = "") -> Entry:
    """承办方全额承担: the carrier pays a loss it caused back into the account from its own money (see the chart)."""
    amount = money(amount, "amount")
    return Entry(entry_id, day, "carrier_liability", memo, (dr("bank", amount), cr("carrier_liability", amount)),
                 reference=reference)


def reversal(entry_id: str, day: date, target: Entry, memo: str) -> Entry:
    return Entry(entry_id, day, "reversal", memo or f"冲销 {target.id}", mirror(target.postings), reverses=target.id)


def year_end_entry(entry_id: str, day: date, movements: Mapping[str, Decimal], memo: str) -> Entry:
    """The closing entry from signed amounts per account (+ debit, − credit); zero amounts are left out."""
    postings = tuple(dr(a, v) if v > 0 else cr(a, -v) for a, v in movements.items() if v != 0)
    return Entry(entry_id, day, "year_end", memo, postings)


def with_id(entry: Entry, entry_id: str) -> Entry:
    return replace(entry, id=entry_id)
