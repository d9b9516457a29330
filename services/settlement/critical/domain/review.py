"""Smart review (智能审核) of critical illness claims that carry their item lines (费用明细), pure.

- **Lines** (optional on a platform claim or a provincial record): `[{line_id, item_code, date, quantity, unit_price,
  amount, days_supply?}]`. Each amount must be quantity × unit price rounded half up to the fen (422
  `amount_mismatch` naming `claims[i].lines[j].amount`); a line id is used once in a claim (`duplicate_line_id`).
  **Choice**: the lines may be an extract of the expense list (费用清单) — fewer than the claim's total — but never
  more: their sum above the claim's total cost is refused (`lines_exceed_total`, field `claims[i].lines`).
- **What review reads** (`review_claim`, events.proto ReviewClaim): the claim with the person's sex and birth date
  from the identity number, its kind (an inpatient stay 住院, a purchase at a pharmacy, else outpatient), each line's
  id `<claim_id>|<line_id>` (claim ids never hold "|"). A claim without lines is reviewed by nothing.
- **Where review's answers fall**: the review of an institution's claims of a month is kept under its first
  statement of that month (`review_statement_id`: `CI-<institution>-<month>`), so that every statement of the month
  (a supplementary one too) closes only when nothing of the institution-month is pending or held.
- **拒付** (`refusals`): a confirmed hit refuses, on the claim whose held lines its amount falls on, the fund's share
  of the hit's amount: `payable × hit amount ÷ the claim's total cost` (review/domain/holds.py `refused_fen`: half
  up, never more than the claim pays). A hit holding lines of several claims splits its amount between them in
  proportion to the held lines' amounts. The claim's self-pay and the person's cumulative self-pay are not changed
  (the choice written in services/settlement/review/__init__.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chassis.errors import InvalidInput
from chassis.money import fmt, parse_amount, to_fen
from services.settlement.chronic.domain.uploads import parse_quantity
from services.settlement.critical.domain.statements import institution_kind, statement_id
from services.settlement.policies.domain.policy import parse_date
from services.settlement.review.domain.holds import refusal_reason, refused_fen
from services.settlement.review.domain.submissions import identity_facts

SOURCE = "critical"
MAX_LINES = 2000           # a claim's lines: one review part at most (submissions.PART_LINES)
MAX_DAYS_SUPPLY = 366
AMOUNT_MISMATCH = "amount_mismatch"
DUPLICATE_LINE_ID = "duplicate_line_id"
LINES_EXCEED_TOTAL = "lines_exceed_total"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class ItemLine:
    """One item line of a claim (费用明细)."""

    line_id: str
    item_code: str
    date: date
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    days_supply: int | None = None

    def doc(self) -> dict[str, Any]:
        return {"line_id": self.line_id, "item_code": self.item_code, "date": self.date.isoformat(),
                "quantity": str(self.quantity), "unit_price": fmt(self.unit_price), "amount": fmt(self.amount),
                "days_supply": self.days_supply}


def _quantity(value: Any, field: str) -> Decimal:
    """A line's quantity by the chronic uploads' one rule (a plain positive decimal, at most six decimals; absent:
    1), the error naming the line's field path."""
    try:
        return parse_quantity(value)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field, code=exc.code if exc.code != InvalidInput.code else None) from exc


def parse_lines(raw: Any, path: str, total_cost: Decimal | None, ident: Any) -> tuple[tuple[ItemLine, ...],
                                                                                     list[dict[str, str]]]:
    """A claim's `lines` (absent or null: none) → the lines and every problem found (`{field, message, code?}`);
    `ident(value, field)` checks an id as the door does (letters, digits, `_ . : -`)."""
    if raw is None:
        return (), []
    problems: list[dict[str, str]] = []

    def fail(field: str, message: str, code: str | None = None) -> None:
        problems.append({"field": field, "message": message, **({"code": code} if code else {})})

    if not isinstance(raw, list) or not raw or len(raw) > MAX_LINES:
        fail(f"{path}.lines", f"lines must be a non-empty list of at most {MAX_LINES} item lines")
        return (), problems
    out: list[ItemLine] = []
    seen: set[str] = set()
    for j, item in enumerate(raw):
        at = f"{path}.lines[{j}]"
        if not isinstance(item, Mapping):
            fail(at, "a line must be an object")
            continue
        before = len(problems)
        values: dict[str, Any] = {}
        for key, parse in (("line_id", ident), ("item_code", ident), ("date", parse_date), ("quantity", _quantity),
                           ("unit_price", lambda v, f: parse_amount(v, f, minimum=Decimal(0))),
                           ("amount", lambda v, f: parse_amount(v, f, minimum=Decimal(0)))):
            try:
                values[key] = parse(item.get(key), f"{at}.{key}")
            except InvalidInput as exc:
                fail(f"{at}.{key}", exc.message, exc.code if exc.code != InvalidInput.code else None)
        days = item.get("days_supply")
        if days is not None and (isinstance(days, bool) or not isinstance(days, int)
                                 or not 0 <= days <= MAX_DAYS_SUPPLY):
            fail(f"{at}.days_supply", f"days_supply must be a whole number of days 0..{MAX_DAYS_SUPPLY}, "
                                      f"got {days!r}")
        if len(problems) > before:
            continue
        if values["line_id"] in seen:
            fail(f"{at}.line_id", f"line id {values['line_id']!r} is used twice in the claim", DUPLICATE_LINE_ID)
            continue
        seen.add(values["line_id"])
        expected = (values["quantity"] * values["unit_price"]).quantize(CENT, ROUND_HALF_UP)
        if values["amount"] != expected:
            fail(f"{at}.amount", f"amount {fmt(values['amount'])} is not quantity {values['quantity']} × unit "
                                 f"price {fmt(values['unit_price'])} = {fmt(expected)}", AMOUNT_MISMATCH)
            continue
        out.append(ItemLine(values["line_id"], values["item_code"], values["date"], values["quantity"],
                            values["unit_price"], values["amount"], days or None))
    if not problems and total_cost is not None:
        total = sum((ln.amount for ln in out), Decimal(0))
        if total > total_cost:
            fail(f"{path}.lines", f"the lines add up to {fmt(total)}, more than the claim's total cost "
                                  f"{fmt(total_cost)}", LINES_EXCEED_TOTAL)
    return (tuple(out), []) if not problems else ((), problems)


