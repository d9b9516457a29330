"""Exact money (金额): Decimal yuan with two places, stored as integer fen. Never float."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from chassis.errors import InvalidInput

CENT = Decimal("0.01")


# Beyond any amount a program pays (a year's fund is far below it): keeps "1E+30" and its like out of the books.
MAX_AMOUNT = Decimal("999999999999.99")
# What an amount looks like written out: ASCII digits, an optional sign and decimals — no exponent ("1E+30"), no
# digit separators ("1_000", which Decimal reads), no other scripts' digits, no NaN or Infinity.
_PLAIN = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def parse_amount(value: object, field: str = "amount", *, minimum: Decimal | None = None,
                 maximum: Decimal = MAX_AMOUNT) -> Decimal:
    """The one money parser: an amount in yuan given as a decimal string (or an int), quantised to the fen.

    Refuses floats (they cannot hold fen exactly), NaN and infinities, exponents, digit separators and other
    scripts' digits, more than two decimals, and amounts outside [minimum, maximum] (MAX_AMOUNT, below 10^12 yuan)
    — each with the code `invalid_amount` and the field."""
    def refuse(message: str) -> InvalidInput:
        return InvalidInput(message, field, code="invalid_amount")

    if value is None or (isinstance(value, str) and not value.strip()):
        raise refuse(f"{field} is required")
    if isinstance(value, bool) or isinstance(value, float):
        raise refuse(f"{field} must be a decimal string such as \"12.34\", not a float")
    text = str(value).strip()
    if "e" in text.lower():
        raise refuse(f"{field} is not a plain decimal number: {value!r}")
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError) as exc:
        raise refuse(f"{field} is not a number: {value!r}") from exc
    if not amount.is_finite():
        raise refuse(f"{field} must be finite")
    if not _PLAIN.fullmatch(text):
        raise refuse(f"{field} is not a plain decimal number: {value!r}")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise refuse(f"{field} has more than two decimals: {value!r}")
    if minimum is not None and amount < minimum:
        raise refuse(f"{field} must not be less than {minimum}: {value!r}")
    if amount > maximum or amount < -maximum:
        raise refuse(f"{field} is out of range: {value!r}")
    return amount.quantize(CENT)


def parse_yuan(value: object, field: str = "amount") -> Decimal:
    """An amount that may be negative (a correction): `parse_amount` without a minimum."""
    return parse_amount(value, field)


def to_fen(yuan: Decimal) -> int:
    """Yuan to integer fen, half up (what the books store)."""
    return int((yuan * 100).to_integral_value(rounding=ROUND_HALF_UP))


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(CENT)


def round_yuan(amount: Decimal) -> Decimal:
    """Round half up to the fen, as the agency's statements do."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(amount: Decimal) -> str:
    return f"{round_yuan(amount):.2f}"


def yuan(fen: int) -> str:
    """Integer fen as the yuan string answers and events carry ("12.34")."""
    return f"{from_fen(fen):.2f}"
