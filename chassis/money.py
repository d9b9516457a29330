"""Exact money (金额): Decimal yuan with two places, stored as integer fen. Never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from chassis.errors import InvalidInput

CENT = Decimal("0.01")


def parse_yuan(value: object, field: str = "amount") -> Decimal:
    """Parse an amount given as a string or int; refuses floats, NaN, and more than two decimals."""
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidInput(f"{field} must be a decimal string such as \"12.34\", not a float", field)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput(f"{field} is not a number: {value!r}", field) from exc
    if not amount.is_finite():
        raise InvalidInput(f"{field} must be finite", field)
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InvalidInput(f"{field} has more than two decimals: {value!r}", field)
    return amount.quantize(CENT)


def to_fen(yuan: Decimal) -> int:
    return int((yuan * 100).to_integral_value(rounding=ROUND_HALF_UP))


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(CENT)


def round_yuan(amount: Decimal) -> Decimal:
    """Round half up to the fen, as the agency's statements do."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(amount: Decimal) -> str:
    return f"{round_yuan(amount):.2f}"
