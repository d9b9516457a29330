"""A finding's fund loss and the losses the carrier bears in full (承办方全额承担)."""

from __future__ import annotations

from typing import Any

from chassis.errors import InvalidInput
from chassis.money import parse_amount, to_fen
from services.audit.sampling.domain.reasons import REASONS

# Why a loss is the carrier's: the codes of the catalogue with their Chinese terms (审核不严 …).
CARRIER_REASONS = {code: text.split(" ", 1)[0] for code, text in REASONS.codes.items()}


def loss_fen(text: str, field: str = "amount") -> int:
    """The fund loss a finding names, a decimal yuan string, in fen; never negative."""
    amount = parse_amount(text, field)
    if amount < 0:
        raise InvalidInput(f"{field} cannot be negative", field)
    return to_fen(amount)


def carrier_liability_fields(carrier_caused: bool, amount_fen: int, reason: str | None, fund_year: int | None,
                             raised_on: str) -> dict[str, Any]:
    """The finding's carrier-liability fields, or a precise error naming the field. A carrier-caused finding names
    its loss (`amount` > 0, booked in full in the carrier's dedicated account), a reason code from the catalogue
    (domain/reasons.py) and optionally the fund year whose benefits carried the loss (default: the year it is
    raised, or the year before)."""
    if not carrier_caused:
        if reason is not None or fund_year is not None:
            field = "carrier_reason" if reason is not None else "fund_year"
            raise InvalidInput(f"{field} is only given with carrier_caused: true", field)
        return {}
    if amount_fen <= 0:
        raise InvalidInput("amount is required for a carrier-caused finding: the loss the carrier bears in full, a "
                           "positive decimal string such as \"1200.00\"", "amount")
    if reason not in REASONS:
        raise InvalidInput(f"carrier_reason is required for a carrier-caused finding, one of "
                           f"{', '.join(REASONS)}; got {reason!r}", "carrier_reason")
    year = int(raised_on[:4])
    if fund_year is not None and fund_year not in (year, year - 1):
        raise InvalidInput(f"fund_year {fund_year}: a finding raised on {raised_on} books into the fund year {year} "
                           f"or {year - 1} (whose books run to the end of {year})", "fund_year")
    return {"carrier_caused": True, "carrier_reason": reason, "fund_year": fund_year or year}
