"""Month-end claim uploads (月结申报): JSON or CSV in, validated lines out, with an error per offending line.

Every line is checked before anything is stored; the answer to a bad upload lists them all:
`[{"line": n, "field": ..., "message": ...}]`, where `line` is the 1-based position of the line in the upload
(the data row for CSV, the header not counted). Whether a person holds a disease is not checked here: that is
adjudication's job (an unknown person's line pays nothing, with a reason).

A line may give its `quantity` (数量, default 1), `unit_price` (单价, default the amount) and `days_supply` (用药天数,
for a drug): what smart review (智能审核) checks. The amount must be quantity × unit price (rounded half up to the
fen): otherwise the line is refused on its `amount` (`amount_mismatch`)."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chassis import money
from chassis.errors import InvalidInput
from services.settlement.chronic.domain.records import CODE_RE, MONTH_RE, LineIn

COLUMNS = ("claim_id", "person_id", "date", "disease", "amount", "covered", "item_code", "description")
OPTIONAL_COLUMNS = ("line", "quantity", "unit_price", "days_supply")
MAX_ERRORS = 1000
MAX_LINE_NO = 1_000_000  # a claim's line number: beyond any claim, well within the store's integers
MAX_AMOUNT = Decimal("10000000.00")
MAX_QUANTITY = Decimal("1000000")
MAX_DAYS_SUPPLY = 366
QUANTITY_RE = re.compile(r"[0-9]+(\.[0-9]{1,6})?")
TRUE = {"true", "1", "yes", "y", "t"}
FALSE = {"false", "0", "no", "n", "f"}


@dataclass
class Upload:
    month: str
    institution: str
    batch_id: str                             # "" until the service names a batch sent without one
    raw: list[tuple[int, Mapping[str, Any]]]  # (position, fields as given)
    errors: list[dict[str, Any]] = field(default_factory=list)


def month_of(value: Any, field_name: str = "month") -> str:
    if not isinstance(value, str) or not MONTH_RE.match(value):
        raise InvalidInput(f"{field_name} must be a month such as \"2025-06\", got {value!r}", field_name)
    return value


def institution_of(value: Any, field_name: str = "institution_code") -> str:
    if not isinstance(value, str) or not CODE_RE.match(value):
        raise InvalidInput(f"{field_name} must be 1-40 letters, digits, '_' or '-', got {value!r}", field_name)
    return value


def batch_id_of(value: Any) -> str:
    if not isinstance(value, str) or not CODE_RE.match(value):
        raise InvalidInput(f"batch_id must be 1-40 letters, digits, '_' or '-', got {value!r}", "batch_id")
    return value


def upload_of(kind: str, month: str, institution: str, batch_id: str | None, body: bytes,
              raw: list[tuple[int, Mapping[str, Any]]], errors: list[dict[str, Any]]) -> tuple[Upload, str]:
    """The upload and its digest (sha256 of the format, institution, month and bytes): the same file sent again is
    the same upload. Without a batch id the upload's `batch_id` is "": the service names the batch from the digest
    keyed (`b<32 hex>`, settler.py `keyed_upload`) — the file holds identity numbers, and its plain sha256 could be
    reversed by trying every number when the rest of a small file is known."""
    digest = hashlib.sha256(b"|".join([kind.encode(), institution.encode(), month.encode(), body])).hexdigest()
    return Upload(month, institution, batch_id_of(batch_id) if batch_id else "", raw, errors), digest


def from_json(data: dict[str, Any]) -> tuple[Any, Any, Any, list[tuple[int, Mapping[str, Any]]], list[dict[str, Any]]]:
    lines = data.get("lines")
    if not isinstance(lines, list) or not lines:
        raise InvalidInput("lines must be a non-empty list", "lines")
    raw: list[tuple[int, Mapping[str, Any]]] = []
    errors: list[dict[str, Any]] = []
    for i, line in enumerate(lines, start=1):
        if isinstance(line, Mapping):
            raw.append((i, line))
        else:
            errors.append({"line": i, "field": "line", "message": "each line must be an object"})
    return data.get("month"), data.get("institution_code"), data.get("batch_id"), raw, errors


def from_csv(body: bytes) -> tuple[list[tuple[int, Mapping[str, Any]]], list[dict[str, Any]]]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"CSV must be UTF-8: {exc}", "body") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InvalidInput("CSV is empty: a header row is required", "body") from None
    except csv.Error as exc:
        raise InvalidInput(f"CSV header is broken: {exc}", "body") from exc
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS and c not in OPTIONAL_COLUMNS]
    dupes = sorted({c for c in header if header.count(c) > 1})
    if missing or unknown or dupes:
        parts = [f"missing {missing}" if missing else "", f"unknown {unknown}" if unknown else "",
                 f"repeated {dupes}" if dupes else ""]
        raise InvalidInput(f"CSV header must name the columns {list(COLUMNS)} (optional {list(OPTIONAL_COLUMNS)}): "
                           + "; ".join(p for p in parts if p), "header")
    raw: list[tuple[int, Mapping[str, Any]]] = []
    errors: list[dict[str, Any]] = []
    n = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            n += 1
            errors.append({"line": n, "field": "row", "message": f"broken CSV row: {exc}"})
            continue
        if not row or all(not c.strip() for c in row):
            continue  # blank lines are not lines
        n += 1
        if len(row) != len(header):
            errors.append({"line": n, "field": "row",
                           "message": f"row has {len(row)} columns, the header has {len(header)}"})
            continue
        raw.append((n, dict(zip(header, row, strict=True))))
    if not raw and not errors:
        raise InvalidInput("the CSV has a header but no lines", "lines")
    return raw, errors


# ---- one line ------------------------------------------------------------------------------------------------


def _text(line: Mapping[str, Any], key: str, required: bool, max_len: int) -> str:
    value = line.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"{key} is required", key)
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{key} must be a string, got {value!r}", key)
    value = value.strip()
    if len(value) > max_len:
        raise InvalidInput(f"{key} is longer than {max_len} characters", key)
    return value


def claim_amount(value: Any) -> Decimal:
    """A line's amount: the one money parser (chassis.money), from 0 to MAX_AMOUNT; a negative one is refused as
    such (the sentence uploads have always answered)."""
    amount = money.parse_amount(value, "amount", maximum=MAX_AMOUNT)
    if amount < 0:
        raise InvalidInput(f"amount must not be negative: {value!r}", "amount", code="invalid_amount")
    return amount


def parse_covered(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
        return value.strip().lower() in TRUE
    raise InvalidInput(f"covered must be true or false, got {value!r}", "covered")


def parse_day(value: Any, key: str = "date") -> date:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{key} is required (YYYY-MM-DD)", key)
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{key} is not a date (YYYY-MM-DD): {value!r}", key) from None


def parse_quantity(value: Any) -> Decimal:
    """A line's quantity (数量): a plain positive decimal (at most six decimals, up to MAX_QUANTITY), as a JSON number
    read exactly or text; absent: 1."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal(1)
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidInput(f"quantity must be a decimal such as \"2\" or \"0.5\", got {value!r}"[:300], "quantity")
    text = str(value).strip()
    if not QUANTITY_RE.fullmatch(text):
        raise InvalidInput(f"quantity must be a plain positive decimal (at most six decimals), got {value!r}"[:300],
                           "quantity")
    quantity = Decimal(text)
    if quantity <= 0 or quantity > MAX_QUANTITY:
        raise InvalidInput(f"quantity must be above 0 and at most {MAX_QUANTITY}, got {value!r}"[:300], "quantity")
    return quantity


