"""Claims under review (待审核的结算单据): a claim of one person at one institution — an inpatient stay, an
outpatient visit or a pharmacy purchase — and its lines (明细), each an item of the catalogue on a date with quantity,
unit price and amount.

`Line` and `Claim` are named tuples: immutable, and cheap enough to build by the million (`jingban review` reads a
million lines in one file)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from services.audit.smart_review.domain.catalogue import SEXES
from services.audit.smart_review.domain.values import Reader, mapping, refuse, sequence

INSTITUTION_KINDS = ("hospital", "pharmacy")
CLAIM_KINDS = ("inpatient", "outpatient", "pharmacy")
MAX_DAYS_SUPPLY = 366
CENT = Decimal("0.01")


class Line(NamedTuple):
    """One claim line (明细): `days_supply` (用药天数) for a drug, when known."""

    line_id: str
    item_code: str
    date: date
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    days_supply: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"line_id": self.line_id, "item_code": self.item_code, "date": self.date.isoformat(),
                               "quantity": str(self.quantity), "unit_price": f"{self.unit_price:.2f}",
                               "amount": f"{self.amount:.2f}"}
        if self.days_supply is not None:
            out["days_supply"] = self.days_supply
        return out


class Claim(NamedTuple):
    """One claim (结算单据). `person_id` is personal data: the rules group by it and never write it into a hit."""

    claim_id: str
    institution: str
    institution_kind: str
    person_id: str
    sex: str
    birth_date: date
    kind: str
    lines: tuple[Line, ...]
    admitted_on: date | None = None
    discharged_on: date | None = None
    settled_at: datetime | None = None

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"claim_id": self.claim_id, "institution": self.institution,
                               "institution_kind": self.institution_kind, "person_id": self.person_id,
                               "sex": self.sex, "birth_date": self.birth_date.isoformat(), "kind": self.kind}
        if self.admitted_on is not None:
            out["admitted_on"] = self.admitted_on.isoformat()
        if self.discharged_on is not None:
            out["discharged_on"] = self.discharged_on.isoformat()
        if self.settled_at is not None:
            out["settled_at"] = self.settled_at.isoformat()
        out["lines"] = [line.to_json() for line in self.lines]
        return out


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """What a line must amount to: quantity × unit price, rounded half up to the fen."""
    return (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)


def _read_claim(read: Reader, obj: Mapping[str, Any], path: str, claim_ids: set[str]
                ) -> tuple[str, str, str, str, str, date, str, date | None, date | None, datetime | None]:
    """A claim's own fields the checked way, field by field (what the fast path of parse_claims could not take)."""
    claim_id = read.text(obj, "claim_id", path)
    if claim_id in claim_ids:
        raise refuse(f"{path}.claim_id {claim_id!r} appears twice", f"{path}.claim_id", "claim_id_duplicate")
    institution = read.text(obj, "institution", path)
    institution_kind = read.choice(obj, "institution_kind", path, INSTITUTION_KINDS)
    if obj.get("person_id") in (None, ""):
        raise refuse(f"{path}.person_id is required", f"{path}.person_id", "field_required")
    if not isinstance(obj["person_id"], str):
        raise refuse(f"{path}.person_id must be a string", f"{path}.person_id", "invalid_type")
    sex = read.choice(obj, "sex", path, SEXES)
    birth_date = read.date(obj.get("birth_date"), f"{path}.birth_date")
    kind = read.choice(obj, "kind", path, CLAIM_KINDS)
    admitted_on = read.date(obj.get("admitted_on"), f"{path}.admitted_on", required=False)
    discharged_on = read.date(obj.get("discharged_on"), f"{path}.discharged_on", required=False)
    settled_at = read.moment(obj.get("settled_at"), f"{path}.settled_at")
    assert claim_id and institution and institution_kind and sex and kind and birth_date is not None
    return (claim_id, institution, institution_kind, obj["person_id"], sex, birth_date, kind, admitted_on,
            discharged_on, settled_at)


def _read_line(read: Reader, raw: dict[str, Any], path: str, line_ids: set[str]
               ) -> tuple[str, str, date, Decimal, Decimal, Decimal, int | None]:
    """One line the checked way, field by field (what the fast path of parse_claims could not take)."""
    line_id = read.text(raw, "line_id", path)
    if line_id in line_ids:
        raise refuse(f"{path}.line_id {line_id!r} appears twice", f"{path}.line_id", "line_id_duplicate")
    item_code = read.text(raw, "item_code", path)
    on = read.date(raw.get("date"), f"{path}.date")
    quantity = read.quantity(raw.get("quantity"), f"{path}.quantity")
    unit_price = read.money(raw.get("unit_price"), f"{path}.unit_price")
    amount = read.money(raw.get("amount"), f"{path}.amount")
    supply = read.integer(raw.get("days_supply"), f"{path}.days_supply", 1, MAX_DAYS_SUPPLY)
    assert line_id is not None and item_code is not None and on is not None and quantity is not None
    return line_id, item_code, on, quantity, unit_price, amount, supply


