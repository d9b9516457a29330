"""One visit settled now (即时结算), as the counter sends it: every field checked at once. Pure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from chassis.errors import InvalidInput
from services.settlement.chronic.domain.records import LineIn
from services.settlement.chronic.domain.uploads import claim_amount, parse_covered, parse_day

MAX_VISIT_LINES = 500


def parse_visit(data: dict[str, Any]) -> tuple[str, str, date, list[LineIn]]:
    """A visit's body, every field checked; errors name `lines[i].<field>`."""
    errors: list[dict[str, str]] = []

    def text(key: str, max_len: int = 64) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip() or len(value) > max_len or "|" in value:
            errors.append({"field": key, "message": f"{key} is required: a string of at most {max_len} characters"})
            return ""
        return value.strip()

    claim_id, person_id = text("claim_id"), text("person_id")
    on: date | None = None
    try:
        on = parse_day(data.get("date"))
    except InvalidInput as exc:
        errors.append({"field": "date", "message": exc.message})
    raw = data.get("lines")
    if not isinstance(raw, list) or not raw:
        errors.append({"field": "lines", "message": "lines must be a non-empty list"})
        raw = []
    if len(raw) > MAX_VISIT_LINES:
        errors.append({"field": "lines", "message": f"at most {MAX_VISIT_LINES} lines per visit"})
    parsed: list[tuple[str, Decimal, bool, str, str]] = []
    for i, line in enumerate(raw):
        path = f"lines[{i}]"
        if not isinstance(line, dict):
            errors.append({"field": path, "message": "each line must be an object"})
            continue
        before = len(errors)
        disease = line.get("disease")
        if not isinstance(disease, str) or not disease.strip():
            errors.append({"field": f"{path}.disease", "message": "disease is required"})
        amount = covered = None
        try:
            amount = claim_amount(line.get("amount"))
        except InvalidInput as exc:
            errors.append({"field": f"{path}.amount", "message": exc.message, "code": exc.code})
        try:
            covered = parse_covered(line.get("covered"))
        except InvalidInput as exc:
            errors.append({"field": f"{path}.covered", "message": exc.message})
        item, desc = line.get("item_code", ""), line.get("description", "")
        if not isinstance(item, str) or len(item) > 64:
            errors.append({"field": f"{path}.item_code", "message": "item_code must be a string of ≤ 64 characters"})
        if not isinstance(desc, str) or len(desc) > 500:
            errors.append({"field": f"{path}.description",
                           "message": "description must be a string of ≤ 500 characters"})
        if len(errors) == before:
            parsed.append((str(disease).strip(), amount, bool(covered), item, desc))  # type: ignore[arg-type]
    if errors:
        raise InvalidInput("the visit is invalid: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]),
                           fields=errors, code=errors[0].get("code"))
    assert on is not None
    lines = [LineIn(n=i + 1, claim_id=claim_id, line=i + 1, person_id=person_id, date=on, disease=d, amount=a,
                    covered=c, item_code=item, description=desc) for i, (d, a, c, item, desc) in enumerate(parsed)]
    return claim_id, person_id, on, lines