def parse_unit_price(value: Any) -> Decimal | None:
    """A line's unit price (单价), yuan (the money parser); absent: None (the amount is the price of one)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    price = money.parse_amount(value, "unit_price", maximum=MAX_AMOUNT)
    if price < 0:
        raise InvalidInput(f"unit_price must not be negative: {value!r}"[:300], "unit_price", code="invalid_amount")
    return price


def parse_days_supply(value: Any) -> int | None:
    """Days a drug line supplies (用药天数), 1 to MAX_DAYS_SUPPLY; absent: None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    n: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        n = value
    elif isinstance(value, str) and value.strip().isdigit():
        n = int(value.strip())
    if n is None or not 1 <= n <= MAX_DAYS_SUPPLY:
        raise InvalidInput(f"days_supply must be a whole number of days from 1 to {MAX_DAYS_SUPPLY}, "
                           f"got {value!r}"[:300], "days_supply")
    return n


def priced(amount: Decimal | None, quantity: Decimal | None, unit_price: Decimal | None) -> Decimal | None:
    """The line's unit price, checked: the amount must be quantity × unit price (rounded half up to the fen); a line
    without a unit price is priced at its amount (a quantity other than 1 then needs its unit price). Raises
    `amount_mismatch` on the amount."""
    if amount is None or quantity is None:
        return unit_price
    price = amount if unit_price is None else unit_price
    expected = (quantity * price).quantize(money.CENT, rounding=ROUND_HALF_UP)
    if expected != amount:
        hint = "" if unit_price is not None else ": give the unit_price with a quantity"
        raise InvalidInput(f"amount {amount} is not quantity {quantity} × unit_price {price} ({expected}){hint}",
                           "amount", code="amount_mismatch")
    return price