def parse_claims(data: object, field: str = "claims") -> list[Claim]:
    """Claims from their JSON form (as `jingban review` reads them); InvalidInput naming the field
    (`claims[2].lines[0].amount`) for a missing or malformed field, an amount that is not quantity × unit price
    (`amount_mismatch`), a stay discharged before admission (`stay_reversed`), a duplicate claim_id or line_id
    (line ids are unique across all the claims), a line dated before the person's birth. Messages never quote the
    person's id."""
    read = Reader()
    claims: list[Claim] = []
    claim_ids: set[str] = set()
    line_ids: set[str] = set()
    dates, quantities, amounts = read.dates, read.quantities, read.amounts
    moments = read.moments
    institution_kinds, claim_kinds, sexes = frozenset(INSTITUTION_KINDS), frozenset(CLAIM_KINDS), frozenset(SEXES)
    for i, obj in enumerate(sequence(data, field)):
        # As for lines: the fast path takes a claim whose values are all well-formed (its dates read before).
        if type(obj) is not dict:
            obj = mapping(obj, f"{field}[{i}]")
        get = obj.get
        claim_id, institution, person_id = get("claim_id"), get("institution"), get("person_id")
        institution_kind, sex, kind = get("institution_kind"), get("sex"), get("kind")
        raw_birth, raw_admitted, raw_discharged, raw_settled = (get("birth_date"), get("admitted_on"),
                                                                get("discharged_on"), get("settled_at"))
        birth_date = dates.get(raw_birth) if type(raw_birth) is str else None
        admitted_on = None if raw_admitted is None else dates.get(raw_admitted) if type(raw_admitted) is str else None
        discharged_on = (None if raw_discharged is None
                         else dates.get(raw_discharged) if type(raw_discharged) is str else None)
        settled_at = None if raw_settled is None else moments.get(raw_settled) if type(raw_settled) is str else None
        if (type(claim_id) is not str or not claim_id or claim_id in claim_ids or type(institution) is not str
                or not institution or type(person_id) is not str or not person_id
                or type(institution_kind) is not str or institution_kind not in institution_kinds
                or type(sex) is not str or sex not in sexes or type(kind) is not str or kind not in claim_kinds
                or birth_date is None or (admitted_on is None and raw_admitted is not None)
                or (discharged_on is None and raw_discharged is not None)
                or (settled_at is None and raw_settled is not None)):
            (claim_id, institution, institution_kind, person_id, sex, birth_date, kind, admitted_on, discharged_on,
             settled_at) = _read_claim(read, obj, f"{field}[{i}]", claim_ids)
        path = f"{field}[{i}]"
        if admitted_on is not None and discharged_on is not None and discharged_on < admitted_on:
            raise refuse(f"{path}.discharged_on {discharged_on} is before admitted_on {admitted_on}",
                         f"{path}.discharged_on", "stay_reversed")
        claim_ids.add(claim_id)
        raw_lines = obj.get("lines")
        if raw_lines is None:
            raise refuse(f"{path}.lines is required (a list, which may be empty)", f"{path}.lines", "field_required")
        lines: list[Line] = []
        for j, raw_line in enumerate(sequence(raw_lines, f"{path}.lines")):
            # The fast path takes a line whose every value was read and accepted before (the Reader's memories);
            # anything else goes the checked way, which names the field it refuses.
            if type(raw_line) is not dict:
                mapping(raw_line, f"{path}.lines[{j}]")
            get = raw_line.get
            line_id, item_code, supply, raw_date = get("line_id"), get("item_code"), get("days_supply"), get("date")
            raw_quantity, raw_price, raw_amount = get("quantity"), get("unit_price"), get("amount")
            on = dates.get(raw_date) if type(raw_date) is str else None
            quantity = quantities.get(raw_quantity) if type(raw_quantity) is str else None
            unit_price = amounts.get(raw_price) if type(raw_price) is str else None
            amount = amounts.get(raw_amount) if type(raw_amount) is str else None
            if (type(line_id) is not str or not line_id or line_id in line_ids or type(item_code) is not str
                    or not item_code or on is None or quantity is None or unit_price is None or amount is None
                    or (supply is not None and (type(supply) is not int or not 1 <= supply <= MAX_DAYS_SUPPLY))):
                line_id, item_code, on, quantity, unit_price, amount, supply = _read_line(
                    read, raw_line, f"{path}.lines[{j}]", line_ids)
            if on < birth_date:
                raise refuse(f"{path}.lines[{j}].date {on} is before the person's birth date",
                             f"{path}.lines[{j}].date", "line_before_birth")
            if amount != (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP):
                raise refuse(f"{path}.lines[{j}].amount {amount} is not quantity {quantity} × unit price "
                             f"{unit_price} ({line_amount(quantity, unit_price)})", f"{path}.lines[{j}].amount",
                             "amount_mismatch")
            line_ids.add(line_id)
            lines.append(Line(line_id, item_code, on, quantity, unit_price, amount, supply))
        claims.append(Claim(claim_id, institution, institution_kind, person_id, sex, birth_date, kind, tuple(lines),
                            admitted_on, discharged_on, settled_at))
    return claims