def review_line_id(claim_id: str, line_id: str) -> str:
    return f"{claim_id}|{line_id}"


def claim_kind(care: str, institution: str) -> str:
    if care == "inpatient":
        return "inpatient"
    return "pharmacy" if institution_kind(institution) == "pharmacy" else "outpatient"


def review_claim(claim_id: str, person_id: str, care: str, institution: str, lines: Sequence[ItemLine]
                 ) -> dict[str, Any]:
    """The claim as review reads it (events.proto ReviewClaim)."""
    sex, born = identity_facts(person_id)
    return {"claim_id": claim_id, "person_id": person_id, "sex": sex, "birth_date": born,
            "kind": claim_kind(care, institution), "lines": [
                {"line_id": review_line_id(claim_id, ln.line_id), "item_code": ln.item_code,
                 "date": ln.date.isoformat(), "quantity": str(ln.quantity), "unit_price": fmt(ln.unit_price),
                 "amount": fmt(ln.amount), "days_supply": ln.days_supply or 0} for ln in lines]}


def review_statement_id(institution: str, month: str) -> str:
    """Where the review of an institution-month is kept: its first statement's id."""
    return statement_id(institution, month)


def batch_id(institution: str, month: str, claim_keys: Iterable[str]) -> str:
    """An upload's review batch of one institution and month, the same when the same claims are sent again."""
    digest = hashlib.sha256("\n".join(sorted(claim_keys)).encode()).hexdigest()[:20]
    return f"CI-{institution}-{month}-{digest}"


@dataclass(frozen=True)
class ClaimFacts:
    """What a refusal reads of a claim: what the fund pays on it, its total cost and its lines' amounts by line id."""

    payable_fen: int
    total_fen: int
    line_fen: Mapping[str, int]


def _claim_of(review_line: str) -> str:
    return review_line.split("|", 1)[0]


def refusals(confirmed: Iterable[Mapping[str, Any]], claims: Mapping[str, ClaimFacts],
             on_statement: Iterable[str]) -> list[dict[str, Any]]:
    """The refusals (拒付) of the claims `on_statement` (claim ids), one per claim and confirmed hit, in hit id order:
    each hit's amount shared between the claims of its held lines by their amounts, then `refused_fen` of the claim's
    payable over its total cost; a claim never loses more than it pays (later hits take what is left)."""
    wanted = set(on_statement)
    left = {cid: facts.payable_fen for cid, facts in claims.items()}
    out = []
    for hit in sorted(confirmed, key=lambda h: h["hit_id"]):
        held: dict[str, int] = {}
        for lid in hit.get("line_ids") or ():
            cid = _claim_of(lid)
            facts = claims.get(cid)
            if facts is not None:
                held[cid] = held.get(cid, 0) + facts.line_fen.get(lid.split("|", 1)[1], 0)
        if not held:
            continue
        hit_fen = to_fen(Decimal(str(hit.get("amount") or "0")))
        all_held = sum(held.values())
        for cid in sorted(held):
            share = hit_fen if len(held) == 1 or all_held <= 0 else \
                (2 * hit_fen * held[cid] + all_held) // (2 * all_held)
            facts = claims[cid]
            refused = min(left[cid], refused_fen(facts.payable_fen, share, facts.total_fen))
            left[cid] -= refused
            if cid in wanted:
                out.append({"claim_id": cid, "hit_id": hit["hit_id"], "rule": hit.get("rule", ""),
                            "hit_amount": str(hit.get("amount") or ""), "share": f"{Decimal(share) / 100:.2f}",
                            "payable": f"{Decimal(facts.payable_fen) / 100:.2f}",
                            "total_cost": f"{Decimal(facts.total_fen) / 100:.2f}",
                            "refused": f"{Decimal(refused) / 100:.2f}", "refused_fen": refused,
                            "reason_codes": [refusal_reason(hit)]})
    return out