def parse_line_no(value: Any) -> int | None:
    """A line's number within its claim: a whole number from 1 to MAX_LINE_NO, as a JSON integer or text (a CSV
    cell); anything else — an object, a list, a fraction, a number beyond the store's integers — names the field."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    n: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        n = value
    elif isinstance(value, str):
        try:
            n = int(value)
        except ValueError:
            n = None
    if n is None or not 1 <= n <= MAX_LINE_NO:
        raise InvalidInput(f"line must be a whole number from 1 to {MAX_LINE_NO}, got {value!r}"[:300], "line")
    return n


def validate_lines(upload: Upload, diseases_on: Callable[[date], set[str] | None],
                   check_month: bool = True) -> list[LineIn]:
    """Check every line (types, the month, the disease against the policy in force on the line's date,
    claims consistent and not repeated); errors are appended to `upload.errors`."""
    out: list[LineIn] = []
    errors = upload.errors
    claims: dict[str, tuple[str, date, int]] = {}   # claim_id -> (person, date, first position)
    numbers: dict[tuple[str, int], int] = {}        # (claim_id, line) -> position
    next_no: dict[str, int] = {}
    problems: list[tuple[str, str]] = []
    codes: dict[int, str] = {}  # a problem's own code (an amount's `invalid_amount`), by its place in `problems`

    def attempt(fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except InvalidInput as exc:
            if exc.code != InvalidInput.code:
                codes[len(problems)] = exc.code
            problems.append((exc.field or "line", exc.message))
            return None

    for n, line in upload.raw:
        problems.clear()
        codes.clear()

        claim_id = attempt(_text, line, "claim_id", True, 64)
        if claim_id and "|" in claim_id:
            problems.append(("claim_id", "claim_id must not contain '|'"))
            claim_id = None
        person_id = attempt(_text, line, "person_id", True, 64)
        day = attempt(parse_day, line.get("date"))
        if day is not None and check_month and day.isoformat()[:7] != upload.month:
            problems.append(("date", f"date {day.isoformat()} is outside the month {upload.month}"))
            day = None
        disease = attempt(_text, line, "disease", True, 32)
        if disease and day is not None:
            known = diseases_on(day)
            if known is None:
                problems.append(("date", f"no policy version is in force on {day.isoformat()}"))
            elif disease not in known:
                problems.append(("disease", f"disease {disease!r} is not in the policy in force on {day.isoformat()}"))
        amount = attempt(claim_amount, line.get("amount"))
        covered = attempt(parse_covered, line.get("covered"))
        item_code = attempt(_text, line, "item_code", False, 64)
        description = attempt(_text, line, "description", False, 500)
        line_no = attempt(parse_line_no, line.get("line"))
        quantity = attempt(parse_quantity, line.get("quantity"))
        unit_price = attempt(parse_unit_price, line.get("unit_price"))
        days_supply = attempt(parse_days_supply, line.get("days_supply"))
        if amount is not None and quantity is not None and "unit_price" not in {f for f, _ in problems}:
            unit_price = attempt(priced, amount, quantity, unit_price)

        if claim_id:
            if line_no is None:
                line_no = next_no.get(claim_id, 0) + 1
            next_no[claim_id] = max(next_no.get(claim_id, 0), line_no)
            seen = numbers.get((claim_id, line_no))
            if seen is not None:
                problems.append(("line", f"claim {claim_id} line {line_no} is already given on line {seen}"))
            else:
                numbers[(claim_id, line_no)] = n
            first = claims.get(claim_id)
            if first is None and person_id and day is not None:
                claims[claim_id] = (person_id, day, n)
            elif first is not None and person_id and day is not None and (first[0], first[1]) != (person_id, day):
                problems.append(("claim_id", f"claim {claim_id} has another person or date on line {first[2]}; "
                                             "a claim is one person's visit on one day"))
        for i, (field_name, message) in enumerate(problems):
            errors.append({"line": n, "field": field_name, "message": message, **({"code": codes[i]}
                                                                                   if i in codes else {})})
        if not problems:
            out.append(LineIn(n=n, claim_id=claim_id, line=line_no, person_id=person_id, date=day, disease=disease,
                              amount=amount, covered=covered, item_code=item_code or "",
                              description=description or "", quantity=quantity, unit_price=unit_price,
                              days_supply=days_supply))
    return out


def refuse(errors: list[dict[str, Any]], total: int) -> InvalidInput:
    errors = sorted(errors, key=lambda e: e["line"])
    shown = errors[:MAX_ERRORS]
    more = f" (first {MAX_ERRORS} shown)" if len(errors) > MAX_ERRORS else ""
    lines = len({e["line"] for e in errors})
    return InvalidInput(f"{lines} of {total} lines are invalid{more}; nothing was stored", fields=shown,
                        code=errors[0].get("code") if errors else None)
