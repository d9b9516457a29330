"""Reading the review input's fields (智能审核的数据校验): each refusal names its field as a path such as
`claims[2].lines[0].amount` and carries a stable code of reasons.ERRORS; nothing is ever rounded or guessed.

Values repeat a great deal in a million claim lines (dates, prices, quantities), so one `Reader` keeps what it has
already read: each distinct text is checked and converted once. Money and quantities are Decimal, never float."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from chassis.errors import InvalidInput
from chassis.money import parse_amount

# The clock every program's institutions settle on: a settlement time given with an offset is read on it.
CHINA = ZoneInfo("Asia/Shanghai")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
                     r"(Z|[+-][0-9]{2}:?[0-9]{2})?")
# A quantity written out: ASCII digits with optional decimals — no sign, no exponent, no separators.
_QUANTITY = re.compile(r"[0-9]+(\.[0-9]{1,6})?")
_INTEGER = re.compile(r"-?[0-9]+")
MAX_QUANTITY = Decimal("1000000000")


def refuse(message: str, field: str, code: str) -> InvalidInput:
    return InvalidInput(message, field, code=code)


def mapping(raw: object, field: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise refuse(f"{field} must be an object", field, "invalid_type")
    return raw


def sequence(raw: object, field: str) -> list[Any]:
    if not isinstance(raw, list):
        raise refuse(f"{field} must be a list", field, "invalid_type")
    return raw


class Reader:
    """Field readers with the memory of what they read (one per parse: nothing outlives it). The memories are open
    (`dates`, `moments`, `amounts`, `quantities`: raw text → value) for a hot loop's fast path: a text found there
    was read and accepted before."""

    def __init__(self) -> None:
        self.dates: dict[str, date] = {}
        self.moments: dict[str, datetime] = {}
        self.amounts: dict[str, Decimal] = {}
        self.quantities: dict[str, Decimal] = {}

    @staticmethod
    def text(obj: Mapping[str, Any], key: str, path: str, *, required: bool = True,
             code: str = "field_required") -> str | None:
        """A non-empty string (an identifier, a code); a number given for an identifier is refused, not read."""
        raw = obj.get(key)
        if raw is None or raw == "":
            if required:
                raise refuse(f"{path}.{key} is required", f"{path}.{key}", code)
            return None
        if not isinstance(raw, str) or not raw.strip():
            raise refuse(f"{path}.{key} must be a non-empty string", f"{path}.{key}", "invalid_type")
        return raw

    @staticmethod
    def choice(obj: Mapping[str, Any], key: str, path: str, choices: tuple[str, ...], *,
               required: bool = True) -> str | None:
        raw = obj.get(key)
        if raw is None or raw == "":
            if required:
                raise refuse(f"{path}.{key} is required (one of {'|'.join(choices)})", f"{path}.{key}",
                             "field_required")
            return None
        if raw not in choices:
            raise refuse(f"{path}.{key} must be one of {'|'.join(choices)}, not {raw!r}", f"{path}.{key}",
                         "invalid_choice")
        return str(raw)

    def date(self, raw: object, field: str, *, required: bool = True) -> date | None:
        """A calendar date written YYYY-MM-DD."""
        if raw is None or raw == "":
            if required:
                raise refuse(f"{field} is required (YYYY-MM-DD)", field, "field_required")
            return None
        if isinstance(raw, str):
            known = self.dates.get(raw)
            if known is not None:
                return known
            if _DATE.fullmatch(raw):
                try:
                    value = self.dates[raw] = date.fromisoformat(raw)
                    return value
                except ValueError:
                    pass
        raise refuse(f"{field} is not a date YYYY-MM-DD: {raw!r}", field, "invalid_date")

    def moment(self, raw: object, field: str) -> datetime | None:
        """A settlement time, YYYY-MM-DDTHH:MM[:SS[.ffffff]], read on China's clock (an offset, if given, is
        converted to it)."""
        if raw is None or raw == "":
            return None
        if isinstance(raw, str):
            known = self.moments.get(raw)
            if known is not None:
                return known
            if _MOMENT.fullmatch(raw):
                try:
                    value = datetime.fromisoformat(raw)
                except ValueError:
                    pass
                else:
                    if value.tzinfo is not None:
                        value = value.astimezone(CHINA).replace(tzinfo=None)
                    self.moments[raw] = value
                    return value
        raise refuse(f"{field} is not a date and time YYYY-MM-DDTHH:MM:SS: {raw!r}", field, "invalid_date")

    def money(self, raw: object, field: str) -> Decimal:
        """Yuan, at least 0, at most two decimals (chassis.money's rules: no float, no exponent)."""
        if isinstance(raw, str):
            known = self.amounts.get(raw)
            if known is not None:
                return known
            value = self.amounts[raw] = parse_amount(raw, field, minimum=Decimal(0))
            return value
        # Not cached: Decimal("1.000") equals Decimal("1") as a key, yet only one of them has two decimals.
        return parse_amount(raw, field, minimum=Decimal(0))

    def quantity(self, raw: object, field: str, *, required: bool = True) -> Decimal | None:
        """A quantity: a plain positive decimal (up to six decimals), as a string or a number."""
        if raw is None or raw == "":
            if required:
                raise refuse(f"{field} is required", field, "field_required")
            return None
        if isinstance(raw, str):
            known = self.quantities.get(raw)
            if known is not None:
                return known
        if isinstance(raw, bool) or isinstance(raw, float):
            raise refuse(f"{field} must be a decimal string such as \"2\" or \"0.5\", not a float", field,
                         "invalid_decimal")
        text = str(raw)
        if not _QUANTITY.fullmatch(text):
            raise refuse(f"{field} is not a positive decimal number: {raw!r}", field, "invalid_decimal")
        try:
            value = Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover - the pattern admits only what Decimal reads
            raise refuse(f"{field} is not a number: {raw!r}", field, "invalid_decimal") from exc
        if not 0 < value <= MAX_QUANTITY:
            raise refuse(f"{field} must be above 0 and at most {MAX_QUANTITY}: {raw!r}", field, "invalid_decimal")
        if isinstance(raw, str):
            self.quantities[raw] = value
        return value

    @staticmethod
    def integer(raw: object, field: str, low: int, high: int, *, required: bool = False) -> int | None:
        """A whole number in [low, high], as a JSON integer or a string of digits."""
        if type(raw) is int and low <= raw <= high:
            return raw
        if raw is None or raw == "":
            if required:
                raise refuse(f"{field} is required", field, "field_required")
            return None
        if isinstance(raw, bool) or not isinstance(raw, int | str | Decimal):
            raise refuse(f"{field} must be a whole number: {raw!r}", field, "invalid_integer")
        text = str(raw).strip()
        if not _INTEGER.fullmatch(text):
            raise refuse(f"{field} must be a whole number: {raw!r}", field, "invalid_integer")
        value = int(text)
        if not low <= value <= high:
            raise refuse(f"{field} must be between {low} and {high}: {raw!r}", field, "invalid_integer")
        return value
